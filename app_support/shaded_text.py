"""A tune's text with every character shaded by a value: its surprisal in bits, or a unit's activation.

A component of this project's own (`shading.js` + `shaded_text.js`): the browser builds one `<span>` per
character with `textContent`, so tune text reaches the page only as text, never as markup; clicking a character
hands its index back to Python.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
#: The drawing both shaded views share: the Inside page's text and the Train page's surprise strip.
SHADING_JS = (HERE / "shading.js").read_text()
#: Bits at which a character is drawn darkest (more is drawn the same): a character the model gives 1 in 256.
BITS_SCALE = 8.0

_component = st.components.v2.component(
    "musicrnn_shaded_text", js=SHADING_JS + (HERE / "shaded_text.js").read_text(), isolate_styles=False)


def plain(values: Sequence[float | None]) -> list[float | None]:
    """Values as JSON takes them: rounded, None where a value is missing or not finite."""
    out = []
    for v in values:
        out.append(None if v is None or not math.isfinite(float(v)) else round(float(v), 3))
    return out


def shaded_text(text: str, values: Sequence[float | None], key: str, *, end: float | None = None,
                scale: float = BITS_SCALE, signed: bool = False, unit: str = "bits", legend: str = "",
                selected: int | None = None, on_pick: Callable[[int], None] | None = None) -> None:
    """Draw `text` with character i shaded by `values[i]` (None: not shaded, a character the model left out),
    and the end token after it when `end` is given; `selected` outlines one character (the text's length: the
    end token). `on_pick(i)` runs, as a widget callback, when a click picks character i."""
    if len(values) != len(text):
        raise ValueError(f"{len(values)} values for {len(text)} characters")

    def picked() -> None:
        value = (st.session_state.get(key) or {}).get("pick")
        if on_pick is not None and isinstance(value, int) and not isinstance(value, bool):
            on_pick(value)

    _component(key=key, data={"text": text, "values": plain(values), "end": plain([end])[0] if end is not None
                              else None, "scale": float(scale), "signed": signed, "unit": unit, "legend": legend,
                              "selected": selected, "pickable": on_pick is not None},
               on_pick_change=picked)
