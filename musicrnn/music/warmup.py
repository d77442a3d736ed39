"""Warm-up for render workers. Importing this module (the forkserver does, once) loads music21 and parses a
tiny tune, so every worker forked afterwards starts warm.

Nothing here may raise at import: an exception would stop the forkserver.
"""
from __future__ import annotations

from musicrnn.music.audio import soundfont_bytes
from musicrnn.music.performance import performance_local
from musicrnn.music.score import musicxml_local, verovio_toolkit

_TINY = "X:1\nT:warm\nL:1/8\nM:6/8\nK:D\n|:A|dfa d2B|1AFD D2:|2AFD D3|]\n"

_warmed = False


def _warm_music21() -> None:
    global _warmed
    if _warmed:
        return
    _warmed = True
    try:
        performance_local(_TINY)
        musicxml_local(_TINY)
    except Exception:  # a worker will report real problems on its first call
        pass


def warm_worker() -> None:
    """Per-worker warm-up: native converters are created after the fork, not before."""
    _warm_music21()  # already done when forked from the forkserver
    try:
        verovio_toolkit()
        soundfont_bytes()
        import midirenderer  # noqa: F401
    except Exception:
        pass


_warm_music21()
