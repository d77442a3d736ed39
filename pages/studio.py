"""Studio: generate tunes, rank them by the music checks, audition, edit, download and save them."""
import time
import uuid

import streamlit as st

from app_support import studio_keep
from app_support.media import check_many
from app_support.models import active_model, get_model
from app_support.playback import sound_options
from app_support.steering import steering_note
from app_support.text import md_escape, show_error
from app_support.tune_view import keep_offer, tune_view
from musicrnn.errors import MusicRNNError
from musicrnn.generation.endings import DEFAULT_ENDINGS, ending_options
from musicrnn.generation.options import DEFAULT_STRICT_BARS
from musicrnn.generation.prime import known_types
from musicrnn.notation.tune_types import TUNE_TYPES, TuneType, quarter_tempo

ANY = "any (the model chooses)"
# For a model trained without tune types: the meters of the common types (what the picker offered before types):
# meter, unit length, and the type whose pace each plays at.
METERS = {"4/4 (reel, hornpipe)": ("4/4", "1/8", "reel"), "6/8 (jig)": ("6/8", "1/8", "jig"),
          "9/8 (slip jig)": ("9/8", "1/8", "slip jig"), "2/4 (polka)": ("2/4", "1/8", "polka"),
          "3/4 (waltz)": ("3/4", "1/8", "waltz"), ANY: (None, None, None)}
KEYS = ["D", "G", "A", "E", "C", "F", "Bb", "Em", "Am", "Bm", "Dm", "Gm", "Ador", "Edor", "Ddor", "Gdor",
        "Amix", "Dmix", "Gmix", "any (the model chooses)"]
ENDING_LABELS = {DEFAULT_ENDINGS: "like real tunes of the type", "model": "as the model writes them",
                 "final": "always on the final"}


def pace_of(choice: str | None) -> TuneType | None:
    """The tune type whose pace and beat the picker's choice plays at (a type, or a meter of a model trained
    without types); None for "any", where each tune plays at its own."""
    return TUNE_TYPES.get(choice) or TUNE_TYPES.get(METERS.get(choice, (None, None, ""))[2])


def set_type_tempo(picker: str = "studio_type") -> None:
    """A tune type brings its own pace, counted in its own beat: a jig at 112 dotted quarters a minute."""
    t = pace_of(st.session_state.get(picker))
    if t is not None:
        st.session_state["studio_tempo"] = t.tempo


def kept_request(types: dict) -> tuple[dict | None, str | None]:
    """The waiting "Write the rest again" request and its prime; the pickers are set to the kept tune's type
    (and its pace) before they are drawn, so a jig kept from the tunebook plays as a jig."""
    from musicrnn.generation.prime import kept_prime, prime_type
    from musicrnn.notation.fields import header_field

    keep = studio_keep.take()
    if keep is None:
        return None, None
    try:
        prime = kept_prime(keep["abc"], keep["bar"])
    except MusicRNNError as e:
        return keep | {"error": e}, None
    key, kept_type, kept_meter = header_field(prime, "K"), prime_type(prime), header_field(prime, "M")
    if key in KEYS:
        st.session_state["studio_key"] = key
    if kept_type in types:
        st.session_state["studio_type"] = kept_type
        set_type_tempo()
    elif not types:  # a model without types: its meter picker shows the kept tune's meter, where it lists it
        shown = [name for name, (meter, _, _) in METERS.items() if meter == kept_meter]
        if shown:
            st.session_state["studio_meter"] = shown[0]
            set_type_tempo("studio_meter")
    return keep, prime


st.title("Studio")
value, label = active_model()
types = {}
try:
    if value is not None:  # loaded (and cached) while the user picks settings, not on Generate
        types = known_types(get_model(value)[2].get("data"))
except MusicRNNError:
    pass  # Generate shows the error
keep, kept = kept_request(types)  # "Write the rest again" under a candidate, or from the tunebook

left, right = st.columns([1, 2.4], gap="large")

