"""How long the notes and bars of an ABC body are, in plain Python (no music21): note lengths, tuplets, broken
rhythm, chords, inline `L:` and `M:` changes; per bar, its length and where its notes start. Fast enough for a
200,000-tune corpus. Cleaning uses it to make bar lines agree with line ends, the style measures to tell a
running bar, and the sampler to keep bars within the meter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from musicrnn.notation.fields import FIELD_LINE
from musicrnn.notation.meter import fraction, normalize_meter

# One token of a music line: skipped text (chord symbols, decorations, grace notes, inline fields are matched
# whole), bar lines, tuplets, broken rhythm, notes and rests with their lengths, chords.
TOKEN = re.compile(
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
INNER_NOTE = re.compile(r"[_^=]*[A-Ga-gzx][,']*(\d*/*\d*)")


def note_length(spec: str) -> Fraction | None:
    """`2` → 2, `/` → 1/2, `//` → 1/4, `3/2` → 3/2, `/4` → 1/4 (in unit lengths); None for `/0`, which ABC
    does not know (a sampled tune can write it)."""
    if not spec:
        return Fraction(1)
    num, _, rest = spec.partition("/")
    n = int(num) if num else 1
    if "/" not in spec:
        return Fraction(n)
    slashes = 1 + rest.count("/")
    den = rest.replace("/", "")
    if den and int(den) == 0:
        return None
    return Fraction(n, int(den)) if den else Fraction(n, 2 ** slashes)


@dataclass
class ClosedBar:
    """A bar as the scanner closed it: its length (None when uncertain), the meter in effect, the bar line that
    closed it, the unit length, and where its notes (not rests) start, in whole notes from the bar's start."""

    length: Fraction | None
    meter: Fraction | None
    bar_line: str
    unit: Fraction
    onsets: list[Fraction] = field(default_factory=list)


class BarScanner:
    """Running state over a tune body: unit length, bar length, and the open bar's duration so far.

    Feed it field changes (`field`) and music lines (`line`); `closed` holds each finished bar, `last_note` the
    text of the last note (not rest) seen."""

    def __init__(self, unit: Fraction, meter: Fraction | None):
        self.unit, self.meter = unit, meter
        self.acc = Fraction(0)  # whole notes since the last bar line
        self.known = True  # False once something makes the open bar's length uncertain
        self.tuplet: list = []  # [factor, notes left]
        self.broken: Fraction | None = None  # factor for the next note after `>` / `<`
        self.closed: list[ClosedBar] = []
        self.onsets: list[Fraction] = []  # where the open bar's notes start
        self.last_note: str | None = None
        self.last = Fraction(0)

    def field(self, letter: str, value: str) -> None:
        if letter == "L":
            self.unit = fraction(value) or self.unit
        elif letter == "M":
            self.meter = fraction(normalize_meter(value.strip()))

    def _add(self, length: Fraction | None, note: str | None = None) -> None:
        if length is None:  # a length ABC does not know, or a chord without a note
            self.known = False
            return
        if note is not None:
            self.onsets.append(self.acc)
            self.last_note = note
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
        for m in TOKEN.finditer(text):  # `tokens` without the generator: cleaning scans every corpus line
            kind = m.lastgroup
            if kind == "other" and m.group(0).isspace():
                continue
            ends_on_bar = kind == "bar"
            self.apply(m)
        return ends_on_bar

    def tokens(self, text: str):
        """Scan one music line token by token: yields each TOKEN match with the duration of the open bar
        before it (whole notes), then applies the token, so a caller sees where every token stands in its bar
        (the network inspection's bar position comes from here)."""
        self.last = Fraction(0)
        for m in TOKEN.finditer(text):
            yield m, self.acc
            self.apply(m)

    def note_bars(self) -> list[ClosedBar | None]:
        """The bars that hold notes, in order; an open last bar with notes (no bar line after it) as None."""
        return [b for b in self.closed if b.onsets] + ([None] if self.onsets else [])

    def fork(self) -> BarScanner:
        """A copy of the running state, without the closed bars: to try text on, or to go back to."""
        other = BarScanner(self.unit, self.meter)
        other.acc, other.known, other.broken, other.last_note, other.last = \
            self.acc, self.known, self.broken, self.last_note, self.last
        other.tuplet, other.onsets = list(self.tuplet), list(self.onsets)
        return other

    def apply(self, m: re.Match) -> None:
        """Apply one TOKEN match to the running state."""
        kind = m.lastgroup  # the outer group: it closes after the groups nested in it
        if kind == "bar":
            self.closed.append(ClosedBar(self.acc if self.known else None, self.meter, m.group(0), self.unit,
                                         self.onsets))
            self.acc, self.known, self.tuplet, self.broken, self.onsets = Fraction(0), True, [], None, []
        elif kind == "field":
            f = m.group("field")
            self.field(f[1], f[3:].rstrip("]"))
        elif kind == "note":
            self._add(note_length(m.group("len")), sounding_note(m))
        elif kind == "chord":
            first = INNER_NOTE.search(m.group("inner"))
            inner, outer = (note_length(first.group(1)) if first else None), note_length(m.group("clen"))
            self._add(None if inner is None or outer is None else inner * outer, first and first.group(0))
        elif kind == "tuplet":
            p = int(m.group("p"))
            if p == 0 or m.group("q") == "0":  # `(0` is no tuplet ABC knows (a sampled tune can write it)
                self.known = False
                return
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

    def _compound_q(self) -> int:
        return 3 if self.meter is not None and self.meter.numerator % 3 == 0 and self.meter.numerator > 3 else 2


