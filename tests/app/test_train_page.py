"""Train page through AppTest: start, watch, refuse a second run, stop, resume, use in the studio."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from app_support.resources import training_jobs
from tests.helpers.app import kinds, new_app, shipped_run_copy, start_run, texts, wait_for

pytestmark = pytest.mark.slow


def test_empty_page_explains_how_to_start(app_env):
    at = new_app("train")
    assert not at.exception
    assert "No training runs yet" in texts(at)
    assert at.button_group(key="tr_preset").value == "cpu"
    assert at.number_input(key="tr_hidden_size").value == 512


def test_preset_fills_hyperparameters(app_env):
    at = new_app("train")
    at.button_group(key="tr_preset").set_value("tiny").run()
    assert at.number_input(key="tr_hidden_size").value == 64
    assert at.number_input(key="tr_batch_size").value == 16


def test_start_watch_finish_and_use_in_studio(with_model, app_env, small_abc_corpus):
    at = new_app("train")
    start_run(at, small_abc_corpus, "first", 30)
    folder = app_env["runs"] / "first"
    assert training_jobs().wait(folder, timeout=120)
    at.run()
    assert not at.exception
    md = texts(at)
    assert "finished" in md and "first" in md
    assert len(kinds(at, "plotly_chart")) == 2
    assert at.metric[0].value != "–"  # train loss shown
    assert "Listen to it learn" in md  # the sample of the validation at step 30
    strip = [json.loads(e.proto.json) for e in at.get("bidi_component")
             if e.proto.component_name == "musicrnn_shaded_text"]  # the surprise strip of step 30
    assert len(strip) == 1 and len(strip[0]["values"]) == len(strip[0]["text"]) and strip[0]["end"] is not None
    assert "What the network finds surprising in a validation tune, step 30" in md
    assert (folder / "best.pt").exists()
    # finished runs are listed, and one click makes the run the studio's model
    assert at.dataframe[0].value["run"].tolist() == ["first", "tiny300"]
    assert at.selectbox(key="model").value == str(with_model)  # the session's pick so far
    at.selectbox(key="tr_pick").set_value(str(folder.resolve())).run()
    at.button(key="tr_use").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Studio"]
    at.switch_page("pages/studio.py").run()  # AppTest drops the sidebar of a switched page; run it again
    assert at.selectbox(key="model").value == str(folder)
    assert at.button(key="studio_generate")


def test_whole_tune_windows_reach_the_run(app_env, small_abc_corpus):
    at = new_app("train")
    assert at.selectbox(key="tr_windows").value == "random"
    start_run(at, small_abc_corpus, "tunes", 12, windows="tunes")
    folder = app_env["runs"] / "tunes"
    assert training_jobs().wait(folder, timeout=120)
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "finished" and run["config"]["windows"] == "tunes"


def test_key_copies_reach_the_run(app_env, small_abc_corpus):
    at = new_app("train")
    assert at.number_input(key="tr_augment_keys").value == 0
    start_run(at, small_abc_corpus, "keys", 8, augment_keys=1)
    folder = app_env["runs"] / "keys"
    assert training_jobs().wait(folder, timeout=120)
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "finished" and run["config"]["augment_keys"] == 1
    assert run["data"]["augment_copies"] > 0  # every training tune once more, in another key


def test_wrong_notes_and_cadence_weight_reach_the_run(app_env, small_abc_corpus):
    at = new_app("train")
    assert at.number_input(key="tr_note_noise").value == 0.0
    assert at.number_input(key="tr_cadence_weight").value == 1.0
    start_run(at, small_abc_corpus, "cadence", 6, note_noise=0.1, cadence_weight=3.0)
    folder = app_env["runs"] / "cadence"
    assert training_jobs().wait(folder, timeout=120)
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "finished"
    assert run["config"]["note_noise"] == 0.1 and run["config"]["cadence_weight"] == 3.0


def test_second_start_is_refused_and_stop_keeps_checkpoints(app_env, small_abc_corpus):
    at = new_app("train")
    start_run(at, small_abc_corpus, "long", 100_000)
    folder = app_env["runs"] / "long"
    try:
        assert wait_for(lambda: (folder / "metrics.jsonl").exists())
        other = new_app("train")  # another browser session
        start_run(other, small_abc_corpus, "second", 10)
        assert any("already active" in e.value for e in other.error)
        assert not (app_env["runs"] / "second").exists()
        other.run()
        assert "running" in texts(other) and "long" in texts(other)  # the other session watches the same run
        other.button(key="tr_stop").click().run()
        assert not other.exception
    finally:
        training_jobs().stop(folder)
        assert training_jobs().wait(folder, timeout=120)
    at.run()
    assert "stopped" in texts(at)
    assert (folder / "last.pt").exists() and (folder / "best.pt").exists()


def test_bad_source_or_name_is_an_error(app_env, tmp_path, small_abc_corpus):
    at = new_app("train")
    start_run(at, tmp_path / "nowhere.abc", "bad", 10)
    assert any("no such file" in e.value for e in at.error)
    assert at.button(key="tr_start")
    start_run(at, small_abc_corpus, "../outside", 10)
    assert any("a run name is" in e.value for e in at.error)
    assert not (app_env["runs"].parent / "outside").exists()


def test_failed_run_shows_its_error(app_env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    at = new_app("train")
    start_run(at, bad, "broken", 10)
    assert training_jobs().wait(app_env["runs"] / "broken", timeout=60)
    at.run()
    assert any("malformed JSON" in e.value for e in at.error)


def test_interrupted_run_is_listed_and_resumes(app_env, music_run):
    folder = app_env["runs"] / "crashed"
    shutil.copytree(music_run, folder)
    st = json.loads((folder / "run.json").read_text())
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    st.update(status="running", pid=p.pid)  # the server died mid-run
    (folder / "run.json").write_text(json.dumps(st))
    at = new_app("train")
    assert not at.exception
    assert "interrupted" in texts(at)
    assert len(kinds(at, "plotly_chart")) == 2  # its curves are intact
    assert at.dataframe[0].value["status"].tolist() == ["interrupted"]
    assert not at.button(key="tr_resume").disabled
    at.button(key="tr_resume").click().run()
    assert not at.exception
    assert training_jobs().wait(folder, timeout=120)
    at.run()
    assert at.dataframe[0].value["status"].tolist() == ["finished"]


def test_a_run_can_fine_tune_a_trained_model_in_its_shape(with_model, app_env, small_abc_corpus):
    at = new_app("train")
    assert at.selectbox(key="tr_init").value == "new" and at.selectbox(key="tr_train_only").disabled
    at.button_group(key="tr_preset").set_value("tiny").run()
    at.number_input(key="tr_hidden_size").set_value(48).run()
    at.selectbox(key="tr_init").set_value(str(with_model)).run()
    assert not at.exception, at.exception
    shape = json.loads((with_model / "run.json").read_text())["model"]
    # the form shows the shape the fine-tune keeps, and does not let it be changed
    assert at.number_input(key="tr_hidden_size").value == shape["hidden_size"]
    assert at.number_input(key="tr_hidden_size").disabled and not at.selectbox(key="tr_train_only").disabled
    assert at.number_input(key="tr_lr").value <= 3e-4  # a preset's rate would undo what the model learnt
    at.selectbox(key="tr_train_only").set_value("head")
    at.selectbox(key="tr_source").set_value("other").run()
    at.text_input(key="tr_source_path").set_value(str(small_abc_corpus))
    at.number_input(key="tr_max_steps").set_value(4)
    at.text_input(key="tr_name").set_value("tuned")
    at.button(key="tr_start").click().run()
    assert not at.exception, at.exception
    folder = app_env["runs"] / "tuned"
    assert training_jobs().wait(folder, timeout=120)
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "finished", run.get("error")
    assert run["config"]["init"] == str(with_model / "best.pt") and run["config"]["train_only"] == "head"
    assert run["model"]["hidden_size"] == shape["hidden_size"] != 48
    at.run()
    assert f"fine-tuned from {with_model / 'best.pt'}" in texts(at).replace("\\", "")
    assert not [c for c in at.caption if "Fit endings" in c.value]  # a model without tune types has none to fit
    # back to a new network: the preset's shape returns
    at.selectbox(key="tr_init").set_value("new").run()
    assert at.number_input(key="tr_hidden_size").value == 64 and not at.number_input(key="tr_hidden_size").disabled
    assert at.number_input(key="tr_lr").value == 3e-3


def test_a_finished_runs_endings_are_fitted_from_the_page(app_env, monkeypatch):
    from app_support import endings_panel
    from app_support.resources import endings_fits
    from musicrnn.model.checkpoint import atomic_save, load_checkpoint

    monkeypatch.setattr(endings_panel, "APP_SAMPLES", 4)  # a quick fit: the page's is a minute a type
    monkeypatch.setattr(endings_panel, "APP_STEPS", 1)
    folder = shipped_run_copy(app_env["runs"], ["jig", "reel"])
    carried = load_checkpoint(folder / "best.pt")
    carried.pop("path")
    carried["endings"] = {k: {**v, "fitted_for": "checkpoints/default"} for k, v in carried["endings"].items()}
    atomic_save(carried, folder / "best.pt")  # as a fine-tune of the shipped model starts
    at = new_app("train")
    assert not at.exception
    shown = " ".join(c.value for c in at.caption)
    assert "It ends tunes with the fitted endings of the model it started from (checkpoints/default)" in shown
    assert "its tunes of each type (reel, jig) end on the key's final" in shown
    at.button(key="tr_fit_endings").click().run()
    assert not at.exception and not at.error
    fit = endings_fits().fit(folder)
    assert fit is not None and any("Fitting the endings" in i.value for i in at.info)
    fit.thread.join(600)
    at.run()
    assert fit.error is None and any("Its endings are fitted to its own training tunes" in s.value for s in at.success)
    assert "**jig**: on the final" in texts(at) and at.button(key="tr_fit_endings").label == "Fit endings again"
    stored = load_checkpoint(folder / "best.pt")["endings"]  # the studio reads them from here
    assert stored["reel"]["samples"] == 4 and "fitted_for" not in stored["reel"]
