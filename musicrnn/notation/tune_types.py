"""Tune types: the rhythm field (`R:`) of a tune as one normalized value, and what goes with each type.

Collections name their types in many spellings (`Reel`, `R: reel`, `double jig`, `slipjig`, `Slip-Jig`); each
becomes one of TUNE_TYPES. Anything else a source puts in `R:` is free text, almost all of it the Essen
collection's genre lines (`Liebes - Lied`, `Romanze, Ballade`, `Xiaodiao]`): those tunes are songs, not dances
of a type, and become `song`, so that a model trained on the whole corpus tells songs from dance tunes and a
musician can ask for either. A tune without `R:` (all of IrishMAN) has no type; a model trained without types
still samples, from a prime without `R:`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from musicrnn.notation.fields import header_field


@dataclass(frozen=True)
class TuneType:
    name: str
    meter: str  # the usual M: and L:, when the model's training data does not say (`generation.prime`)
    unit: str
    beat: Fraction  # what a musician counts, in whole notes (a jig's dotted quarter: 3/8)
    tempo: int  # beats per minute of a steady session pace

    def quarter_tempo(self) -> float:
        """The tempo in quarter notes per minute, as the MIDI writer counts it."""
        return quarter_tempo(self.tempo, self.beat)

    @property
    def beat_name(self) -> str:
        """What a musician counts, in words: "dotted quarters" for a jig."""
        return BEAT_NAMES.get(self.beat, f"{self.beat} notes")


#: The beats tune types are counted in, by name.
BEAT_NAMES = {Fraction(1, 4): "quarter notes", Fraction(3, 8): "dotted quarters", Fraction(1, 2): "half notes"}


def quarter_tempo(beats_per_minute: float, beat: Fraction) -> float:
    """A tempo counted in `beat` (whole notes: a dotted quarter is 3/8) as quarter notes per minute."""
    return round(float(beats_per_minute * beat / Fraction(1, 4)), 1)


TUNE_TYPES: dict[str, TuneType] = {t.name: t for t in (
    TuneType("reel", "4/4", "1/8", Fraction(1, 2), 100),
    TuneType("jig", "6/8", "1/8", Fraction(3, 8), 112),
    TuneType("slip jig", "9/8", "1/8", Fraction(3, 8), 116),
    TuneType("hornpipe", "4/4", "1/8", Fraction(1, 2), 80),
    TuneType("polka", "2/4", "1/8", Fraction(1, 4), 130),
    TuneType("slide", "12/8", "1/8", Fraction(3, 8), 130),
    TuneType("waltz", "3/4", "1/8", Fraction(1, 4), 120),
    TuneType("strathspey", "4/4", "1/8", Fraction(1, 4), 130),
    TuneType("march", "2/4", "1/8", Fraction(1, 4), 110),
    TuneType("mazurka", "3/4", "1/8", Fraction(1, 4), 130),
    TuneType("barndance", "4/4", "1/8", Fraction(1, 2), 80),
    TuneType("fling", "4/4", "1/8", Fraction(1, 2), 75),
    TuneType("set dance", "6/8", "1/8", Fraction(3, 8), 100),
    TuneType("air", "3/4", "1/8", Fraction(1, 4), 80),
    TuneType("song", "4/4", "1/4", Fraction(1, 4), 100),
)}

_ALIASES = {
    "reels": "reel", "double jig": "jig", "single jig": "jig", "jigs": "jig", "slipjig": "slip jig",
    "slip jig": "slip jig", "hop jig": "slip jig", "hornpipes": "hornpipe", "clog": "hornpipe",
    "clog dance": "hornpipe", "valse": "waltz", "barn dance": "barndance", "schottische": "barndance",
    "highland fling": "fling", "highland": "fling", "set": "set dance", "long dance": "set dance",
    "polkas": "polka", "slides": "slide", "marches": "march", "airs": "air", "slow air": "air",
}


def normalize_rhythm(value: str) -> str:
    """One of TUNE_TYPES for an `R:` value: `Reel` -> `reel`, `double jig` -> `jig`, `Slip-Jig` ->
    `slip jig`; free text (a song's genre line) -> `song`."""
    words = re.sub(r"[^a-z]+", " ", value.lower()).split()
    for n in (len(words), 2, 1):  # the whole value, then its first two words, then its first word
        key = " ".join(words[:n])
        if key in TUNE_TYPES:
            return key
        if key in _ALIASES:
            return _ALIASES[key]
        key = key.replace(" ", "")  # "slip jig" written together, "barn-dance"
        if key in TUNE_TYPES or key in _ALIASES:
            return TUNE_TYPES[key].name if key in TUNE_TYPES else _ALIASES[key]
    return "song"


def type_tempo(tune: str) -> float | None:
    """Quarter notes per minute that a tune asks for by its `R:` alone: its type's session pace (a jig 168, a
    reel 200) when its header names a rhythm and sets no `Q:`, else None (a `Q:` is the tune's own tempo,
    which the music layer reads)."""
    rhythm = header_field(tune, "R")
    if not rhythm or header_field(tune, "Q") is not None:
        return None
    return TUNE_TYPES[normalize_rhythm(rhythm)].quarter_tempo()
