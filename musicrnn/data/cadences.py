"""Where a part ends: the characters of its last bars, which training can weigh more (`--cadence-weight`).

A tune's parts end on a cadence, and the last bars of a part are a small share of its characters, so the mean
loss barely sees them: a model can write convincing bars and still close a part on the wrong note. A part ends
at a bar line of more than one character that is not a repeat's opening (`:|`, `||`, `|]`, `::`, `:|2`…) and
at a tune's last bar line; its cadence is the characters after the bar line `bars` bars before it, up to and
including it (never reaching back past the body's start or the previous part's end); or, with `bars` 0, the
part's last note alone: the one choice that decides whether the part ends on the final.

Bar lines and notes are read with the project's tokenizer (`notation.durations.TOKEN`, as the bar scanner and
`ends_on_final` read them), so a chord's note is its first, and text in quotes or decorations is not music.
This is a loss weight, read from the whole text (it looks ahead to the bar line), never a model input.
"""
from __future__ import annotations

import re

import numpy as np

from musicrnn.data.context import EOS_CHAR
from musicrnn.notation.durations import INNER_NOTE, body_tokens, sounding_note

CADENCE_BARS = 2
_DIGITS = "0123456789"


def _bar_lines(tokens: list[tuple[int, re.Match]]) -> list[tuple[int, int]]:
    """(start, end) of each bar line among a body's tokens, without an ending's number (`:|2` is `:|`)."""
    out = []
    for at, m in tokens:
        if m.lastgroup == "bar":
            line = m.group(0).rstrip(_DIGITS)
            if "|" in line or ":" in line:  # `[2` alone opens an ending, it is not a bar line
                out.append((at, at + len(line)))
    return out


def cadence_spans(tune: str, bars: int = CADENCE_BARS) -> list[tuple[int, int]]:
    """(start, end) character spans of the cadences of one tune's text (see the module's docstring)."""
    scanned = body_tokens(tune)
    return [] if scanned is None else _cadences(tune, *scanned, bars)


def _cadences(tune: str, body: int, tokens: list[tuple[int, re.Match]], bars: int) -> list[tuple[int, int]]:
    lines = _bar_lines(tokens)
    spans, part_start = [], 0  # index into `lines` of the part's first bar line
    for j, (a, b) in enumerate(lines):
        text = tune[a:b]
        closes = (len(text) > 1 and text != "|:") or j == len(lines) - 1
        if text == "|:":
            part_start = j + 1
        if not closes:
            continue
        first = j - bars
        start = lines[first][1] if first >= part_start else (lines[part_start - 1][1] if part_start else body)
        spans.append((start, b))
        part_start = j + 1
    return spans


def _pitch_span(at: int, m: re.Match) -> tuple[int, int]:
    """The characters of a note token that choose its pitch: accidentals and letter (a chord: its first note's)."""
    if m.lastgroup == "chord":
        first = INNER_NOTE.search(m.group("inner"))
        at += m.start("inner") - m.start() + first.start()
        text = first.group(0)
    else:
        text = m.group("note")
    letter = next(i for i, c in enumerate(text) if c.isalpha())
    return at, at + letter + 1


def last_note_spans(tune: str) -> list[tuple[int, int]]:
    """(start, end) of the last note of each part of one tune's text: the characters that choose its pitch, its
    accidentals and letter (chord symbols, decorations, grace notes and rests are not notes)."""
    scanned = body_tokens(tune)
    if scanned is None:
        return []
    notes = [(at, m) for at, m in scanned[1] if sounding_note(m) is not None]
    out = []
    for a, b in _cadences(tune, *scanned, 1):
        inside = [(at, m) for at, m in notes if a <= at < b]
        if inside:
            out.append(_pitch_span(*inside[-1]))
    return out


def cadence_weights(text: str, weight: float, bars: int = CADENCE_BARS) -> np.ndarray:
    """A float32 weight for each character of a stream's text (tunes joined by EOS_CHAR, as
    `ContextReader.text` gives it): `weight` in the cadences (their last `bars` bars, or with 0 the part's last
    note alone), 1 elsewhere."""
    out = np.ones(len(text), dtype=np.float32)
    at = 0
    for tune in text.split(EOS_CHAR):
        for a, b in (last_note_spans(tune) if bars == 0 else cadence_spans(tune, bars)):
            out[at + a : at + b] = weight
        at += len(tune) + 1
    return out
