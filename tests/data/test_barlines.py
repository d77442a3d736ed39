"""Line ends made to agree with bar lines (musicrnn.data.barlines), checked against music21's reading of the bars."""
import random

import pytest

from musicrnn.data.barlines import fix_line_ends, meter_agreement
from musicrnn.data.clean import CleanReport, clean_tune
from musicrnn.data.split import load_corpus
from musicrnn.music.check import check_tune

HEAD = "X:1\nL:1/8\nM:4/4\nK:G\n"


def test_full_bar_at_line_end_gets_its_bar_line():
    out, added, joined = fix_line_ends(HEAD + "| B2B2e3B | G2A2B4\nB2=B2c2f2 | e4d4")
    assert out == HEAD + "| B2B2e3B | G2A2B4|\nB2=B2c2f2 | e4d4"
    assert (added, joined) == (1, 0)


def test_bar_running_into_the_next_line_is_joined():
    out, added, joined = fix_line_ends(HEAD + "D2 | G3FG2A2 | B3AG2\nB2 | d3cB2d2 |")
    assert out == HEAD + "D2 | G3FG2A2 | B3AG2 B2 | d3cB2d2 |"
    assert (added, joined) == (0, 1)


@pytest.mark.parametrize("line", [
    "G>A B2 c4",          # broken rhythm keeps the pair's sum
    "(3GAB c2 d4",        # a triplet of eighths takes a quarter
    "[GB]2 {A}c2 d/e/ f3",  # chord length from its first note; grace notes take no time
    '"G"G2 !trill!A2 B4',  # chord symbols and decorations take no time
    "z2 x2 G4",
])
def test_durations_of_common_notation(line):
    out, added, _ = fix_line_ends(HEAD + line + "\nGABc d4|")
    assert added == 1 and out.split("\n")[4] == line + "|"


def test_inline_meter_and_unit_changes_are_followed():
    tune = "X:1\nL:1/8\nM:4/4\nK:G\nG8|[M:3/4] G6\nA6|\nL:1/4\nB3\nc3|"
    out, added, joined = fix_line_ends(tune)
    assert out == "X:1\nL:1/8\nM:4/4\nK:G\nG8|[M:3/4] G6|\nA6|\nL:1/4\nB3|\nc3|" and added == 2


@pytest.mark.parametrize("body", [
    "G8 A2\nB8|",          # overfull: left for a person to judge
    "G2 & A2\nB8|",        # voice overlay
    "Z4\nB8|",             # multi-bar rest
    "G8|A8|\nB8|",         # already barred
    "G8|A4",               # the last line is never touched
])
def test_uncertain_or_clean_lines_are_left_alone(body):
    assert fix_line_ends(HEAD + body) == (HEAD + body, 0, 0)


def test_free_meter_is_left_alone():
    tune = "X:1\nL:1/8\nM:none\nK:G\nG2A2\nB2c2|"
    assert fix_line_ends(tune)[0] == tune


def test_music21_agrees_with_the_fixed_bars():
    fixed, _, _ = fix_line_ends(HEAD + "D2 | G3FG2A2 | B3AG2\nB2 | d3cB2d2 | B4A2\nA2 | c3Bc2d2 | G4 |]")
    rep = check_tune(fixed, ended=True)
    assert rep.parses and rep.bars >= 6 and not rep.bad_bars


def test_on_the_corpus_only_bar_lines_and_spacing_change():
    tunes = load_corpus("music21").train  # already fixed by cleaning: fixing again changes nothing
    random.seed(3)
    for t in random.sample(tunes, 300):
        assert fix_line_ends(t)[0] == t
    raw = "X:1\nL:1/8\nM:4/4\nK:F\nc3AG2C2 | c3AA2G2\nF2G2A2=A2 | B3cB4\nc3AG2\nC2 | F8 |]"
    fixed = fix_line_ends(raw)[0]
    strip = str.maketrans("", "", "| \n")
    assert fixed.translate(strip) == raw.translate(strip)
    assert fixed == "X:1\nL:1/8\nM:4/4\nK:F\nc3AG2C2 | c3AA2G2|\nF2G2A2=A2 | B3cB4|\nc3AG2 C2 | F8 |]"


def test_meter_agreement_counts_plain_full_bars_only():
    # the pickup, bars next to `||`, `|:`, `:|` or `|]` (they may be halves of one bar) are not counted
    tune = HEAD + "D2 | G3FG2A2 | B3AG2 B2 | d6 ||\n|: d2 | G8 :| A6 | B6 | c8 | d8 |]"
    assert meter_agreement(tune) == (4, 1)  # G3FG2A2, B3AG2 B2, B6 (short), c8
    assert meter_agreement("X:1\nL:1/8\nM:4/4\nK:G\nV:1\nG8|A6|B6|c8|") == (0, 0)  # voices: not checked


def test_cleaning_drops_a_tune_whose_bars_disagree_with_its_meter():
    # erk10 #245 in music21's Essen collection: M:4/4 over bars of 3/4 (its change of meter was lost)
    essen = "X:245\nT:DOA SAU\nM: 4/4\nL: 1/8\nK: D\n=C2 | =F2F2AGFG | A2AG=F2\nA_B | =c2A2=FEFG | A2AG=F2\n" \
            "F2 | =F4G2 | A2=F2G2 | =F2E2F2 | D4\n=F2 | =F4G2 | A2=F2G2 | =F2E2F2 | D4"
    report = CleanReport()
    assert clean_tune(essen, report) is None
    assert report.dropped["bars_disagree_with_meter"] == 1
    one_slip = HEAD + "D2 | G3FG2A2 | B3AG2B2 | d3cB2d2 | B4A2 | c3Bc2d2 | G8 |]"  # one short bar in six: kept
    assert clean_tune(one_slip, CleanReport()) is not None
