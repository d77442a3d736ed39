"""Train: start a run in the background, watch it learn live, stop or resume it, and use it in the studio.

The run lives in the process-wide registry and in its run folder, not in this session: closing the tab,
reloading or opening more tabs changes nothing, and runs started from the CLI show here too.
"""
import re
import time
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from musicrnn import jobs
from musicrnn.corpus import MUSIC21_PARTS
from musicrnn.errors import MusicRNNError
from app_pages._common import (PAGE_FILES, curve_figures, device_info, known_sources, md_escape, render_tune,
                               run_watchers, show_error, training_jobs, use_model)

STATUS_BADGE = {"running": ":blue-badge[:material/play_arrow: running]",
                "finished": ":green-badge[:material/check: finished]",
                "early_stopped": ":green-badge[:material/check: early-stopped]",
                "stopped": ":orange-badge[:material/stop: stopped]",
                "interrupted": ":orange-badge[:material/pause: interrupted]",
                "failed": ":red-badge[:material/error: failed]"}
MODEL_FIELDS = ("cell", "embedding_dim", "hidden_size", "layers", "dropout")
TRAIN_FIELDS = ("batch_size", "seq_len", "lr", "epochs", "patience", "max_steps", "windows")
WINDOWS = {"random": "random windows", "tunes": "whole tunes"}
SAMPLE_EVERY = 10.0  # the sampled tune changes only at validations


def preset_values(preset: str) -> dict:
    from musicrnn.train import configs_from_preset

    m, t = configs_from_preset(preset)
    vals = {f: getattr(m, f) for f in MODEL_FIELDS} | {f: getattr(t, f) for f in TRAIN_FIELDS}
    vals["max_steps"] = vals["max_steps"] or 0
    vals["epochs"] = float(vals["epochs"])
    return vals


def apply_preset() -> None:
    for k, v in preset_values(st.session_state["tr_preset"]).items():
        st.session_state[f"tr_{k}"] = v


