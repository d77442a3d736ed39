"""ABC checks and repair (musicrnn.music: structure, play order, check, repair), in-process: no worker pool needed."""

from __future__ import annotations

import json

import pytest

from musicrnn.errors import ABCError
from musicrnn.music import structure as abcmod
from musicrnn.music.check import check_tune
from musicrnn.music.play_order import play_order
from musicrnn.music.repair import repair_tune
from musicrnn.music.structure import MAX_ABC_CHARS
from musicrnn.notation.tunes import split_tunes
from tests.helpers.music_data import oneills, tunes_of

HEAD = "X:1\nT:Test\nL:1/4\nM:4/4\nK:C\n"
JIG = "X:1\nT:Jig\nM:6/8\nL:1/8\nK:D\n"


def bad_bar_numbers(text: str) -> list[int]:
    return [b.bar for b in check_tune(text).bad_bars]


# ----------------------------------------------------------------------------- check


def test_clean_corpus_tune_passes_every_check():
    rep = check_tune(oneills(1))  # "Fare You Well", O'Neill's 1850 no. 2
    assert rep.title == "Fare You Well"
    assert rep.parses and rep.error is None
    assert (rep.meter, rep.unit_length, rep.key) == ("2/4", "1/16", "D")
    assert rep.bars == 26
    assert rep.bad_bars == [] and rep.open_repeats == []
    assert rep.ended and rep.ended_inferred
    assert rep.ok and rep.score == 1.0


def test_finds_a_real_transcription_error_in_oneills():
    # O'Neill's no. 1, line 14: "d2g2 (g3ga)" is 9 sixteenths in a 2/4 bar.
    rep = check_tune(oneills(0))
    assert rep.parses
    assert [(b.line, b.text, b.length, b.expected) for b in rep.bad_bars] == [
        (14, "d2g2 (g3ga)", "9/16", "1/2")]
    assert not rep.ok and rep.score < 1.0


def test_bar_longer_than_meter_is_reported_with_its_line():
    rep = check_tune(HEAD + "CDEF|GABcd|cBAG|]\n")
    assert [(b.bar, b.line, b.length, b.expected) for b in rep.bad_bars] == [(2, 6, "5/4", "1")]


def test_short_bar_in_mid_tune_is_reported():
    assert bad_bar_numbers(HEAD + "CDEF|GAB|cBAG|CDEF|]\n") == [2]


def test_pickup_and_final_partial_bar_are_fine():
    assert bad_bar_numbers(HEAD + "G|CDEF|GABc|cBA|]\n") == []


@pytest.mark.parametrize("body", [
    "|:A|dfa d2B|AFD D2:|\n|:f|afd afd|ged d2:|\n",  # pickups inside the repeats
    "A|:dfa d2B|AFD D2:|\nf|:afd afd|ged d2:|\n",  # pickups before the repeats
    "|:A|dfa d2B|AFD D2::f|afd afd|ged d2:|\n",  # split at '::'
])
def test_bar_split_at_a_repeat_counts_with_its_other_half(body):
    assert bad_bar_numbers(JIG + body) == []


def test_first_and_second_endings_understood():
    # Ryan's Mammoth: pickup, implicit-start repeat, then |1 ... :|2 ... |]
    rep = check_tune(tunes_of("ryansMammoth/AllTheRageReel.abc")[0])
    assert rep.parses and rep.bad_bars == [] and rep.open_repeats == []
    assert rep.bars == 10  # pickup, 4 bars, 3 bars, two endings


def test_meter_change_inline_and_on_own_line():
    text = HEAD + "CDEF|[M:3/4]GAB|cBA|\nM:2/4\nCD|EF|]\n"
    assert bad_bar_numbers(text) == []
    assert bad_bar_numbers(text.replace("cBA|", "cBAG|")) == [3]


def test_open_repeat_is_reported_and_closed_one_is_not():
    assert check_tune(HEAD + "|:CDEF|GABc|]\n").open_repeats == [6]
    assert check_tune(HEAD + "|:CDEF|GABc:|\n").open_repeats == []
    assert check_tune(HEAD + "|:CDEF|GABc|\n|:cBAG|FEDC:|\n").open_repeats == [6]


def test_ended_is_inferred_from_the_last_bar_line_or_taken_from_the_sampler():
    assert check_tune(HEAD + "CDEF|GABc|]\n").ended
    assert check_tune(HEAD + "CDEF|GABc:|\n").ended
    cut = check_tune(HEAD + "CDEF|GABc|cB")
    assert not cut.ended and cut.ended_inferred
    told = check_tune(HEAD + "CDEF|GABc|]\n", ended=False)
    assert not told.ended and not told.ended_inferred


def test_missing_header_fields_are_reported():
    rep = check_tune("X:1\nCDEF|GABc|\n")
    assert rep.key is None and rep.meter is None and rep.unit_length is None
    assert any("key" in w for w in rep.warnings)
    assert rep.parses  # music21 reads it with ABC's defaults (L:1/8, K:C)


def test_music21_failure_comes_with_message_and_offending_line():
    rep = check_tune(HEAD + "CDEF|GABc|\nA/0 B|\n")
    assert not rep.parses
    assert "ZeroDivisionError" in rep.error
    assert (rep.error_line, rep.error_text) == (7, "A/0 B|")
    assert rep.score == 0.0


