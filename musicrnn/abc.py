"""ABC checks and repair: is a tune playable as written, where is it wrong, and an opt-in fix.

music21 does the musical parsing (note lengths, tuplets, broken rhythm, keys); this module
adds what music21's ABC reader gets wrong or does not report: where the bar lines are,
repeats (`|:`, `:|`, `::`, `:|:`, `||:`), first/second endings (`|1`, `:|2`, `[1`, `[2`,
`[1,3`), inline fields (`[K:D]`, which music21 reads as a chord), and the order in which
bars sound. A small scanner finds those structural tokens (it skips chord symbols,
decorations, grace notes and comments, and never interprets notes); everything between
two bar lines is handed to music21 untouched.

The same structure feeds the renderer: `playback_abc` writes the tune with repeats
expanded (bars in the order they sound) and `notation_abc` writes it with bar lines in
the spellings music21 reads correctly, so both paths avoid music21's repeat bugs. Text
handed to music21 also gets `%abc-2.1` (accidentals last to the end of the bar, as every
player does; music21 reads unversioned ABC as 1.3 where they do not) and a few
meaning-preserving rewrites where music21 would silently drop notes (`H` fermata, `">"`
annotations, letters that are not ABC).

Everything here runs music21 in-process; the app and CLI call these through
`musicrnn.isolate`, which adds a time limit and a separate process.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator

from musicrnn.errors import ABCError

#: Longest tune text accepted by the checks and renderers (characters). The ~13,000
#: tunes bundled with music21 have a median of 309 characters and a maximum of 2,439.
MAX_ABC_CHARS = 50_000

#: Most passes through one repeated section (`[1`...`[8`); a larger ending number
#: (`[99999`) is treated as this many.
MAX_PASSES = 8

#: Most bars in a tune after expanding repeats; guards against pathological structure.
MAX_PLAYED_BARS = 20_000

# Field lines: an uppercase letter, or a lowercase one that is not a note (a-g), then ':'.
_FIELD_LINE = re.compile(r"^([A-Zh-wy+]):(.*)$")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_ENDING = re.compile(r"\[?(\d+(?:\s*[,-]\s*\d+)*)")
_DECORATION = re.compile(r"!([^!\s|]{1,60})!|\+([^+\s|]{1,60})\+")
_CHORD = re.compile(r"\[[^\]\[|\n]*\]")
_NOTE_CHARS = frozenset("ABCDEFGabcdefgzZx")
# Fields that change how the following bars sound; they are re-emitted after a jump.
_STATE_FIELDS = ("K", "L", "M", "Q")


# ----------------------------------------------------------------------------- structure


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

    def main_bars(self) -> list[Bar]:
        """Bars with notes of the first voice."""
        for bars in self.voices.values():
            return [b for b in bars if b.has_notes]
        return []


def tune_label(abc: str) -> str:
    """A short human name for a tune, for error messages: `"Title" (X:3)`."""
    x = re.search(r"^X:\s*(\S*)", abc, re.M)
    t = re.search(r"^T:\s*(.*)$", abc, re.M)
    title = t.group(1).strip()[:60] if t else ""
    if title:
        return f'"{title}"' + (f" (X:{x.group(1)[:12]})" if x else "")
    return f"X:{x.group(1)[:12]}" if x else "untitled tune"


def _normalize(abc: str) -> str:
    if not isinstance(abc, str):
        raise ABCError(f"ABC must be text, got {type(abc).__name__}")
    return abc.replace("\r\n", "\n").replace("\r", "\n")


def _check_size(abc: str) -> None:
    if len(abc) > MAX_ABC_CHARS:
        raise ABCError(
            f"{tune_label(abc[:2000])}: {len(abc):,} characters, more than the "
            f"{MAX_ABC_CHARS:,} a tune may have"
        )


def _field_value(raw: str) -> str:
    """A field's value without a trailing % comment."""
    return raw.split("%", 1)[0].strip() if "%" in raw and '"' not in raw else raw.strip()


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
    text = _normalize(abc)
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
        if _FIELD_LINE.match(ln) or ln.startswith("%") or not ln.strip():
            header_end = k + 1
            continue
        break
    header_lines = lines[:header_end]
    header: dict[str, str] = {}
    voice_defs: dict[str, str] = {}
    for ln in header_lines:
        m = _FIELD_LINE.match(ln)
        if m:
            header.setdefault(m.group(1), _field_value(m.group(2)))
            if m.group(1) == "V":
                vid = _voice_id(m.group(2))
                voice_defs.setdefault(vid, m.group(2).strip()[len(vid):].strip())
    state = {f: header[f] for f in _STATE_FIELDS if f in header}

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
        m = _FIELD_LINE.match(ln)
        if m:
            letter, value = m.group(1), _field_value(m.group(2))
            if letter == "V":
                voice = _voice_id(value)
                continue
            if letter in _STATE_FIELDS:  # lyrics, titles, parts...: text, not music
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
                    elif letter in _STATE_FIELDS:
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


