"""The studio's sentence on what the sampler's steering did to a tune."""
from __future__ import annotations

from app_support.steering import steering_note


def test_a_tune_left_to_the_model_has_no_note():
    assert steering_note() is None and steering_note(0, 0, 0) is None


def test_each_kind_of_steering_is_told_with_its_count():
    assert "a bar too long once;" in steering_note(bar_breaks=1)
    both = steering_note(bar_breaks=3, put_off=2)
    assert "a bar too long 3 times" in both and "second part 2 times" in both and "final" not in both
    assert "drawn again once" in steering_note(redrawn=1)
