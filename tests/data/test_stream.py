import numpy as np
import pytest

from musicrnn.data.split import load_corpus
from musicrnn.data.stats import corpus_stats, padding_report
from musicrnn.data.stream import prepare, split_stream
from musicrnn.data.vocab import EOS, Vocab
from musicrnn.errors import VocabError


def test_vocab_round_trip_and_unknown_listing():
    v = Vocab.from_texts(["X:1\nK:G\nGAB|"])
    assert v.tokens[0] == EOS and v.decode(v.encode("GAB|")) == "GAB|"
    with pytest.raises(VocabError, match=r"'z', 'q'"):
        v.encode("Gzq", what="the prime")


def test_stream_joins_tunes_with_eos():
    v = Vocab.from_texts(["ab", "c"])
    s = v.encode_stream(["ab", "c"])
    assert s.dtype == np.uint8 and s.tolist() == [v.index["a"], v.index["b"], 0, v.index["c"], 0]
    assert [t.tolist() for t in split_stream(s)] == [[v.index["a"], v.index["b"], 0], [v.index["c"], 0]]


def test_prepare_caches_by_content(tmp_path, oneills_abc, monkeypatch):
    monkeypatch.setenv("MUSICRNN_CACHE", str(tmp_path / "cache"))  # other tests train on these tunes too
    src = tmp_path / "tunes.abc"
    src.write_bytes(oneills_abc.read_bytes())
    first = prepare(src)
    again = prepare(src)
    assert not first.cached and again.cached
    assert np.array_equal(first.train, again.train) and first.vocab.tokens == again.vocab.tokens
    # every character of the clean tunes is in the stream, plus one <eos> per tune
    d = first.description
    assert len(first.train) == d["train_chars"] + d["train_tunes"]
    src.write_text(src.read_text() + "\nX:99\nK:G\nGABc dedB|\n")
    changed = prepare(src)
    assert not changed.cached and changed.description["train_tunes"] + changed.description["val_tunes"] == 51


def test_cached_streams_read_back_as_the_clean_tunes(tmp_path, oneills_abc, monkeypatch):
    monkeypatch.setenv("MUSICRNN_CACHE", str(tmp_path / "cache"))
    corpus = load_corpus(oneills_abc)
    prepare(oneills_abc)
    cached = prepare(oneills_abc)
    assert cached.cached
    assert cached.texts("train") == corpus.train and cached.texts("val") == corpus.val
    assert cached.texts() == corpus.all_tunes and len(corpus.val) > 0


def test_stats_figures():
    tunes = ["X:1\nL:1/8\nM:6/8\nK:D\n" + "ABc" * n for n in (1, 2, 3, 10)]
    s = corpus_stats(tunes, max_len=30)
    assert s["tunes"] == 4 and s["meters"] == {"6/8": 4} and s["keys"] == {"D": 4}
    assert s["length"]["min"] == 23 and s["length"]["max"] == 50
    assert s["padding"]["truncated_tunes"] == 1
    pad = padding_report([10, 20], 40)
    assert pad["padding_fraction"] == pytest.approx(1 - 30 / 80)


@pytest.mark.parametrize("damage", ["meta-not-json", "meta-vocab", "meta-length", "ids-out-of-range", "bin-gone"])
def test_a_damaged_stream_cache_is_rebuilt_not_trusted(tmp_path, oneills_abc, damage):
    import json
    import os

    from musicrnn.data.sources import read_source
    from musicrnn.data.stream import META_FILE, TRAIN_FILE, cache_folder

    src = tmp_path / "tunes.abc"
    src.write_bytes(oneills_abc.read_bytes())
    good = prepare(src)
    folder = cache_folder(read_source(src))
    meta = json.loads((folder / META_FILE).read_text())
    if damage == "meta-not-json":
        (folder / META_FILE).write_text('{"vocab": [')
    elif damage == "meta-vocab":
        (folder / META_FILE).write_text(json.dumps({**meta, "vocab": "abc"}))
    elif damage == "meta-length":
        (folder / META_FILE).write_text(json.dumps({**meta, "train_len": "many"}))
    elif damage == "ids-out-of-range":
        ids = np.fromfile(folder / TRAIN_FILE, dtype=np.uint8)
        ids[5] = 250
        ids.tofile(folder / TRAIN_FILE)
    else:
        os.unlink(folder / TRAIN_FILE)
    (folder / f"{TRAIN_FILE}.abcd1234").write_bytes(b"what a killed write left")
    again = prepare(src)
    assert not again.cached and np.array_equal(again.train, good.train)
    assert prepare(src).cached and not (folder / f"{TRAIN_FILE}.abcd1234").exists()
