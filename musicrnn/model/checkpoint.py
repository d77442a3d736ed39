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

from musicrnn.data.vocab import Vocab
from musicrnn.errors import CheckpointError
from musicrnn.files import atomic_write
from musicrnn.model.network import CharRNN, ModelConfig

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


def load_checkpoint(path, map_location="cpu") -> dict:
    """Load and validate a checkpoint dict with `weights_only=True`; clear errors for anything else."""
    p = resolve(path)
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError,
            IndexError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{p}: not a readable musicrnn checkpoint (truncated or another format): "
                              f"{first[:200]}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{p}: not a musicrnn checkpoint (no '{FORMAT}' marker)")
    if ckpt.get("version", 0) > VERSION:
        raise CheckpointError(f"{p}: checkpoint version {ckpt['version']} is newer than this musicrnn reads "
                              f"({VERSION})")
    for key in ("model_config", "vocab", "state_dict"):
        if key not in ckpt:
            raise CheckpointError(f"{p}: checkpoint lacks its '{key}' field")
    ckpt["path"] = str(p)
    return ckpt


def load_model(path=None, device: torch.device | str = "cpu") -> tuple[CharRNN, Vocab, dict]:
    """Rebuild the model from a checkpoint, in eval mode on `device`."""
    ckpt = load_checkpoint(path)
    cfg = ModelConfig.from_dict(ckpt["model_config"])
    model = CharRNN(cfg)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"{ckpt['path']}: weights do not match the stored config: {str(e)[:200]}") from None
    return model.to(device).eval(), Vocab(ckpt["vocab"]), ckpt
