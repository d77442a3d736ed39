"""Fetch the IrishMAN corpus from the Hugging Face hub: resumable (HTTP Range on a `.part` file), verified
(size, and sha256 where the hub gives one), then checked as IrishMAN JSON before it replaces anything."""
from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from musicrnn.data.sources import read_irishman_json
from musicrnn.errors import CorpusError, MusicRNNError

REPO = "sander-wood/irishman"
FILES = ("train.json", "validation.json")
CHUNK = 1 << 20


class DownloadError(MusicRNNError):
    pass


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def file_url(name: str, repo: str = REPO, revision: str = "main") -> str:
    return f"{endpoint()}/datasets/{repo}/resolve/{revision}/{name}"


def _expected_sha256(headers) -> str | None:
    # The hub names an LFS file's sha256 in X-Linked-Etag (or ETag): a quoted 64-hex string.
    for h in ("X-Linked-Etag", "ETag"):
        v = (headers.get(h) or "").strip('"').removeprefix("W/").strip('"')
        if re.fullmatch(r"[0-9a-f]{64}", v):
            return v
    return None


def fetch(url: str, dest: Path, progress: Callable[[int, int | None], None] | None = None,
          timeout: float = 60.0) -> Path:
    """Download `url` to `dest`, resuming a previous `.part`; the file appears only once complete and verified."""
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "musicrnn", **({"Range": f"bytes={have}-"} if have else {})}
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the .part is already whole
            resp = None
        else:
            raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise DownloadError(f"{url}: cannot connect ({getattr(e, 'reason', e)})") from None
    expected_sha = None
    total = None
    if resp is not None:
        with resp:
            expected_sha = _expected_sha256(resp.headers)
            length = resp.headers.get("Content-Length")
            if resp.status == 206:
                m = re.search(r"/(\d+)$", resp.headers.get("Content-Range", ""))
                total = int(m.group(1)) if m else None
                mode = "ab"
            else:  # the server ignored Range: start over
                have, mode = 0, "wb"
                total = int(length) if length else None
            with open(part, mode) as f:
                done = have
                while True:
                    try:
                        block = resp.read(CHUNK)
                    except OSError as e:
                        raise DownloadError(f"{url}: connection lost after {done} bytes ({e}); "
                                            "run again to resume") from None
                    if not block:
                        break
                    f.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(f"{url}: got {size} of {total} bytes; run again to resume")
    if expected_sha:
        h = hashlib.sha256()
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(CHUNK), b""):
                h.update(block)
        if h.hexdigest() != expected_sha:
            part.unlink()
            raise DownloadError(f"{url}: sha256 mismatch (expected {expected_sha[:12]}…, got {h.hexdigest()[:12]}…); "
                                "the partial file was removed, run again")
    os.replace(part, dest)
    return dest


def download_irishman(dest: str | os.PathLike, progress_factory: Callable[[str], Callable] | None = None) -> dict:
    """Fetch IrishMAN's `train.json` and `validation.json` into `dest`; returns {file: tunes}."""
    dest = Path(dest)
    counts = {}
    for name in FILES:
        target = dest / name
        tmp = dest / (name + ".new")
        fetch(file_url(name), tmp, progress_factory(name) if progress_factory else None)
        try:
            counts[name] = len(read_irishman_json(tmp))
        except CorpusError as e:
            tmp.unlink(missing_ok=True)
            raise DownloadError(f"downloaded {name} is not IrishMAN data: {e}") from None
        os.replace(tmp, target)  # only a verified file replaces what the user had
    return counts
