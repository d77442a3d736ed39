"""What comes next: the model's softmax, and the distribution the sampler draws from under its options."""
import numpy as np
import pytest
import torch

from musicrnn.errors import OptionError
from musicrnn.generation import sampler
from musicrnn.inspection import END, TOP, distributions, next_chars, read_tune
from musicrnn.inspection import next_char as next_char_module
from musicrnn.model.checkpoint import load_model
from tests.helpers.music_data import oneills


@pytest.fixture(scope="module")
def reading():
    model, vocab, _ = load_model(None, "cpu")
    tune = oneills(4)
    return model, vocab, read_tune(model, vocab, tune)


def entropy(p):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def test_the_chart_and_the_sampler_share_one_function():
    assert next_char_module.sampling_distribution is sampler.sampling_distribution


@pytest.mark.parametrize("options", [{}, {"temperature": 0.5}, {"temperature": 3.0, "top_k": 7},
                                     {"top_p": 0.8}, {"temperature": 1.3, "top_k": 20, "top_p": 0.95}])
def test_probabilities_sum_to_one(reading, options):
    _, _, r = reading
    model, sampling = distributions(r, **options)
    assert model.shape == sampling.shape == (r.chars + 1, len(r.vocabulary))
    assert np.abs(model.sum(1) - 1).max() < 1e-6 and np.abs(sampling.sum(1) - 1).max() < 1e-6
    assert (sampling >= 0).all()


def test_at_temperature_one_without_filters_it_is_the_models_softmax(reading):
    model, vocab, r = reading
    with torch.inference_mode():
        x = torch.tensor([[vocab.eos_id, *r.ids[:-1]]])
        softmax = torch.softmax(model(x)[0][0], -1).numpy()
    for after in (-1, 0, 40, r.chars - 1):
        nc = next_chars(r, after)
        assert np.abs(nc.model - softmax[after + 1]).max() < 1e-6
        assert np.abs(nc.sampling - nc.model).max() < 1e-6
        assert nc.actual == r.tokens[after + 1]
    assert next_chars(r, r.chars - 1).actual == END


def test_top_lists_fifteen_most_likely_first(reading):
    _, _, r = reading
    top = next_chars(r, 30).top()
    assert len(top) == TOP == 15
    probs = [p for _, p, _ in top]
    assert probs == sorted(probs, reverse=True)
    assert len({c for c, _, _ in top}) == 15


def test_top_k_keeps_k_characters(reading):
    _, _, r = reading
    nc = next_chars(r, 50, top_k=5)
    kept = np.flatnonzero(nc.sampling > 0)
    assert len(kept) == 5
    assert set(kept) == set(np.argsort(-nc.model)[:5])
    assert nc.sampling[kept] == pytest.approx(nc.model[kept] / nc.model[kept].sum())


def test_top_p_keeps_the_smallest_set_holding_that_mass(reading):
    _, _, r = reading
    model, sampling = distributions(r, top_p=0.9)
    for j in range(0, r.chars, 17):
        order = np.argsort(-model[j])
        kept = np.flatnonzero(sampling[j] > 0)
        mass = model[j][kept].sum()
        assert set(kept) == set(order[: len(kept)])  # the most likely ones
        assert mass >= 0.9 - 1e-9 or len(kept) == len(order)
        assert mass - model[j][order[len(kept) - 1]] < 0.9  # without the last one kept, short of 0.9


def test_temperature_flattens_and_sharpens(reading):
    _, _, r = reading
    rows = range(0, r.chars, 11)
    cold, hot = distributions(r, temperature=0.5)[1], distributions(r, temperature=2.0)[1]
    base = distributions(r)[0]
    for j in rows:
        if base[j].max() < 0.999:  # a certain character stays certain at any temperature
            assert entropy(cold[j]) < entropy(base[j]) < entropy(hot[j])
        assert np.argmax(cold[j]) == np.argmax(base[j]) == np.argmax(hot[j])


def test_bad_options_and_positions_are_one_clear_error(reading):
    _, _, r = reading
    with pytest.raises(OptionError, match="temperature"):
        next_chars(r, 3, temperature=0)
    with pytest.raises(OptionError, match="top-p"):
        next_chars(r, 3, top_p=1.5)
    with pytest.raises(ValueError, match="position"):
        next_chars(r, r.chars)
