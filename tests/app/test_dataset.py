"""Dataset explorer through AppTest: statistics, max-length slider, uploads, bad sources, tune browser."""
from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers.app import kinds, new_app, playable, player_files, players, shown_text, texts

pytestmark = pytest.mark.slow


def use_path(at, path):
    at.selectbox(key="ds_source").set_value("other").run()
    at.text_input(key="ds_path").set_value(str(path)).run()
    assert not at.exception, at.exception
    return at


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_default_source_is_the_bundled_corpus(app_env):
    at = new_app("dataset")
    assert not at.exception
    assert at.selectbox(key="ds_source").value == "music21"
    assert int(metric(at, "Tunes").replace(",", "")) > 10_000
    assert len(kinds(at, "plotly_chart")) == 6  # lengths, characters, meters, keys, unit lengths, tune types
    assert playable(at) == 1  # the first tune, engraved and playable


def test_stats_slider_and_browser_on_a_folder(app_env, small_abc_corpus):
    at = use_path(new_app("dataset"), small_abc_corpus)
    n = int(metric(at, "Tunes").replace(",", ""))
    assert 200 < n <= 400
    for label in ("Min", "Median", "Mean", "95th pct", "Max"):
        assert metric(at, label)
    cut_600 = metric(at, "Tunes truncated")
    at.slider(key="ds_max_len").set_value(100).run()
    assert float(metric(at, "Tunes truncated").rstrip("%")) > float(cut_600.rstrip("%"))
    assert float(metric(at, "Padding waste").rstrip("%")) < 50
    # search, then pick a tune: its score, audio and downloads
    at.text_input(key="ds_query").set_value("M:6/8").run()
    options = at.selectbox(key="ds_tune").options
    assert 0 < len(options) < n and f"{len(options)} tune(s) match" in texts(at)
    assert sum("M:6/8" in o for o in options) > len(options) / 2  # most have it in the header
    at.selectbox(key="ds_tune").set_value(at.selectbox(key="ds_tune").value).run()
    assert playable(at) == 1
    assert player_files(at)[:2] == ["midi", "musicxml"] and not players(at)[0]["editable"]
    assert "tempo" not in players(at)[0]["options"]  # each tune at its own pace
    at.selectbox(key="ds_part").set_value("E♭ alto sax").run()  # the score of a corpus tune for one's instrument
    assert players(at)[0]["options"]["written_above"] == 9 and players(at)[0]["transposed"]["semitones"] == 9
    assert players(at)[0]["options"]["transpose"] == 0
    at.selectbox(key="ds_part").set_value("concert pitch (C)").run()
    # a tune worth learning goes to the tunebook, to be looped, transposed and printed there
    save = next(b for b in at.button if b.key.endswith("_save"))
    at.text_input(key=save.key.replace("_save", "_title")).set_value("From the corpus")
    save.click().run()
    assert not at.exception and any("Saved as tune" in m.value for m in at.success)
    from musicrnn.tunebook import Tunebook

    [kept] = Tunebook(app_env["tunebook"]).list()
    number = at.selectbox(key="ds_tune").value + 1
    assert kept.title == "From the corpus" and kept.settings["imported from"].endswith(f"tune {number} as cleaned")
    at.text_input(key="ds_query").set_value("no such music anywhere").run()
    assert any("No tune matches" in w.value for w in at.warning)


def test_a_source_read_once_is_not_cleaned_again(app_env, small_abc_corpus, monkeypatch):
    from musicrnn.data import split, stream
    from musicrnn.data.stream import prepare

    prepare(small_abc_corpus)  # as a training run on these tunes leaves the stream cache

    def no_cleaning(*args, **kwargs):
        raise AssertionError("the page cleaned tunes the stream cache holds")

    for module in (split, stream):
        monkeypatch.setattr(module, "clean_corpus", no_cleaning)
    at = use_path(new_app("dataset"), small_abc_corpus)
    assert not at.error and 200 < int(metric(at, "Tunes").replace(",", "")) <= 400


def test_missing_path_is_an_error_and_the_page_keeps_working(app_env, tmp_path):
    at = use_path(new_app("dataset"), tmp_path / "nothing-here")
    assert any("no such file or folder" in e.value for e in at.error)
    at.selectbox(key="ds_source").set_value("music21").run()
    assert not at.error and at.metric


def test_upload_abc_is_kept_and_usable(app_env, oneills_abc):
    at = new_app("dataset")
    at.file_uploader(key="ds_upload").set_value(("oneills.abc", oneills_abc.read_bytes(), "text/plain")).run()
    assert not at.exception and not at.error
    src = at.selectbox(key="ds_source").value
    assert "uploads" in src and src.endswith(".abc")
    assert int(metric(at, "Tunes")) == 50
    train = new_app("train")  # the Train page offers the upload as training data
    assert f"Uploaded: {src.rsplit('/', 1)[-1]}" in train.selectbox(key="tr_source").options


def test_malformed_upload_is_an_error(app_env):
    at = new_app("dataset")
    at.file_uploader(key="ds_upload").set_value(("broken.json", b'[{"abc notation": "X:1', "application/json")).run()
    assert not at.exception
    errors = [shown_text(e.value) for e in at.error]
    assert any("broken.json" in e and "malformed JSON" in e for e in errors), errors
    assert at.selectbox(key="ds_source").value == "music21"  # the page still shows the corpus
    at.file_uploader(key="ds_upload").set_value(("records.json", json.dumps([{"title": "x"}]).encode(),
                                                  "application/json")).run()
    assert any("has no" in e.value for e in at.error)


def test_download_failure_is_an_error(app_env, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    at = new_app("dataset")
    at.button(key="ds_download").click().run()
    assert not at.exception
    assert any("Download failed" in e.value for e in at.error)
    assert at.metric  # statistics still shown


def test_an_upload_is_one_click_from_fine_tuning_the_shipped_model(app_env, music_run, oneills_abc, tmp_path,
                                                                    monkeypatch):
    import musicrnn.model.checkpoint
    from app_support.resources import training_jobs

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copy(music_run / "best.pt", shipped / "model.pt")
    monkeypatch.setattr(musicrnn.model.checkpoint, "DEFAULT_DIR", shipped)
    at = new_app("dataset")
    assert "ds_fine_tune" not in [b.key for b in at.button]  # not offered for the bundled tunes the model learnt from
    at.file_uploader(key="ds_upload").set_value(("mine.abc", oneills_abc.read_bytes(), "text/plain")).run()
    src = at.selectbox(key="ds_source").value
    at.button(key="ds_fine_tune").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Train"]
    at.switch_page("pages/train.py").run()  # AppTest runs its own page again unless told: stay on this one
    # the form is filled in: these tunes, from the shipped model, in its shape and at a fine-tune's rate
    assert at.selectbox(key="tr_source").value == src and at.selectbox(key="tr_init").value == "default"
    assert "Fine-tuning Shipped model on Uploaded: mine" in texts(at).replace("\\", "")
    assert at.number_input(key="tr_hidden_size").value == 64 and at.number_input(key="tr_hidden_size").disabled
    assert at.number_input(key="tr_lr").value == 3e-4
    at.number_input(key="tr_max_steps").set_value(3)
    at.text_input(key="tr_name").set_value("mine")
    at.button(key="tr_start").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    folder = app_env["runs"] / "mine"
    assert training_jobs().wait(folder, timeout=120)
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "finished", run.get("error")
    assert run["config"]["init"] == str(shipped / "model.pt") and run["data"]["source"] == src
    assert run["data"]["started_from"]["checkpoint"] == str(shipped / "model.pt")
