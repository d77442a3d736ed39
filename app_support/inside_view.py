"""The Inside page's pieces: the tune to read (from the studio, the tunebook, the validation split or pasted),
its text as `evaluate` reads it, the model's reading of it and the cell statistics of its validation tunes (both
cached), and what the page draws from a reading (note shades, positions, the strongest units)."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from app_support.models import get_model, model_path
from app_support.shaded_text import BITS_SCALE
from musicrnn.errors import CheckpointError, MusicRNNError
from musicrnn.inspection import DESCRIPTIONS, FEATURES, CellStats, Reading, Unit, note_bits, note_spans
from musicrnn.notation.tunes import normalize_newlines, split_tunes

#: Where the page's tune comes from.
SOURCES = ("Studio candidate", "Tunebook", "Validation tune", "Paste ABC")
#: The longest tune the page reads: its states (every unit of every layer at every character) stay near 30 MB.
MAX_CHARS = 5000
#: The validation tunes the cell statistics run over (the first ones of the split): a few seconds on a CPU.
CELL_TUNES = 200
#: Units listed per feature.
UNITS_LISTED = 3


@dataclass
class TuneText:
    """The text the page reads, what happened to it on the way (`notes`; `warnings` when its bits are not
    evaluate's figure), or why there is none (`error`). The messages are this module's own markdown."""

    text: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def tune_text(abc: str | None, as_written: bool = False) -> TuneText:
    """The text to read: the first tune of `abc`, cleaned as the corpus was (so its bits are evaluate's figure)
    unless `as_written`; a tune that cleaning drops is read as written, and says so."""
    from musicrnn.data.clean import clean_tunes

    text = normalize_newlines(abc or "")
    if not text.strip():
        return TuneText("", error="The tune is empty: paste or pick a tune in ABC notation.")
    tunes = split_tunes(text)
    notes = []
    if len(tunes) > 1:
        notes.append(f"The text holds {len(tunes)} tunes; the page reads the first.")
        text = tunes[0]
    if len(text) > MAX_CHARS:
        return TuneText("", error=f"The tune is {len(text):,} characters long; the page reads tunes of at most "
                                  f"{MAX_CHARS:,}.")
    if as_written:
        return TuneText(text, notes)
    cleaned, report = clean_tunes([text])
    if not cleaned:
        why = ", ".join(k.replace("_", " ") for k in report.dropped) or "nothing left of it"
        return TuneText(text, notes, [f"Cleaning drops this tune ({why}), so it is read as written: its bits are "
                                      "not the figure `evaluate` would give."])
    if cleaned[0].strip() != text.strip():
        done = [f"{k} lines dropped" for k in report.fields_dropped] + [k.replace("_", " ")
                                                                          for k in report.changed]
        notes.append("Read as the corpus was cleaned, as `evaluate` reads a tune"
                     + (f" ({', '.join(done)})" if done else "") + ". Switch on *Read as written* to read it "
                     "exactly as shown.")
    return TuneText(cleaned[0], notes)


def digest(text: str) -> str:
    """A short name for a text, for widget keys."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def model_file(value: str) -> tuple[str, float]:
    """(path, mtime) of the picked model's checkpoint: a run's best.pt changes while it trains."""
    p = model_path(value)
    try:
        return str(p), p.stat().st_mtime
    except OSError as e:
        raise CheckpointError(f"{p}: {e.strerror}") from None


@st.cache_resource(max_entries=8, show_spinner=False)
def _reading(value: str, path: str, mtime: float, text: str) -> Reading:
    from musicrnn.inspection import read_tune

    model, vocab, _ = get_model(value)
    return read_tune(model, vocab, text, distributions=True, states=True)


def reading_of(value: str, text: str) -> Reading:
    """The model's reading of `text` from a fresh state, with every position's distribution and every layer's
    states; one forward pass per model file and text."""
    return _reading(value, *model_file(value), text)


@st.cache_data(max_entries=4, show_spinner=False)
def _validation(value: str, path: str, mtime: float) -> tuple[list[str], str | None]:
    from musicrnn.inspection import validation_split

    return tuple(validation_split(get_model(value)[2]))


def validation_of(value: str) -> list[str]:
    """The validation tunes of the corpus the picked model was trained on (CorpusError when it cannot say)."""
    return _validation(value, *model_file(value))[0]


def validation_change(value: str) -> str | None:
    """Why the picked model's validation tunes may hold tunes it trained on (its corpus has changed), or None."""
    return _validation(value, *model_file(value))[1]


@st.cache_resource(max_entries=4, show_spinner=False)
def _cells(value: str, path: str, mtime: float, n: int) -> tuple[CellStats, float]:
    from musicrnn.inspection import cell_statistics

    model, vocab, _ = get_model(value)
    tunes = validation_of(value)[:n]
    t0 = time.perf_counter()
    stats = cell_statistics(model, vocab, tunes)
    return stats, time.perf_counter() - t0


def cells_of(value: str, n: int = CELL_TUNES) -> tuple[CellStats, float]:
    """The correlations of every unit with every feature over the first `n` validation tunes (cached on disk
    by the library, and in memory here), and the seconds they took when first asked for."""
    return _cells(value, *model_file(value), n)


def note_shades(reading: Reading, scale: float = BITS_SCALE) -> list[float]:
    """Each written note's surprisal (the bits of its characters; chords one note, rests and grace notes not
    counted) over `scale`, clipped to [0, 1]: what the player shades the score's notes with."""
    try:
        spans = [s for s in note_spans(reading.text) if s.kind in ("note", "chord")]
    except (MusicRNNError, ValueError):
        return []
    return [float(x) for x in np.clip(note_bits(reading, spans) / scale, 0.0, 1.0)] if spans else []


def text_values(reading: Reading, per_char: np.ndarray) -> list[float | None]:
    """Values of the characters read (`per_char`, one per character read) at their places in the text; None
    for the characters the model does not know (left out of the reading)."""
    out: list[float | None] = [None] * len(reading.text)
    for i, v in zip(reading.offsets.tolist(), per_char.tolist()):
        out[i] = v
    return out


def unknown_chars(reading: Reading) -> list[str]:
    """The distinct characters of the text the model does not know, in the order they first appear."""
    known = set(reading.offsets.tolist())
    return list(dict.fromkeys(c for i, c in enumerate(reading.text) if i not in known))


def position_of(reading: Reading, text_index: int) -> int:
    """The position (0 to chars: chars is the end token) of the text's character `text_index`, or of the next
    character read when the model left that one out."""
    if text_index >= len(reading.text):
        return reading.chars
    return int(np.searchsorted(reading.offsets, text_index))


def text_index_of(reading: Reading, position: int) -> int:
    """Where position `position` stands in the text (the text's length for the end token)."""
    return int(reading.offsets[position]) if position < reading.chars else len(reading.text)


def surprising_position(reading: Reading) -> int:
    """The first position worth looking at: the most surprising character of the body (after `K:`), else of
    the tune."""
    bits = reading.bits[:-1]
    if not len(bits):
        return 0
    k = reading.text.find("\nK:")
    body_start = reading.text.find("\n", k + 1) + 1 if k >= 0 else 0
    body = np.flatnonzero(reading.offsets >= body_start) if body_start else np.arange(len(bits))
    pick = body if len(body) else np.arange(len(bits))
    return int(pick[np.argmax(bits[pick])])


def units_table(stats: CellStats, n: int = UNITS_LISTED) -> list[dict]:
    """The strongest `n` units of each feature as table rows; a feature that does not vary over the tunes is
    one row that says so."""
    rows = []
    for feature in FEATURES:
        units = stats.strongest(feature, n)
        if not units:
            rows.append({"feature": feature, "what it is": DESCRIPTIONS[feature], "layer": None, "kind": None,
                         "unit": None, "r": None})
        for u in units:
            rows.append({"feature": feature, "what it is": DESCRIPTIONS[feature], "layer": u.layer,
                         "kind": "cell" if u.kind == "c" else "hidden", "unit": u.index, "r": round(u.r, 3)})
    return rows


def unit_choices(stats: CellStats, n: int = 5) -> dict[str, tuple[str, Unit]]:
    """The units one may colour the tune by, by label: the strongest `n` of each feature, the strongest for
    bar position first."""
    out: dict[str, tuple[str, Unit]] = {}
    for feature in sorted(FEATURES, key=lambda f: f != "bar_position"):
        for u in stats.strongest(feature, n):
            kind = "cell" if u.kind == "c" else "hidden"
            out[f"{feature} · layer {u.layer} {kind} unit {u.index} · r = {u.r:+.2f}"] = (feature, u)
    return out
