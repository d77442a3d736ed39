"""Where a part ends: the characters of its last bars, which training can weigh more (`--cadence-weight`).

A tune's parts end on a cadence, and the last bars of a part are a small share of its characters, so the mean
loss barely sees them: a model can write convincing bars and still close a part on the wrong note. A part ends
at a bar line of more than one character that is not a repeat's opening (`:|`, `||`, `|]`, `::`, `:|2`…) and
at a tune's last bar line; its cadence is the characters after the bar line `bars` bars before it, up to and
including it (never reaching back past the body's start or the previous part's end); or, with `bars` 0, the
part's last note alone: the one choice that decides whether the part ends on the final.

This is a loss weight, read from the whole text (it looks ahead to the bar line), never a model input.
"""
from __future__ import annotations

import re

import numpy as np

from musicrnn.data.context import EOS_CHAR

CADENCE_BARS = 2
_BAR_LINE = re.compile(r"[|:]*\|\]|[|:]+")
_FIELD_LINE = re.compile(r"^(?:[A-Za-z+]:|%)")


def _body_bar_lines(tune: str) -> list[tuple[int, int]] | None:
    """(start, end) of each bar line in a tune's body, outside field and comment lines; None without a body."""
    m = re.search(r"^K:[^\n]*\n", tune, re.M)
    if not m:
        return None
    out, at = [], m.end()
    for line in tune[m.end():].split("\n"):
        if not _FIELD_LINE.match(line):
            out += [(at + b.start(), at + b.end()) for b in _BAR_LINE.finditer(line)]
        at += len(line) + 1
    return out


def cadence_spans(tune: str, bars: int = CADENCE_BARS) -> list[tuple[int, int]]:
    """(start, end) character spans of the cadences of one tune's text (see the module's docstring)."""
    lines = _body_bar_lines(tune)
    if not lines:
        return []
    body = re.search(r"^K:[^\n]*\n", tune, re.M).end()
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


_NOTE = re.compile(r"[\^_=]*[A-Ga-g]")
_HIDE = re.compile(r'"[^"]*"|![^!]*!|\{[^}]*\}')


def last_note_spans(tune: str) -> list[tuple[int, int]]:
    """(start, end) of the last note of each part of one tune's text: its accidentals and letter, the characters
    that choose its pitch (chord symbols, decorations and grace notes are not notes)."""
    out = []
    for a, b in cadence_spans(tune, 1):
        seg = _HIDE.sub(lambda m: " " * len(m.group(0)), tune[a:b])
        notes = list(_NOTE.finditer(seg))
        if notes:
            out.append((a + notes[-1].start(), a + notes[-1].end()))
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
