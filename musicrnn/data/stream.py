"""Encoded streams: clean tunes joined by `<eos>` into one compact array per split, cached on disk by content.

This is nanoGPT's `train.bin` idea: training draws windows from the stream, so no compute goes to padding.
This module owns the stream cache: a folder per source content and cleaning version under `cache_dir()`,
holding the files named below.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicrnn.data.key_augment import AUGMENT_VERSION, key_copies
from musicrnn.data.sources import RawCorpus, read_source, source_fingerprint
from musicrnn.data.split import clean_corpus
from musicrnn.data.vocab import Vocab
from musicrnn.errors import MusicRNNError
from musicrnn.files import atomic_write_bytes, remove_partial_writes
from musicrnn.records import COUNT, OBJECT, TEXT, Kind, problems

#: Files of one cached stream: the two splits' token ids and what they hold (vocabulary, dtype, lengths).
TRAIN_FILE, VAL_FILE, META_FILE = "train.bin", "val.bin", "meta.json"
#: 2: bar lines made to agree with line ends (data/barlines.py); 3: tunes whose bars disagree with their meter
#: dropped; 4: the rhythm field kept as a tune type (`R:reel`); 5: a small corpus keeps MIN_VAL_TUNES
#: validation tunes (data/split.py). A new version makes every stream be rebuilt.
CACHE_VERSION = 5
META_SCHEMA = {"vocab": Kind("a list", (list,), optional=False), "dtype": TEXT.required(),
               "train_len": COUNT.required(), "val_len": COUNT.required(), "description": OBJECT.required()}


def cache_dir() -> Path:
    """`$MUSICRNN_CACHE`, else `~/.cache/musicrnn`."""
    return Path(os.environ.get("MUSICRNN_CACHE", Path.home() / ".cache" / "musicrnn"))


@dataclass
class Prepared:
    vocab: Vocab
    train: np.ndarray  # token ids, tunes joined by <eos>
    val: np.ndarray
    description: dict  # source, split, counts, cleaning report
    cached: bool = False

    def recoded(self, tokens: list[str]) -> Prepared:
        """The same streams in the ids of a vocabulary `tokens` that holds every character of this one (a model
        fine-tuned on fewer tunes than it learned from keeps its own vocabulary)."""
        if tokens == self.vocab.tokens:
            return self
        vocab = Vocab(tokens)
        lut = np.array([vocab.index[t] for t in self.vocab.tokens], dtype=np.int64)
        dtype = np.uint8 if len(vocab) <= 256 else np.int16
        return Prepared(vocab, lut[self.train].astype(dtype), lut[self.val].astype(dtype), self.description,
                        self.cached)

    def train_tunes(self) -> list[np.ndarray]:
        """The training stream cut back into tunes, each ending with its `<eos>`."""
        return split_stream(self.train)

    def val_tunes(self) -> list[np.ndarray]:
        """The validation stream cut back into tunes, each ending with its `<eos>`."""
        return split_stream(self.val)

    def texts(self, part: str = "all") -> list[str]:
        """The clean tunes of one split ("train" or "val") or of both ("all": training tunes first), as text:
        what `load_corpus` gives, read back from the cached streams instead of cleaned again."""
        streams = {"train": (self.train,), "val": (self.val,), "all": (self.train, self.val)}[part]
        return [self.vocab.decode(t) for stream in streams for t in split_stream(stream)]


def split_stream(stream: np.ndarray) -> list[np.ndarray]:
    """A stream cut back into its tunes, each ending with its `<eos>`."""
    ends = np.flatnonzero(stream == 0) + 1
    starts = np.concatenate([[0], ends[:-1]])
    return [stream[a:b] for a, b in zip(starts, ends)]


def cache_folder(raw: RawCorpus, val_fraction: float = 0.05, keep_optional: bool = False,
                 augment_keys: int = 0) -> Path:
    """Where the streams of this source content, split, cleaning version and augmentation are cached (without
    augmentation, the folder it always had)."""
    key = f"{source_fingerprint(raw)}-v{CACHE_VERSION}-{val_fraction}-{int(keep_optional)}"
    if augment_keys:
        key += f"-keys{augment_keys}.{AUGMENT_VERSION}"
    return cache_dir() / "prepared" / key


def _read_cache(folder: Path) -> Prepared | None:
    """The cached streams of `folder`, or None when anything in it does not fit (it is then rebuilt)."""
    try:
        meta = json.loads((folder / META_FILE).read_text())
        if problems(meta, META_SCHEMA) or meta["dtype"] not in ("uint8", "int16"):
            return None
        vocab = Vocab(meta["vocab"])
        train = np.fromfile(folder / TRAIN_FILE, dtype=np.dtype(meta["dtype"]))
        val = np.fromfile(folder / VAL_FILE, dtype=np.dtype(meta["dtype"]))
    except (OSError, ValueError, TypeError, MusicRNNError):
        return None
    if len(train) != meta["train_len"] or len(val) != meta["val_len"]:
        return None
    if any(len(a) and not 0 <= int(a.min()) <= int(a.max()) < len(vocab) for a in (train, val)):
        return None  # ids the vocabulary does not have: the model's embedding would fail on them
    return Prepared(vocab, train, val, meta["description"], cached=True)


def augment_train(train: list[str], val: list[str], keys: int) -> tuple[list[str], dict]:
    """The training tunes followed by `keys` copies of each in other keys (data/key_augment.py), and what was added.

    A copy that is the text of a validation tune (the corpus held the tune in that key too) is left out."""
    avoid = set(val)
    copies, refused = [], 0
    for tune in train:
        made = [c for c in key_copies(tune, keys) if c not in avoid]
        refused += not made
        copies += made
    return train + copies, {"augment_keys": keys, "augment_copies": len(copies), "augment_refused": refused,
                            "augment_chars": sum(len(c) for c in copies)}


def prepare(src="music21", val_fraction: float = 0.05, keep_optional: bool = False, use_cache: bool = True,
            augment_keys: int = 0) -> Prepared:
    """Load, clean, split and encode a source, reusing the cached arrays when the content is unchanged.

    `augment_keys` adds that many transposed copies of every training tune (never of the validation tunes)."""
    raw = read_source(src)
    folder = cache_folder(raw, val_fraction, keep_optional, augment_keys)
    if use_cache and (folder / META_FILE).exists():
        cached = _read_cache(folder)
        if cached is not None:
            # the cache is keyed by content: another path with the same tunes may have written it
            cached.description["source"] = raw.source
            return cached
        remove_partial_writes(folder, (TRAIN_FILE, VAL_FILE, META_FILE), older_than_s=0)
    corpus = clean_corpus(raw, val_fraction, keep_optional)
    del raw
    description = corpus.describe()
    train_tunes = corpus.train
    if augment_keys:
        train_tunes, added = augment_train(corpus.train, corpus.val, augment_keys)
        description.update(added)
    vocab = Vocab.from_texts(train_tunes + corpus.val)
    train, val = vocab.encode_stream(train_tunes), vocab.encode_stream(corpus.val)
    if use_cache:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(folder / TRAIN_FILE, train.tobytes())
            atomic_write_bytes(folder / VAL_FILE, val.tobytes())
            meta = {"vocab": vocab.tokens, "dtype": str(train.dtype), "train_len": len(train), "val_len": len(val),
                    "description": description}
            atomic_write_bytes(folder / META_FILE, json.dumps(meta).encode())
        except OSError:
            pass  # a read-only cache folder only costs speed
    return Prepared(vocab, train, val, description)
