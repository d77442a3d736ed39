"""Where each character of a tune stands: header or body, which token (note, chord, bar line, chord symbol…),
which bar, and how far into the bar its token starts. One walk with the library's bar scanner
(`notation/durations.py`), so the inspection reads bars and note lengths exactly as cleaning does; the cell
features and the notes a score shades both come from it."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from musicrnn.notation.durations import INNER_NOTE, body_field, body_start

#: Token kinds that are notes on the score: one span each (a chord is one span, its notes sound together).
NOTE_KINDS = {"note": "note", "chord": "chord", "multirest": "rest", "grace": "grace"}


@dataclass
class Token:
    """One token of a music line at text[start:end]: its TOKEN kind (`note`, `chord`, `bar`, `quoted`…, or
    `newline` for a music line's end), the bar it stands in, and the open bar's duration before it (whole
    notes)."""

    start: int
    end: int
    kind: str
    text: str
    bar: int
    elapsed: Fraction


@dataclass
class Bar:
    """The characters text[start:end] of one bar: its opening bar line (if any) and its music up to the next
    bar line. `length` is None where the scanner cannot tell (multi-bar rests, voice overlays); `meter` is the
    bar length the meter asks for (None for free meter)."""

    start: int
    end: int
    length: Fraction | None
    meter: Fraction | None


@dataclass
class Walk:
    """A tune text scanned: the body starts at text[body:]; `fields` are the body's field lines (start, end)."""

    text: str
    body: int
    tokens: list[Token]
    bars: list[Bar]
    fields: list[tuple[int, int]]


def walk(abc: str) -> Walk:
    """Scan a tune's body token by token (a text without a `K:` line is all header)."""
    lines = abc.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    head = body_start(lines)
    if head is None:
        return Walk(abc, len(abc), [], [], [])
    k, scanner = head
    body = starts[k + 1] if k + 1 < len(lines) else len(abc)
    tokens: list[Token] = []
    bars: list[Bar] = []
    fields: list[tuple[int, int]] = []
    bar_start = body
    for i in range(k + 1, len(lines)):
        line, off = lines[i], starts[i]
        f = body_field(line)
        if f:
            scanner.field(f.group(1), f.group(2))
            fields.append((off, off + len(line) + 1))
            continue
        for m, elapsed in scanner.tokens(line):
            kind = m.lastgroup
            if kind == "bar":  # a bar line opens the next bar: after it the count starts again
                bars.append(Bar(bar_start, off + m.start(), elapsed if scanner.known else None, scanner.meter))
                bar_start = off + m.start()
            tokens.append(Token(off + m.start(), off + m.end(), kind, m.group(0), len(bars), elapsed))
        if i < len(lines) - 1:
            tokens.append(Token(off + len(line), off + len(line) + 1, "newline", "\n", len(bars), scanner.acc))
    bars.append(Bar(bar_start, len(abc), scanner.acc if scanner.known else None, scanner.meter))
    return Walk(abc, body, tokens, bars, fields)


@dataclass
class NoteSpan:
    """One note of the score as text[start:end]: `kind` is note, chord, rest or grace (a `{…}` group)."""

    start: int
    end: int
    text: str
    kind: str


def note_spans(abc: str) -> list[NoteSpan]:
    """The notes, chords, rests and grace groups of a tune's body, in text order (chord symbols, decorations,
    bar lines and broken-rhythm marks belong to no note)."""
    out = []
    for t in walk(abc).tokens:
        kind = NOTE_KINDS.get(t.kind)
        if t.kind == "note" and t.text.lstrip("_^=")[:1] in "zx":
            kind = "rest"
        if kind:
            out.append(NoteSpan(t.start, t.end, t.text, kind))
    return out


LETTER_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def written_pitch(note: str) -> int | None:
    """The MIDI number of a note as written (`C` 60, `c` 72, `^f'` 90, `B,,` 47): its letter, octave marks and
    own accidentals, not the key signature. None for rests and for text that holds no note."""
    m = INNER_NOTE.match(note)
    if m is None:
        return None
    letter = next(ch for ch in m.group(0) if ch.isalpha())
    if letter in "zx":
        return None
    marks = m.group(0)
    return (60 + LETTER_SEMITONES[letter.upper()] + (12 if letter.islower() else 0) + 12 * marks.count("'")
            - 12 * marks.count(",") + marks.count("^") - marks.count("_"))