def _ending_extent(bars: list[Bar], i: int) -> int:
    """Last bar index of the ending that starts at bar i."""
    k = i
    while k < len(bars) - 1:
        b = bars[k]
        if b.right is not None and (b.right.ends_repeat or b.right.section_end):
            return k
        if bars[k + 1].ending or (bars[k + 1].left and bars[k + 1].left.starts_repeat):
            return k
        k += 1
    return k


def _ending_groups(bars: list[Bar]) -> tuple[dict[int, int], dict[int, int], dict[int, bool]]:
    """For each bar inside an ending: the group's start, highest number, and whether it repeats."""
    owner: dict[int, int] = {}
    gmax: dict[int, int] = {}
    grep: dict[int, bool] = {}
    i = 0
    while i < len(bars):
        if not bars[i].ending:
            i += 1
            continue
        group_start = i
        members = []
        while i < len(bars) and bars[i].ending:
            end = _ending_extent(bars, i)
            members.append((i, end))
            i = end + 1
        top = max(max(bars[s].ending) for s, _ in members)
        repeats = any(bars[k].right is not None and bars[k].right.ends_repeat
                      for s, e in members for k in range(s, e + 1))
        for s, e in members:
            for k in range(s, e + 1):
                owner[k] = s
                gmax[k] = top
                grep[k] = repeats
    return owner, gmax, grep


def play_order(bars: list[Bar]) -> list[int]:
    """Indices of `bars` in the order they sound, with repeats and endings expanded.

    A `:|` without `|:` goes back to the start of the tune or to the end of the previous
    section (`||`, `|]`, or an earlier `:|`). Endings are played on the passes they list;
    the number of passes is the highest ending number (2 without endings).
    """
    order: list[int] = []
    owner, gmax, grep = _ending_groups(bars)
    start, passno, i, n = 0, 1, 0, len(bars)
    budget = min(MAX_PLAYED_BARS, MAX_PASSES * (n + 1) + 16)
    while i < n and len(order) < budget:
        b = bars[i]
        if b.left is not None and b.left.starts_repeat and i != start:
            start, passno = i, 1
        if b.ending and i in owner and grep[i] and passno not in b.ending:
            i = _ending_extent(bars, i) + 1
            continue
        order.append(i)
        r = b.right
        if r is not None and r.ends_repeat:
            passes = max(2, min(gmax.get(i, 2), MAX_PASSES))
            if passno < passes:
                passno += 1
                i = start
                continue
            start, passno = i + 1, 1
        elif r is not None and r.section_end and i not in owner:
            start, passno = i + 1, 1
        i += 1
    return order


# ----------------------------------------------------------------------------- text for music21