def test_bad_header_field_is_the_offending_line():
    rep = check_tune("X:1\nL:1/8\nM:0/4\nK:C\nCDEF GABc|\n")
    assert not rep.parses and (rep.error_line, rep.error_text) == (3, "M:0/4")


def test_score_ranks_candidates():
    clean = check_tune(oneills(1)).score
    wrong_bars = check_tune(oneills(1).replace("a3-b g3-a", "a3-b g3-a a")).score
    cut = check_tune(oneills(1)[:300]).score
    broken = check_tune(HEAD + "A/0|\n").score
    assert clean == 1.0
    assert clean > wrong_bars > broken == 0.0
    assert clean > cut > broken


def test_report_is_json_serialisable():
    d = check_tune(oneills(0)).to_dict()
    again = json.loads(json.dumps(d))
    assert again["bad_bars"][0]["line"] == 14 and again["ok"] is False


def test_text_over_the_size_limit_is_refused():
    with pytest.raises(ABCError, match="more than the"):
        check_tune(HEAD + "C" * (MAX_ABC_CHARS + 1))


def test_no_notes_is_not_a_tune():
    rep = check_tune("X:1\nT:Only a title\nK:C\n")
    assert rep.bars == 0 and rep.score == 0.0 and not rep.ok


# ----------------------------------------------------------------------------- structure


def _played(body: str, head: str = HEAD) -> list[str]:
    bars = abcmod.parse_tune(head + body).main_bars()
    return [bars[i].music for i in play_order(bars)]


@pytest.mark.parametrize("body,expected", [
    ("|:CDEF|[1,3GABc:|[2cBAG:|[4AAAA|]", "CDEF GABc CDEF cBAG CDEF GABc CDEF AAAA"),
    ("CDEF||GABc:|cBAG|]", "CDEF GABc GABc cBAG"),  # ':|' goes back to the '||'
    ("CDEF:|GABc:|", "CDEF CDEF GABc GABc"),  # ... or to the previous ':|'
    ('"Am"CDEF|"G"GABc!fermata!:|', '"Am"CDEF "G"GABc!fermata! "Am"CDEF "G"GABc!fermata!'),
])
def test_play_order(body, expected):
    assert " ".join(_played(body)) == expected


def test_bar_lines_inside_chord_symbols_and_comments_are_not_bars():
    assert _played('"A|b"CDEF|GABc % a comment with | and :|\n') == ['"A|b"CDEF', "GABc"]


def test_huge_ending_numbers_are_bounded():
    played = _played("|:C|[99999D:|[2E|]")
    assert len(played) <= abcmod.MAX_PASSES * 4 + 16


# ----------------------------------------------------------------------------- repair


def test_repair_closes_an_open_repeat_and_shows_the_diff():
    res = repair_tune(HEAD + "|:CDEF|GABc|]\n")
    assert res.changed
    assert res.text == HEAD + "|:CDEF|GABc:|\n"
    assert any("closed the repeat" in c for c in res.changes)
    assert "-|:CDEF|GABc|]" in res.diff and "+|:CDEF|GABc:|" in res.diff
    assert check_tune(res.text).open_repeats == []


def test_repair_closes_a_repeat_reopened_without_closing():
    res = repair_tune(JIG + "|:dfa d2B|AFD D3|\n|:fed cBA|dfa d2B:|\n")
    assert check_tune(res.text).open_repeats == []
    assert "::fed cBA" in res.text


def test_repair_drops_a_trailing_incomplete_bar():
    cut = JIG + "|:A|dfa d2B|AFD D2:|\n|:f|afd afd|ge"
    res = repair_tune(cut)
    assert res.text.rstrip().endswith("afd afd:|")
    assert any("dropped the trailing incomplete bar 'ge'" in c for c in res.changes)
    before, after = check_tune(cut), check_tune(res.text)
    assert after.ended and after.open_repeats == [] and after.score > before.score


def test_repair_keeps_a_complete_last_bar_and_closes_it():
    res = repair_tune(JIG + "dfa d2B|AFD D3|fed cBA")
    assert res.text.rstrip().endswith("fed cBA |]")


def test_repair_adds_missing_key_and_unit_length():
    res = repair_tune("X:1\nT:No key\nM:2/4\nCDEF|GABc|]\n")
    lines = res.text.splitlines()
    assert lines[:5] == ["X:1", "T:No key", "M:2/4", "L:1/16", "K:C"]  # 1/16: ABC's default below 3/4
    assert len(res.changes) == 2
    assert check_tune(res.text).warnings == []


def test_repair_leaves_a_clean_tune_alone():
    res = repair_tune(oneills(1))
    assert not res.changed and res.text == oneills(1) and res.diff == ""


# ----------------------------------------------------------------------------- files


def test_split_tunes_on_a_corpus_file():
    tunes = tunes_of("oneills1850/0001-0050.abc")
    assert len(tunes) == 50
    assert all(t.startswith("X:") for t in tunes)
    assert "T: The Enchanted Valley" in tunes[0]


def test_split_tunes_without_x_and_blank():
    assert split_tunes("K:C\nCDEF|\n") == ["K:C\nCDEF|\n"]
    assert split_tunes("  \n\n") == []
    assert len(split_tunes("%abc\nX:1\nK:C\nC|\n\nX:2\nK:D\nD|\r\n")) == 2
