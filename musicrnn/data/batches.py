"""Training batches: random windows of the joined stream, or whole tunes read from their start.

`random`: windows start anywhere, each from a zero state. Cheap and well mixed, but a window often starts
mid-tune without its header, and no window is longer than `seq_len`.

`tunes`: every row is one tune from its first character, as the sampler and the per-tune evaluation see it:
a zero state, then `<eos>` as the first input. Tunes longer than `seq_len` are read in consecutive chunks with
the state carried (truncated back-propagation through time), so the header stays in the state to the end.
Tunes of similar length share a batch, so little is padded; padded targets are -100 (ignored by the loss).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from musicrnn.data.stream import split_stream

IGNORE = -100
MODES = ("random", "tunes")


@dataclass
class Batch:
    x: torch.Tensor  # (batch, time) input ids
    y: torch.Tensor  # (batch, time) target ids, IGNORE where padded
    fresh: bool  # start from a zero state (else carry the previous batch's state)
    context: torch.Tensor | None = None  # (batch, time, 3) context codes at each input (data/context.py)
    weight: torch.Tensor | None = None  # (batch, time) loss weight of each target (data/cadences.py), 0 where padded


def pad_tunes(tunes: list[np.ndarray], width: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of whole tunes (id arrays ending in `<eos>`), each read from a fresh state: row r of
    x is `<eos>` then the tune, row r of y the tune; both padded to `width` (default: the longest), y with
    IGNORE."""
    width = width or max(len(t) for t in tunes)
    x = torch.zeros(len(tunes), width, dtype=torch.long)  # position 0 is the preceding <eos>
    y = torch.full((len(tunes), width), IGNORE, dtype=torch.long)
    for r, t in enumerate(tunes):
        t = torch.from_numpy(np.asarray(t, dtype=np.int64))
        x[r, 1 : len(t)] = t[:-1]
        y[r, : len(t)] = t
    return x, y


def pad_context(codes: list[np.ndarray], width: int) -> torch.Tensor:
    """The context codes of `pad_tunes`'s inputs, from each tune's codes ((len, 3), aligned with its ids): the
    leading `<eos>` and the padding have none."""
    out = torch.zeros(len(codes), width, codes[0].shape[-1], dtype=torch.long)
    for r, k in enumerate(codes):
        out[r, 1 : len(k)] = torch.from_numpy(np.asarray(k[:-1], dtype=np.int64))
    return out


def pad_weight(weights: list[np.ndarray], width: int) -> torch.Tensor:
    """The loss weights of `pad_tunes`'s targets, from each tune's weights (aligned with its ids); 0 where
    padded."""
    out = torch.zeros(len(weights), width, dtype=torch.float32)
    for r, w in enumerate(weights):
        out[r, : len(w)] = torch.from_numpy(np.asarray(w, dtype=np.float32))
    return out


class RandomWindows:
    """`batch_size` windows of `seq_len` + 1 characters at random offsets of the stream."""

    def __init__(self, stream: np.ndarray, seq_len: int, batch_size: int, gen: torch.Generator, world: int = 1,
                 context: np.ndarray | None = None, weight: np.ndarray | None = None):
        self.stream = torch.from_numpy(stream.astype(np.int64))
        self.context = None if context is None else torch.from_numpy(context.astype(np.int64))
        self.weight = None if weight is None else torch.from_numpy(weight.astype(np.float32))
        self.range = len(self.stream) - seq_len - 1
        self.window = torch.arange(seq_len + 1)
        self.batch_size, self.gen = batch_size, gen
        self.steps_per_epoch = max(1, math.ceil(len(stream) / (batch_size * seq_len * world)))

    def next(self) -> Batch:
        idx = torch.randint(0, self.range, (self.batch_size, 1), generator=self.gen) + self.window
        b = self.stream[idx]
        return Batch(b[:, :-1], b[:, 1:], True, None if self.context is None else self.context[idx[:, :-1]],
                     None if self.weight is None else self.weight[idx[:, 1:]])

    def state_dict(self) -> dict:
        return {}  # the position is the generator's state, saved with the checkpoint's RNG

    def load_state_dict(self, st: dict) -> None:
        pass