# Text music21 must not see rewritten as notes: strings, !decorations!, +decorations+.
_PROTECTED = re.compile(r'"[^"\n]*"?|![^!\s|]{1,60}!|\+[^+\s|]{1,60}\+')
# Letters that are not ABC; music21 reads each as a made-up note C.
_NOT_ABC = str.maketrans("", "", "JWXYjpq\\")
# A slur's '(' (a tuplet's '(' is followed by a digit) and ')'.
_SLUR = re.compile(r"\((?!\d)|\)")
_LABEL_ENDING = re.compile(r"\[(?=\")")  # `["Coda"`: a variant ending named by text


def _music21_fixups(text: str, *, sound_only: bool) -> str:
    """Rewrite bar content where music21 would silently drop notes or fail.

    `H` (fermata) and a `">..."` annotation swallow the next note; a `"^..."` annotation
    before a chord fails; letters that are not ABC become invented notes; `["Coda"` is
    read as a broken chord. With `sound_only` (playback and bar lengths), strings,
    decorations and slurs go too: they change no note, and music21 spends time
    quadratic in the tune's length on slurs when there are no measures.
    """
    out: list[str] = []
    pos = 0
    text = _LABEL_ENDING.sub("", text)

    def plain(seg: str) -> str:
        seg = seg.translate(_NOT_ABC)
        if sound_only:
            return _SLUR.sub("", seg.replace("H", ""))
        return seg.replace("H", "!fermata!")

    for m in _PROTECTED.finditer(text):
        out.append(plain(text[pos:m.start()]))
        seg = m.group(0)
        if sound_only:
            seg = " "
        elif seg[:2] in ('">', '"<'):
            seg = '"^' + seg[2:]
        if seg[:2] in ('"^', '"_', '"@') and text[m.end():m.end() + 1] == "[":
            seg = ""  # music21 fails on a placed annotation before a chord
        out.append(seg)
        pos = m.end()
    out.append(plain(text[pos:]))
    return "".join(out)


def _items_text(items: list, *, sound_only: bool = False) -> str:
    """Bar content for music21: inline fields become field lines (music21 ignores `[K:D]`)."""
    out: list[str] = []
    for it in items:
        if it[0] == "m":
            out.append(_music21_fixups(it[1], sound_only=sound_only))
        else:
            out.append(f"\n{it[1]}:{it[2]}\n")
    return "".join(out)


_VERSION_LINE = re.compile(r"^%abc-\d+(?:\.\d+)*", re.M)
_ABC21 = "%abc-2.1\n"


def _header_text(tune: Tune) -> str:
    """Header field lines for music21: V: definitions move to the voices, K: goes last.

    A `%abc-2.1` line comes first unless the tune names its own version: music21 reads
    unversioned ABC as 1.3 and then does not carry an accidental to the end of the bar,
    which every player (and the 2.1 standard) does.
    """
    version = _VERSION_LINE.search(tune.text)
    lines = [version.group(0) if version else _ABC21.strip()]
    for ln in tune.header_lines:
        if _FIELD_LINE.match(ln) and ln[:2] not in ("V:", "K:"):
            lines.append(ln)
    if not any(ln.startswith("X:") for ln in lines):
        lines.insert(1, "X:1")
    if "L" not in tune.header:  # music21 fails without L: and M:; this is ABC's default
        lines.append("L:" + _default_unit(tune.header.get("M")))
    lines.append("K:" + tune.header.get("K", "C"))
    return "\n".join(lines) + "\n"


def _voice_blocks(tune: Tune) -> list[tuple[str, str, list[Bar]]]:
    """(music21 voice id, header definition, bars) per voice with notes."""
    blocks = []
    for vid, bars in tune.voices.items():
        if any(b.has_notes for b in bars):
            blocks.append((str(len(blocks) + 1), tune.voice_defs.get(vid, ""), bars))
    return blocks


def _state_restore(current: dict, wanted: dict) -> str:
    return "".join(f"\n{k}:{wanted[k]}\n" for k in _STATE_FIELDS
                   if k in wanted and current.get(k) != wanted[k])


