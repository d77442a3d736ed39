"""Every format of one tune in one go, in a worker: check, MIDI, audio, MusicXML, SVG, each from the one before.

A transposed tune is written out in its new key (`notation/transpose.py`) before it is engraved, so the score,
the MusicXML and the "abc" format all spell it as a musician would and agree with each other; a tune that cannot
be transposed exactly (`K:none`, say) is engraved as written and moved by the engraver, and its "abc" and
MusicXML stay as written."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from musicrnn.errors import ABCError, RenderError
from musicrnn.music.audio import midi_to_opus_local, midi_to_wav_local
from musicrnn.music.check import check_tune
from musicrnn.music.midi import DEFAULT_TEMPO, midi_and_tempo_local
from musicrnn.music.score import engrave_local, musicxml_local
from musicrnn.music.timeline import timeline_for
from musicrnn.notation.transpose import written_for
from musicrnn.notation.tunes import tune_label

#: Formats a tune renders to, in the order they are made (each from the one before where it can), and the
#: file extension of each. "abc" is the tune's text in the key it sounds in (as given when not transposed).
FORMATS = ("abc", "midi", "wav", "opus", "musicxml", "svg", "timeline")
EXTENSIONS = {"abc": "abc", "midi": "mid", "wav": "wav", "opus": "opus", "musicxml": "musicxml", "svg": "svg",
              "timeline": "timeline.json"}


def render_parts_local(abc: str, formats=FORMATS, *, tempo: float | None = DEFAULT_TEMPO,
                       instrument: str | int = "piano", transpose: int = 0, written_above: int = 0,
                       swing: float = 0.0, click: bool = False, check: bool = True,
                       ended: bool | None = None, page_width: int | None = None) -> Iterator[tuple]:
    """Render one tune to several formats, yielding progress events (run in a worker).

    Events: ("check", report dict or None, error or None, seconds), ("written", semitones left to the
    engraver, why the tune could not be written out or None), ("start", fmt), ("ok", fmt, data, seconds),
    ("error", fmt, message, seconds). Formats are done in a
    fixed order (midi before audio, musicxml before svg) and share their intermediates. The score, the
    MusicXML and "abc" are transposed with the sound (`written_for`), and `written_above` semitones more for a
    transposing instrument's part (a B♭ clarinet reads 2 above what sounds), which the sound is not; "timeline" is
    the player's timeline (`timeline.py`) as JSON text, timed as the MIDI plays.
    """
    label = tune_label(abc)
    wanted = [f for f in FORMATS if f in formats]
    if check:
        t0 = time.perf_counter()
        try:
            yield ("check", check_tune(abc, ended=ended).to_dict(), None,
                   time.perf_counter() - t0)
        except Exception as e:
            yield ("check", None, _message("check", label, e), time.perf_counter() - t0)
    written = written_for(abc, transpose + written_above)
    yield ("written", written.left, written.why)
    done: dict[str, Any] = {}
    failed: dict[str, str] = {}

    def need(fmt: str):
        if fmt in failed:
            raise RenderError(failed[fmt])
        if fmt not in done:
            if fmt == "abc":
                done[fmt] = written.text
            elif fmt == "midi":
                done[fmt], done["bpm"] = midi_and_tempo_local(abc, tempo=tempo, instrument=instrument,
                                                              transpose=transpose, swing=swing, click=click)
            elif fmt == "wav":
                done[fmt] = midi_to_wav_local(need("midi"))
            elif fmt == "opus":
                done[fmt] = midi_to_opus_local(need("midi"))
            elif fmt == "musicxml":
                done[fmt] = musicxml_local(written.text)
            elif fmt == "svg":
                done[fmt], done["layout"] = engrave_local(need("musicxml"), transpose=written.left,
                                                          page_width=page_width)
            elif fmt == "timeline":
                need("svg")
                need("midi")
                done[fmt] = json.dumps(timeline_for(abc, done["layout"], bpm=done["bpm"], swing=swing),
                                       separators=(",", ":"))
        return done[fmt]

    for fmt in wanted:
        yield ("start", fmt)
        t0 = time.perf_counter()
        try:
            data = need(fmt)
            yield ("ok", fmt, data, time.perf_counter() - t0)
        except Exception as e:
            failed.setdefault(fmt, _message(fmt, label, e))
            yield ("error", fmt, failed[fmt], time.perf_counter() - t0)


def _message(what: str, label: str, e: BaseException) -> str:
    if isinstance(e, (ABCError, RenderError)):
        msg = str(e)
        return msg if label in msg else f"{what} for {label}: {msg}"
    return f"{what} for {label} failed: {type(e).__name__}: {e}"[:600]


# ----------------------------------------------------------------------------- public API
