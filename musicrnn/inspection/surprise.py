"""Surprise: how many bits each character of a tune costs the model, read from a fresh state exactly as
`evaluate` reads it (generation/scoring.py: `<eos>` first, the tune's characters, then `<eos>` as the last
target; characters the vocabulary lacks left out), so a tune's mean here is evaluate's bits per character.

Alignment, once for every user of a `Reading`: the tune's characters read are chars 0..n-1 and the end token
is position n. `bits[j]` is the surprisal of position j given positions < j, and `logprobs[j]` the whole
distribution it was drawn from; so what the model expects *after* character i is row i + 1, and row 0 is what
it expects first. `states[i]` is the state after reading character i (n rows: nothing is read after the end).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from musicrnn.data.batches import pad_tunes
from musicrnn.data.vocab import EOS, Vocab
from musicrnn.generation.scoring import LN2, encode_tunes_lenient
from musicrnn.inspection.states import kinds_of, run_layers
from musicrnn.inspection.walk import NoteSpan
from musicrnn.model.device import autocast, single_thread_on_cpu
from musicrnn.model.network import CharRNN

#: How the end token is shown among a tune's characters.
END = EOS
#: Positions (tunes x padded length) read in one batch when the states are kept: an LSTM 2 x 384 keeps
#: 6 KB of state per position, so a batch stays near 50 MB.
STATE_BATCH_CHARS = 8192


@dataclass
class Reading:
    """One tune as the model read it (see the module's docstring for the alignment of every array)."""

    text: str  # the tune text as given
    offsets: np.ndarray  # (n,) where each character read stands in `text`
    tokens: list[str]  # (n + 1) the characters read, then END
    ids: np.ndarray  # (n + 1,) their ids in the model's vocabulary
    bits: np.ndarray  # (n + 1,) float64: -log2 p(position j | positions < j)
    skipped: int  # characters of `text` the vocabulary lacks (left out, as evaluate leaves them out)
    logprobs: np.ndarray | None = None  # (n + 1, vocab) float32 natural log-probabilities, when asked for
    states: np.ndarray | None = None  # (n, layers, kinds, hidden) float32, when asked for
    kinds: tuple[str, ...] = ("h",)  # the state kinds of `states`: ("h", "c") for an LSTM, ("h",) for a GRU
    vocabulary: list[str] = dataclasses.field(default_factory=list)  # the model's tokens, by id

    @property
    def chars(self) -> int:
        """Characters read, not counting the end token."""
        return len(self.offsets)

    @property
    def total_bits(self) -> float:
        return float(self.bits.sum())

    @property
    def mean_bits(self) -> float:
        """Bits per character, end token included: `evaluate`'s figure for this tune alone."""
        return float(self.bits.mean())

    def text_bits(self) -> np.ndarray:
        """(len(text),) bits of each character of `text`; 0 for the characters left out."""
        out = np.zeros(len(self.text))
        out[self.offsets] = self.bits[:-1]
        return out

    def to_dict(self) -> dict:
        """The reading as plain values (what `inspect --json` prints for a tune)."""
        return {"chars": self.tokens, "offsets": self.offsets.tolist(),
                "bits": [round(b, 6) for b in self.bits.tolist()], "total_bits": self.total_bits,
                "mean_bits": self.mean_bits, "skipped_chars": self.skipped}


def read_tunes(model: CharRNN, vocab: Vocab, tunes: list[str], *, distributions: bool = False,
               states: bool = False, batch_size: int = 64) -> list[Reading]:
    """Read each tune from a fresh state, in batches of similar length; `distributions` keeps every position's
    log-probabilities, `states` every layer's states (an LSTM's hidden and cell states, a GRU's hidden)."""
    device = next(model.parameters()).device
    arrays, _ = encode_tunes_lenient(vocab, tunes)
    known = [np.array([i for i, c in enumerate(t) if c in vocab.index], dtype=np.int64) for t in tunes]
    order = sorted(range(len(tunes)), key=lambda i: len(arrays[i]))
    out: list[Reading | None] = [None] * len(tunes)
    was_training = model.training
    model.eval()
    with single_thread_on_cpu(device), torch.inference_mode():
        for group in batches(order, [len(a) for a in arrays], batch_size, STATE_BATCH_CHARS if states else None):
            x, _ = pad_tunes([arrays[i] for i in group])
            x = x.to(device)
            if states:
                logits, st = run_layers(model, x)
            else:
                with autocast(device):
                    logits, _ = model(x)
                st = None
            logp = torch.log_softmax(logits.float(), dim=-1)
            for r, i in enumerate(group):
                ids = arrays[i]
                n = len(ids)
                lp = logp[r, :n]
                bits = -lp.gather(1, torch.from_numpy(ids).to(device)[:, None])[:, 0].double().cpu().numpy() / LN2
                out[i] = Reading(
                    tunes[i], known[i], [vocab.tokens[j] for j in ids[:-1]] + [END], ids, bits,
                    len(tunes[i]) - (n - 1), lp.cpu().numpy() if distributions else None,
                    st[r, 1:n].float().cpu().numpy() if st is not None else None, kinds_of(model), vocab.tokens)
    model.train(was_training)
    return out


def read_tune(model: CharRNN, vocab: Vocab, abc: str, *, distributions: bool = True,
              states: bool = False) -> Reading:
    """One tune read from a fresh state (see `read_tunes`); keeps the distributions by default."""
    return read_tunes(model, vocab, [abc], distributions=distributions, states=states)[0]


def batches(order: list[int], lengths: list[int], size: int, max_chars: int | None):
    """Groups of `order` (sorted by length) of at most `size` tunes and, when given, at most `max_chars`
    padded positions (always at least one tune)."""
    group: list[int] = []
    for i in order:
        if group and (len(group) >= size or (max_chars and (len(group) + 1) * lengths[i] > max_chars)):
            yield group
            group = []
        group.append(i)
    if group:
        yield group


def note_bits(reading: Reading, spans: list[NoteSpan]) -> np.ndarray:
    """Each note's surprisal: the sum of the bits of its characters (`walk.note_spans` gives the spans)."""
    csum = np.concatenate([[0.0], np.cumsum(reading.text_bits())])
    return np.array([csum[s.end] - csum[s.start] for s in spans])
