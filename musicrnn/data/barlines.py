"""Make line ends and bar lines agree, a cleaning step: in ABC a line break is not a bar line, yet many sources
(the Essen folk songs above all) end lines without one, sometimes at the end of a full bar (the writer meant a
bar line) and sometimes in the middle of one (the bar runs on into the next line). A model trained on both
habits mixes them up and writes bars of the wrong length. After this step every music line but the last ends
with a bar line: a full bar gets its `|`, a bar that runs on is joined with the next line (which is what ABC
means anyway). Where the length cannot be worked out (overfull bars, free meter, voice overlays, multi-bar
rests), the line is left as it is.

Durations are summed in plain Python (no music21), fast enough for a 200,000-tune corpus, since only lines that
end without a bar line are looked at.
"""
from __future__ import annotations

import re
from fractions import Fraction

from musicrnn.notation.durations import body_field, body_start, scan_body
from musicrnn.notation.fields import FIELD_LINE

_BAR_END = re.compile(r"(\||::|:\||\|\]|\[\d+)\s*$")


def fix_line_ends(tune: str) -> tuple[str, int, int]:
    """Return (tune, bar lines added, lines joined). `tune` is a cleaned tune (header up to `K:`, then the body)."""
    lines = tune.split("\n")
    music = [i for i, l in enumerate(lines) if not FIELD_LINE.match(l)]
    # Fast path: every music line but the last already ends with a bar line.
    if all(_BAR_END.search(lines[i]) for i in music[:-1]):
        return tune, 0, 0
    start = body_start(lines)
    if start is None:
        return tune, 0, 0
    k, bars = start
    out: list[str] = lines[: k + 1]
    added = joined = 0
    join_next = False
    body = lines[k + 1 :]
    for j, line in enumerate(body):
        f = body_field(line)
        if f:
            bars.field(f.group(1), f.group(2))
            out.append(line)
            join_next = False
            continue
        if join_next:
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
        join_next = False
        ends_on_bar = bars.line(line)
        nxt = body[j + 1] if j + 1 < len(body) else None
        if ends_on_bar or nxt is None or FIELD_LINE.match(nxt) or not bars.known or bars.meter is None:
            continue
        if bars.acc == bars.meter:
            out[-1] += "|"
            bars.acc, bars.tuplet, bars.broken, bars.onsets = Fraction(0), [], None, []
            added += 1
        elif 0 < bars.acc < bars.meter:
            join_next = True
            joined += 1
    return "\n".join(out), added, joined


def meter_agreement(tune: str) -> tuple[int, int]:
    """(bars checked, bars whose length differs from the meter) in a cleaned tune.

    Only plain full bars count: not the first or last bar (pickups and their partners), not a bar next to anything
    but a plain `|` (repeats, endings and section lines may split one bar in two), not one whose length is
    uncertain. Tunes with voices are not checked. Pure Python, fast enough for the whole of IrishMAN.
    """
    lines = tune.split("\n")
    scanned = scan_body(lines)
    if scanned is None or any(l.startswith("V:") and body_field(l) for l in lines[scanned[0] + 1:]):
        return 0, 0  # no body, or voices
    bars = scanned[1]
    closed = [c for c in bars.closed if c.length != 0]  # `| |`, `|: [1`: no bar between
    checked = bad = 0
    for i in range(1, len(closed) - 1):
        length, meter, right = closed[i].length, closed[i].meter, closed[i].bar_line
        left = closed[i - 1].bar_line
        if length is None or meter is None or left != "|" or right != "|":
            continue
        checked += 1
        bad += length != meter
    return checked, bad
