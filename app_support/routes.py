"""HTTP routes the app serves beside Streamlit's (see `app.py`): a training run's live view, polled by every
tab that watches the run, and the plotly.js that draws it in the page."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from app_support.live import LiveDocuments
from musicrnn.training.run_folder import run_folder_named

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


def routes() -> list[Route]:
    return [Route(f"/{LIVE_PATH}/{{name}}", live_run, methods=["GET"]),
            Route(f"/{PLOTLY_PATH}", plotly_js, methods=["GET"])]
