"""Shared pieces of the app's pages: cached resources, the model picker, errors, and the tune view.

Everything slow or shared lives in the library; this module only caches it at the Streamlit boundary
and draws it. Keep the cached functions small and stable: `st.cache_resource` keys include their source.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import wave
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import streamlit as st

from musicrnn import jobs
from musicrnn.errors import CheckpointError, MusicRNNError

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = {"dataset": "app_pages/dataset.py", "train": "app_pages/train.py", "studio": "app_pages/studio.py",
              "tunebook": "app_pages/tunebook.py"}
RENDER_FORMATS = ("midi", "wav", "musicxml", "svg")

# ---------------------------------------------------------------------------------------------- text


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def md_escape(text: str) -> str:
    """Text shown through markdown (st.error, labels) as typed: no links, images, emphasis or icons."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_error(what: str, err: BaseException | str | None) -> None:
    """`st.error` naming what failed and why; the cause (which may quote tune text) is escaped."""
    cause = str(err) if err is not None else "unknown error"
    st.error(f"**{what}**: {md_escape(cause)}", icon=":material/error:")


# ------------------------------------------------------------------------------------------- data


def data_root() -> Path:
    """Downloads and uploads: `$MUSICRNN_DATA`, else `data/` in the working folder."""
    return Path(os.environ.get("MUSICRNN_DATA") or "data").expanduser()


def irishman_dir() -> Path:
    return data_root() / "irishman"


def uploads_dir() -> Path:
    return data_root() / "uploads"


def known_sources() -> dict[str, str]:
    """Training and exploring sources on this machine: {source string: label}."""
    out = {"music21": "Bundled music21 tunes (O'Neill's, Ryan's, Essen, Nottingham…)",
           "music21:dance": "Bundled dance tunes only (Ryan's Mammoth, O'Neill's, Aird's)"}
    if (irishman_dir() / "train.json").is_file():
        out[str(irishman_dir())] = f"IrishMAN ({irishman_dir()})"
    if uploads_dir().is_dir():
        for p in sorted(uploads_dir().iterdir()):
            if p.suffix.lower() in (".json", ".abc") and p.is_file():
                out[str(p)] = f"Uploaded: {p.name}"
    return out


def source_label(src: str) -> str:
    return known_sources().get(src, src)


# ------------------------------------------------------------------------------------ shared objects


@st.cache_resource(show_spinner=False)
def training_jobs() -> jobs.TrainingJobs:
    """The process-wide training registry: every session sees the same runs."""
    return jobs.TrainingJobs()


@st.cache_resource(show_spinner=False)
def warm_render_pool() -> threading.Thread:
    """Start the render workers (music21 loads in ~2 s) while the user looks around, not on first Generate."""

    def run():
        try:
            from musicrnn import isolate

            isolate.get_pool().warm_up()
        except Exception:  # noqa: BLE001 - the first real call reports any problem
            pass

    t = threading.Thread(target=run, name="musicrnn-render-warmup", daemon=True)
    t.start()
    return t


@st.cache_resource(show_spinner=False)
def settle_heap() -> bool:
    """Move the objects alive after start-up (torch, streamlit, numpy…) out of the garbage collector's view.

    A full collection over them takes ~0.2 s holding the GIL; a training thread in this process would stall
    each time. `gc.freeze` is process-wide and done once.
    """
    import gc

    gc.collect()
    gc.freeze()
    return True


@st.cache_resource(show_spinner=False)
def device_info() -> tuple[str, str]:
    """(type, label) of the device training and generation use by default."""
    from musicrnn.model import device_label, pick_device

    dev = pick_device("auto")
    return dev.type, device_label(dev)


