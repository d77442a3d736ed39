"""Sampling that keeps the meter (`strict_bars`): which next characters would make the open bar longer than its
meter allows, read from the tune's text as it is sampled, with the bar scanner the cleaning and the style
measures use (`notation/durations.py`). The sampler draws such a character again from the others.

A bar's length is read as written so far. A note being written with no length yet counts half a unit (a `/`
may still come), so a new note in a full bar is banned, and so is what would end a note too long for the bar
(a length, a space, the next note, a bar line), while `/`, which shortens, never is. A chord counts from its `[`
as if closed. Decorations, chord symbols, slurs and grace notes take no time but stand before a note, so they
count as that note: a model that does not know its bar is full would otherwise write its notes into them. When
no note fits, only what ends a bar is left (a bar line, a space, a line end, a slur's end, a tie). A bar already
too long bans nothing, so a tune can always go on.
"""
from __future__ import annotations

import re
from fractions import Fraction

import torch

from musicrnn.notation.durations import INNER_NOTE, TOKEN, BarScanner, body_field
from musicrnn.notation.fields import FIELD_LINE, NON_NOTE_FIELD_LINE
from musicrnn.notation.meter import fraction

#: What never makes a bar too long: `/` shortens a note, `,` and `'` mark its octave, `[` may begin an ending
#: (`[1`) or a bar line (`[|`) as well as a chord (whose notes are then checked), `Z`, `X` and `&` make the bar's
#: length unknown, and a tune may always end.
_NEVER = frozenset("/,'[ZX&\x00")
_NOTE_PREFIX = frozenset("^_=~.HLMOPSTuv}")  # an accidental, a decoration's shorthand, the end of a grace note
#: What a full bar may go on with: its bar line (`|`, `:|`, `[|`, `|1`), a space or line end, the end of a slur,
#: a tie to the next bar.
_FULL_OK = frozenset("|:[] \n)-\\")
_OWN = frozenset("0123456789]><|:}\"!+")  # each acts in its own way


def group(ch: str) -> str:
    """The character that stands for `ch` when the banned characters are worked out: all notes and rests act
    alike (`C`), so do all that must stand before a note (`^`: an accidental, a decoration's shorthand, a slur,
    a grace note's start), and all that end the note being written and add nothing, a space, a line end, a
    tie, a slur's end (` `)."""
    if ch in "ABCDEFGabcdefgzx":
        return "C"
    if (ch in _NOTE_PREFIX and ch != "}") or ch in "({":
        return "^"
    return ch if ch in _OWN else " "


_NOTE = re.compile(r"[A-Ga-gzx]")
# The beginning of a chord or a decoration still being written; anything else after a `[`, `!` or `+` (a `}`, a
# bar line, a long run) is read as written, so that a model cannot hide its notes in a chord it never closes.
_OPEN = {
    "[": re.compile(r"\[(?:[_^=A-Ga-gzx,'0-9/-]{0,23}|[A-Za-z]|[A-Za-z]:[^\]|]{0,40})"),  # a chord, an inline field
    "!": re.compile(r"![^!\s|]{0,23}"),
    "+": re.compile(r"\+[^+\s|]{0,23}"),
}


def _still_open(rest: str) -> bool:
    """Whether `rest`, starting at a `[`, `!` or `+`, is a chord or decoration still being written."""
    return _OPEN[rest[0]].fullmatch(rest) is not None


def _split(text: str) -> tuple[list, str]:
    """The TOKEN matches of `text` that are complete, and the text still being written (its last token, or from a
    chord or decoration not yet closed)."""
    toks = list(TOKEN.finditer(text))
    if not toks:
        return [], text
    cut = len(toks) - 1
    for i, m in enumerate(toks):
        if m.lastgroup == "other" and m.group(0) in _OPEN and _still_open(text[m.start():]):
            cut = i
            break
    return toks[:cut], text[toks[cut].start():]


