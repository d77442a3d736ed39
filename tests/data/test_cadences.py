"""The cadence weights: which characters are a part's last bars, and how training weighs them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from musicrnn.data.batches import IGNORE, TuneChunks, make_batches
from musicrnn.data.cadences import cadence_spans, cadence_weights, last_note_spans
from musicrnn.data.context import EOS_CHAR
from musicrnn.errors import OptionError
from musicrnn.training.config import TrainConfig
from musicrnn.training.loop import loss_fn
from tests.helpers.music_data import oneills

JIG = ("X:1\nT:Two parts\nR:jig\nM:6/8\nL:1/8\nK:G\n|:GAB cde|fga bag|fed cBA|G3 G3:|\n"
       "|:dBd gdB|ABc d2e|1 fed cBA|G3 G3:|2 gfe dcB|G3 G2|]\n")


def _cadences(tune: str, bars: int = 2) -> list[str]:
    return [tune[a:b] for a, b in cadence_spans(tune, bars)]


def test_a_part_ends_at_its_closing_bar_line_and_each_ending_is_one():
    assert _cadences(JIG) == ["fed cBA|G3 G3:|", "1 fed cBA|G3 G3:|", "2 gfe dcB|G3 G2|]"]
    assert _cadences(JIG, bars=1) == ["G3 G3:|", "G3 G3:|", "G3 G2|]"]


def test_a_cadence_never_reaches_back_past_the_part_or_the_body():
    short = "X:1\nM:2/4\nK:D\nDF A2|]\n"
    assert _cadences(short, bars=2) == ["DF A2|]"]  # no bar line before it: from the body's start
    parts = "X:1\nM:2/4\nK:D\nDF A2|d4||fe dc|d4|]\n"
    assert _cadences(parts, bars=3) == ["DF A2|d4||", "fe dc|d4|]"]


def test_field_lines_in_the_body_hold_no_bar_line_and_the_last_bar_line_closes():
    tune = "X:1\nM:6/8\nK:D\nDFA dAF|GBd gfe|\nP:B\nfaf gfe|d3 d2|\n"
    assert _cadences(tune) == ["\nP:B\nfaf gfe|d3 d2|"]
    assert _cadences("X:1\nT:no body\n") == []


def test_real_tune_cadences_end_on_its_part_bar_lines():
    tune = oneills(0)
    spans = cadence_spans(tune)
    assert len(spans) >= 2
    for a, b in spans:
        assert tune[a:b].rstrip().endswith(("|", "]", ":")), tune[a:b]
        assert "K:" not in tune[a:b]
    assert spans[-1][1] == len(tune.rstrip("\n")) or tune[spans[-1][1]:].strip() == ""


def test_weights_mark_the_cadences_of_each_tune_of_a_stream():
    a, b = JIG, "X:2\nM:2/4\nK:D\nDF A2|d4||fe dc|d4|]\n"
    text = a + EOS_CHAR + b + EOS_CHAR
    w = cadence_weights(text, 4.0)
    spans = cadence_spans(a) + [(s + len(a) + 1, e + len(a) + 1) for s, e in cadence_spans(b)]
    expected = np.array([4.0 if any(s <= i < e for s, e in spans) else 1.0 for i in range(len(text))])
    assert w.dtype == np.float32 and np.array_equal(w, expected)
    assert [text[s:e] for s, e in spans[3:]] == ["DF A2|d4||", "fe dc|d4|]"]


def test_the_last_note_of_each_part_is_its_accidentals_and_letter():
    assert [JIG[a:b] for a, b in last_note_spans(JIG)] == ["G", "G", "G"]
    tune = 'X:1\nM:6/8\nK:D\nfed cBA|"A7"B ^c2 {ef}!trill!d3:|\n|:fed "G"_B2 {g}"D"=d||\n'
    assert [tune[a:b] for a, b in last_note_spans(tune)] == ["d", "=d"]  # grace notes and chord symbols are not
    w = cadence_weights(tune + EOS_CHAR, 5.0, bars=0)
    assert "".join(c for c, x in zip(tune, w) if x == 5.0) == "d=d"


@pytest.mark.parametrize("bad", [-1, 17, 1.5, True])
def test_cadence_bars_is_checked(bad):
    with pytest.raises(OptionError, match="cadence_bars"):
        TrainConfig(cadence_bars=bad)


@pytest.mark.parametrize("mode", ["random", "tunes"])
def test_batches_carry_the_weight_of_each_target(mode):
    rng = np.random.default_rng(0)
    stream = np.concatenate([np.append(rng.integers(1, 30, n - 1), 0) for n in (7, 19, 40, 12, 33)])
    weight = stream.astype(np.float32) + 0.5  # each target's weight names its own id: alignment is checkable
    batches = make_batches(mode, stream, seq_len=8, batch_size=3, gen=torch.Generator().manual_seed(1), seed=1,
                           weight=weight)
    for _ in range(12):
        b = batches.next()
        real = b.y != IGNORE
        assert torch.equal(b.weight[real], b.y[real].float() + 0.5)
        assert (b.weight[~real] == 0).all()


def test_weighted_loss_is_the_weighted_mean_and_ones_change_nothing():
    torch.manual_seed(0)
    logits, y = torch.randn(2, 5, 7), torch.randint(0, 7, (2, 5))
    y[1, 3:] = IGNORE
    plain = loss_fn(logits, y)
    assert torch.allclose(loss_fn(logits, y, torch.ones(2, 5)), plain)
    each = torch.nn.functional.cross_entropy(logits.reshape(-1, 7), y.reshape(-1), ignore_index=IGNORE,
                                             reduction="none").reshape(2, 5)
    w = torch.ones(2, 5)
    w[0, 0] = 9.0
    w[1, 4] = 100.0  # padding: no weight makes it count
    keep = y != IGNORE
    expected = (each * w * keep).sum() / (w * keep).sum()
    assert torch.allclose(loss_fn(logits, y, w), expected)
    assert not torch.allclose(loss_fn(logits, y, w), plain)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), 1000])
def test_cadence_weight_is_checked(bad):
    with pytest.raises(OptionError, match="cadence_weight"):
        TrainConfig(cadence_weight=bad)


def test_tune_chunks_weights_follow_the_tunes_they_belong_to():
    text = JIG + EOS_CHAR
    ids = np.array([0 if c == EOS_CHAR else 1 + ord(c) % 50 for c in text])
    weight = cadence_weights(text, 3.0)
    chunks = TuneChunks(ids, seq_len=1000, batch_size=1, seed=0, weight=weight)
    b = chunks.next()
    assert torch.equal(b.weight[0, : len(ids)], torch.from_numpy(weight))
