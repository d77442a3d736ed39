"""The music layer's public calls, each run in a worker process of one process-wide pool, with a time limit:
check and repair a tune, render it to MIDI, audio, MusicXML and an engraved SVG, or all of these at once.

The `*_local` functions of the other modules do the work in the calling process; these are what the app and
the CLI call, so that a tune that crashes or hangs music21 or a native converter is one clear error.
"""
from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from typing import Any

from musicrnn.errors import RenderError, WorkerCrashError
from musicrnn.music import warmup
from musicrnn.music.audio import midi_to_opus_local, midi_to_wav_local
from musicrnn.music.check import CheckReport, check_tune
from musicrnn.music.midi import DEFAULT_TEMPO, abc_to_midi_local, check_options, resolve_instrument
from musicrnn.music.render_parts import FORMATS, render_parts_local
from musicrnn.music.repair import RepairResult, repair_tune
from musicrnn.music.score import abc_to_svg_local, musicxml_local, print_pages_local, print_tune_pages_local
from musicrnn.music.structure import check_size, tune_text
from musicrnn.music.workers import WorkerPool
from musicrnn.notation.tunes import tune_label

_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool, started on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL.closed:
            _POOL = WorkerPool(warm=warmup.warm_worker)
        return _POOL


def shutdown() -> None:
    """Stop the process-wide pool's workers (also done at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.close()
            _POOL = None


atexit.register(shutdown)


def _label_of(text: Any) -> str:
    """A label as given, or the tune's name when given the tune's ABC text."""
    if isinstance(text, str) and ("\n" in text or text.startswith("X:")):
        return tune_label(text[:5000])
    return str(text)[:80]


def call(target: Callable, *args, label: Any = "input", timeout: float | None = None,
         what: str | None = None, **kwargs) -> Any:
    """`WorkerPool.call` on the process-wide pool; `label` names the input in error
    messages and may be the tune's ABC text (its title is used).

    ABC text arguments longer than abc.MAX_ABC_CHARS are refused here (ABCError),
    before any work.
    """
    for a in args:
        if isinstance(a, str):
            check_size(a)
    return get_pool().call(target, *args, timeout=timeout, label=_label_of(label), what=what,
                           **kwargs)


def check(abc: str, *, ended: bool | None = None,
          timeout: float | None = None) -> CheckReport:
    """`abc.check_tune` in a worker, with a time limit."""
    return call(check_tune, abc, ended=ended, label=abc, timeout=timeout,
                what="check")


def repair(abc: str, *, ended: bool | None = None,
           timeout: float | None = None) -> RepairResult:
    """`abc.repair_tune` in a worker, with a time limit."""
    return call(repair_tune, abc, ended=ended, label=abc, timeout=timeout,
                what="repair")



def render_all(abc: str, formats=FORMATS, *,
               tempo: float | None = DEFAULT_TEMPO, instrument: str | int = "piano",
               transpose: int = 0, written_above: int = 0, swing: float = 0.0, click: bool = False,
               check: bool = True,
               ended: bool | None = None, timeout: float | None = None,
               page_width: int | None = None) -> dict:
    """Everything the studio needs for one tune, in one worker round trip.

    Returns {"label", "check" (CheckReport dict or None), "check_error", "data" {format:
    bytes, or str for svg}, "errors" {format: message}, "timings" {format or "check" or
    "total": seconds}, "ok" (every format made), "written" ({"left": semitones the engraver still moved
    the score, "why" it was not written out}, None before a worker said)}. A format that fails does not stop the
    others; after a worker crash the formats not yet made are retried in a fresh worker.
    `timeout` applies to the check and to each format separately. `transpose` moves the sound and the score;
    `written_above` moves only what is read (score, MusicXML, "abc"): a transposing instrument's part. `click`
    adds a metronome to the MIDI (and so to the audio).
    Raises only for bad arguments (unknown format or instrument) and oversized text.
    """
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise RenderError(f"unknown format(s) {', '.join(map(str, unknown))}; "
                          f"choose from {', '.join(FORMATS)}")
    resolve_instrument(instrument)
    check_options(tempo, transpose, swing)
    check_options(None, transpose + written_above, 0.0)
    abc = tune_text(abc)
    check_size(abc)
    label = tune_label(abc)
    wanted = [f for f in FORMATS if f in formats]
    out: dict[str, Any] = {"label": label, "check": None, "check_error": None, "data": {},
                           "errors": {}, "timings": {}, "ok": False, "written": None}
    t_start = time.perf_counter()
    remaining = list(wanted)
    need_check = check
    current: dict[str, str | None] = {"step": None}

    def on_event(ev: tuple) -> bool:
        kind = ev[0]
        if kind == "check":
            out["check"], out["check_error"] = ev[1], ev[2]
            out["timings"]["check"] = ev[3]
        elif kind == "written":
            out["written"] = {"left": ev[1], "why": ev[2]}
        elif kind == "start":
            current["step"] = ev[1]
            return True  # each format gets the full time limit
        elif kind in ("ok", "error"):
            fmt = ev[1]
            (out["data"] if kind == "ok" else out["errors"])[fmt] = ev[2]
            out["timings"][fmt] = ev[3]
            if fmt in remaining:
                remaining.remove(fmt)
            current["step"] = None
        return False

    for _attempt in range(3):
        if not remaining and not need_check:
            break
        current["step"] = "check" if need_check else None
        try:
            get_pool().call(render_parts_local, abc, tuple(remaining),
                            tempo=tempo, instrument=instrument, transpose=transpose,
                            written_above=written_above, swing=swing, click=bool(click), check=need_check,
                            ended=ended,
                            timeout=timeout, page_width=page_width,
                            label=label, what="rendering", on_event=on_event)
            break
        except RenderError as e:
            step = current["step"]
            crashed = isinstance(e, WorkerCrashError)
            if need_check and out["check"] is None:
                out["check_error"] = str(e)
            need_check = False
            if step in remaining:
                out["errors"][step] = str(e)
                remaining.remove(step)
            if not crashed:  # a time-out is usually music21 on the whole tune: stop here
                for fmt in remaining:
                    out["errors"][fmt] = f"not made: {e}"
                remaining.clear()
    for fmt in remaining:
        out["errors"].setdefault(fmt, "not made: the worker kept crashing")
    out["timings"]["total"] = time.perf_counter() - t_start
    out["ok"] = all(f in out["data"] for f in wanted)
    return out


def abc_to_midi(abc: str, *, tempo: float | None = DEFAULT_TEMPO,
                instrument: str | int = "piano", transpose: int = 0,
                swing: float = 0.0, click: bool = False) -> bytes:
    """MIDI bytes of a tune, repeats and endings played as written.

    `tempo` counts quarter notes per minute (None: the tune's Q:, else its type's pace from R:, else 120);
    `instrument` is a name from INSTRUMENTS or a GM program; `transpose` in semitones; `swing` 0-1 delays
    off-beat eighths (1 = triplet feel, for hornpipes); `click` adds a metronome. Runs in a worker process;
    raises ABCError for
    unreadable ABC, RenderError for a crash or time-out.
    """
    resolve_instrument(instrument)
    check_options(tempo, transpose, swing)
    return call(abc_to_midi_local, abc, label=abc,
                tempo=tempo, instrument=instrument, transpose=transpose, swing=swing, click=bool(click))


def midi_to_wav(midi: bytes) -> bytes:
    """16-bit stereo WAV of a MIDI file, synthesized with the TimGM6mb SoundFont."""
    return call(midi_to_wav_local, bytes(midi), label="MIDI")


def midi_to_opus(midi: bytes) -> bytes:
    """Ogg Opus audio of a MIDI file (small, for the browser's audio player)."""
    return call(midi_to_opus_local, bytes(midi), label="MIDI")


def abc_to_musicxml(abc: str) -> bytes:
    """MusicXML (UTF-8 bytes) of the tune as written, via music21."""
    return call(musicxml_local, abc, label=abc)


def abc_to_svg(abc: str) -> str:
    """Engraved score as one SVG string (music21 -> MusicXML -> verovio), sanitized."""
    return call(abc_to_svg_local, abc, label=abc)


def print_pages(musicxml: bytes, *, transpose: int = 0) -> list[str]:
    """The pages of a MusicXML file's score laid out for paper (`score.print_pages_local`), sanitized."""
    return call(print_pages_local, bytes(musicxml), transpose=int(transpose), label="MusicXML", what="print")


def print_tune_pages(abc: str, *, transpose: int = 0) -> list[str]:
    """The pages of a tune's score laid out for paper, `transpose` semitones away (`score.print_tune_pages_local`),
    sanitized."""
    return call(print_tune_pages_local, abc, transpose=int(transpose), label=abc, what="print")
