"""Scoring: loss, bits per character and accuracy, over a stream (fast, for validation during training)
or tune by tune from a fresh state (the reported figure, comparable across collections)."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from musicrnn.data.batches import IGNORE, pad_tunes
from musicrnn.data.clean import clean_tunes
from musicrnn.data.sources import MUSIC21_PARTS, read_source
from musicrnn.data.split import clean_corpus
from musicrnn.data.vocab import Vocab
from musicrnn.model.device import autocast
from musicrnn.model.network import CharRNN

#: Nats per bit: losses are in nats, the reported figures in bits per character.
LN2 = math.log(2)


def _summary(loss_sum: float, correct: int, count: int, **extra) -> dict:
    loss = loss_sum / max(count, 1)
    return {"loss": loss, "bpc": loss / LN2, "accuracy": correct / max(count, 1), "chars": int(count), **extra}


@torch.inference_mode()
def score_stream(model: CharRNN, stream: np.ndarray, *, lanes: int = 32, chunk: int = 256,
                 max_chars: int | None = None) -> dict:
    """Split the stream into `lanes` contiguous parts and run them side by side, carrying the state."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    data = torch.from_numpy(np.asarray(stream[: max_chars + 1] if max_chars else stream).astype(np.int64))
    lanes = max(1, min(lanes, (len(data) - 1) // 2))
    per = (len(data) - 1) // lanes
    x_all = data[: lanes * per].view(lanes, per).to(device)
    y_all = data[1 : lanes * per + 1].view(lanes, per).to(device)
    context_all = None
    if model.context_reader is not None:  # lanes start mid-tune: read the context from the whole stream
        codes = torch.from_numpy(model.context_reader.stream(data[: lanes * per].numpy()))
        context_all = codes.view(lanes, per, -1).to(device)
    state, loss_sum, correct, count = None, 0.0, 0, 0
    for a in range(0, per, chunk):
        x, y = x_all[:, a : a + chunk], y_all[:, a : a + chunk]
        context = None if context_all is None else context_all[:, a : a + chunk]
        with autocast(device):
            logits, state = model(x, state, context)
        logits = logits.float()
        loss_sum += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        count += y.numel()
    model.train(was_training)
    return _summary(loss_sum, correct, count)


@torch.inference_mode()
def score_tunes(model: CharRNN, tunes: list[np.ndarray], *, batch_size: int = 64) -> dict:
    """Every character of each tune plus its `<eos>`, each tune from a fresh state (after an `<eos>`).

    `tunes` are id arrays ending in `<eos>`. Tunes of similar length share a batch so padding stays small;
    padded positions are masked out of every figure.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    order = sorted(range(len(tunes)), key=lambda i: len(tunes[i]))
    loss_sum, correct, count = 0.0, 0, 0
    for b in range(0, len(order), batch_size):
        x, y = pad_tunes([tunes[i] for i in order[b : b + batch_size]])
        x, y = x.to(device), y.to(device)
        with autocast(device):
            logits, _ = model(x)
        logits = logits.float()
        loss_sum += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=IGNORE,
                                    reduction="sum").item()
        mask = y != IGNORE
        correct += ((logits.argmax(-1) == y) & mask).sum().item()
        count += mask.sum().item()
    model.train(was_training)
    return _summary(loss_sum, correct, count, tunes=len(tunes))


def encode_tunes_lenient(vocab: Vocab, tunes: list[str]) -> tuple[list[np.ndarray], int]:
    """Encode tunes for scoring, leaving out characters the vocabulary lacks; returns (arrays, skipped)."""
    out, skipped = [], 0
    for t in tunes:
        ids = [vocab.index[c] for c in t if c in vocab.index]
        skipped += len(t) - len(ids)
        out.append(np.array(ids + [vocab.eos_id], dtype=np.int64))
    return out, skipped


def tunes_to_score(src, *, split: str | None = None, val_fraction: float = 0.05,
                   keep_optional: bool = False) -> tuple[list[str], str, str]:
    """The tunes `evaluate_source` scores, as (tunes, split, source): the validation split of a source, or all
    its tunes (`split="all"`, the default for `.abc` sources, which have no split of their own), cleaned the
    same way as training data. The network inspection reads the same tunes, so its figures are evaluate's."""
    raw = read_source(src)
    is_abc = raw.source not in MUSIC21_PARTS and raw.val is None and not raw.source.lower().endswith(".json")
    split = split or ("all" if is_abc else "val")
    if split == "all":
        tunes, _ = clean_tunes(raw.train + (raw.val or []), keep_optional)
    elif split == "val":
        tunes = clean_corpus(raw, val_fraction, keep_optional).val
    else:
        raise ValueError(f"split must be 'val' or 'all', not {split!r}")
    return tunes, split, raw.source


def evaluate_source(model: CharRNN, vocab: Vocab, src, *, split: str | None = None, val_fraction: float = 0.05,
                    keep_optional: bool = False) -> dict:
    """Score the tunes of `tunes_to_score` (the validation split, or all tunes of an `.abc` source)."""
    tunes, split, source = tunes_to_score(src, split=split, val_fraction=val_fraction, keep_optional=keep_optional)
    arrays, skipped = encode_tunes_lenient(vocab, tunes)
    result = score_tunes(model, arrays)
    result.update(skipped_chars=skipped, split=split, source=source)
    return result
