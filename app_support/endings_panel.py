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

#: What a fit stores for each type (`generation.endings.calibrate`), all of which `fit_lines` shows.
FIT_FIELDS = ("fitted", "model", "target", "form_fitted", "form_target")


def fit_lines(table: dict) -> str:
    """A fit's table as a markdown list: per type, how often its tunes end on the final and are in two parts,
    as the model writes them, as fitted, and in its training tunes."""
    return "\n".join(
        f"- **{md_escape(name)}**: on the final {row['fitted']:.2f} (as it writes {row['model']:.2f}, its training "
        f"tunes {row['target']:.2f}); in two parts {row['form_fitted']:.2f} (training tunes {row['form_target']:.2f})"
        for name, row in table.items())


@st.cache_data(max_entries=16, show_spinner=False)
def stored_endings(path: str, mtime: float) -> dict:
    """The `endings` table of a checkpoint file (read again when it changes); {} when it cannot be read."""
    from musicrnn.model.checkpoint import load_checkpoint

    try:
        table = load_checkpoint(path).get("endings")
    except (MusicRNNError, OSError):
        return {}
    return dict(table) if isinstance(table, dict) else {}


def own_fits(endings: dict, types: list[str]) -> tuple[dict, str | None]:
    """The rows of a checkpoint's endings fitted to this model (of `types`, each with every FIT_FIELDS number),
    and the model the others were fitted to, when a fine-tune carries them (`fitted_for`)."""
    own, carried = {}, None
    for name, row in endings.items():
        if not isinstance(row, dict) or name not in types:
            continue
        if row.get("fitted_for"):
            carried = str(row["fitted_for"])
        elif all(isinstance(row.get(f), (int, float)) and not isinstance(row.get(f), bool) for f in FIT_FIELDS):
            own[name] = row
    return own, carried


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
    if fit is not None and fit.alive:
        fit_progress(info.folder)
        return
    best = info.folder / "best.pt"
    try:
        own, carried = own_fits(stored_endings(str(best), best.stat().st_mtime), types)
    except OSError:
        return
    if fit is not None and fit.error:
        show_error("Fitting the endings failed", fit.error)
    if own:
        (st.success if fit is not None and fit.fitted is not None else st.markdown)(
            "Its endings are fitted to its own training tunes; the studio uses them when it writes with this "
            "model.\n" + fit_lines(own))
    said = (f"It ends tunes with the fitted endings of the model it started from ({md_escape(carried)}). "
            if carried and not own else "" if own else "It ends its tunes as it writes them. ")
    st.caption(said + f"**Fit endings** tilts them so that its tunes of each type ({', '.join(types)}) end on the "
               "key's final, and come in two parts, as often as its training tunes of that type do "
               f"({APP_SAMPLES} tunes a step, {APP_STEPS} steps per type: about a minute per type on two cores). "
               f"From a terminal: python -m musicrnn calibrate --checkpoint {md_escape(str(info.folder))} fits "
               "them more finely.")
    if not can_manage():
        return
    if st.button("Fit endings again" if own else "Fit endings", key="tr_fit_endings", icon=":material/tune:",
                 help="Samples tunes of each type, fits the chance of keeping an ending, and rewrites best.pt "
                      "with the fit when it is done; the model stays as it is until then.") and can_manage():
        try:
            endings_fits().start(info.folder, training_jobs().busy, n=APP_SAMPLES, steps=APP_STEPS, types=types)
        except MusicRNNError as e:
            show_error("Cannot fit the endings now", e)
            return
        st.rerun()
