"""The cell-statistics cache, owner of its on-disk format: one `.npz` per model and tune set, under
`$MUSICRNN_CACHE/inspection/` (the stream cache's root, `data/stream.cache_dir`), named by a hash of the
model's content (config, vocabulary, weights: the same weights under another file name are the same model) and
a hash of the tunes' text. Written atomically; a file that does not fit is ignored and rewritten.

A set of 200 tunes costs a few seconds to compute on a CPU and milliseconds to read back.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from musicrnn.data.stream import cache_dir
from musicrnn.data.vocab import Vocab
from musicrnn.files import atomic_write
from musicrnn.inspection.cells import CellStats, compute_statistics
from musicrnn.inspection.features import FEATURES, FEATURES_VERSION
from musicrnn.inspection.states import kinds_of
from musicrnn.model.network import CharRNN

CACHE_FOLDER = "inspection"
#: Raise when the file's layout changes; FEATURES_VERSION is in the name too.
CACHE_VERSION = 1


def model_fingerprint(model: CharRNN, vocab: Vocab) -> str:
    """A short hash of what a model computes: its config, vocabulary and every weight's bytes."""
    h = hashlib.sha256(json.dumps([model.cfg.to_dict(), vocab.tokens]).encode())
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def tunes_fingerprint(tunes: list[str]) -> str:
    h = hashlib.sha256()
    for t in tunes:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def cache_path(model: CharRNN, vocab: Vocab, tunes: list[str]) -> Path:
    name = f"cells-{model_fingerprint(model, vocab)}-{tunes_fingerprint(tunes)}-v{CACHE_VERSION}.{FEATURES_VERSION}.npz"
    return cache_dir() / CACHE_FOLDER / name


def cell_statistics(model: CharRNN, vocab: Vocab, tunes: list[str], *, use_cache: bool = True) -> CellStats:
    """The correlations of every unit with every feature over `tunes` (`cells.compute_statistics`), read from
    the cache when this model and these tunes were seen before (`cached` is then True)."""
    path = cache_path(model, vocab, tunes) if use_cache else None
    if path is not None and path.is_file():
        stats = read_statistics(path, model)
        if stats is not None:
            return stats
    stats = compute_statistics(model, vocab, tunes)
    if path is not None:
        try:
            write_statistics(path, stats)
        except OSError:
            pass  # a read-only cache only costs time
    return stats


def write_statistics(path: Path, stats: CellStats) -> None:
    meta = json.dumps({"features": list(stats.features), "kinds": list(stats.kinds), "tunes": stats.tunes,
                       "chars": stats.chars})
    atomic_write(path, lambda f: np.savez(f, r=stats.r, counts=stats.counts, varies=stats.varies,
                                          meta=np.array(meta)), suffix=".tmp")


def read_statistics(path: Path, model: CharRNN) -> CellStats | None:
    """The cached statistics, or None when the file is damaged or does not fit the model and the features."""
    cfg = model.cfg
    kinds = kinds_of(model)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            r, counts, varies = z["r"], z["counts"], z["varies"]
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    if not isinstance(meta, dict) or meta.get("features") != list(FEATURES) or meta.get("kinds") != list(kinds):
        return None
    if (r.shape != (len(FEATURES), cfg.layers, len(kinds), cfg.hidden_size) or counts.shape != (len(FEATURES),)
            or varies.shape != (len(FEATURES),) or not np.isfinite(r).all()):
        return None
    if not all(isinstance(meta.get(k), int) for k in ("tunes", "chars")):
        return None
    return CellStats(FEATURES, kinds, r.astype(np.float64), counts.astype(np.int64), varies.astype(bool),
                     meta["tunes"], meta["chars"], cached=True)
