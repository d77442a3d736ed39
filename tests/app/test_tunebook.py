"""Tunebook: the SQLite store, and its page through AppTest (list, play, edit, delete, export)."""
from __future__ import annotations

import pytest

from musicrnn.tunebook import Tunebook, TunebookError, default_path
from tests.helpers.app import GOOD_TUNE, call_route, edit_tune, kinds, new_app, playable, texts


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
    assert text.count('<section class="tune"><svg') == 2 and "2 tunes" in text
    assert "<img" not in text and "&lt;img src=x" in text  # the title is drawn as text in the score
    assert "Not printed: &quot;Silent&quot; (X:1) has no notes to engrave" in text
    assert text.index("&lt;img src=x") < text.index("Jig in D")  # in the page's order: newest first
    found = call_route(tunebook_sheet, query=b"search=Jig").body.decode()
    assert found.count('<section class="tune">') == 1 and "<title>Tunebook: Jig</title>" in found
    assert call_route(tunebook_sheet, query=b"search=nothing").status_code == 404
    monkeypatch.setattr(media, "PRINT_LIMIT", 1)  # the newest only, which has no notes
    capped = call_route(tunebook_sheet).body.decode()
    assert "no notes to engrave" in capped and "Not printed: 2 more tunes: a sheet holds at most 1" in capped


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