def model_choices() -> dict[str, str]:
    """Models the studio can use: the shipped one (when present), then trained runs with a best.pt."""
    from musicrnn.checkpoint import resolve

    out: dict[str, str] = {}
    try:
        resolve(None)
        out["default"] = "Shipped model"
    except CheckpointError:
        pass
    # finished runs first (newest first), then runs still training: a new session gets a settled model
    for r in sorted(jobs.list_runs(), key=lambda r: r.active):
        if r.has_best:
            bpc = f" · {r.best_val_bpc:.2f} bpc" if r.best_val_bpc else ""
            out[str(r.folder)] = f"{r.name}{bpc}" + (" (training)" if r.active else "")
    for path, label in st.session_state.get("extra_models", {}).items():
        out.setdefault(path, label)
    return out


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _load_model(path: str, mtime: float):
    from musicrnn.checkpoint import load_model
    from musicrnn.model import pick_device

    model, vocab, ckpt = load_model(path, pick_device("auto"))
    try:  # the first forward pass pays one-off kernel set-up: pay it here, not on the first Generate
        from musicrnn.sample import sample

        sample(model, vocab, 1, prime="X:1\n", max_chars=4)
    except Exception:  # noqa: BLE001 - a model that cannot sample says so on Generate
        pass
    return model, vocab, ckpt


def get_model(value: str):
    """(model, vocab, checkpoint dict) for a picker value; reloads when the file changes."""
    from musicrnn.checkpoint import resolve

    p = resolve(None if value == "default" else value)
    try:
        mtime = p.stat().st_mtime
    except OSError as e:
        raise CheckpointError(f"{p}: {e.strerror}") from None
    try:
        return _load_model(str(p), mtime)
    except MusicRNNError:
        raise
    except Exception as e:  # noqa: BLE001 - torch.load raises many types on a damaged file
        raise CheckpointError(f"{p}: not a readable musicrnn checkpoint ({type(e).__name__}: {e})"[:400]) from None


def active_model() -> tuple[str | None, str | None]:
    """(value, label) of the model picked in the sidebar, or (None, None) when there is none."""
    choices = model_choices()
    value = st.session_state.get("model")
    if value not in choices:
        value = next(iter(choices), None)
    return value, choices.get(value) if value else None


def use_model(path: str, label: str | None = None) -> None:
    """Make `path` the active model on the next run (the sidebar picker reads `pending_model`)."""
    if label:
        st.session_state.setdefault("extra_models", {})[path] = label
    st.session_state["pending_model"] = path


# ------------------------------------------------------------------------------------------- media


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


@st.cache_resource(show_spinner=False)
def _media_cache() -> _LRU:
    return _LRU(96)


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


def render_tune(abc: str, *, tempo: float = 120, instrument: str = "piano", transpose: int = 0,
                swing: float = 0.0, ended: bool | None = None) -> dict:
    """Check, score, MIDI, page audio and MusicXML of a tune, in one isolated worker call; cached by content.

    Returns isolate.render_all's dict, with `data["wav"]` replaced by the compact page audio. Raises
    MusicRNNError only for bad options or oversized text; a failed format is in `errors`.
    """
    key = hashlib.sha256(repr((abc, float(tempo), instrument, int(transpose), float(swing), ended)).encode()).hexdigest()
    cache = _media_cache()
    hit = cache.get(key)
    if hit is not None:
        return hit
    from musicrnn import isolate

    res = isolate.render_all(abc, RENDER_FORMATS, tempo=tempo, instrument=instrument, transpose=transpose,
                             swing=swing, check=True, ended=ended)
    if "wav" in res["data"]:
        res["data"]["wav"] = compact_wav(res["data"]["wav"])
    cache.put(key, res)
    return res


def check_many(texts: list[str], ended: list[bool | None]) -> list[dict | None | str]:
    """Check several tunes at once (the render workers run side by side): a report dict, or an error."""
    from musicrnn import isolate

    def one(args):
        text, end = args
        try:
            return isolate.check(text, ended=end).to_dict()
        except MusicRNNError as e:
            return str(e)

    with ThreadPoolExecutor(max_workers=2) as ex:
        return list(ex.map(one, zip(texts, ended)))


# -------------------------------------------------------------------------------------- tune view


