"""A model told its context (`ModelConfig.key_context`, `bar_context`: the key in force and the bar of the part):
zero context weights change nothing, the whole-sequence and one-step paths agree, batches, checkpoints, sampling,
scoring and a fine-tune carry the context inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from musicrnn.data.batches import TuneChunks, make_batches, pad_context, pad_tunes
from musicrnn.data.context import ContextReader
from musicrnn.data.vocab import Vocab
from musicrnn.errors import CheckpointError
from musicrnn.generation.sampler import sample
from musicrnn.generation.scoring import score_stream
from musicrnn.inspection.states import run_layers
from musicrnn.model.checkpoint import atomic_save, load_checkpoint, load_model, make_checkpoint
from musicrnn.model.network import CONTEXT_WEIGHTS, CharRNN, ModelConfig
from musicrnn.training.config import TrainConfig
from musicrnn.training.loop import train
from tests.helpers.music_data import oneills

# A tune whose key changes on a body K: line and inline, and real tunes from O'Neill's.
CHANGING = "X:1\nT:Changes\nM:4/4\nL:1/8\nK:D\nABcd efga|[K:Ador]ABcd efga|\nK:Bbmix\nGABc defg|]\n"
TUNES = [CHANGING] + [oneills(k) for k in range(6)]
VOCAB = Vocab.from_texts(TUNES)


@pytest.fixture(autouse=True)
def one_thread():
    """One CPU thread: these models are tiny, and two threads fighting a busy machine are 1000x slower."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def cfg(context=True) -> ModelConfig:
    return ModelConfig(vocab_size=len(VOCAB), embedding_dim=8, hidden_size=16, layers=2, dropout=0.0,
                       key_context=context, bar_context=context)


def models(seed=0, key_scale=None):
    """A key-context model and one without key inputs holding the same other weights (eval mode); with
    `key_scale`, the key embeddings are drawn from N(0, key_scale) instead of zero."""
    torch.manual_seed(seed)
    keyed = CharRNN(cfg(True), VOCAB.tokens).eval()
    if key_scale is not None:
        with torch.no_grad():
            keyed.key_tonic.weight.normal_(0, key_scale)
            keyed.key_signature.weight.normal_(0, key_scale)
            keyed.bar_count.weight.normal_(0, key_scale)
    plain = CharRNN(cfg(False)).eval()
    plain.load_state_dict({k: v for k, v in keyed.state_dict().items() if k not in CONTEXT_WEIGHTS})
    return keyed, plain


def ids_of(*texts) -> torch.Tensor:
    """One row: <eos> then each text followed by <eos> (the stream as the model reads a tune from its start)."""
    return torch.tensor([[0] + [i for t in texts for i in VOCAB.encode(t) + [0]]])


def stream_of(tunes) -> np.ndarray:
    return np.array([i for t in tunes for i in VOCAB.encode(t) + [0]], dtype=np.int64)


def test_key_weights_start_at_zero_and_change_nothing():
    keyed, plain = models()
    assert set(CONTEXT_WEIGHTS) <= set(keyed.state_dict()) and not set(CONTEXT_WEIGHTS) & set(plain.state_dict())
    assert all((keyed.state_dict()[k] == 0).all() for k in CONTEXT_WEIGHTS)
    x = ids_of(CHANGING, TUNES[1])
    keys = torch.from_numpy(keyed.context_reader.rows(x.numpy()))
    assert (keys[..., 0] > 0).any()  # the model is told keys, which add nothing yet
    with torch.no_grad():
        a, _ = keyed(x)
        b, _ = plain(x)
    assert torch.equal(a, b)


def test_a_key_context_model_needs_its_tokens_and_step_needs_keys():
    with pytest.raises(ValueError, match="tokens"):
        CharRNN(cfg(True))
    keyed, _ = models()
    with pytest.raises(ValueError, match="context codes"):
        keyed.step(torch.tensor([0]), None)


