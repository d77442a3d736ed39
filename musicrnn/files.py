"""Files on disk: reading text the way old collections are written, and atomic writes.

Every on-disk format of musicrnn (checkpoints, the stream cache, run folders) is written through
`atomic_write`, so a crash mid-write leaves the old file or the new one, never half of one.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from musicrnn.errors import MusicRNNError


def read_text(path: str | os.PathLike, error: type[MusicRNNError] = MusicRNNError) -> str:
    """UTF-8, falling back to Latin-1 (older collections); `error` names the path for a missing file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: cannot read: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: cannot read: is a folder, expected a file") from None
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """A file's bytes as text: UTF-8, falling back to Latin-1 (older collections), which reads any bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None], *, suffix: str = "") -> None:
    """Call `write(file)` on a temporary file beside `path`, flush it to disk, then put it in place.

    The temporary file starts with `path`'s name and a dot; it is removed when `write` fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; run folders are meant to be read by viewers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_partial_writes(folder: str | os.PathLike, names, older_than_s: float = 60.0) -> int:
    """Remove what an `atomic_write` of one of `names` in `folder` left behind when its process was killed
    (files older than `older_than_s`, so a write in progress is never touched); returns how many."""
    removed = 0
    pattern = re.compile("^(" + "|".join(re.escape(n) for n in names) + r")\.[A-Za-z0-9_]{8}(\.tmp)?$")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for e in entries:
        try:
            if pattern.match(e.name) and e.is_file() and time.time() - e.stat().st_mtime >= older_than_s:
                os.unlink(e.path)
                removed += 1
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def safe_name(text: str | None, *, default: str = "tune", limit: int = 60, keep: str = "-_", sep: str = "-") -> str:
    """A file-name part that no file system or shell misreads: runs of anything but ASCII letters, digits and
    `keep` become `sep` (`"The Kesh / reel" -> "The-Kesh-reel"`)."""
    s = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", sep, text or "").strip(sep)
    return s[:limit] or default
