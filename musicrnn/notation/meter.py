"""Meters (`M:`) and unit lengths (`L:`) as numbers: how long a bar is, what a missing `L:` means."""
from __future__ import annotations

import re
from fractions import Fraction

_COMMON_TIME = {"C": "4/4", "C|": "2/2"}
_METER = re.compile(r"^\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*/\s*(\d+)")


def normalize_meter(value: str) -> str:
    """`C` -> `4/4`, `C|` -> `2/2`, spaces dropped; other meters as written."""
    v = value.replace(" ", "")
    return _COMMON_TIME.get(v, v)


def fraction(value: str) -> Fraction | None:
    """`3/8` -> 3/8; None for anything that is not a plain fraction."""
    try:
        num, den = value.strip().split("/")
        return Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):
        return None


def meter_length(meter: str | None) -> Fraction | None:
    """Bar length in whole notes of an M: value (`6/8` -> 3/4, `C`, `C|` -> 1, `2+3/8` -> 5/8); None if free."""
    if meter is None:
        return None
    m = meter.strip()
    if m in ("C", "c", "C|", "c|"):
        return Fraction(1)
    mm = _METER.match(m)
    if not mm:
        return None
    num = sum(int(x) for x in re.split(r"\s*\+\s*", mm.group(1)))
    den = int(mm.group(2))
    if num <= 0 or den <= 0:
        return None
    return Fraction(num, den)


def beat_length(meter: str | None) -> Fraction | None:
    """The beat a musician counts in an M: value, in whole notes: a dotted quarter in 6/8, 9/8 and 12/8 (three
    eighths to a beat), a half note in 2/2 and 3/2, else the meter's own note (a quarter in 4/4 and 3/4, an
    eighth in 7/8 and 3/8); None if free."""
    length = meter_length(meter)
    if length is None:
        return None
    m = _METER.match(meter.strip())
    den = int(m.group(2)) if m else 4  # `C` and `C|`
    num = length * den
    if den >= 8 and num % 3 == 0 and num > 3:
        return Fraction(3, den)
    return Fraction(1, 2) if meter.strip() in ("C|", "c|") else Fraction(1, den)


def default_unit(meter: str | None) -> str:
    """ABC's rule for a missing L:: 1/16 for meters below 3/4, else 1/8."""
    m = meter_length(meter)
    return "1/16" if m is not None and m < Fraction(3, 4) else "1/8"
