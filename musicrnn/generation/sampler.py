"""Batched sampling: many tunes at once, one step at a time with the recurrent state kept."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from musicrnn.data.vocab import Vocab
from musicrnn.errors import VocabError
from musicrnn.generation.options import check_sampling
from musicrnn.model.device import single_thread_on_cpu
from musicrnn.model.network import CharRNN


@dataclass
class Sample:
    text: str  # prime + generated characters, without <eos>
    ended: bool  # True when the model produced <eos> before max_chars
    seed: int


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Logits with every token outside the `top_k` most likely, or outside the smallest set holding `top_p` of
    the probability, set to -inf (None, 0 and 1 leave the filter off)."""
    if top_k and 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and 0.0 < top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        # drop a token when the mass before it already reaches top_p (the most likely token always stays)
        drop = (torch.cumsum(probs, dim=-1) - probs) >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.empty_like(logits).scatter_(-1, order, sorted_logits)
    return logits


def sampling_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                          top_p: float | None = None) -> torch.Tensor:
    """The distribution the sampler draws the next character from, over the last dimension of `logits`:
    divided by the temperature, then filtered by top-k and top-p. One implementation for the sampler and for
    the chart that shows a student what each option does."""
    return torch.softmax(filter_logits(logits / temperature, top_k, top_p), dim=-1)


def sample(model: CharRNN, vocab: Vocab, n: int = 1, **kwargs) -> list[Sample]:
    """Sample `n` tunes in one batch; see `_sample` for the options."""
    with single_thread_on_cpu(next(model.parameters()).device):
        return _sample(model, vocab, n, **kwargs)


@torch.inference_mode()
def _sample(model: CharRNN, vocab: Vocab, n: int = 1, *, prime: str = "X:1\n", temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, seed: int = 0, max_chars: int = 1000,
           stop_at_eos: bool = True) -> list[Sample]:
    """Sample `n` tunes in one batch; each stops at its own `<eos>` or after `max_chars` new characters.

    `stop_at_eos=False` always runs `max_chars` steps (for timing); the text still ends at the first `<eos>`.
    """
    check_sampling(n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_chars=max_chars, prime=prime,
                   seed=seed)
    missing = vocab.unknown(prime)
    if missing:
        raise VocabError("the prime holds characters the model does not know: " + ", ".join(repr(c) for c in missing))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    gen = torch.Generator(device=device).manual_seed(seed)
    ids = torch.tensor([vocab.encode(prime)], dtype=torch.long, device=device).expand(n, -1)
    # The prime starts after an <eos>, as every tune does in the training stream.
    ids = torch.cat([torch.zeros(n, 1, dtype=torch.long, device=device), ids], dim=1)
    logits, state = model(ids)
    logits = logits[:, -1]
    trackers = None
    if model.context_reader is not None:  # every row reads the same prime; each then follows its own text
        trackers = [model.context_reader.tracker() for _ in range(n)]
        for tr in trackers:
            for i in ids[0].tolist():
                tr.feed(i)
    out = torch.zeros(n, max_chars, dtype=torch.long, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    steps = max_chars
    for t in range(max_chars):
        probs = sampling_distribution(logits.float(), temperature, top_k, top_p)
        nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1).masked_fill_(done, 0)
        out[:, t] = nxt
        done |= nxt == 0
        # Checking every 16 steps keeps the GPU from syncing on every character.
        if stop_at_eos and t % 16 == 15 and bool(done.all()):
            steps = t + 1
            break
        context = None
        if trackers is not None:  # reading the context is text work: it needs this step's characters on the host
            context = torch.tensor([tr.feed(i) for tr, i in zip(trackers, nxt.tolist())], device=device)
        logits, state = model.step(nxt, state, context)
    model.train(was_training)
    rows = out[:, :steps].cpu().tolist()
    result = []
    for row in rows:
        ended = 0 in row
        result.append(Sample(prime + vocab.decode(row[: row.index(0)] if ended else row), ended, seed))
    return result
