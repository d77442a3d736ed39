"""The notes of a tune as they sound, read by music21 from the tune with its repeats expanded."""
from __future__ import annotations

from dataclasses import dataclass

from musicrnn.errors import ABCError
from musicrnn.music.music21_text import parse_music21, playback_abc
from musicrnn.music.structure import check_size, tune_text
from musicrnn.notation.tune_types import type_tempo
from musicrnn.notation.tunes import tune_label


@dataclass
class Performance:
    """The notes of a tune as they sound: times in quarter notes, repeats expanded."""

    notes: list[tuple[float, float, int, int]]  # (start, duration, MIDI pitch, voice)
    tune_tempo: float | None  # quarter notes per minute the tune asks for: its Q:, else its type's pace (R:)
    title: str
    voices: int
    length: float = 0.0  # quarter notes, trailing rests included

    @property
    def quarters(self) -> float:
        """Length in quarter notes: to the end of the last note or rest."""
        return max([self.length] + [s + d for s, d, _, _ in self.notes])


def parse_or_explain(text: str, label: str):
    """music21's score of `text`; ABCError naming `label` when music21 cannot read it."""
    try:
        return parse_music21(text)
    except Exception as e:  # music21 raises many exception types on bad ABC
        raise ABCError(f"music21 cannot read {label}: {type(e).__name__}: {e}"[:600]) from None


def performance_local(abc: str) -> Performance:
    """Parse `abc` with music21 (repeats expanded) into the notes that sound."""
    from music21 import chord, harmony, note, tempo

    abc = tune_text(abc)
    check_size(abc)
    label = tune_label(abc)
    score = parse_or_explain(playback_abc(abc), label)
    score = score.stripTies()
    parts = list(score.parts) or [score]
    notes: list[tuple[float, float, int, int]] = []
    length = 0.0
    for v, part in enumerate(parts):
        for el in part.flatten().notesAndRests:
            length = max(length, float(el.offset) + float(el.quarterLength))
            if isinstance(el, harmony.Harmony):  # chord symbols are text, not notes
                continue
            dur = float(el.quarterLength)
            if dur <= 0:  # grace notes take no time in music21's reading
                continue
            start = float(el.offset)
            if isinstance(el, chord.Chord):
                pitches = [p.midi for p in el.pitches]
            elif isinstance(el, note.Note):
                pitches = [el.pitch.midi]
            else:  # rests
                continue
            for p in pitches:
                notes.append((start, dur, p, v))
    marks = list(score.flatten().getElementsByClass(tempo.MetronomeMark))
    bpm = None
    for mm in marks:
        try:
            q = mm.getQuarterBPM()
        except Exception:
            q = None
        if q and 10 <= q <= 400:
            bpm = float(q)
            break
    notes.sort()
    return Performance(notes, bpm or type_tempo(abc), tune_label(abc), len(parts), length)