def playback_abc(abc: str) -> str:
    """The tune with repeats and endings expanded, in plain bars music21 plays correctly.

    Bars are separated by `||`: music21 resets accidentals there as at `|`, but makes no
    measures from double bars, so it never re-bars an overfull bar (its reBar hangs on a
    bar like `A99999`, looking for a time signature that fits).
    """
    tune = parse_tune(abc)
    out = [_header_text(tune)]
    blocks = _voice_blocks(tune)
    for vid, vdef, bars in blocks:
        if len(blocks) > 1:
            out.append(f"V:{vid} {vdef}".rstrip() + "\n")
        cur = dict(bars[0].state) if bars else {}
        prev = None
        count = 0
        for i in play_order(bars):
            b = bars[i]
            if prev is not None and i != prev + 1:
                out.append(_state_restore(cur, b.state))
                cur.update(b.state)
            for it in b.items:
                if it[0] == "f":
                    cur[it[1]] = it[2]
            out.append(_items_text(b.items, sound_only=True).strip(" ") + " ||")
            count += 1
            out.append("\n" if count % 8 == 0 else " ")
            prev = i
        out.append("\n")
    return "".join(out)


def notation_abc(abc: str) -> str:
    """The tune as written, with bar lines in spellings music21 reads correctly.

    music21 drops music after `::`, loses the repeat in `||:` and `:|:`, fails on `[3`,
    and ignores inline fields; this writes `:| |:`, `|:`, `[1`/`[2` and field lines.
    """
    tune = parse_tune(abc)
    out = [_header_text(tune)]
    blocks = _voice_blocks(tune)
    for vid, vdef, bars in blocks:
        if len(blocks) > 1:
            out.append(f"V:{vid} {vdef}".rstrip() + "\n")
        for k, b in enumerate(bars):
            left = b.left
            prev_right = bars[k - 1].right if k else None
            sep = ""
            if k == 0 and left is not None and left.starts_repeat:
                sep = "|:"
            elif k > 0:
                if prev_right is not None and prev_right.ends_repeat:
                    sep = ":|"
                elif prev_right is not None and "|]" in prev_right.text:
                    sep = "|]"
                elif prev_right is not None and prev_right.section_end:
                    sep = "||"
                else:
                    sep = "|"
                if left is not None and left.starts_repeat:
                    sep = ":| |:" if sep == ":|" else "|:"
            if b.ending:  # music21 knows only first and second endings
                sep += "[1 " if b.ending[0] == 1 else "[2 "
            out.append(sep + _items_text(b.items).strip(" "))
            if (k + 1) % 8 == 0:
                out.append("\n")
        if bars:
            r = bars[-1].right
            if r is not None:
                out.append(":|" if r.ends_repeat else "|]" if "|]" in r.text
                           else "||" if r.section_end else "|")
        out.append("\n")
    return "".join(out)


def _durations_abc(tune: Tune, bars: list[Bar], upto: int | None = None) -> str:
    """Bars without bar lines, each preceded by a marker tempo `Q:1/4=MARK+i`.

    music21 places each tempo mark at the offset where it occurs, so consecutive marks
    give each bar's length as music21 reads it (tuplets, broken rhythm, L: changes), with
    no bar lines for music21 to re-bar or drop.
    """
    out = [_header_text(tune)]
    sel = bars if upto is None else bars[:upto]
    for k, b in enumerate(sel):
        out.append(f"Q:1/4={_MARK + k}\n{_items_text(b.items, sound_only=True).strip()}\n")
    out.append(f"Q:1/4={_MARK + len(sel)}\n")
    return "".join(out)


_MARK = 1_000_000


# ----------------------------------------------------------------------------- check


