"""Audio of a MIDI file: `midirenderer` (a SoundFont synthesizer) with the TimGM6mb General MIDI SoundFont
that pretty_midi ships; WAV for download, Ogg Opus for the page."""
from __future__ import annotations

import functools
import io
import os
import wave

from musicrnn.errors import RenderError
from musicrnn.music.midi import midi_seconds

#: Longest audio rendered (seconds); `A99999` would otherwise ask for hours of samples.
MAX_AUDIO_SECONDS = 600.0

def soundfont_path() -> str:
    """Path of the TimGM6mb.sf2 General MIDI SoundFont shipped inside pretty_midi."""
    import pretty_midi

    path = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
    if not os.path.exists(path):
        raise RenderError(f"SoundFont not found at {path}; reinstall pretty_midi")
    return path


@functools.lru_cache(maxsize=1)
def soundfont_bytes() -> bytes:
    with open(soundfont_path(), "rb") as f:
        return f.read()


def _check_audio_length(midi: bytes) -> None:
    length = midi_seconds(midi)
    if length > MAX_AUDIO_SECONDS:
        raise RenderError(
            f"the tune lasts {length:,.0f} s, more than the {MAX_AUDIO_SECONDS:.0f} s "
            "rendered as audio")


def midi_to_wav_local(midi: bytes) -> bytes:
    import midirenderer

    _check_audio_length(midi)
    return bytes(midirenderer.render_wave_from(soundfont_bytes(), bytes(midi)))


def midi_to_opus_local(midi: bytes) -> bytes:
    import midirenderer

    _check_audio_length(midi)
    return bytes(midirenderer.render_opus_from(soundfont_bytes(), bytes(midi), stereo=False))


def wav_seconds(wav: bytes) -> float:
    """Length of a WAV file in seconds."""
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / float(w.getframerate())


# ----------------------------------------------------------------------------- score
