"""Features of the notation at every character of a tune, the things a cell might track: how far into the bar,
inside a quoted chord symbol, inside a repeat, which part, how high the current note, how far along the line.

Row i describes the state after reading character i, as the network's state at i does: an opening quote is
already inside the quotes, a closing one outside; a bar line already starts the next bar. Features of the
music are NaN in the header (up to and including the `K:` line), where they mean nothing; `column` is defined
everywhere.
"""
from __future__ import annotations

import numpy as np

from musicrnn.inspection.walk import Walk, walk, written_pitch
from musicrnn.notation.durations import INNER_NOTE

FEATURES = ("bar_position", "in_quotes", "in_repeat", "second_part", "pitch", "column")
DESCRIPTIONS = {
    "bar_position": "share of the current bar elapsed, 0 at the bar line to 1 at the next (by duration where the "
                    "bar's length is known, else by characters)",
    "in_quotes": "1 inside a quoted chord symbol or annotation, else 0",
    "in_repeat": "1 inside a repeated section (|: to :|, or from the section's start when there is no |:)",
    "second_part": "0 in the tune's first part, 1 from the second on (parts end at :| and ||)",
    "pitch": "MIDI number of the current note as written (letter, octave marks, its own accidentals)",
    "column": "position on the line, 0 for its first character",
}
#: Raise when a feature's meaning changes: cached cell statistics computed with the old one are then ignored.
FEATURES_VERSION = 1


def tune_features(abc: str) -> np.ndarray:
    """(len(abc), len(FEATURES)) float64 array of the features at every character; NaN where undefined."""
    w = walk(abc)
    out = np.full((len(abc), len(FEATURES)), np.nan)
    out[:, FEATURES.index("column")] = columns(abc)
    body = slice(w.body, len(abc))
    for name in ("in_quotes", "in_repeat", "second_part"):
        out[body, FEATURES.index(name)] = 0.0
    bar_positions(w, out[:, FEATURES.index("bar_position")])
    quotes(w, out[:, FEATURES.index("in_quotes")])
    repeats_and_parts(w, out[:, FEATURES.index("in_repeat")], out[:, FEATURES.index("second_part")])
    pitches(w, out[:, FEATURES.index("pitch")])
    return out


def columns(abc: str) -> np.ndarray:
    """Each character's index within its line; a newline stands at the end of its line."""
    col = np.empty(len(abc))
    start = 0
    for line in abc.split("\n"):
        col[start:start + len(line) + 1] = np.arange(len(line) + 1)[: len(abc) - start]
        start += len(line) + 1
    return col


def bar_positions(w: Walk, col: np.ndarray) -> None:
    """Share of the bar elapsed at each music character: the duration before its token over the bar length the
    meter asks for (in [0, 1) for a bar that fits), or, where the bar's length or the meter is unknown, the
    character's place among the bar's characters. Body field lines stay NaN."""
    for t in w.tokens:
        bar = w.bars[t.bar]
        if bar.length is None or not bar.meter:
            width = max(bar.end - bar.start, 1)
            col[t.start:t.end] = (np.arange(t.start, t.end) - bar.start) / width
        elif t.kind == "bar":
            col[t.start:t.end] = 0.0
        else:
            col[t.start:t.end] = min(float(t.elapsed / bar.meter), 1.0)


def quotes(w: Walk, col: np.ndarray) -> None:
    for t in w.tokens:
        if t.kind == "quoted":
            closed = len(t.text) > 1 and t.text.endswith('"')
            col[t.start:t.end] = 1.0
            if closed:
                col[t.end - 1] = 0.0  # after the closing quote the state is outside again


def repeats_and_parts(w: Walk, in_repeat: np.ndarray, second_part: np.ndarray) -> None:
    """A repeat runs from `|:` (or, without one, from the section's start: the body, `||`, or the last `:|`)
    to its `:|`, both bar lines inside. A part ends at a `:|` that no ending follows (`:|2`, `:| [2`) and at
    `||` or `|]`, once it holds a note."""
    music = [t for t in w.tokens if t.kind not in ("other", "newline") or not t.text.isspace()]
    section_start, open_repeat, part_has_notes, part_end = w.body, None, False, None
    for n, t in enumerate(music):
        if t.kind in ("note", "chord"):
            part_has_notes = True
        if t.kind != "bar":
            continue
        text = t.text
        ends = text.startswith(":") and len(text) > 1
        starts = text.rstrip("0123456789").endswith(":") and len(text) > 1
        section_end = any(s in text for s in ("||", "|]", "[|"))
        if ends:
            in_repeat[(open_repeat if open_repeat is not None else section_start):t.end] = 1.0
            open_repeat, section_start = None, t.end
        elif section_end:
            section_start = t.end
        if starts:
            open_repeat = t.start
        nxt = music[n + 1] if n + 1 < len(music) else None
        ending_follows = text[-1].isdigit() or (nxt is not None and nxt.kind == "bar" and nxt.text[-1].isdigit())
        if ((ends and not ending_follows) or section_end) and part_has_notes and part_end is None:
            part_end = t.end
    if part_end is not None:
        second_part[part_end:] = 1.0


def pitches(w: Walk, col: np.ndarray) -> None:
    """The current note's written pitch: a note's own characters carry it, and everything after it until the
    next note (rests change nothing); NaN before the first note."""
    for t in w.tokens:
        if t.kind == "note":
            pitch = written_pitch(t.text)
        elif t.kind == "chord":
            first = INNER_NOTE.search(t.text[1:])
            pitch = written_pitch(first.group(0)) if first else None
        else:
            continue
        if pitch is not None:
            col[t.start:t.end] = pitch
    body = col[w.body:]
    known = ~np.isnan(body)
    if known.any():
        last = np.maximum.accumulate(np.where(known, np.arange(len(body)), -1))
        body[last >= 0] = body[last[last >= 0]]
