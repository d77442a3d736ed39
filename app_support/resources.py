"""What the whole server shares, made once per process at the Streamlit boundary (`st.cache_resource`).

Keep these functions small and stable: `st.cache_resource` keys include their source.
"""
from __future__ import annotations

import threading

import streamlit as st

from musicrnn.training.endings_fit import EndingsFits
from musicrnn.training.jobs import TrainingJobs


@st.cache_resource(show_spinner=False)
def training_jobs() -> TrainingJobs:
    """The process-wide training registry: every session sees the same runs."""
    return TrainingJobs()


@st.cache_resource(show_spinner=False)
def endings_fits() -> EndingsFits:
    """The process-wide registry of endings fits (the Train page's Fit endings)."""
    return EndingsFits()


@st.cache_resource(show_spinner=False)
def warm_render_pool() -> threading.Thread:
    """Start the render workers (music21 loads in ~2 s) while the user looks around, not on first Generate."""

    def run():
        try:
            from musicrnn.music.isolated import get_pool

            get_pool().warm_up()
        except Exception:  # noqa: BLE001 - the first real call reports any problem
            pass

    t = threading.Thread(target=run, name="musicrnn-render-warmup", daemon=True)
    t.start()
    return t


@st.cache_resource(show_spinner=False)
def settle_heap() -> bool:
    """Move the objects alive after start-up (torch, streamlit, numpy…) out of the garbage collector's view.

    A full collection over them takes ~0.2 s holding the GIL; a training thread in this process would stall
    each time. `gc.freeze` is process-wide and done once.
    """
    import gc

    gc.collect()
    gc.freeze()
    return True


@st.cache_resource(show_spinner=False)
def device_info() -> tuple[str, str]:
    """(type, label) of the device training and generation use by default."""
    from musicrnn.model.device import device_label, pick_device

    dev = pick_device("auto")
    return dev.type, device_label(dev)
