"""Asking the studio for tunes that keep a tune's first bars and write the rest, from its own candidates or from
the tunebook: the request waits in the session until the studio page takes it, with a new seed drawn as
**Generate** draws one."""
from __future__ import annotations

import random

import streamlit as st

REQUEST = "studio_keep_request"


def draw_seed() -> None:
    """A new seed for the studio's next tunes, unless its seed is **Fixed**."""
    if not st.session_state.get("studio_fixed_seed"):
        st.session_state["studio_seed"] = random.randrange(1, 1_000_000)  # short enough to read and type


def ask(request: dict) -> None:
    """Leave `request` ({"abc", "bar", "from"}) for the studio (a widget callback)."""
    st.session_state[REQUEST] = request
    draw_seed()


def take() -> dict | None:
    """The request waiting for the studio, once."""
    return st.session_state.pop(REQUEST, None)
