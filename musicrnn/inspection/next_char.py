"""What comes next: at a position of a tune, the characters the model finds most likely, and the distribution
sampling would draw from under a temperature, top-k and top-p, computed by the sampler's own
`sampling_distribution`, so the chart shows exactly what `generate` and the studio do."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from musicrnn.generation.options import check_sampling
from musicrnn.generation.sampler import sampling_distribution
from musicrnn.inspection.surprise import END, Reading
from musicrnn.model.device import single_thread_on_cpu

#: How many characters the chart lists.
TOP = 15


@dataclass
class NextChar:
    """The model's expectation after character `after` of a reading (-1: before the first character)."""

    after: int
    actual: str  # the character that does come next (END after the last)
    tokens: list[str]  # the vocabulary, END first
    model: np.ndarray  # (vocab,) float64: the model's softmax
    sampling: np.ndarray  # (vocab,) float64: what sampling draws from under the options

    def top(self, n: int = TOP) -> list[tuple[str, float, float]]:
        """The `n` most likely characters under the model: (character, model p, sampling p), most likely
        first."""
        order = np.argsort(-self.model, kind="stable")[:n]
        return [(self.tokens[j], float(self.model[j]), float(self.sampling[j])) for j in order]


def next_chars(reading: Reading, after: int, *, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None) -> NextChar:
    """What the model expects after character `after` (0 to chars - 1; -1 for the first character), and what
    sampling would draw from there."""
    if reading.logprobs is None:
        raise ValueError("the reading holds no distributions: read the tune with distributions=True")
    if not -1 <= after < reading.chars:
        raise ValueError(f"position {after}: must be -1 to {reading.chars - 1}")
    model, sampling = distributions(reading, temperature=temperature, top_k=top_k, top_p=top_p,
                                    rows=slice(after + 1, after + 2))
    labels = [END] + reading.vocabulary[1:]
    return NextChar(after, reading.tokens[after + 1], labels, model[0], sampling[0])


def distributions(reading: Reading, *, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None, rows: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """(model, sampling) distributions of the `rows` positions of a reading (all by default; row j is what
    the model expects at position j, i.e. after character j - 1), each (rows, vocab) float64 summing to 1.
    One vectorized call: the page steps through a tune without recomputing."""
    check_sampling(temperature=temperature, top_k=top_k, top_p=top_p)
    logp = torch.from_numpy(reading.logprobs[rows]).double()
    with single_thread_on_cpu(logp.device):  # small tensors: threads would only wait on each other
        # Log-probabilities are the logits less a constant per row, so the softmax of either is the same.
        model = torch.softmax(logp, dim=-1)
        sampling = sampling_distribution(logp, temperature, top_k, top_p)
    return model.numpy(), sampling.numpy()
