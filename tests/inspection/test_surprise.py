"""Surprise under the shipped model: the same bits as `evaluate`, and every array aligned as documented."""
import numpy as np
import pytest
import torch

from musicrnn.data.vocab import EOS
from musicrnn.generation.scoring import evaluate_source
from musicrnn.inspection import END, note_bits, note_spans, read_tune, read_tunes, source_tunes
from musicrnn.model.checkpoint import load_model
from musicrnn.notation.tunes import split_tunes
from tests.helpers.music_data import oneills


@pytest.fixture(scope="module")
def shipped():
    model, vocab, _ = load_model(None, "cpu")
    return model, vocab


@pytest.mark.parametrize("k", [0, 7, 23])
def test_mean_bits_equal_evaluate_for_a_file_of_one_tune(shipped, tmp_path, k):
    model, vocab = shipped
    path = tmp_path / "one.abc"
    path.write_text(oneills(k))
    expected = evaluate_source(model, vocab, str(path))
    (tune,) = source_tunes(str(path))
    r = read_tune(model, vocab, tune)
    assert r.tokens[-1] == END == EOS and len(r.bits) == r.chars + 1 == expected["chars"]
    assert r.mean_bits == pytest.approx(expected["bpc"], abs=1e-4)
    assert r.total_bits == pytest.approx(r.bits.sum()) and (r.bits >= 0).all()


def test_characters_the_model_lacks_are_left_out_as_evaluate_leaves_them(shipped, tmp_path):
    model, vocab = shipped
    assert "q" not in vocab and "€" not in vocab
    tune = oneills(3).replace("K:", "N:q\nK:", 1).rstrip("\n") + " q|\n"  # a body character the model never saw
    path = tmp_path / "odd.abc"
    path.write_text(tune)
    expected = evaluate_source(model, vocab, str(path))
    (clean,) = source_tunes(str(path))
    r = read_tune(model, vocab, clean)
    assert expected["skipped_chars"] == r.skipped == 1
    assert r.mean_bits == pytest.approx(expected["bpc"], abs=1e-4)
    assert "q" not in r.tokens and len(r.offsets) == len(clean) - 1
    assert "".join(clean[i] for i in r.offsets) == clean.replace("q", "")


def test_arrays_are_aligned_as_documented(shipped):
    """bits[j] and logprobs[j] are about position j given those before; states[i] is after reading char i."""
    model, vocab = shipped
    tune = split_tunes(oneills(1))[0][:120]
    r = read_tune(model, vocab, tune, distributions=True, states=True)
    ids = torch.tensor(r.ids)
    with torch.inference_mode():
        state, logits = None, None
        x = torch.tensor([vocab.eos_id])
        tracker = model.context_reader.tracker() if model.context_reader is not None else None
        for j in range(len(ids)):  # step j reads <eos> (j = 0) or character j - 1, and predicts position j
            context = None if tracker is None else torch.tensor([tracker.feed(int(x[0]))])
            logits, state = model.step(x, state, context)
            lp = torch.log_softmax(logits[0], -1).numpy()
            assert np.allclose(r.logprobs[j], lp, atol=1e-4)
            assert r.bits[j] == pytest.approx(-lp[ids[j]] / np.log(2), abs=1e-4)
            if j >= 1:  # the state after reading character j - 1
                assert np.allclose(r.states[j - 1, :, 0], state[0][:, 0].numpy(), atol=1e-4)  # h of every layer
                assert np.allclose(r.states[j - 1, :, 1], state[1][:, 0].numpy(), atol=1e-4)  # c of every layer
            x = ids[j : j + 1]
    assert r.states.shape == (r.chars, model.cfg.layers, 2, model.cfg.hidden_size) and r.kinds == ("h", "c")


def test_a_batch_reads_each_tune_as_alone(shipped):
    model, vocab = shipped
    tunes = [oneills(k) for k in (2, 5, 9)]
    together = read_tunes(model, vocab, tunes, states=True)
    for t, r in zip(tunes, together):
        alone = read_tune(model, vocab, t, distributions=False)
        assert np.allclose(r.bits, alone.bits, atol=1e-4)


def test_a_note_costs_the_bits_of_its_characters(shipped):
    model, vocab = shipped
    tune = 'X:1\nL:1/8\nM:2/4\nK:D\n"D"A2 ^f/g/|[DF]2 z2|]'
    r = read_tune(model, vocab, tune)
    spans = note_spans(tune)
    assert [(s.text, s.kind) for s in spans] == [("A2", "note"), ("^f/", "note"), ("g/", "note"), ("[DF]2", "chord"),
                                                ("z2", "rest")]
    per_char = r.text_bits()
    assert np.allclose(note_bits(r, spans), [per_char[s.start:s.end].sum() for s in spans])
    assert note_bits(r, spans)[0] == pytest.approx(r.bits[tune.index("A2")] + r.bits[tune.index("A2") + 1])
