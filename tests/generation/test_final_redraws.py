"""End on the final (`sample(final_redraws=N)`): a tune whose last note is not its key's final has its last bar
drawn again from the state before that bar's opening bar line (a draw that goes on past that bar is drawn again
too); every other tune is drawn exactly as without it."""
import pytest

from musicrnn.errors import OptionError
from musicrnn.generation.sampler import sample
from musicrnn.notation.durations import last_note_start, scan_body
from musicrnn.notation.keys import ends_on_final

JIG = "X:1\nL:1/8\nM:6/8\nR:jig\nK:G\n"


def bar_count(abc: str) -> int:
    return len(scan_body(abc.split("\n"))[1].closed)


def test_ends_on_final_reads_the_key_and_the_last_note():
    assert ends_on_final("X:1\nK:G\nGAB dBG|G3 G2|]") is True
    assert ends_on_final("X:1\nK:G\nGAB dBG|d3 d2|]") is False
    assert ends_on_final("X:1\nK:Ador\nABc|[CEA]2 A2|]") is True  # the modal final: A
    assert ends_on_final("X:1\nK:D\nAB ^c|]") is False and ends_on_final("X:1\nK:D\nd2 z2|]") is True  # rests skip
    assert ends_on_final("X:1\nK:Bb\nF2 B2|]") is True  # B is flat in B flat
    assert ends_on_final("X:1\nK:none\nAB|]") is None and ends_on_final("X:1\nAB|]") is None


def test_the_last_note_skips_chord_symbols_decorations_and_inline_fields():
    text = 'X:1\nK:G\nGAB|"D7"d2!trill!c [K:Am] z2|\nK:D\n'
    assert last_note_start(text) == text.index("c [")
    assert last_note_start('X:1\nK:G\n"Em" !fermata! [M:3/4]|') is None
    chord = "X:1\nK:G\nGA [Bd]2 {c}z|"
    assert last_note_start(chord) == chord.index("[Bd]")  # a chord sounds; a grace note and a rest do not


@pytest.mark.parametrize("bad", [-1, 17, True, 1.5])
def test_the_option_is_checked(shipped, bad):
    model, vocab = shipped
    with pytest.raises(OptionError, match="final redraws"):
        sample(model, vocab, 1, prime=JIG, max_chars=20, final_redraws=bad)


def test_redraws_change_only_the_tunes_that_miss_the_final(shipped):
    model, vocab = shipped
    plain = sample(model, vocab, 24, prime=JIG, temperature=1.0, seed=4, max_chars=1200)
    redrawn = sample(model, vocab, 24, prime=JIG, temperature=1.0, seed=4, max_chars=1200, final_redraws=3)
    missed = [i for i, s in enumerate(plain) if s.ended and ends_on_final(s.text) is False]
    assert missed, "no tune of this seed misses the final: the test would prove nothing"
    for i, (a, b) in enumerate(zip(plain, redrawn)):
        if i not in missed:  # the draws are the same as without the option
            assert b.text == a.text and b.redrawn == 0 and a.redrawn == 0
        else:  # drawn again from before the last bar: the same tune up to there, a new last bar
            assert 1 <= b.redrawn <= 3
            last_bar = a.text.rstrip(":|]\n ").rfind("|")
            assert b.text[:last_bar] == a.text[:last_bar]
            assert b.redrawn == 3 or ends_on_final(b.text) is True
            if b.redrawn < 3:  # the last bar drawn again, not the tune gone on past it
                assert bar_count(b.text) <= bar_count(a.text) + 1
    fixed = sum(ends_on_final(redrawn[i].text) is True for i in missed)
    assert fixed >= len(missed) // 3  # a few redraws find the final for many of them


def test_no_redraws_is_the_plain_sampler(shipped):
    model, vocab = shipped
    a = sample(model, vocab, 6, prime=JIG, seed=11, max_chars=400)
    b = sample(model, vocab, 6, prime=JIG, seed=11, max_chars=400, final_redraws=0)
    assert [s.text for s in a] == [s.text for s in b] and all(s.redrawn == 0 for s in b)
