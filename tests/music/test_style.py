"""Style figures read from the ABC: running bars, the final note against the key's tonic, two-part form."""
from __future__ import annotations

import pytest

from musicrnn.music.style import style_figures, tune_style
from musicrnn.notation.keys import key_signature, pitch_class
from tests.helpers.music_data import oneills

REEL = "X:1\nL:1/8\nM:4/4\nR:reel\nK:D\n|:dBAF ABde|fdec d2cB|A2FA DAFA|GBAF E2D2:|\n"


@pytest.mark.parametrize("key,tonic,sharps", [
    ("D", 2, {"F": 1, "C": 1}), ("Ador", 9, {"F": 1}), ("Em", 4, {"F": 1}), ("Dmix", 2, {"F": 1}),
    ("Bb", 10, {"B": -1, "E": -1}), ("F#m", 6, {"F": 1, "C": 1, "G": 1}), ("Gdor", 7, {"B": -1}),
])
def test_key_signatures_and_modal_finals(key, tonic, sharps):
    assert key_signature(key) == (tonic, sharps)


def test_pitch_classes_follow_the_key_and_the_accidentals():
    sig = key_signature("D")[1]
    assert pitch_class("f", sig) == 6 and pitch_class("=f", sig) == 5 and pitch_class("_B,", sig) == 10
    assert pitch_class("^^c'", sig) == 2


def test_a_reel_runs_in_two_parts_and_ends_on_its_final():
    s = tune_style(REEL)
    # inner bars: fdec d2cB (7 of 8 quavers start a note: running), A2FA DAFA (7: running)
    assert s.bars == 4 and s.running_share == 1.0 and s.ends_on_final and s.two_part
    slow = REEL.replace("fdec d2cB", "f4 d4").replace("A2FA DAFA", "A6 FA")
    assert tune_style(slow).running_share == 0.0  # 2 of 8, 3 of 8: not running
    off = REEL.replace("E2D2:|", "E2F2:|")
    assert tune_style(off).ends_on_final is False
    assert tune_style(REEL.replace("|:", "|").replace(":|", "|")).two_part is False  # 4 bars, no repeat


def test_a_jig_bar_runs_on_five_of_six_and_tuplets_or_dots_do_not_count_as_slots():
    jig = "X:1\nL:1/8\nM:6/8\nK:G\nGAG GAB|ABA AB2|B3 (3ABc d|G3 G2z|]\n"
    s = tune_style(jig)
    # inner bars: ABA AB2 (5 of 6 quavers start a note: running); B3 (3ABc d (slots 0, 3 and 5: not running)
    assert s.running_share == 0.5 and s.ends_on_final and not s.two_part


def test_a_tuplet_of_nothing_leaves_its_bar_unmeasured_instead_of_failing():
    from musicrnn.notation.durations import scan_body
    from musicrnn.notation.keys import ends_on_final

    for odd in ("(0ABc", "(3:0:3ABc"):  # a sampled tune can write either; ABC has no such tuplet
        tune = f"X:1\nL:1/8\nM:6/8\nK:G\nGAG GAB|{odd} AB2|G3 G3|]\n"
        _, scan = scan_body(tune.split("\n"))
        assert [b.length for b in scan.closed] == [3 / 4, None, 3 / 4]
        assert ends_on_final(tune) is True and tune_style(tune).bars == 3


def test_the_figures_of_real_tunes():
    figures = style_figures([oneills(0), REEL])
    assert figures["tunes"] == 2 and figures["two_part"] == 1.0 and 0 < figures["running_bars"] <= 1
