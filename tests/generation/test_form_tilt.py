"""The form tilt (`form_keep`): a tune that would end before its second part goes on, as real dance tunes do."""
import math

import pytest

from musicrnn.errors import OptionError
from musicrnn.generation.options import MAX_REDRAWS
from musicrnn.generation.sampler import sample
from musicrnn.notation.form import tune_is_two_part

REEL = "X:1\nL:1/8\nM:2/2\nR:reel\n"


def test_an_end_before_the_second_part_is_drawn_again(shipped):
    model, vocab = shipped
    raw = sample(model, vocab, 24, prime=REEL, seed=2, max_chars=1200)
    assert sum(not tune_is_two_part(t.text) for t in raw) >= 2  # the model stops some reels after twelve bars
    assert all(t.put_off == 0 for t in raw)
    tilted = sample(model, vocab, 24, prime=REEL, seed=2, max_chars=1200, form_keep=0.0)
    assert any(t.put_off for t in tilted)
    assert all(t.ended for t in tilted)  # they go on, and then end by themselves
    assert all(tune_is_two_part(t.text) or t.put_off == MAX_REDRAWS for t in tilted)


def test_the_form_tilt_works_with_bars_kept_to_the_meter(shipped):
    model, vocab = shipped
    tunes = sample(model, vocab, 24, prime=REEL, seed=3, max_chars=1200, form_keep=0.0, strict_bars=True)
    assert any(t.put_off for t in tunes) and all(t.ended for t in tunes)
    assert all(tune_is_two_part(t.text) or t.put_off == MAX_REDRAWS for t in tunes)


def test_with_the_tilt_off_the_draws_are_the_model_s_own(shipped):
    model, vocab = shipped
    a = sample(model, vocab, 4, prime=REEL, seed=5, max_chars=300)
    b = sample(model, vocab, 4, prime=REEL, seed=5, max_chars=300, form_keep=1.0)
    assert [t.text for t in a] == [t.text for t in b]


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, "0.5"])
def test_the_form_keep_option_is_checked(shipped, bad):
    model, vocab = shipped
    with pytest.raises(OptionError, match="form keep"):
        sample(model, vocab, 1, prime=REEL, max_chars=20, form_keep=bad)
