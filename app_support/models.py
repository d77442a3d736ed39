"""The models the studio can use (the shipped one and every trained run), loaded once per file version."""
from __future__ import annotations

import streamlit as st

from musicrnn.errors import CheckpointError, MusicRNNError
from musicrnn.training.run_folder import list_runs


def has_shipped_model() -> bool:
    """Whether checkpoints/default holds a model (a file check; nothing is loaded)."""
    from musicrnn.model.checkpoint import resolve

    try:
        resolve(None)
        return True
    except CheckpointError:
        return False


def model_choices() -> dict[str, str]:
    """Models the studio can use: the shipped one (when present), then trained runs with a best.pt."""
    out: dict[str, str] = {"default": "Shipped model"} if has_shipped_model() else {}
    # finished runs first (newest first), then runs still training: a new session gets a settled model
    for r in sorted(list_runs(), key=lambda r: r.active):
        if r.has_best:
            bpc = f" · {r.best_val_bpc:.2f} bpc" if r.best_val_bpc else ""
            out[str(r.folder)] = f"{r.name}{bpc}" + (" (training)" if r.active else "")
    for path, label in st.session_state.get("extra_models", {}).items():
        out.setdefault(path, label)
    return out


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _load_model(path: str, mtime: float):
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    model, vocab, ckpt = load_model(path, pick_device("auto"))
    try:  # the first forward pass pays one-off kernel set-up: pay it here, not on the first Generate
        from musicrnn.generation.sampler import sample

        sample(model, vocab, 1, prime="X:1\n", max_chars=4)
    except Exception:  # noqa: BLE001 - a model that cannot sample says so on Generate
        pass
    return model, vocab, ckpt


def model_path(value: str):
    """The checkpoint file of a picker value (`default`: the shipped model; else a run folder or file)."""
    from musicrnn.model.checkpoint import resolve

    return resolve(None if value == "default" else value)


def get_model(value: str):
    """(model, vocab, checkpoint dict) for a picker value; reloads when the file changes."""
    p = model_path(value)
    try:
        mtime = p.stat().st_mtime
    except OSError as e:
        raise CheckpointError(f"{p}: {e.strerror}") from None
    try:
        return _load_model(str(p), mtime)
    except MusicRNNError:
        raise
    except Exception as e:  # noqa: BLE001 - torch.load raises many types on a damaged file
        raise CheckpointError(f"{p}: not a readable musicrnn checkpoint ({type(e).__name__}: {e})"[:400]) from None


def active_model() -> tuple[str | None, str | None]:
    """(value, label) of the model picked in the sidebar, or (None, None) when there is none."""
    choices = model_choices()
    value = st.session_state.get("model")
    if value not in choices:
        value = next(iter(choices), None)
    return value, choices.get(value) if value else None


def use_model(path: str, label: str | None = None) -> None:
    """Make `path` the active model on the next run (the sidebar picker reads `pending_model`)."""
    if label:
        st.session_state.setdefault("extra_models", {})[path] = label
    st.session_state["pending_model"] = path