def meter_length(meter: str | None) -> Fraction | None:
    """Bar length in whole notes of an M: value (`6/8` -> 3/4, `C`, `C|` -> 1); None if free."""
    if meter is None:
        return None
    m = meter.strip()
    if m in ("C", "c"):
        return Fraction(1)
    if m in ("C|", "c|"):
        return Fraction(1)
    mm = re.match(r"^\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*/\s*(\d+)", m)
    if not mm:
        return None
    num = sum(int(x) for x in re.split(r"\s*\+\s*", mm.group(1)))
    den = int(mm.group(2))
    if num <= 0 or den <= 0:
        return None
    return Fraction(num, den)


@dataclass
class BarIssue:
    """A bar whose length does not match the meter."""

    bar: int  # 1-based, counting bars with notes in the first voice
    line: int  # 1-based line in the tune text
    text: str
    length: str  # in whole notes, e.g. "7/8"
    expected: str


@dataclass
class CheckReport:
    """What `check_tune` found; `score` ranks candidates (1 = clean, complete tune)."""

    title: str | None
    parses: bool
    error: str | None = None
    error_line: int | None = None
    error_text: str | None = None
    meter: str | None = None
    unit_length: str | None = None
    key: str | None = None
    bars: int = 0
    bad_bars: list[BarIssue] = field(default_factory=list)
    open_repeats: list[int] = field(default_factory=list)  # lines of `|:` never closed
    ended: bool = False
    ended_inferred: bool = True
    voices: int = 0
    notes: int = 0
    warnings: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def ok(self) -> bool:
        return self.parses and not self.bad_bars and not self.open_repeats and self.bars > 0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["ok"] = self.ok
        return d


def _open_repeats(bars: list[Bar]) -> list[int]:
    """Lines of `|:` tokens with no `:|` before the next `|:` or the end of the voice."""
    open_at: int | None = None
    found: list[int] = []
    for b in bars:
        if b.left is not None and b.left.starts_repeat:
            if open_at is not None:
                found.append(open_at)
            open_at = b.left.line
        if b.right is not None and b.right.ends_repeat:
            open_at = None
    if open_at is not None:
        found.append(open_at)
    return found


def _parse_music21(text: str):
    """music21's reading of our text; if it fails in ABC 2.1 mode (see _header_text), its
    default 1.3 reading is tried before giving up (music21's 2.1 accidental bookkeeping
    fails on some stray '=')."""
    from music21 import converter

    try:
        return converter.parse(text, format="abc")
    except Exception:
        if not text.startswith(_ABC21):
            raise
        try:
            return converter.parse(text[len(_ABC21):], format="abc")
        except Exception:
            pass
        raise


def _music21_bar_lengths(tune: Tune, bars: list[Bar]) -> tuple[list[Fraction | None], int]:
    """Length (whole notes) of each bar as music21 reads it, and the number of notes."""
    from music21 import harmony, tempo

    score = _parse_music21(_durations_abc(tune, bars))
    flat = score.flatten()
    offsets: dict[int, Fraction] = {}
    for mm in flat.getElementsByClass(tempo.MetronomeMark):
        num = mm.number
        if num is not None and num >= _MARK:
            offsets.setdefault(int(num) - _MARK, Fraction(mm.offset).limit_denominator(100000))
    lengths: list[Fraction | None] = []
    for k in range(len(bars)):
        a, b = offsets.get(k), offsets.get(k + 1)
        lengths.append(None if a is None or b is None else (b - a) / 4)
    notes = sum(1 for n in flat.notes if not isinstance(n, harmony.Harmony))
    return lengths, notes


def _locate_error(tune: Tune, bars: list[Bar]) -> tuple[int | None, str | None]:
    """First bar whose addition makes music21 fail (binary search): its line and text."""
    lo, hi = 0, len(bars)  # invariant: prefix lo parses, prefix hi fails
    try:
        _parse_music21(_durations_abc(tune, bars, 0))
    except Exception:
        return None, None  # the header alone fails; the caller reports the K:/M:/L: line
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            _parse_music21(_durations_abc(tune, bars, mid))
            lo = mid
        except Exception:
            hi = mid
    b = bars[hi - 1] if hi >= 1 else None
    if b is None:
        return None, None
    return b.line, tune.text.split("\n")[b.line - 1] if b.line >= 1 else None


