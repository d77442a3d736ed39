"""Train: start a run in the background, watch it learn live, stop or resume it, and use it in the studio.

The run lives in the process-wide registry and in its run folder, not in this session: closing the tab,
reloading or opening more tabs changes nothing, and runs started from the CLI show here too.
"""
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support.access import can_manage, managed_note
from app_support.charts import accuracy_curve, loss_curve
from app_support.data_folders import known_sources
from app_support.endings_panel import endings_section
from app_support.live import head, shown_sample
from app_support.live_panel import live_view
from app_support.models import get_model, model_choices, model_path, use_model
from app_support.navigation import PAGE_FILES
from app_support.player import player
from app_support.resources import device_info, training_jobs
from app_support.shaded_text import shaded_text
from app_support.text import md_escape, show_error
from musicrnn.data.sources import MUSIC21_PARTS
from musicrnn.errors import MusicRNNError
from musicrnn.training import run_folder
from musicrnn.training.config import configs_from_preset, fine_tune_lr
from musicrnn.training.fine_tune import start_windows

STATUS_BADGE = {"running": ":blue-badge[:material/play_arrow: running]",
                "finished": ":green-badge[:material/check: finished]",
                "early_stopped": ":green-badge[:material/check: early-stopped]",
                "stopped": ":orange-badge[:material/stop: stopped]",
                "interrupted": ":orange-badge[:material/pause: interrupted]",
                "failed": ":red-badge[:material/error: failed]",
                "damaged": ":red-badge[:material/broken_image: damaged]"}
MODEL_FIELDS = ("cell", "embedding_dim", "hidden_size", "layers", "dropout", "key_context", "bar_context")
TRAIN_FIELDS = ("batch_size", "seq_len", "lr", "epochs", "patience", "max_steps", "windows", "augment_keys",
                "note_noise", "cadence_weight", "cadence_bars", "train_only")
WINDOWS = {"random": "random windows", "tunes": "whole tunes"}
NEW = "new"  # the "Start from" choice of a network with fresh weights
TRAIN_ONLY = {"all": "every layer", "head": "output layer only"}


def preset_values(preset: str) -> dict:
    m, t = configs_from_preset(preset)
    vals = {f: getattr(m, f) for f in MODEL_FIELDS} | {f: getattr(t, f) for f in TRAIN_FIELDS}
    vals["max_steps"] = vals["max_steps"] or 0
    vals["epochs"] = float(vals["epochs"])
    vals["windows"] = vals["windows"] or "random"
    return vals


def apply_preset() -> None:
    for k, v in preset_values(st.session_state["tr_preset"]).items():
        st.session_state[f"tr_{k}"] = v
    apply_start()


def start_checkpoint(value: str) -> dict | None:
    """The checkpoint a run would start from (None: a new network, or one that cannot be read, which the start
    then names)."""
    try:
        return get_model(value)[2]
    except MusicRNNError:
        return None


def apply_start() -> None:
    """A fine-tune keeps its model's shape, shown in the model fields, which are then not to be changed, and
    reads the tunes as that model was trained to."""
    ss = st.session_state
    start = start_checkpoint(ss["tr_init"]) if ss.get("tr_init", NEW) != NEW else None
    preset = preset_values(ss["tr_preset"])
    if start is None:
        for k in (*MODEL_FIELDS, "lr", "windows"):
            ss[f"tr_{k}"] = preset[k]
        return
    for k in MODEL_FIELDS:
        if k in start["model_config"]:
            ss[f"tr_{k}"] = start["model_config"][k]
    ss["tr_lr"] = fine_tune_lr(preset["lr"])  # a preset's rate for a new network would spoil it
    ss["tr_windows"] = start_windows(start)


def take_request(asked: dict, sources: dict) -> None:
    """Fill the form for a run another page asked for: {"source": data, "init": a model to start from}."""
    ss = st.session_state
    if asked["source"] in sources:
        ss["tr_source"] = asked["source"]
    else:
        ss["tr_source"], ss["tr_source_path"] = "other", asked["source"]
    ss["tr_init"] = asked["init"]
    ss["tr_asked"] = asked
    apply_start()


def request_note(sources: dict) -> None:
    """Say what the form was filled in for, while it still asks for that."""
    ss = st.session_state
    asked = ss.get("tr_asked")
    if not asked:
        return
    source = ss.get("tr_source_path", "").strip() if ss.get("tr_source") == "other" else ss.get("tr_source")
    if source != asked["source"] or ss.get("tr_init") != asked["init"]:
        ss.pop("tr_asked")
        return
    st.info(f"Fine-tuning {md_escape(model_choices().get(asked['init'], asked['init']))} on "
            f"{md_escape(sources.get(asked['source'], asked['source']))}: name the run if you like, and start.",
            icon=":material/tune:")