def fmt_duration(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(s)
    return f"{s // 3600}h {s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m {s % 60:02d}s"


registry = training_jobs()
dev_kind, dev_label = device_info()
st.title("Train")

# ----------------------------------------------------------------------------------------- new run

if "tr_preset" not in st.session_state:
    st.session_state["tr_preset"] = "gpu" if dev_kind == "cuda" else "cpu"
    apply_preset()

with st.expander("New training run", expanded=not any(r.active for r in jobs.list_runs()), icon=":material/add:"):
    sources = known_sources()
    c1, c2 = st.columns([2, 1])
    source = c1.selectbox("Training data", list(sources) + ["other"], format_func=lambda s: sources.get(s, "Another folder or file…"),
                          key="tr_source")
    if source == "other":
        source = c1.text_input("Path: an IrishMAN folder or .json, or an .abc file or folder", key="tr_source_path").strip()
    c2.segmented_control("Preset", ["tiny", "cpu", "gpu"], key="tr_preset", on_change=apply_preset, required=True,
                         help="tiny: a minute, for trying things. cpu: a useful model in about an hour on 2 cores. "
                              "gpu: the full-size model.")
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.selectbox("Cell", ["lstm", "gru"], key="tr_cell")
    m2.number_input("Embedding", 4, 2048, key="tr_embedding_dim", step=16)
    m3.number_input("Hidden", 8, 4096, key="tr_hidden_size", step=64)
    m4.number_input("Layers", 1, 6, key="tr_layers")
    m5.number_input("Dropout", 0.0, 0.9, key="tr_dropout", step=0.05, format="%.2f")
    t1, t2, t3, t4, t5, t6 = st.columns(6)
    t1.number_input("Batch", 1, 4096, key="tr_batch_size")
    t2.number_input("Window", 8, 4096, key="tr_seq_len", help="Characters per training window (seq_len).")
    t3.number_input("Learning rate", 1e-5, 1.0, key="tr_lr", format="%.4f", step=1e-4)
    t4.number_input("Epochs", 0.01, 1000.0, key="tr_epochs", step=1.0)
    t5.number_input("Patience", 0, 100, key="tr_patience", help="Validations without improvement before stopping early; 0: never.")
    t6.number_input("Max steps", 0, 10_000_000, key="tr_max_steps", help="0: train for the epochs above.")
    d1, d3, d2 = st.columns([1, 1, 2])
    devices = ["auto", "cpu"] + (["cuda"] if dev_kind == "cuda" else []) + (["mps"] if dev_kind == "mps" else [])
    device = d1.selectbox("Device", devices, key="tr_device",
                          format_func=lambda d: f"auto: {dev_label}" if d == "auto" else d)
    d3.selectbox("Windows", list(WINDOWS), key="tr_windows", format_func=WINDOWS.get,
                 help="random: windows anywhere in the joined tunes. whole tunes: each tune read from its start "
                      "(long ones in Window-sized chunks, the state carried), as the studio samples them.")
    name = d2.text_input("Run name", key="tr_name", placeholder=jobs.new_run_name(),
                         help=f"A folder under {jobs.runs_root()}")
    if st.button("Start training", type="primary", icon=":material/play_arrow:", key="tr_start"):
        from musicrnn.train import configs_from_preset

        ss = st.session_state
        folder = jobs.runs_root() / (name.strip() or jobs.new_run_name())
        try:
            if name.strip() and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name.strip()):
                raise ValueError("a run name is letters, digits, '-', '_' and '.', starting with a letter or digit")
            if not source:
                raise ValueError("choose the training data")
            if source not in MUSIC21_PARTS and not Path(source).expanduser().exists():
                raise MusicRNNError(f"{source}: no such file or folder")
            if (folder / "run.json").exists():
                raise MusicRNNError(f"{folder} already holds a run; pick another name (or resume it below)")
            model_cfg, cfg = configs_from_preset(
                ss["tr_preset"], {f: ss[f"tr_{f}"] for f in MODEL_FIELDS},
                {**{f: ss[f"tr_{f}"] for f in TRAIN_FIELDS}, "max_steps": int(ss["tr_max_steps"]) or None,
                 "data": source, "out": str(folder), "device": device})
            registry.start(model_cfg, cfg)
            st.session_state["tr_watch"] = str(folder.resolve())
            st.toast(f"Training started in {folder}", icon=":material/play_arrow:")
        except (MusicRNNError, ValueError) as e:
            show_error("Cannot start training", e)

# ------------------------------------------------------------------------------------------ live view


def watched_folder(runs: list) -> Path | None:
    """The run this session watches: its pick, else the active run, else the newest."""
    want = st.session_state.get("tr_watch")
    if want:
        p = Path(want)
        if any(r.folder.resolve() == p for r in runs) or registry.job(p) is not None:
            return p
    for r in runs:
        if r.active:
            return r.folder.resolve()
    for j in registry.active():
        return j.folder
    return runs[0].folder.resolve() if runs else None


def is_live(folder: Path | None) -> bool:
    """Whether the watched run is training (or about to: its thread is preparing the data)."""
    if folder is None:
        return False
    job = registry.job(folder)
    info = jobs.run_info(folder)
    return bool((job is not None and job.alive) or (info is not None and info.active))


# The live parts tick only while the watched run trains; a finished run's page is still, so an idle room of
# viewers costs nothing. `watch_for_runs` notices a run started elsewhere (another tab, the CLI).
def active_folders() -> frozenset:
    return frozenset([str(r.folder.resolve()) for r in jobs.list_runs() if r.active]
                     + [str(j.folder) for j in registry.active()])


WATCHED = watched_folder(jobs.list_runs())
LIVE = is_live(WATCHED)
ACTIVE_AT_START = active_folders()
SESSION = st.session_state.setdefault("tr_session", uuid.uuid4().hex)
watchers = run_watchers()
watchers.touch(SESSION, WATCHED if LIVE else None)


def wanted_interval() -> float:
    """Seconds between this session's redraws of the live run: 2 s, longer when many sessions watch the
    same run, so that a room of viewers costs the training thread little (each redraw is ~10 ms of server CPU)."""
    return round(jobs.live_interval(watchers.count(WATCHED))) if WATCHED is not None else 2.0