def test_forward_equals_step_by_step_with_tracker_keys():
    keyed, plain = models(seed=1, key_scale=1.0)
    x = ids_of(CHANGING, TUNES[1])
    tracker = keyed.context_reader.tracker()
    state, steps = None, []
    with torch.no_grad():
        whole, _ = keyed(x)
        for i in x[0].tolist():
            keys = torch.tensor([tracker.feed(i)])
            logits, state = keyed.step(torch.tensor([i]), state, keys)
            steps.append(logits[0])
        plain_whole, _ = plain(x)
    assert torch.allclose(whole[0], torch.stack(steps), atol=1e-5)
    assert not torch.allclose(whole, plain_whole, atol=1e-3)  # the key weights now matter


def test_forward_reads_each_rows_keys_when_none_are_given():
    keyed, _ = models(seed=2, key_scale=1.0)
    x, _ = pad_tunes([np.array(VOCAB.encode(t) + [0]) for t in TUNES[:4]])
    keys = torch.from_numpy(keyed.context_reader.rows(x.numpy()))
    with torch.no_grad():
        implicit, _ = keyed(x)
        explicit, _ = keyed(x, context=keys)
        unknown, _ = keyed(x, context=torch.zeros_like(keys))
    assert torch.equal(implicit, explicit)
    assert not torch.allclose(implicit, unknown, atol=1e-3)
    # the same keys as `pad_context` builds from the tunes' stream codes
    stream = stream_of(TUNES[:4])
    codes = np.split(keyed.context_reader.stream(stream), np.flatnonzero(stream == 0)[:-1] + 1)
    assert torch.equal(pad_context(codes, x.size(1)), keys)


