"""A tune's form, read from its ABC alone: whether it is in two parts, as the dance tunes of the tradition are
(a reel or a jig plays a part, repeated, then another: `|: ... :|` or the parts written out)."""
from __future__ import annotations

import re

from musicrnn.notation.durations import scan_body

REPEAT_SIGN = re.compile(r"\|:|:\||::")
#: Bars that make a tune two parts when it has no repeat sign: two parts of eight bars written out.
TWO_PART_BARS = 16


def is_two_part(body: str, bars: int) -> bool:
    """Whether a tune whose body (the text after `K:`) is `body`, with `bars` bars that hold notes, is in two
    parts: a repeat sign (`|:`, `:|`, `::`) or at least TWO_PART_BARS bars."""
    return bool(REPEAT_SIGN.search(body)) or bars >= TWO_PART_BARS


def note_bars(abc: str) -> tuple[str, int] | None:
    """(body, bars that hold notes, a last bar without its bar line counted) of a tune; None without `K:`."""
    lines = abc.replace("\r\n", "\n").split("\n")
    scanned = scan_body(lines)
    if scanned is None:
        return None
    k, scan = scanned
    return "\n".join(lines[k + 1:]), len(scan.note_bars())


def tune_is_two_part(abc: str) -> bool:
    """`is_two_part` of a whole tune (False without `K:`)."""
    read = note_bars(abc)
    return read is not None and is_two_part(*read)
