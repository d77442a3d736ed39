"""The Inside page through AppTest: a pasted tune's bits (the library's to 1e-6), bad ABC and no model as clear
messages, a validation tune, the next-character view as the position and the sampling settings change, the cells
that follow the bars, and tune text that reaches the page only as component data or escaped text."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app_support.charts import char_label
from musicrnn.data.clean import clean_tunes
from musicrnn.inspection import note_spans, read_tune, validation_tunes
from musicrnn.model.checkpoint import load_model
from musicrnn.tunebook import Tunebook
from tests.helpers.app import APP, GOOD_TUNE, kinds, navigation_only, new_app, players, texts

pytestmark = pytest.mark.slow
MARKDOWN = ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader")
HOSTILE = ('X:1\nT:<script>alert(1)</script> <img src=x onerror=alert(1)>\n'
           'C:**bold** [link](javascript:alert(1))\nM:6/8\nL:1/8\nK:D\n'
           '"<script>alert(1)</script>"A|dfa afd|"**bold** [link](javascript:alert(1))"gfe fdB|AFA DFA|BAF EFA:|\n')


def markdown(at) -> str:
    """Everything the page shows through markdown (not code blocks, which show text as typed)."""
    return "\n".join(str(e.value) for kind in MARKDOWN for e in getattr(at, kind))


def shaded(at, k: int = 0) -> dict:
    """The data the k-th shaded text on the page was drawn with."""
    return [json.loads(e.proto.json) for e in at.get("bidi_component")
            if e.proto.component_name == "musicrnn_shaded_text"][k]


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in kinds(at, "plotly_chart")]


def paste(at, abc: str, as_written: bool = False):
    at.radio(key="in_source").set_value("Paste ABC").run()
    if as_written:
        at.toggle(key="in_as_written").set_value(True).run()
    at.text_area(key="in_paste").set_value(abc).run()
    assert not at.exception, at.exception
    return at


def test_no_model_is_an_info_message(app_env):
    at = new_app("inside")
    assert not at.exception
    assert "No model to look inside yet" in texts(at)
    assert not kinds(at, "plotly_chart")


def test_a_pasted_tune_shows_the_librarys_bits(with_model):
    at = paste(new_app("inside"), GOOD_TUNE)
    model, vocab, _ = load_model(with_model, "cpu")
    text = clean_tunes([GOOD_TUNE])[0][0]  # cleaned as evaluate reads it
    expected = read_tune(model, vocab, text, states=True)  # the page keeps the states too, for the cells
    shown = at.session_state["in_shown"]
    assert shown["text"] == text and abs(shown["total_bits"] - expected.total_bits) < 1e-6
    assert abs(shown["mean_bits"] - expected.mean_bits) < 1e-6
    # ... and the layer-by-layer pass that keeps them reads the tune as nn.LSTM does, to float32 rounding
    assert abs(shown["mean_bits"] - read_tune(model, vocab, text).mean_bits) < 1e-6
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total"] == f"{expected.total_bits:,.1f} bits"
    assert metrics["Mean"] == f"{expected.mean_bits:.3f} bits/char"
    data = shaded(at)
    assert data["text"] == text and len(data["values"]) == len(text) and data["pickable"]
    assert np.allclose(data["values"] + [data["end"]], expected.bits, atol=1e-3)
    # the score's written notes are shaded, one value each (chords one note; rests, grace notes not counted)
    notes = [s for s in note_spans(text) if s.kind in ("note", "chord")]
    player = players(at)[0]
    assert len(player["shade"]) == len(notes) == len(player["timeline"]["notes"])
    assert all(0.0 <= x <= 1.0 for x in player["shade"])


@pytest.mark.parametrize("abc, message", [
    ("   \n ", "The tune is empty"),
    ("X:1\nT:only a title\n", "Cleaning drops this tune (no key or body)"),
    ("X:1\nL:1/8\nK:D\n" + "abcd efga|" * 600, "the page reads tunes of at most 5,000"),
], ids=["empty", "no body", "too long"])
def test_bad_abc_is_a_clear_message(with_model, abc, message):
    at = paste(new_app("inside"), abc)
    assert message in texts(at).replace("\\", "")


def test_characters_the_model_does_not_know_are_named(with_model):
    at = paste(new_app("inside"), "X:1\nL:1/8\nM:6/8\nK:D\n|:A|dfa afd|gfe fdB|A€A DFA|BAF EFA:|\n", as_written=True)
    assert "character(s) the model does not know are left out" in texts(at) and "€" in texts(at)
    data = shaded(at)
    assert data["values"][data["text"].index("€")] is None  # not shaded: left out, as evaluate leaves it out
    at = paste(new_app("inside"), "€€€±±", as_written=True)
    assert "The model knows none of this text's characters" in texts(at)


def test_a_validation_tune(with_model):
    at = new_app("inside")
    assert at.radio(key="in_source").value == "Validation tune"  # no studio candidate yet
    tunes = validation_tunes(load_model(with_model, "cpu")[2])
    assert at.session_state["in_shown"]["text"] == tunes[0]
    at.number_input(key="in_val_pick").set_value(2).run()
    assert not at.exception and at.session_state["in_shown"]["text"] == tunes[1]
    assert len(at.metric) == 3


def test_a_validation_tune_of_a_corpus_that_changed_is_not_called_unseen(with_model):
    import torch

    ckpt = torch.load(with_model / "best.pt", weights_only=True)
    ckpt["data"]["val_tunes"] += 3
    torch.save(ckpt, with_model / "best.pt")
    at = new_app("inside")
    assert not at.exception
    [warning] = [str(w.value).replace("\\", "") for w in at.warning]  # shown escaped, as markdown
    assert "has changed since this model was trained" in warning and "val_tunes" in warning
    assert "never trained on" not in at.number_input(key="in_val_pick").label


def test_the_next_character_view_follows_the_position_and_the_sampling_settings(with_model):
    at = paste(new_app("inside"), GOOD_TUNE)
    text = at.session_state["in_shown"]["text"]
    at.slider(key="in_pos").set_value(5).run()
    assert f"Next in the tune: **{char_label(text[5])}**" in texts(at).replace("\\", "")
    assert shaded(at)["selected"] == 5
    at.button(key="in_forward").click().run()
    assert at.slider(key="in_pos").value == 6 and f"**{char_label(text[6])}**" in texts(at).replace("\\", "")
    model, sampling = charts(at)
    # the bars (15 characters and the rest) sum to 1; at temperature 1 with top-k and top-p off, sampling is the
    # model's own softmax
    assert abs(sum(model["data"][0]["y"]) - 1) < 1e-6 and np.allclose(model["data"][0]["y"], sampling["data"][0]["y"])
    at.number_input(key="in_top_k").set_value(3)
    at.slider(key="in_temperature").set_value(0.5).run()
    model, sampling = charts(at)
    y = sampling["data"][0]["y"]
    assert sampling["data"][0]["x"][-1] == "other" and abs(y[-1]) < 1e-9  # top-k 3 leaves nothing outside
    assert abs(sum(y) - 1) < 1e-6 and sum(1 for v in y[:-1] if v > 0) <= 3
    assert "temperature 0.5, top-k 3, top-p off" in sampling["layout"]["title"]["text"]


def test_the_cells_list_a_bar_position_unit_and_colour_the_tune_by_it(with_model):
    at = paste(new_app("inside"), GOOD_TUNE)
    table = at.dataframe[0].value
    bar = table[table["feature"] == "bar_position"]
    assert len(bar) == 3 and bar["unit"].notna().all() and (bar["r"].abs() > 0).all()
    assert at.selectbox(key="in_unit").value.startswith("bar_position · layer ")
    assert "validation tunes" in texts(at) and ("computed in" in texts(at) or "read from the cache" in texts(at))
    cells = shaded(at, 1)
    assert cells["signed"] and cells["text"] == at.session_state["in_shown"]["text"] and not cells["pickable"]


def test_hostile_tune_text_reaches_the_page_only_as_text(with_model, app_env):
    Tunebook(app_env["tunebook"]).add(HOSTILE)
    at = new_app("inside")
    at.radio(key="in_source").set_value("Tunebook").run()
    at.toggle(key="in_as_written").set_value(True).run()
    assert not at.exception
    # the tune reaches the page as component data, which the browser draws with textContent
    assert shaded(at)["text"].strip() == HOSTILE.strip()
    shown = markdown(at)
    for raw in ("<script>", "<img", "**bold**", "[link](", "javascript:alert(1))"):
        assert raw not in shown
    at = paste(new_app("inside"), HOSTILE)  # cleaned as the corpus was: title, composer and annotations go
    assert "<" not in shaded(at)["text"] and "<script>" not in markdown(at) and "**bold**" not in markdown(at)


def test_the_studios_candidate_is_the_first_choice(with_model):
    from streamlit.testing.v1 import AppTest

    navigation_only()
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["studio_result"] = {"id": "x", "candidates": [{"abc": GOOD_TUNE, "score": 0.9, "index": 0}]}
    at.run()
    at.switch_page("pages/inside.py").run()
    assert not at.exception
    assert at.radio(key="in_source").value == "Studio candidate"
    assert at.session_state["in_shown"]["text"] == clean_tunes([GOOD_TUNE])[0][0]
