"""Fine-tuning a trained model on a musician's few tunes: its own learning rate, a validation before the first
step (so overfitting cannot make best.pt worse than the start), a split that keeps a few validation tunes, and
what the fine-tuned model inherits (tune types, fitted endings)."""
from __future__ import annotations

import json
import random

import pytest
import torch

from musicrnn.data.split import MIN_VAL_TUNES, hash_split, is_validation, load_corpus, merge_type_tables
from musicrnn.model.checkpoint import atomic_save, load_checkpoint
from musicrnn.training.config import FINE_TUNE_LR, TrainConfig, configs_from_preset, eval_interval, lr_factor
from musicrnn.training.fine_tune import start_windows
from musicrnn.training.loop import train


def few_tunes(path, oneills_abc, n: int):
    """The first `n` tunes of O'Neill's 1850 as one .abc file, as a musician would upload them."""
    text = oneills_abc.read_text(encoding="latin-1")
    tunes = ["X:" + t for t in text.split("\nX:")[1:n + 1]]
    path.write_text("\n\n".join(tunes), encoding="utf-8")
    return path


def test_a_small_corpus_keeps_a_few_validation_tunes_whatever_their_order(tmp_path, oneills_abc):
    corpus = load_corpus(few_tunes(tmp_path / "mine.abc", oneills_abc, 24))
    assert len(corpus.val) == min(MIN_VAL_TUNES, 24 // 5) == 4  # 5 % of 24 by hash alone is one tune
    tunes = corpus.all_tunes
    shuffled = tunes[:]
    random.Random(3).shuffle(shuffled)
    assert set(hash_split(shuffled, 0.05)[1]) == set(corpus.val)
    assert sum(is_validation(t, 0.05) for t in corpus.val) < len(corpus.val)  # some were moved over
    assert hash_split(tunes[:4], 0.05)[1] == [t for t in tunes[:4] if is_validation(t, 0.05)]  # too few to spare


def test_a_large_corpus_is_split_by_hash_alone(small_abc_corpus):
    corpus = load_corpus(small_abc_corpus)
    assert len(corpus.val) > MIN_VAL_TUNES
    assert all(is_validation(t, 0.05) for t in corpus.val)
    assert not any(is_validation(t, 0.05) for t in corpus.train)


def test_type_tables_add_up():
    a = {"reel": {"tunes": 600, "meter": "4/4", "unit": "1/8"}, "jig": {"tunes": 5, "meter": "6/8", "unit": "1/8"}}
    b = {"reel": {"tunes": 3, "meter": "2/2", "unit": "1/8"}, "jig": {"tunes": 40, "meter": "6/8", "unit": "1/16"},
         "odd": "not a row"}
    assert merge_type_tables(a, b, {}) == {"reel": {"tunes": 603, "meter": "4/4", "unit": "1/8"},
                                          "jig": {"tunes": 45, "meter": "6/8", "unit": "1/16"}}


def test_a_fine_tune_takes_a_fine_tunes_learning_rate_unless_told_otherwise():
    assert configs_from_preset("cpu", {}, {"init": "checkpoints/default"})[1].lr == FINE_TUNE_LR
    assert configs_from_preset("cpu", {}, {})[1].lr == 4e-3
    assert configs_from_preset("cpu", {}, {"init": "x", "lr": 1e-3})[1].lr == 1e-3
    assert configs_from_preset(None, {}, {"init": "x", "lr": None})[1].lr == FINE_TUNE_LR


def test_a_run_told_nothing_reads_tunes_as_its_start_was_trained_to():
    assert start_windows({"train_config": {"windows": "tunes"}}) == "tunes"
    assert start_windows({"train_config": {"windows": "sideways"}}) == start_windows(None) == "random"
    assert TrainConfig().windows is None and TrainConfig(windows="tunes").windows == "tunes"


def test_a_short_run_warms_up_and_is_validated_along_the_way():
    cfg = TrainConfig(warmup_steps=100, eval_every=200)
    assert eval_interval(cfg, 60) == 6 and eval_interval(cfg, 5) == 1 and eval_interval(cfg, 10_000) == 200
    assert lr_factor(0, cfg, 60) == pytest.approx(1 / 6) and lr_factor(6, cfg, 60) == pytest.approx(1.0)
    assert lr_factor(50, cfg, 10_000) == pytest.approx(0.51)  # a long run keeps its 100 warm-up steps


def typed_start(tiny_run, tmp_path, windows="random"):
    """The tiny model as if it had been trained on typed tunes (in `windows`) and calibrated: a start with types
    and endings."""
    ckpt = load_checkpoint(tiny_run / "best.pt")
    ckpt.pop("path")
    ckpt["train_config"] = {**ckpt["train_config"], "windows": windows}
    ckpt["data"] = {**ckpt["data"], "tune_types": {"reel": {"tunes": 650, "meter": "4/4", "unit": "1/8"}}}
    ckpt["endings"] = {"reel": {"keep": 0.28, "form_keep": 0.2, "target": 0.66}}
    atomic_save(ckpt, tmp_path / "start.pt")
    return tmp_path / "start.pt", ckpt


def test_a_fine_tune_that_only_overfits_leaves_best_pt_as_the_start(tiny_run, tmp_path, oneills_abc, monkeypatch):
    from musicrnn.training import loop

    start, ckpt = typed_start(tiny_run, tmp_path)
    mine = few_tunes(tmp_path / "mine.abc", oneills_abc, 30)
    real = loop.loss_fn
    # a fine-tune that only gets worse, on any machine: every step climbs the loss instead of descending it
    monkeypatch.setattr(loop, "loss_fn", lambda logits, targets, weight=None: -real(logits, targets, weight))
    m, t = configs_from_preset("tiny", {}, dict(data=str(mine), out=str(tmp_path / "ft"), max_steps=20,
                                                lr=1e-2, init=str(start)))
    summary = train(m, t)
    events = [json.loads(line) for line in (tmp_path / "ft" / "metrics.jsonl").read_text().splitlines()]
    vals = [e for e in events if e["kind"] == "val"]
    # the start, then every tenth of the run
    assert [e["step"] for e in vals] == list(range(0, summary["step"] + 1, 2)) and len(vals) >= 6
    assert min(e["val_loss"] for e in vals[1:]) > vals[0]["val_loss"]
    assert summary["best_step"] == 0
    best = load_checkpoint(tmp_path / "ft" / "best.pt")
    widened = {k for k in best["state_dict"] if best["state_dict"][k].shape != ckpt["state_dict"][k].shape}
    for k, v in ckpt["state_dict"].items():
        if k not in widened:
            assert torch.equal(v, best["state_dict"][k]), k
    assert best["metrics"]["step"] == 0 and "train_loss" not in best["metrics"]


def test_a_fine_tune_on_untyped_tunes_still_knows_the_types_and_endings_it_started_with(tiny_run, tmp_path,
                                                                                         oneills_abc):
    from musicrnn.generation.endings import fitted_keeps
    from musicrnn.generation.prime import known_types

    start, _ = typed_start(tiny_run, tmp_path, windows="tunes")
    mine = few_tunes(tmp_path / "mine.abc", oneills_abc, 30)  # O'Neill's tunes have no R: field
    m, t = configs_from_preset("tiny", {}, dict(data=str(mine), out=str(tmp_path / "ft"), max_steps=4,
                                                init=str(start)))
    train(m, t)
    tuned = load_checkpoint(tmp_path / "ft" / "best.pt")
    assert list(known_types(tuned["data"])) == ["reel"]
    assert tuned["data"]["started_from"]["checkpoint"] == str(start)
    assert tuned["data"]["train_tunes"] == 30 - 5  # its own data's counts
    assert fitted_keeps(tuned) == {"reel": 0.28} and tuned["endings"]["reel"]["fitted_for"] == str(start)
    status = json.loads((tmp_path / "ft" / "run.json").read_text())
    assert status["data"]["started_from"]["source"] == tuned["data"]["started_from"]["source"]
    assert status["config"]["windows"] == "tunes"  # told nothing, it reads the tunes as its start was trained to
    # ...and so does the same run resumed for more steps
    m, t = configs_from_preset("tiny", {}, dict(out=str(tmp_path / "ft")))
    train(m, t, resume=True, resume_overrides={"max_steps": 8})
    again = load_checkpoint(tmp_path / "ft" / "last.pt")
    assert list(known_types(again["data"])) == ["reel"] and fitted_keeps(again) == {"reel": 0.28}