def sounding_note(m: re.Match) -> str | None:
    """The note a TOKEN match sounds (a chord: its first note), as `BarScanner.last_note` keeps it; None for a
    rest or anything else."""
    if m.lastgroup == "note":
        return None if m.group("pitch") in "zx" else m.group("note")
    if m.lastgroup == "chord":
        first = INNER_NOTE.search(m.group("inner"))
        return first.group(0) if first else None
    return None


def body_tokens(abc: str) -> tuple[int, list[tuple[int, re.Match]]] | None:
    """Where a tune's body starts in `abc` (after its `K:` line), and every TOKEN match of its music lines (body
    field lines skipped) with the index in `abc` where it starts; None without a `K:` line."""
    lines = abc.split("\n")
    start = body_start(lines)
    if start is None:
        return None
    k = start[0]
    body = offset = sum(len(line) + 1 for line in lines[: k + 1])
    tokens = []
    for line in lines[k + 1:]:
        if not body_field(line):
            tokens += [(offset + m.start(), m) for m in TOKEN.finditer(line)]
        offset += len(line) + 1
    return body, tokens


def last_note_start(abc: str) -> int | None:
    """Index in `abc` of the token of its body's last sounding note (the one `ends_on_final` reads); None
    without a `K:` line or a note."""
    body = body_tokens(abc)
    notes = [at for at, m in body[1] if sounding_note(m) is not None] if body else []
    return notes[-1] if notes else None


def body_field(line: str) -> re.Match | None:
    """A field line of a tune body; `A:|` and the like are music (a note before a repeat), not a field."""
    f = FIELD_LINE.match(line)
    return None if f is None or (line[0] in "ABCDEFGabcdefg" and "|" in line) else f


def body_start(lines: list[str]) -> tuple[int, BarScanner] | None:
    """The `K:` line's index and the bar state the header sets up; None without a `K:` line."""
    try:
        k = next(i for i, line in enumerate(lines) if line.startswith("K:"))
    except StopIteration:
        return None
    header = {line[0]: line[2:] for line in lines[:k] if FIELD_LINE.match(line)}
    bars = BarScanner(fraction(header.get("L", "1/8")) or Fraction(1, 8), None)
    bars.field("M", header.get("M", "none"))
    return k, bars


def scan_body(lines: list[str]) -> tuple[int, BarScanner] | None:
    """The `K:` line's index and the bar state after the whole body (fields applied, every bar in `closed`);
    None without a `K:` line."""
    start = body_start(lines)
    if start is None:
        return None
    k, bars = start
    for line in lines[k + 1:]:
        f = body_field(line)
        if f:
            bars.field(f.group(1), f.group(2))
        else:
            bars.line(line)
    return k, bars
