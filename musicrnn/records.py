"""Records read back from files (JSON objects, settings) checked against a schema of field kinds, so that a
damaged or hand-edited file is one clear problem naming the file, the field and the value, never a KeyError or
a TypeError later in whatever reads it."""
from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass
from typing import Any

from musicrnn.errors import MusicRNNError


class RecordError(MusicRNNError):
    """A record that does not fit its schema (a damaged or hand-edited file)."""


@dataclass(frozen=True)
class Kind:
    """What a field may hold: `types` (bool is never an int here), finiteness, a lower bound, None or not."""

    name: str
    types: tuple[type, ...]
    optional: bool = True
    minimum: float | None = None
    items: Kind | None = None  # for a list: what each of its items must hold

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None if self.optional else f"is missing, expected {self.name}"
        if isinstance(value, bool) and bool not in self.types:
            return f"is {shown(value)}, expected {self.name}"
        if not isinstance(value, self.types):
            return f"is {shown(value)}, expected {self.name}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"is {shown(value)}, expected a finite {self.name.removeprefix('a ')}"
        if self.minimum is not None and isinstance(value, (int, float)) and value < self.minimum:
            return f"is {shown(value)}, expected {self.name} of at least {self.minimum:g}"
        if self.items is not None:
            for i, item in enumerate(value):
                p = self.items.problem(item)
                if p:
                    return f"item {i} {p}"
        return None

    def required(self) -> Kind:
        return dataclasses.replace(self, optional=False)


WHOLE = Kind("a whole number", (int,))
COUNT = Kind("a whole number", (int,), minimum=0)
NUMBER = Kind("a number", (int, float))
TEXT = Kind("text", (str,))
FLAG = Kind("true or false", (bool,))
OBJECT = Kind("an object", (dict,))
NUMBERS = Kind("a list of numbers", (list,), items=NUMBER.required())


def shown(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: JSON, cut short."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems(record: Any, schema: dict[str, Kind]) -> list[str]:
    """What is wrong with `record` under `schema` (fields not in the schema are not looked at)."""
    if not isinstance(record, dict):
        return [f"is {shown(record)}, expected a JSON object"]
    out = []
    for name, kind in schema.items():
        p = kind.problem(record.get(name))
        if p:
            out.append(f"field {name!r} {p}")
    return out


def settings_from_dict(cls, d: Any, what: str = "settings"):
    """An instance of the settings dataclass `cls` from a dict read from a file, each field checked against its
    annotation (`int`, `float`, `str`, `bool`, `... | None`); keys it does not know are left out. RecordError
    names the field and value that do not fit."""
    if not isinstance(d, dict):
        raise RecordError(f"{what} is {shown(d)}, expected an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in d:
            continue
        value, kind = d[f.name], _kind_of(hints[f.name])
        p = kind.problem(value) if kind is not None else None
        if p:
            raise RecordError(f"{what}: field {f.name!r} {p}")
        values[f.name] = float(value) if kind is not None and kind.types == (int, float) and value is not None \
            else value
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise RecordError(f"{what}: {e}") from None


def _kind_of(hint) -> Kind | None:
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if args else hint
    kind = {int: WHOLE, float: NUMBER, str: TEXT, bool: FLAG, dict: OBJECT}.get(base)
    if kind is None:
        return None
    return kind if optional else kind.required()
