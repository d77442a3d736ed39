"""The header a model continues: meter, unit length, tune type and key, in the cleaned corpus's field order,
and which tune types a model knows (its checkpoint's data description says what it was trained on)."""
from __future__ import annotations

from musicrnn.errors import OptionError
from musicrnn.notation.tune_types import TUNE_TYPES

#: A type a model saw in fewer training tunes than this is not offered: it cannot have learned it.
MIN_TYPE_TUNES = 10


def build_prime(meter: str | None = None, unit: str | None = None, key: str | None = None,
                start: str | None = None, tune_type: str | None = None) -> str:
    """`X:1`, then `L:`, `M:`, `R:` and `K:` as given, then optional ABC to continue.

    `start` may be a whole header and body (used as is) or body text continuing the header.
    """
    start = (start or "").replace("\r\n", "\n")
    if start.lstrip().startswith("X:"):
        return start.lstrip()
    lines = ["X:1"]
    for letter, value in (("L", unit), ("M", meter), ("R", tune_type), ("K", key)):
        if value:
            lines.append(f"{letter}:{value}")
    prime = "\n".join(lines) + "\n"
    return prime + start if start else prime


def known_types(data: dict | None) -> dict[str, dict]:
    """The tune types a model was trained with, most common first, each with the meter and unit length most
    of its tunes had (from the checkpoint's data description); {} for a model trained without types."""
    table = (data or {}).get("tune_types") or {}
    if not isinstance(table, dict):
        return {}
    out = {}
    for name, row in table.items():
        if name in TUNE_TYPES and isinstance(row, dict) and isinstance(row.get("tunes"), int) \
                and row["tunes"] >= MIN_TYPE_TUNES:
            t = TUNE_TYPES[name]
            meter, unit = row.get("meter"), row.get("unit")
            out[name] = {"tunes": row["tunes"], "meter": meter if isinstance(meter, str) else t.meter,
                         "unit": unit if isinstance(unit, str) else t.unit}
    return out


def type_prime(tune_type: str, data: dict | None, *, meter: str | None = None, unit: str | None = None,
               key: str | None = None, start: str | None = None) -> str:
    """The prime asking a model for a tune of `tune_type`: the type, and the meter and unit length the model
    knows for it (`meter` and `unit` override them). OptionError for a type the model was not trained with."""
    types = known_types(data)
    if tune_type not in types:
        raise OptionError(f"tune type {tune_type!r}: " + (
            f"this model knows {', '.join(types)}" if types else "this model was trained without tune types"))
    row = types[tune_type]
    return build_prime(meter or row["meter"], unit or row["unit"], key, start, tune_type)


def kept_prime(abc: str, last: int) -> str:
    """The prime that keeps a tune up to bar `last` (a pickup is bar 0) for the model to write the rest: its
    first tune, cleaned as the corpus was (the header the model knows, its bar lines at line ends), then cut
    after that bar (`notation/bar_numbers.keep_bars`). A tune cleaning would drop is kept as written."""
    from musicrnn.data.clean import clean_tunes
    from musicrnn.notation.bar_numbers import keep_bars
    from musicrnn.notation.tunes import split_tunes

    tunes = split_tunes(abc)  # its newlines normalized
    if not tunes:
        raise OptionError("no tune to keep bars of: the ABC is empty")
    cleaned = clean_tunes(tunes[:1])[0]
    return keep_bars(cleaned[0] if cleaned else tunes[0], last)


def prime_type(prime: str) -> str | None:
    """The tune type (`R:`) a prime's header asks for, if it names one the library knows."""
    from musicrnn.notation.fields import header_field

    value = header_field(prime, "R")
    return value if value in TUNE_TYPES else None
