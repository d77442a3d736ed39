import hashlib
import json
import threading

import pytest
import torch

from musicrnn.errors import CheckpointError, TrainingError
from musicrnn.model.checkpoint import load_checkpoint, load_model
from musicrnn.training import loop as train_mod
from musicrnn.training.config import configs_from_preset
from musicrnn.training.loop import train


def _cfg(data, out, **kw):
    return configs_from_preset("tiny", {}, dict(data=str(data), out=str(out), **kw))


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_training_learns_and_writes_run_folder(tiny_run):
    events = [json.loads(l) for l in (tiny_run / "metrics.jsonl").read_text().splitlines()]
    train_ev = [e for e in events if e["kind"] == "train"]
    val_ev = [e for e in events if e["kind"] == "val"]
    # every --eval-every 20 steps, or a tenth of the run if that comes sooner
    assert len(train_ev) == 4 and [e["step"] for e in val_ev] == list(range(4, 41, 4))
    assert train_ev[-1]["train_loss"] < train_ev[0]["train_loss"]
    for k in ("epoch", "bpc", "accuracy", "chars_per_s", "eta_s", "lr"):
        assert k in train_ev[-1]
    status = json.loads((tiny_run / "run.json").read_text())
    assert status["status"] == "finished" and status["step"] == 40
    samples = [json.loads(l) for l in (tiny_run / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 10 and samples[0]["abc"].startswith("X:1\n")


def test_checkpoint_round_trip_weights_only(tiny_run):
    raw = torch.load(tiny_run / "best.pt", weights_only=True)
    assert raw["format"] == "musicrnn-checkpoint" and raw["vocab"][0] == "<eos>"
    assert raw["metrics"]["val_bpc"] > 0 and raw["data"]["train_tunes"] > 300
    model, vocab, ckpt = load_model(tiny_run)
    for k, v in model.state_dict().items():
        assert torch.equal(v, raw["state_dict"][k])


def test_not_a_checkpoint_and_truncated(tmp_path, tiny_run):
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(junk)
    cut = tmp_path / "cut.pt"
    cut.write_bytes((tiny_run / "best.pt").read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="cut.pt"):
        load_checkpoint(cut)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not a musicrnn checkpoint"):
        load_checkpoint(other)


@pytest.mark.parametrize("extra", [{}, {"cadence_weight": 3.0, "cadence_bars": 0, "note_noise": 0.2}],
                         ids=["plain", "weighted-noisy"])
def test_resume_continues_exactly(tmp_path, small_abc_corpus, extra):
    m, t = _cfg(small_abc_corpus, tmp_path / "straight", max_steps=30, eval_every=15, **extra)
    train(m, t)
    stop = threading.Event()

    def cb(ev):
        if ev.get("kind") == "train" and ev["step"] >= 10:
            stop.set()  # seen at the next logged step, 20

    m, t = _cfg(small_abc_corpus, tmp_path / "resumed", max_steps=30, eval_every=15, **extra)
    assert train(m, t, callback=cb, stop_event=stop)["status"] == "stopped"
    m, t = _cfg(small_abc_corpus, tmp_path / "resumed")
    summary = train(m, t, resume=True)
    assert summary["step"] == 30
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
    steps = [json.loads(l)["step"] for l in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()
             if json.loads(l)["kind"] == "train"]
    assert steps == [10, 20, 30]


def test_resume_without_last_is_clear(tmp_path):
    m, t = _cfg("music21", tmp_path / "nothing")
    with pytest.raises(TrainingError, match="nothing to resume"):
        train(m, t, resume=True)


def test_nan_loss_stops_and_keeps_best(tmp_path, small_abc_corpus, monkeypatch):
    out = tmp_path / "nan"
    m, t = _cfg(small_abc_corpus, out, max_steps=20, eval_every=10)
    train(m, t)
    best_before = _sha(out / "best.pt")
    real = train_mod.loss_fn
    calls = {"n": 0}

    def poisoned(logits, targets, weight=None):
        calls["n"] += 1
        loss = real(logits, targets, weight)
        return loss * float("nan") if calls["n"] > 1 else loss  # before the resumed leg's first validation

    monkeypatch.setattr(train_mod, "loss_fn", poisoned)
    m, t = _cfg(small_abc_corpus, out)
    with pytest.raises(TrainingError, match="loss became nan at step 21"):
        train(m, t, resume=True, resume_overrides={"max_steps": 40})
    assert _sha(out / "best.pt") == best_before
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "failed" and "nan" in status["error"]
    load_checkpoint(out / "best.pt")


def test_stop_event_ends_run_cleanly(tmp_path, small_abc_corpus):
    stop = threading.Event()

    def cb(ev):
        if ev.get("kind") == "train" and ev["step"] >= 20:
            stop.set()

    m, t = _cfg(small_abc_corpus, tmp_path / "stop", max_steps=1000, eval_every=500)
    summary = train(m, t, callback=cb, stop_event=stop)
    assert summary["status"] == "stopped" and summary["step"] == 30
    assert (tmp_path / "stop" / "best.pt").exists() and (tmp_path / "stop" / "last.pt").exists()


def test_early_stopping(tmp_path, small_abc_corpus):
    m, t = _cfg(small_abc_corpus, tmp_path / "early", max_steps=400, eval_every=5, patience=1, lr=1e-9,
                warmup_steps=1)
    summary = train(m, t)
    assert summary["status"] == "early_stopped" and summary["step"] < 400


def test_gru_cell_trains(tmp_path, small_abc_corpus):
    m, t = configs_from_preset("tiny", {"cell": "gru"}, dict(data=str(small_abc_corpus), out=str(tmp_path / "g"),
                                                             max_steps=10, eval_every=10))
    train(m, t)
    model, _, _ = load_model(tmp_path / "g")
    assert isinstance(model.rnn, torch.nn.GRU)


def test_init_starts_from_a_checkpoints_weights(tiny_run, small_abc_corpus, tmp_path):
    from musicrnn.model.checkpoint import load_checkpoint
    from musicrnn.training.config import configs_from_preset
    from musicrnn.training.loop import train

    start = load_checkpoint(tiny_run / "best.pt")
    # a shape unlike the checkpoint's: --init takes the checkpoint's shape
    m, t = configs_from_preset("tiny", {"hidden_size": 32}, dict(data=str(small_abc_corpus), out=str(tmp_path / "ft"),
                                                                 max_steps=1, eval_every=1, lr=1e-9,
                                                                 init=str(tiny_run)))
    train(m, t)
    tuned = load_checkpoint(tmp_path / "ft" / "best.pt")
    assert tuned["model_config"]["hidden_size"] == start["model_config"]["hidden_size"]
    for k, v in start["state_dict"].items():  # one step at a negligible rate: the weights are the start's
        assert torch.allclose(v, tuned["state_dict"][k], atol=1e-4), k
    assert abs(tuned["metrics"]["val_loss"] - start["metrics"]["val_loss"]) < 0.05


def test_init_learns_characters_the_model_does_not_know(tiny_run, tmp_path):
    """A fine-tune on tunes with new characters (`R:jig`, and `@`) widens the vocabulary:
    the known characters keep their weights, a new one starts unlikely, and the run trains."""
    import torch

    from musicrnn.model.checkpoint import load_checkpoint
    from musicrnn.model.network import CharRNN, ModelConfig, widen_vocab
    from musicrnn.training.config import configs_from_preset
    from musicrnn.training.loop import train

    abc = tmp_path / "odd.abc"
    abc.write_text("".join(f"X:{i}\nL:1/8\nM:6/8\nR:jig\nK:G\n{'@' * (i % 3)}GAB cdB|{'~' * (i % 2)}AGF D3|]\n"
                           for i in range(1, 80)))
    old = load_checkpoint(tiny_run)
    new_chars = sorted({"j", "@", "R"} - set(old["vocab"]))
    assert new_chars == ["@", "R", "j"]  # O'Neill's tunes 1-400 have no R: field
    m, t = configs_from_preset("tiny", {}, dict(data=str(abc), out=str(tmp_path / "x"), max_steps=2,
                                                eval_every=2, init=str(tiny_run)))
    train(m, t)
    tokens = load_checkpoint(tmp_path / "x" / "best.pt")["vocab"]
    assert set(old["vocab"]) | set(new_chars) == set(tokens)
    # before any step, the widened model scores the known characters exactly as the old one did
    wide = CharRNN(ModelConfig.from_dict({**old["model_config"], "vocab_size": len(tokens)})).eval()
    wide.load_state_dict(widen_vocab(old["state_dict"], old["vocab"], tokens))
    narrow = CharRNN(ModelConfig.from_dict(old["model_config"])).eval()
    narrow.load_state_dict(old["state_dict"])
    ids_old = torch.tensor([[old["vocab"].index(c) for c in "X:1\nK:G\nGAB"]])
    ids_new = torch.tensor([[tokens.index(c) for c in "X:1\nK:G\nGAB"]])
    with torch.no_grad():
        a, b = narrow(ids_old)[0][0, -1], wide(ids_new)[0][0, -1]
    assert torch.allclose(a, b[[tokens.index(c) for c in old["vocab"]]], atol=1e-6)
    probs = torch.softmax(b, -1)
    assert all(probs[tokens.index(c)] < 0.01 for c in new_chars)  # a new character starts unlikely


def test_train_only_head_leaves_every_other_weight_as_it_was(tiny_run, small_abc_corpus, tmp_path):
    from musicrnn.errors import OptionError
    from musicrnn.model.checkpoint import load_checkpoint
    from musicrnn.training.config import TrainConfig, configs_from_preset
    from musicrnn.training.loop import train

    start = load_checkpoint(tiny_run / "best.pt")
    m, t = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(tmp_path / "head"), max_steps=3,
                                                eval_every=3, lr=1e-2, init=str(tiny_run), train_only="head"))
    train(m, t)
    tuned = load_checkpoint(tmp_path / "head" / "best.pt")
    moved = {k for k, v in start["state_dict"].items() if not torch.equal(v, tuned["state_dict"][k])}
    assert moved == {"head.weight", "head.bias"}
    assert tuned["train_config"]["train_only"] == "head"
    with pytest.raises(OptionError, match="train_only 'rnn': must be all or head"):
        TrainConfig(train_only="rnn")