class TuneChunks:
    """Whole tunes, `batch_size` per rank, in chunks of `seq_len` with the state carried within a batch.

    Each epoch sorts the tunes by length (ties in a random order), cuts the order into groups of
    `batch_size * world` tunes and visits the groups in a random order; rank r takes rows r, r + world, ...
    of each group. The plan depends only on (seed, epoch), so every rank agrees on it and each group takes the
    same number of steps on every rank. Group widths depend only on the sorted lengths, so every epoch has
    the same number of steps.
    """

    def __init__(self, stream: np.ndarray, seq_len: int, batch_size: int, *, seed: int, rank: int = 0,
                 world: int = 1, context: np.ndarray | None = None, weight: np.ndarray | None = None):
        self.tunes = [t.astype(np.int64) for t in split_stream(stream)]
        cuts = np.cumsum([len(t) for t in self.tunes])[:-1]
        self.context = None if context is None else np.split(context, cuts)
        self.weight = None if weight is None else np.split(weight, cuts)
        if not self.tunes:
            raise ValueError("no complete tune (ending in <eos>) in the training stream")
        self.lengths = np.array([len(t) for t in self.tunes])
        self.seq_len, self.batch_size, self.seed, self.rank, self.world = seq_len, batch_size, seed, rank, world
        self.epoch, self.group, self.chunk = 0, 0, 0
        self._plan = self._make_plan(0)
        self.steps_per_epoch = sum(self._chunks(g) for g in self._plan)
        self._rows: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None = None

    def _make_plan(self, epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch])
        order = np.lexsort((rng.random(len(self.tunes)), self.lengths))
        size = self.batch_size * self.world
        # The shortest group takes the remainder, so the longest tunes are never the ones left out.
        rem = len(order) % size
        groups = [order[c : c + size] for c in range(rem, len(order), size)]
        if rem >= self.world:  # a remainder too small to give every rank a row sits out this epoch
            groups.insert(0, order[:rem])
        if not groups:
            raise ValueError(f"{len(order)} tunes are too few for {self.world} processes")
        return [groups[i] for i in rng.permutation(len(groups))]

    def _chunks(self, group: np.ndarray) -> int:
        # Each row is <eos> + tune: len(tune) inputs and as many targets.
        return math.ceil(int(self.lengths[group].max()) / self.seq_len)

    def _load_group(self) -> None:
        group = self._plan[self.group]
        mine = group[self.rank :: self.world]
        width = int(self.lengths[group].max())
        context = None if self.context is None else pad_context([self.context[i] for i in mine], width)
        weight = None if self.weight is None else pad_weight([self.weight[i] for i in mine], width)
        self._rows = (*pad_tunes([self.tunes[i] for i in mine], width=width), context, weight)

    def next(self) -> Batch:
        if self._rows is None:
            self._load_group()
        x, y, context, weight = self._rows
        a = self.chunk * self.seq_len
        batch = Batch(x[:, a : a + self.seq_len], y[:, a : a + self.seq_len], self.chunk == 0,
                      None if context is None else context[:, a : a + self.seq_len],
                      None if weight is None else weight[:, a : a + self.seq_len])
        self.chunk += 1
        if self.chunk * self.seq_len >= x.size(1):
            self._advance()
        return batch

    def _advance(self) -> None:
        self.chunk, self._rows = 0, None
        self.group += 1
        if self.group >= len(self._plan):
            self.epoch, self.group = self.epoch + 1, 0
            self._plan = self._make_plan(self.epoch)

    def state_dict(self) -> dict:
        """Where to go on after a resume: the next whole group (a carried state is not saved)."""
        epoch, group = self.epoch, self.group + (1 if self.chunk else 0)
        if group >= len(self._plan):
            epoch, group = epoch + 1, 0
        return {"epoch": epoch, "group": group}

    def load_state_dict(self, st: dict) -> None:
        self.epoch, self.group, self.chunk, self._rows = int(st["epoch"]), int(st["group"]), 0, None
        self._plan = self._make_plan(self.epoch)


def make_batches(mode: str, stream: np.ndarray, *, seq_len: int, batch_size: int, gen: torch.Generator,
                 seed: int, rank: int = 0, world: int = 1, context: np.ndarray | None = None,
                 weight: np.ndarray | None = None):
    """Batches of `stream` in `mode`; with `context` (the stream's context codes, `ContextReader.stream`) each
    batch carries the codes of its inputs, with `weight` (one per character, `cadence_weights`) the loss
    weights of its targets."""
    if mode == "random":
        return RandomWindows(stream, seq_len, batch_size, gen, world, context, weight)
    if mode == "tunes":
        return TuneChunks(stream, seq_len, batch_size, seed=seed, rank=rank, world=world, context=context,
                          weight=weight)
    raise ValueError(f"unknown window mode {mode!r}; choose one of {', '.join(MODES)}")
