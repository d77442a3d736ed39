"""Corpus sources: IrishMAN JSON, `.abc` files or folders, and music21's bundled tunes, read as raw tunes."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from musicrnn.errors import CorpusError
from musicrnn.files import read_text
from musicrnn.notation.tunes import split_tunes

ABC_KEY = "abc notation"


@dataclass
class RawCorpus:
    """Tunes as read from a source, before cleaning; `val` is None when the source has no split."""

    source: str
    train: list[str]
    val: list[str] | None
    files: list[str]



def read_irishman_json(path: Path) -> list[str]:
    """Read one IrishMAN-format file: a JSON list of objects with the key "abc notation"."""
    text = read_text(path, CorpusError)
    try:
        records = json.loads(text)
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    if not isinstance(records, list):
        raise CorpusError(f"{path}: expected a JSON list of records, found {type(records).__name__}")
    tunes = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or ABC_KEY not in rec:
            raise CorpusError(f'{path}: record {i} has no "{ABC_KEY}" field')
        abc = rec[ABC_KEY]
        if not isinstance(abc, str):
            raise CorpusError(f'{path}: record {i}: "{ABC_KEY}" is {type(abc).__name__}, expected text')
        tunes.append(abc)
    return tunes


def music21_corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


# Named parts of music21's bundled corpus. `music21:dance` is its Irish, Scottish and American dance-tune and air
# collections (Ryan's Mammoth, O'Neill's 1850, Aird's Airs): reels, jigs and hornpipes written one phrase a line
# with bar lines at line ends, without the Essen folk songs whose bars run across line breaks.
MUSIC21_PARTS = {
    "music21": None,
    "music21:dance": ("ryansMammoth", "oneills1850", "airdsAirs"),
}


def _abc_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".abc" and p.is_file())


def read_source(src: str | os.PathLike | None = "music21") -> RawCorpus:
    """Read tunes from `music21` (bundled tunes) or `music21:dance` (their dance-tune part), an IrishMAN folder or
    `.json`, or an `.abc` file or folder."""
    src = "music21" if src in (None, "") else src
    if str(src) in MUSIC21_PARTS:
        root, parts = music21_corpus_dir(), MUSIC21_PARTS[str(src)]
        files = [f for f in _abc_files(root) if parts is None or f.relative_to(root).parts[0] in parts]
        tunes = [t for f in files for t in split_tunes(read_text(f, CorpusError), raw=True)]
        return RawCorpus(str(src), tunes, None, [str(f) for f in files])
    path = Path(src).expanduser()
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder (expected 'music21', 'music21:dance', an IrishMAN "
                          "folder, .json or .abc)")
    if path.is_dir():
        train_json, val_json = path / "train.json", path / "validation.json"
        if train_json.exists():
            val = read_irishman_json(val_json) if val_json.exists() else None
            files = [str(train_json)] + ([str(val_json)] if val is not None else [])
            return RawCorpus(str(path), read_irishman_json(train_json), val, files)
        files = _abc_files(path)
        if not files:
            raise CorpusError(f"{path}: folder holds neither train.json nor any .abc file")
        tunes = [t for f in files for t in split_tunes(read_text(f, CorpusError), raw=True)]
        return RawCorpus(str(path), tunes, None, [str(f) for f in files])
    if path.suffix.lower() == ".json":
        return RawCorpus(str(path), read_irishman_json(path), None, [str(path)])
    return RawCorpus(str(path), split_tunes(read_text(path, CorpusError), raw=True), None, [str(path)])


def source_fingerprint(raw: RawCorpus) -> str:
    """A short hash of the source's content (not its path or mtime): the key of the encoding cache."""
    h = hashlib.sha256()
    for part in (raw.train, raw.val or []):
        for t in part:
            h.update(t.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        h.update(b"\x01")
    return h.hexdigest()[:16]
