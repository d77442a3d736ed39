"""The network's states at every character: the stacked LSTM (or GRU) run one layer at a time, so that every
layer's hidden state, and an LSTM's cell state, are seen at every position, not only the last layer's output
that `CharRNN.forward` returns. The logits come from the same pass, so a reading needs no second one."""
from __future__ import annotations

import torch

from musicrnn.model.network import CharRNN

#: The state kinds of each cell type: `h` the hidden state (what the next layer and the output see), `c` an
#: LSTM's cell state (its memory, which the gates read and write).
KINDS = {"lstm": ("h", "c"), "gru": ("h",)}


def kinds_of(model: CharRNN) -> tuple[str, ...]:
    return KINDS[model.cfg.cell]


def layer_weights(model: CharRNN, k: int) -> list[torch.Tensor]:
    """Layer `k`'s weights in the order torch's recurrent functions take them (w_ih, w_hh, b_ih, b_hh)."""
    return [getattr(model.rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def lstm_layer(x: torch.Tensor, w: list[torch.Tensor]) -> torch.Tensor:
    """One LSTM layer over inputs x (batch, time, in) from a zero state → (batch, time, 2, hidden): the hidden
    and the cell state after each step. torch's fused LSTM returns only the last cell state, so the layer runs
    step by step here, with the input projection of all steps as one matrix product first (on a CPU this is
    twice as fast as the fused layer followed by a second pass for the cells)."""
    w_ih, w_hh, b_ih, b_hh = w
    batch, time, hidden = x.size(0), x.size(1), w_hh.size(1)
    xw = torch.addmm(b_ih + b_hh, x.reshape(-1, x.size(-1)), w_ih.T).view(batch, time, -1)
    out = x.new_empty(batch, time, 2, hidden)
    h, c = x.new_zeros(batch, hidden), x.new_zeros(batch, hidden)
    w_hh_t = w_hh.T
    for t in range(time):
        i, f, g, o = torch.addmm(xw[:, t], h, w_hh_t).chunk(4, dim=1)  # torch's gate order
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out[:, t, 0], out[:, t, 1] = h, c
    return out


@torch.inference_mode()
def run_layers(model: CharRNN, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids x (batch, time), read from a zero state, → logits (batch, time, vocab) and states (batch, time,
    layers, kinds, hidden): states[:, t] is the state after reading x[:, t], logits[:, t] the prediction of the
    character after it. In eval mode (no dropout between layers) this is `CharRNN.forward`, to float rounding."""
    cfg = model.cfg
    inp = model.inputs(x)
    per_layer = []
    for k in range(cfg.layers):
        w = layer_weights(model, k)
        if cfg.cell == "lstm":
            states = lstm_layer(inp, w)
        else:
            zeros = inp.new_zeros(1, x.size(0), cfg.hidden_size)
            states = torch.gru(inp, zeros, w, True, 1, 0.0, False, False, True)[0].unsqueeze(2)
        per_layer.append(states)
        inp = states[:, :, 0]
    return model.head(model.drop(inp)), torch.stack(per_layer, dim=2)