LIVE_EVERY = wanted_interval()
# The sampled tune changes only at validations; a room of viewers polls it less often, as it does the curves.
SAMPLE_LIVE_EVERY = max(SAMPLE_EVERY, round(SAMPLE_EVERY * LIVE_EVERY / 2.0))


def run_header(folder: Path | None) -> str | None:
    """Name, status, device and Stop of the watched run; the status shown (None: no run to show yet).

    Drawn by the page, not by the live fragment, which reruns the page when the status changes: every element
    a fragment draws is sent again to every viewer at every tick.
    """
    info = jobs.run_info(folder) if folder is not None else None
    if info is None:
        return None
    h1, h2 = st.columns([3, 1], vertical_alignment="center")
    h1.markdown(f"#### {md_escape(info.name)} &nbsp; {STATUS_BADGE.get(info.status, md_escape(info.status))}")
    h1.caption(f"{md_escape(info.device or '?')} · {info.parameters or 0:,} parameters · data "
               f"{md_escape(info.data or '?')} · {md_escape(str(info.folder))}")
    if info.active:
        if h2.button("Stop", icon=":material/stop:", key="tr_stop", width="stretch",
                     help="Ends the run after the current step; best.pt and last.pt are kept."):
            registry.stop(folder)
            st.toast("Stopping after the current step…")
    if info.error:
        show_error("The run failed", info.error)
    return info.status


@st.fragment(run_every=LIVE_EVERY if LIVE else None)
def live_run() -> None:
    folder = WATCHED  # fixed until the next full run (a run ending, starting elsewhere, or a click)
    if folder is None:
        st.info("No training runs yet. Start one above, or from a terminal: "
                "`python -m musicrnn train --preset tiny --out runs/first`.", icon=":material/info:")
        return
    info = jobs.run_info(folder)
    job = registry.job(folder)
    if info is None or (job is not None and job.alive and (info.updated or 0) < job.started):
        if job is not None and job.error:
            show_error(f"Run {folder.name} failed to start", job.error)
            if LIVE:
                st.rerun(scope="app")  # stop ticking
        else:
            st.info(f"**{md_escape(folder.name)}**: preparing the data…", icon=":material/hourglass_top:")
        return
    if info.status != HEADER_STATUS:
        st.rerun(scope="app")  # the run started, ended or failed: its header, the run list and the model picker
    if LIVE:
        watchers.touch(SESSION, folder)
        if wanted_interval() != LIVE_EVERY:
            st.rerun(scope="app")  # more or fewer viewers now: redraw at the interval that suits them
    metrics = jobs.read_metrics(folder)
    train_ev = [e for e in metrics if e.get("kind") == "train"]
    val_ev = [e for e in metrics if e.get("kind") == "val"]
    t, v = (train_ev[-1] if train_ev else {}), (val_ev[-1] if val_ev else {})

    total = info.total_steps or t.get("total_steps") or 0
    frac = min(1.0, info.step / total) if total else 0.0
    eta = t.get("eta_s") if info.active else None
    st.progress(frac, text=f"step {info.step:,} of {total:,}" + (f" · ETA {fmt_duration(eta)}" if eta is not None else ""))
    row = st.container(horizontal=True)  # one block, not seven: fewer messages to every viewer at every tick
    row.metric("Train loss", f"{t['train_loss']:.3f}" if t else "–")
    row.metric("Val loss", f"{v['val_loss']:.3f}" if v else "–",
                   help="Best so far: " + (f"{info.best_val_loss:.3f}" if info.best_val_loss else "–"))
    row.metric("Bits/char", f"{t['bpc']:.2f}" if t else "–", help="Training bits per character")
    row.metric("Val bits/char", f"{v['val_bpc']:.2f}" if v else "–")
    row.metric("Chars/s", f"{t['chars_per_s']:,.0f}" if t else "–")
    row.metric("Learning rate", f"{t['lr']:.2e}" if t else "–")
    loss_fig, acc_fig = curve_figures(folder, metrics)
    charts = st.container(horizontal=True)
    charts.plotly_chart(loss_fig, key="tr_loss_chart", config={"displayModeBar": False})
    charts.plotly_chart(acc_fig, key="tr_acc_chart", config={"displayModeBar": False})
    st.caption(f"{len(train_ev)} training points · {len(val_ev)} validations")