def _open_ended(text: str) -> list:
    """The TOKEN matches of `text` read as a note still being written: an open chord closed, and a note put
    after whatever must stand before one (an accidental, a decoration, a slur or tuplet, a chord symbol, a grace
    note), closed first if it is still open."""
    toks = list(TOKEN.finditer(text))
    if "!" in text or "+" in text:
        for i, m in enumerate(toks):
            if m.lastgroup == "other" and m.group(0) in "!+" and _still_open(text[m.start():]):
                text = text[: m.start()] + " ^"  # an open decoration ends the note before it and stands before one
                toks = list(TOKEN.finditer(text))
                break
    if "[" in text:
        text = text.replace("[]", "[C]")  # a chord of nothing is no way out of a full bar
        toks = list(TOKEN.finditer(text))
        opens = [m for m in toks if m.lastgroup == "other" and m.group(0) == "[" and _still_open(text[m.start():])]
        if opens:
            # a chord holds a note: `[` alone, or `[^`, would otherwise be a chord of nothing, of unknown length
            return list(TOKEN.finditer(text + ("" if _NOTE.search(text, opens[-1].end()) else "C") + "]"))
    last = toks[-1] if toks else None
    if last is not None and last.lastgroup == "quoted" and (len(last.group(0)) == 1 or last.group(0)[-1] != '"'):
        text += '"C'
    elif last is not None and last.lastgroup == "grace" and last.group(0)[-1] != "}":
        text += "}C"
    elif text and (text[-1] in _NOTE_PREFIX or text[-1] == "(" or (last is not None and last.lastgroup == "tuplet")):
        text += "C"
    else:
        return toks
    return list(TOKEN.finditer(text))


def _is_open(pending: str) -> bool:
    """Whether a note or anything before one is still being written in `pending`."""
    toks = list(TOKEN.finditer(pending))
    return bool(toks) and (toks[-1].lastgroup in ("note", "chord", "tuplet", "quoted", "grace")
                           or any(m.lastgroup == "other" and m.group(0) in "[!+(" for m in toks)
                           or pending[-1] in _NOTE_PREFIX)


def _no_length_yet(m) -> bool:
    """Whether a note or chord token has no length written yet (`A`, `[CE]`; not `A2`, `[C2E2]`, `[CE]2`)."""
    if m.lastgroup == "note":
        return not m.group("len")
    if m.lastgroup == "chord":
        first = INNER_NOTE.search(m.group("inner"))
        return not m.group("clen") and (first is None or not first.group(1))
    return False


def overflows(bars: BarScanner, text: str) -> bool:
    """Whether `text`, written after the open bar's complete tokens, makes a bar longer than its meter. A note
    at the very end with no length yet counts half (a `/` may still come: `A` half a unit from the bar's end is
    fine, `A ` is not)."""
    toks = _open_ended(text)
    sim = bars.fork()
    for k, m in enumerate(toks):
        if m.lastgroup == "bar":
            sim.acc = Fraction(0)  # the bar before it was checked when its last token was applied
            sim.known = True
            continue
        sim.apply(m)
        if not sim.known or sim.meter is None:
            return False
        length = sim.acc
        if k == len(toks) - 1 and _no_length_yet(m):
            length -= sim.last / 2
        if length > sim.meter:
            return True
    return False


# What a bar's length does not depend on: which note (pitch letters, octave marks), which accidental.
_PITCH = re.compile(r"[A-Ga-g]")
_OCTAVE = re.compile(r"[,']")
_ACCIDENTALS = re.compile(r"[_^=]+")


def shape(pending: str) -> str:
    """`pending` with what cannot change a bar's length made alike (`^f2` and `=A2` are both `^C2`), so that
    bar states share their banned characters."""
    if '"' in pending or "!" in pending or "[" in pending or "+" in pending:
        return pending  # text (chord symbols, decorations, fields) kept as it is
    return _ACCIDENTALS.sub("^", _OCTAVE.sub("", _PITCH.sub("C", pending)))


