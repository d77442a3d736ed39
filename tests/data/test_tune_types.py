"""Tune types in the corpus and the prime: the rhythm field kept by cleaning, counted, and asked for."""
from __future__ import annotations

import pytest

from musicrnn.data.clean import CleanReport, clean_tune
from musicrnn.data.split import is_validation, load_corpus, tune_type_table
from musicrnn.errors import OptionError
from musicrnn.generation.prime import build_prime, known_types, prime_type, type_prime
from musicrnn.notation.fields import header_field


def test_cleaning_keeps_the_tune_type_before_the_key():
    tune = "X:3\nT:The Kesh\nR: Double Jig\nM:6/8\nL:1/8\nK:G\nGAG GAB|ABA ABd|\n"
    report = CleanReport()
    assert clean_tune(tune, report) == "X:1\nL:1/8\nM:6/8\nR:jig\nK:G\nGAG GAB|ABA ABd|"
    assert report.changed["rhythm_normalized"] == 1
    # the rhythm field moves no tune between the splits: the split hashes the tune without it
    with_type = clean_tune(tune, CleanReport())
    without = clean_tune(tune.replace("R: Double Jig\n", ""), CleanReport())
    assert all(is_validation(with_type, f) == is_validation(without, f) for f in (0.05, 0.3, 0.5, 0.7))


def test_the_bundled_dance_collections_have_types_and_the_songs_are_songs():
    corpus = load_corpus("music21:dance")
    table = corpus.describe()["tune_types"]
    assert list(table)[:3] == ["reel", "jig", "hornpipe"]  # double jigs are jigs
    assert table["reel"]["tunes"] > 500 and table["jig"]["meter"] == "6/8" and table["slip jig"]["meter"] == "9/8"
    assert table["song"]["tunes"] < 20  # a few airs named by their composer (R:c:O'Carolan); no Essen songs
    assert tune_type_table(["X:1\nL:1/8\nM:3/4\nR:waltz\nK:F\nA|", "X:1\nL:1/8\nM:4/4\nK:D\nd|"]) == {
        "waltz": {"tunes": 1, "meter": "3/4", "unit": "1/8"}}


def test_a_type_prime_says_what_the_model_knows_and_refuses_what_it_does_not():
    data = {"tune_types": {"reel": {"tunes": 600, "meter": "2/2", "unit": "1/8"},
                           "waltz": {"tunes": 4, "meter": "3/4", "unit": "1/8"}}}
    assert list(known_types(data)) == ["reel"]  # 4 waltzes are too few to have learned them
    assert type_prime("reel", data, key="D") == "X:1\nL:1/8\nM:2/2\nR:reel\nK:D\n"
    assert type_prime("reel", data, meter="4/4") == "X:1\nL:1/8\nM:4/4\nR:reel\n"  # --meter still overrides
    with pytest.raises(OptionError, match="this model knows reel"):
        type_prime("waltz", data)
    with pytest.raises(OptionError, match="trained without tune types"):
        type_prime("reel", {"source": "data/irishman"})
    assert build_prime("6/8", "1/8", "D", tune_type="jig") == "X:1\nL:1/8\nM:6/8\nR:jig\nK:D\n"


def test_a_primes_type_and_fields_are_read_from_its_header_only():
    prime = "X:1\nM:6/8\nR:jig\nK:G\n|:D|GAG GAB|\nR:reel\nM:4/4\nK:D\n"  # a body may change them later
    assert (prime_type(prime), header_field(prime, "M"), header_field(prime, "K")) == ("jig", "6/8", "G")
    assert prime_type("X:1\nR:Liebeslied\nK:C\n") is None  # not a type the library knows
    assert header_field("X:1\nM:3/4\n", "M") == "3/4" and header_field("X:1\nM:3/4\n", "K") is None
