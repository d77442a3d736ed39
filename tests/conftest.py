import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
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
    from musicrnn.corpus import music21_corpus_dir

    return music21_corpus_dir() / "oneills1850" / "0001-0050.abc"


@pytest.fixture(scope="session")
def small_abc_corpus(tmp_path_factory, oneills_abc) -> Path:
    """Four hundred real tunes (O'Neill's 1-400) in one folder of .abc files."""
    from musicrnn.corpus import music21_corpus_dir

    folder = tmp_path_factory.mktemp("abc")
    files = sorted((music21_corpus_dir() / "oneills1850").glob("*.abc"))[:6]
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, small_abc_corpus) -> Path:
    """A tiny model trained for a few steps on real tunes; its run folder."""
    from musicrnn.train import configs_from_preset, train

    out = tmp_path_factory.mktemp("run")
    m, t = configs_from_preset("tiny", {}, dict(data=str(small_abc_corpus), out=str(out), max_steps=40, eval_every=20))
    train(m, t)
    return out
