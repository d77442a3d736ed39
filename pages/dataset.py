"""Dataset explorer: what the model learns from. Counts, lengths, characters, meters and keys, a tune browser."""
import hashlib
import random
import re
import tempfile
from pathlib import Path

import streamlit as st

from app_support import charts
from app_support.access import can_manage, managed_note
from app_support.data_folders import irishman_dir, known_sources, uploads_dir
from app_support.models import has_shipped_model
from app_support.navigation import PAGE_FILES
from app_support.playback import sound_options
from app_support.text import md_escape, show_error
from app_support.tune_view import tune_view
from musicrnn.data.sources import MUSIC21_PARTS
from musicrnn.errors import MusicRNNError
from musicrnn.files import atomic_write_bytes, safe_name


@st.cache_resource(max_entries=3, show_spinner="Reading and cleaning the tunes…")
def load(src: str, stamp: float) -> tuple[dict, list[str]]:
    """The source's description and its clean tunes (training tunes first), through the stream cache that
    training uses: a source read once, here or by a training run, is not cleaned again."""
    from musicrnn.data.stream import prepare

    prepared = prepare(src)
    return prepared.description, prepared.texts()


@st.cache_data(max_entries=6, show_spinner="Counting…")
def stats(src: str, stamp: float) -> dict:
    from musicrnn.data.stats import corpus_stats

    description, tunes = load(src, stamp)
    s = corpus_stats(tunes)
    s["lengths"] = [len(t) for t in tunes]
    s["describe"] = description
    return s


def stamp_of(src: str) -> float:
    """Changes when the source's files change, so the caches reload."""
    if src in MUSIC21_PARTS:
        return 0.0
    p = Path(src).expanduser()
    try:
        if p.is_dir():
            return max((f.stat().st_mtime for f in p.iterdir()), default=p.stat().st_mtime)
        return p.stat().st_mtime
    except OSError:
        return -1.0


