"""The interactive player every tune view uses: the engraved score drawn inline, a cursor that follows the
audio, click a note to play from it, loop bars, slow down, and live editing of the ABC.

Python renders the tune once (`media.render_tune`) and hands the component the sanitized SVG, the timeline and
the URLs of its audio and files (`routes.py` serves them from the render cache). Everything the musician does
while listening (play, seek, loop, speed) happens in the browser; an edit of the ABC is rendered through the
`api/render` route, so typing costs no Streamlit rerun. The edited text reaches Python when the box loses focus.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st

from app_support.media import render_tune
from musicrnn.errors import MusicRNNError
from musicrnn.files import safe_name
from musicrnn.notation.fields import header_value
from musicrnn.notation.meter import beat_length, meter_length

MEDIA_PATH = "api/media"  # relative to the app's root, like the live view's routes
RENDER_PATH = "api/render"
TUNEBOOK_SHEET_PATH = "api/tunebook/sheet"  # the Tunebook page's printable sheet (`routes.tunebook_sheet`)
#: The files a render offers for download (`api/media/<key>/<format>`), by format, with their extension. "abc" is
#: the tune in the key it sounds in, offered only when it is transposed (else the player gives the box's own text).
FILES = {"abc": "abc", "midi": "mid", "musicxml": "musicxml", "wav-full": "wav"}

_component = st.components.v2.component(
    "musicrnn_player", js=Path(__file__).with_name("player.js").read_text(), isolate_styles=False)


def beats_per_bar(abc: str) -> int:
    """Clicks in a one-bar count-in: the meter's beats, as the metronome counts them (6/8 is two dotted quarters,
    9/8 three; a tune without `M:` is in 4/4, a free one gets two)."""
    meter = (header_value(abc, "M") or "").strip() or "4/4"
    length, beat = meter_length(meter), beat_length(meter)
    return max(1, min(int(length / beat), 12)) if length and beat else 2


def problem_of(res: dict | None, abc: str) -> dict | None:
    """The first problem that stops the tune being read, with its line and column where they are known."""
    if res is None:
        return None
    check = res.get("check") or {}
    message = None
    if check and not check.get("parses"):
        message = check.get("error") or "music21 cannot read this tune"
    elif not res["data"].get("svg"):
        message = res["errors"].get("svg") or res["errors"].get("musicxml")
    if not message:
        return None
    line = check.get("error_line")
    column = None
    lines = abc.split("\n")
    if line and 0 < int(line) <= len(lines):
        for token in re.findall(r":\s*(\S{1,24})", message):
            at = lines[int(line) - 1].find(token)
            if at >= 0:
                column = at + 1
                break
    return {"message": message[:400], "line": int(line) if line else None, "column": column}


def check_summary(check: dict | None) -> str:
    """One line of plain text about a check report, for the player's status line."""
    if not check:
        return ""
    if not check.get("parses"):
        return "does not parse"
    bad, bars = len(check.get("bad_bars") or []), int(check.get("bars") or 0)
    parts = [f"{bars} bars" + (f", {bad} off the meter" if bad else " fit the meter")]
    if check.get("open_repeats"):
        parts.append(f"{len(check['open_repeats'])} open repeat(s)")
    parts.append("ends" if check.get("ended") else "cut off")
    return " · ".join(parts)


def made_from(fmt: str) -> str:
    """The render format a served file is made from: the page's and the full-quality WAV come from the MIDI,
    the printable sheet from the score."""
    return "midi" if fmt.startswith("wav") else "svg" if fmt == "sheet" else fmt


def payload(res: dict, abc: str) -> dict:
    """What the player draws for one render: score, timeline, audio and file URLs, problem and summary."""
    data, base = res["data"], f"{MEDIA_PATH}/{res['key']}"
    transposed = transposed_note(res)
    files = {fmt: f"{base}/{fmt}" for fmt in FILES if data.get(made_from(fmt)) and (transposed or fmt != "abc")}
    return {"key": res["key"], "svg": data.get("svg"),
            "timeline": json.loads(data["timeline"]) if data.get("timeline") else None,
            "audio": f"{base}/wav" if data.get("midi") else None, "files": files,
            "sheet": f"{base}/sheet" if data.get("svg") else None,
            "problem": problem_of(res, abc), "summary": check_summary(res.get("check")),
            "no_audio": None if data.get("midi") else res["errors"].get("midi"),
            "transposed": transposed}


def transposed_note(res: dict) -> dict | None:
    """How a render written in another key than the tune's own (transposed, or a transposing instrument's part)
    is written: its semitones, the key it is written in (its first `K:`), and why its ABC and MusicXML stay as
    written when they do (None when it is written as given)."""
    request = res.get("request")
    if not request or not request.get("written"):
        return None
    written = res["data"].get("abc")
    return {"semitones": int(request["written"]), "as_written": request.get("why"),
            "key": header_value(written, "K") if written and not request.get("why") else None}


def refused(e: MusicRNNError) -> dict:
    """What the player draws for a tune the renderers refuse (too long, bad options): only the problem."""
    return {"key": None, "svg": None, "timeline": None, "audio": None, "files": {}, "sheet": None,
            "problem": {"message": str(e)[:400], "line": None, "column": None}, "summary": "", "no_audio": None,
            "transposed": None}


def render_payload(abc: str, playback: dict, ended: bool | None, page_width: int | None = None) -> dict:
    """`payload` of a fresh or cached render; a refused tune is a problem, not a raise."""
    try:
        return payload(render_tune(abc, ended=ended, page_width=page_width, **playback), abc)
    except MusicRNNError as e:
        return refused(e)


def player(abc: str, key: str, *, playback: dict | None = None, ended: bool | None = None, editable: bool = True,
           file_stem: str = "tune", note_shade: list[float] | None = None) -> tuple[str, dict | None]:
    """Draw the player for `abc`; returns the tune's current ABC (edits arrive when the box loses focus) and the
    render of it (None when it was refused). `ended` (whether the sampler ended the tune) holds for `abc` as
    given; an edited text is judged by the check alone. `note_shade` colours the written notes (chords one note; rests
    and grace notes not counted), one value in [0, 1] each: a list of another length is not drawn."""
    playback = dict(playback or {})
    text_key = f"{key}_abc"
    if editable:
        given, abc = abc, st.session_state.get(text_key, abc)
        if abc.strip() != given.strip():
            ended = None  # the sampler's word on how the tune ended is not the edited text's: the check reads it
    try:
        res = render_tune(abc, ended=ended, **playback)
        shown = payload(res, abc)
    except MusicRNNError as e:
        res, shown = None, refused(e)
    _component(
        key=f"{key}_player",
        data={**shown, "id": key, "abc": abc, "revision": st.session_state.get(f"{key}_revision", 0),
              "editable": editable, "stem": safe_name(file_stem), "render_url": RENDER_PATH,
              "beats": beats_per_bar(abc), "shade": [min(1.0, max(0.0, float(x))) for x in note_shade or []],
              "options": {**playback, "ended": ended}},
        default={"abc": None}, on_abc_change=lambda: _edited(key))
    return abc, res


def _edited(key: str) -> None:
    """The box lost focus with new text: keep it, so this run renders it and the page's other parts see it."""
    text = (st.session_state.get(f"{key}_player") or {}).get("abc")
    if isinstance(text, str):
        st.session_state[f"{key}_abc"] = text


def set_text(key: str, text: str) -> None:
    """Replace the tune's text from Python (an applied repair): the player takes it on the next run."""
    st.session_state[f"{key}_abc"] = text
    st.session_state[f"{key}_revision"] = st.session_state.get(f"{key}_revision", 0) + 1
