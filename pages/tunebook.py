"""Tunebook: the tunes saved from the studio, with the settings that made them; play, edit, delete, export, or
have the studio keep a tune's first bars and write the rest."""
import json
from urllib.parse import quote, urlencode

import streamlit as st

from app_support import studio_keep
from app_support.access import managed_note, may_change_tune, owner_token
from app_support.navigation import PAGE_FILES
from app_support.playback import sound_options, written_above
from app_support.player import TUNEBOOK_SHEET_PATH
from app_support.text import md_escape, show_error
from app_support.tune_view import keep_offer, tune_view
from musicrnn.errors import MusicRNNError
from musicrnn.files import decode_text
from musicrnn.tunebook import Tunebook


def import_upload() -> None:
    """Add the tunes of the uploaded .abc file to the tunebook; what it did is shown on this run."""
    f = st.session_state.get("tb_import")
    if f is None:
        return
    try:
        report = Tunebook().import_abc(decode_text(f.getvalue()), source=f.name, owner=owner_token())
    except MusicRNNError as e:
        st.session_state["tb_imported"] = (f.name, e)
        return
    st.session_state["tb_imported"] = (f.name, report)
    if report.added:
        st.session_state["tb_pick"] = report.added[0]


def show_import(name: str, result) -> None:
    if isinstance(result, MusicRNNError):
        show_error(f"Nothing added from {name}", result)
        return
    said = f"Added {len(result.added)} tune(s) from {md_escape(name)}"
    said += f"; {result.already} were here already" if result.already else ""
    (st.success if result.added else st.info)(said + ".", icon=":material/library_add:")
    if result.left_out:
        st.warning("Left out:\n" + "\n".join(f"- {md_escape(m)}" for m in result.left_out[:12])
                   + (f"\n- … and {len(result.left_out) - 12} more" if len(result.left_out) > 12 else ""))


def ask_studio(request: dict) -> None:
    studio_keep.ask(request)
    st.session_state["tb_to_studio"] = True


st.title("Tunebook")
search = st.session_state.get("tb_search") or ""
try:
    book = Tunebook()
    tunes = book.list(search or None)
    total = len(book.list()) if search else len(tunes)
except MusicRNNError as e:
    show_error("Cannot open the tunebook", e)
    st.stop()

c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
c1.text_input("Search titles and ABC", key="tb_search", persist_state="session")
try:
    export = book.export_abc() if total else ""
except MusicRNNError as e:
    export = ""
    show_error("Cannot export", e)
c2.download_button("Export all (.abc)", export, file_name="tunebook.abc", mime="text/plain", key="tb_export",
                   on_click="ignore", disabled=not total, icon=":material/download:", width="stretch")
# the sheet is written as the tunes' scores are (the Playback settings below, read from the last run)
written = int(st.session_state.get("tb_transpose") or 0) + written_above("tb")
sheet_query = urlencode({k: v for k, v in (("search", search), ("transpose", written)) if v}, quote_via=quote)
c3.link_button("Print these", TUNEBOOK_SHEET_PATH + (f"?{sheet_query}" if sheet_query else ""),
               disabled=not tunes, icon=":material/print:", width="stretch",
               help="Opens the tunes listed here, each laid out for A4 paper (transposed as they play), in a new "
                    "tab, to print")
st.caption(f"{total} tune(s) in {md_escape(str(book.path))} (set MUSICRNN_TUNEBOOK to use another file)")
with st.expander("Add tunes from an .abc file", icon=":material/upload_file:",
                 expanded=not total or "tb_imported" in st.session_state):
    st.file_uploader("An .abc file of your own tunes: each is added under its T: title, to play, loop, slow down, "
                     "print, or keep a part of and have the rest written", type=["abc", "txt"], key="tb_import",
                     on_change=import_upload)
    if "tb_imported" in st.session_state:
        show_import(*st.session_state.pop("tb_imported"))

if not tunes:
    st.info("No tunes here yet. Generate some in the **Studio** and press **Save to tunebook**, or add your own "
            "from an .abc file above."
            if not total else "No saved tune matches that search.", icon=":material/menu_book:")
    st.stop()

by_id = {t.id: t for t in tunes}
if st.session_state.get("tb_pick") not in by_id:
    st.session_state["tb_pick"] = tunes[0].id
left, right = st.columns([1, 2.4], gap="large")
with left:
    # Every tune is its id here: two tunes of the same title and minute are two options (the number tells them
    # apart for the listener too).
    pick = st.radio("Tunes", list(by_id), key="tb_pick", label_visibility="collapsed",
                    format_func=lambda i: f"{md_escape(by_id[i].title)} · {by_id[i].date} · #{i}")
tune = by_id[pick]
with right:
    st.subheader(md_escape(tune.title), anchor=False)
    s = tune.settings
    if s:
        st.caption(" · ".join([f"{k} {md_escape(v)}" for k, v in s.items()
                               if k in ("model", "seed", "temperature", "top_k", "top_p", "candidate", "imported from")
                               and v is not None] + [f"saved {tune.date}"]))
        with st.expander("Settings that made this tune"):
            st.code(json.dumps(s, indent=1), language="json")
    mine = may_change_tune(tune.owner)
    new_title = st.text_input("Title", tune.title, key=f"tb_title_{tune.id}", disabled=not mine)
    with st.expander("Playback", icon=":material/tune:"):
        playback = sound_options("tb")  # each tune keeps its own tempo; Speed in the player slows it down
    abc = tune_view(tune.abc, f"tb_{tune.id}_{int(tune.updated)}", playback=playback, file_stem=tune.title,
                    editable=mine)
    keep_offer(abc, f"tb_{tune.id}", f"tunebook tune #{tune.id}", ask_studio)
    if st.session_state.pop("tb_to_studio", False):
        st.switch_page(PAGE_FILES["studio"])  # it writes the rest with its own settings
    if not mine:
        managed_note("Changing a tune someone else saved")
        st.stop()
    b1, b2, _ = st.columns([1, 1, 2])
    changed = abc.strip() != tune.abc.strip() or new_title.strip() != tune.title
    if b1.button("Save changes", key=f"tb_save_{tune.id}", disabled=not changed, icon=":material/save:",
                 width="stretch"):
        try:
            book.update(tune.id, abc=abc, title=new_title)
            st.toast("Saved.")
            st.rerun()
        except MusicRNNError as e:
            show_error("Could not save", e)
    if b2.button("Delete", key=f"tb_delete_{tune.id}", icon=":material/delete:", width="stretch"):
        try:
            book.delete(tune.id)
            st.toast(f"Deleted {md_escape(tune.title)}.")
            st.rerun()
        except MusicRNNError as e:
            show_error("Could not delete", e)