with left:
    if value is None:
        st.warning("No model is available yet: the shipped model (checkpoints/default) is not installed and no "
                   "run under runs/ has a best.pt. Train one on the **Train** page (the *tiny* preset takes about "
                   "a minute), then come back.", icon=":material/warning:")
    else:
        st.caption(f"Model: **{md_escape(label)}** (change it in the sidebar)")
    if types:  # the types this model was trained with (its checkpoint's data description), and "any"
        choices = [t for t in TUNE_TYPES if t in types] + [ANY]  # dances first, as musicians list them: reel, jig…
        if st.session_state.get("studio_type") not in choices:
            st.session_state["studio_type"] = choices[0]
            set_type_tempo()
        tune_type = st.selectbox("Tune type", choices, key="studio_type", persist_state="session",
                                 on_change=set_type_tempo,
                                 format_func=lambda t: t if t == ANY else f"{t} · {types[t]['meter']}",
                                 help="The model was trained with these tune types (R:); the header it continues "
                                      "asks for one, in the meter and unit length its tunes of that type had.")
    else:
        tune_type = st.selectbox("Meter", list(METERS), key="studio_meter", persist_state="session",
                                 on_change=set_type_tempo, args=("studio_meter",),
                                 help="This model was trained without tune types: the header it continues sets "
                                      "the meter (M:) and unit note length (L:) only.")
    key_sig = st.selectbox("Key", KEYS, key="studio_key", persist_state="session")
    temperature = st.slider("Temperature", 0.1, 2.0, 0.9, 0.05, key="studio_temperature", persist_state="session",
                            help="Low: safe, repetitive tunes. High: adventurous, more mistakes.")
    c1, c2 = st.columns(2)
    n = c1.number_input("Candidates", 1, 8, 3, key="studio_n", persist_state="session")
    max_chars = c2.number_input("Max length", 50, 3000, 600, 50, key="studio_max_chars", persist_state="session",
                                help="Characters generated at most per tune (a tune usually ends by itself).")
    s1, s2 = st.columns([1.6, 1], vertical_alignment="bottom")
    st.session_state.setdefault("studio_seed", 1)
    seed = s1.number_input("Seed", 0, 2**31 - 1, key="studio_seed", persist_state="session",
                           help="The same seed, settings and model give the same tunes. Unless **Fixed** is on, "
                                "each Generate draws a new seed and shows it here, so any tune can be reproduced.")
    fixed = s2.toggle("Fixed", False, key="studio_fixed_seed", persist_state="session")
    endings = st.selectbox("Endings", list(ENDING_LABELS), key="studio_endings", persist_state="session",
                           format_func=ENDING_LABELS.get,
                           help="How often a tune's last note is its key's final (D in D, A in A dorian). "
                                "**Like real tunes**: as often as real tunes of the type do (a reel about two "
                                "times in three, a jig four in five): a last bar off the final is sometimes drawn "
                                "again, by a chance fitted for this model and type; and, like real dance tunes, "
                                "in two parts: a tune that would stop after its first part goes on. **As the "
                                "model writes**: its first ending stands. **Always on the final**: drawn again "
                                "until it is (in two parts too).")
    strict = st.toggle("Keep bars to the meter", DEFAULT_STRICT_BARS, key="studio_strict_bars", persist_state="session",
                       help="While the model writes, a note or length that would make a bar longer than the meter "
                            "is ruled out, so it writes one that fits. Off: bars as the model writes them.")
    with st.expander("Advanced"):
        top_k = st.number_input("Top-k (0 = off)", 0, 200, 0, key="studio_top_k", persist_state="session")
        top_p = st.slider("Top-p (1 = off)", 0.05, 1.0, 1.0, 0.05, key="studio_top_p", persist_state="session")
        start = st.text_area("Start with this ABC (the model continues it)", "", key="studio_start", height=100,
                             persist_state="session",
                             help="Body notes continuing the header above, or a whole tune header starting X:.")
    with st.expander("Playback", expanded=False):
        sound = sound_options("studio")
        pace = pace_of(tune_type)
        if pace is None:
            tempo = None
            st.caption("Tempo: each tune at its own type's pace (a reel 100 half notes a minute, a jig 112 dotted "
                       "quarters); the player's Speed slows it down.")
        else:  # counted as a musician counts the type, in its own beat
            st.session_state.setdefault("studio_tempo", pace.tempo)
            beats = st.slider(f"Tempo ({pace.beat_name} per minute)", 30, 240, key="studio_tempo",
                              persist_state="session",
                              help=f"Picking a tune type sets its session pace ({pace.name}: {pace.tempo}). Counted "
                                   "in the type's beat, as on a metronome: a reel in half notes, a jig in dotted "
                                   "quarters.")
            tempo = quarter_tempo(beats, pace.beat)

    generate = st.button("Generate", type="primary", icon=":material/auto_awesome:", disabled=value is None,
                         on_click=studio_keep.draw_seed, key="studio_generate", width="stretch")

