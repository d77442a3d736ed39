"""A tune's form (`notation/form.py`): two parts by a repeat sign or by sixteen bars written out."""
from musicrnn.notation.form import TWO_PART_BARS, is_two_part, note_bars, tune_is_two_part

HEAD = "X:1\nL:1/8\nM:2/2\nR:reel\nK:D\n"
BAR = "ABcd efga|"


def test_a_repeat_sign_or_sixteen_bars_make_two_parts():
    assert tune_is_two_part(HEAD + "|:" + BAR * 3 + "d8:|\n")
    assert tune_is_two_part(HEAD + BAR * 4 + "\n" + BAR * 3 + "d8::\n")
    assert tune_is_two_part(HEAD + (BAR * 4 + "\n") * 4)  # both parts written out
    twelve = HEAD + (BAR * 4 + "\n") * 3
    assert not tune_is_two_part(twelve)
    assert note_bars(twelve) == ((BAR * 4 + "\n") * 3, 12)


def test_bars_without_notes_do_not_count_and_a_last_bar_without_its_line_does():
    assert note_bars(HEAD + "|" + BAR * 15 + "d8")[1] == TWO_PART_BARS  # 15 closed bars and an open one
    assert note_bars(HEAD + BAR * 15 + "|||")[1] == 15
    assert not is_two_part("ABcd|]", 15) and is_two_part("ABcd|]", 16)


def test_a_tune_without_a_key_line_is_not_read():
    assert note_bars("X:1\nM:2/2\nABcd|") is None and not tune_is_two_part("X:1\nABcd:|")
    # a repeat sign in the header (here in a title) is not the body's
    assert not tune_is_two_part("X:1\nT:a|:b\nK:D\nABcd|")
