"""Batched sampling: many tunes at once, one step at a time with the recurrent state kept."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from musicrnn.data.vocab import Vocab
from musicrnn.errors import VocabError
from musicrnn.generation.meter_guard import MeterGuard, MeterMasks
from musicrnn.generation.options import MAX_REDRAWS, check_sampling
from musicrnn.model.device import single_thread_on_cpu
from musicrnn.model.network import CharRNN
from musicrnn.notation.durations import last_note_start
from musicrnn.notation.form import tune_is_two_part
from musicrnn.notation.keys import ends_on_final


@dataclass
class Sample:
    text: str  # prime + generated characters, without <eos>
    ended: bool  # True when the model produced <eos> before max_chars
    seed: int
    redrawn: int = 0  # times the last bar was drawn again to end on the key's final (`final_redraws`)
    # `strict_bars`: the characters the model drew that would have made a bar longer than the meter, each drawn
    # again from the characters left (counted over every draw, redrawn last bars included)
    bar_breaks: int = 0
    # `form_keep`: the times the model ended the tune before its second part and the end was drawn again
    put_off: int = 0


_BAR_START = frozenset("|:")


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


@dataclass
class BarStart:
    """A row's sampling state just before it drew the first character of a bar line: where to go back to."""

    pos: int
    state: object
    logits: torch.Tensor
    tracker: object
    guard: MeterGuard | None = None


def _row_state(state, r: int):
    return tuple(s[:, r].clone() for s in state) if isinstance(state, tuple) else state[:, r].clone()


def _set_row_state(state, r: int, saved) -> None:
    if isinstance(state, tuple):
        for s, v in zip(state, saved):
            s[:, r] = v
    else:
        state[:, r] = saved


