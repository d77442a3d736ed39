"""Dataset explorer through AppTest: statistics, max-length slider, uploads, bad sources, tune browser."""
from __future__ import annotations

import json

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
    at.text_input(key="ds_query").set_value("no such music anywhere").run()
    assert any("No tune matches" in w.value for w in at.warning)


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
