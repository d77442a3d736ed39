"""Real ABC for the music tests: tunes bundled with music21, plus small hand-written strings
where a test needs one exact form."""

from __future__ import annotations

import functools
import glob
import os

import music21

from musicrnn.notation.tunes import split_tunes

CORPUS = os.path.join(os.path.dirname(music21.__file__), "corpus")


def corpus_files(pattern: str = "**/*.abc") -> list[str]:
    return sorted(glob.glob(os.path.join(CORPUS, pattern), recursive=True))


@functools.cache
def tunes_of(relpath: str) -> tuple[str, ...]:
    """All tunes of one bundled file, e.g. 'oneills1850/0001-0050.abc'."""
    with open(os.path.join(CORPUS, relpath), encoding="utf-8", errors="replace") as f:
        return tuple(split_tunes(f.read()))


def oneills(k: int) -> str:
    """Tune k (0-based) of O'Neill's 1850, tunes 1-50."""
    return tunes_of("oneills1850/0001-0050.abc")[k]


def tune_titled(relpath: str, title: str) -> str:
    for t in tunes_of(relpath):
        if f"T:{title}" in t.replace("T: ", "T:"):
            return t
    raise KeyError(title)


def verovio_abc_import(text: str) -> bool:
    """verovio's own ABC import, which aborts the process on a line ending with '!'.

    Used only to prove the worker pool survives a real native crash.
    """
    import verovio

    tk = verovio.toolkit()
    tk.setInputFrom("abc")
    return bool(tk.loadData(text))


def midi_notes(midi: bytes) -> list[tuple[float, float, int]]:
    """(start s, end s, pitch) of every note in a MIDI file, in time order (read by pretty_midi)."""
    import io

    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    notes = [(n.start, n.end, n.pitch) for inst in pm.instruments for n in inst.notes]
    return sorted(notes)


NOTE_NUMBERS = {"C": 60, "D": 62, "E": 64, "F": 65, "G": 67, "A": 69, "B": 71,
                "c": 72, "d": 74, "e": 76, "f": 77, "g": 79, "a": 81, "b": 83}


def pitches(letters: str) -> list[int]:
    """MIDI numbers for plain note letters ('CDEF Gc' -> [60, 62, 64, 65, 67, 72])."""
    return [NOTE_NUMBERS[ch] for ch in letters if ch in NOTE_NUMBERS]
