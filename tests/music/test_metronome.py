"""The metronome: a click on every beat as the MIDI plays the tune, through pickups, repeats and meters, heard in
the synthesized audio."""
from __future__ import annotations

import io
import wave
from collections import Counter

import numpy as np
import pytest

from musicrnn.music import abc_to_midi, midi_to_wav
from musicrnn.music.metronome import clicks
from musicrnn.notation.meter import beat_length
from tests.helpers.music_data import midi_notes, oneills

JIG = "X:1\nT:Jig\nL:1/8\nM:6/8\nK:D\nA|:ded dcd|ece efg:|\n"


@pytest.mark.parametrize("meter, beat", [("6/8", "3/8"), ("9/8", "3/8"), ("12/8", "3/8"), ("2/2", "1/2"),
                                         ("C|", "1/2"), ("4/4", "1/4"), ("C", "1/4"), ("3/4", "1/4"),
                                         ("7/8", "1/8"), ("3/8", "1/8"), ("none", None)])
def test_the_beat_a_musician_counts(meter, beat):
    got = beat_length(meter)
    assert (str(got) if got is not None else None) == beat


def test_a_jig_clicks_its_dotted_quarters_from_the_bar_line_after_its_pickup_and_through_its_repeat():
    # the pickup (an eighth) has no beat of its own; each of the four bars played has two, the first accented
    assert clicks(JIG) == [(0.5, True), (2.0, False), (3.5, True), (5.0, False),
                           (6.5, True), (8.0, False), (9.5, True), (11.0, False)]


def test_a_pickup_of_a_whole_beat_and_a_half_counts_in_from_its_beat():
    assert clicks("X:1\nL:1/8\nM:4/4\nK:D\nABc|cdef gfed|]\n") == [
        (0.5, False), (1.5, True), (2.5, False), (3.5, False), (4.5, False)]
    assert clicks("X:1\nL:1/8\nM:2/2\nK:D\nDEFG ABcd|defg a4|]\n") == [(0.0, True), (2.0, False),
                                                                      (4.0, True), (6.0, False)]


def test_a_free_meter_gets_no_clicks():
    assert clicks("X:1\nL:1/8\nM:none\nK:D\nDEFG ABcd|\n") == []


def test_a_polka_clicks_two_beats_in_every_bar_it_plays_endings_included():
    polka = "X:1\nL:1/8\nM:2/4\nK:G\n|:GB dB|c2 A2|1 GA Bc:|2 d2 g2|]\n"  # plays bars 1 2 3 1 2 4
    assert clicks(polka) == [(float(t), t % 2 == 0) for t in range(12)]


def test_a_real_tune_clicks_on_the_bars_the_midi_plays():
    tune = oneills(0)  # The Enchanted Valley, 2/4, with a repeat and a few bars off the meter
    got = clicks(tune)
    accents = [t for t, first in got if first]
    gaps = Counter(round(b - a, 6) for a, b in zip(accents, accents[1:]))
    assert got[0] == (0.0, True) and gaps.most_common(1)[0] == (2.0, 21)  # a 2/4 bar is two quarter notes
    assert all(b - a <= 1.0 + 1e-9 for (a, _), (b, _) in zip(got, got[1:]))  # a click at least every beat
    assert got[-1][0] < max(end for _, end, _ in midi_notes(abc_to_midi(tune, tempo=60)))  # 1 s a quarter


def drum_notes(midi: bytes, drums: bool = True) -> list[tuple[float, int]]:
    """(start s, key) of the percussion notes of a MIDI file (with `drums` False, of the others)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    return sorted((round(n.start, 3), n.pitch) for inst in pm.instruments if inst.is_drum == drums
                  for n in inst.notes)


def test_the_clicks_are_in_the_midi_and_sound_in_the_audio():
    plain, clicked = abc_to_midi(JIG, tempo=120), abc_to_midi(JIG, tempo=120, click=True)
    assert drum_notes(clicked)[:4] == [(0.25, 76), (1.0, 77), (1.75, 76), (2.5, 77)]  # 0.5, 2, 3.5, 5 quarters
    assert drum_notes(plain) == [] and drum_notes(plain, False) == drum_notes(clicked, False)  # the tune as it was

    def samples(midi: bytes) -> tuple[np.ndarray, int]:
        with wave.open(io.BytesIO(midi_to_wav(midi))) as w:
            a = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
            return a.astype(float).mean(axis=1), w.getframerate()

    (a, rate), (b, _) = samples(plain), samples(clicked)
    n = min(len(a), len(b))
    diff = np.abs(b[:n] - a[:n])

    def loudness(t: float) -> float:
        return float(diff[int(t * rate): int((t + 0.03) * rate)].max())

    assert loudness(0.25) > 1000 and loudness(1.0) > 1000  # the clicks at 0.5 and 2 quarters (120 a minute)
    assert loudness(0.25) > loudness(1.0)  # the bar's first beat is the louder
    assert loudness(0.6) < 0.1 * loudness(1.0)  # and nothing between them
