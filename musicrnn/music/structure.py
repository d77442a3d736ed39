"""The structure of one ABC tune: header, voices, bars, bar lines, repeats and endings.

music21 does the musical parsing (note lengths, tuplets, broken rhythm, keys); what its ABC reader gets wrong
or does not report is found here: where the bar lines are, repeats (`|:`, `:|`, `::`, `:|:`, `||:`),
first/second endings (`|1`, `:|2`, `[1`, `[2`, `[1,3`) and inline fields (`[K:D]`, which music21 reads as a
chord). A small scanner finds those tokens (it skips chord symbols, decorations, grace notes and comments,
and never interprets notes); everything between two bar lines is kept for music21 untouched.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from musicrnn.errors import ABCError
from musicrnn.notation.fields import NON_NOTE_FIELD_LINE, field_value
from musicrnn.notation.tunes import normalize_newlines, tune_label

#: Longest tune text accepted by the checks and renderers (characters). The ~13,000
#: tunes bundled with music21 have a median of 309 characters and a maximum of 2,439.
MAX_ABC_CHARS = 50_000

#: Most passes through one repeated section (`[1`...`[8`); a larger ending number
#: (`[99999`) is treated as this many.
MAX_PASSES = 8

#: Most bars in a tune after expanding repeats; guards against pathological structure.
MAX_PLAYED_BARS = 20_000

_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_ENDING = re.compile(r"\[?(\d+(?:\s*[,-]\s*\d+)*)")
_DECORATION = re.compile(r"!([^!\s|]{1,60})!|\+([^+\s|]{1,60})\+")
_CHORD = re.compile(r"\[[^\]\[|\n]*\]")
_NOTE_CHARS = frozenset("ABCDEFGabcdefgzZx")
#: Fields that change how the following bars sound; they are re-emitted after a jump.
STATE_FIELDS = ("K", "L", "M", "Q")


@dataclass
class BarToken:
    """A bar line (or a standalone ending marker like ` [2`) at `start:end` of the tune text."""

    start: int
    end: int
    text: str
    line: int
    starts_repeat: bool = False
    ends_repeat: bool = False
    section_end: bool = False  # `||`, `|]`, `[|`: a repeat with no `|:` starts after it
    is_bar: bool = True  # False for a standalone ending marker `[2`
    ending: tuple[int, ...] = ()  # ending numbers starting right after this token


@dataclass
class Bar:
    """The music between two bar lines of one voice."""

    voice: str
    index: int
    line: int  # 1-based line of the tune text where the bar starts
    start: int  # offsets of the bar's content in the tune text
    end: int
    items: list = field(default_factory=list)  # ("m", text) music, ("f", letter, value) field
    has_notes: bool = False
    left: BarToken | None = None
    right: BarToken | None = None
    ending: tuple[int, ...] = ()
    state: dict = field(default_factory=dict)  # K/L/M/Q in effect where the bar starts

    @property
    def music(self) -> str:
        return " ".join(it[1].strip() for it in self.items if it[0] == "m" and it[1].strip())


@dataclass
class Tune:
    """A tune split into header and per-voice bars; offsets refer to `text`."""

    text: str
    header_lines: list[str]
    header: dict[str, str]  # first value of each header field letter
    voices: dict[str, list[Bar]]
    voice_defs: dict[str, str]  # voice id -> rest of its header V: line
    body_start: int
    last_token_is_bar: bool
    tokens: list[BarToken]  # all bar tokens, in text order

    @property
    def title(self) -> str | None:
        return self.header.get("T")

    def meter_at(self, bar: Bar) -> str | None:
        """The meter (`M:` value) in effect in `bar`: its own inline or body field, else the header's."""
        return bar.state.get("M", self.header.get("M"))

    def main_bars(self) -> list[Bar]:
        """Bars with notes of the first voice."""
        for bars in self.voices.values():
            return [b for b in bars if b.has_notes]
        return []


def tune_text(abc: str) -> str:
    """`abc` with Unix newlines; ABCError for what is not text."""
    if not isinstance(abc, str):
        raise ABCError(f"ABC must be text, got {type(abc).__name__}")
    return normalize_newlines(abc)


def check_size(abc: str) -> None:
    """ABCError for a tune longer than MAX_ABC_CHARS (refused before any work)."""
    if len(abc) > MAX_ABC_CHARS:
        raise ABCError(
            f"{tune_label(abc[:2000])}: {len(abc):,} characters, more than the "
            f"{MAX_ABC_CHARS:,} a tune may have"
        )