playback = {**sound, "tempo": tempo}
if (generate or keep) and value is not None:
    from musicrnn.generation.prime import build_prime, prime_type, type_prime
    from musicrnn.generation.sampler import sample

    k = None if key_sig.startswith("any") else key_sig
    settings = dict(model=label, model_path=value, seed=int(seed), candidates=int(n), temperature=float(temperature),
                    top_k=int(top_k) or None, top_p=float(top_p) if top_p < 1.0 else None, max_chars=int(max_chars),
                    tune_type=tune_type, endings=endings, strict_bars=bool(strict))
    try:
        with right, st.spinner("Generating…"):
            model, vocab, ckpt = get_model(value)
            if keep:  # the kept bars' own header says the type, meter and key
                if "error" in keep:
                    raise keep["error"]
                prime = kept
                settings |= {"kept": {"bar": keep["bar"], "from": keep["from"]}, "tune_type": prime_type(prime)}
            elif types and tune_type != ANY:
                prime = type_prime(tune_type, ckpt.get("data"), key=k, start=start.strip() or None)
            else:
                meter, unit, _ = METERS.get(tune_type, (None, None, None))
                prime = build_prime(meter, unit, k, start.strip() or None)
            settings |= ending_options(ckpt, settings["tune_type"] if types else None, endings)
            import torch

            torch.set_num_threads(1)  # per thread: sampling one step at a time gains nothing from more
            t0 = time.perf_counter()
            samples = sample(model, vocab, int(n), prime=prime, temperature=float(temperature),
                             top_k=settings["top_k"], top_p=settings["top_p"], seed=int(seed),
                             max_chars=int(max_chars), final_redraws=settings["final_redraws"],
                             final_keep=settings["final_keep"], form_keep=settings["form_keep"],
                             strict_bars=settings["strict_bars"])
            t1 = time.perf_counter()
            checks = check_many([s.text for s in samples], [s.ended for s in samples])
            timing = {"sample_s": t1 - t0, "check_s": time.perf_counter() - t1}
        cands = []
        for i, (s, c) in enumerate(zip(samples, checks)):
            rep = c if isinstance(c, dict) else None
            cands.append({"abc": s.text, "ended": s.ended, "index": i, "check": rep, "bar_breaks": s.bar_breaks,
                          "redrawn": s.redrawn, "put_off": s.put_off,
                          "check_error": c if isinstance(c, str) else None,
                          "score": float(rep["score"]) if rep else 0.0})
        cands.sort(key=lambda c: -c["score"])
        st.session_state["studio_result"] = {"id": uuid.uuid4().hex[:8], "candidates": cands,
                                             "settings": {**settings, "prime": prime}, "timing": timing}
    except (MusicRNNError, ValueError) as e:
        with right:
            show_error("Could not generate", e)

result = st.session_state.get("studio_result")
with right:
    if not result:
        st.info("Pick a tune type, key and temperature, then press **Generate**. Candidates appear here, best "
                "first, each with its score, audio, ABC and downloads.", icon=":material/lightbulb:")
    else:
        cfg = result["settings"]
        tm = result.get("timing") or {}
        if cfg.get("kept"):
            st.caption(f"Bars up to {int(cfg['kept']['bar'])} kept from {md_escape(cfg['kept']['from'])}; the rest "
                       "written anew.")
        st.caption(f"Seed **{cfg['seed']}** · temperature {cfg['temperature']} · {len(result['candidates'])} "
                   f"candidate(s), ranked by the music checks · model {md_escape(cfg['model'])} · written in "
                   f"{tm.get('sample_s', 0):.2f} s, checked in {tm.get('check_s', 0):.2f} s")
        cands = result["candidates"]
        labels = [f"#{i + 1} · {c['score']:.2f}" + (" ✓" if c["check"] and c["check"].get("ok") else "")
                  for i, c in enumerate(cands)]
        tabs = st.tabs(labels, key=f"studio_tabs_{result['id']}", on_change="rerun")
        for i, (tab, c) in enumerate(zip(tabs, cands)):
            if tab.open is False:
                continue  # only the open candidate is rendered: switching tabs renders the next
            with tab:
                note = steering_note(c.get("bar_breaks") or 0, c.get("redrawn") or 0, c.get("put_off") or 0)
                if note:
                    st.caption(":material/tune: " + note)
                save = {**cfg, "candidate": c["index"] + 1}
                shown = tune_view(c["abc"], f"studio_{result['id']}_{c['index']}", playback=playback,
                                  ended=c["ended"], file_stem=f"musicrnn-seed{cfg['seed']}-{c['index'] + 1}",
                                  save_settings=save)
                keep_offer(shown, f"studio_{result['id']}_{c['index']}", f"#{i + 1} of seed {cfg['seed']}",
                           studio_keep.ask, disabled=value is None)
