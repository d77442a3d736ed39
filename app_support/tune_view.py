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


def tune_view(abc: str, key: str, *, playback: dict | None = None, ended: bool | None = None,
              editable: bool = True, file_stem: str = "tune", save_settings: dict | None = None,
              show_abc: bool = True) -> str:
    """One tune: badges, engraved score, audio, the ABC (editable: edits re-render), downloads and
    (with `save_settings`) a save-to-tunebook form. Returns the (possibly edited) ABC."""
    playback = playback or {}
    if editable:
        abc = st.text_area("ABC (edit it: score and audio follow)", abc, key=f"{key}_abc", height=200)
    try:
        res = render_tune(abc, ended=ended, **playback)
    except MusicRNNError as e:
        show_error("Cannot render this tune", e)
        res = None
    if res is not None:
        badges(res.get("check"), res.get("check_error"))
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