registry = training_jobs()
dev_kind, dev_label = device_info()
st.title("Train")

# ----------------------------------------------------------------------------------------- new run

if "tr_preset" not in st.session_state:
    st.session_state["tr_preset"] = "gpu" if dev_kind == "cuda" else "cpu"
    apply_preset()

MANAGER = can_manage()
sources = known_sources()
asked = st.session_state.pop("pending_train", None)  # "Fine-tune … on these tunes" on the Dataset page
if asked:
    take_request(asked, sources)
with st.expander("New training run", icon=":material/add:",
                 expanded=MANAGER and (bool(asked) or not any(r.active for r in run_folder.list_runs()))):
    if not MANAGER:
        managed_note("Starting a training run")
    request_note(sources)
    c1, c2 = st.columns([2, 1])
    source = c1.selectbox("Training data", list(sources) + ["other"],
                          format_func=lambda s: sources.get(s, "Another folder or file…"), key="tr_source",
                                                            persist_state="session")
    if source == "other":
        source = c1.text_input("Path: an IrishMAN folder or .json, or an .abc file or folder",
                               key="tr_source_path", persist_state="session").strip()
    c2.segmented_control("Preset", ["tiny", "cpu", "gpu"], key="tr_preset", persist_state="session",
                         on_change=apply_preset, required=True,
                         help="tiny: a minute, for trying things. cpu: a useful model in about an hour on 2 cores. "
                              "gpu: the full-size model.")
    starts = {NEW: "A new network"} | model_choices()
    if st.session_state.get("tr_init") not in starts:
        st.session_state["tr_init"] = NEW
    f1, f2, f3 = st.columns([2, 1, 1])
    init = f1.selectbox("Start from", list(starts), format_func=starts.get, key="tr_init", persist_state="session",
                        on_change=apply_start,
                        help="A new network, or a trained model to fine-tune on this data (your own tunes, say): "
                             "it keeps its shape and the characters it knows, and learns the data's new ones; the "
                             "optimizer and schedule start afresh, at a fine-tune's learning rate.")
    tuning = init != NEW
    f2.selectbox("Train", list(TRAIN_ONLY), format_func=TRAIN_ONLY.get, key="tr_train_only", persist_state="session",
                 disabled=not tuning,
                 help="Fine-tuning only: every layer, or the output layer alone (the network's reading of the "
                      "tunes stays as it is; quick, and hard to spoil on a few tunes).")
    f3.number_input("Cadence bars", 0, 16, key="tr_cadence_bars", persist_state="session",
                    help="How many of each part's last bars the cadence weight covers (0: the last note alone).")
    m1, m2, m3, m4, m5, m6 = st.columns(6)
    fixed = "The model it starts from sets this." if tuning else None
    m1.selectbox("Cell", ["lstm", "gru"], key="tr_cell", persist_state="session", disabled=tuning, help=fixed)
    m2.number_input("Embedding", 4, 2048, key="tr_embedding_dim", persist_state="session",
                    step=16, disabled=tuning, help=fixed)
    m3.number_input("Hidden", 8, 4096, key="tr_hidden_size", persist_state="session",
                    step=64, disabled=tuning, help=fixed)
    m4.number_input("Layers", 1, 6, key="tr_layers", persist_state="session", disabled=tuning, help=fixed)
    m5.number_input("Dropout", 0.0, 0.9, key="tr_dropout", persist_state="session", step=0.05, format="%.2f")
    start = start_checkpoint(init) if tuning else None
    shape = start["model_config"] if start else None
    kept = "The model it starts from has this input; a fine-tune keeps it."
    has = {k: bool(shape and shape.get(k)) for k in ("key_context", "bar_context")}
    m6.checkbox("Key input", key="tr_key_context", persist_state="session", disabled=has["key_context"],
                help=kept if has["key_context"] else
                "Also tell the network the key in force at each character (read from the K: lines), so it need "
                "not remember it to end a tune on its final.")
    m6.checkbox("Bar input", key="tr_bar_context", persist_state="session", disabled=has["bar_context"],
                help=kept if has["bar_context"] else
                "Also tell the network which bar of the part each character stands in (counted from the bar "
                "lines; a repeat or double bar starts a part), so it need not count bars to end a part.")
    t1, t2, t3, t4, t5, t6 = st.columns(6)
    t1.number_input("Batch", 1, 4096, key="tr_batch_size", persist_state="session")
    t2.number_input("Window", 8, 4096, key="tr_seq_len", persist_state="session",
                    help="Characters per training window (seq_len).")
    t3.number_input("Learning rate", 1e-5, 1.0, key="tr_lr", persist_state="session", format="%.4f", step=1e-4)
    t4.number_input("Epochs", 0.01, 1000.0, key="tr_epochs", persist_state="session", step=1.0)
    t5.number_input("Patience", 0, 100, key="tr_patience", persist_state="session",
                    help="Validations without improvement before stopping early; 0: never.")
    t6.number_input("Max steps", 0, 10_000_000, key="tr_max_steps", persist_state="session",
                    help="0: train for the epochs above.")
    d1, d3, d4, d5, d6, d2 = st.columns([1.4, 1.3, 1, 1, 1.1, 1.6])
    devices = ["auto", "cpu"] + (["cuda"] if dev_kind == "cuda" else []) + (["mps"] if dev_kind == "mps" else [])
    device = d1.selectbox("Device", devices, key="tr_device", persist_state="session",
                          format_func=lambda d: f"auto: {dev_label}" if d == "auto" else d)
    d3.selectbox("Windows", list(WINDOWS), key="tr_windows", persist_state="session", format_func=WINDOWS.get,
                 help="random: windows anywhere in the joined tunes. whole tunes: each tune read from its start "
                      "(long ones in Window-sized chunks, the state carried), as the studio samples them. A "
                      "fine-tune reads them as the model it starts from was trained to.")
    d4.number_input("Key copies", 0, 11, key="tr_augment_keys", persist_state="session",
                    help="Copies of each training tune transposed into other keys (0: none). The validation "
                         "tunes stay as written.")
    d5.number_input("Wrong notes", 0.0, 0.5, key="tr_note_noise", persist_state="session", step=0.05, format="%.2f",
                    help="The share of input notes replaced by random ones while training (0: none), so the "
                         "network learns to find its way from a wrong note, as it must from its own.")
    d6.number_input("Cadence weight", 1.0, 100.0, key="tr_cadence_weight", persist_state="session",
                    step=1.0, format="%.1f",
                    help="How much more the loss counts the characters of each part's last two bars (1: as much "
                         "as any other), so the network learns how parts end.")
    name = d2.text_input("Run name", key="tr_name", persist_state="session", placeholder=run_folder.new_run_name(),
                         help=f"A folder under {md_escape(str(run_folder.runs_root()))}")
    if st.button("Start training", type="primary", icon=":material/play_arrow:", key="tr_start",
                 disabled=not MANAGER) and can_manage():
        ss = st.session_state
        ss.pop("tr_start_error", None)
        folder = run_folder.runs_root() / (name.strip() or run_folder.new_run_name())
        try:
            if name.strip() and not run_folder.is_run_name(name.strip()):
                raise ValueError(run_folder.RUN_NAME_RULE)
            if not source:
                raise ValueError("choose the training data")
            if source not in MUSIC21_PARTS and not Path(source).expanduser().exists():
                raise MusicRNNError(f"{source}: no such file or folder")
            if tuning:
                get_model(init)  # a model that cannot be read is named here, not in a failed run
            if (folder / run_folder.STATUS).exists():
                raise MusicRNNError(f"{folder} already holds a run; pick another name (or resume it below)")
            model_cfg, cfg = configs_from_preset(
                ss["tr_preset"], {f: ss[f"tr_{f}"] for f in MODEL_FIELDS},
                {**{f: ss[f"tr_{f}"] for f in TRAIN_FIELDS}, "max_steps": int(ss["tr_max_steps"]) or None,
                 "data": source, "out": str(folder), "device": device,
                 "init": str(model_path(init)) if tuning else None,
                 "train_only": ss["tr_train_only"] if tuning else "all"})
            registry.start(model_cfg, cfg)
            ss.pop("tr_asked", None)
            st.session_state["tr_watch"] = str(folder.resolve())
            st.toast(f"Training started in {md_escape(str(folder))}", icon=":material/play_arrow:")
        except (MusicRNNError, ValueError) as e:
            # kept until the user acts again: the run that won the race reruns every watching tab
            ss["tr_start_error"] = str(e)
    if st.session_state.get("tr_start_error"):
        show_error("Cannot start training", st.session_state["tr_start_error"])
        if st.button("Dismiss", key="tr_start_error_ok", icon=":material/close:"):
            st.session_state.pop("tr_start_error", None)
            st.rerun()

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
    info = run_folder.run_info(folder)
    return bool((job is not None and job.alive) or (info is not None and info.active))


