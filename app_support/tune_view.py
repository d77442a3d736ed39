"""One tune on a page: validity badges, the player (score, cursor, audio, the ABC box, downloads), repair, save,
and (in the studio) keeping its first bars while the model writes the rest."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_support.access import owner_token
from app_support.player import player, set_text
from app_support.text import md_escape, show_error
from musicrnn.errors import MusicRNNError


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
        set_text(key, proposal["text"])


def tune_view(abc: str, key: str, *, playback: dict | None = None, ended: bool | None = None,
              editable: bool = True, file_stem: str = "tune", save_settings: dict | None = None,
              show_abc: bool = True) -> str:
    """One tune: badges, the player (score with a cursor, audio, the ABC box when `editable`: edits re-render
    as you type, downloads), a repair offer, and (with `save_settings`) a save-to-tunebook form. Returns the
    (possibly edited) ABC."""
    head = st.container()
    abc, res = player(abc, key, playback=playback, ended=ended, editable=editable, file_stem=file_stem)
    if res is not None:
        with head:
            badges(res.get("check"), res.get("check_error"))
            if editable and needs_repair(res.get("check")):
                repair_offer(abc, key, ended)
    if show_abc and not editable:
        st.code(abc, language=None)
    if save_settings is not None:
        save_form(abc, key, save_settings)
    return abc


def save_form(abc: str, key: str, settings: dict) -> None:
    from musicrnn.tunebook import Tunebook

    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    title = c1.text_input("Title", key=f"{key}_title", placeholder="Untitled")
    if c2.button("Save to tunebook", key=f"{key}_save", icon=":material/bookmark_add:", width="stretch"):
        try:
            tid = Tunebook().add(abc, title or None, settings, owner=owner_token())
            st.success(f"Saved as tune {tid} in the tunebook.", icon=":material/check:")
        except MusicRNNError as e:
            show_error("Could not save", e)


def keep_offer(abc: str, key: str, source: str, request: Callable[[dict], None], *, disabled: bool = False) -> None:
    """**Keep bars up to** N and **Write the rest again**: `request` gets {"abc", "bar", "from": `source`} to
    sample tunes that keep this one (as shown, edits included) up to bar N; N starts at the first part's end."""
    from musicrnn.notation.bar_numbers import first_part_end, numbered_bars

    bars = numbered_bars(abc)
    default = first_part_end(bars)
    if default is None:
        return  # one bar or none: nothing to keep and go on from
    low, high, state = bars[0].number, bars[-2].number, f"{key}_keep_bar"
    if not low <= st.session_state.get(state, default) <= high:
        st.session_state.pop(state, None)  # the tune was edited shorter since
    st.session_state.setdefault(state, default)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    c1.number_input("Keep bars up to", low, high, key=state,
                    help="Keeps this tune (as it is in the box, your edits included) up to this bar, numbered as "
                         "in the score (a pickup is bar 0), and asks the model for the rest with the settings on "
                         "the left: a new second part for a first part you like.")
    c2.button("Write the rest again", key=f"{key}_keep", icon=":material/edit_note:", width="stretch",
              disabled=disabled, on_click=lambda: request({"abc": abc, "bar": int(st.session_state[state]),
                                                           "from": source}))
