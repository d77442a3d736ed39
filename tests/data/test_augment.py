"""Key augmentation of the training stream (`prepare(augment_keys=N)`): N transposed copies of every training tune,
the validation stream untouched, a cache entry of its own."""
from __future__ import annotations

import pytest

from musicrnn.data.sources import read_source
from musicrnn.data.stream import cache_folder, prepare, split_stream
from musicrnn.errors import OptionError
from musicrnn.training.config import TrainConfig


def tunes(prepared, stream):
    return [prepared.vocab.decode(t) for t in split_stream(stream)]


def test_augmented_train_stream_holds_the_copies_and_validation_is_unchanged(small_abc_corpus):
    plain = prepare(str(small_abc_corpus))
    more = prepare(str(small_abc_corpus), augment_keys=2)
    assert tunes(more, more.val) == tunes(plain, plain.val)
    originals, augmented = tunes(plain, plain.train), tunes(more, more.train)
    assert augmented[: len(originals)] == originals  # the tunes first, then their copies
    d = more.description
    assert d["augment_keys"] == 2 and "augment_keys" not in plain.description
    assert len(augmented) == len(originals) + d["augment_copies"]
    assert d["augment_copies"] >= 1.9 * len(originals) and d["augment_refused"] < 0.05 * len(originals)
    assert 2.7 < len(more.train) / len(plain.train) < 3.1  # about three times as long
    assert not set(augmented[len(originals):]) & set(tunes(plain, plain.val))
    assert set(plain.vocab.tokens) <= set(more.vocab.tokens)
    print(f"{len(originals)} tunes, {d['augment_copies']} copies, {d['augment_refused']} refused; "
          f"train {len(plain.train)} -> {len(more.train)} characters")


def test_each_augmentation_has_its_own_cache_entry(small_abc_corpus):
    raw = read_source(str(small_abc_corpus))
    folders = {cache_folder(raw, 0.05, False, n) for n in (0, 1, 2)}
    assert len(folders) == 3 and cache_folder(raw) == cache_folder(raw, 0.05, False, 0)
    assert "keys" not in cache_folder(raw).name  # caches written before augmentation stay valid
    first = prepare(str(small_abc_corpus), augment_keys=1)
    again = prepare(str(small_abc_corpus), augment_keys=1)
    assert again.cached and (again.train == first.train).all() and again.description == first.description


@pytest.mark.parametrize("bad", [-1, 12, 1.5, True])
def test_augment_keys_is_checked(bad):
    with pytest.raises(OptionError, match="augment_keys"):
        TrainConfig(augment_keys=bad)
    assert TrainConfig(augment_keys=11).augment_keys == 11
