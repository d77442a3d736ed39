"""Sharing the app with a class: an optional teacher's password.

Without a password (the default, for one person on localhost) every session may do everything. With one
(`MUSICRNN_PASSWORD`, or `password` in `.streamlit/secrets.toml`), only a session that entered it may start,
stop or resume training, upload or download data, and edit or delete tunes that another session saved; every
session may watch runs, generate, listen, download and save (and then edit) its own tunes.

The password is compared in constant time (`hmac.compare_digest`), kept in no session state and never logged:
a session that entered it holds only the flag that it did.
"""
from __future__ import annotations

import hmac
import os
import uuid

import streamlit as st

UNLOCKED = "access_unlocked"
OWNER = "access_owner"


def class_password() -> str | None:
    """The teacher's password: `$MUSICRNN_PASSWORD`, else the `password` Streamlit secret, else None."""
    env = os.environ.get("MUSICRNN_PASSWORD")
    if env:
        return env
    try:
        secret = st.secrets.get("password")
    except Exception:  # noqa: BLE001 - no secrets file, or one that does not parse: no password
        return None
    return str(secret) if secret else None


def password_matches(given: str, password: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))


def can_manage() -> bool:
    """Whether this session may start, stop and resume training, change data and others' tunes."""
    return class_password() is None or bool(st.session_state.get(UNLOCKED))


def owner_token() -> str:
    """This session's mark on the tunes it saves (it may edit and delete those without the password)."""
    if OWNER not in st.session_state:
        st.session_state[OWNER] = uuid.uuid4().hex
    return st.session_state[OWNER]


def may_change_tune(owner: str | None) -> bool:
    return can_manage() or (owner is not None and owner == owner_token())


def unlock_form() -> None:
    """The sidebar's teacher sign-in, shown only when a password is set."""
    password = class_password()
    if password is None:
        return
    if st.session_state.get(UNLOCKED):
        st.caption(":material/lock_open: Teacher controls on")
        if st.button("Lock", key="access_lock", icon=":material/lock:"):
            st.session_state[UNLOCKED] = False
            st.rerun()
        return
    with st.form("access_form", clear_on_submit=True, border=False):
        given = st.text_input("Teacher password", type="password",
                              help="Training, data and everyone's tunes are managed by whoever has it.")
        if st.form_submit_button("Unlock", icon=":material/lock_open:"):
            if password_matches(given or "", password):
                st.session_state[UNLOCKED] = True
                st.rerun()
            else:
                st.error("That is not the password.", icon=":material/lock:")


def managed_note(what: str) -> None:
    """Say why a control is missing for a session without the password."""
    st.caption(f":material/lock: {what} is for the teacher: enter the password in the sidebar.")
