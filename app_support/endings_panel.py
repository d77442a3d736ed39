"""The Train page's **Fit endings** for a finished run of a model that knows tune types: its endings fitted to
its own training tunes in the background (`musicrnn.training.endings_fit`), with the fit's progress and result."""
from __future__ import annotations

import streamlit as st

from app_support.access import can_manage
from app_support.resources import endings_fits, training_jobs
from app_support.text import md_escape, show_error
from musicrnn.errors import MusicRNNError
from musicrnn.generation.prime import known_types
from musicrnn.training import run_folder
from musicrnn.training.endings_fit import APP_SAMPLES, APP_STEPS


def fit_lines(table: dict) -> str:
    """A fit's table as a markdown list: per type, how often its tunes end on the final and are in two parts,
    as the model writes them, as fitted, and in its training tunes."""
    return "\n".join(
        f"- **{md_escape(name)}**: on the final {row['fitted']:.2f} (as it writes {row['model']:.2f}, its training "
        f"tunes {row['target']:.2f}); in two parts {row['form_fitted']:.2f} (training tunes {row['form_target']:.2f})"
        for name, row in table.items())


@st.fragment(run_every=2.0)
def fit_progress(folder) -> None:
    """The running fit's latest step, every two seconds; the whole page again once it has ended."""
    fit = endings_fits().fit(folder)
    if fit is None or not fit.alive:
        st.rerun(scope="app")
    last = fit.lines[-1] if fit.lines else "loading the model and its training tunes…"
    st.info(f"Fitting the endings, step {len(fit.lines)}: {md_escape(last)}", icon=":material/hourglass_top:")


def endings_section(info: run_folder.RunInfo) -> None:
    """What the endings of a finished run's model are, and **Fit endings** (for whoever may manage runs)."""
    if not info.has_best or info.active:
        return
    status, _ = run_folder.read_status(info.folder)
    types = list(known_types((status or {}).get("data")))
    if not types:
        return
    fit = endings_fits().fit(info.folder)
    tuned = isinstance(info.config, dict) and info.config.get("init")
    if fit is not None and fit.alive:
        fit_progress(info.folder)
        return
    if fit is not None and fit.fitted is not None:
        st.success("Its endings are fitted to its own tunes; the studio uses them from now on.\n"
                   + fit_lines(fit.fitted.table), icon=":material/check:")
        return
    if fit is not None and fit.error:
        show_error("Fitting the endings failed", fit.error)
    said = ("It knows the tune types of the model it started from and ends tunes with that model's fitted "
            "endings. " if tuned else "It ends its tunes as it writes them. ")
    st.caption(said + f"**Fit endings** tilts them so that its {', '.join(types)} end on the key's final, and come in "
               f"two parts, as often as its training tunes of each type ({APP_SAMPLES} tunes a step, {APP_STEPS} "
               "steps per type: about a minute per type on two cores). From a terminal: python -m musicrnn "
               f"calibrate --checkpoint {md_escape(str(info.folder))} fits them more finely.")
    if not can_manage():
        return
    if st.button("Fit endings", key="tr_fit_endings", icon=":material/tune:",
                 help="Samples tunes of each type, fits the chance of keeping an ending, and rewrites best.pt "
                      "with the fit when it is done; the model stays as it is until then.") and can_manage():
        try:
            endings_fits().start(info.folder, training_jobs().busy, n=APP_SAMPLES, steps=APP_STEPS, types=types)
        except MusicRNNError as e:
            show_error("Cannot fit the endings now", e)
            return
        st.rerun()
