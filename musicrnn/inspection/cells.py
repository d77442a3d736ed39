"""Cells: which units of the network track which feature of the notation. Over a set of tunes, every hidden
and cell unit of every layer is correlated (Pearson r) with each feature of `features.py`, at every character
where the feature is defined; the strongest units per feature are listed, as Karpathy, Johnson and Fei-Fei
(2015) found cells for line length, quotes and brackets in text.

One pass per tune set: the tunes are read in batches with their states, and only running sums are kept, so
memory does not grow with the set. The statistics are cached on disk (`cell_statistics`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from musicrnn.data.batches import pad_tunes
from musicrnn.data.vocab import Vocab
from musicrnn.generation.scoring import encode_tunes_lenient
from musicrnn.inspection.features import FEATURES, tune_features
from musicrnn.inspection.states import kinds_of, run_layers
from musicrnn.inspection.surprise import STATE_BATCH_CHARS, Reading, batches
from musicrnn.model.device import single_thread_on_cpu
from musicrnn.model.network import CharRNN

#: A unit's variance below this share of its mean's square (or of 1) counts as constant: its r is 0, not NaN.
CONSTANT = 1e-10


@dataclass(frozen=True)
class Unit:
    """One unit of the network: `layer` from 0, `kind` "h" (hidden) or "c" (an LSTM's cell), `index` within
    the layer, and its correlation `r` with a feature."""

    layer: int
    kind: str
    index: int
    r: float

    def to_dict(self) -> dict:
        return {"layer": self.layer, "kind": self.kind, "unit": self.index, "r": round(self.r, 4)}


class Correlator:
    """Running sums for the Pearson r of every unit with every feature, each feature over the rows where it is
    defined (not NaN). Features are centred on `means` first, and sums are float64, so r is exact to ~1e-12
    even for a feature like pitch whose mean is far from 0."""

    def __init__(self, features: int, units: int, means: np.ndarray | None = None):
        self.means = np.zeros(features) if means is None else np.nan_to_num(np.asarray(means, dtype=np.float64))
        self.n = np.zeros(features)
        self.f = np.zeros(features)
        self.ff = np.zeros(features)
        self.a = np.zeros((features, units))
        self.aa = np.zeros((features, units))
        self.fa = np.zeros((features, units))

    def add(self, feats: np.ndarray, acts) -> None:
        """Rows of features (rows, features; NaN where undefined) and activations (rows, units; an array or a
        tensor)."""
        mask = ~np.isnan(feats)
        fz = torch.from_numpy(np.where(mask, feats - self.means, 0.0))
        m = torch.from_numpy(mask.astype(np.float64))
        a = torch.as_tensor(acts).double()  # torch: its element-wise square of a big block is 3x numpy's here
        self.n += mask.sum(0)
        self.f += fz.sum(0).numpy()
        self.ff += (fz * fz).sum(0).numpy()
        self.a += (m.T @ a).numpy()
        self.fa += (fz.T @ a).numpy()
        self.aa += (m.T @ a.square()).numpy()

    def varies(self) -> np.ndarray:
        """(features,) whether each feature takes more than one value over its rows."""
        n = np.maximum(self.n, 1)
        return (self.ff / n - (self.f / n) ** 2 > CONSTANT) & (self.n > 1)

    def r(self) -> np.ndarray:
        """(features, units) Pearson r; 0 where a feature or a unit is constant over the rows (or no rows)."""
        n = np.maximum(self.n, 1)[:, None]
        mean_a = self.a / n
        var_a = self.aa / n - mean_a**2
        mean_f = (self.f / n[:, 0])[:, None]
        var_f = self.ff[:, None] / n - mean_f**2
        cov = self.fa / n - mean_f * mean_a
        ok = (var_a > CONSTANT * np.maximum(mean_a**2, 1)) & (var_f > CONSTANT) & (self.n[:, None] > 1)
        r = np.where(ok, cov / np.sqrt(np.where(ok, var_a * var_f, 1.0)), 0.0)
        return np.clip(r, -1.0, 1.0)


def correlate(feats: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """(features, units) Pearson r of each activation column with each feature column over the rows where the
    feature is defined; 0 for a constant column."""
    c = Correlator(feats.shape[1], acts.shape[1], column_means(feats))
    c.add(feats, acts)
    return c.r()


def column_means(feats: np.ndarray) -> np.ndarray:
    """Each column's mean over its defined rows (0 for a column with none), without NaN warnings."""
    defined = ~np.isnan(feats)
    return np.where(defined, feats, 0.0).sum(0) / np.maximum(defined.sum(0), 1)


@dataclass
class CellStats:
    """Correlations of every unit with every feature over a tune set: r[feature, layer, kind, unit]."""

    features: tuple[str, ...]
    kinds: tuple[str, ...]
    r: np.ndarray  # (features, layers, kinds, hidden) float64
    counts: np.ndarray  # (features,) characters where each feature is defined
    varies: np.ndarray  # (features,) bool: False for a feature constant over the tunes (no unit can follow it)
    tunes: int
    chars: int
    cached: bool = False

    def strongest(self, feature: str, n: int = 10) -> list[Unit]:
        """The `n` units whose |r| with `feature` is largest, strongest first; none for a feature that does not
        vary over the tunes (the validation tunes may hold no chord symbol, say)."""
        if feature not in self.features:
            raise ValueError(f"feature {feature!r}: not one of {', '.join(self.features)}")
        if not self.varies[self.features.index(feature)]:
            return []
        r = self.r[self.features.index(feature)]
        flat = np.argsort(-np.abs(r), axis=None, kind="stable")[:n]
        out = []
        for f in flat:
            layer, kind, index = np.unravel_index(f, r.shape)
            out.append(Unit(int(layer), self.kinds[kind], int(index), float(r[layer, kind, index])))
        return out

    def table(self, n: int = 5) -> dict[str, list[Unit]]:
        """The strongest `n` units of every feature."""
        return {f: self.strongest(f, n) for f in self.features}


def compute_statistics(model: CharRNN, vocab: Vocab, tunes: list[str]) -> CellStats:
    """Read `tunes` once with their states and correlate every unit with every feature (no cache)."""
    cfg = model.cfg
    kinds = kinds_of(model)
    device = next(model.parameters()).device
    feats = [tune_features(t) for t in tunes]
    arrays, _ = encode_tunes_lenient(vocab, tunes)
    # Rows of each tune's features at the characters read (the lenient encoding leaves unknown ones out).
    rows = [f[[i for i, c in enumerate(t) if c in vocab.index]] for f, t in zip(feats, tunes)]
    means = column_means(np.concatenate(rows)) if rows else None
    units = cfg.layers * len(kinds) * cfg.hidden_size
    corr = Correlator(len(FEATURES), units, means)
    order = sorted(range(len(tunes)), key=lambda i: len(arrays[i]))
    was_training = model.training
    model.eval()
    with single_thread_on_cpu(device), torch.inference_mode():
        for group in batches(order, [len(a) for a in arrays], 256, STATE_BATCH_CHARS):
            x, _ = pad_tunes([arrays[i] for i in group])
            _, st = run_layers(model, x.to(device))
            # The state after reading character i is at time i + 1 (time 0 reads the <eos> before the tune).
            acts = torch.cat([st[r, 1:len(arrays[i])].reshape(-1, units) for r, i in enumerate(group)])
            corr.add(np.concatenate([rows[i] for i in group]), acts.cpu())
    model.train(was_training)
    r = corr.r().reshape(len(FEATURES), cfg.layers, len(kinds), cfg.hidden_size)
    return CellStats(FEATURES, kinds, r, corr.n.astype(np.int64), corr.varies(), len(tunes),
                     int(sum(len(x) for x in rows)))


def unit_activation(reading: Reading, layer: int, kind: str, index: int) -> np.ndarray:
    """(chars,) one unit's activation after reading each character of a reading (read with states=True); the
    characters stand at `reading.offsets` in its text."""
    if reading.states is None:
        raise ValueError("the reading holds no states: read the tune with states=True")
    if kind not in reading.kinds:
        raise ValueError(f"kind {kind!r}: this model's states are {', '.join(reading.kinds)}")
    layers, hidden = reading.states.shape[1], reading.states.shape[3]
    if not (0 <= layer < layers and 0 <= index < hidden):
        raise ValueError(f"unit {layer}/{kind}/{index}: layers are 0 to {layers - 1}, units 0 to {hidden - 1}")
    return reading.states[:, layer, reading.kinds.index(kind), index].copy()
