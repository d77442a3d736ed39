import json

import numpy as np
import pytest
import torch

from musicrnn.data.batches import IGNORE, TuneChunks, make_batches
from musicrnn.data.stream import prepare, split_stream
from musicrnn.generation.scoring import score_tunes
from musicrnn.model.checkpoint import load_model
from musicrnn.training.config import configs_from_preset
from musicrnn.training.loop import loss_fn, train


def _stream(lengths, seed=0):
    """Tunes of the given lengths (the last id of each is <eos> = 0), joined."""
    rng = np.random.default_rng(seed)
    return np.concatenate([np.append(rng.integers(1, 30, n - 1), 0) for n in lengths]).astype(np.int32)


def _epoch(chunks: TuneChunks):
    """Every batch of one epoch, grouped into the batches that share a carried state."""
    groups, start = [], chunks.epoch
    for _ in range(chunks.steps_per_epoch):
        b = chunks.next()
        if b.fresh:
            groups.append([])
        groups[-1].append(b)
    assert chunks.epoch == start + 1 and chunks.group == 0 and chunks.chunk == 0
    return groups


def _rows(group):
    x = torch.cat([b.x for b in group], 1)
    y = torch.cat([b.y for b in group], 1)
    return x, y


def test_each_tune_once_per_epoch_from_its_start():
    lengths = [5, 9, 17, 33, 40, 41, 70, 3, 12, 12, 12, 25]
    stream = _stream(lengths)
    tunes = {tuple(t) for t in split_stream(stream)}
    chunks = TuneChunks(stream, seq_len=8, batch_size=3, seed=1)
    for _ in range(2):
        seen = []
        for group in _epoch(chunks):
            assert all(b.x.size(1) <= 8 for b in group)
            x, y = _rows(group)
            for xr, yr in zip(x, y):
                tune = yr[yr != IGNORE]
                assert (yr[: len(tune)] != IGNORE).all()  # padding only after the tune
                assert xr[0] == 0 and torch.equal(xr[1 : len(tune)], tune[:-1])  # <eos>, then the tune
                seen.append(tuple(tune.tolist()))
        assert sorted(seen) == sorted(tuple(t) for t in split_stream(stream)) and set(seen) == tunes


def test_groups_hold_similar_lengths_and_steps_per_epoch_is_fixed():
    rng = np.random.default_rng(3)
    lengths = rng.integers(20, 600, 200).tolist()
    chunks = TuneChunks(_stream(lengths), seq_len=64, batch_size=16, seed=5)
    orders = []
    for _ in range(3):
        groups = _epoch(chunks)
        widths = [sum(b.x.size(1) for b in g) for g in groups]
        real = [(_rows(g)[1] != IGNORE).sum().item() for g in groups]
        assert sum(real) == sum(lengths)
        assert sum(real) / sum(w * g[0].x.size(0) for w, g in zip(widths, groups)) > 0.9  # little padding
        orders.append(widths)
    assert orders[0] != orders[1]  # groups visited in a new order each epoch


def test_ranks_split_each_group_and_step_together():
    lengths = np.random.default_rng(4).integers(5, 90, 41).tolist()
    stream = _stream(lengths)
    ranks = [TuneChunks(stream, seq_len=16, batch_size=4, seed=9, rank=r, world=2) for r in (0, 1)]
    assert ranks[0].steps_per_epoch == ranks[1].steps_per_epoch
    seen = []
    for _ in range(ranks[0].steps_per_epoch):
        b0, b1 = ranks[0].next(), ranks[1].next()
        assert b0.fresh == b1.fresh and b0.x.size(1) == b1.x.size(1)
        for b in (b0, b1):
            if b.fresh:
                seen.extend(tuple(r[r != IGNORE].tolist()) for r in b.y)
    # 41 tunes in groups of 8: the shortest 1 cannot be split over two ranks, and sits out this epoch
    assert len(seen) == 40 and len(set(seen)) == 40


def test_resume_goes_on_at_the_next_group():
    stream = _stream([30, 31, 32, 60, 61, 62, 90, 91, 92], seed=2)
    a = TuneChunks(stream, seq_len=16, batch_size=3, seed=7)
    a.next()  # mid-group: its state would be lost, so a resume starts the next group
    st = a.state_dict()
    assert st == {"epoch": 0, "group": 1}
    b = TuneChunks(stream, seq_len=16, batch_size=3, seed=7)
    b.load_state_dict(json.loads(json.dumps(st)))
    while a.chunk:
        a.next()
    for _ in range(a.steps_per_epoch):
        x, y = a.next(), b.next()
        assert x.fresh == y.fresh and torch.equal(x.x, y.x) and torch.equal(x.y, y.y)


def test_unknown_mode_and_too_few_tunes_are_clear():
    with pytest.raises(ValueError, match="unknown window mode 'sideways'"):
        make_batches("sideways", _stream([5, 6]), seq_len=4, batch_size=2, gen=torch.Generator(), seed=0)
    with pytest.raises(ValueError, match="no complete tune"):
        TuneChunks(np.array([3, 4, 5], dtype=np.int32), seq_len=4, batch_size=2, seed=0)


def test_loss_ignores_padding():
    logits = torch.randn(2, 5, 7)
    y = torch.randint(0, 7, (2, 5))
    padded = y.clone()
    padded[1, 3:] = IGNORE
    keep = padded != IGNORE
    expected = torch.nn.functional.cross_entropy(logits[keep], y[keep])
    assert torch.allclose(loss_fn(logits, padded), expected)
    assert loss_fn(logits, torch.full_like(y, IGNORE)).item() == 0.0  # a rank's all-padding chunk


def test_training_on_whole_tunes_selects_by_the_per_tune_figure(tmp_path, small_abc_corpus):
    m, t = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(tmp_path / "run"),
                                                 windows="tunes", max_steps=30, eval_every=15))
    summary = train(m, t)
    assert summary["status"] == "finished" and summary["step"] == 30
    model, vocab, ckpt = load_model(tmp_path / "run" / "best.pt")
    data = prepare(str(small_abc_corpus))
    per_tune = score_tunes(model, data.val_tunes())
    assert ckpt["metrics"]["val_loss"] == pytest.approx(per_tune["loss"], rel=1e-5)
    last = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert set(last["trainer"]["batches"]) == {"epoch", "group"}
    resumed = train(m, t, resume=True, resume_overrides={"max_steps": 40})
    assert resumed["step"] == 40
