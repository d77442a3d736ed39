"""The app as a hostile or careless user meets it: damaged run folders, same-titled tunes, markdown in names,
a lost race to start training, and a class whose teacher set a password."""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app_support.resources import training_jobs
from musicrnn.tunebook import Tunebook
from tests.helpers.app import GOOD_TUNE, new_app, shown_text, start_run, texts, tune_text, wait_for
from tests.helpers.runs import JSON_VALUES, STATUS_FIELDS, dead_pid, fake_run

pytestmark = pytest.mark.slow
HOSTILE = "[click](https://example.com) :red[big] **bold** <b>tag</b>"


def markdown_of(at) -> str:
    return texts(at) + "\n".join(str(e.value) for e in at.toast)


@pytest.mark.parametrize("page", ["studio", "train", "dataset", "tunebook"])
def test_a_damaged_run_folder_takes_no_page_down(app_env, with_model, page):
    fake_run(app_env["runs"] / "edited", step="abc", started="yesterday", best_val_loss=[1])
    (app_env["runs"] / "cut").mkdir()
    (app_env["runs"] / "cut" / "run.json").write_text('{"status": "fini')
    at = new_app(page)
    assert not at.exception, at.exception
    assert at.selectbox(key="model").value == str(with_model)  # the sidebar's model list still works
    if page == "train":
        table = at.dataframe[0].value
        damaged = table[table["status"] == "damaged"]
        assert set(damaged["run"]) == {"edited", "cut"}
        assert any("field 'step' is \"abc\"" in p for p in damaged["problem"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(STATUS_FIELDS), value=JSON_VALUES)
def test_the_train_page_shows_any_run_json(app_env, field, value):
    folder = app_env["runs"] / "r"
    fake_run(folder, **{"pid": dead_pid(), "status": "stopped", field: value})
    at = new_app("train")
    assert not at.exception, at.exception
    assert "r" in at.dataframe[0].value["run"].tolist()


def test_tunes_of_the_same_title_and_minute_are_each_their_own(app_env):
    book = Tunebook(app_env["tunebook"])
    older = book.add(GOOD_TUNE)
    newer = book.add(GOOD_TUNE.replace("K:D", "K:G"))
    assert book.get(older).title == book.get(newer).title == "Untitled"
    at = new_app("tunebook")
    assert at.radio(key="tb_pick").value == newer
    at.radio(key="tb_pick").set_value(older).run()
    assert at.radio(key="tb_pick").value == older and "K:D" in tune_text(at)
    at.text_input(key=f"tb_title_{older}").set_value("The older one").run()
    at.button(key=f"tb_save_{older}").click().run()
    assert book.get(older).title == "The older one" and book.get(newer).title == "Untitled"
    at.radio(key="tb_pick").set_value(newer).run()
    at.button(key=f"tb_delete_{newer}").click().run()
    assert not at.exception
    assert [t.id for t in book.list()] == [older]


def test_one_tunebook_object_serves_many_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    book = Tunebook(tmp_path / "book.sqlite")
    with ThreadPoolExecutor(8) as ex:
        ids = list(ex.map(lambda i: book.add(GOOD_TUNE, f"tune {i}"), range(80)))
    assert sorted(ids) == sorted(set(ids)) and len(book.list()) == 80
    assert {book.get(i).title for i in ids} == {f"tune {i}" for i in range(80)}


def test_markdown_in_a_path_or_an_upload_name_is_shown_as_typed(app_env):
    at = new_app("dataset")
    at.selectbox(key="ds_source").set_value("other").run()
    at.text_input(key="ds_path").set_value(HOSTILE + ".json").run()
    assert not at.exception
    raw = "\n".join(e.value for e in at.error)
    assert HOSTILE in shown_text(raw) and "[click](" not in raw and ":red[" not in raw and "**bold**" not in raw
    at.file_uploader(key="ds_upload").set_value((HOSTILE + ".json", b"[1, 2", "application/json")).run()
    raw = "\n".join(e.value for e in at.error)
    assert HOSTILE in shown_text(raw) and "[click](" not in raw


def test_the_tab_that_loses_the_race_keeps_its_message(app_env, small_abc_corpus):
    winner, loser = new_app("train"), new_app("train")
    start_run(winner, small_abc_corpus, "first", 100_000)
    folder = app_env["runs"] / "first"
    try:
        start_run(loser, small_abc_corpus, "second", 10)
        assert any("already active" in e.value for e in loser.error)
        assert wait_for(lambda: (folder / "metrics.jsonl").exists())
        loser.run()  # the winner's run makes every watching tab rerun
        loser.run()
        assert any("already active" in e.value for e in loser.error)
        loser.button(key="tr_start_error_ok").click().run()
        assert not any("already active" in e.value for e in loser.error)
    finally:
        training_jobs().stop(folder)
        assert training_jobs().wait(folder, timeout=120)


def test_with_a_password_only_the_teacher_starts_and_stops_training(app_env, small_abc_corpus, monkeypatch):
    monkeypatch.setenv("MUSICRNN_PASSWORD", "s3cret pass")
    student = new_app("train")
    assert student.button(key="tr_start").disabled and "is for the teacher" in texts(student)
    assert not any((app_env["runs"]).iterdir())
    teacher = new_app("train")
    teacher.sidebar.text_input[0].set_value("wrong")
    teacher.sidebar.button[0].click().run()
    assert "That is not the password." in texts(teacher) and teacher.button(key="tr_start").disabled
    teacher.sidebar.text_input[0].set_value("s3cret pass")
    teacher.sidebar.button[0].click().run()
    assert not teacher.button(key="tr_start").disabled
    assert "s3cret" not in repr(teacher.session_state)  # only the flag that it was entered
    start_run(teacher, small_abc_corpus, "lesson", 100_000)
    folder = app_env["runs"] / "lesson"
    try:
        assert wait_for(lambda: (folder / "metrics.jsonl").exists())
        student.run()
        assert "running" in texts(student) and "lesson" in texts(student)  # watching is for everyone
        assert not any(b.key == "tr_stop" for b in student.button)
        assert training_jobs().job(folder).alive
        teacher.run()
        teacher.button(key="tr_stop").click().run()
        assert training_jobs().wait(folder, timeout=120)
        assert json.loads((folder / "run.json").read_text())["status"] == "stopped"
    finally:
        training_jobs().stop(folder)
        training_jobs().wait(folder, timeout=120)


def test_with_a_password_a_student_changes_only_the_tunes_it_saved(app_env, monkeypatch):
    monkeypatch.setenv("MUSICRNN_PASSWORD", "s3cret")
    book = Tunebook(app_env["tunebook"])
    theirs = book.add(GOOD_TUNE, "Someone else's", owner="another-session")
    student = new_app("tunebook")
    assert student.radio(key="tb_pick").value == theirs
    assert student.text_input(key=f"tb_title_{theirs}").disabled
    assert not any(b.key == f"tb_delete_{theirs}" for b in student.button)
    mine = book.add(GOOD_TUNE, "Mine", owner=student.session_state["access_owner"])
    time.sleep(0.01)
    student.run()
    student.radio(key="tb_pick").set_value(mine).run()
    student.button(key=f"tb_delete_{mine}").click().run()
    assert [t.id for t in book.list()] == [theirs]


def test_a_damaged_tunebook_file_is_one_error_and_the_studio_still_works(app_env):
    app_env["tunebook"].write_bytes(b"this is not an SQLite database, it was overwritten by mistake" * 40)
    at = new_app("tunebook")
    assert not at.exception
    assert any("Cannot open the tunebook" in e.value for e in at.error)
    studio = new_app()
    assert not studio.exception and studio.button(key="studio_generate")
