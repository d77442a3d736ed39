"""Damaged and hand-edited run folders: each is listed as damaged with its reason, and the run list, the live
route and `resume` answer with a clear message, never a traceback or a 500."""
from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicrnn.errors import MusicRNNError, TrainingError
from musicrnn.training import jobs, run_folder
from tests.helpers.runs import JSON_VALUES, STATUS_FIELDS, dead_pid, fake_run

EVENT_FIELDS = ["kind", "step", "time", "epoch", "train_loss", "bpc", "accuracy", "lr", "chars_per_s", "eta_s",
                "val_loss", "val_bpc", "val_accuracy", "best_val_loss", "total_steps"]
GOOD_TRAIN = {"kind": "train", "step": 10, "train_loss": 1.5, "bpc": 2.1, "accuracy": 0.4, "lr": 0.003,
              "chars_per_s": 1000.0, "eta_s": 30.0, "total_steps": 100, "epoch": 0.1, "time": 1.0}


def call_route(name: str, query: str = "since=0"):
    from starlette.requests import Request

    from app_support.routes import live_run

    scope = {"type": "http", "method": "GET", "path": f"/api/live/{name}", "query_string": query.encode(),
             "headers": [], "path_params": {"name": name}}
    return asyncio.run(live_run(Request(scope)))


def test_a_run_json_with_a_bad_field_is_listed_as_damaged_and_the_others_still_work(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICRNN_RUNS", str(tmp_path))
    fake_run(tmp_path / "good", pid=dead_pid(), status="finished", started=1.0)
    fake_run(tmp_path / "edited", step="abc", started=2.0)
    fake_run(tmp_path / "when", started="yesterday")
    fake_run(tmp_path / "loss", best_val_loss=[1, 2])
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "run.json").write_bytes(b"\xff\xfe{")
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "run.json").write_text('{"status": "runn')
    runs = {r.name: r for r in run_folder.list_runs(tmp_path)}
    assert runs["good"].status == "finished" and runs["good"].problem is None
    assert runs["edited"].status == "damaged" and runs["edited"].problem == (
        "run.json: field 'step' is \"abc\", expected a whole number")
    assert "'started'" in runs["when"].problem and "'best_val_loss'" in runs["loss"].problem
    assert runs["garbage"].problem == "run.json: not UTF-8 text"
    assert runs["cut"].problem.startswith("run.json: not JSON (line 1, column")
    assert not any(r.active for r in runs.values() if r.status == "damaged")
    r = call_route("edited")
    assert r.status_code == 200 and json.loads(r.body)["head"]["status"] == "damaged"
    assert "'step'" in json.loads(r.body)["head"]["problem"]
    with pytest.raises(TrainingError, match=r"edited: cannot resume: run.json: field 'step'"):
        jobs.TrainingJobs(tmp_path).resume(tmp_path / "edited")


def test_a_status_nobody_writes_is_damaged(tmp_path):
    info = run_folder.run_info(fake_run(tmp_path / "odd", status="dancing"))
    assert info.status == "damaged" and "expected one of running, finished" in info.problem


def test_metric_events_that_do_not_fit_are_skipped_and_counted(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICRNN_RUNS", str(tmp_path))
    folder = fake_run(tmp_path / "events", pid=dead_pid(), status="finished")
    lines = [GOOD_TRAIN, {k: v for k, v in GOOD_TRAIN.items() if k != "step"}, dict(GOOD_TRAIN, step="20"),
             dict(GOOD_TRAIN, step=30, lr="fast"), ["not", "an", "object"], dict(GOOD_TRAIN, step=40)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    assert [e["step"] for e in run_folder.read_metrics(folder)] == [10, 40]
    assert run_folder.skipped_lines(folder) == 4
    r = call_route("events")
    doc = json.loads(r.body)
    assert r.status_code == 200 and [p["step"] for p in doc["points"]] == [10, 40]
    assert doc["head"]["caption"].endswith("4 damaged lines skipped")


def test_what_a_killed_atomic_write_left_is_cleaned_up(tmp_path):
    folder = fake_run(tmp_path / "killed", pid=dead_pid())  # says running; its process is gone
    stale = [folder / "best.pt.a1b2c3d4.tmp", folder / "run.json.x9y8z7w6"]
    fresh = folder / "last.pt.q1w2e3r4.tmp"  # a write that may still be going on
    mine = folder / "notes.txt.abcdefgh"  # not a file musicrnn writes
    for p in stale + [fresh, mine]:
        p.write_bytes(b"partial")
    old = time.time() - 3600
    for p in stale + [mine]:
        os.utime(p, (old, old))
    assert run_folder.list_runs(tmp_path)[0].status == "interrupted"
    assert [p.exists() for p in stale] == [False, False] and fresh.exists() and mine.exists()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(STATUS_FIELDS), value=JSON_VALUES)
def test_any_value_in_any_field_of_run_json_is_a_clear_answer(tmp_path_factory, field, value):
    root = tmp_path_factory.mktemp("runs")
    os.environ["MUSICRNN_RUNS"] = str(root)
    folder = fake_run(root / "r", **{"pid": dead_pid(), "status": "stopped", field: value})
    infos = run_folder.list_runs(root)  # never raises
    assert len(infos) == 1 and (infos[0].status != "damaged" or infos[0].problem)
    r = call_route("r")
    assert r.status_code == 200, r.body
    assert json.loads(r.body)["head"]["name"] == "r"
    try:
        jobs.TrainingJobs(root).resume(folder)  # no last.pt: refused, whatever run.json holds
    except MusicRNNError as e:
        assert str(e) and "\n" not in str(e)
    else:
        pytest.fail("resumed a run without last.pt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(EVENT_FIELDS), value=JSON_VALUES, drop=st.booleans())
def test_any_value_in_any_field_of_a_metric_event_is_a_clear_answer(tmp_path_factory, field, value, drop):
    root = tmp_path_factory.mktemp("runs")
    os.environ["MUSICRNN_RUNS"] = str(root)
    folder = fake_run(root / "r", pid=dead_pid(), status="stopped")
    event = {k: v for k, v in GOOD_TRAIN.items() if k != field} if drop else dict(GOOD_TRAIN, **{field: value})
    (folder / "metrics.jsonl").write_text(json.dumps(GOOD_TRAIN) + "\n" + json.dumps(event) + "\n")
    r = call_route("r")
    assert r.status_code == 200, r.body
    doc = json.loads(r.body)
    assert len(doc["points"]) + ("1 damaged line" in doc["head"]["caption"]) == 2
