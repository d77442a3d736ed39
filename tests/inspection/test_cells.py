"""Cells: the correlation code on cases with a known answer, the statistics over real tunes, and their cache."""
import numpy as np
import pytest

from musicrnn.data.clean import clean_tunes
from musicrnn.inspection import FEATURES, CellStats, cell_cache, cell_statistics, correlate, read_tune, unit_activation
from musicrnn.inspection.cells import Correlator
from musicrnn.model.checkpoint import load_model
from tests.helpers.music_data import oneills


@pytest.fixture(scope="module")
def shipped():
    return load_model(None, "cpu")


def test_a_planted_unit_tops_the_list_with_the_r_it_was_built_with():
    rng = np.random.default_rng(0)
    n = 20_000
    f = rng.uniform(0, 1, n)  # variance 1/12
    acts = rng.normal(0, 1, (n, 6))
    acts[:, 4] = 2 * f + rng.normal(0, 0.3, n)  # r = 2 sd(f) / sqrt(4 var(f) + 0.09) = 0.8874
    acts[:, 2] = -f + 5  # exactly anti-correlated, far from 0
    acts[:, 5] = 3.0  # a constant unit
    feats = np.stack([f, np.full(n, 7.0)], axis=1)  # the second feature is constant too
    r = correlate(feats, acts)
    assert r[0, 4] == pytest.approx(2 * np.sqrt(1 / 12) / np.sqrt(4 / 12 + 0.09), abs=0.01)
    assert r[0, 4] == pytest.approx(np.corrcoef(f, acts[:, 4])[0, 1], abs=1e-9)
    assert r[0, 2] == pytest.approx(-1.0, abs=1e-9)
    assert r[0, 5] == 0.0 and (r[1] == 0.0).all() and not np.isnan(r).any()
    stats = CellStats(("f", "constant"), ("h", "c"), r.reshape(2, 1, 2, 3), np.array([n, n]),
                      np.array([True, False]), 1, n)
    top = stats.strongest("f", 2)
    assert [(u.layer, u.kind, u.index) for u in top] == [(0, "h", 2), (0, "c", 1)]  # unit 2 = h 2, unit 4 = c 1
    assert top[0].r == pytest.approx(-1.0) and top[1].r == pytest.approx(0.8874, abs=0.01)
    assert stats.strongest("constant") == []


def test_each_feature_counts_only_where_it_is_defined_and_chunks_add_up():
    rng = np.random.default_rng(1)
    n = 3000
    f = rng.normal(60, 5, n)  # a pitch-like feature far from 0
    f[rng.uniform(size=n) < 0.3] = np.nan
    acts = rng.normal(0, 1, (n, 3))
    acts[:, 1] += 0.2 * np.nan_to_num(f - 60)
    defined = ~np.isnan(f)
    once = correlate(f[:, None], acts)
    assert once[0, 1] == pytest.approx(np.corrcoef(f[defined], acts[defined, 1])[0, 1], abs=1e-9)
    c = Correlator(1, 3, np.array([55.0]))
    for part in np.array_split(np.arange(n), 7):
        c.add(f[part, None], acts[part])
    assert np.allclose(c.r(), once, atol=1e-9)


def test_unit_activation_is_one_units_state_at_every_character(shipped):
    model, vocab, _ = shipped
    r = read_tune(model, vocab, oneills(6), states=True)
    a = unit_activation(r, 1, "c", 17)
    assert a.shape == (r.chars,) and np.array_equal(a, r.states[:, 1, 1, 17])
    with pytest.raises(ValueError, match="units 0 to 383"):
        unit_activation(r, 0, "h", 384)
    with pytest.raises(ValueError, match="no states"):
        unit_activation(read_tune(model, vocab, oneills(6)), 0, "h", 0)


def test_statistics_over_real_tunes_are_finite_and_cached(shipped, monkeypatch):
    model, vocab, _ = shipped
    tunes, _ = clean_tunes([oneills(k) for k in range(8)])  # as the CLI reads them: every character known
    calls = []
    real = cell_cache.compute_statistics
    monkeypatch.setattr(cell_cache, "compute_statistics", lambda *a: calls.append(1) or real(*a))
    first = cell_statistics(model, vocab, tunes)
    path = cell_cache.cache_path(model, vocab, tunes)
    mtime = path.stat().st_mtime_ns
    again = cell_statistics(model, vocab, tunes)
    assert len(calls) == 1 and not first.cached and again.cached and path.stat().st_mtime_ns == mtime
    assert np.array_equal(first.r, again.r) and np.array_equal(first.varies, again.varies)
    assert (first.tunes, first.chars) == (again.tunes, again.chars) == (8, sum(map(len, tunes)))
    assert first.r.shape == (len(FEATURES), 2, 2, 384) and np.isfinite(first.r).all()
    assert first.table(3)["bar_position"][0] == again.table(3)["bar_position"][0]
    # another tune set is another entry; a damaged file is recomputed and replaced
    cell_statistics(model, vocab, tunes[:4])
    assert len(calls) == 2
    path.write_bytes(b"not a cache file")
    assert not cell_statistics(model, vocab, tunes).cached and len(calls) == 3
    assert cell_statistics(model, vocab, tunes).cached and len(calls) == 3


@pytest.mark.slow
def test_the_shipped_model_has_a_cell_for_the_bar_position(shipped):
    """The issue's figure: on tunes the model never saw, a unit follows the position in the bar (|r| >= 0.6)."""
    from musicrnn.inspection import validation_tunes

    model, vocab, ckpt = shipped
    stats = cell_statistics(model, vocab, validation_tunes(ckpt)[:200])
    best = stats.strongest("bar_position", 1)[0]
    assert abs(best.r) >= 0.6
