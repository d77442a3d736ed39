"""Fixtures shared by the app tests (`tests/test_app_*.py`, `tests/test_browser.py`)."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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

    from musicrnn.train import configs_from_preset, train

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


@pytest.fixture(scope="session")
def music_run(tmp_path_factory, small_abc_corpus) -> Path:
    """A tiny model that writes readable ABC most of the time (300 steps on O'Neill's tunes)."""
    return train_tiny(small_abc_corpus, tmp_path_factory.mktemp("musicrun") / "tiny300", 300, eval_every=150)


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Empty runs, data and tunebook folders; no shipped model (whatever checkpoints/default holds)."""
    import musicrnn.checkpoint

    env = {"runs": tmp_path / "runs", "data": tmp_path / "data", "tunebook": tmp_path / "tunebook.sqlite"}
    env["runs"].mkdir()
    monkeypatch.setenv("MUSICRNN_RUNS", str(env["runs"]))
    monkeypatch.setenv("MUSICRNN_DATA", str(env["data"]))
    monkeypatch.setenv("MUSICRNN_TUNEBOOK", str(env["tunebook"]))
    monkeypatch.setenv("MUSICRNN_TRAIN_THREADS", "1")
    monkeypatch.setattr(musicrnn.checkpoint, "DEFAULT_DIR", tmp_path / "no-shipped-model")
    return env


@pytest.fixture
def with_model(app_env, music_run) -> Path:
    """app_env plus one finished run holding a usable model; returns its folder."""
    dest = app_env["runs"] / "tiny300"
    shutil.copytree(music_run, dest)
    return dest


def new_app(page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    return at


def texts(at) -> str:
    """All markdown, captions, alerts and titles of the page as one string (for `in` checks)."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def kinds(at, name: str) -> list:
    """Elements of a type AppTest has no accessor for (image, audio, plotly_chart, download_button)."""
    return list(at.get(name))
