"""Tune types: the rhythm field as one normalized value, and each type's beat and session pace."""
from __future__ import annotations

from fractions import Fraction

import pytest

from musicrnn.notation.tune_types import TUNE_TYPES, normalize_rhythm, type_tempo


@pytest.mark.parametrize("raw,want", [
    ("Reel", "reel"), (" reel ", "reel"), ("REEL", "reel"), ("double jig", "jig"), ("Jig", "jig"),
    ("slipjig", "slip jig"), ("Slip-Jig", "slip jig"), ("slip jig", "slip jig"), ("Hornpipe", "hornpipe"),
    ("clog", "hornpipe"), ("Strathspey", "strathspey"), ("highland fling", "fling"), ("barn dance", "barndance"),
    ("Waltz", "waltz"), ("Polka", "polka"), ("air", "air"), ("Liebes - Lied", "song"),
    ("Romanze, Ballade, Lied", "song"), ("Xiaodiao]", "song"), ("???", "song"), ("Hornpipe (clog)", "hornpipe"),
])
def test_rhythm_values_become_one_tune_type(raw, want):
    assert normalize_rhythm(raw) == want


def test_a_tune_without_a_q_plays_at_its_types_pace():
    assert type_tempo("X:1\nR:Double Jig\nM:6/8\nK:D\nABc|") == 168  # 112 dotted quarters
    assert type_tempo("X:1\nR:reel\nM:4/4\nK:D\nABcd|") == 200  # 100 half notes
    assert type_tempo("X:1\nR:reel\nQ:1/4=90\nK:D\nABcd|") is None  # its Q: is its own word
    assert type_tempo("X:1\nM:4/4\nK:D\nR:reel\nABcd|") is None  # an R: in the body is not the header's
    assert type_tempo("X:1\nK:D\nABcd|") is None


def test_each_type_counts_its_tempo_in_its_own_beat():
    assert TUNE_TYPES["jig"].beat == Fraction(3, 8) and TUNE_TYPES["jig"].quarter_tempo() == 168.0
    assert TUNE_TYPES["reel"].quarter_tempo() == 200.0 and TUNE_TYPES["polka"].quarter_tempo() == 130.0
