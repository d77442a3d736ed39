"""Inside: where a tune surprises the model, what it expects next, and which of its cells follow the bars."""
import math

import numpy as np
import pandas as pd
import streamlit as st

from app_support import inside_view as iv
from app_support.charts import char_label, next_char_bars
from app_support.models import active_model, get_model
from app_support.player import player
from app_support.shaded_text import shaded_text
from app_support.text import md_escape, show_error
from musicrnn.errors import MusicRNNError
from musicrnn.inspection import DESCRIPTIONS, FEATURES, TOP, correlate, next_chars, tune_features, unit_activation
from musicrnn.tunebook import Tunebook

SAMPLING_COLOR = "#7b5ea7"

st.title("Inside the network")
value, label = active_model()
if value is None:
    st.info("No model to look inside yet: the shipped model (checkpoints/default) is not installed and no run "
            "under runs/ has a best.pt. Train one on the **Train** page, then come back.", icon=":material/info:")
    st.stop()
try:
    get_model(value)
except MusicRNNError as e:
    show_error("Cannot load the model", e)
    st.stop()
st.caption(f"Model: **{md_escape(label)}** (change it in the sidebar). Where a tune surprises it, what it expects "
           "next, and which of its cells follow the bars.")

# ------------------------------------------------------------------------------------------ the tune
st.subheader("Pick a tune")
result = st.session_state.get("studio_result")
if st.session_state.get("in_source") not in iv.SOURCES:
    st.session_state["in_source"] = iv.SOURCES[0] if result else iv.SOURCES[2]
top_row = st.columns([3, 1], vertical_alignment="bottom")
source = top_row[0].radio("Tune from", iv.SOURCES, key="in_source", persist_state="session", horizontal=True)
as_written = top_row[1].toggle("Read as written", key="in_as_written", persist_state="session",
                               help="Off: a tune is cleaned as the corpus was, as `evaluate` reads it, so its mean "
                                    "is evaluate's bits per character. On: read exactly as shown.")


def studio_tune() -> str | None:
    cands = (result or {}).get("candidates") or []
    if not cands:
        st.info("No studio candidate yet: generate tunes in the **Studio**, then come back.",
                icon=":material/piano:")
        return None
    if st.session_state.get("in_studio_pick") not in range(len(cands)):
        st.session_state["in_studio_pick"] = 0
    i = st.selectbox("Candidate", range(len(cands)), key="in_studio_pick",
                     format_func=lambda i: f"#{i + 1} · score {cands[i]['score']:.2f}")
    return cands[i]["abc"]


def tunebook_tune() -> str | None:
    try:
        tunes = Tunebook().list()
    except MusicRNNError as e:
        show_error("Cannot open the tunebook", e)
        return None
    if not tunes:
        st.info("The tunebook is empty: save a tune from the **Studio** first.", icon=":material/menu_book:")
        return None
    by_id = {t.id: t for t in tunes}
    if st.session_state.get("in_book_pick") not in by_id:
        st.session_state["in_book_pick"] = tunes[0].id
    pick = st.selectbox("Tune", list(by_id), key="in_book_pick",
                        format_func=lambda i: f"{by_id[i].title} · {by_id[i].date}")
    return by_id[pick].abc


def validation_tune() -> str | None:
    try:
        with st.spinner("Reading the validation tunes…"):
            tunes = iv.validation_of(value)
    except MusicRNNError as e:
        show_error("Cannot read the model's validation tunes", e)
        return None
    changed = iv.validation_change(value)
    if changed:
        st.warning(md_escape(changed), icon=":material/warning:")
    never = "tunes of its validation split" if changed else "tunes the model never trained on"
    i = st.number_input(f"Validation tune (1 to {len(tunes):,}: {never})", 1, len(tunes), 1, key="in_val_pick")
    return tunes[int(i) - 1]


def pasted_tune() -> str | None:
    return st.text_area("ABC", key="in_paste", persist_state="session", height=180,
                        placeholder="X:1\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|edB dBA:|")


PICKERS = {"Studio candidate": studio_tune, "Tunebook": tunebook_tune, "Validation tune": validation_tune,
           "Paste ABC": pasted_tune}
abc = PICKERS[source]()
if abc is None:
    st.stop()
