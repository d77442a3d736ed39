"""Encoded streams: clean tunes joined by `<eos>` into one compact array per split, cached on disk by content.

This is nanoGPT's `train.bin` idea: training draws windows from the stream, so no compute goes to padding.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicrnn.corpus import clean_corpus, read_source, source_fingerprint
from musicrnn.vocab import Vocab

CACHE_VERSION = 3  # 2: bar lines made to agree with line ends (musicrnn.barlines); 3: tunes whose bars disagree with their meter dropped


def cache_dir() -> Path:
    return Path(os.environ.get("MUSICRNN_CACHE", Path.home() / ".cache" / "musicrnn"))


@dataclass
class Prepared:
    vocab: Vocab
    train: np.ndarray  # token ids, tunes joined by <eos>
    val: np.ndarray
    description: dict  # source, split, counts, cleaning report
    cached: bool = False

    def val_tunes(self) -> list[np.ndarray]:
        """The validation stream cut back into tunes, each ending with its `<eos>`."""
        return split_stream(self.val)


def split_stream(stream: np.ndarray) -> list[np.ndarray]:
    ends = np.flatnonzero(stream == 0) + 1
    starts = np.concatenate([[0], ends[:-1]])
    return [stream[a:b] for a, b in zip(starts, ends)]


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes files private; run folders are meant to be read by viewers
    os.replace(tmp, path)


def prepare(src="music21", val_fraction: float = 0.05, keep_optional: bool = False, use_cache: bool = True) -> Prepared:
    """Load, clean, split and encode a source, reusing the cached arrays when the content is unchanged."""
    raw = read_source(src)
    key = f"{source_fingerprint(raw)}-v{CACHE_VERSION}-{val_fraction}-{int(keep_optional)}"
    folder = cache_dir() / "prepared" / key
    if use_cache and (folder / "meta.json").exists():
        try:
            meta = json.loads((folder / "meta.json").read_text())
            dtype = np.dtype(meta["dtype"])
            train = np.fromfile(folder / "train.bin", dtype=dtype)
            val = np.fromfile(folder / "val.bin", dtype=dtype)
            if len(train) == meta["train_len"] and len(val) == meta["val_len"]:
                return Prepared(Vocab(meta["vocab"]), train, val, meta["description"], cached=True)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt below
    corpus = clean_corpus(raw, val_fraction, keep_optional)
    del raw
    vocab = Vocab.from_texts(corpus.all_tunes)
    train, val = vocab.encode_stream(corpus.train), vocab.encode_stream(corpus.val)
    description = corpus.describe()
    if use_cache:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_write_bytes(folder / "train.bin", train.tobytes())
            _atomic_write_bytes(folder / "val.bin", val.tobytes())
            meta = {"vocab": vocab.tokens, "dtype": str(train.dtype), "train_len": len(train), "val_len": len(val),
                    "description": description}
            _atomic_write_bytes(folder / "meta.json", json.dumps(meta).encode())
        except OSError:
            pass  # a read-only cache folder only costs speed
    return Prepared(vocab, train, val, description)
