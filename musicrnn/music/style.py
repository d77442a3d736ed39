"""Style figures of a tune, read from its ABC alone (no music21), so that real tunes and sampled ones are
measured the same way:

- *running bars*: among the inner bars (not the first or the last), the share in which at least 3/4 of the
  bar's unit-length slots start a note (6 of the 8 quavers of a reel bar at `L:1/8`, 5 of the 6 of a jig's);
- *ends on the final*: the last note's pitch class is the tonic of its `K:` (the modal final: A for `Ador`);
- *two-part form*: the body has a repeat sign (`|:`, `:|`, `::`) or at least 16 bars;
- *bars*: the bars that hold notes.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from fractions import Fraction

from musicrnn.notation.durations import scan_body
from musicrnn.notation.form import is_two_part
from musicrnn.notation.keys import is_final


@dataclass
class Style:
    bars: int
    running_share: float | None  # None: fewer than one inner bar of a known meter
    ends_on_final: bool | None  # None: no key or no note
    two_part: bool


def tune_style(abc: str) -> Style:
    """The style figures of one tune (its header up to `K:`, then the body)."""
    lines = abc.replace("\r\n", "\n").split("\n")
    scanned = scan_body(lines)
    if scanned is None:
        return Style(0, None, None, False)
    k, scan = scanned
    body = lines[k + 1:]
    bars = scan.note_bars()
    inner = [b for b in bars[1:-1] if b is not None and b.meter]
    running = [_is_running(b.onsets, b.meter, b.unit) for b in inner]
    ends = is_final(lines[k][2:], scan.last_note)
    return Style(len(bars), sum(running) / len(running) if running else None, ends,
                 is_two_part("\n".join(body), len(bars)))


def _is_running(onsets: list[Fraction], meter: Fraction, unit: Fraction) -> bool:
    slots = meter / unit
    if slots.denominator != 1 or slots < 2:
        return False
    starts = {o / unit for o in onsets}
    filled = sum(1 for k in range(int(slots)) if k in starts)
    return filled >= math.ceil(0.75 * int(slots))


def style_figures(tunes: list[str]) -> dict:
    """The figures over a set of tunes: mean share of running bars, share ending on the final, share in two
    parts, median bars; `tunes` counts those measured."""
    styles = [tune_style(t) for t in tunes]
    running = [s.running_share for s in styles if s.running_share is not None]
    ends = [s.ends_on_final for s in styles if s.ends_on_final is not None]
    return {"tunes": len(styles),
            "running_bars": round(statistics.mean(running), 4) if running else None,
            "ends_on_final": round(sum(ends) / len(ends), 4) if ends else None,
            "two_part": round(sum(s.two_part for s in styles) / len(styles), 4) if styles else None,
            "median_bars": statistics.median([s.bars for s in styles]) if styles else None}
