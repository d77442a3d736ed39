"""Opt-in repair of a tune, every change listed and shown as a diff: missing `X:`/`L:`/`K:` added, a trailing
incomplete bar dropped (or a complete one closed with `|]`), repeats left open closed."""
from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass

from musicrnn.music.music21_text import bar_lengths, voice_blocks
from musicrnn.music.structure import Bar, BarToken, Tune, check_size, parse_tune, tune_text
from musicrnn.notation.meter import default_unit, meter_length


@dataclass
class RepairResult:
    """A repaired tune: new text, what changed (one line each), and a unified diff."""

    text: str
    changes: list[str]
    diff: str

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["changed"] = self.changed
        return d


def _fix_header(text: str, changes: list[str]) -> str:
    lines = text.split("\n")
    tune = parse_tune(text)
    n_header = len(tune.header_lines)
    k_at = next((k for k, ln in enumerate(lines[:n_header]) if ln.startswith("K:")), None)
    insert_at = k_at if k_at is not None else n_header
    if "X" not in tune.header:
        lines.insert(0, "X:1")
        changes.append("added X:1 (reference number) at the top")
        insert_at += 1
    if "L" not in tune.header:
        unit = default_unit(tune.header.get("M"))
        lines.insert(insert_at, f"L:{unit}")
        changes.append(f"added L:{unit} (ABC's default unit length for this meter)")
        insert_at += 1
    if k_at is None:
        lines.insert(insert_at, "K:C")
        changes.append("added K:C (no key given) to end the header")
    return "\n".join(lines)


def _bar_length_ok(tune: Tune, bars: list[Bar], i: int) -> bool | None:
    try:
        lengths, _ = bar_lengths(tune, bars)
    except Exception:
        return None
    want = meter_length(tune.meter_at(bars[i]))
    if want is None or lengths[i] is None:
        return None
    return lengths[i] == want


def _fix_trailing_bar(text: str, changes: list[str], ended: bool | None) -> str:
    tune = parse_tune(text)
    if tune.last_token_is_bar and ended is not False:
        return text
    blocks = voice_blocks(tune)
    if not blocks:
        return text
    # the bar at the end of the text belongs to the voice whose last bar ends latest
    vbars = max((b for _, _, b in blocks), key=lambda bs: bs[-1].end if bs else -1)
    bars = [b for b in vbars if b.has_notes]
    if not bars:
        return text
    last = bars[-1]
    if last.right is not None:
        return text  # ends on a bar line (ended=False but nothing was cut mid-bar)
    full = _bar_length_ok(tune, bars, len(bars) - 1)
    if full or ended is True or len(bars) == 1:
        changes.append(f"line {last.line}: added a final bar line after the last bar")
        return text.rstrip() + " |]\n"
    kept = text[:last.start].rstrip()
    changes.append(f"line {last.line}: dropped the trailing incomplete bar {last.music[:40]!r}")
    return kept + "\n"


def _fix_open_repeats(text: str, changes: list[str]) -> str:
    for _ in range(50):  # one repeat per pass; bounded
        tune = parse_tune(text)
        edit = None
        for _, _, bars in voice_blocks(tune):
            edit = _close_first_open_repeat(bars, text)
            if edit:
                break
        if not edit:
            return text
        start, end, new, line, msg = edit
        text = text[:start] + new + text[end:]
        changes.append(f"line {line}: {msg}")
    return text


def _close_first_open_repeat(bars: list[Bar], text: str):
    open_bar: int | None = None
    for k, b in enumerate(bars):
        if b.left is not None and b.left.starts_repeat:
            if open_bar is not None and k > open_bar:
                tok = b.left
                return (tok.start, tok.end, "::", tok.line,
                        f"closed the repeat opened on line {bars[open_bar].left.line}: "
                        f"{tok.text!r} -> '::'")
            open_bar = k
        if b.right is not None and b.right.ends_repeat:
            open_bar = None
            continue
        if open_bar is not None and b.right is not None and b.right.section_end and b.right.is_bar:
            tok = b.right
            new = _closing_text(tok)
            return (tok.start, tok.end, new, tok.line,
                    f"closed the repeat opened on line {bars[open_bar].left.line}: "
                    f"{tok.text!r} -> {new!r}")
    if open_bar is None:
        return None
    last = bars[-1]
    if last.right is not None and last.right.is_bar:
        tok = last.right
        new = _closing_text(tok)
        return (tok.start, tok.end, new, tok.line,
                f"closed the repeat opened on line {bars[open_bar].left.line}: "
                f"{tok.text!r} -> {new!r}")
    end = last.end if last.end >= 0 else len(text)
    return (end, end, " :|", last.line,
            f"closed the repeat opened on line {bars[open_bar].left.line}: added ':|' at the end")


def _closing_text(tok: BarToken) -> str:
    """`tok` rewritten to end a repeat, keeping a repeat it opens and an ending it starts."""
    new = "::" if tok.starts_repeat else ":|"
    m = re.search(r"\[?\d", tok.text)
    return new + (tok.text[m.start():] if m else "")


def repair_tune(abc: str, *, ended: bool | None = None) -> RepairResult:
    """Opt-in repair, every change listed: add missing X:/L:/K:, drop a trailing incomplete
    bar (or close a complete one with `|]`), close repeats left open.

    `ended=False` (sampler hit its length limit) makes the last bar suspect even if the
    text happens to stop on a bar line.
    """
    original = tune_text(abc)
    check_size(original)
    changes: list[str] = []
    text = _fix_header(original, changes)
    text = _fix_trailing_bar(text, changes, ended)
    text = _fix_open_repeats(text, changes)
    if not text.endswith("\n") and original.endswith("\n"):
        text += "\n"
    a = original if original.endswith("\n") else original + "\n"
    b = text if text.endswith("\n") else text + "\n"
    diff = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                        "original", "repaired"))
    return RepairResult(text if changes else original, changes, diff if changes else "")


# ----------------------------------------------------------------------------- files

