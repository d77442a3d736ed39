"""The live view of a training run in the page: a component that polls the run's JSON (`routes.py`) and
draws it with plotly.js, so that watching costs no Streamlit reruns while the run trains; under the curves, the
newest surprise strip of the run's fixed validation tune, shaded as the Inside page shades a tune."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import streamlit as st

from app_support.routes import LIVE_PATH, PLOTLY_PATH
from app_support.shaded_text import SHADING_JS

POLL_MS = 2000  # every viewer, however many: a poll is a few stat calls on the server

_component = st.components.v2.component(
    "musicrnn_live", js=SHADING_JS + (Path(__file__).with_name("live_panel.js")).read_text(), isolate_styles=False)


def live_view(folder: Path, status: str, sample_step: int | None):
    """Progress, tiles and curves of a training run, redrawn in the browser. Its result's `sample` is set in
    the rerun of the enclosing fragment that a newer sampled tune causes, its `status` in the one that a
    change of the run's status causes."""
    return _component(key="tr_live", data={"url": f"{LIVE_PATH}/{quote(folder.name, safe='')}", "plotly": PLOTLY_PATH,
                                           "interval_ms": POLL_MS, "status": status, "sample_step": sample_step},
                      on_status_change=lambda: None, on_sample_change=lambda: None)
