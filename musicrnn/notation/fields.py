"""ABC field lines (`M:6/8`, `K:Ador`, `T:The Kesh`) and the values a header gives."""
from __future__ import annotations

import re

#: A field line: a letter (or `+`, a continued field) and a colon at the start of a line.
FIELD_LINE = re.compile(r"^([A-Za-z+]):(.*)$")
#: A field line where a music line may stand: lower-case notes and rests (`a:|`, `x:`) are music there.
NON_NOTE_FIELD_LINE = re.compile(r"^([A-Zh-wy+]):(.*)$")


def field_value(raw: str) -> str:
    """A field's value without a trailing `%` comment (kept when the value quotes text)."""
    return raw.split("%", 1)[0].strip() if "%" in raw and '"' not in raw else raw.strip()


def header_value(tune: str, letter: str) -> str | None:
    """The first value of field `letter` in a tune (`header_value(t, "M") -> "6/8"`), or None."""
    m = re.search(rf"^{re.escape(letter)}:(.*)$", tune, re.M)
    return m.group(1).strip() if m else None


def header_field(tune: str, letter: str) -> str | None:
    """A field of a tune's header, up to its first `K:` line, so a field line in the body (a change of meter or
    rhythm part way) is not read: `header_field(t, "R") -> "jig"`, or None."""
    head, k, key_line = tune.partition("\nK:")
    return header_value(head + k + key_line.split("\n", 1)[0], letter)
