"""musicrnn.training (run_folder, liveness, jobs): run folders, interrupted runs, incremental metrics, the
registry."""
from __future__ import annotations

import json
import os
import time

import pytest

from musicrnn.errors import TrainingError
from musicrnn.training import jobs, run_folder
from musicrnn.training.config import configs_from_preset
from tests.helpers.runs import dead_pid, fake_run


def test_list_runs_and_interrupted_detection(tmp_path):
    fake_run(tmp_path / "done", status="finished", started=1.0)
    fake_run(tmp_path / "crashed", pid=dead_pid(), started=2.0)  # says running, its process is gone
    fake_run(tmp_path / "remote_old", host="elsewhere", updated=time.time() - 3600, started=3.0)
    fake_run(tmp_path / "remote_live", host="elsewhere", started=4.0)
    fake_run(tmp_path / "orphan_thread", started=5.0)  # this pid, but no training thread: server lost it
    (tmp_path / "not_a_run").mkdir()
    runs = {r.name: r for r in run_folder.list_runs(tmp_path)}
    assert set(runs) == {"done", "crashed", "remote_old", "remote_live", "orphan_thread"}
    assert runs["done"].status == "finished"
    assert runs["crashed"].status == "interrupted"
    assert runs["remote_old"].status == "interrupted"
    assert runs["remote_live"].status == "running" and runs["remote_live"].active
    assert runs["orphan_thread"].status == "interrupted"
    assert [r.name for r in run_folder.list_runs(tmp_path)][0] == "orphan_thread"  # newest first
    assert run_folder.list_runs(tmp_path / "missing") == []


def test_read_metrics_is_incremental_and_survives_partial_lines_and_truncation(tmp_path):
    f = tmp_path / "metrics.jsonl"
    f.write_text(json.dumps({"kind": "train", "step": 1}) + "\n" + '{"kind": "tr')
    assert [e["step"] for e in run_folder.read_metrics(tmp_path)] == [1]
    with open(f, "a") as fh:
        fh.write('ain", "step": 2}\n' + json.dumps({"kind": "val", "step": 2}) + "\n")
    assert [e["step"] for e in run_folder.read_metrics(tmp_path)] == [1, 2, 2]
    f.write_text(json.dumps({"kind": "train", "step": 1}) + "\n")  # a resume truncates the file
    assert [e["step"] for e in run_folder.read_metrics(tmp_path)] == [1]
    assert run_folder.read_samples(tmp_path) == []


def test_registry_runs_one_job_per_device_and_stops_cleanly(tmp_path, small_abc_corpus):
    reg = jobs.TrainingJobs(tmp_path, threads=1)
    m, t = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(tmp_path / "a"),
                                                max_steps=100_000, eval_every=50))
    job = reg.start(m, t)
    try:
        m2, t2 = configs_from_preset("tiny", {},
                                     dict(data=str(small_abc_corpus), out=str(tmp_path / "b"), max_steps=10))
        with pytest.raises(TrainingError, match="already active"):
            reg.start(m2, t2)
        with pytest.raises(TrainingError, match="already active"):  # a second registry sees the thread too
            jobs.TrainingJobs(tmp_path).start(m2, t2)
        deadline = time.time() + 60
        while not run_folder.read_metrics(tmp_path / "a") and time.time() < deadline:
            time.sleep(0.2)
        assert run_folder.run_info(tmp_path / "a").status == "running"
    finally:
        assert reg.stop(tmp_path / "a") == 1
        assert reg.wait(tmp_path / "a", timeout=60)
    assert job.error is None and job.summary["status"] == "stopped"
    info = run_folder.run_info(tmp_path / "a")
    assert info.status == "stopped" and info.has_last
    # the device is free again; resuming continues the stopped run
    job2 = reg.resume(tmp_path / "a", max_steps=info.step + 10)
    assert reg.wait(tmp_path / "a", timeout=60)
    assert job2.error is None and job2.summary["status"] == "finished"
    assert job2.summary["step"] == info.step + 10


def test_registry_refuses_resume_without_checkpoint_and_reports_thread_errors(tmp_path):
    reg = jobs.TrainingJobs(tmp_path, threads=1)
    fake_run(tmp_path / "x", status="stopped")
    with pytest.raises(TrainingError, match="nothing to resume"):
        reg.resume(tmp_path / "x")
    m, t = configs_from_preset("tiny", {},
                               dict(data=str(tmp_path / "missing.abc"), out=str(tmp_path / "y"), max_steps=5))
    job = reg.start(m, t)
    assert reg.wait(tmp_path / "y", timeout=60)
    assert job.error and "missing.abc" in job.error


def test_stop_reaches_other_processes_through_the_stop_file(tmp_path):
    folder = fake_run(tmp_path / "cli", pid=os.getppid())  # a live process that is not this one
    assert jobs.TrainingJobs(tmp_path).stop(folder) == 1
    assert (folder / "STOP").exists()


def test_new_run_name_is_fresh(tmp_path):
    a = run_folder.new_run_name(tmp_path)
    (tmp_path / a).mkdir()
    assert run_folder.new_run_name(tmp_path) != a


