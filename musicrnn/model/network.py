"""The model: embedding → stacked LSTM (or GRU) → dropout → linear, configured by one dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from musicrnn.data.context import BARS, SIGNATURES, TONICS, ContextReader
from musicrnn.records import settings_from_dict


class Settings:
    """A dataclass of settings as a plain dict (checkpoints and run folders store them so) and back; keys it
    does not know (written by another version) are left out, values of the wrong kind are a RecordError."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        return settings_from_dict(cls, d, cls.__name__)


@dataclass
class ModelConfig(Settings):
    vocab_size: int = 96
    cell: str = "lstm"  # "lstm" or "gru"
    embedding_dim: int = 256
    hidden_size: int = 512
    layers: int = 2
    dropout: float = 0.3
    key_context: bool = False  # also read the key in force at each step (data/context.py)
    bar_context: bool = False  # also read the bar of the part at each step (data/context.py)

    def __post_init__(self):
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', not {self.cell!r}")
        for name in ("vocab_size", "embedding_dim", "hidden_size", "layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout}")


#: Each context input: its column of the context codes and its table size (data/context.py).
KEY_INPUTS = {"key_tonic": (0, TONICS), "key_signature": (1, SIGNATURES)}
BAR_INPUTS = {"bar_count": (2, BARS)}
#: The context inputs' weights: the ones a fine-tune from a model without them starts at zero.
CONTEXT_WEIGHTS = {f"{name}.weight" for name in KEY_INPUTS | BAR_INPUTS}


class CharRNN(nn.Module):
    """Character-level recurrent language model; `forward` returns logits and the new recurrent state.

    With `cfg.key_context`, each step's input is the character's embedding plus embeddings of the key in force
    (tonic and signature); with `cfg.bar_context`, plus one of the bar of the part it stands in. Both are read
    from the text by `ContextReader`, which needs the vocabulary's `tokens`. They start at zero, so a model
    fine-tuned from one without them starts out computing exactly what it did.
    """

    def __init__(self, cfg: ModelConfig, tokens: list[str] | None = None):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding_dim)
        self.context_reader = None
        if cfg.key_context or cfg.bar_context:
            if tokens is None or len(tokens) != cfg.vocab_size:
                raise ValueError("a model with context inputs needs its vocabulary's tokens")
            self.context_reader = ContextReader(tokens)
        inputs = (KEY_INPUTS if cfg.key_context else {}) | (BAR_INPUTS if cfg.bar_context else {})
        self.context_inputs = [(name, column) for name, (column, _) in inputs.items()]
        for name, (_, size) in inputs.items():
            setattr(self, name, nn.Embedding(size, cfg.embedding_dim))
            nn.init.zeros_(getattr(self, name).weight)
        rnn = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.rnn = rnn(
            cfg.embedding_dim, cfg.hidden_size, num_layers=cfg.layers, batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden_size, cfg.vocab_size)

    def inputs(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """The first layer's input for ids x (batch, time) or (batch,). `context` (x's shape + (3,)) holds the
        codes in force at each id (`ContextReader`); None reads them from x, each row from its start (right only
        for rows that start a tune, or follow an `<eos>`, from a fresh state). Ignored by a model without
        context inputs."""
        e = self.embed(x)
        if self.context_reader is None:
            return e
        if context is None:
            rows = x.detach().cpu().numpy().reshape(x.size(0), -1)
            context = torch.from_numpy(self.context_reader.rows(rows)).view(*x.shape, 3).to(x.device)
        for name, column in self.context_inputs:
            e = e + getattr(self, name)(context[..., column])
        return e

    def forward(self, x: torch.Tensor, state=None, context: torch.Tensor | None = None):
        """x: (batch, time) ids → logits (batch, time, vocab), state. `context`: see `inputs`; pass it whenever
        `state` carries on from an earlier chunk of the same tunes."""
        h, state = self.rnn(self.inputs(x, context), state)
        return self.head(self.drop(h)), state

    def step(self, ids: torch.Tensor, state=None, context: torch.Tensor | None = None):
        """One time step for a batch of ids (batch,) → logits (batch, vocab), state; inference only. A model
        with context inputs needs `context` (batch, 3), the codes in force after each id (`ContextTracker`).

        Same weights and state layout as `forward`, but cell by cell: on the CPU, nn.LSTM's oneDNN path costs
        ~10 ms per single-step call against ~0.1 ms here, and sampling makes one call per character.
        """
        if self.context_reader is not None and context is None:
            raise ValueError("a model with context inputs needs the context codes in force at each step")
        x = self.inputs(ids, context)
        cfg = self.cfg
        if state is None:
            zeros = x.new_zeros(cfg.layers, x.size(0), cfg.hidden_size)
            state = (zeros, zeros.clone()) if cfg.cell == "lstm" else zeros
        hs, cs = [], []
        for k in range(cfg.layers):
            w = [getattr(self.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            if cfg.cell == "lstm":
                h, c = torch.lstm_cell(x, (state[0][k], state[1][k]), *w)
                cs.append(c)
            else:
                h = torch.gru_cell(x, state[k], *w)
            hs.append(h)
            x = h
        new_state = (torch.stack(hs), torch.stack(cs)) if cfg.cell == "lstm" else torch.stack(hs)
        return self.head(x), new_state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


NEW_TOKEN_MARGIN = 10.0


def widen_vocab(state: dict, old: list[str], new: list[str]) -> dict:
    """A CharRNN's weights for a vocabulary `new` that holds every token of `old` and more: known tokens keep
    their rows wherever they now sit; a new token starts as the mean embedding and an output the model finds
    unlikely (no weight on the state, a bias NEW_TOKEN_MARGIN nats below the lowest it has), so the known
    characters' logits are exactly what they were until the model learns the new one."""
    where = [new.index(t) for t in old]
    out = dict(state)
    emb, w, b = state["embed.weight"], state["head.weight"], state["head.bias"]
    out["embed.weight"] = emb.mean(0, keepdim=True).repeat(len(new), 1)
    out["head.weight"] = torch.zeros(len(new), w.size(1), dtype=w.dtype)
    out["head.bias"] = torch.full((len(new),), float(b.min()) - NEW_TOKEN_MARGIN, dtype=b.dtype)
    for i, j in enumerate(where):
        out["embed.weight"][j], out["head.weight"][j], out["head.bias"][j] = emb[i], w[i], b[i]
    return out
