"""Helpers of the app tests (`tests/app/`): a tiny model trained in-process, AppTest runs of the app, and
what a page shows."""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")

GOOD_TUNE = """X:1
L:1/8
M:6/8
K:D
|:A|dfa afd|gfe fdB|AFA DFA|BAF EFA|dfa afd|gfe fdB|AFA Bcd|efe d2:|
"""


def train_tiny(data: Path, out: Path, steps: int, eval_every: int | None = None) -> Path:
    """A tiny model trained in this process on one CPU thread (several threads fight the other jobs)."""
    import torch

    from musicrnn.training.config import configs_from_preset
    from musicrnn.training.loop import train

    result: dict = {}

    def run():  # a thread of its own: torch's thread setting is per thread
        try:
            torch.set_num_threads(1)
            m, t = configs_from_preset("tiny", {}, dict(data=str(data), out=str(out), max_steps=steps,
                                                        eval_every=eval_every or steps))
            train(m, t)
        except BaseException as e:  # noqa: BLE001
            result["error"] = e

    th = threading.Thread(target=run)
    th.start()
    th.join()
    if "error" in result:
        raise result["error"]
    return out


def navigation_only() -> None:
    """Make AppTest run `app.py` the way `streamlit run` does.

    Before each run AppTest forgets whether the app navigates with `st.navigation`; with a `pages/` folder beside
    the script, Streamlit then takes the folder for its first multipage design and runs a switched-to page
    without `app.py` (no sidebar). `app.py` settles the same question for the server when it is imported.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class NavigationOnly(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    app_test.PagesManager = NavigationOnly


def new_app(page: str | None = None):
    from streamlit.testing.v1 import AppTest

    navigation_only()
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    return at


def shown_text(markdown: str) -> str:
    """What markdown shows of `markdown` once its backslash escapes are read (`broken\\.json` -> `broken.json`)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at) -> str:
    """All markdown, captions, alerts and titles of the page as one string (for `in` checks)."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def kinds(at, name: str) -> list:
    """Elements of a type AppTest has no accessor for (image, audio, plotly_chart, download_button)."""
    return list(at.get(name))


def players(at) -> list[dict]:
    """The data each tune player on the page was drawn with (score SVG, timeline, audio URL, ABC...)."""
    return [json.loads(e.proto.json) for e in at.get("bidi_component")
            if e.proto.component_name == "musicrnn_player"]


def playable(at) -> int:
    """How many tune players on the page have an engraved score, a timeline and audio."""
    return sum(1 for p in players(at) if p.get("svg") and p.get("timeline") and p.get("audio"))


def tune_text(at, k: int = 0) -> str:
    """The ABC the k-th tune player on the page shows."""
    return players(at)[k]["abc"]


def edit_tune(at, text: str, k: int = 0):
    """Type `text` into the k-th player's ABC box and leave it, as a musician would: the box hands its text to
    Python when it loses focus (`app_support/player.py`)."""
    at.session_state[players(at)[k]["id"] + "_abc"] = text
    return at.run()


def player_files(at, k: int = 0) -> list[str]:
    """The downloads the k-th player offers besides the ABC (midi, musicxml, wav-full)."""
    return list(players(at)[k]["files"])


def start_run(at, source, name, max_steps, preset="tiny", windows=None, **numbers):
    """Start a run from the Train page; `numbers` sets its number inputs by field (`augment_keys=1`)."""
    at.button_group(key="tr_preset").set_value(preset).run()
    if windows:
        at.selectbox(key="tr_windows").set_value(windows)
    for field, value in numbers.items():
        at.number_input(key=f"tr_{field}").set_value(value)
    at.selectbox(key="tr_source").set_value("other").run()
    at.text_input(key="tr_source_path").set_value(str(source))
    at.number_input(key="tr_max_steps").set_value(max_steps)
    at.text_input(key="tr_name").set_value(name)
    at.button(key="tr_start").click().run()
    assert not at.exception, at.exception
    return at


def wait_for(pred, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def call_route(handler, method="GET", path="/", body=b"", path_params=None, query=b""):
    """One request to an app route handler (`app_support/routes.py`), without a server: its Response."""
    import asyncio

    from starlette.requests import Request

    sent = {"done": False}

    async def receive():
        if sent["done"]:
            return {"type": "http.disconnect"}
        sent["done"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": query,
             "path_params": path_params or {}}
    return asyncio.run(handler(Request(scope, receive)))


def shipped_run_copy(root, types: list[str]) -> Path:
    """A finished run folder under `root` holding the shipped model as its best.pt, its run.json saying the model
    knows only `types` (so a fit of its endings is short)."""
    import shutil

    folder = Path(root) / "shipped-copy"
    folder.mkdir(parents=True)
    shutil.copy(Path("checkpoints/default/model.pt"), folder / "best.pt")
    status = json.loads(Path("checkpoints/default/run.json").read_text())
    status["data"]["tune_types"] = {k: v for k, v in status["data"]["tune_types"].items() if k in types}
    (folder / "run.json").write_text(json.dumps(status))
    return folder
