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

from musicrnn.notation.fields import FIELD_LINE
from musicrnn.notation.meter import fraction, normalize_meter

# One token of a music line: skipped text (chord symbols, decorations, grace notes, inline fields are matched
# whole), bar lines, tuplets, broken rhythm, notes and rests with their lengths, chords.
_TOKEN = re.compile(
    r'(?P<quoted>"[^"]*"?)'
    r"|(?P<deco>![^!]*!|\+[^+\s]*\+)"
    r"|(?P<grace>\{[^}]*\}?)"
    r"|(?P<field>\[[A-Za-z]:[^\]]*\]?)"
    r"|(?P<bar>:*\|[\]|:]*\d*|:*\[?\|\d*|::+|:\|?|\[\d+)"
    r"|(?P<tuplet>\((?P<p>\d)(?::(?P<q>\d?)(?::(?P<r>\d?))?)?)"
    r"|(?P<broken>[<>]+)"
    r"|(?P<chord>\[(?P<inner>[^\]\[|]*)\](?P<clen>\d*/*\d*))"
    r"|(?P<note>[_^=]*(?P<pitch>[A-Ga-gzx])[,']*(?P<len>\d*/*\d*))"
    r"|(?P<multirest>[ZX]\d*)"
    r"|(?P<overlay>&)"
    r"|(?P<other>.)",
    re.S,
)
_BAR_END = re.compile(r"(\||::|:\||\|\]|\[\d+)\s*$")
_INNER_NOTE = re.compile(r"[_^=]*[A-Ga-gzx][,']*(\d*/*\d*)")


def _length(spec: str) -> Fraction:
    """`2` → 2, `/` → 1/2, `//` → 1/4, `3/2` → 3/2, `/4` → 1/4 (in unit lengths)."""
    if not spec:
        return Fraction(1)
    num, _, rest = spec.partition("/")
    n = int(num) if num else 1
    if "/" not in spec:
        return Fraction(n)
    slashes = 1 + rest.count("/")
    den = rest.replace("/", "")
    return Fraction(n, int(den)) if den else Fraction(n, 2 ** slashes)


class _Bars:
    """Running state over a tune body: unit length, bar length, and the open bar's duration so far."""

    def __init__(self, unit: Fraction, meter: Fraction | None):
        self.unit, self.meter = unit, meter
        self.acc = Fraction(0)  # whole notes since the last bar line
        self.known = True  # False once something makes the open bar's length uncertain
        self.tuplet: list = []  # [factor, notes left]
        self.broken: Fraction | None = None  # factor for the next note after `>` / `<`
        self.closed: list[tuple[Fraction | None, Fraction | None, str]] = []  # (length, meter, bar line) per bar

    def field(self, letter: str, value: str) -> None:
        if letter == "L":
            self.unit = fraction(value) or self.unit
        elif letter == "M":
            self.meter = fraction(normalize_meter(value.strip()))

    def _add(self, length: Fraction) -> None:
        d = length * self.unit
        if self.tuplet:
            d *= self.tuplet[0]
            self.tuplet[1] -= 1
            if self.tuplet[1] <= 0:
                self.tuplet = []
        if self.broken is not None:
            d *= self.broken
            self.broken = None
        self.last = d
        self.acc += d

    def line(self, text: str) -> bool:
        """Scan one music line; True when it ends on a bar line."""
        ends_on_bar = False
        self.last = Fraction(0)
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup  # the outer group: it closes after the groups nested in it
            if kind == "other" and m.group(0).isspace():
                continue
            ends_on_bar = kind == "bar"
            if kind == "bar":
                self.closed.append((self.acc if self.known else None, self.meter, m.group(0)))
                self.acc, self.known, self.tuplet, self.broken = Fraction(0), True, [], None
            elif kind == "field":
                f = m.group("field")
                self.field(f[1], f[3:].rstrip("]"))
            elif kind == "note":
                self._add(_length(m.group("len")))
            elif kind == "chord":
                first = _INNER_NOTE.search(m.group("inner"))
                if first is None:
                    self.known = False
                    continue
                self._add(_length(first.group(1)) * _length(m.group("clen")))
            elif kind == "tuplet":
                p = int(m.group("p"))
                q = int(m.group("q")) if m.group("q") else ({2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p) or self._compound_q())
                r = int(m.group("r")) if m.group("r") else p
                self.tuplet = [Fraction(q, p), r]
            elif kind == "broken":
                n = len(m.group("broken"))
                shift = 1 - Fraction(1, 2 ** n)  # > : 3/2 and 1/2; >> : 7/4 and 1/4
                first, second = (1 + shift, 1 - shift) if m.group("broken")[0] == ">" else (1 - shift, 1 + shift)
                self.acc += self.last * (first - 1)
                self.broken = second
            elif kind in ("multirest", "overlay"):
                self.known = False
        return ends_on_bar

    def _compound_q(self) -> int:
        return 3 if self.meter is not None and self.meter.numerator % 3 == 0 and self.meter.numerator > 3 else 2


def _body_field(line: str) -> re.Match | None:
    """A field line of the body; `A:|` and the like are music (a note before a repeat), not a field."""
    f = FIELD_LINE.match(line)
    return None if f is None or (line[0] in "ABCDEFGabcdefg" and "|" in line) else f


def _body_start(lines: list[str]) -> tuple[int, _Bars] | None:
    """The `K:` line's index and the bar state the header sets up; None without a `K:` line."""
    try:
        k = next(i for i, l in enumerate(lines) if l.startswith("K:"))
    except StopIteration:
        return None
    header = {l[0]: l[2:] for l in lines[:k] if FIELD_LINE.match(l)}
    bars = _Bars(fraction(header.get("L", "1/8")) or Fraction(1, 8), None)
    bars.field("M", header.get("M", "none"))
    return k, bars


def fix_line_ends(tune: str) -> tuple[str, int, int]:
    """Return (tune, bar lines added, lines joined). `tune` is a cleaned tune (header up to `K:`, then the body)."""
    lines = tune.split("\n")
    music = [i for i, l in enumerate(lines) if not FIELD_LINE.match(l)]
    # Fast path: every music line but the last already ends with a bar line.
    if all(_BAR_END.search(lines[i]) for i in music[:-1]):
        return tune, 0, 0
    start = _body_start(lines)
    if start is None:
        return tune, 0, 0
    k, bars = start
    out: list[str] = lines[: k + 1]
    added = joined = 0
    join_next = False
    body = lines[k + 1 :]
    for j, line in enumerate(body):
        f = _body_field(line)
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
            bars.acc, bars.tuplet, bars.broken = Fraction(0), [], None
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
    start = _body_start(lines)
    if start is None:
        return 0, 0
    k, bars = start
    for line in lines[k + 1 :]:
        f = _body_field(line)
        if f:
            if f.group(1) == "V":
                return 0, 0
            bars.field(f.group(1), f.group(2))
        else:
            bars.line(line)
    closed = [c for c in bars.closed if c[0] != 0]  # `| |`, `|: [1`: no bar between
    checked = bad = 0
    for i in range(1, len(closed) - 1):
        length, meter, right = closed[i]
        left = closed[i - 1][2]
        if length is None or meter is None or left != "|" or right != "|":
            continue
        checked += 1
        bad += length != meter
    return checked, bad