tune = iv.tune_text(abc, as_written or source == "Validation tune")  # validation tunes are cleaned already
if tune.error:
    st.warning(md_escape(tune.error), icon=":material/warning:")
    st.stop()
for note in tune.warnings:
    st.warning(note, icon=":material/warning:")
for note in tune.notes:
    st.caption(note)
try:
    with st.spinner("Reading the tune…"):
        reading = iv.reading_of(value, tune.text)
except MusicRNNError as e:
    show_error("Cannot read the tune", e)
    st.stop()
if reading.chars == 0:
    st.error("The model knows none of this text's characters: there is nothing to read.", icon=":material/error:")
    st.stop()
unknown = iv.unknown_chars(reading)
if unknown:
    shown = ", ".join(md_escape(repr(c)) for c in unknown[:12]) + (" …" if len(unknown) > 12 else "")
    st.warning(f"{reading.skipped} character(s) the model does not know are left out, as `evaluate` leaves them "
               f"out: {shown}", icon=":material/warning:")
n = reading.chars
st.session_state["in_shown"] = {"text": tune.text, "total_bits": reading.total_bits, "mean_bits": reading.mean_bits,
                                "chars": n}

# Position p is the character the model is about to read (n: the end of the tune); a new tune starts at its
# most surprising note.
tune_id = iv.digest(f"{value}\0{tune.text}")
if st.session_state.get("in_pos_tune") != tune_id:
    st.session_state["in_pos_tune"] = tune_id
    st.session_state["in_pos"] = iv.surprising_position(reading)
st.session_state["in_pos"] = min(max(0, int(st.session_state.get("in_pos", 0))), n)


def pick(text_index: int) -> None:
    st.session_state["in_pos"] = iv.position_of(reading, text_index)


def step(by: int) -> None:
    st.session_state["in_pos"] = min(max(0, st.session_state["in_pos"] + by), n)


# ------------------------------------------------------------------------------------------ surprise
st.subheader("Surprise")
st.caption("Each character is shaded by the model's surprise at it, in bits: 1 bit is a coin toss, 8 bits a "
           "1-in-256 guess. The tune is read from a fresh state, as `evaluate` reads it, its end included. "
           "Click a character to see what the model expected there.")
tiles = st.container(horizontal=True)
tiles.metric("Total", f"{reading.total_bits:,.1f} bits", help="The bits of every character and of the end.")
tiles.metric("Mean", f"{reading.mean_bits:.3f} bits/char", help="evaluate's bits per character for this tune alone.")
tiles.metric("Characters", f"{n + 1:,}", help="Characters read, and the end of the tune.")
left, right = st.columns([1.1, 1], gap="large")
with right:
    player(tune.text, f"in_player_{iv.digest(tune.text)}", editable=False, file_stem="inside",
           note_shade=iv.note_shades(reading))
    st.caption("The score's notes are shaded the same way: a note's surprise is the sum over its characters.")