def save_upload() -> None:
    """Check an uploaded .json/.abc and keep it under data/uploads (so the Train page can use it too)."""
    from musicrnn.data.stream import prepare

    f = st.session_state.get("ds_upload")
    st.session_state.pop("ds_upload_error", None)
    if f is None or not can_manage():
        return
    data = f.getvalue()
    name = safe_name(Path(f.name).name, default="upload.abc", limit=200, keep="_.-", sep="_")
    suffix = Path(name).suffix.lower()
    if suffix not in (".json", ".abc"):
        st.session_state["ds_upload_error"] = (
            f.name, f"expected a .json (IrishMAN) or .abc file, not {suffix or 'no extension'}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / name
        probe.write_bytes(data)
        try:
            prepare(str(probe))  # cached by content: the page then reads the kept copy without cleaning it again
        except MusicRNNError as e:
            st.session_state["ds_upload_error"] = (f.name, str(e).replace(str(probe), f.name))
            return
    dest = uploads_dir() / f"{Path(name).stem}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"
    atomic_write_bytes(dest, data)  # named by its content: an upload never replaces other data
    st.session_state["ds_source"] = str(dest)


def tune_label(i: int, tune: str) -> str:
    from musicrnn.notation.fields import header_value

    body = next((ln for ln in tune.splitlines() if ln and not re.match(r"^[A-Za-z]:", ln)), "")
    return f"#{i + 1} · M:{header_value(tune, 'M') or '?'} K:{header_value(tune, 'K') or '?'} · {body[:40]}"


st.title("Dataset")

# -------------------------------------------------------------------------------------------- source

sources = known_sources()
c1, c2 = st.columns([3, 2])
with c1:
    if st.session_state.get("ds_source") not in list(sources) + ["other", None]:
        st.session_state["ds_source"] = "music21"
    src = st.selectbox("Source", list(sources) + ["other"], key="ds_source", persist_state="session",
                       format_func=lambda s: sources.get(s, "Another folder or file on the server…"))
    if src == "other":
        src = st.text_input("Path: an IrishMAN folder or .json, or an .abc file or folder", key="ds_path",
                            persist_state="session").strip()
with c2:
    if can_manage():
        st.file_uploader("…or upload an IrishMAN .json or an .abc file", type=["json", "abc"], key="ds_upload",
                         on_change=save_upload)
    else:
        managed_note("Uploading data")
if st.session_state.get("ds_upload_error"):
    name, err = st.session_state["ds_upload_error"]
    show_error(f"Cannot read the upload {name}", err)

with st.expander("Get IrishMAN (214,000 Irish tunes, about 300 MB, from the Hugging Face hub)",
                 icon=":material/download:"):
    have = (irishman_dir() / "train.json").is_file()
    st.caption(f"Saved to {md_escape(str(irishman_dir()))}" + (" — already downloaded." if have else "."))
    if not can_manage():
        managed_note("Downloading data")
    elif st.button("Download IrishMAN", key="ds_download", icon=":material/cloud_download:") and can_manage():
        from musicrnn.data.download import download_irishman

        def factory(name: str):
            bar = st.progress(0.0, text=f"{name}: connecting…")

            def progress(done: int, total: int | None) -> None:
                bar.progress(min(1.0, done / total) if total else 0.0,
                             text=f"{name}: {done / 1e6:,.1f} MB" + (f" of {total / 1e6:,.1f} MB" if total else ""))
            return progress

        try:
            counts = download_irishman(irishman_dir(), factory)
            st.success("Downloaded: " + ", ".join(f"{k} ({v:,} tunes)" for k, v in counts.items()),
                       icon=":material/check:")
            st.rerun()
        except MusicRNNError as e:
            show_error("Download failed", e)

if not src:
    st.info("Type a path, or pick a source.")
    st.stop()

try:
    s = stats(src, stamp_of(src))
    tunes = load(src, stamp_of(src))[1]
except MusicRNNError as e:
    show_error(f"Cannot read {src}", e)
    st.stop()

# ------------------------------------------------------------------------------------------- numbers

d = s["describe"]
cols = st.columns(4)
cols[0].metric("Tunes", f"{s['tunes']:,}", help=f"{d['train_tunes']:,} train · {d['val_tunes']:,} validation")
cols[1].metric("Characters", f"{s['characters']:,}")
cols[2].metric("Unique characters", s["unique_characters"])
clean = d["cleaning"]
cols[3].metric("Kept by cleaning", f"{clean['tunes_kept'] / max(1, clean['tunes_in']):.1%}",
               help=f"{clean['tunes_kept']:,} of {clean['tunes_in']:,} tunes read")
with st.expander("What cleaning dropped and changed"):
    st.json(clean, expanded=True)
if src not in MUSIC21_PARTS and has_shipped_model():  # a file check: this page reruns on every slider move
    if not can_manage():
        managed_note("Fine-tuning")
    elif st.button("Fine-tune the shipped model on these tunes", key="ds_fine_tune", icon=":material/tune:",
                   help="Opens the Train page with these tunes as the data and the shipped model to start from: "
                        "it learns their style and keeps the tune types it knows.") and can_manage():
        st.session_state["pending_train"] = {"source": src, "init": "default"}
        st.switch_page(PAGE_FILES["train"])

st.subheader("Lengths")
L = s["length"]
cols = st.columns(5)
for col, (k, name) in zip(cols, [("min", "Min"), ("median", "Median"), ("mean", "Mean"), ("p95", "95th pct"),
                                 ("max", "Max")]):
    col.metric(name, f"{L[k]:,.0f}")
top = int(max(L["max"], 64))
max_len = st.slider("Max length (a pad-to-max design cuts longer tunes and pads shorter ones)", 32, max(64, top),
                    min(600, top), key="ds_max_len")
from musicrnn.data.stats import padding_report  # noqa: E402

pad = padding_report(s["lengths"], max_len)
cols = st.columns(3)
cols[0].metric("Tunes truncated", f"{pad['truncated_fraction']:.1%}", help=f"{pad['truncated_tunes']:,} tunes")
cols[1].metric("Padding waste", f"{pad['padding_fraction']:.1%}",
               help="Share of a padded batch that is padding; musicrnn trains on a joined stream instead, with none.")
cols[2].metric("Characters lost", f"{pad['chars_lost_to_truncation']:,}")
st.plotly_chart(charts.length_histogram(s["lengths"], max_len), key="ds_hist")

st.subheader("Characters and headers")
st.plotly_chart(charts.char_frequencies(s["char_counts"]), key="ds_chars")
t1, t2, t3 = st.columns(3)
t1.plotly_chart(charts.bar_counts(s["meters"], "Meters (M:)", top=12), key="ds_meters")
t2.plotly_chart(charts.bar_counts(s["keys"], "Keys (K:)", top=15), key="ds_keys")
t3.plotly_chart(charts.bar_counts(s["unit_lengths"], "Unit lengths (L:)", top=8), key="ds_units")
types = {k: v for k, v in s.get("tune_types", {}).items() if k != "(none)"}
if types:
    st.plotly_chart(charts.bar_counts(types, "Tune types (R:)", top=15), key="ds_types")
    st.caption(f"{sum(types.values()):,} of {s['tunes']:,} tunes have a type; the rest (IrishMAN, say) have "
               "none. Free-text genre lines (most Essen songs have one) count as *song*.")
else:
    st.caption("No tune in this source has a type (R:): a model trained on it samples without one.")

# ------------------------------------------------------------------------------------------- browser

st.subheader("Tune browser")
b1, b2 = st.columns([3, 1], vertical_alignment="bottom")
query = b1.text_input("Search the ABC (notes, a key like K:Ador, a meter like M:9/8)", key="ds_query",
                      persist_state="session").strip()
matches = [i for i, t in enumerate(tunes) if query.lower() in t.lower()] if query else list(range(len(tunes)))
if b2.button("Random tune", key="ds_random", icon=":material/shuffle:", width="stretch") and matches:
    st.session_state["ds_tune"] = random.choice(matches)
if not matches:
    st.warning("No tune matches that search.")
else:
    shown = matches[:500]
    if st.session_state.get("ds_tune") not in shown:
        if st.session_state.get("ds_tune") in matches:
            shown = [st.session_state["ds_tune"]] + shown
        else:
            st.session_state["ds_tune"] = shown[0]
    st.caption(f"{len(matches):,} tune(s) match" + (" (the first 500 are listed)" if len(matches) > 500 else ""))
    i = st.selectbox("Tune", shown, key="ds_tune", format_func=lambda j: tune_label(j, tunes[j]))
    with st.expander("Playback", icon=":material/tune:"):
        playback = sound_options("ds")  # each tune at its own pace, as in the tunebook
    tune_view(tunes[i], f"ds_{hashlib.sha1(src.encode()).hexdigest()[:6]}_{i}", editable=False, playback=playback,
              file_stem=f"tune-{i + 1}", save_settings={"imported from": f"{src}, tune {i + 1} as cleaned"})
