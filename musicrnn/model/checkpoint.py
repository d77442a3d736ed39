"""Checkpoints: config, vocabulary, weights, metrics and data description in one file.

Everything inside is a plain type or a tensor, so `torch.load(path, weights_only=True)` reads it.
Writes are atomic (temp file, fsync, `os.replace`): a crash mid-save never leaves a half-written file.
"""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import torch

from musicrnn.data.vocab import EOS, Vocab
from musicrnn.errors import CheckpointError, MusicRNNError
from musicrnn.files import atomic_write
from musicrnn.model.network import BAR_INPUTS, KEY_INPUTS, CharRNN, ModelConfig
from musicrnn.records import shown

FORMAT = "musicrnn-checkpoint"
VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "checkpoints" / "default"
#: File names a checkpoint folder may hold, in the order `resolve` looks for them.
BEST, SHIPPED, LAST = "best.pt", "model.pt", "last.pt"


def atomic_save(obj, path: str | os.PathLike) -> None:
    """`torch.save` that never leaves a half-written file (see `musicrnn.files.atomic_write`)."""
    atomic_write(path, lambda f: torch.save(obj, f), suffix=".tmp")


def make_checkpoint(model: torch.nn.Module, cfg: ModelConfig, vocab: Vocab, *, metrics: dict, data: dict,
                    train_config: dict, **extra) -> dict:
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"format": FORMAT, "version": VERSION, "model_config": cfg.to_dict(), "vocab": list(vocab.tokens),
            "state_dict": state, "metrics": metrics, "data": data, "train_config": train_config, **extra}


def resolve(path: str | os.PathLike | None) -> Path:
    """A checkpoint file, or a folder holding `best.pt` or `model.pt`; None means the shipped default."""
    p = Path(path).expanduser() if path not in (None, "", "default") else DEFAULT_DIR
    if p.is_dir():
        for name in (BEST, SHIPPED, LAST):
            if (p / name).is_file():
                return p / name
        raise CheckpointError(f"{p}: folder holds no best.pt, model.pt or last.pt")
    if not p.exists():
        raise CheckpointError(f"{p}: no such checkpoint")
    return p


#: Largest sizes a checkpoint's config may ask for (the shipped model: 2 x 384, embedding 64, 96 characters).
LIMITS = {"vocab_size": 1024, "embedding_dim": 8192, "hidden_size": 8192, "layers": 16}


def load_checkpoint(path, map_location="cpu") -> dict:
    """Load a checkpoint dict with `weights_only=True` and check it before anything is built from it: its
    marker and version, a vocabulary of characters, a config within LIMITS, and tensors of exactly the shapes
    that config needs. Every problem is one CheckpointError line naming the file."""
    p = resolve(path)
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower():
            raise CheckpointError(f"{p}: refused as unsafe: it holds Python objects other than tensors and plain "
                                  "values, which could run code when loaded; it was not loaded") from None
        raise CheckpointError(f"{p}: not a readable musicrnn checkpoint (truncated or another format)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError, TypeError,
            AttributeError):
        raise CheckpointError(f"{p}: not a readable musicrnn checkpoint (truncated or another format)") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a musicrnn checkpoint (no '{FORMAT}' marker)")
    version = ckpt.get("version", 0)
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(f"{p}: checkpoint version {shown(version)} is not one this musicrnn reads "
                              f"(up to {VERSION})")
    for key in ("model_config", "vocab", "state_dict"):
        if key not in ckpt:
            raise CheckpointError(f"{p}: checkpoint lacks its '{key}' field")
    ckpt["model_config"] = _checked_config(p, ckpt)
    ckpt["path"] = str(p)
    return ckpt


#: Weights up to which a config's shapes are read from a model built on the CPU (milliseconds for the shipped
#: model). Above it they are read from one on the meta device, which allocates nothing but, on first use,
#: imports torch's compiler (2 to 6 s): a cost the app's first page would otherwise pay.
CPU_CHECK_WEIGHTS = 32_000_000


def weight_bound(cfg: ModelConfig) -> int:
    """At least as many weights as a model of `cfg` has (4 gates, every context input's embedding)."""
    e, h = cfg.embedding_dim, cfg.hidden_size
    context = sum(size for _, size in (KEY_INPUTS | BAR_INPUTS).values())
    return (cfg.vocab_size + context) * e + cfg.layers * 4 * h * (max(e, h) + h + 2) + (h + 1) * cfg.vocab_size


def _checked_config(p: Path, ckpt: dict) -> dict:
    vocab = ckpt["vocab"]
    if not (isinstance(vocab, list) and vocab and vocab[0] == EOS and all(isinstance(t, str) for t in vocab)):
        raise CheckpointError(f"{p}: its vocabulary is not a list of characters starting with {EOS!r}")
    try:
        cfg = ModelConfig.from_dict(ckpt["model_config"])
    except (MusicRNNError, TypeError, ValueError) as e:
        raise CheckpointError(f"{p}: bad model config: {e}") from None
    for name, limit in LIMITS.items():
        if getattr(cfg, name) > limit:
            raise CheckpointError(f"{p}: its config asks for {name} {getattr(cfg, name):,}, more than the "
                                  f"{limit:,} musicrnn builds")
    if cfg.vocab_size != len(vocab):
        raise CheckpointError(f"{p}: its config has vocab_size {cfg.vocab_size}, its vocabulary "
                              f"{len(vocab)} characters")
    if weight_bound(cfg) <= CPU_CHECK_WEIGHTS:
        wanted = {k: tuple(v.shape) for k, v in CharRNN(cfg, vocab).state_dict().items()}
    else:  # the shapes a big config needs, without allocating them
        with torch.device("meta"):
            wanted = {k: tuple(v.shape) for k, v in CharRNN(cfg, vocab).state_dict().items()}
    state = ckpt["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{p}: its weights are not a dict of tensors")
    missing = sorted(set(wanted) - set(state))
    extra = sorted(set(state) - set(wanted))
    if missing or extra:
        raise CheckpointError(f"{p}: its weights do not match its config ({cfg.layers} x {cfg.hidden_size} "
                              f"{cfg.cell}): " + (f"missing {', '.join(missing[:3])}" if missing
                                                  else f"unexpected {', '.join(str(k) for k in extra[:3])}"))
    for k, shape in wanted.items():
        if tuple(state[k].shape) != shape:
            raise CheckpointError(f"{p}: its weights do not match its config: {k} has shape "
                                  f"{tuple(state[k].shape)}, the config needs {shape}")
    return cfg.to_dict()


def load_model(path=None, device: torch.device | str = "cpu") -> tuple[CharRNN, Vocab, dict]:
    """Rebuild the model from a checkpoint (checked by `load_checkpoint`), in eval mode on `device`."""
    ckpt = load_checkpoint(path)
    model = CharRNN(ModelConfig.from_dict(ckpt["model_config"]), ckpt["vocab"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval(), Vocab(ckpt["vocab"]), ckpt
