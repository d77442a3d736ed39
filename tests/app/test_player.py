"""The player's server side: what a render tells the page, the render route an edit calls, the media route."""
from __future__ import annotations

import json

import pytest

from app_support.player import beats_per_bar, check_summary, payload, problem_of, render_payload
from app_support.routes import media, render
from musicrnn.errors import MusicRNNError
from musicrnn.notation.transpose import transpose_exact
from tests.helpers.app import GOOD_TUNE, call_route


def post_render(payload) -> tuple[int, dict]:
    r = call_route(render, "POST", "/api/render", json.dumps(payload).encode())
    return r.status_code, json.loads(r.body)


def test_an_edit_renders_score_timeline_audio_and_files():
    status, doc = post_render({"abc": GOOD_TUNE, "tempo": 150, "instrument": "fiddle", "transpose": 2})
    assert status == 200 and doc["svg"].startswith("<svg") and doc["problem"] is None
    assert doc["timeline"]["exact"] and doc["timeline"]["bpm"] == 150 and doc["timeline"]["events"]
    assert set(doc["files"]) == {"abc", "midi", "musicxml", "wav-full"} and doc["audio"].endswith("/wav")
    assert doc["transposed"] == {"semitones": 2, "as_written": None, "key": "E"}  # D major a tone up
    key = doc["key"]
    abc = call_route(media, path_params={"key": key, "fmt": "abc"}, query=b"name=My%20jig")
    assert abc.body.decode() == transpose_exact(GOOD_TUNE, 2) and abc.media_type.startswith("text/plain")
    assert 'filename="My-jig.abc"' in abc.headers["content-disposition"]
    assert abc.headers["x-content-type-options"] == "nosniff"
    assert post_render({"abc": GOOD_TUNE})[1]["transposed"] is None
    alto = post_render({"abc": GOOD_TUNE, "written_above": 9})[1]  # an E♭ alto sax reads D major as B major
    assert alto["transposed"] == {"semitones": 9, "as_written": None, "key": "B"}
    assert post_render({"abc": GOOD_TUNE, "transpose": -2, "written_above": 2})[1]["transposed"] is None
    assert "outside -48..48" in post_render({"abc": GOOD_TUNE, "written_above": 60})[1]["problem"]["message"]
    wav = call_route(media, path_params={"key": key, "fmt": "wav"})
    assert wav.status_code == 200 and wav.body[:4] == b"RIFF" and wav.media_type == "audio/wav"
    midi = call_route(media, path_params={"key": key, "fmt": "midi"}, query=b"name=My%20jig")
    assert midi.body[:4] == b"MThd" and 'filename="My-jig.mid"' in midi.headers["content-disposition"]
    assert call_route(media, path_params={"key": "0" * 32, "fmt": "wav"}).status_code == 404
    assert call_route(media, path_params={"key": key, "fmt": "exe"}).status_code == 404


def test_print_opens_the_score_laid_out_for_paper_in_the_key_it_plays():
    from musicrnn.music.sheet import SHEET_CSP

    titled = GOOD_TUNE.replace("X:1\n", "X:1\nT:Tom's <b>jig</b>\n")
    status, doc = post_render({"abc": titled, "transpose": 2})
    assert status == 200 and doc["sheet"] == f"api/media/{doc['key']}/sheet"
    page = call_route(media, path_params={"key": doc["key"], "fmt": "sheet"})
    text = page.body.decode()
    assert page.status_code == 200 and page.media_type.startswith("text/html")
    assert page.headers["content-security-policy"] == SHEET_CSP and page.headers["x-content-type-options"] == "nosniff"
    assert "<title>Tom&#x27;s &lt;b&gt;jig&lt;/b&gt;</title>" in text and "<b>jig</b>" not in text
    assert text.count('<section class="tune"><div class="page"><svg') == 1
    plain = post_render({"abc": titled})[1]
    assert call_route(media, path_params={"key": plain["key"], "fmt": "sheet"}).body != page.body  # transposed
    refused = post_render({"abc": "X:1\nK:C\n" + "C" * 60_000})[1]
    assert refused["sheet"] is None


def test_a_tune_that_cannot_be_written_in_its_new_key_says_so_and_still_prints_transposed():
    tune = "X:1\nT:No key\nL:1/8\nM:4/4\nK:none\nCDEF GABc|\n"
    status, doc = post_render({"abc": tune, "transpose": 2})
    assert status == 200 and doc["svg"]
    assert doc["transposed"]["as_written"] == "K:none has no key signature to transpose"
    assert doc["transposed"]["key"] is None
    assert call_route(media, path_params={"key": doc["key"], "fmt": "abc"}).body.decode() == tune
    plain = post_render({"abc": tune})[1]
    sheets = [call_route(media, path_params={"key": d["key"], "fmt": "sheet"}).body for d in (doc, plain)]
    assert sheets[0] != sheets[1]  # the engraver moved it