with left:
    shaded_text(tune.text, iv.text_values(reading, reading.bits[:-1]), "in_surprise", end=float(reading.bits[-1]),
                selected=iv.text_index_of(reading, st.session_state["in_pos"]), on_pick=pick,
                legend="darker: more surprising")

    # -------------------------------------------------------------------------------------- what comes next
    st.markdown("#### What comes next")
    row = st.columns([2, 1, 1], vertical_alignment="bottom")
    pos = row[0].slider("Position in the tune", 0, n, key="in_pos",
                        help="The character the model is about to read: it has read the ones before it.")
    row[1].button("Back", icon=":material/chevron_left:", on_click=step, args=(-1,), key="in_back", disabled=pos <= 0,
                  width="stretch", help="One character back")
    row[2].button("Next", icon=":material/chevron_right:", on_click=step, args=(1,), key="in_forward",
                  disabled=pos >= n, width="stretch", help="One character forward")
    knobs = st.columns(3)
    temperature = knobs[0].slider("Temperature", 0.1, 2.0, 1.0, 0.05, key="in_temperature", persist_state="session",
                                  help="Below 1 sharpens the distribution (safer choices), above 1 flattens it.")
    top_k = knobs[1].number_input("Top-k (0 = off)", 0, 200, 0, key="in_top_k", persist_state="session",
                                  help="Sampling keeps only the k most likely characters.")
    top_p = knobs[2].slider("Top-p (1 = off)", 0.05, 1.0, 1.0, 0.05, key="in_top_p", persist_state="session",
                            help="Sampling keeps the most likely characters until their probabilities reach p.")
    nc = next_chars(reading, pos - 1, temperature=float(temperature), top_k=int(top_k) or None,
                    top_p=float(top_p) if top_p < 1.0 else None)
    j = nc.tokens.index(nc.actual)
    p_actual = float(nc.model[j])
    rank = int((nc.model > p_actual).sum()) + 1
    at = iv.text_index_of(reading, pos)
    read = reading.text[max(0, at - 40):at].replace("\n", "↵")
    st.code(("…" if at > 40 else "") + read + "▮" if read else "▮ (nothing read yet: the start of the tune)",
            language=None)
    st.markdown(f"Next in the tune: **{md_escape(char_label(nc.actual))}**. The model gave it {p_actual:.1%} "
                f"({-math.log2(max(p_actual, 1e-300)):.2f} bits), its choice number {rank} of {len(nc.tokens)}; "
                f"sampling under these settings would pick it {float(nc.sampling[j]):.1%} of the time.")
    rows = nc.top(TOP)
    settings = [f"temperature {temperature:g}", f"top-k {int(top_k)}" if top_k else "top-k off",
                f"top-p {top_p:g}" if top_p < 1.0 else "top-p off"]
    st.plotly_chart(next_char_bars([(c, p) for c, p, _ in rows], f"The model's {TOP} likeliest next characters",
                                   nc.actual, other=max(0.0, 1.0 - sum(p for _, p, _ in rows)), height=270),
                    key="in_model_chart", config={"displayModeBar": False})
    st.plotly_chart(next_char_bars([(c, q) for c, _, q in rows], "What sampling draws from · " + ", ".join(settings),
                                   nc.actual, color=SAMPLING_COLOR, height=270,
                                   other=max(0.0, 1.0 - sum(q for _, _, q in rows))),
                    key="in_sampling_chart", config={"displayModeBar": False})
    st.caption("The character that does come next is drawn in red; *other* is the rest of the distribution.")

# ------------------------------------------------------------------------------------------ cells
st.subheader("Cells")
st.caption("Every hidden and cell unit of every layer, correlated (Pearson r) with features of the notation at "
           f"every character of the model's validation tunes (the first {iv.CELL_TUNES}), as Karpathy, Johnson "
           "and Fei-Fei found cells that count line length and quotes in text.")
try:
    with st.spinner(f"Correlating every unit with {len(FEATURES)} features of the notation over the validation "
                    "tunes…"):
        stats, seconds = iv.cells_of(value)
except MusicRNNError as e:
    show_error("Cannot compute the cell statistics", e)
    st.stop()
how = "read from the cache" if stats.cached else f"computed in {seconds:.1f} s, then cached"
st.caption(f"{stats.tunes:,} validation tunes · {stats.chars:,} characters · {how}")
st.dataframe(pd.DataFrame(iv.units_table(stats)), hide_index=True, width="stretch", key="in_units_table",
             column_config={"what it is": st.column_config.TextColumn(width="large")})
choices = iv.unit_choices(stats)
if not choices:
    st.info("No feature of the notation varies over these tunes: there is no unit to show.", icon=":material/info:")
    st.stop()
if st.session_state.get("in_unit") not in choices:
    st.session_state["in_unit"] = next(iter(choices))
feature, unit = choices[st.selectbox("Colour the tune by a unit", list(choices), key="in_unit")]
act = unit_activation(reading, unit.layer, unit.kind, unit.index)
try:
    here = float(correlate(tune_features(tune.text)[reading.offsets][:, [FEATURES.index(feature)]], act[:, None])[0, 0])
except (MusicRNNError, ValueError):
    here = float("nan")
kind = "cell" if unit.kind == "c" else "hidden"
shaded_text(tune.text, iv.text_values(reading, act), "in_cells_text", scale=max(float(np.abs(act).max()), 1e-6),
            signed=True, unit="", legend=f"layer {unit.layer} {kind} unit {unit.index} after each character: blue "
                                         "below 0, red above")
st.caption(f"**{feature}**: {DESCRIPTIONS[feature]}. r = {unit.r:+.2f} over the validation tunes"
           + (f", {here:+.2f} on this tune." if math.isfinite(here) and here != 0 else "."))