# While the watched run trains, the curves are drawn in the browser from the run's live JSON (`_live.py`):
# watching costs no reruns. `watch_for_runs` notices a run started elsewhere (another tab, the CLI).
def active_folders() -> frozenset:
    return frozenset([str(r.folder.resolve()) for r in run_folder.list_runs() if r.active]
                     + [str(j.folder) for j in registry.active()])


WATCHED = watched_folder(run_folder.list_runs())
LIVE = is_live(WATCHED)
ACTIVE_AT_START = active_folders()


def run_header(folder: Path | None) -> str | None:
    """Name, status, device and Stop of the watched run; the status shown (None: no run to show yet)."""
    info = run_folder.run_info(folder) if folder is not None else None
    if info is None:
        return None
    h1, h2 = st.columns([3, 1], vertical_alignment="center")
    h1.markdown(f"#### {md_escape(info.name)} &nbsp; {STATUS_BADGE.get(info.status, md_escape(info.status))}")
    start = info.config.get("init") if isinstance(info.config, dict) else None
    tuned = f" · fine-tuned from {md_escape(str(start))}" if start else ""
    h1.caption(f"{md_escape(info.device or '?')} · {info.parameters or 0:,} parameters · data "
               f"{md_escape(info.data or '?')}{tuned} · {md_escape(str(info.folder))}")
    if start and info.has_best and not info.active and info.best_step == 0:
        h1.caption("No step did better on validation than the model it started from, so its best.pt is that model.")
    if info.active and can_manage():
        if h2.button("Stop", icon=":material/stop:", key="tr_stop", width="stretch",
                     help="Ends the run after the current step; best.pt and last.pt are kept.") and can_manage():
            registry.stop(folder)
            st.toast("Stopping after the current step…")
    if info.problem:
        show_error("This run folder is damaged", info.problem)
    if info.error:
        show_error("The run failed", info.error)
    endings_section(info)
    return info.status