def _header_error_line(tune: Tune) -> tuple[int | None, str | None]:
    for k, ln in enumerate(tune.header_lines):
        if ln[:2] in ("K:", "M:", "L:"):
            others = "".join(f"{f}:{v}\n" for f, v in (("L", "1/8"), ("M", "4/4"))
                             if not ln.startswith(f + ":"))
            text = f"X:1\n{others}{ln}\n" + ("" if ln.startswith("K:") else "K:C\n") + "C|\n"
            try:
                _parse_music21(text)
            except Exception:
                return k + 1, ln
    return None, None


def _ok_partners(i: int, bars: list[Bar], order: list[int]) -> set[int]:
    """Bars that may hold the other half of bar i when i is split at a repeat or section."""
    partners: set[int] = set()
    b = bars[i]
    if i > 0 and b.left is not None and (b.left.text.strip("|") or b.ending or b.left.section_end):
        partners.add(i - 1)
    if i + 1 < len(bars) and b.right is not None and (
        b.right.text.strip("|") or b.right.section_end or bars[i + 1].ending
    ):
        partners.add(i + 1)
    for k in range(len(order) - 1):
        if order[k] == i:
            partners.add(order[k + 1])
        if order[k + 1] == i:
            partners.add(order[k])
    if b.right is not None and (b.right.ends_repeat or b.right.section_end):
        # back to the start of the section: the pickup before or after its `|:`
        for k in range(i, -1, -1):
            if bars[k].left is not None and (bars[k].left.starts_repeat or
                                            (k and bars[k - 1].right is not None
                                             and bars[k - 1].right.section_end)):
                partners.update({k, k - 1} if k else {k})
                break
        partners.add(0)
    partners.discard(i)
    return {p for p in partners if 0 <= p < len(bars)}


def check_tune(abc: str, *, ended: bool | None = None) -> CheckReport:
    """Check one ABC tune: music21 parse, header, bar lengths, repeats, ending.

    `ended` tells whether the sampler stopped at end-of-tune (True) or at its length limit
    (False); None infers it from the text (a tune that stops on a bar line ended).
    Raises ABCError for text longer than MAX_ABC_CHARS.
    """
    abc = _normalize(abc)
    _check_size(abc)
    tune = parse_tune(abc)
    rep = CheckReport(title=tune.title, parses=False)
    rep.meter = tune.header.get("M")
    rep.unit_length = tune.header.get("L")
    rep.key = tune.header.get("K")
    for letter, name in (("K", "key (K:)"), ("M", "meter (M:)"), ("L", "unit length (L:)")):
        if letter not in tune.header:
            rep.warnings.append(f"no {name} field")
    blocks = _voice_blocks(tune)
    rep.voices = len(blocks)
    bars_all = blocks[0][2] if blocks else []
    bars = [b for b in bars_all if b.has_notes]
    rep.bars = len(bars)
    rep.ended = tune.last_token_is_bar if ended is None else bool(ended)
    rep.ended_inferred = ended is None
    for _, _, vb in blocks:
        rep.open_repeats.extend(_open_repeats(vb))
    if not bars:
        rep.error = "no notes found"
        rep.score = 0.0
        return rep
    try:
        lengths, rep.notes = _music21_bar_lengths(tune, bars)
        rep.parses = True
    except Exception as e:  # music21 raises many types on bad ABC
        rep.error = f"{type(e).__name__}: {e}"[:500]
        line, text = _header_error_line(tune)
        if line is None:
            line, text = _locate_error(tune, bars)
        rep.error_line, rep.error_text = line, text
        rep.score = 0.0
        return rep

    # Bar lengths against the meter in effect at each bar.
    order = play_order(bars)
    for i, b in enumerate(bars):
        want = meter_length(b.state.get("M", rep.meter))
        got = lengths[i]
        if want is None or got is None or got == want or got == 0:
            continue
        if got < want:
            if i == 0 or i == len(bars) - 1:
                continue  # pickup, or final partial bar
            if any(lengths[p] is not None and got + lengths[p] == want
                   for p in _ok_partners(i, bars, order)):
                continue
        rep.bad_bars.append(BarIssue(i + 1, b.line, b.music[:80], str(got), str(want)))
    if meter_length(rep.meter) is None and rep.meter not in (None,):
        rep.warnings.append(f"meter {rep.meter!r} is free or unknown; bar lengths not checked")
    rep.score = _score(rep)
    return rep