def _voice_id(value: str) -> str:
    parts = value.split()
    return parts[0] if parts else "1"


def _scan_bar(line: str, i: int) -> tuple[int, str] | None:
    """Bar line starting at line[i]: (end index, text), or None."""
    n = len(line)
    j = i
    while j < n:
        c = line[j]
        if c in ":|":
            j += 1
        elif c == "]" and j > i and line[j - 1] == "|":
            j += 1
        elif c == "[" and j + 1 < n and line[j + 1] == "|":
            j += 1
        else:
            break
    run = line[i:j]
    if "|" not in run and run.count(":") < 2:
        return None  # a lone ':' is not a bar line
    return j, run


def parse_tune(abc: str) -> Tune:
    """Split one tune into header and bars (structure only; no music21)."""
    text = tune_text(abc)
    lines = text.split("\n")
    offsets = []
    pos = 0
    for ln in lines:
        offsets.append(pos)
        pos += len(ln) + 1

    # Header: leading field, comment and blank lines, up to and including the first K:.
    header_end = 0
    for k, ln in enumerate(lines):
        if ln.startswith("K:"):
            header_end = k + 1
            break
        if NON_NOTE_FIELD_LINE.match(ln) or ln.startswith("%") or not ln.strip():
            header_end = k + 1
            continue
        break
    header_lines = lines[:header_end]
    header: dict[str, str] = {}
    voice_defs: dict[str, str] = {}
    for ln in header_lines:
        m = NON_NOTE_FIELD_LINE.match(ln)
        if m:
            header.setdefault(m.group(1), field_value(m.group(2)))
            if m.group(1) == "V":
                vid = _voice_id(m.group(2))
                voice_defs.setdefault(vid, m.group(2).strip()[len(vid):].strip())
    state = {f: header[f] for f in STATE_FIELDS if f in header}

    voice = next(iter(voice_defs), "1")
    builders: dict[str, _BarBuilder] = {}
    tokens: list[BarToken] = []

    def builder() -> _BarBuilder:
        if voice not in builders:
            builders[voice] = _BarBuilder(voice, dict(state))
        return builders[voice]

    last_is_bar = False
    for k in range(header_end, len(lines)):
        ln = lines[k]
        base = offsets[k]
        lineno = k + 1
        if ln.startswith("%"):
            continue
        m = NON_NOTE_FIELD_LINE.match(ln)
        if m:
            letter, value = m.group(1), field_value(m.group(2))
            if letter == "V":
                voice = _voice_id(value)
                continue
            if letter in STATE_FIELDS:  # lyrics, titles, parts...: text, not music
                builder().add_field(letter, value, lineno, base)
                state[letter] = value
            continue
        i = 0
        n = len(ln)
        run_start = 0

        def flush(upto: int) -> None:
            if upto > run_start:
                builder().add_music(ln[run_start:upto], lineno, base + run_start)

        while i < n:
            c = ln[i]
            if c == "%":
                break
            if c == '"':
                j = ln.find('"', i + 1)
                i = n if j < 0 else j + 1
                continue
            if c in "!+":
                d = _DECORATION.match(ln, i)
                i = d.end() if d else i + 1
                continue
            if c == "{":
                j = ln.find("}", i + 1)
                i = i + 1 if j < 0 else j + 1
                continue
            if c == "[":
                f = _INLINE_FIELD.match(ln, i)
                if f:
                    flush(i)
                    letter, value = f.group(1), f.group(2).strip()
                    if letter == "V":
                        voice = _voice_id(value)
                    elif letter in STATE_FIELDS:
                        builder().add_field(letter, value, lineno, base + i)
                        state[letter] = value
                    i = run_start = f.end()
                    continue
                if i + 1 < n and ln[i + 1].isdigit():
                    e = _ENDING.match(ln, i)
                    flush(i)
                    tok = BarToken(base + i, base + e.end(), e.group(0), lineno, is_bar=False,
                                   ending=_ending_numbers(e.group(1)))
                    tokens.append(tok)
                    builder().add_token(tok)
                    i = run_start = e.end()
                    last_is_bar = False
                    continue
                if not (i + 1 < n and ln[i + 1] == "|"):
                    ch = _CHORD.match(ln, i)
                    if ch:
                        if any(x in _NOTE_CHARS for x in ch.group(0)):
                            builder().saw_note()
                        last_is_bar = False
                        i = ch.end()
                    else:
                        i += 1
                    continue
            if c in "|:[":
                b = _scan_bar(ln, i)
                if b:
                    j, run = b
                    flush(i)
                    ending: tuple[int, ...] = ()
                    if run.endswith("|"):
                        e = _ENDING.match(ln, j)
                        if e and (ln[j].isdigit() or ln[j] == "["):
                            ending = _ending_numbers(e.group(1))
                            j = e.end()
                    head = run.split("|", 1)[0] if "|" in run else run
                    tok = BarToken(
                        base + i, base + j, ln[i:j], lineno,
                        starts_repeat=run.endswith(":"),
                        ends_repeat=head.startswith(":") or ("|" not in run),
                        section_end=("||" in run or "|]" in run or "[|" in run),
                        ending=ending,
                    )
                    tokens.append(tok)
                    builder().add_token(tok)
                    i = run_start = j
                    last_is_bar = True
                    continue
            if c in _NOTE_CHARS:
                builder().saw_note()
            if not c.isspace() and c != "\\":
                last_is_bar = False
            i += 1
        flush(i)  # i is at a % comment or the end of the line

    voices = {vid: b.finish() for vid, b in builders.items()}
    return Tune(text, header_lines, header, voices, voice_defs,
                offsets[header_end] if header_end < len(offsets) else len(text),
                last_is_bar, tokens)


