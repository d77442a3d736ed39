"""Wrong notes in the training inputs: only note letters change, about the share asked for, reproducibly."""
from __future__ import annotations

import pytest
import torch

from musicrnn.data.note_noise import NOTE_LETTERS, add_note_noise, note_ids
from musicrnn.data.vocab import Vocab
from musicrnn.errors import OptionError
from musicrnn.training.config import TrainConfig
from tests.helpers.music_data import oneills


@pytest.fixture(scope="module")
def encoded():
    tunes = [oneills(k) for k in range(12)]
    vocab = Vocab.from_texts(tunes)
    width = min(len(t) for t in tunes)
    x = torch.tensor([vocab.encode(t)[:width] for t in tunes])
    return vocab, x


def test_only_note_letters_change_and_into_note_letters(encoded):
    vocab, x = encoded
    notes = note_ids(vocab.tokens)
    assert {vocab.tokens[i] for i in notes.tolist()} == NOTE_LETTERS & set(vocab.tokens)
    noisy = add_note_noise(x, notes, 1.0, torch.Generator().manual_seed(0))
    is_note = torch.isin(x, notes)
    assert torch.equal(noisy[~is_note], x[~is_note])  # bar lines, lengths, header text: untouched
    assert torch.isin(noisy[is_note], notes).all()
    assert (noisy[is_note] != x[is_note]).float().mean() > 0.8  # 1 in 14 redraws its own letter


def test_the_share_is_about_what_was_asked_and_the_generator_decides(encoded):
    vocab, x = encoded
    notes = note_ids(vocab.tokens)
    is_note = torch.isin(x, notes)
    a = add_note_noise(x, notes, 0.2, torch.Generator().manual_seed(5))
    changed = (a != x)[is_note].float().mean().item()
    assert 0.2 * 12 / 14 * 0.8 < changed < 0.2 * 13 / 14 * 1.2
    assert torch.equal(a, add_note_noise(x, notes, 0.2, torch.Generator().manual_seed(5)))
    assert not torch.equal(a, add_note_noise(x, notes, 0.2, torch.Generator().manual_seed(6)))
    assert add_note_noise(x, notes, 0.0, torch.Generator()) is x


@pytest.mark.parametrize("bad", [-0.1, 0.6, float("inf")])
def test_note_noise_is_checked(bad):
    with pytest.raises(OptionError, match="note_noise"):
        TrainConfig(note_noise=bad)
