"""Endings like the tradition's (`generation/endings.py`): a keep chance per tune type, fitted by bisection to the
share of training tunes that end on their final, stored in the checkpoint, and read back with care."""
import json
import math

import pytest
import torch

from musicrnn.cli.main import main
from musicrnn.errors import OptionError
from musicrnn.generation.endings import TILT_REDRAWS, bisect_keep, calibrate, ending_options, final_share, fitted_keeps
from musicrnn.generation.sampler import sample
from musicrnn.model.checkpoint import atomic_save, load_checkpoint
from musicrnn.notation.fields import header_value
from musicrnn.notation.keys import ends_on_final

JIG = "X:1\nL:1/8\nM:6/8\nR:jig\nK:G\n"


def test_bisection_finds_the_keep_at_which_the_share_meets_the_target():
    calls = []

    def share_at(keep):
        calls.append(keep)
        return 0.95 - 0.55 * keep  # falls as more endings off the final are kept

    keep = bisect_keep(share_at, 0.66, steps=7)
    assert abs(keep - (0.95 - 0.66) / 0.55) <= 1 / 2**7
    assert calls[0] == 1.0 and len(calls) == 8  # the model as it writes, then one step each
    assert bisect_keep(lambda k: 0.7, 0.66) == 1.0  # ends there already: nothing drawn again
    assert bisect_keep(lambda k: 0.5 * (1 - k), 0.9, steps=5) == pytest.approx(1 / 2**6)  # the most it can


def test_a_checkpoint_s_keeps_are_read_only_when_they_are_chances():
    ckpt = {"endings": {"reel": {"keep": 0.2}, "jig": {"keep": "0.1"}, "hornpipe": {"keep": 1.5},
                        "waltz": {"keep": math.nan}, "polka": {"keep": True}, "song": "0.3", 3: {"keep": 0.1},
                        "slip jig": {"keep": 0}}}
    assert fitted_keeps(ckpt) == {"reel": 0.2, "slip jig": 0.0}
    assert fitted_keeps({"endings": ["reel"]}) == {} and fitted_keeps({}) == {}


def test_each_choice_of_endings_is_its_sampler_options():
    ckpt = {"endings": {"reel": {"keep": 0.25, "form_keep": 0.01}, "jig": {"keep": 1.0, "form_keep": "no"}}}
    assert ending_options(ckpt, "reel") == {"final_redraws": TILT_REDRAWS, "final_keep": 0.25, "form_keep": 0.01}
    assert ending_options(ckpt, "reel", "model") == {"final_redraws": 0, "final_keep": 0.0, "form_keep": 1.0}
    assert ending_options(ckpt, "reel", "final") == {"final_redraws": TILT_REDRAWS, "final_keep": 0.0,
                                                     "form_keep": 0.01}
    # no fit for the type, a fit that keeps everything, or no type: the model's own endings and form
    for tune_type in ("hornpipe", "jig", None):
        assert ending_options(ckpt, tune_type) == {"final_redraws": 0, "final_keep": 0.0, "form_keep": 1.0}
    assert fitted_keeps(ckpt, "form_keep") == {"reel": 0.01}  # a hand-edited form keep is not read
    with pytest.raises(OptionError, match="endings 'nice'"):
        ending_options(ckpt, "reel", "nice")


def test_final_share_counts_only_tunes_with_a_key_and_a_note():
    tunes = ["X:1\nK:G\nGAB|G3|]", "X:1\nK:G\nGAB|d3|]", "X:1\nK:none\nAB|]", "X:1\nK:D\nz4|]"]
    assert final_share(tunes) == (0.5, 2)
    assert final_share([]) == (None, 0)


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, "0.5"])
def test_the_keep_option_is_checked(shipped, bad):
    model, vocab = shipped
    with pytest.raises(OptionError, match="final keep"):
        sample(model, vocab, 1, prime=JIG, max_chars=20, final_redraws=2, final_keep=bad)


