"""Tunebook: the SQLite store, and its page through AppTest (list, play, edit, delete, export, import, print)."""
from __future__ import annotations

import sqlite3

import pytest

from musicrnn.tunebook import Tunebook, TunebookError, default_path
from tests.helpers.app import (
    GOOD_TUNE,
    call_route,
    edit_tune,
    kinds,
    new_app,
    playable,
    players,
    shown_text,
    texts,
)


def test_store_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICRNN_TUNEBOOK", str(tmp_path / "sub" / "book.sqlite"))
    assert default_path() == tmp_path / "sub" / "book.sqlite"
    book = Tunebook()
    a = book.add(GOOD_TUNE, "First", {"seed": 3, "temperature": 0.9, "prime": "X:1\nK:D\n"})
    b = book.add("X:1\nT:Named in ABC\nK:G\nGAB|\n")
    assert [t.title for t in book.list()] == ["Named in ABC", "First"]
    assert book.get(a).settings == {"seed": 3, "temperature": 0.9, "prime": "X:1\nK:D\n"}
    assert [t.id for t in book.list("named")] == [b]
    book.update(a, title="Renamed", abc=GOOD_TUNE.replace("K:D", "K:G"))
    assert book.get(a).title == "Renamed" and "K:G" in book.get(a).abc
    text = book.export_abc()
    assert ([ln for ln in text.splitlines() if ln.startswith("X:")] == ["X:1", "X:2"]
            and text.index("X:1") < text.index("T:Renamed") < text.index("X:2"))
    assert "% seed=3, temperature=0.9, prime=X:1\\nK:D\\n" in text
    book.delete(b)
    assert [t.id for t in book.list()] == [a]
    with pytest.raises(TunebookError):
        book.delete(b)
    with pytest.raises(TunebookError, match="empty"):
        book.add("   ")


def test_an_abc_file_is_imported_in_its_order_once_and_a_bad_tune_is_named(tmp_path, oneills_abc, monkeypatch):
    from musicrnn import tunebook
    from musicrnn.files import read_text
    from musicrnn.notation.tunes import split_tunes

    text = read_text(oneills_abc)
    titles = [tunebook.title_of(t) for t in split_tunes(text)]
    book = Tunebook(tmp_path / "book.sqlite")
    mine = book.add(GOOD_TUNE, "Mine")
    report = book.import_abc(text, source="oneills.abc", owner="session-1")
    assert len(report.added) == 50 and report.already == 0 and report.left_out == []
    assert [t.title for t in reversed(book.list())][1:] == titles  # newest first: the file's last tune on top
    assert book.get(report.added[0]).settings == {"imported from": "oneills.abc"}
    assert book.get(report.added[0]).owner == "session-1" and book.get(mine).title == "Mine"
    exported = split_tunes(book.export_abc())  # an export gives the file's tunes back in its order
    assert [tunebook.title_of(t) for t in exported] == ["Mine"] + titles
    again = book.import_abc(text, source="oneills.abc")
    assert again.added == [] and again.already == 50 and len(book.list()) == 51
    bad = book.import_abc("% notes\nX:1\nT:Good\nK:D\nDEF|\n\nX:2\nT:No key\nDEF|\n", source="two.abc")
    assert len(bad.added) == 1 and bad.left_out == ['two.abc, line 7: tune 2 ("No key" (X:2)): not a tune: it has '
                                                    "no K: line"]
    with pytest.raises(TunebookError, match=r"junk\.bin: no ABC tune in it"):
        book.import_abc("\x00\x01 binary junk", source="junk.bin")
    monkeypatch.setattr(tunebook, "MAX_IMPORT", 10)
    capped = Tunebook(tmp_path / "capped.sqlite").import_abc(text, source="oneills.abc")
    assert len(capped.added) == 10 and capped.left_out == ["40 more tunes of oneills.abc: one import adds at most 10"]


def test_an_import_that_cannot_be_written_adds_nothing(tmp_path, oneills_abc, monkeypatch):
    from musicrnn.files import read_text

    book = Tunebook(tmp_path / "book.sqlite")
    connect = book._connect

    class FailsOnTheThirdInsert:  # the disk fills up part way through the file
        def __init__(self):
            self.db, self.inserts = connect(), 0

        def execute(self, sql, args=()):
            self.inserts += sql.startswith("INSERT")
            if self.inserts == 3:
                raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(sql, args)

        def __enter__(self):
            self.db.__enter__()
            return self

        def __exit__(self, *exc):
            return self.db.__exit__(*exc)

        def close(self):
            self.db.close()

    monkeypatch.setattr(book, "_connect", FailsOnTheThirdInsert)
    with pytest.raises(TunebookError, match="nothing imported from oneills.abc: database or disk is full"):
        book.import_abc(read_text(oneills_abc), source="oneills.abc")
    monkeypatch.undo()
    assert book.list() == []


