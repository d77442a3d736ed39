"""Bars as a musician numbers them (`notation/bar_numbers.py`), and a tune cut after one of them
(`generation/prime.kept_prime`): the numbers are the engraved score's, a pickup is bar 0, and the cut keeps the
header and closes on the bar's own bar line."""
import pytest

from musicrnn.data.barlines import meter_agreement
from musicrnn.data.clean import clean_tunes
from musicrnn.errors import OptionError
from musicrnn.generation.prime import kept_prime
from musicrnn.music.score import notation_score_local
from musicrnn.notation.bar_numbers import first_part_end, keep_bars, numbered_bars
from tests.helpers.music_data import oneills

JIG = ("X:3\nT:A jig\nM:6/8\nL:1/8\nR:Jig\nK:D\nA|\"D\"ded dcd|ece efg|ded fgf|edc d2A:|\n"
       "|:fed fed|fga agf|ded fgf|edc d2|]\n")


def test_numbers_are_the_engraved_scores_on_oneills_tunes():
    agreed = 0
    for i in range(50):
        cleaned = clean_tunes([oneills(i)])[0]
        if not cleaned or meter_agreement(cleaned[0])[1]:
            continue  # a bar off the meter: music21 re-bars it, so its numbers are its own
        measures = notation_score_local(cleaned[0]).parts[0].getElementsByClass("Measure")
        assert [b.number for b in numbered_bars(cleaned[0])] == [m.number for m in measures], i
        agreed += 1
    assert agreed >= 30  # most of the 50 have every bar in the meter


def test_a_pickup_is_bar_zero_and_a_full_first_bar_is_bar_one():
    assert [b.number for b in numbered_bars(JIG)] == list(range(9))
    full = JIG.replace("K:D\nA|", "K:D\n")
    assert [b.number for b in numbered_bars(full)][:2] == [1, 2]
    # a last bar written without its bar line is a bar; empty bars (`|:` after `:|`) are not
    assert numbered_bars("X:1\nL:1/8\nM:2/4\nK:C\n|:CDEF:|\n|:GABc|d4")[-1].number == 3
    assert numbered_bars("X:1\nM:2/4\nCDEF|") == []  # no K: line, no body


def test_keeping_bars_cuts_after_the_bar_line_and_the_line_end():
    assert keep_bars(JIG, 0).endswith("K:D\nA|")
    assert keep_bars(JIG, 2).endswith('A|"D"ded dcd|ece efg|')
    assert keep_bars(JIG, 4).endswith("edc d2A:|\n")  # the first part, its repeat and its line
    assert keep_bars(JIG, 4).startswith("X:3\nT:A jig\n")


def test_the_first_part_ends_on_its_repeat_else_after_eight_bars():
    assert first_part_end(numbered_bars(JIG)) == 4
    written_out = "X:1\nL:1/8\nM:2/4\nK:C\n" + "CDEF|" * 16 + "\n"
    assert first_part_end(numbered_bars(written_out)) == 8
    assert first_part_end(numbered_bars("X:1\nL:1/8\nM:2/4\nK:C\nCDEF|GABc|d4|]\n")) == 2  # short: the last but one
    assert first_part_end(numbered_bars("X:1\nL:1/8\nM:2/4\nK:C\nCDEF|]\n")) is None


def test_the_prime_is_the_tune_cleaned_as_the_corpus_was():
    prime = kept_prime(JIG + "\nX:4\nT:Another\nK:G\nGABc|", 4)
    assert prime == 'X:1\nL:1/8\nM:6/8\nR:jig\nK:D\nA|"D"ded dcd|ece efg|ded fgf|edc d2A:|\n'


@pytest.mark.parametrize("last, words", [(8, "keep up to bar 7 at most"), (-1, "numbered 0 to 8"),
                                         (9, "numbered 0 to 8")])
def test_a_bar_out_of_range_is_named(last, words):
    with pytest.raises(OptionError, match=words):
        keep_bars(JIG, last)


def test_a_tune_without_bars_to_go_on_from_is_refused():
    with pytest.raises(OptionError, match="one bar"):
        keep_bars("X:1\nL:1/8\nM:2/4\nK:C\nCDEF|]\n", 1)
    with pytest.raises(OptionError, match="no bars"):
        keep_bars("X:1\nL:1/8\nM:2/4\nK:C\n", 1)
    with pytest.raises(OptionError, match="empty"):
        kept_prime("  \n", 1)
