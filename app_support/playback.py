"""The Playback settings a player sounds with: instrument, transposition and swing (the studio adds a tempo; the
tunebook leaves each tune its own), a metronome, and the instrument the score is read on. The score is transposed
with the sound, and so is the printed sheet; a transposing instrument's part is written above what sounds."""
from __future__ import annotations

import streamlit as st

INSTRUMENT_CHOICES = ["piano", "fiddle", "flute", "tin whistle", "accordion", "harp", "guitar", "mandolin",
                      "concertina", "uilleann pipes", "organ", "harpsichord", "marimba", "clarinet", "oboe"]


#: The instruments a score can be written for, and how far above what sounds their parts are written.
PARTS = {"concert pitch (C)": 0, "B♭ clarinet, trumpet, soprano sax": 2, "E♭ alto sax": 9, "F horn": 7,
         "B♭ tenor sax": 14}


def written_above(prefix: str) -> int:
    """Semitones the score is written above what sounds, for the instrument the `<prefix>_part` picker names (0
    before it is drawn)."""
    return PARTS.get(st.session_state.get(f"{prefix}_part"), 0)


def sound_options(prefix: str) -> dict:
    """Instrument, transposition, swing, score-for and metronome widgets (keys `<prefix>_instrument` and so on,
    kept across page visits); the `render_tune` options they set."""
    instrument = st.selectbox("Instrument", INSTRUMENT_CHOICES, key=f"{prefix}_instrument", persist_state="session")
    transpose = st.slider("Transpose (semitones)", -12, 12, 0, key=f"{prefix}_transpose", persist_state="session",
                          help="Moves the sound and the score together, into another key.")
    swing = st.slider("Swing", 0.0, 1.0, 0.0, 0.05, key=f"{prefix}_swing", persist_state="session",
                      help="Delays off-beat eighths; 1 is a triplet feel (hornpipes).")
    part = st.selectbox("Score for", list(PARTS), key=f"{prefix}_part", persist_state="session",
                        help="A transposing instrument's part: the score, the printed sheet and the ABC and "
                             "MusicXML downloads are written where that instrument reads them (a B♭ clarinet a "
                             "tone above), while the sound stays at concert pitch, so you can play along with it.")
    click = st.toggle("Metronome", False, key=f"{prefix}_click", persist_state="session",
                      help="A click on every beat, the bar's first higher: a jig's dotted quarters, a reel's half "
                           "notes in 2/2. It is in the MIDI and WAV downloads too.")
    return dict(instrument=instrument, transpose=int(transpose), written_above=PARTS[part], swing=float(swing),
                click=bool(click))