def badges(check: dict | None, check_error: str | None = None) -> None:
    """Validity badges from a check report (numbers and fixed words only: no tune text in markdown)."""
    if not check:
        st.markdown(":gray-badge[:material/help: not checked]")
        if check_error:
            st.caption("check failed: " + md_escape(check_error)[:300])
        return
    b = []
    b.append(":green-badge[:material/check: parses]" if check.get("parses") else ":red-badge[:material/close: does not parse]")
    bad, bars = len(check.get("bad_bars") or []), int(check.get("bars") or 0)
    if check.get("parses"):
        b.append(f":green-badge[{bars} bars fit the meter]" if not bad else f":orange-badge[{bad} of {bars} bars off the meter]")
    b.append(":green-badge[repeats closed]" if not check.get("open_repeats") else
             f":orange-badge[{len(check['open_repeats'])} open repeat(s)]")
    b.append(":green-badge[ends]" if check.get("ended") else ":orange-badge[cut off]")
    b.append(f":blue-badge[score {float(check.get('score') or 0):.2f}]")
    st.markdown(" ".join(b))
    if check.get("error"):
        st.caption("music21: " + md_escape(check["error"])[:300]
                   + (f" (line {int(check['error_line'])})" if check.get("error_line") else ""))


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "tune"


def tune_view(abc: str, key: str, *, playback: dict | None = None, ended: bool | None = None,
              editable: bool = True, file_stem: str = "tune", save_settings: dict | None = None,
              show_abc: bool = True) -> str:
    """One tune: badges, engraved score, audio, the ABC (editable: edits re-render), downloads and
    (with `save_settings`) a save-to-tunebook form. Returns the (possibly edited) ABC."""
    playback = playback or {}
    if editable:
        abc = st.text_area("ABC (edit it: score and audio follow)", abc, key=f"{key}_abc", height=200)
    try:
        res = render_tune(abc, ended=ended, **playback)
    except MusicRNNError as e:
        show_error("Cannot render this tune", e)
        res = None
    if res is not None:
        badges(res.get("check"), res.get("check_error"))
        data, errors = res["data"], res["errors"]
        if data.get("svg"):
            st.image(data["svg"], width="stretch")
        else:
            show_error("No score", errors.get("svg") or errors.get("musicxml"))
        if data.get("wav"):
            st.audio(data["wav"], format="audio/wav")
        else:
            show_error("No audio", errors.get("wav") or errors.get("midi"))
    if show_abc and not editable:
        st.code(abc, language=None)
    stem = _safe_name(file_stem)
    cols = st.columns(4)
    cols[0].download_button("ABC", abc, file_name=f"{stem}.abc", mime="text/plain", key=f"{key}_dl_abc",
                            on_click="ignore", icon=":material/download:", width="stretch")
    if res is not None and res["data"].get("midi"):
        cols[1].download_button("MIDI", res["data"]["midi"], file_name=f"{stem}.mid", mime="audio/midi",
                                key=f"{key}_dl_midi", on_click="ignore", icon=":material/download:", width="stretch")
        midi = res["data"]["midi"]

        def full_wav() -> bytes:
            from musicrnn import render

            return render.midi_to_wav(midi)

        cols[2].download_button("WAV", full_wav, file_name=f"{stem}.wav", mime="audio/wav", key=f"{key}_dl_wav",
                                on_click="ignore", icon=":material/download:", width="stretch")
    if res is not None and res["data"].get("musicxml"):
        cols[3].download_button("MusicXML", res["data"]["musicxml"], file_name=f"{stem}.musicxml",
                                mime="application/vnd.recordare.musicxml+xml", key=f"{key}_dl_xml",
                                on_click="ignore", icon=":material/download:", width="stretch")
    if save_settings is not None:
        save_form(abc, key, save_settings)
    return abc


def save_form(abc: str, key: str, settings: dict) -> None:
    from musicrnn.tunebook import Tunebook

    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    title = c1.text_input("Title", key=f"{key}_title", placeholder="Untitled")
    if c2.button("Save to tunebook", key=f"{key}_save", icon=":material/bookmark_add:", width="stretch"):
        try:
            tid = Tunebook().add(abc, title or None, settings)
            st.success(f"Saved as tune {tid} in the tunebook.", icon=":material/check:")
        except MusicRNNError as e:
            show_error("Could not save", e)
