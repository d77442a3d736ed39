"""A tune's score, timeline, audio, MIDI and MusicXML for the page, made in the render workers and cached by
content in this process (the player's HTTP routes serve the audio and files from the same cache)."""
from __future__ import annotations

import hashlib
import io
import threading
import wave
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from musicrnn.errors import MusicRNNError, RenderError

#: What a render makes at once. The page's audio (WAV: Opus takes longer to synthesize here) is made from the
#: MIDI when the player first asks for it (`page_audio`), so the score is drawn without waiting for the sound.
RENDER_FORMATS = ("abc", "midi", "musicxml", "svg", "timeline")


class _LRU:
    def __init__(self, size: int):
        self.size, self.lock, self.items = size, threading.Lock(), OrderedDict()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_CACHE = _LRU(96)  # the process's renders, shared by every session and the HTTP routes


def cached_render(key: str) -> dict | None:
    """A render made earlier in this process, by the key `render_key` gave it."""
    return _CACHE.get(key)


def render_key(abc: str, tempo: float | None, instrument: str, transpose: int, written_above: int, swing: float,
               click: bool, ended: bool | None, page_width: int | None) -> str:
    tempo = None if tempo is None else float(tempo)
    return hashlib.sha256(repr((abc, tempo, instrument, int(transpose), int(written_above), float(swing),
                                bool(click), ended, page_width)).encode()).hexdigest()[:32]


def compact_wav(wav: bytes) -> bytes:
    """The page's audio: mono and half the sample rate of the synthesizer's WAV (a quarter of the bytes).

    Full-quality WAV stays a download; Opus would be smaller but takes ~3x longer to make than WAV here.
    """
    try:
        with wave.open(io.BytesIO(wav)) as w:
            ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            if width != 2:
                return wav
            a = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch).astype(np.float32).mean(axis=1)
    except (wave.Error, EOFError, ValueError):
        return wav
    if rate >= 32000:
        a = a[: len(a) // 2 * 2].reshape(-1, 2).mean(axis=1)
        rate //= 2
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(a, -32768, 32767).astype("<i2").tobytes())
    return out.getvalue()


def render_tune(abc: str, *, tempo: float | None = None, instrument: str = "piano", transpose: int = 0,
                written_above: int = 0, swing: float = 0.0, click: bool = False, ended: bool | None = None,
                page_width: int | None = None) -> dict:
    """Check, score, timeline, MIDI and MusicXML of a tune, in one isolated worker call; cached by content.
    Without a `tempo` the tune plays at its own: its `Q:`, else its type's pace (`R:jig`: 168 quarter notes a
    minute), else the library's default. `transpose` moves the sound and the score, `written_above` the score
    alone (a transposing instrument's part); `click` adds a metronome to the sound.

    Returns `musicrnn.music.isolated.render_all`'s dict plus `key` (its place in the cache); `page_audio` adds
    `data["wav"]` later. Raises MusicRNNError only for bad options or oversized text; a failed format is in
    `errors`.
    """
    key = render_key(abc, tempo, instrument, transpose, written_above, swing, click, ended, page_width)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    from musicrnn.music.isolated import render_all

    res = render_all(abc, RENDER_FORMATS, tempo=tempo, instrument=instrument, transpose=transpose,
                     written_above=written_above, swing=swing, click=click, check=True, ended=ended,
                     page_width=page_width)
    res["key"] = key
    # what the printable sheet is made of: the semitones it is written away from the tune as given, those its
    # score is still to be moved by the engraver (a tune that could not be written out in the new key), and why
    written = res.get("written") or {"left": 0, "why": None}
    res["request"] = {"abc": abc, "written": transpose + written_above, **written}
    _CACHE.put(key, res)
    return res


def page_audio(res: dict) -> bytes:
    """The page's audio of a render (`compact_wav` of its MIDI synthesized), made the first time it is asked
    for and kept in the render. Raises MusicRNNError when the render has no MIDI or the synthesizer fails."""
    wav = res["data"].get("wav")
    if wav is None:
        from musicrnn.music.isolated import midi_to_wav

        midi = res["data"].get("midi")
        if midi is None:
            raise MusicRNNError(res["errors"].get("midi") or "this render has no MIDI to play")
        wav = res["data"]["wav"] = compact_wav(midi_to_wav(midi))
    return wav


def print_sheet(res: dict) -> bytes:
    """The printable sheet (`musicrnn.music.sheet`) of a render: its score laid out for paper and transposed as
    it plays, under the tune's title; made the first time it is asked for and kept in the render. Raises
    MusicRNNError when the tune has no score."""
    sheet = res["data"].get("sheet")
    if sheet is None:
        from musicrnn.music.isolated import print_pages
        from musicrnn.music.sheet import sheet_html
        from musicrnn.notation.fields import header_value

        xml = res["data"].get("musicxml")
        if xml is None or not res["data"].get("svg"):
            raise RenderError(res["errors"].get("svg") or res["errors"].get("musicxml") or "this tune has no score")
        request = res["request"]
        pages = print_pages(xml, transpose=request["left"])
        sheet = res["data"]["sheet"] = sheet_html(header_value(request["abc"], "T") or "Untitled tune",
                                                  [pages]).encode()
    return sheet


#: The most tunes one printable sheet holds (a tunebook's search narrows a larger book).
PRINT_LIMIT = 100


def print_tunes(tunes: list[str], title: str, *, transpose: int = 0) -> bytes:
    """The printable sheet of several tunes, each engraved for paper in the render workers side by side, in the
    order given (at most PRINT_LIMIT), `transpose` semitones away; a tune that cannot be engraved is named after
    the others, with why."""
    from musicrnn.music.isolated import get_pool, print_tune_pages
    from musicrnn.music.sheet import sheet_html
    from musicrnn.notation.tunes import tune_label

    def one(abc: str) -> tuple[list[str] | None, str | None]:
        try:
            return print_tune_pages(abc, transpose=transpose), None
        except MusicRNNError as e:  # its message names the tune, as the music layer's errors do
            label = tune_label(abc)
            return None, str(e) if label in str(e) else f"{label}: {e}"

    with ThreadPoolExecutor(max_workers=get_pool().size) as ex:
        done = list(ex.map(one, tunes[:PRINT_LIMIT]))
    problems = [p for _, p in done if p] + ([f"{len(tunes) - PRINT_LIMIT} more tunes: a sheet holds at most "
                                             f"{PRINT_LIMIT}; search to print the others"]
                                            if len(tunes) > PRINT_LIMIT else [])
    return sheet_html(title, [pages for pages, _ in done if pages], problems).encode()


def check_many(texts: list[str], ended: list[bool | None]) -> list[dict | None | str]:
    """Check several tunes at once (the render workers run side by side): a report dict, or an error."""
    from musicrnn.music.isolated import check

    def one(args):
        text, end = args
        try:
            return check(text, ended=end).to_dict()
        except MusicRNNError as e:
            return str(e)

    with ThreadPoolExecutor(max_workers=2) as ex:
        return list(ex.map(one, zip(texts, ended)))
