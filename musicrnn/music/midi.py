"""MIDI files of a tune, written with MIDIUtil from its performance, with the user's tempo, instrument,
transposition and swing, and a metronome's clicks when asked for (`metronome.py`).

MIDIUtil rather than music21's writer: music21's writer fails outright on some tunes it has just parsed
(reBar leaves a TimeSignature twice in a stream: the very first tune of O'Neill's 1850 raises
StreamException), takes the tempo and instrument from the tune rather than from the user, and has no swing.
Writing the few events ourselves (one program change, one tempo, note on/off with swung times) is short and
exact.
"""
from __future__ import annotations

import io
import re

from musicrnn.errors import ABCError, RenderError
from musicrnn.music.metronome import clicks
from musicrnn.music.performance import Performance, performance_local

#: General MIDI programs (0-based) by friendly name; the UI lists these keys.
INSTRUMENTS: dict[str, int] = {
    "piano": 0,
    "bright piano": 1,
    "harpsichord": 6,
    "celesta": 8,
    "music box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "xylophone": 13,
    "dulcimer": 15,
    "organ": 19,
    "reed organ": 20,
    "accordion": 21,
    "harmonica": 22,
    "concertina": 23,
    "guitar": 24,
    "steel guitar": 25,
    "mandolin": 25,
    "bass": 32,
    "fiddle": 40,
    "violin": 40,
    "viola": 41,
    "cello": 42,
    "harp": 46,
    "strings": 48,
    "choir": 52,
    "trumpet": 56,
    "trombone": 57,
    "french horn": 60,
    "brass": 61,
    "saxophone": 65,
    "oboe": 68,
    "bassoon": 70,
    "clarinet": 71,
    "piccolo": 72,
    "flute": 73,
    "recorder": 74,
    "pan flute": 75,
    "tin whistle": 78,
    "whistle": 78,
    "ocarina": 79,
    "banjo": 105,
    "bagpipe": 109,
    "uilleann pipes": 109,
    "steel drums": 114,
}

DEFAULT_TEMPO = 120
_VELOCITY = 90
_DRUM_CHANNEL = 9
#: General MIDI percussion keys of the metronome: a high wood block on a bar's first beat, a low one on the rest.
CLICK_KEYS = {True: 76, False: 77}

def resolve_instrument(instrument: str | int) -> int:
    """General MIDI program (0-127) for a friendly name (`"tin whistle"`, `"Fiddle"`) or number."""
    if isinstance(instrument, int) and not isinstance(instrument, bool):
        if 0 <= instrument <= 127:
            return instrument
        raise RenderError(f"instrument program {instrument} is outside 0-127")
    key = re.sub(r"[\s_-]+", " ", str(instrument)).strip().lower()
    if key.isdigit() and int(key) <= 127:
        return int(key)
    if key not in INSTRUMENTS:
        raise RenderError(
            f"unknown instrument {str(instrument)[:40]!r}; choose one of: "
            + ", ".join(sorted(INSTRUMENTS))
        )
    return INSTRUMENTS[key]


def check_options(tempo: float | None, transpose: int, swing: float) -> None:
    """RenderError for a tempo, transposition or swing outside what the renderers accept."""
    if tempo is not None and not (10 <= float(tempo) <= 400):
        raise RenderError(f"tempo {tempo} is outside 10-400 beats per minute")
    if not (-48 <= int(transpose) <= 48):
        raise RenderError(f"transpose {transpose} is outside -48..48 semitones")
    if not (0.0 <= float(swing) <= 1.0):
        raise RenderError(f"swing {swing} is outside 0-1")


