"""A metronome for a tune: a click on every beat as the MIDI plays it, the first of each bar accented.

The bars come in the order `play_order` plays them (repeats and endings expanded, as the MIDI and the player's
timeline have them), each as long as the MIDI's own reading of it (`music21_text.measure_lengths`), so the clicks
cannot drift from the notes. A beat is what a musician counts (`notation.meter.beat_length`: a dotted quarter
in 6/8, a half note in 2/2). A pickup counts back from the bar line after it, as a musician counts it in.
"""
from __future__ import annotations

from musicrnn.music.music21_text import first_voice_measures
from musicrnn.music.play_order import play_order
from musicrnn.notation.meter import beat_length, meter_length


def clicks(abc: str) -> list[tuple[float, bool]]:
    """(quarter notes from the start, accented) of every click; none for a tune whose bars music21 cannot
    measure or whose meter is free."""
    tune, bars, music, per_bar = first_voice_measures(abc)
    if per_bar is None:
        return []
    lengths = {k: sum(parts) for k, parts in zip(music, per_bar)}
    out: list[tuple[float, bool]] = []
    q = 0.0
    for n, k in enumerate(k for k in play_order(bars) if k in lengths):
        length, meter = lengths[k], tune.meter_at(bars[k])
        beat, full = beat_length(meter), meter_length(meter)
        if beat is None or full is None:
            return []
        step, whole = float(beat) * 4, float(full) * 4
        pickup = n == 0 and length < whole - 1e-9
        t = length % step if pickup else 0.0  # a pickup's beats fall where they would in a whole bar
        if t > step - 1e-9:
            t = 0.0
        while t < length - 1e-9:
            out.append((q + t, t == 0.0 and not pickup))  # a bar's first beat; a pickup has none of its own
            t += step
        q += length
    return out