def test_keeping_some_endings_off_the_final_lands_between_none_and_all(shipped):
    model, vocab = shipped
    shares = {}
    for keep in (0.0, 0.5):
        tunes = sample(model, vocab, 48, prime=JIG, seed=4, max_chars=1200, final_redraws=TILT_REDRAWS,
                       final_keep=keep)
        shares[keep] = final_share([t.text for t in tunes])[0]
        if keep:  # a kept ending off the final is the tune's own, drawn at most 16 times more
            assert any(ends_on_final(t.text) is False and t.redrawn < TILT_REDRAWS for t in tunes)
    raw = final_share([t.text for t in sample(model, vocab, 48, prime=JIG, seed=4, max_chars=1200)])[0]
    assert raw < shares[0.5] < shares[0.0]


def test_calibrate_fits_each_type_to_its_training_tunes(shipped_checkpoint):
    model, vocab, ckpt = shipped_checkpoint
    # jigs that all end on the final, reels that never do, too few hornpipes to fit
    train = (["X:1\nL:1/8\nM:6/8\nR:jig\nK:G\n|:GAB dBG|G3 G3:|"] * 20
             + ["X:1\nL:1/8\nM:4/4\nR:reel\nK:D\nABcd efga|e8|]"] * 20
             + ["X:1\nL:1/8\nM:4/4\nR:hornpipe\nK:D\nd8|]"] * 5)
    table = calibrate(model, vocab, ckpt, train, n=8, batch=8, steps=2, max_chars=800)
    assert set(table) == {"jig", "reel"}
    assert table["reel"]["keep"] == 1.0 and table["reel"]["target"] == 0.0  # the model already ends there
    assert table["jig"]["target"] == 1.0 and table["jig"]["keep"] == 1 / 2**3  # as low as two steps go
    assert table["jig"]["training_tunes"] == 20 and table["jig"]["samples"] == 8
    assert 0 <= table["jig"]["model"] <= table["jig"]["fitted"] <= 1
    # the form: every training jig has two parts (a repeat sign), no training reel has
    assert table["jig"]["form_target"] == 1.0 and table["reel"]["form_target"] == 0.0
    assert table["reel"]["form_keep"] == 1.0  # nothing to put off
    assert table["jig"]["form_model"] <= table["jig"]["form_fitted"] and 0 < table["jig"]["form_keep"] <= 1


def test_the_calibrate_command_stores_the_fit_that_generate_then_uses(tmp_path, capsys):
    ckpt_file = tmp_path / "model.pt"
    stored = load_checkpoint("checkpoints/default")
    stored.pop("path")
    stored["endings"] = {"reel": {"keep": 0.25}, "bogus": {"keep": 7}}  # an earlier fit, and a hand edit
    atomic_save(stored, ckpt_file)
    assert main(["calibrate", "--checkpoint", str(ckpt_file), "--types", "jig", "-n", "8", "--steps", "1",
                 "--device", "cpu", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)["endings"]
    assert set(table) == {"reel", "jig"} and table["reel"] == {"keep": 0.25}  # reels' fit kept, the edit dropped
    again = load_checkpoint(ckpt_file)
    assert again["endings"] == table
    assert all(torch.equal(again["state_dict"][k], v) for k, v in stored["state_dict"].items())  # weights untouched
    from musicrnn.inspection.tune_sets import training_split

    train = training_split(again).tunes
    row = table["jig"]
    assert row["target"] == round(final_share([t for t in train if header_value(t, "R") == "jig"])[0], 4)
    assert main(["generate", "--checkpoint", str(ckpt_file), "--type", "jig", "-n", "2", "--seed", "3",
                 "--max-chars", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["endings"] == "tradition"
    assert out[0]["final_keep"] == (row["keep"] if row["keep"] < 1 else 0.0)
    assert out[0]["form_keep"] == row["form_keep"] and out[0]["put_off"] >= 0
    assert main(["generate", "--checkpoint", str(ckpt_file), "--type", "jig", "-n", "1", "--endings", "model",
                 "--max-chars", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["final_redraws"] == 0
    assert main(["calibrate", "--checkpoint", str(ckpt_file), "--types", "polka"]) == 2  # a type it does not know
    assert "tune type 'polka'" in capsys.readouterr().err
