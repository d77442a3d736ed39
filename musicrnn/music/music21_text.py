"""Text handed to music21, written from a tune's structure so that music21 reads it as every player does.

`playback_abc` writes the tune with repeats expanded (bars in the order they sound) and `notation_abc` with
bar lines in the spellings music21 reads correctly, so both avoid music21's repeat bugs. Every text gets
`%abc-2.1` (accidentals last to the end of the bar, as every player does; music21 reads unversioned ABC as 1.3
where they do not) and a few meaning-preserving rewrites where music21 would silently drop notes (`H`
fermata, `">"` annotations, letters that are not ABC). `bar_lengths` asks music21 how long each bar is,
`measure_lengths` how long each engraved measure plays.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction

from musicrnn.music.play_order import play_order
from musicrnn.music.structure import STATE_FIELDS, Bar, Tune, parse_tune
from musicrnn.notation.fields import NON_NOTE_FIELD_LINE
from musicrnn.notation.meter import default_unit, meter_length

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
        if NON_NOTE_FIELD_LINE.match(ln) and ln[:2] not in ("V:", "K:"):
            lines.append(ln)
    if not any(ln.startswith("X:") for ln in lines):
        lines.insert(1, "X:1")
    if "L" not in tune.header:  # music21 fails without L: and M:; this is ABC's default
        lines.append("L:" + default_unit(tune.header.get("M")))
    lines.append("K:" + tune.header.get("K", "C"))
    return "\n".join(lines) + "\n"


def voice_blocks(tune: Tune) -> list[tuple[str, str, list[Bar]]]:
    """(music21 voice id, header definition, bars) per voice with notes."""
    blocks = []
    for vid, bars in tune.voices.items():
        if any(b.has_notes for b in bars):
            blocks.append((str(len(blocks) + 1), tune.voice_defs.get(vid, ""), bars))
    return blocks


def _voices(tune: Tune):
    """(its `V:` line, or "" for a tune of one voice; its bars) for each voice with notes."""
    blocks = voice_blocks(tune)
    for vid, vdef, bars in blocks:
        yield (f"V:{vid} {vdef}".rstrip() + "\n" if len(blocks) > 1 else ""), bars


def _state_restore(current: dict, wanted: dict) -> str:
    return "".join(f"\n{k}:{wanted[k]}\n" for k in STATE_FIELDS
                   if k in wanted and current.get(k) != wanted[k])


def playback_abc(abc: str) -> str:
    """The tune with repeats and endings expanded, in plain bars music21 plays correctly.

    Bars are separated by `||`: music21 resets accidentals there as at `|`, but makes no
    measures from double bars, so it never re-bars an overfull bar (its reBar hangs on a
    bar like `A99999`, looking for a time signature that fits).
    """
    tune = parse_tune(abc)
    out = [_header_text(tune)]
    for voice_line, bars in _voices(tune):
        out.append(voice_line)
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
    for voice_line, bars in _voices(tune):
        out.append(voice_line)
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


def durations_abc(tune: Tune, bars: list[Bar], upto: int | None = None) -> str:
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


def parse_music21(text: str):
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


def bar_lengths(tune: Tune, bars: list[Bar]) -> tuple[list[Fraction | None], int]:
    """Length (whole notes) of each bar as music21 reads it, and the number of notes."""
    lengths, notes = _lengths_of(durations_abc(tune, bars), len(bars))
    return list(lengths), notes


@functools.lru_cache(maxsize=8)  # the check, the engraving and the timeline of one tune each ask
def _lengths_of(text: str, count: int) -> tuple[tuple[Fraction | None, ...], int]:
    from music21 import harmony, tempo

    score = parse_music21(text)
    flat = score.flatten()
    offsets: dict[int, Fraction] = {}
    for mm in flat.getElementsByClass(tempo.MetronomeMark):
        num = mm.number
        if num is not None and num >= _MARK:
            offsets.setdefault(int(num) - _MARK, Fraction(mm.offset).limit_denominator(100000))
    lengths: list[Fraction | None] = []
    for k in range(count):
        a, b = offsets.get(k), offsets.get(k + 1)
        lengths.append(None if a is None or b is None else (b - a) / 4)
    notes = sum(1 for n in flat.notes if not isinstance(n, harmony.Harmony))
    return tuple(lengths), notes


def measure_lengths(tune: Tune, bars: list[Bar]) -> list[list[float]] | None:
    """For each bar, the quarter notes each engraved measure it became lasts as the MIDI plays it (the
    MIDI's own reading of each bar); a bar longer than its meter is two measures, as music21's `reBar`
    splits it once, at the meter's length. None when music21 cannot say how long the bars are."""
    try:
        lengths, _ = bar_lengths(tune, bars)
    except Exception:  # music21 raises many types; the engraving reports the problem
        return None
    out = []
    for b, got in zip(bars, lengths):
        if got is None:
            return None
        want = meter_length(tune.meter_at(b))
        out.append([float(want) * 4, float(got - want) * 4] if want and got > want else [float(got) * 4])
    return out


def first_voice_measures(abc: str) -> tuple[Tune, list[Bar], list[int], list[list[float]] | None]:
    """A tune's first voice as the MIDI plays it: the tune, the voice's bars, the indices of those with notes, and
    `measure_lengths` of those (None when music21 cannot say). The player's timeline and the metronome both
    time their bars by it."""
    tune = parse_tune(abc)
    blocks = voice_blocks(tune)
    bars = blocks[0][2] if blocks else []
    music = [k for k, b in enumerate(bars) if b.has_notes]
    return tune, bars, music, measure_lengths(tune, [bars[k] for k in music]) if music else None
