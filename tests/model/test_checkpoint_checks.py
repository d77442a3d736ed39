"""A checkpoint is checked before anything is built from it: sizes, shapes, and pickles that could run code."""
from __future__ import annotations

import os
import time

import pytest
import torch

from musicrnn.errors import CheckpointError
from musicrnn.model.checkpoint import DEFAULT_DIR, load_model

SHIPPED = DEFAULT_DIR / "model.pt"


def edited(tmp_path, change) -> str:
    ckpt = torch.load(SHIPPED, weights_only=True)
    ckpt = {**ckpt, "model_config": dict(ckpt["model_config"]), "state_dict": dict(ckpt["state_dict"])}
    change(ckpt)
    path = tmp_path / "edited.pt"
    torch.save(ckpt, path)
    return str(path)


def one_line_error(path) -> str:
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)
    return str(e.value)


def test_a_config_asking_for_a_billion_units_is_refused_at_once(tmp_path):
    path = edited(tmp_path, lambda c: c["model_config"].update(hidden_size=10**9))
    t0 = time.perf_counter()
    assert "asks for hidden_size 1,000,000,000, more than the 8,192" in one_line_error(path)
    assert time.perf_counter() - t0 < 5


def test_weights_of_another_shape_are_one_line(tmp_path):
    path = edited(tmp_path, lambda c: c["model_config"].update(hidden_size=400))
    assert "rnn.weight_ih_l0 has shape (1536, 64), the config needs (1600, 64)" in one_line_error(path)
    path = edited(tmp_path, lambda c: c["state_dict"].pop("head.bias"))
    assert "missing head.bias" in one_line_error(path)
    path = edited(tmp_path, lambda c: c["model_config"].update(layers="two"))
    assert "field 'layers' is \"two\"" in one_line_error(path)


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/musicrnn-pwned",))


def test_an_unsafe_pickle_is_refused_as_unsafe_and_never_run(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "musicrnn-checkpoint", "version": 1, "model_config": {}, "x": Payload()}, path)
    message = one_line_error(path)
    assert "refused as unsafe" in message and "weights_only" not in message
    assert not os.path.exists("/tmp/musicrnn-pwned")
    (tmp_path / "cut.pt").write_bytes(SHIPPED.read_bytes()[:4096])
    assert "truncated or another format" in one_line_error(tmp_path / "cut.pt")


def test_a_config_within_limits_but_too_big_to_build_is_checked_without_allocating(tmp_path):
    path = edited(tmp_path, lambda c: c["model_config"].update(hidden_size=8192, layers=16))  # ~17 G weights
    t0 = time.perf_counter()
    assert "do not match its config (16 x 8192 lstm): missing rnn.bias_hh_l10" in one_line_error(path)
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("shape", [(8, 16, 1, False), (64, 384, 2, True), (512, 64, 3, True), (16, 1024, 1, False)])
def test_weight_bound_is_never_below_the_weights(cell, shape):
    from musicrnn.model.checkpoint import weight_bound
    from musicrnn.model.network import CharRNN, ModelConfig

    e, h, layers, context = shape
    cfg = ModelConfig(vocab_size=90, embedding_dim=e, hidden_size=h, layers=layers, cell=cell,
                      key_context=context, bar_context=context)
    tokens = ["<eos>"] + [chr(33 + i) for i in range(89)]
    weights = CharRNN(cfg, tokens).num_parameters()
    assert weights <= weight_bound(cfg) <= 4 * weights  # it only says where a config's shapes are read


def test_loading_the_shipped_model_does_not_import_the_compiler():
    import subprocess
    import sys

    code = ("import sys; from musicrnn.model.checkpoint import load_model; load_model(None); "
            "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo imported'")  # 2-6 s on a cold app page
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
