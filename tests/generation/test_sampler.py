import numpy as np
import pytest
import torch

from musicrnn.errors import VocabError
from musicrnn.generation.prime import build_prime
from musicrnn.generation.sampler import sample
from musicrnn.generation.scoring import encode_tunes_lenient, evaluate_source, score_tunes
from musicrnn.model.checkpoint import load_model


@pytest.fixture(scope="module")
def model_vocab(tiny_run):
    model, vocab, _ = load_model(tiny_run)
    return model, vocab


def test_build_prime_orders_fields_like_the_corpus():
    assert build_prime(meter="6/8", unit="1/8", key="D") == "X:1\nL:1/8\nM:6/8\nK:D\n"
    assert build_prime(meter="4/4", key="G", start="|:GABc") == "X:1\nM:4/4\nK:G\n|:GABc"
    assert build_prime(start="X:1\nL:1/8\nK:A\nAB") == "X:1\nL:1/8\nK:A\nAB"


def test_same_seed_same_tunes_and_batch(model_vocab):
    model, vocab = model_vocab
    a = sample(model, vocab, 4, seed=7, max_chars=120)
    b = sample(model, vocab, 4, seed=7, max_chars=120)
    c = sample(model, vocab, 4, seed=8, max_chars=120)
    assert [s.text for s in a] == [s.text for s in b]
    assert [s.text for s in a] != [s.text for s in c]
    assert len(a) == 4 and all(s.text.startswith("X:1\n") for s in a)


def test_each_row_stops_at_its_own_eos_or_max(model_vocab):
    model, vocab = model_vocab
    out = sample(model, vocab, 16, seed=1, max_chars=60, temperature=1.5)
    for s in out:
        body = s.text[len("X:1\n"):]
        assert "<eos>" not in s.text
        assert len(body) <= 60
        if not s.ended:
            assert len(body) == 60


def test_top_k_one_is_greedy(model_vocab):
    model, vocab = model_vocab
    a = sample(model, vocab, 2, seed=1, top_k=1, max_chars=40)
    b = sample(model, vocab, 2, seed=99, top_k=1, max_chars=40)
    assert a[0].text == a[1].text == b[0].text
    ids = torch.tensor([[0] + vocab.encode("X:1\n")])
    first = model(ids)[0][0, -1].argmax().item()
    expected = vocab.tokens[first] if first else ""
    assert a[0].text[4:5] == expected[:1]


def test_tiny_top_p_is_greedy_too(model_vocab):
    model, vocab = model_vocab
    a = sample(model, vocab, 1, seed=1, top_p=1e-6, max_chars=40)
    b = sample(model, vocab, 1, seed=1, top_k=1, max_chars=40)
    assert a[0].text == b[0].text


def test_unknown_prime_chars_listed(model_vocab):
    model, vocab = model_vocab
    with pytest.raises(VocabError, match="'€'"):
        sample(model, vocab, 1, prime="X:1\nK:G\n€GAB")


def test_bad_temperature(model_vocab):
    model, vocab = model_vocab
    with pytest.raises(ValueError, match="temperature"):
        sample(model, vocab, 1, temperature=0)


def test_per_tune_scoring_counts_every_char_and_eos(model_vocab):
    model, vocab = model_vocab
    tunes = ["X:1\nL:1/8\nK:G\nGABc|", "X:1\nK:D\nd2|"]
    arrays, skipped = encode_tunes_lenient(vocab, tunes)
    res = score_tunes(model, arrays)
    assert res["chars"] == sum(len(t) + 1 for t in tunes) and res["tunes"] == 2 and skipped == 0
    # a tune scored alone gives the same total as in a batch (padding masked, fresh state per tune)
    alone = [score_tunes(model, [a]) for a in arrays]
    total = sum(r["loss"] * r["chars"] for r in alone)
    assert total == pytest.approx(res["loss"] * res["chars"], rel=1e-4)


def test_evaluate_outside_abc_skips_unknown_chars(model_vocab, tmp_path):
    model, vocab = model_vocab
    p = tmp_path / "outside.abc"
    p.write_text("X:1\nT:x\nL:1/8\nM:4/4\nK:G\nGABc dedB|$$$$ GABc|\n\nX:2\nK:D\nd2d2|\n")
    res = evaluate_source(model, vocab, p)
    assert res["split"] == "all" and res["tunes"] == 2
    assert res["skipped_chars"] >= 4 and np.isfinite(res["bpc"])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_matches_forward(cell):
    from musicrnn.model.network import CharRNN, ModelConfig

    torch.manual_seed(0)
    m = CharRNN(ModelConfig(vocab_size=40, cell=cell, embedding_dim=8, hidden_size=16, layers=2)).eval()
    x = torch.randint(0, 40, (3, 12))
    with torch.no_grad():
        full, _ = m(x)
        state, steps = None, []
        for t in range(12):
            logits, state = m.step(x[:, t], state)
            steps.append(logits)
    assert torch.allclose(torch.stack(steps, 1), full, atol=1e-5)
