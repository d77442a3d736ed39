"""Where the app keeps downloads and uploads, and the training sources it offers."""
from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """Downloads and uploads: `$MUSICRNN_DATA`, else `data/` in the working folder."""
    return Path(os.environ.get("MUSICRNN_DATA") or "data").expanduser()


def irishman_dir() -> Path:
    return data_root() / "irishman"


def uploads_dir() -> Path:
    return data_root() / "uploads"


def known_sources() -> dict[str, str]:
    """Training and exploring sources on this machine: {source string: label}."""
    out = {"music21": "Bundled music21 tunes (O'Neill's, Ryan's, Essen, Nottingham…)",
           "music21:dance": "Bundled dance tunes only (Ryan's Mammoth, O'Neill's, Aird's)"}
    if (irishman_dir() / "train.json").is_file():
        out[str(irishman_dir())] = f"IrishMAN ({irishman_dir()})"
    if uploads_dir().is_dir():
        for p in sorted(uploads_dir().iterdir()):
            if p.suffix.lower() in (".json", ".abc") and p.is_file():
                out[str(p)] = f"Uploaded: {p.name}"
    return out