def test_unwritable_tunebook_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(TunebookError, match="cannot open"):
        Tunebook(tmp_path / "file" / "book.sqlite")


def test_page_empty_state(app_env):
    at = new_app("tunebook")
    assert not at.exception
    assert "No tunes here yet" in texts(at)


def test_page_play_edit_delete_export(app_env):
    book = Tunebook(app_env["tunebook"])
    book.add(GOOD_TUNE, "Jig in D", {"model": "tiny", "seed": 5, "temperature": 0.8})
    tid = book.add(GOOD_TUNE.replace("K:D", "K:G"), "Jig in G")
    at = new_app("tunebook")
    assert not at.exception
    assert at.radio(key="tb_pick").value == tid  # newest first
    assert playable(at) == 1
    export = next(d for d in kinds(at, "download_button") if d.proto.label.startswith("Export"))
    assert not export.proto.disabled
    assert [b.proto.url for b in kinds(at, "link_button")] == ["api/tunebook/sheet"]  # print what is listed
    # edit the title and the ABC, save
    at.text_input(key=f"tb_title_{tid}").set_value("Renamed jig")
    edit_tune(at, GOOD_TUNE.replace("K:D", "K:A"))
    at.button(key=f"tb_save_{tid}").click().run()
    assert not at.exception
    assert book.get(tid).title == "Renamed jig" and "K:A" in book.get(tid).abc
    # the older tune shows the settings that made it
    first = [t for t in book.list() if t.id != tid][0]
    at.radio(key="tb_pick").set_value(first.id).run()
    assert "seed 5" in texts(at)
    # delete
    at.button(key=f"tb_delete_{first.id}").click().run()
    assert not at.exception
    assert [t.id for t in book.list()] == [tid]
    at.text_input(key="tb_search").set_value("nothing like this").run()
    assert "No saved tune matches" in texts(at)
    assert [b.proto.url for b in kinds(at, "link_button")] == ["api/tunebook/sheet?search=nothing%20like%20this"]


def test_the_tunebook_prints_the_tunes_a_search_finds_each_under_its_title(app_env, monkeypatch):
    from app_support import media
    from app_support.routes import tunebook_sheet
    from musicrnn.music.sheet import SHEET_CSP

    book = Tunebook(app_env["tunebook"])
    assert call_route(tunebook_sheet).status_code == 404  # nothing saved yet
    book.add(GOOD_TUNE, "Jig in D")
    book.add(GOOD_TUNE.replace("K:D", "K:G"), '<img src=x onerror="alert(1)">')
    book.add("X:1\nT:Silent\nL:1/8\nM:6/8\nK:D\n", "Silent")
    page = call_route(tunebook_sheet)
    text = page.body.decode()
    assert page.status_code == 200 and page.headers["content-security-policy"] == SHEET_CSP
    assert text.count('<section class="tune"><div class="page"><svg') == 2 and "2 tunes" in text
    assert "<img" not in text and "&lt;img src=x" in text  # the title is drawn as text in the score
    assert "Not printed: &quot;Silent&quot; (X:1) has no notes to engrave" in text
    assert text.index("Jig in D") < text.index("&lt;img src=x")  # in the book's order, as the export
    found = call_route(tunebook_sheet, query=b"search=Jig").body.decode()
    assert found.count('<section class="tune">') == 1 and "<title>Tunebook: Jig</title>" in found
    assert call_route(tunebook_sheet, query=b"search=nothing").status_code == 404
    monkeypatch.setattr(media, "PRINT_LIMIT", 1)  # the first only
    capped = call_route(tunebook_sheet).body.decode()
    assert capped.count('<div class="page">') == 1 and "Jig in D" in capped
    assert "Not printed: 2 more tunes: a sheet holds at most 1" in capped
    up = call_route(tunebook_sheet, query=b"search=Jig&transpose=2").body.decode()
    assert up.count('<section class="tune">') == 1 and up != found  # in the key the tunebook plays it in
    bad = call_route(tunebook_sheet, query=b"transpose=two")
    assert bad.status_code == 400 and "transpose must be a whole number" in bad.body.decode()
    assert call_route(tunebook_sheet, query=b"transpose=99").status_code == 400


