"""HTTP routes the app serves beside Streamlit's (see `app.py`): a training run's live view, polled by every
tab that watches the run, and the plotly.js that draws it in the page; the player's renders of an edited tune,
and the audio and files of every render."""
from __future__ import annotations

import json
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from app_support.live import LiveDocuments
from app_support.media import cached_render, page_audio, print_sheet, print_tunes
from app_support.player import FILES, MEDIA_PATH, RENDER_PATH, TUNEBOOK_SHEET_PATH, made_from, render_payload
from musicrnn.errors import MusicRNNError
from musicrnn.files import safe_name
from musicrnn.music.isolated import midi_to_wav
from musicrnn.music.midi import check_options
from musicrnn.music.sheet import SHEET_CSP
from musicrnn.music.structure import MAX_ABC_CHARS
from musicrnn.training.run_folder import run_folder_named
from musicrnn.tunebook import Tunebook, with_title

SHEET_HEADERS = {"Content-Security-Policy": SHEET_CSP, "X-Content-Type-Options": "nosniff"}
LIVE_PATH = "api/live"  # relative to the app's root: the page finds it as `api/live/<run name>`
PLOTLY_PATH = "api/plotly.min.js"
_docs = LiveDocuments()


async def live_run(request: Request) -> Response:
    """The live view of a run under the runs root, as JSON (`?since=N&step=S`: the tab holds N curve points, the
    last at step S); 304 when the tab already has this version. Answered on the event loop: from the cache it
    takes microseconds."""
    name = request.path_params["name"]
    folder = run_folder_named(name)
    if folder is None:
        return JSONResponse({"error": f"not a run name: {name!r}"}, status_code=404)
    try:
        since = int(request.query_params.get("since", "0"))
        step = request.query_params.get("step")
        step = int(step) if step is not None else None
    except ValueError:
        return JSONResponse({"error": "since and step must be whole numbers"}, status_code=400)
    got = _docs.get(folder, since, step)
    if got is None:
        return JSONResponse({"error": f"no run named {name!r}"}, status_code=404)
    body, etag = got
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def plotly_js(request: Request) -> Response:
    """The plotly.js bundle of the installed plotly package (the same version that builds the figures)."""
    import plotly

    return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                        media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


#: Playback options an edit may send, and the type each must have.
RENDER_OPTIONS = {"tempo": (int, float), "instrument": (str,), "transpose": (int,), "written_above": (int,),
                  "swing": (int, float), "click": (bool,), "ended": (bool, type(None)), "width": (int, type(None))}


async def render(request: Request) -> Response:
    """POST {abc, tempo, instrument, transpose, written_above, swing, click, ended, width}: the player's render of
    an edited tune (`player.payload`), rendered in a worker off the event loop. 400 names a bad field."""
    raw = await request.body()
    if len(raw) > 4 * MAX_ABC_CHARS:
        return JSONResponse({"error": f"the request is larger than {4 * MAX_ABC_CHARS:,} bytes"}, status_code=413)
    try:
        body = json.loads(raw)
    except ValueError as e:
        return JSONResponse({"error": f"the request is not JSON: {e}"}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("abc"), str):
        return JSONResponse({"error": "field 'abc' must be the tune's text"}, status_code=400)
    options = {}
    for name, kinds in RENDER_OPTIONS.items():
        if name in body:
            value = body[name]
            if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
                return JSONResponse({"error": f"field {name!r} has the wrong type"}, status_code=400)
            options[name] = value
    width = options.pop("width", None)
    ended = options.pop("ended", None)
    out = await run_in_threadpool(render_payload, body["abc"], options, ended, width)
    return JSONResponse(out)


_MEDIA_TYPES = {"wav": "audio/wav", "midi": "audio/midi", "musicxml": "application/vnd.recordare.musicxml+xml",
                "wav-full": "audio/wav", "sheet": "text/html; charset=utf-8", "abc": "text/plain; charset=utf-8"}
_EXTENSIONS = {"wav": "wav", "sheet": "html", **FILES}  # the page's audio, the printable sheet, the downloads


async def media(request: Request) -> Response:
    """GET api/media/<render key>/<wav|midi|musicxml|wav-full|sheet|abc>[?name=stem]: a file of a render made in
    this process (both WAVs are synthesized from its MIDI on demand, the page's once; the sheet is the score laid
    out for printing, `music.sheet`; abc is the tune in the key it sounds in); with `name`, as a download. 500
    says why the synthesizer or the engraver failed."""
    key, fmt = request.path_params["key"], request.path_params["fmt"]
    res = cached_render(key)
    if fmt not in _MEDIA_TYPES:
        return JSONResponse({"error": f"no format {fmt!r}; choose one of {', '.join(_MEDIA_TYPES)}"}, status_code=404)
    if res is None:
        return JSONResponse({"error": "no such render (the server forgets old ones): render the tune again"},
                            status_code=404)
    data = res["data"].get(made_from(fmt))
    if data is None:
        return JSONResponse({"error": f"this render has no {fmt}"}, status_code=404)
    try:
        if fmt == "wav":
            data = await run_in_threadpool(page_audio, res)
        elif fmt == "wav-full":
            data = await run_in_threadpool(midi_to_wav, data)
        elif fmt == "sheet":
            data = await run_in_threadpool(print_sheet, res)
    except MusicRNNError as e:
        what = "sheet" if fmt == "sheet" else "audio"
        return JSONResponse({"error": f"the {what} could not be made: {e}"}, status_code=500)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if fmt == "sheet":
        headers |= SHEET_HEADERS
    name = request.query_params.get("name")
    if name:
        headers["Content-Disposition"] = f'attachment; filename="{safe_name(name)}.{_EXTENSIONS[fmt]}"'
    return Response(data, media_type=_MEDIA_TYPES[fmt], headers=headers)


async def tunebook_sheet(request: Request) -> Response:
    """GET api/tunebook/sheet[?search=text][&transpose=N]: the tunebook's tunes (those the search finds) on one
    printable sheet, each under its title, in the order they came into the book, as the export has them (an
    imported file prints in its own order; the page lists the newest first), written N semitones away, as the
    players write them (Transpose plus Score for). 400 names a bad transposition."""
    search = request.query_params.get("search") or None
    try:
        transpose = int(request.query_params.get("transpose") or 0)
        check_options(None, transpose, 0.0)
    except (ValueError, MusicRNNError) as e:
        return JSONResponse({"error": f"transpose must be a whole number of semitones from -48 to 48: {e}"},
                            status_code=400)
    try:
        tunes = Tunebook().list(search)[::-1]
    except MusicRNNError as e:
        return JSONResponse({"error": f"cannot open the tunebook: {e}"}, status_code=500)
    if not tunes:
        return JSONResponse({"error": "no saved tune matches that search" if search else "the tunebook is empty"},
                            status_code=404)
    title = f"Tunebook: {search}" if search else "Tunebook"
    data = await run_in_threadpool(print_tunes, [with_title(t.abc, t.title) for t in tunes], title,
                                   transpose=transpose)
    return Response(data, media_type="text/html; charset=utf-8", headers={**SHEET_HEADERS, "Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(f"/{LIVE_PATH}/{{name}}", live_run, methods=["GET"]),
            Route(f"/{PLOTLY_PATH}", plotly_js, methods=["GET"]),
            Route(f"/{RENDER_PATH}", render, methods=["POST"]),
            Route(f"/{MEDIA_PATH}/{{key}}/{{fmt}}", media, methods=["GET"]),
            Route(f"/{TUNEBOOK_SHEET_PATH}", tunebook_sheet, methods=["GET"])]
