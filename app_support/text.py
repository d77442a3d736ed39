"""User text on the page: shown through markdown only escaped, and errors that say what failed and why."""
from __future__ import annotations

import re

import streamlit as st

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def md_escape(text: str) -> str:
    """Text shown through markdown (st.error, labels) as typed: no links, images, emphasis or icons."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_error(what: str, err: BaseException | str | None) -> None:
    """`st.error` naming what failed and why; both may quote user text (a file name, a tune), so both are
    escaped."""
    cause = str(err) if err is not None else "unknown error"
    st.error(f"**{md_escape(what)}**: {md_escape(cause)}", icon=":material/error:")
