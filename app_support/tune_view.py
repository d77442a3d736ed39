"""One tune on a page: validity badges, engraved score, audio, the ABC (editable), downloads, save."""
from __future__ import annotations

import streamlit as st

from app_support.access import owner_token
from app_support.media import render_tune
from app_support.text import md_escape, show_error
from musicrnn.errors import MusicRNNError
from musicrnn.files import safe_name


def badges(check: dict | None, check_error: str | None = None) -> None:
    """Validity badges from a check report (numbers and fixed words only: no tune text in markdown)."""
    if not check:
        st.markdown(":gray-badge[:material/help: not checked]")
        if check_error:
            st.caption("check failed: " + md_escape(check_error)[:300])
        return
    b = []
    b.append(":green-badge[:material/check: parses]" if check.get("parses") else
             ":red-badge[:material/close: does not parse]")
    bad, bars = len(check.get("bad_bars") or []), int(check.get("bars") or 0)
    if check.get("parses"):
        b.append(f":green-badge[{bars} bars fit the meter]" if not bad else
                 f":orange-badge[{bad} of {bars} bars off the meter]")
    b.append(":green-badge[repeats closed]" if not check.get("open_repeats") else
             f":orange-badge[{len(check['open_repeats'])} open repeat(s)]")
    b.append(":green-badge[ends]" if check.get("ended") else ":orange-badge[cut off]")
    b.append(f":blue-badge[score {float(check.get('score') or 0):.2f}]")
    st.markdown(" ".join(b))
    if check.get("error"):
        st.caption("music21: " + md_escape(check["error"])[:300]
                   + (f" (line {int(check['error_line'])})" if check.get("error_line") else ""))


def needs_repair(check: dict | None) -> bool:
    """Whether the check found what `repair_tune` fixes: an open repeat, a tune that does not end on a bar
    line (a trailing incomplete bar), a missing K: or L:."""
    if not check:
        return False
    missing = any(w.startswith(("no key", "no unit length")) for w in check.get("warnings") or [])
    return bool(check.get("open_repeats")) or not check.get("ended", True) or missing


def repair_offer(abc: str, key: str, ended: bool | None) -> None:
    """A **Repair** button; the repair it proposes is shown as a diff and applied only when confirmed."""
    proposal_key = f"{key}_repair"
    proposal = st.session_state.get(proposal_key)
    if proposal is not None and proposal.get("original") != abc:
        proposal = None  # the ABC changed since: that proposal no longer applies
    if proposal is None:
        if st.button("Repair…", key=f"{key}_repair_ask", icon=":material/healing:",
                     help="Shows what an automatic repair would change (closing repeats, the last bar, a missing "
                          "K: or L:); nothing changes until you apply it."):
            from musicrnn.music.isolated import repair

            try:
                fix = repair(abc, ended=ended)
                st.session_state[proposal_key] = {"original": abc, "text": fix.text, "diff": fix.diff,
                                                  "changes": fix.changes}
            except MusicRNNError as e:
                show_error("Cannot repair this tune", e)
            st.rerun()
        return
    if not proposal["changes"]:
        st.caption("The repair finds nothing to change.")
        return
    with st.container(border=True):
        st.markdown("**Proposed repair**")
        for change in proposal["changes"]:
            st.caption(md_escape(change))
        st.code(proposal["diff"], language="diff")
        a, b = st.columns(2)
        a.button("Apply the repair", key=f"{key}_repair_apply", icon=":material/check:", type="primary",
                 on_click=_apply_repair, args=(key,), width="stretch")
        b.button("Keep it as it is", key=f"{key}_repair_cancel", icon=":material/close:",
                 on_click=lambda: st.session_state.pop(proposal_key, None), width="stretch")


def _apply_repair(key: str) -> None:
    proposal = st.session_state.pop(f"{key}_repair", None)
    if proposal is not None:
        st.session_state[f"{key}_abc"] = proposal["text"]  # before the text area is drawn again


def tune_view(abc: str, key: str, *, playback: dict | None = None, ended: bool | None = None,
              editable: bool = True, file_stem: str = "tune", save_settings: dict | None = None,
              show_abc: bool = True) -> str:
    """One tune: badges, engraved score, audio, the ABC (editable: edits re-render), downloads and
    (with `save_settings`) a save-to-tunebook form. Returns the (possibly edited) ABC."""
    playback = playback or {}
    if editable:
        # once the box exists its state holds the text (edits, an applied repair): a default would fight it
        given = {} if f"{key}_abc" in st.session_state else {"value": abc}
        abc = st.text_area("ABC (edit it: score and audio follow)", key=f"{key}_abc", height=200, **given)
    try:
        res = render_tune(abc, ended=ended, **playback)
    except MusicRNNError as e:
        show_error("Cannot render this tune", e)
        res = None
    if res is not None:
        badges(res.get("check"), res.get("check_error"))
        if editable and needs_repair(res.get("check")):
            repair_offer(abc, key, ended)
        data, errors = res["data"], res["errors"]
        if data.get("svg"):
            st.image(data["svg"], width="stretch")
        else:
            show_error("No score", errors.get("svg") or errors.get("musicxml"))
        if data.get("wav"):
            st.audio(data["wav"], format="audio/wav")
        else:
            show_error("No audio", errors.get("wav") or errors.get("midi"))
    if show_abc and not editable:
        st.code(abc, language=None)
    stem = safe_name(file_stem)
    cols = st.columns(4)
    cols[0].download_button("ABC", abc, file_name=f"{stem}.abc", mime="text/plain", key=f"{key}_dl_abc",
                            on_click="ignore", icon=":material/download:", width="stretch")
    if res is not None and res["data"].get("midi"):
        cols[1].download_button("MIDI", res["data"]["midi"], file_name=f"{stem}.mid", mime="audio/midi",
                                key=f"{key}_dl_midi", on_click="ignore", icon=":material/download:", width="stretch")
        midi = res["data"]["midi"]

        def full_wav() -> bytes:
            from musicrnn.music.isolated import midi_to_wav

            return midi_to_wav(midi)

        cols[2].download_button("WAV", full_wav, file_name=f"{stem}.wav", mime="audio/wav", key=f"{key}_dl_wav",
                                on_click="ignore", icon=":material/download:", width="stretch")
    if res is not None and res["data"].get("musicxml"):
        cols[3].download_button("MusicXML", res["data"]["musicxml"], file_name=f"{stem}.musicxml",
                                mime="application/vnd.recordare.musicxml+xml", key=f"{key}_dl_xml",
                                on_click="ignore", icon=":material/download:", width="stretch")
    if save_settings is not None:
        save_form(abc, key, save_settings)
    return abc


def save_form(abc: str, key: str, settings: dict) -> None:
    from musicrnn.tunebook import Tunebook

    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    title = c1.text_input("Title", key=f"{key}_title", placeholder="Untitled")
    if c2.button("Save to tunebook", key=f"{key}_save", icon=":material/bookmark_add:", width="stretch"):
        try:
            tid = Tunebook().add(abc, title or None, settings, owner=owner_token())
            st.success(f"Saved as tune {tid} in the tunebook.", icon=":material/check:")
        except MusicRNNError as e:
            show_error("Could not save", e)
