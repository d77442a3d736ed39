"""Tunes as text: newlines, one file split into tunes, a tune's name for messages."""
from __future__ import annotations

import re

_X_LINE = re.compile(r"^X:", re.M)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_tunes(text: str, *, raw: bool = False) -> list[str]:
    """Split a multi-tune ABC file at its `X:` lines; what comes before the first (a file header) is dropped.

    Each tune is stripped and ends with one newline, and text with no `X:` line is one tune when it is not
    blank. `raw=True` returns the tunes' exact text instead (the corpus hashes it) and nothing without `X:`.
    """
    if raw:
        starts = [m.start() for m in _X_LINE.finditer(text)]
        return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    text = normalize_newlines(text)
    tunes = [t.strip() + "\n" for t in split_tunes(text, raw=True)]
    if not tunes and text.strip():
        tunes.append(text.strip() + "\n")
    return tunes


def tune_label(abc: str) -> str:
    """A short human name for a tune, for messages: `"Title" (X:3)`."""
    x = re.search(r"^X:\s*(\S*)", abc, re.M)
    t = re.search(r"^T:\s*(.*)$", abc, re.M)
    title = t.group(1).strip()[:60] if t else ""
    if title:
        return f'"{title}"' + (f" (X:{x.group(1)[:12]})" if x else "")
    return f"X:{x.group(1)[:12]}" if x else "untitled tune"