def still_view(folder: Path, info: run_folder.RunInfo) -> None:
    """The run's progress, figures and curves drawn once (a run that is not training)."""
    metrics = run_folder.read_metrics(folder)
    top = head(info, metrics, run_folder.read_samples(folder), run_folder.skipped_lines(folder))
    st.progress(top["fraction"], text=top["progress"])
    row = st.container(horizontal=True)
    for tile in top["tiles"]:
        row.metric(tile["label"], tile["value"], help=tile["help"])
    charts = st.container(horizontal=True)
    charts.plotly_chart(loss_curve(metrics), key="tr_loss_chart", config={"displayModeBar": False})
    charts.plotly_chart(accuracy_curve(metrics), key="tr_acc_chart", config={"displayModeBar": False})
    st.caption(top["caption"])
    strip_section(run_folder.read_surprise(folder))


def strip_section(strips: list[dict]) -> None:
    """The surprise strip of the run's fixed validation tune at a validation of its choice (the last by
    default): what the network learned first. A run from before the trainer kept them has none."""
    if not strips:
        return
    steps = [s["step"] for s in strips]
    if st.session_state.get("tr_strip_step") not in steps:
        st.session_state["tr_strip_step"] = steps[-1]
    pick = st.select_slider("Surprise at step", steps, key="tr_strip_step") if len(steps) > 1 else steps[0]
    s = next(x for x in reversed(strips) if x["step"] == pick)
    st.markdown(f"##### What the network finds surprising in a validation tune, step {pick:,}")
    shaded_text(s["text"], s["bits"][:-1], "tr_strip", end=s["bits"][-1], legend="darker: more bits")
    st.caption(f"{sum(s['bits']) / len(s['bits']):.2f} bits per character at step {pick:,}; move the slider back "
               "to see what the network learned first (the header and bar lines, then rhythm, then melody).")


def started(info: run_folder.RunInfo | None, job) -> bool:
    """Whether a run has written its first status (its thread may still be preparing the data)."""
    return info is not None and not (job is not None and job.alive and (info.updated or 0) < job.started)


HEADER_STATUS = run_header(WATCHED)
PREPARING = LIVE and not started(run_folder.run_info(WATCHED), registry.job(WATCHED))


