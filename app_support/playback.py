"""The Playback settings a player sounds with: instrument, transposition and swing (the studio adds a tempo; the
tunebook leaves each tune its own). The score is transposed with the sound, and so is the printed sheet."""
from __future__ import annotations

import streamlit as st

INSTRUMENT_CHOICES = ["piano", "fiddle", "flute", "tin whistle", "accordion", "harp", "guitar", "mandolin",
                      "concertina", "uilleann pipes", "organ", "harpsichord", "marimba", "clarinet", "oboe"]


def sound_options(prefix: str) -> dict:
    """Instrument, transposition and swing widgets (keys `<prefix>_instrument` and so on, kept across page
    visits); the `render_tune` options they set."""
    instrument = st.selectbox("Instrument", INSTRUMENT_CHOICES, key=f"{prefix}_instrument", persist_state="session")
    transpose = st.slider("Transpose (semitones)", -12, 12, 0, key=f"{prefix}_transpose", persist_state="session",
                          help="Moves the sound, the score and the printed sheet (+2 for a B♭ instrument).")
    swing = st.slider("Swing", 0.0, 1.0, 0.0, 0.05, key=f"{prefix}_swing", persist_state="session",
                      help="Delays off-beat eighths; 1 is a triplet feel (hornpipes).")
    return dict(instrument=instrument, transpose=int(transpose), swing=float(swing))