def test_a_tunebook_tune_plays_on_the_instrument_and_in_the_key_the_player_chooses(app_env):
    Tunebook(app_env["tunebook"]).add(GOOD_TUNE, "Jig in D")
    at = new_app("tunebook")
    before = players(at)[0]
    assert before["options"]["transpose"] == 0 and "tempo" not in before["options"]  # the tune's own pace
    at.selectbox(key="tb_instrument").set_value("fiddle")
    at.slider(key="tb_transpose").set_value(2).run()
    assert not at.exception
    after = players(at)[0]
    assert after["options"]["instrument"] == "fiddle" and after["options"]["transpose"] == 2
    assert after["key"] != before["key"] and after["svg"] != before["svg"]  # the score moves with the sound
    assert after["sheet"].endswith(f"{after['key']}/sheet")  # and so does the printed sheet
    assert after["transposed"] == {"semitones": 2, "as_written": None, "key": "E"}  # and its ABC download
    assert [b.proto.url for b in kinds(at, "link_button")] == ["api/tunebook/sheet?transpose=2"]  # and Print these
    at.selectbox(key="tb_part").set_value("B♭ clarinet, trumpet, soprano sax").run()  # read a tone above that
    part = players(at)[0]
    assert part["options"]["transpose"] == 2 and part["options"]["written_above"] == 2
    assert part["transposed"] == {"semitones": 4, "as_written": None, "key": "F#"}
    assert [b.proto.url for b in kinds(at, "link_button")] == ["api/tunebook/sheet?transpose=4"]
    at.toggle(key="tb_click").set_value(True).run()  # a metronome to practise with
    assert players(at)[0]["options"]["click"] is True and players(at)[0]["key"] != part["key"]


def test_the_page_adds_the_tunes_of_an_uploaded_abc_file(app_env, oneills_abc):
    at = new_app("tunebook")
    assert "add your own from an .abc file" in texts(at)
    at.file_uploader(key="tb_import").set_value(("oneills.abc", oneills_abc.read_bytes(), "text/plain")).run()
    assert not at.exception and not at.error
    assert any(shown_text(s.value).startswith("Added 50 tune(s) from oneills.abc") for s in at.success)
    book = Tunebook(app_env["tunebook"])
    first = book.list()[-1]
    assert at.radio(key="tb_pick").value == first.id and playable(at) == 1  # the file's first tune, open
    assert "imported from oneills" in shown_text(texts(at))
    at.file_uploader(key="tb_import").set_value(("junk.abc", b"\x00\x01", "text/plain")).run()
    assert not at.exception and any("junk.abc: no ABC tune in it" in shown_text(e.value) for e in at.error)
    assert len(book.list()) == 50


def test_page_with_unusable_tunebook_path_is_an_error(app_env, monkeypatch, tmp_path):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("MUSICRNN_TUNEBOOK", str(tmp_path / "file" / "book.sqlite"))
    at = new_app("tunebook")
    assert not at.exception
    assert any("Cannot open the tunebook" in e.value for e in at.error)


def test_a_tunebook_tune_goes_to_the_studio_to_have_the_rest_written(with_model, app_env):
    from musicrnn.generation.prime import kept_prime

    tid = Tunebook(app_env["tunebook"]).add(GOOD_TUNE, "Jig in D")
    at = new_app("tunebook")
    at.number_input(key=f"tb_{tid}_keep_bar").set_value(2).run()
    at.session_state["studio_key"] = "Am"  # as the studio was left
    at.button(key=f"tb_{tid}_keep").click().run()
    assert not at.exception, at.exception
    result = at.session_state["studio_result"]  # the studio took the request and wrote from bar 2 on
    assert result["settings"]["kept"] == {"bar": 2, "from": f"tunebook tune #{tid}"}
    assert all(c["abc"].startswith(kept_prime(GOOD_TUNE, 2)) for c in result["candidates"])
    assert "Bars up to 2 kept from tunebook tune" in texts(at)
    assert "studio_keep_request" not in at.session_state  # taken once
    assert at.selectbox(key="studio_meter").value == "6/8 (jig)"  # a model without types: the kept tune's meter
    assert at.selectbox(key="studio_key").value == "D"  # and its key (D, not the Am it was left at)
