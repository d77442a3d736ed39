"""Features of the notation at every character, on small hand-written tunes with exact expected values."""
import math

import numpy as np
import pytest

from musicrnn.inspection import FEATURES, tune_features

TUNE = 'X:1\nL:1/8\nM:2/4\nK:D\nA,2 "D"B>c|:[DF]2 z2|1d2e2:|2f4||\ng2 a2|b4:|'


def column(abc, name):
    return tune_features(abc)[:, FEATURES.index(name)]


def at(abc, name, text, nth=0):
    """The feature at each character of the `nth` occurrence of `text` in the body."""
    body = abc.index("K:")
    start = body
    for _ in range(nth + 1):
        start = abc.index(text, start + (0 if start == body else 1))
    return column(abc, name)[start:start + len(text)].tolist()


def test_the_header_has_only_a_column():
    f = tune_features(TUNE)
    header = TUNE.index("A,2")
    assert f.shape == (len(TUNE), len(FEATURES))
    assert np.isnan(np.delete(f[:header], FEATURES.index("column"), axis=1)).all()
    assert f[:header, FEATURES.index("column")].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3]
    assert not np.isnan(f[header:]).any()


def test_bar_position_by_duration():
    # 2/4 with L:1/8: A,2 fills half the bar, B> is dotted (3/16), so c starts at 7/16 = 0.875 of the bar
    assert at(TUNE, "bar_position", 'A,2 "D"B>c|') == [0, 0, 0, .5, .5, .5, .5, .5, .75, .875, 0]
    assert at(TUNE, "bar_position", ":[DF]2 z2|") == [0, 0, 0, 0, 0, 0, .5, .5, .5, 0]  # a bar line opens a bar
    assert at(TUNE, "bar_position", "\ng2 a2|b4") == [0, 0, 0, .5, .5, .5, 0, 0, 0]


def test_bar_position_by_characters_where_the_length_is_unknown():
    free = "X:1\nL:1/8\nM:none\nK:D\nabc|de|"
    assert at(free, "bar_position", "abc|de|") == [0, 1 / 3, 2 / 3, 0, 1 / 3, 2 / 3, 0]
    rest = "X:1\nL:1/8\nM:2/4\nK:D\nZ2|ab|"  # a multi-bar rest: the scanner cannot tell the bar's length
    # the rest's bar by characters; the next bar is known again: |, a at 0, b after an eighth of a 2/4 bar
    assert at(rest, "bar_position", "Z2|ab|") == [0, .5, 0, 0, .25, 0]


def test_inside_quotes_starts_at_the_opening_quote_and_ends_at_the_closing_one():
    assert at(TUNE, "in_quotes", ' "D"B') == [0, 1, 1, 0, 0]
    assert column(TUNE, "in_quotes")[TUNE.index("A,2"):].sum() == 2


def test_repeats_and_parts():
    # |: opens the repeat, the first ending is inside it up to :|2; the second ending is not; the B part has no
    # |: and repeats from the || before it
    assert at(TUNE, "in_repeat", 'A,2 "D"B>c') == [0] * 10
    assert at(TUNE, "in_repeat", "|:[DF]2 z2|1d2e2:|2") == [1] * 19
    assert at(TUNE, "in_repeat", "f4||") == [0] * 4
    assert at(TUNE, "in_repeat", "\ng2 a2|b4:|") == [1] * 11
    # the first part ends at ||, not at :|2 (an ending follows it)
    assert at(TUNE, "second_part", "|2f4||") == [0] * 6
    assert at(TUNE, "second_part", "\ng2 a2|b4:|") == [1] * 11
    two = "X:1\nL:1/8\nM:2/4\nK:D\n|:ab cd:|\n|:ef ga:|"
    assert at(two, "second_part", "|:ab cd:|") == [0] * 9 and at(two, "second_part", "|:ef ga:|") == [1] * 9
    assert at(two, "in_repeat", "\n", nth=1) == [0]  # between the parts' repeats


def test_pitch_of_the_current_note():
    # A, 57, the chord symbol "D" is no note, B 71, c 72, the chord [DF] counts its first note, z keeps it
    assert at(TUNE, "pitch", 'A,2 "D"B>c|') == [57, 57, 57, 57, 57, 57, 57, 71, 71, 72, 72]
    assert at(TUNE, "pitch", "[DF]2 z2|") == [62] * 9
    odd = "X:1\nL:1/8\nK:C\nz ^f' __B,, =c|"
    f = column(odd, "pitch")
    body = odd.index("z ^f'")
    assert math.isnan(f[body]) and math.isnan(f[body + 1])  # no note yet
    assert at(odd, "pitch", "^f'") == [90] * 3 and at(odd, "pitch", "__B,,") == [45] * 5
    assert at(odd, "pitch", "=c|") == [72] * 3


def test_column_counts_from_each_line_start():
    f = column(TUNE, "column")
    second = TUNE.index("g2 a2")
    assert f[second:second + 3].tolist() == [0, 1, 2]
    assert f[second - 1] == TUNE.index("\ng2") - TUNE.rindex("\n", 0, second - 1) - 1  # the newline ends its line


def test_a_text_without_a_key_line_is_all_header():
    f = tune_features("X:1\nT:not a tune\n")
    assert np.isnan(f[:, :FEATURES.index("column")]).all()


@pytest.mark.parametrize("k", range(0, 50, 7))
def test_real_tunes_give_values_in_range(k):
    from musicrnn.data.clean import clean_tunes
    from tests.helpers.music_data import oneills

    (tune,), _ = clean_tunes([oneills(k)])
    f = tune_features(tune)
    bar = f[:, FEATURES.index("bar_position")]
    assert np.nanmin(bar) >= 0 and np.nanmax(bar) <= 1
    for name in ("in_quotes", "in_repeat", "second_part"):
        assert set(np.unique(column(tune, name)[~np.isnan(column(tune, name))])) <= {0.0, 1.0}
    assert 30 < np.nanmin(f[:, FEATURES.index("pitch")]) and np.nanmax(f[:, FEATURES.index("pitch")]) < 110