class MeterMasks:
    """The banned next characters for each bar state. Few states recur (a bar's position, the note being
    written), so they are kept, for every batch the vocabulary samples (`for_tokens`)."""

    _shared: dict[tuple, MeterMasks] = {}

    def __init__(self, tokens: list[str]):
        groups: dict[str, list[int]] = {}
        for i, ch in enumerate(tokens):
            if i and len(ch) == 1 and ch not in _NEVER:
                groups.setdefault(group(ch), []).append(i)
        self.groups = list(groups.items())
        self.size = len(tokens)
        self.not_after_full = frozenset(i for i, ch in enumerate(tokens)
                                        if i and len(ch) == 1 and ch not in _NEVER and ch not in _FULL_OK)
        self.not_after_full_bracket = frozenset(i for i, ch in enumerate(tokens)
                                                if i and len(ch) == 1 and ch not in "0123456789|")
        self.cache: dict = {}

    @classmethod
    def for_tokens(cls, tokens: list[str]) -> MeterMasks:
        key = tuple(tokens)
        if key not in cls._shared:
            cls._shared = {key: cls(tokens)}  # one vocabulary at a time: a new one replaces the last
        return cls._shared[key]

    def lookup(self, bars: BarScanner, pending: str) -> tuple[frozenset[int], torch.Tensor | None]:
        """The vocabulary ids banned after `pending`, written after the open bar's complete tokens, and the same
        as a row of booleans over the vocabulary (None when none is banned)."""
        # A bar already too long stays so whatever comes next: nothing is banned, so it can close.
        if bars.meter is None or not bars.known or bars.acc > bars.meter:
            return _NONE
        pending = shape(pending)
        # numerators and denominators: a Fraction hashes slowly, and this runs for every row at every step
        t, k, last = bars.tuplet, bars.broken, bars.last
        key = (bars.acc.numerator, bars.acc.denominator, bars.meter.numerator, bars.meter.denominator,
               bars.unit.numerator, bars.unit.denominator, last.numerator, last.denominator,
               (t[0].numerator, t[0].denominator, t[1]) if t else None,
               (k.numerator, k.denominator) if k is not None else None, pending)
        hit = self.cache.get(key)
        if hit is None:
            if len(self.cache) > 100_000:
                self.cache.clear()
            hit = self.cache[key] = self._work_out(bars, pending)
        return hit

    def _work_out(self, bars: BarScanner, pending: str) -> tuple[frozenset[int], torch.Tensor | None]:
        # A prime left no room for what it began: let it go on. (A `[` may still become `[1` or `[|`.)
        if pending[:1] != "[" and overflows(bars, pending):
            return _NONE
        over = {rep: overflows(bars, pending + rep) for rep, _ in self.groups}
        banned = {i for rep, ids in self.groups if over[rep] for i in ids}
        if not _is_open(pending) and (over["C"] if "C" in over else overflows(bars, pending + "C")):
            banned |= self.not_after_full  # no note fits: only what ends the bar, not the model's odd rest
        elif pending == "[" and over.get("C"):
            banned |= self.not_after_full_bracket  # no chord fits: `[` may only become `[|` or `[1`
        if not banned:
            return _NONE
        row = torch.zeros(self.size, dtype=torch.bool)
        row[sorted(banned)] = True
        return frozenset(banned), row


_NONE: tuple[frozenset[int], None] = (frozenset(), None)


class MeterGuard:
    """One tune's bar state as it is sampled, a character at a time (the prime first): `banned()` the vocabulary
    ids that would make the open bar longer than its meter. Before the `K:` line, on field lines and in comments,
    nothing is banned."""

    def __init__(self, masks: MeterMasks):
        self.masks = masks
        self.header: dict[str, str] = {}
        self.bars: BarScanner | None = None  # None until the body starts
        self.line = ""
        self.pending = ""
        self.mode = "music"  # "music", "field" (a field line, or a line that may be one) or "comment"

    def copy(self) -> MeterGuard:
        other = MeterGuard.__new__(MeterGuard)
        other.__dict__.update(self.__dict__)
        other.header = dict(self.header)
        other.bars = self.bars.fork() if self.bars is not None else None
        return other

    def feed(self, ch: str) -> None:
        if ch == "\n":
            self._end_line()
            return
        self.line += ch
        if self.bars is None:
            return
        if len(self.line) == 1 and (ch.isalpha() or ch == "+"):
            self.mode = "field"  # `M:` or `A2`: the next character tells
            return
        if self.mode == "field" and len(self.line) == 2:
            if ch == ":" and NON_NOTE_FIELD_LINE.match(self.line + " "):
                return
            self.mode = "music"
            self._music(self.line[0])
        if self.mode == "music":
            if ch == "%" and not self.pending.startswith('"'):
                self.mode = "comment"
            else:
                self._music(ch)

    def banned(self) -> frozenset[int]:
        return self.mask()[0]

    def mask(self) -> tuple[frozenset[int], torch.Tensor | None]:
        """The banned ids and the same as a row of booleans over the vocabulary (None when none is)."""
        if self.bars is None or self.mode != "music":
            return _NONE
        return self.masks.lookup(self.bars, self.pending)

    def _music(self, ch: str) -> None:
        done, self.pending = _split(self.pending + ch)
        for m in done:
            self.bars.apply(m)
        self.bars.closed.clear()  # the guard needs only the open bar

    def _end_line(self) -> None:
        line, self.line = self.line, ""
        if self.bars is None:
            f = FIELD_LINE.match(line)
            if f and line.startswith("K:"):
                self.bars = BarScanner(fraction(self.header.get("L", "1/8")) or Fraction(1, 8), None)
                self.bars.field("M", self.header.get("M", "none"))
            elif f:
                self.header[f.group(1)] = f.group(2)
            return
        f = body_field(line) if self.mode == "field" and len(line) > 1 else None
        if f:
            self.bars.field(f.group(1), f.group(2))
        elif self.mode == "field":
            self._music(line)  # a note alone on its line, or `A:|`: music after all
        if self.mode != "comment":
            for m in TOKEN.finditer(self.pending):  # a line's end ends the token being written
                self.bars.apply(m)
        self.pending = ""
        self.bars.closed.clear()
        self.mode = "music"