@torch.inference_mode()
def _sample(model: CharRNN, vocab: Vocab, n: int = 1, *, prime: str = "X:1\n", temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, seed: int = 0, max_chars: int = 1000,
           stop_at_eos: bool = True, final_redraws: int = 0, final_keep: float = 0.0,
           strict_bars: bool = False, form_keep: float = 1.0) -> list[Sample]:
    """Sample `n` tunes in one batch; each stops at its own `<eos>` or after `max_chars` new characters.

    `stop_at_eos=False` always runs `max_chars` steps (for timing); the text still ends at the first `<eos>`.
    `final_redraws`: a tune that ends on a note other than its key's final has its last bar drawn again, from
    the state before that bar's opening bar line, up to this many times (`Sample.redrawn` counts them; a draw
    that goes on past that bar counts as one and is drawn again); every draw is the model's own at the same
    temperature, and after the last one the tune keeps the ending it has.
    `final_keep`: the chance that an ending off the final is kept as it is, without a redraw. Drawing again until
    an ending is kept samples the model's last bar tilted by that factor against endings off the final
    (rejection sampling), so a keep fitted per tune type (`generation/endings.py`) makes as many tunes end on
    the final as real tunes of the type do.
    `strict_bars`: a drawn character that would make the open bar longer than its meter
    (`generation/meter_guard.py`) is drawn again from the characters left, at the same temperature and filters;
    without top-k or top-p that is exactly sampling with those characters masked out, and the mask is built
    only when a draw needs it. `Sample.bar_breaks` counts those draws: how often the model would have broken a
    bar.
    `form_keep`: the chance that the tune's end (`<eos>`) is kept when it comes before the tune's second part
    (`notation/form.py`); otherwise that end is drawn again from the other characters and the tune goes on, up
    to MAX_REDRAWS times per tune (`Sample.put_off` counts them). 1 leaves the model's ends as they come.
    """
    check_sampling(n=n, temperature=temperature, top_k=top_k, top_p=top_p, max_chars=max_chars, prime=prime,
                   seed=seed, final_redraws=final_redraws, final_keep=final_keep, strict_bars=strict_bars,
                   form_keep=form_keep)
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
    guards = None
    if strict_bars:
        guards = [MeterGuard(MeterMasks.for_tokens(vocab.tokens))]
        for ch in prime:
            guards[0].feed(ch)
        guards += [guards[0].copy() for _ in range(n - 1)]
    breaks, put_off = [0] * n, [0] * n
    redraw = final_redraws > 0 and stop_at_eos
    out = torch.zeros(n, max_chars, dtype=torch.long, device=device)
    pos = torch.zeros(n, dtype=torch.long, device=device)  # where each row writes its next character
    rows = torch.arange(n, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    bar_starts: list[list[BarStart]] = [[] for _ in range(n)]
    redrawn, prev = [0] * n, [""] * n
    anchor: list[BarStart | None] = [None] * n  # where a row's last redraw went back to

    def kept(chance: float) -> bool:
        """True with `chance`; drawn only when there is one, so that a chance of 0 draws as before."""
        return chance > 0 and float(torch.rand(1, generator=gen, device=device)) < chance

    def draw_again(logits, nxt, chars, bad: list[int], mask: torch.Tensor, counts: list[int]) -> None:
        """Draw the `bad` rows' characters again with the `mask`ed ids ruled out, at the same temperature and
        filters (the second draw of rejection sampling), counting each in `counts`."""
        again = sampling_distribution(logits[bad].float().masked_fill(mask, float("-inf")), temperature, top_k,
                                      top_p)
        nxt[bad] = torch.multinomial(again, 1, generator=gen).squeeze(1)
        for r, i in zip(bad, nxt[bad].tolist()):
            counts[r] += 1
            chars[r] = i

    # A redraw costs steps; the budget keeps a row that never finds its final from running on.
    for t in range(max_chars * 3 if redraw else max_chars):
        probs = sampling_distribution(logits.float(), temperature, top_k, top_p)
        nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1).masked_fill_(done, 0)
        chars = nxt.tolist() if (trackers is not None or redraw or guards is not None or form_keep < 1) else None
        if guards is not None:  # a draw that would make a bar too long is drawn again from the characters left
            bad = [r for r, (g, i) in enumerate(zip(guards, chars)) if i and i in g.mask()[0]]  # 0: done, or <eos>
            if bad:
                draw_again(logits, nxt, chars, bad, torch.stack([guards[r].mask()[1] for r in bad]).to(device),
                           breaks)
        if form_keep < 1 and stop_at_eos and 0 in chars:  # an end before the second part is drawn again
            finished = done.tolist()
            early = [r for r, i in enumerate(chars) if i == 0 and not finished[r] and put_off[r] < MAX_REDRAWS
                     and not tune_is_two_part(prime + vocab.decode(out[r, : int(pos[r])].tolist()))
                     and not kept(form_keep)]
            if early:
                mask = torch.zeros(len(early), logits.size(-1), dtype=torch.bool, device=device)
                mask[:, 0] = True
                if guards is not None:  # and what would make the bar too long, as above
                    for j, r in enumerate(early):
                        row = guards[r].mask()[1]
                        if row is not None:
                            mask[j] |= row.to(device)
                draw_again(logits, nxt, chars, early, mask, put_off)
        out[rows, pos.clamp(max=max_chars - 1)] = torch.where(done, out[rows, pos.clamp(max=max_chars - 1)], nxt)
        pos += (~done).long()
        ended_now = (nxt == 0) & ~done
        done |= (nxt == 0) | (pos >= max_chars)
        # Checking every 16 steps keeps the GPU from syncing on every character.
        if stop_at_eos and not redraw and t % 16 == 15 and bool(done.all()):
            break
        back: list[tuple[int, BarStart]] = []
        if redraw:
            ends = ended_now.tolist()
            for r, i in enumerate(chars):
                ch = vocab.tokens[i] if i else ""
                if ch in _BAR_START and prev[r] not in _BAR_START:
                    bar_starts[r] = bar_starts[r][-3:] + [BarStart(int(pos[r]) - 1, _row_state(state, r),
                                                                   logits[r].clone(), copy.copy(trackers[r])
                                                                   if trackers else None,
                                                                   guards[r].copy() if guards else None)]
                    a = anchor[r]
                    # A redraw is of the last bar: one that goes on past it (a third bar line since going
                    # back) is drawn again, so that redraws do not lengthen tunes.
                    if a is not None and redrawn[r] < final_redraws and \
                            sum(b.pos >= a.pos for b in bar_starts[r]) >= 3:
                        back.append((r, a))
                prev[r] = ch
                if ends[r] and redrawn[r] < final_redraws:
                    text = prime + vocab.decode(out[r, : int(pos[r]) - 1].tolist())
                    if ends_on_final(text) is False and not kept(final_keep):
                        note = last_note_start(text) - len(prime)
                        earlier = [b for b in bar_starts[r] if b.pos < note]
                        if earlier:
                            back.append((r, earlier[-1]))
            if not back and bool(done.all()):
                break
        if guards is not None:
            for g, i in zip(guards, chars):
                if i:  # a row that is done draws <eos> (0) until the batch ends
                    g.feed(vocab.tokens[i])
        context = None
        if trackers is not None:  # reading the context is text work: it needs this step's characters on the host
            context = torch.tensor([tr.feed(i) for tr, i in zip(trackers, chars)], device=device)
        logits, state = model.step(nxt, state, context)
        for r, b in back:  # go back to just before the last bar's opening bar line
            _set_row_state(state, r, b.state)
            logits[r] = b.logits
            if trackers is not None:
                trackers[r] = copy.copy(b.tracker)  # its fields are immutable values
            if guards is not None:
                guards[r] = b.guard.copy()
            pos[r], done[r], redrawn[r], prev[r], anchor[r] = b.pos, False, redrawn[r] + 1, "", b
            bar_starts[r] = [s for s in bar_starts[r] if s.pos < b.pos]
    model.train(was_training)
    result = []
    for r, (row, length) in enumerate(zip(out.cpu().tolist(), pos.cpu().tolist())):
        row = row[:length]
        ended = 0 in row
        text = vocab.decode(row[: row.index(0)] if ended else row)
        result.append(Sample(prime + text, ended, seed, redrawn[r], breaks[r], put_off[r]))
    return result
