"""The live view of a training run: its head, the incremental documents every tab polls, and the HTTP route."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from app_support import charts
from app_support.live import LiveDocuments, chart_skeletons, head
from tests.helpers.runs import fake_run

TRAIN = {"kind": "train", "train_loss": 1.5, "bpc": 2.16, "accuracy": 0.41, "lr": 3e-3, "chars_per_s": 12345.6,
         "eta_s": 125.0, "total_steps": 100}
VAL = {"kind": "val", "val_loss": 1.7, "val_bpc": 2.45, "val_accuracy": 0.38}


@pytest.fixture
def live_run(tmp_path):
    """A run in progress, owned by a live process (so that it reads as running), with three metric events."""
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    folder = fake_run(tmp_path / "runs" / "class-demo", pid=owner.pid, step=20, best_val_loss=1.7)
    write_events(folder, [dict(TRAIN, step=10), dict(TRAIN, step=20, train_loss=1.4), dict(VAL, step=20)])
    yield folder, owner
    owner.kill()
    owner.wait()


def write_events(folder, events, name="metrics.jsonl"):
    with open(folder / name, "a") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def test_head_shows_the_latest_figures_and_progress(live_run):
    from musicrnn.training import run_folder as jobs

    folder, _ = live_run
    top = head(jobs.run_info(folder), jobs.read_metrics(folder), [{"step": 20, "abc": "X:1"}, {"step": 30}])
    assert top["status"] == "running" and top["name"] == "class-demo"
    assert top["fraction"] == 0.2 and top["progress"] == "step 20 of 100 · ETA 2m 05s"
    tiles = {t["label"]: t["value"] for t in top["tiles"]}
    assert tiles == {"Train loss": "1.400", "Val loss": "1.700", "Bits/char": "2.16", "Val bits/char": "2.45",
                     "Chars/s": "12,346", "Learning rate": "3.00e-03"}
    assert top["caption"] == "2 training points · 1 validations"
    assert top["sample_step"] == 20  # the newest sample with a tune in it


def test_documents_send_only_new_points_and_skeletons_once(live_run):
    folder, _ = live_run
    docs = LiveDocuments()
    body, etag = docs.get(folder)
    first = json.loads(body)
    assert first["since"] == 0 and [p["step"] for p in first["points"]] == [10, 20, 20]
    assert set(first["points"][2]) == {"kind", "step", "val_loss", "val_accuracy"}  # only what the curves draw
    assert len(first["charts"]) == 2
    assert docs.get(folder) == (body, etag)  # unchanged files: the same document and ETag

    write_events(folder, [dict(TRAIN, step=30, train_loss=1.3)])
    body2, etag2 = docs.get(folder, since=3)
    later = json.loads(body2)
    assert etag2 != etag and later["since"] == 3 and "charts" not in later
    assert later["points"] == [{"kind": "train", "step": 30, "train_loss": 1.3, "accuracy": 0.41}]
    assert later["head"]["tiles"][0]["value"] == "1.300"

    assert json.loads(docs.get(folder, since=3, last_step=20)[0])["since"] == 3  # its last point is still there
    # a resumed run rewrote its events: a tab whose last point is not there any more starts over
    short = [{"kind": "train", "step": s, "train_loss": 1.0, "accuracy": 0.5} for s in (10, 15, 18)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in short))  # shorter: truncated
    reset = json.loads(docs.get(folder, since=3, last_step=20)[0])
    assert reset["since"] == 0 and [p["step"] for p in reset["points"]] == [10, 15, 18]
    assert {t["label"]: t["value"] for t in reset["head"]["tiles"]}["Bits/char"] == "–"  # events without it
    # ... and so does one that holds more points than exist
    (folder / "metrics.jsonl").write_text(json.dumps(dict(TRAIN, step=10)) + "\n")
    again = json.loads(docs.get(folder, since=4)[0])
    assert again["since"] == 0 and [p["step"] for p in again["points"]] == [10] and "charts" in again


def test_a_run_whose_process_died_reads_as_interrupted_at_once(live_run):
    folder, owner = live_run
    docs = LiveDocuments()
    assert json.loads(docs.get(folder)[0])["head"]["status"] == "running"
    owner.kill()
    owner.wait()
    assert json.loads(docs.get(folder)[0])["head"]["status"] == "interrupted"  # its files did not change
    assert docs.get(folder.parent / "nothing-here") is None


def test_skeletons_are_the_still_charts_without_points():
    metrics = [dict(TRAIN, step=10), dict(VAL, step=10)]
    for skel, fig in zip(chart_skeletons(), (charts.loss_curve(metrics), charts.accuracy_curve(metrics))):
        full = fig.to_dict()
        assert [t["name"] for t in skel["figure"]["data"]] == [t["name"] for t in full["data"]]
        assert [t["line"]["color"] for t in skel["figure"]["data"]] == [t["line"]["color"] for t in full["data"]]
        assert skel["figure"]["layout"]["title"] == full["layout"]["title"]
        assert "template" not in skel["figure"]["layout"]
        # the page fills trace i with the field of series i from the points
        for trace, (kind, key) in zip(full["data"], skel["series"]):
            assert list(trace["y"]) == [m[key] for m in metrics if m["kind"] == kind]


def call_route(path_name: str, query: str = "", etag: str | None = None):
    from starlette.requests import Request

    from app_support.routes import live_run

    headers = [(b"if-none-match", etag.encode())] if etag else []
    scope = {"type": "http", "method": "GET", "path": f"/api/live/{path_name}", "query_string": query.encode(),
             "headers": headers, "path_params": {"name": path_name}}
    return asyncio.run(live_run(Request(scope)))


def test_route_answers_json_then_not_modified_and_refuses_bad_names(live_run, monkeypatch):
    folder, _ = live_run
    monkeypatch.setenv("MUSICRNN_RUNS", str(folder.parent))
    r = call_route("class-demo", "since=0")
    assert r.status_code == 200 and r.media_type == "application/json"
    assert json.loads(r.body)["head"]["name"] == "class-demo"
    etag = r.headers["etag"]
    assert call_route("class-demo", "since=0", etag).status_code == 304
    write_events(folder, [dict(TRAIN, step=30)])
    assert call_route("class-demo", "since=0", etag).status_code == 200  # a new point: a new version
    assert call_route("..", "").status_code == 404
    assert call_route("no-such-run", "").status_code == 404
    bad = call_route("class-demo", "since=many")
    assert bad.status_code == 400 and b"since" in bad.body


def test_the_live_view_moves_to_a_newer_tune_at_most_every_gap():
    from app_support.live import shown_sample

    samples = [{"step": 50 * (i + 1), "time": 1000.0 + t, "abc": "X:1"} for i, t in enumerate((0, 10, 25, 31, 40))]
    assert shown_sample(samples, gap_s=30) == 200  # t=31: the first at least 30 s after t=0
    samples.append({"step": 300, "time": 1050.0, "abc": "X:1"})
    assert shown_sample(samples, gap_s=30) == 200  # 19 s after the one shown: not yet
    samples.append({"step": 350, "time": 1062.0, "abc": "X:1"})
    assert shown_sample(samples, gap_s=30) == 350
    assert shown_sample(samples, gap_s=0) == 350 and shown_sample([]) is None
    assert shown_sample(samples[:1] + [{"step": 100, "time": 1040.0, "abc": ""}]) == 50  # no tune: skipped


@pytest.mark.parametrize("name", ["my run", "Ceòl & craic #3", "100%", "a?b=c"])
def test_route_finds_a_run_of_any_folder_name(tmp_path, monkeypatch, name):
    from urllib.parse import quote

    monkeypatch.setenv("MUSICRNN_RUNS", str(tmp_path))
    fake_run(tmp_path / name, status="finished")
    r = call_route(name, "since=0")  # the server decodes the path the page encoded
    assert r.status_code == 200 and json.loads(r.body)["head"]["name"] == name
    assert "/" not in quote(name, safe="") and " " not in quote(name, safe="")


def test_route_refuses_names_that_resolve_outside_the_runs_root(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    monkeypatch.setenv("MUSICRNN_RUNS", str(root))
    fake_run(tmp_path / "elsewhere", status="finished")
    root.mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    for name in ("..", ".", "../elsewhere", "link", "a/../../elsewhere", ""):
        assert call_route(name, "").status_code == 404, name


def test_the_live_view_carries_the_newest_surprise_strip(live_run):
    folder, _ = live_run
    docs = LiveDocuments()
    assert json.loads(docs.get(folder)[0])["head"]["surprise"] is None  # a run without the file (an older one)
    strip = {"step": 20, "text": "X:1\nK:D\nA", "bits": [6.123456] * 10}
    write_events(folder, [{**strip, "step": 10, "bits": [7.0] * 10}, strip], name="surprise.jsonl")
    top = json.loads(docs.get(folder)[0])["head"]
    assert top["surprise"] == {"step": 20, "text": "X:1\nK:D\nA", "bits": [6.12] * 10}
    # a damaged line after it: skipped and counted, the strip before it still shown
    with open(folder / "surprise.jsonl", "a") as f:
        f.write('{"step": 30, "text": "ab", "bits": [1]}\n{"step": 40, "te\n')
    top = json.loads(docs.get(folder)[0])["head"]
    assert top["surprise"]["step"] == 20 and "2 damaged lines skipped" in top["caption"]
