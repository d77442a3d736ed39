"""Fitting a finished run's endings in the background: the fit holds its device, and stores what it found."""
from __future__ import annotations

import pytest

from musicrnn.errors import TrainingError
from musicrnn.model.checkpoint import load_checkpoint
from musicrnn.training.config import configs_from_preset
from musicrnn.training.endings_fit import EndingsFits
from musicrnn.training.jobs import TrainingJobs
from tests.helpers.app import shipped_run_copy


def test_a_background_fit_holds_the_device_and_stores_its_endings(tmp_path, small_abc_corpus):
    folder = shipped_run_copy(tmp_path / "runs", ["jig"])
    before = load_checkpoint(folder / "best.pt")["endings"]
    fits = EndingsFits(threads=1)
    fit = fits.start(folder, lambda label: None, n=4, steps=1, types=["jig"])
    with pytest.raises(TrainingError, match="endings are being fitted to .*shipped-copy"):
        fits.start(folder, lambda label: None)  # one fit per device
    model_cfg, cfg = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(tmp_path / "r"),
                                                          max_steps=1))
    with pytest.raises(TrainingError, match="endings are being fitted .* start the run when that has finished"):
        TrainingJobs(root=tmp_path / "runs").start(model_cfg, cfg)  # nor a training run beside it
    fit.thread.join(600)
    assert not fit.alive and fit.error is None and fit.lines
    assert list(fit.fitted.table) == ["jig"] and fit.fitted.table["jig"]["samples"] == 4
    stored = load_checkpoint(folder / "best.pt")["endings"]
    assert stored["jig"] == fit.fitted.table["jig"] != before["jig"]
    assert all(stored[k] == before[k] for k in before if k != "jig")  # the other types' fits stay
    assert fits.fit(folder) is fit
    with pytest.raises(TrainingError, match="a training run is active on .*other-run"):
        fits.start(folder, lambda label: "other-run")
    with pytest.raises(TrainingError, match="no best.pt"):
        fits.start(tmp_path, lambda label: None)
