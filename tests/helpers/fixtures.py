"""The suite's fixtures, registered by `tests/conftest.py` and `benchmarks/conftest.py`: an isolated cache, real
tunes bundled with music21, tiny trained models, and app environments."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.app import train_tiny


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Keep the encoding cache and tunebook of the test run away from the user's."""
    cache = tmp_path_factory.mktemp("cache")
    old = {k: os.environ.get(k) for k in ("MUSICRNN_CACHE", "MUSICRNN_TUNEBOOK")}
    os.environ["MUSICRNN_CACHE"] = str(cache)
    os.environ["MUSICRNN_TUNEBOOK"] = str(cache / "tunebook.sqlite")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def oneills_abc() -> Path:
    """A real collection bundled with music21: O'Neill's 1850, tunes 1-50."""
    from musicrnn.data.sources import music21_corpus_dir

    return music21_corpus_dir() / "oneills1850" / "0001-0050.abc"


@pytest.fixture(scope="session")
def small_abc_corpus(tmp_path_factory, oneills_abc) -> Path:
    """Four hundred real tunes (O'Neill's 1-400) in one folder of .abc files."""
    from musicrnn.data.sources import music21_corpus_dir

    folder = tmp_path_factory.mktemp("abc")
    files = sorted((music21_corpus_dir() / "oneills1850").glob("*.abc"))[:6]
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, small_abc_corpus) -> Path:
    """A tiny model trained for a few steps on real tunes; its run folder."""
    from musicrnn.training.config import configs_from_preset
    from musicrnn.training.loop import train

    out = tmp_path_factory.mktemp("run")
    m, t = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(out), max_steps=40, eval_every=20))
    train(m, t)
    return out


@pytest.fixture(scope="session")
def music_run(tmp_path_factory, small_abc_corpus) -> Path:
    """A tiny model that writes readable ABC most of the time (300 steps on O'Neill's tunes)."""
    return train_tiny(small_abc_corpus, tmp_path_factory.mktemp("musicrun") / "tiny300", 300, eval_every=150)


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Empty runs, data and tunebook folders; no shipped model (whatever checkpoints/default holds)."""
    import musicrnn.model.checkpoint

    env = {"runs": tmp_path / "runs", "data": tmp_path / "data", "tunebook": tmp_path / "tunebook.sqlite"}
    env["runs"].mkdir()
    monkeypatch.setenv("MUSICRNN_RUNS", str(env["runs"]))
    monkeypatch.setenv("MUSICRNN_DATA", str(env["data"]))
    monkeypatch.setenv("MUSICRNN_TUNEBOOK", str(env["tunebook"]))
    monkeypatch.setenv("MUSICRNN_TRAIN_THREADS", "1")
    monkeypatch.setattr(musicrnn.model.checkpoint, "DEFAULT_DIR", tmp_path / "no-shipped-model")
    return env


@pytest.fixture
def with_model(app_env, music_run) -> Path:
    """app_env plus one finished run holding a usable model; returns its folder."""
    dest = app_env["runs"] / "tiny300"
    shutil.copytree(music_run, dest)
    return dest