def swing_time(t: float, swing: float) -> float:
    """Move off-beat eighths later: 0 = straight, 1 = triplet feel (2:1), per quarter note."""
    if swing <= 0:
        return t
    beat = int(t // 1)
    f = t - beat
    late = 0.5 + swing / 6.0  # where the off-beat eighth lands
    if f <= 0.5:
        return beat + f * late / 0.5
    return beat + late + (f - 0.5) * (1.0 - late) / 0.5


def _fit_pitch(p: int) -> int:
    while p > 127:
        p -= 12
    while p < 0:
        p += 12
    return p


def playing_tempo(perf: Performance, tempo: float | None) -> float:
    """Quarter notes per minute the MIDI plays at: the user's tempo, else the tune's own
    (`Performance.tune_tempo`: its `Q:`, else its type's pace), else the default."""
    return float(tempo if tempo is not None else (perf.tune_tempo or DEFAULT_TEMPO))


def write_midi(perf: Performance, *, tempo: float | None = DEFAULT_TEMPO,
               program: int = 0, transpose: int = 0, swing: float = 0.0,
               clicks: list[tuple[float, bool]] = ()) -> bytes:
    """A type-1 MIDI file of `perf`: one track per voice, one program, one tempo; `clicks` (quarter notes,
    accented) on a percussion track of their own, swung as the notes are so that they stay together."""
    from midiutil import MIDIFile

    bpm = playing_tempo(perf, tempo)
    n_tracks = max(1, perf.voices)
    mf = MIDIFile(n_tracks + (1 if clicks else 0), adjust_origin=False)
    title = perf.title.encode("ascii", "replace").decode("ascii")[:60]
    for v in range(n_tracks):
        channel = v if v < _DRUM_CHANNEL else v + 1
        channel = min(channel, 15)
        mf.addTrackName(v, 0, title if v == 0 else f"voice {v + 1}")
        mf.addProgramChange(v, channel, 0, program)
    mf.addTempo(0, 0, bpm)
    for start, dur, pitch, v in perf.notes:
        channel = min(v if v < _DRUM_CHANNEL else v + 1, 15)
        s = swing_time(start, swing)
        e = swing_time(start + dur, swing)
        mf.addNote(min(v, n_tracks - 1), channel, _fit_pitch(pitch + transpose), s,
                   max(e - s, 1e-3), _VELOCITY)
    if clicks:
        mf.addTrackName(n_tracks, 0, "metronome")
        for at, accent in clicks:
            mf.addNote(n_tracks, _DRUM_CHANNEL, CLICK_KEYS[accent], swing_time(at, swing), 0.1,
                       110 if accent else 80)
    # "all notes off" where the music ends, so trailing rests count in the file's length
    mf.addControllerEvent(0, 0, swing_time(perf.quarters, swing), 123, 0)
    buf = io.BytesIO()
    mf.writeFile(buf)
    return buf.getvalue()

def abc_to_midi_local(abc: str, *, tempo: float | None = DEFAULT_TEMPO,
                      instrument: str | int = "piano", transpose: int = 0,
                      swing: float = 0.0, click: bool = False) -> bytes:
    return midi_and_tempo_local(abc, tempo=tempo, instrument=instrument, transpose=transpose, swing=swing,
                                click=click)[0]


def midi_and_tempo_local(abc: str, *, tempo: float | None = DEFAULT_TEMPO, instrument: str | int = "piano",
                         transpose: int = 0, swing: float = 0.0, click: bool = False) -> tuple[bytes, float]:
    """The MIDI file of a tune (with a metronome's clicks when `click`) and the quarter notes per minute it
    plays at."""
    check_options(tempo, transpose, swing)
    perf = performance_local(abc)
    if not perf.notes:
        raise ABCError(f"{perf.title} has no notes to play")
    return (write_midi(perf, tempo=tempo, program=resolve_instrument(instrument), transpose=int(transpose),
                       swing=float(swing), clicks=clicks(abc) if click else ()), playing_tempo(perf, tempo))


# ----------------------------------------------------------------------------- audio


def midi_seconds(midi: bytes) -> float:
    """Length of a MIDI file in seconds (tempo changes included)."""
    import mido

    try:
        return float(mido.MidiFile(file=io.BytesIO(midi)).length)
    except Exception as e:
        raise RenderError(f"not a readable MIDI file: {type(e).__name__}: {e}"[:300]) from None


