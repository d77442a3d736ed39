"""The shipped model (checkpoints/default): loads safely, samples, and its card agrees with the checkpoint.

These tests do not depend on the model's exact outputs, only on properties any retrained default must keep.
"""
import json
from pathlib import Path

import pytest
import torch

from musicrnn.generation.prime import build_prime
from musicrnn.generation.sampler import sample
from musicrnn.model.checkpoint import DEFAULT_DIR, load_model

ROOT = Path(__file__).resolve().parents[2]
CARD = DEFAULT_DIR / "card.json"


@pytest.fixture(scope="module")
def shipped():
    return load_model(None, "cpu")


def test_checkpoint_is_small_and_loads_weights_only(shipped):
    model, vocab, ckpt = shipped
    path = Path(ckpt["path"])
    assert path.parent.resolve() == DEFAULT_DIR.resolve()
    assert path.stat().st_size < 50 * 2**20
    torch.load(path, map_location="cpu", weights_only=True)  # raises on anything but plain tensors and containers
    assert ckpt["data"]["source"] in ("music21", "music21:dance")


def test_card_describes_this_checkpoint(shipped):
    model, vocab, ckpt = shipped
    card = json.loads(CARD.read_text())
    assert card["parameters"] == model.num_parameters()
    assert card["model"] == ckpt["model_config"]
    for key in ("bpc", "loss", "accuracy", "xz9_bpc"):
        assert isinstance(card["validation"][key], float)
    assert card["validation"]["bpc"] < card["validation"]["xz9_bpc"]  # a model worse than xz has learned nothing
    assert len(card["samples"]) == 6 and all(s["abc"].startswith("X:1\n") for s in card["samples"])
    for prime in ("reel", "jig", "all"):
        assert {"parse_rate", "bar_ok_rate", "ended_rate", "lcs_max"} <= set(card["music"][prime])
    assert (DEFAULT_DIR / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_card_readme_is_rendered_from_card_json():
    from musicrnn.report.card_text import render_readme

    card = json.loads(CARD.read_text())
    assert (DEFAULT_DIR / "README.md").read_text() == render_readme(card)


def test_shipped_model_writes_tunes_with_the_primed_header(shipped):
    model, vocab, _ = shipped
    tunes = sample(model, vocab, 4, prime=build_prime(meter="6/8", unit="1/8", key="D"), temperature=1.0, seed=5,
                   max_chars=800)
    for t in tunes:
        assert t.text.startswith("X:1\nL:1/8\nM:6/8\nK:D\n")
        assert len(t.text) > len("X:1\nL:1/8\nM:6/8\nK:D\n") + 20  # a body, not an empty tune


def test_known_limits_carry_the_cards_own_figures():
    from musicrnn.report.card_text import render_readme

    card = json.loads(CARD.read_text())
    card["music_raw"][0]["reel"]["style"]["ends_on_final"] = 0.123  # as the model writes, seed 1
    card["music_seed2"]["jig"]["bar_ok_rate"] = 0.5
    limits = render_readme(card).split("## Known limits")[1]
    seed2 = card["music_raw"][1]["reel"]["style"]["ends_on_final"]
    real = card["music"]["validation_style"]["reel"]["ends_on_final"]
    assert f"reels 0.12-{seed2:.2f} against {real:.2f}" in limits
    assert "50.0-" in limits  # the bars line's lowest reel or jig figure


def test_the_card_says_how_often_the_model_would_have_broken_a_bar():
    from musicrnn.generation.options import DEFAULT_STRICT_BARS
    from musicrnn.report.card_text import render_readme

    card = json.loads(CARD.read_text())
    assert card["music"]["strict_bars"] is DEFAULT_STRICT_BARS  # measured as `generate` samples
    assert all(r["strict_bars"] is not DEFAULT_STRICT_BARS for r in card["music_strict_option"])  # and the other way
    kept = card["music_strict_option"] if not DEFAULT_STRICT_BARS else [card["music"], card["music_seed2"]]
    kept[0]["jig"]["bar_breaks_per_bar"] = 0.0123
    kept[1]["jig"]["bar_ok_rate"] = 0.25
    section = render_readme(card).split("### Bars kept to the meter")[1].split("##")[0]
    assert "| jig | 1.2 / " in section and "/ 25.0 % |" in section
    assert "with bars kept to the meter (`--strict-bars`)" in render_readme(card).split("## Speed")[1]


def test_the_cards_sweep_table_names_each_run():
    from musicrnn.report.card_text import render_readme

    card = json.loads(CARD.read_text())
    card["selection"]["sweep"][0]["name"] = "a | b"
    text = render_readme(card)
    shipped = next(r for r in card["selection"]["sweep"] if r.get("shipped"))
    assert f"| {shipped['round']} | {shipped['name']} | `{shipped['data']}` |" in text
    assert "| a \\| b |" in text  # a name cannot break the table