@st.fragment(run_every=2.0 if PREPARING else None)
def live_run() -> None:
    """No run, a run preparing its data (ticking until it trains), or a still run."""
    folder = WATCHED  # fixed until the next full run (a run ending, starting elsewhere, or a click)
    if folder is None:
        st.info("No training runs yet. Start one above, or from a terminal: "
                "`python -m musicrnn train --preset tiny --out runs/first`.", icon=":material/info:")
        return
    info = run_folder.run_info(folder)
    job = registry.job(folder)
    if not started(info, job):
        if job is not None and job.error:
            show_error(f"Run {folder.name} failed to start", job.error)
            if PREPARING:
                st.rerun(scope="app")  # stop ticking
        else:
            st.info(f"**{md_escape(folder.name)}**: preparing the data…", icon=":material/hourglass_top:")
        return
    if PREPARING or info.status != HEADER_STATUS:
        st.rerun(scope="app")  # it trains now (the live view), or it ended: header, run list, model picker
    still_view(folder, info)


@st.fragment
def live_part() -> None:
    """The run as it trains, drawn by the browser; this fragment reruns when a newer sampled tune appears."""
    samples = run_folder.read_samples(WATCHED)
    shown = shown_sample(samples)
    if live_view(WATCHED, HEADER_STATUS, shown).status is not None:
        st.rerun(scope="app")  # the run ended or failed: its header, the run list and the model picker
    sample_section([s for s in samples if s.get("abc")], shown)


def sample_section(samples: list[dict], follow: int | None = None) -> None:
    """The tune sampled at a validation, engraved, playable and as ABC: the one at step `follow` (default: the
    newest), unless the listener picked another."""
    st.markdown("##### Listen to it learn")
    if not samples:
        st.caption("At each validation the network writes a short tune; it appears here.")
        return
    steps = [s["step"] for s in samples]
    follow = follow if follow in steps else steps[-1]
    # follow the run, unless the listener went back to another sample
    ss = st.session_state
    if ss.get("tr_sample_step") not in steps or ss.get("tr_sample_step") == ss.get("tr_sample_latest"):
        ss["tr_sample_step"] = follow
    ss["tr_sample_latest"] = follow
    pick = st.select_slider("Sample at step", steps, key="tr_sample_step") if len(steps) > 1 else steps[0]
    s = next(x for x in reversed(samples) if x["step"] == pick)
    c1, c2 = st.columns([2, 1])
    with c1:
        player(s["abc"], f"tr_sample_{pick}", ended=s.get("ended"), editable=False, file_stem=f"sample-step{pick}")
    with c2:
        st.code(s["abc"], language=None)


@st.fragment
def still_sample() -> None:
    if WATCHED is not None:
        sample_section([s for s in run_folder.read_samples(WATCHED) if s.get("abc")])


@st.fragment(run_every=None if LIVE else 5.0)
def watch_for_runs() -> None:
    if active_folders() != ACTIVE_AT_START:  # a run started or ended elsewhere
        st.rerun(scope="app")


if LIVE and not PREPARING:
    live_part()
else:
    live_run()
    still_sample()
watch_for_runs()

# ------------------------------------------------------------------------------------------- run list

st.subheader("Runs")
runs = run_folder.list_runs()
if not runs:
    st.caption(f"No runs under {md_escape(str(run_folder.runs_root()))} yet.")
else:
    rows = []
    for r in runs:
        rows.append({"run": r.name, "status": r.status, "problem": r.problem or r.error or "", "step": r.step,
                     "of": r.total_steps,
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
    can_resume = r.status in ("interrupted", "stopped", "failed") and r.has_last and MANAGER
    if b2.button("Resume", icon=":material/resume:", key="tr_resume", disabled=not can_resume, width="stretch",
                 help="Continue from last.pt with the run's own settings.") and can_manage():
        try:
            registry.resume(r.folder)
            st.session_state["tr_watch"] = pick
            st.toast(f"Resuming {md_escape(r.name)}", icon=":material/resume:")
            st.rerun()
        except (MusicRNNError, ValueError) as e:
            show_error(f"Cannot resume {r.name}", e)
    if b3.button("Use in studio", icon=":material/piano:", key="tr_use", disabled=not r.has_best, width="stretch"):
        use_model(str(r.folder), r.name)
        st.switch_page(PAGE_FILES["studio"])
    if r.status == "interrupted":
        st.caption("This run stopped without finishing (the server or its process ended); **Resume** continues "
                   "from its last checkpoint.")