def test_tune_chunks_carry_the_key_of_the_header_into_later_chunks():
    reader = ContextReader(VOCAB.tokens)
    tunes = TUNES[:3]
    stream = stream_of(tunes)
    codes = reader.stream(stream)
    chunks = TuneChunks(stream, seq_len=32, batch_size=1, seed=0, context=codes)
    seen = {}
    for _ in range(chunks.steps_per_epoch):
        b = chunks.next()
        if b.fresh:
            rows = []
        rows.append(b)
        x = torch.cat([r.x for r in rows], 1)
        seen[tuple(x[0].tolist())] = (rows, torch.cat([r.context for r in rows], 1))
    whole = {tuple(pad_tunes([np.array(VOCAB.encode(t) + [0])])[0][0].tolist()): t for t in tunes}
    for x, (rows, keys) in seen.items():
        if x not in whole:
            continue  # a group not yet at its last chunk
        whole.pop(x)
        assert torch.equal(keys[0], torch.from_numpy(reader.rows(np.array([x]))[0]))
        header = int(np.flatnonzero(keys[0, :, 0] > 0)[0])  # where the first K: line takes effect
        later = rows[header // 32 + 1]  # the chunk after the one holding it
        assert not later.fresh and len(x) > (header // 32 + 1) * 32
        assert (later.context[0, :, 0] > 0).all()  # still knows the header's key
        assert (rows[0].context[0, :10] == 0).all()  # before the header: unknown
    assert not whole  # every tune was seen whole


def test_random_windows_carry_the_keys_of_their_inputs():
    stream = stream_of(TUNES)
    codes = ContextReader(VOCAB.tokens).stream(stream)
    where = np.stack([np.arange(len(stream)), np.arange(len(stream)) % 7], axis=1)  # a code that names its place
    for keys in (where, codes):
        batches = make_batches("random", stream, seq_len=24, batch_size=8, gen=torch.Generator().manual_seed(3),
                               seed=0, context=keys)
        b = batches.next()
        assert b.context.shape == (8, 24, keys.shape[1])
        if keys is where:
            pos = b.context[..., 0]
            assert torch.equal(pos, pos[:, :1] + torch.arange(24))  # consecutive places
            assert torch.equal(b.x, torch.from_numpy(stream)[pos])  # ... of exactly the inputs
            assert torch.equal(b.context[..., 1], pos % 7)
        else:
            assert (b.context[..., 0] > 0).float().mean() > 0.5


def save(model, vocab, path):
    atomic_save(make_checkpoint(model, model.cfg, vocab, metrics={}, data={}, train_config={}), path)


def test_checkpoint_round_trip_keeps_key_context(tmp_path):
    keyed, _ = models(seed=4, key_scale=1.0)
    save(keyed, VOCAB, tmp_path / "k.pt")
    loaded, vocab, ckpt = load_model(tmp_path / "k.pt")
    assert ckpt["model_config"]["key_context"] is True and loaded.context_reader is not None
    assert vocab.tokens == VOCAB.tokens
    x = ids_of(CHANGING)
    with torch.no_grad():
        assert torch.equal(keyed(x)[0], loaded(x)[0])
    for k in CONTEXT_WEIGHTS:
        assert torch.equal(loaded.state_dict()[k], keyed.state_dict()[k])


def test_a_key_context_checkpoint_without_key_weights_is_refused(tmp_path):
    keyed, _ = models(seed=5)
    ckpt = make_checkpoint(keyed, keyed.cfg, VOCAB, metrics={}, data={}, train_config={})
    ckpt["state_dict"] = {k: v for k, v in ckpt["state_dict"].items() if k not in CONTEXT_WEIGHTS}
    atomic_save(ckpt, tmp_path / "cut.pt")
    with pytest.raises(CheckpointError, match=r"missing (bar_count|key_)"):
        load_model(tmp_path / "cut.pt")
    # and a checkpoint without key_context that holds key weights is refused too
    ckpt = make_checkpoint(keyed, cfg(False), VOCAB, metrics={}, data={}, train_config={})
    atomic_save(ckpt, tmp_path / "extra.pt")
    with pytest.raises(CheckpointError, match=r"unexpected (bar_count|key_)"):
        load_model(tmp_path / "extra.pt")


def test_sampling_a_key_context_model():
    keyed, plain = models(seed=6)
    prime = "X:1\nK:D\n"
    a = sample(keyed, VOCAB, 3, prime=prime, seed=11, max_chars=80)
    assert [s.text for s in a] == [s.text for s in sample(keyed, VOCAB, 3, prime=prime, seed=11, max_chars=80)]
    assert [s.text for s in a] != [s.text for s in sample(keyed, VOCAB, 3, prime=prime, seed=12, max_chars=80)]
    # zero key weights: exactly the samples of the model without key inputs
    assert [s.text for s in a] == [s.text for s in sample(plain, VOCAB, 3, prime=prime, seed=11, max_chars=80)]
    with torch.no_grad():
        for p in sorted(CONTEXT_WEIGHTS):  # a set: its order changes with the hash seed
            keyed.get_parameter(p).normal_(0, 2.0)
    b = sample(keyed, VOCAB, 3, prime=prime, seed=11, max_chars=80)
    assert all(s.text.startswith(prime) for s in b) and [s.text for s in b] != [s.text for s in a]


def test_greedy_sampling_follows_the_keys_of_its_own_text():
    """Greedy samples are the argmax chain of `forward` over the sampled text, keys read from that text: the
    sampler's per-row trackers give the same keys as the whole-sequence reading."""
    keyed, _ = models(seed=7, key_scale=2.0)
    prime = "X:1\nM:4/4\nK:Ador\nAB"
    out = sample(keyed, VOCAB, 2, prime=prime, seed=0, max_chars=60, top_k=1, stop_at_eos=False)
    assert out[0].text == out[1].text
    text = out[0].text
    ids = torch.tensor([[0] + VOCAB.encode(text)])
    with torch.no_grad():
        logits, _ = keyed(ids)
    greedy = logits[0, len(prime) : -1].argmax(-1).tolist()
    assert len(greedy) == len(text) - len(prime) > 10
    assert greedy == VOCAB.encode(text[len(prime) :])
    if out[0].ended:
        assert int(logits[0, -1].argmax()) == 0


def test_score_stream_reads_keys_across_chunks_and_lanes():
    keyed, plain = models(seed=8)
    stream = stream_of(TUNES)
    zero = score_stream(keyed, stream, lanes=3, chunk=16)
    assert math.isfinite(zero["bpc"]) and zero["bpc"] > 0
    assert zero["bpc"] == pytest.approx(score_stream(plain, stream, lanes=3, chunk=16)["bpc"], abs=1e-6)
    with torch.no_grad():
        for p in sorted(CONTEXT_WEIGHTS):  # a set: its order changes with the hash seed
            keyed.get_parameter(p).normal_(0, 1.0)
    got = score_stream(keyed, stream, lanes=1, chunk=16)
    assert math.isfinite(got["bpc"])
    # one lane is the whole stream read at once, with the keys in force from the stream's own reading
    x = torch.from_numpy(stream[:-1])[None]
    keys = torch.from_numpy(keyed.context_reader.stream(stream[:-1]))[None]
    with torch.no_grad():
        logits, _ = keyed(x, context=keys)
    loss = F.cross_entropy(logits[0], torch.from_numpy(stream[1:])).item()
    assert got["loss"] == pytest.approx(loss, rel=1e-5)
    with torch.no_grad():  # and the keys matter here: told no key at all, the model scores otherwise
        blind, _ = keyed(x, context=torch.zeros_like(keys))
    assert abs(F.cross_entropy(blind[0], torch.from_numpy(stream[1:])).item() - loss) > 1e-3


@pytest.mark.parametrize("windows", ["random", "tunes"])
def test_fine_tune_adds_key_inputs_to_a_model_without_them(tmp_path, oneills_abc, monkeypatch, windows):
    told = []  # the keys each training step passes (a chunk read on from a carried state needs them)
    forward = CharRNN.forward

    def spy(self, x, state=None, context=None):
        if self.training:
            told.append(context)
        return forward(self, x, state, context)

    monkeypatch.setattr(CharRNN, "forward", spy)
    torch.manual_seed(9)
    start_vocab = Vocab.from_texts([oneills_abc.read_text(encoding="utf-8", errors="replace")])
    start = CharRNN(ModelConfig(vocab_size=len(start_vocab), embedding_dim=8, hidden_size=16, layers=2,
                                dropout=0.0))
    save(start, start_vocab, tmp_path / "start.pt")
    model_cfg = ModelConfig(embedding_dim=8, hidden_size=16, layers=2, dropout=0.0, key_context=True,
                            bar_context=True)
    out = tmp_path / "ft"
    summary = train(model_cfg, TrainConfig(data=str(oneills_abc), out=str(out), max_steps=2, eval_every=2,
                                           batch_size=4, seq_len=32, warmup_steps=0, eval_chars=2000,
                                           sample_chars=40, windows=windows, init=str(tmp_path / "start.pt"),
                                           context_lr_scale=20.0))
    assert summary["step"] == 2
    assert len(told) == 2 and all(k is not None and (k[..., 0] > 0).any() for k in told)
    base = load_checkpoint(tmp_path / "start.pt")["state_dict"]
    assert load_checkpoint(out / "best.pt")["vocab"] == start_vocab.tokens
    for name in ("best.pt", "last.pt"):
        ckpt = load_checkpoint(out / name)
        assert ckpt["model_config"]["key_context"] is True
        assert ckpt["model_config"]["hidden_size"] == 16
        assert CONTEXT_WEIGHTS <= set(ckpt["state_dict"])
        # the key weights started at zero and have been trained away from it
        assert all(ckpt["state_dict"][k].abs().max() > 0 for k in CONTEXT_WEIGHTS)
        assert set(ckpt["state_dict"]) - CONTEXT_WEIGHTS == set(base)
        for k, v in base.items():  # the other weights are the start's, two small steps on
            assert (ckpt["state_dict"][k] - v).abs().max() < 0.02, k
    groups = load_checkpoint(out / "last.pt")["optimizer"]["param_groups"]
    assert [g["lr_scale"] for g in groups] == [1.0, 20.0]  # the context inputs learn 20 times faster
    assert groups[1]["lr"] == pytest.approx(20 * groups[0]["lr"]) and groups[0]["lr"] > 0
    model, _, _ = load_model(out / "best.pt")
    assert model.context_reader is not None


def test_the_inspection_reads_a_context_model_as_forward_does():
    keyed, _ = models(key_scale=1.0)
    x = ids_of(TUNES[1])
    logits, states = run_layers(keyed, x)
    with torch.no_grad():
        expected, _ = keyed(x)
    assert torch.allclose(logits, expected, atol=1e-5)
    # the bar input matters: telling the model every character stands in the header changes what it expects
    context = torch.from_numpy(keyed.context_reader.rows(x.numpy()))
    assert (context[0, :, 2] > 2).any()
    with torch.no_grad():
        blind, _ = keyed(x, context=context * torch.tensor([1, 1, 0]))
    assert not torch.allclose(blind, expected, atol=1e-3)