def _score(rep: CheckReport) -> float:
    if not rep.parses or rep.bars == 0:
        return 0.0
    bar_ok = 1.0 - len(rep.bad_bars) / rep.bars
    header = sum(x is not None for x in (rep.meter, rep.unit_length, rep.key)) / 3
    s = (0.45 * bar_ok + 0.2 * rep.ended + 0.15 * (not rep.open_repeats)
         + 0.1 * header + 0.1 * min(rep.bars, 8) / 8)
    return round(max(0.0, min(1.0, s)), 4)


# ----------------------------------------------------------------------------- repair


@dataclass
class RepairResult:
    """A repaired tune: new text, what changed (one line each), and a unified diff."""

    text: str
    changes: list[str]
    diff: str

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["changed"] = self.changed
        return d


def _default_unit(meter: str | None) -> str:
    """ABC's default L: (1/16 below 3/4, else 1/8), written out so meaning is unchanged."""
    m = meter_length(meter)
    return "1/16" if m is not None and m < Fraction(3, 4) else "1/8"


def _fix_header(text: str, changes: list[str]) -> str:
    lines = text.split("\n")
    tune = parse_tune(text)
    n_header = len(tune.header_lines)
    k_at = next((k for k, ln in enumerate(lines[:n_header]) if ln.startswith("K:")), None)
    insert_at = k_at if k_at is not None else n_header
    if "X" not in tune.header:
        lines.insert(0, "X:1")
        changes.append("added X:1 (reference number) at the top")
        insert_at += 1
    if "L" not in tune.header:
        unit = _default_unit(tune.header.get("M"))
        lines.insert(insert_at, f"L:{unit}")
        changes.append(f"added L:{unit} (ABC's default unit length for this meter)")
        insert_at += 1
    if k_at is None:
        lines.insert(insert_at, "K:C")
        changes.append("added K:C (no key given) to end the header")
    return "\n".join(lines)


def _bar_length_ok(tune: Tune, bars: list[Bar], i: int) -> bool | None:
    try:
        lengths, _ = _music21_bar_lengths(tune, bars)
    except Exception:
        return None
    want = meter_length(bars[i].state.get("M", tune.header.get("M")))
    if want is None or lengths[i] is None:
        return None
    return lengths[i] == want


def _fix_trailing_bar(text: str, changes: list[str], ended: bool | None) -> str:
    tune = parse_tune(text)
    if tune.last_token_is_bar and ended is not False:
        return text
    blocks = _voice_blocks(tune)
    if not blocks:
        return text
    # the bar at the end of the text belongs to the voice whose last bar ends latest
    vbars = max((b for _, _, b in blocks), key=lambda bs: bs[-1].end if bs else -1)
    bars = [b for b in vbars if b.has_notes]
    if not bars:
        return text
    last = bars[-1]
    if last.right is not None:
        return text  # ends on a bar line (ended=False but nothing was cut mid-bar)
    full = _bar_length_ok(tune, bars, len(bars) - 1)
    if full or ended is True or len(bars) == 1:
        changes.append(f"line {last.line}: added a final bar line after the last bar")
        return text.rstrip() + " |]\n"
    kept = text[:last.start].rstrip()
    changes.append(f"line {last.line}: dropped the trailing incomplete bar {last.music[:40]!r}")
    return kept + "\n"