@pytest.mark.parametrize("payload, field", [({"abc": 5}, "abc"), ({"abc": "X:1", "tempo": "fast"}, "tempo"),
                                            ({"abc": "X:1", "transpose": True}, "transpose"),
                                            ({"abc": "X:1", "written_above": "2"}, "written_above")])
def test_a_bad_field_is_named(payload, field):
    status, doc = post_render(payload)
    assert status == 400 and field in doc["error"]


def test_not_json_and_too_big_are_refused():
    assert call_route(render, "POST", "/api/render", b"{nope").status_code == 400
    assert call_route(render, "POST", "/api/render", b" " * 300_000).status_code == 413


def test_a_parse_problem_has_its_line_and_column():
    abc = "X:1\nT:t\nM:4/4\nL:1/8\nK:D\nABcd efga|b[c|\n"
    status, doc = post_render({"abc": abc})
    assert status == 200
    assert doc["problem"]["line"] == 6 and doc["problem"]["column"] == 12  # the `[c` that never closes
    assert "Q:" not in doc["problem"]["message"]  # music21 quotes our bar markers: not shown


def test_a_refused_tune_is_a_problem_not_a_crash():
    doc = render_payload("X:1\nK:C\n" + "C" * 60_000, {}, None)
    assert doc["svg"] is None and "characters" in doc["problem"]["message"]
    doc = render_payload(GOOD_TUNE, {"instrument": "theremin"}, None)
    assert "unknown instrument" in doc["problem"]["message"]


def test_beats_in_a_count_in_and_the_status_line():
    assert [beats_per_bar(f"X:1\nM:{m}\nK:C\nC|") for m in ("4/4", "6/8", "9/8", "3/4", "2/2", "C")] == [
        4, 2, 3, 3, 2, 4]
    assert check_summary({"parses": True, "bars": 8, "bad_bars": [3], "ended": False}) == (
        "8 bars, 1 off the meter · cut off")
    assert check_summary({"parses": False}) == "does not parse"
    assert problem_of({"check": {"parses": True}, "data": {"svg": "<svg/>"}, "errors": {}}, "") is None


def test_the_score_comes_without_waiting_for_the_audio_which_is_made_once_when_asked(monkeypatch):
    from app_support import media as media_module
    from musicrnn.music import isolated

    res = media_module.render_tune(GOOD_TUNE.replace("T:", "T:Lazy "), tempo=97)
    assert "wav" not in res["data"] and res["data"]["svg"] and res["data"]["midi"]
    calls = []
    real = isolated.midi_to_wav
    monkeypatch.setattr(isolated, "midi_to_wav", lambda midi: calls.append(1) or real(midi))
    first = call_route(media, path_params={"key": res["key"], "fmt": "wav"})
    again = call_route(media, path_params={"key": res["key"], "fmt": "wav"})
    assert first.status_code == 200 and first.body[:4] == b"RIFF" and again.body == first.body
    assert len(calls) == 1  # the second request is served from the render


def test_a_tune_played_without_a_chosen_tempo_plays_at_its_own():
    from app_support import media as media_module

    def played_at(abc, **kw):  # the player's timeline says the tempo the MIDI and the audio play at
        return json.loads(media_module.render_tune(abc, **kw)["data"]["timeline"])["bpm"]

    jig = GOOD_TUNE.replace("K:D", "R:jig\nK:D")  # as the tunebook, the dataset and the Inside page play it
    assert played_at(jig) == 168  # a jig's 112 dotted quarters
    paced = GOOD_TUNE.replace("K:D", "R:jig\nQ:3/8=100\nK:D")  # its Q: decides
    assert played_at(paced) == 150 and played_at(paced, tempo=90) == 90  # a chosen tempo decides over both
    assert played_at(GOOD_TUNE) == 120


def test_a_render_without_midi_says_so_instead_of_playing():
    from app_support.media import page_audio

    res = {"data": {"svg": "<svg/>"}, "errors": {"midi": "music21 could not write MIDI: bad tuplet"}}
    with pytest.raises(MusicRNNError, match="bad tuplet"):
        page_audio(res)
    doc = payload({**res, "key": "k", "check": None}, GOOD_TUNE)
    assert doc["audio"] is None and doc["no_audio"].endswith("bad tuplet") and "wav-full" not in doc["files"]