def _ending_numbers(spec: str) -> tuple[int, ...]:
    nums: list[int] = []
    for part in re.split(r"\s*,\s*", spec.strip()):
        if "-" in part:
            a, _, b = part.partition("-")
            lo, hi = int(a), int(b)
            nums.extend(range(lo, min(hi, lo + MAX_PASSES) + 1))
        elif part:
            nums.append(int(part))
    return tuple(min(x, MAX_PASSES + 1) for x in nums)


class _BarBuilder:
    """Collects one voice's music, fields and bar tokens into Bars."""

    def __init__(self, voice: str, state: dict):
        self.voice = voice
        self.state = state
        self.bars: list[Bar] = []
        self.cur = Bar(voice, 0, 0, -1, -1, state=dict(state))
        self.last_line = 0

    def _touch(self, line: int, off: int) -> None:
        if self.cur.start < 0:
            self.cur.start, self.cur.line = off, line

    def add_music(self, text: str, line: int, off: int) -> None:
        if self.cur.items and line != self.last_line:
            # keep the line break: music21 reads some stray symbols at a line end
            # differently from the same symbols run into the next line
            self.cur.items.append(("m", "\n"))
        self.last_line = line
        if not text.strip():
            if self.cur.items:
                self.cur.items.append(("m", " "))
            return
        self._touch(line, off)
        self.cur.items.append(("m", text))
        self.cur.end = off + len(text)

    def saw_note(self) -> None:
        self.cur.has_notes = True

    def add_field(self, letter: str, value: str, line: int, off: int) -> None:
        self._touch(line, off)
        self.cur.items.append(("f", letter, value))
        if not self.cur.has_notes:
            self.cur.state[letter] = value
        self.state[letter] = value

    def add_token(self, tok: BarToken) -> None:
        cur = self.cur
        if not cur.has_notes:
            # No music since the last token (line start, `| [2`, `:| |:`): merge into it.
            if tok.ends_repeat and self.bars and self.bars[-1].right is not None:
                self.bars[-1].right = dataclasses.replace(self.bars[-1].right, ends_repeat=True)
            if cur.left is None:
                cur.left = tok
            else:  # keep the position of the token that opens a repeat (repair edits it)
                old = cur.left
                cur.left = dataclasses.replace(
                    tok if tok.starts_repeat else old,
                    starts_repeat=old.starts_repeat or tok.starts_repeat,
                    ends_repeat=old.ends_repeat or tok.ends_repeat,
                    section_end=old.section_end or tok.section_end,
                    is_bar=old.is_bar or tok.is_bar,
                    ending=tok.ending or old.ending,
                )
            if tok.ending:
                cur.ending = tok.ending
            return
        if not tok.is_bar:  # `A [2 B`: an ending marker in mid-bar also closes the bar
            tok = dataclasses.replace(tok, is_bar=True)
        cur.right = tok
        self.bars.append(cur)
        self.cur = Bar(self.voice, len(self.bars), 0, -1, -1, left=tok,
                       ending=tok.ending, state=dict(self.state))

    def finish(self) -> list[Bar]:
        if self.cur.has_notes or (self.cur.items and not self.bars):
            self.bars.append(self.cur)
        for k, b in enumerate(self.bars):
            b.index = k
        return self.bars


# ----------------------------------------------------------------------------- play order