def _fix_open_repeats(text: str, changes: list[str]) -> str:
    for _ in range(50):  # one repeat per pass; bounded
        tune = parse_tune(text)
        edit = None
        for _, _, bars in _voice_blocks(tune):
            edit = _close_first_open_repeat(bars, text)
            if edit:
                break
        if not edit:
            return text
        start, end, new, line, msg = edit
        text = text[:start] + new + text[end:]
        changes.append(f"line {line}: {msg}")
    return text


def _close_first_open_repeat(bars: list[Bar], text: str):
    open_bar: int | None = None
    for k, b in enumerate(bars):
        if b.left is not None and b.left.starts_repeat:
            if open_bar is not None and k > open_bar:
                tok = b.left
                return (tok.start, tok.end, "::", tok.line,
                        f"closed the repeat opened on line {bars[open_bar].left.line}: "
                        f"{tok.text!r} -> '::'")
            open_bar = k
        if b.right is not None and b.right.ends_repeat:
            open_bar = None
            continue
        if open_bar is not None and b.right is not None and b.right.section_end and b.right.is_bar:
            tok = b.right
            new = _closing_text(tok)
            return (tok.start, tok.end, new, tok.line,
                    f"closed the repeat opened on line {bars[open_bar].left.line}: "
                    f"{tok.text!r} -> {new!r}")
    if open_bar is None:
        return None
    last = bars[-1]
    if last.right is not None and last.right.is_bar:
        tok = last.right
        new = _closing_text(tok)
        return (tok.start, tok.end, new, tok.line,
                f"closed the repeat opened on line {bars[open_bar].left.line}: "
                f"{tok.text!r} -> {new!r}")
    end = last.end if last.end >= 0 else len(text)
    return (end, end, " :|", last.line,
            f"closed the repeat opened on line {bars[open_bar].left.line}: added ':|' at the end")


def _closing_text(tok: BarToken) -> str:
    """`tok` rewritten to end a repeat, keeping a repeat it opens and an ending it starts."""
    new = "::" if tok.starts_repeat else ":|"
    m = re.search(r"\[?\d", tok.text)
    return new + (tok.text[m.start():] if m else "")


def repair_tune(abc: str, *, ended: bool | None = None) -> RepairResult:
    """Opt-in repair, every change listed: add missing X:/L:/K:, drop a trailing incomplete
    bar (or close a complete one with `|]`), close repeats left open.

    `ended=False` (sampler hit its length limit) makes the last bar suspect even if the
    text happens to stop on a bar line.
    """
    original = _normalize(abc)
    _check_size(original)
    changes: list[str] = []
    text = _fix_header(original, changes)
    text = _fix_trailing_bar(text, changes, ended)
    text = _fix_open_repeats(text, changes)
    if not text.endswith("\n") and original.endswith("\n"):
        text += "\n"
    a = original if original.endswith("\n") else original + "\n"
    b = text if text.endswith("\n") else text + "\n"
    diff = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                        "original", "repaired"))
    return RepairResult(text if changes else original, changes, diff if changes else "")


# ----------------------------------------------------------------------------- files


def split_tunes(text: str) -> list[str]:
    """Split a multi-tune ABC file at `X:` lines (what comes before the first is dropped).

    Text with no `X:` line is returned whole, as one tune, when it is not blank.
    """
    text = _normalize(text)
    tunes: list[str] = []
    cur: list[str] | None = None
    for ln in text.split("\n"):
        if ln.startswith("X:"):
            if cur is not None:
                tunes.append("\n".join(cur).strip() + "\n")
            cur = [ln]
        elif cur is not None:
            cur.append(ln)
    if cur is not None:
        tunes.append("\n".join(cur).strip() + "\n")
    if not tunes and text.strip():
        tunes.append(text.strip() + "\n")
    return tunes


def iter_bars(abc: str) -> Iterator[Bar]:
    """Bars with notes of the first voice, in written order (for displays and tests)."""
    yield from parse_tune(abc).main_bars()