@st.fragment(run_every=SAMPLE_LIVE_EVERY if LIVE else None)
def live_sample() -> None:
    folder = WATCHED
    if folder is None:
        return
    samples = [s for s in jobs.read_samples(folder) if s.get("abc")]
    st.markdown("##### Listen to it learn")
    if not samples:
        st.caption("At each validation the network writes a short tune; it appears here.")
        return
    steps = [s["step"] for s in samples]
    # follow the newest sample, unless the listener went back to an older one
    ss = st.session_state
    if ss.get("tr_sample_step") not in steps or ss.get("tr_sample_step") == ss.get("tr_sample_latest"):
        ss["tr_sample_step"] = steps[-1]
    ss["tr_sample_latest"] = steps[-1]
    pick = st.select_slider("Sample at step", steps, key="tr_sample_step") if len(steps) > 1 else steps[0]
    s = next(x for x in reversed(samples) if x["step"] == pick)
    try:
        res = render_tune(s["abc"], ended=s.get("ended"))
    except MusicRNNError as e:
        res = {"data": {}, "errors": {"svg": str(e)}, "check": None}
    c1, c2 = st.columns([2, 1])
    with c1:
        if res["data"].get("svg"):
            st.image(res["data"]["svg"], width="stretch")
        else:
            st.warning("Not readable music yet at step " + f"{pick}: " +
                       md_escape((res["errors"].get("svg") or res["errors"].get("musicxml") or "")[:300]),
                       icon=":material/hearing_disabled:")
        if res["data"].get("wav"):
            st.audio(res["data"]["wav"], format="audio/wav")
    with c2:
        st.code(s["abc"], language=None)


@st.fragment(run_every=None if LIVE else 5.0)
def watch_for_runs() -> None:
    if active_folders() != ACTIVE_AT_START:  # a run started or ended elsewhere
        st.rerun(scope="app")


HEADER_STATUS = run_header(WATCHED)
live_run()
live_sample()
watch_for_runs()

# ------------------------------------------------------------------------------------------- run list

st.subheader("Runs")
runs = jobs.list_runs()
if not runs:
    st.caption(f"No runs under {md_escape(str(jobs.runs_root()))} yet.")
else:
    rows = []
    for r in runs:
        rows.append({"run": r.name, "status": r.status, "step": r.step, "of": r.total_steps,
                     "best val bpc": round(r.best_val_bpc, 3) if r.best_val_bpc else None,
                     "parameters": r.parameters, "device": r.device, "data": r.data,
                     "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)) if r.started else None})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    by_name = {str(r.folder.resolve()): r for r in runs}
    pick = st.selectbox("Run", list(by_name), format_func=lambda p: f"{by_name[p].name} ({by_name[p].status})",
                        key="tr_pick")
    r = by_name[pick]
    b1, b2, b3, _ = st.columns([1, 1, 1, 2])
    if b1.button("Watch", icon=":material/visibility:", key="tr_watch_btn", width="stretch"):
        st.session_state["tr_watch"] = pick
        st.rerun()
    can_resume = r.status in ("interrupted", "stopped", "failed") and r.has_last
    if b2.button("Resume", icon=":material/resume:", key="tr_resume", disabled=not can_resume, width="stretch",
                 help="Continue from last.pt with the run's own settings."):
        try:
            registry.resume(r.folder)
            st.session_state["tr_watch"] = pick
            st.toast(f"Resuming {r.name}", icon=":material/resume:")
            st.rerun()
        except (MusicRNNError, ValueError) as e:
            show_error(f"Cannot resume {r.name}", e)
    if b3.button("Use in studio", icon=":material/piano:", key="tr_use", disabled=not r.has_best, width="stretch"):
        use_model(str(r.folder), r.name)
        st.switch_page(PAGE_FILES["studio"])
    if r.status == "interrupted":
        st.caption("This run stopped without finishing (the server or its process ended); **Resume** continues "
                   "from its last checkpoint.")
