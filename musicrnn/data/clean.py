"""Cleaning: keep what the model should learn (the musical header and the body), drop the rest, and normalize
dialect differences that are not music, so that a model trained on one collection reads another."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from musicrnn.data.barlines import fix_line_ends, meter_agreement
from musicrnn.notation.fields import FIELD_LINE
from musicrnn.notation.meter import default_unit, normalize_meter
from musicrnn.notation.tune_types import normalize_rhythm
from musicrnn.notation.tunes import normalize_newlines

# Header fields kept (in this order) when present; the rest of the header is natural language or layout.
KEPT_HEADER = ("L", "M", "R", "K")  # R: as one tune type (tune_types.normalize_rhythm)
OPTIONAL_HEADER = ("Q",)
# Inline field lines in the body that change the music; others (T:, W:, w:, N:, P:...) are dropped.
BODY_FIELDS = {"K", "M", "L"}
_SPACES_RE = re.compile(r" {2,}")
_QUOTED_RE = re.compile(r'"([^"\n]*)"')
# A guitar chord symbol: root, optional accidental, quality, optional bass note ("Am7", "D/F#", "Bbmaj7").
_CHORD_RE = re.compile(
    r"^\(?[A-G][#b♯♭]?(?:m|min|maj|M|dim|aug|sus|add|\+|o|ø)?\d*(?:(?:sus|add|maj|b|#)\d+)*"
    r"(?:/[A-Ga-g][#b]?)?\)?$"
)
_MODES = {
    "": "", "maj": "", "major": "", "ion": "", "ionian": "",
    "m": "m", "min": "m", "minor": "m", "aeo": "m", "aeolian": "m",
    "dor": "dor", "dorian": "dor", "mix": "mix", "mixolydian": "mix",
    "lyd": "lyd", "lydian": "lyd", "phr": "phr", "phrygian": "phr", "loc": "loc", "locrian": "loc",
}
_KEY_RE = re.compile(r"^\s*([A-Ga-g])\s*([#b]?)\s*([A-Za-z]*)\s*(.*)$")
# Characters the model learns: printable ASCII and newline. Everything else is dropped and counted.
ALPHABET = frozenset(chr(c) for c in range(32, 127)) | {"\n"}


@dataclass
class CleanReport:
    """What cleaning dropped and changed, as counts."""

    tunes_in: int = 0
    tunes_kept: int = 0
    dropped: Counter = field(default_factory=Counter)  # why whole tunes were dropped
    fields_dropped: Counter = field(default_factory=Counter)  # header/body field letters removed
    changed: Counter = field(default_factory=Counter)  # normalizations applied, by kind

    def to_dict(self) -> dict:
        return {
            "tunes_in": self.tunes_in,
            "tunes_kept": self.tunes_kept,
            "dropped": dict(self.dropped.most_common()),
            "fields_dropped": dict(self.fields_dropped.most_common()),
            "changed": dict(self.changed.most_common()),
        }


def normalize_key(value: str) -> str:
    """`D Major` → `D`, `A Dorian` → `Ador`, `E minor` → `Em`; clefs and other modifiers are dropped."""
    v = value.strip()
    low = v.lower()
    if low in ("", "none") or low.startswith("hp"):
        return v.replace(" ", "") if low.startswith("hp") else ("none" if low == "none" else "C")
    m = _KEY_RE.match(v)
    if not m:
        return v
    tonic, acc, mode, _rest = m.groups()
    mode_l = mode.lower()
    if mode_l not in _MODES:
        # "Dmajor" style without a space, or unknown word: try the first three letters of a mode
        mode_l = mode_l[:3] if mode_l[:3] in _MODES else ""
    return tonic.upper() + acc + _MODES[mode_l]




def _strip_annotations(line: str, report: CleanReport) -> str:
    """Keep chord symbols; drop text annotations ("^text", "_text", fingerings) inside quotes."""

    def repl(m: re.Match) -> str:
        inner = m.group(1).strip()
        if _CHORD_RE.match(inner):
            return m.group(0)
        report.changed["annotations_dropped"] += 1
        return ""

    return _QUOTED_RE.sub(repl, line) if '"' in line else line


def _clean_body_line(line: str, report: CleanReport) -> str:
    if "%" in line:
        line = line[: line.index("%")]
        report.changed["comments_dropped"] += 1
    line = line.rstrip()
    if line.endswith("\\"):  # score line continuation: layout, not music
        line = line[:-1].rstrip()
        report.changed["continuations_dropped"] += 1
    if line.endswith("!") and line.count("!") % 2 == 1:  # ABC 1.6 line-break marker
        line = line[:-1].rstrip()
        report.changed["bang_linebreaks_dropped"] += 1
    line = _strip_annotations(line, report)
    if "  " in line:  # runs of spaces only affect beaming like one space does
        line = _SPACES_RE.sub(" ", line)
        report.changed["spaces_collapsed"] += 1
    if any(c not in ALPHABET for c in line):
        kept = "".join(c for c in line if c in ALPHABET)
        report.changed["chars_dropped"] += len(line) - len(kept)
        line = kept
    return line.rstrip()


def clean_tune(text: str, report: CleanReport, keep_optional: bool = False) -> str | None:
    """Clean one tune (its text from `X:` on); None when nothing musical is left. Updates `report`."""
    header: dict[str, str] = {}
    body: list[str] = []
    in_body = False
    for raw_line in normalize_newlines(text).split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("%"):
            report.changed["comments_dropped"] += 1
            continue
        m = FIELD_LINE.match(line)
        # In the body, "A:" to "G:" (and lowercase) can be a note before a repeat sign ("d:|"), not a field.
        if m and not (in_body and line[0] in "ABCDEFGabcdefg"):
            letter, value = m.group(1), m.group(2)
            if "%" in value:
                value = value[: value.index("%")]
            value = value.strip()
            if letter == "X":
                continue
            if not in_body:
                if letter == "K":
                    header["K"] = value
                    in_body = True
                elif letter in KEPT_HEADER or (keep_optional and letter in OPTIONAL_HEADER):
                    header.setdefault(letter, value)
                else:
                    report.fields_dropped[letter] += 1
                continue
            if letter in BODY_FIELDS:
                if letter == "K":
                    value = normalize_key(value)
                elif letter == "M":
                    value = normalize_meter(value)
                body.append(f"{letter}:{value.replace(' ', '') if letter == 'L' else value}")
            else:
                report.fields_dropped[letter] += 1
            continue
        if not in_body:
            # music before any K: line (the K: is missing): treat as body, with a default key
            header.setdefault("K", "C")
            report.changed["missing_key_added"] += 1
            in_body = True
        cleaned = _clean_body_line(line, report)
        if cleaned:
            body.append(cleaned)
    if not in_body:
        report.dropped["no_key_or_body"] += 1
        return None
    # A body of only inline field lines (no notes) is not a tune.
    if not any(not FIELD_LINE.match(b) for b in body):
        report.dropped["empty_body"] += 1
        return None
    out = ["X:1"]
    meter = header.get("M")
    if meter is not None:
        nm = normalize_meter(meter)
        if nm != meter:
            report.changed["meter_normalized"] += 1
        meter = nm
    unit = header.get("L")
    if unit is None:
        unit = default_unit(meter)
        report.changed["unit_added"] += 1
    out.append("L:" + unit.replace(" ", ""))
    if meter is not None:
        out.append("M:" + meter)
    if "R" in header:
        rhythm = normalize_rhythm(header["R"])
        if rhythm != header["R"]:
            report.changed["rhythm_normalized"] += 1
        out.append("R:" + rhythm)
    if keep_optional:
        for f in OPTIONAL_HEADER:
            if f in header:
                out.append(f"{f}:{header[f]}")
    key = normalize_key(header["K"])
    if key != header["K"]:
        report.changed["key_normalized"] += 1
    out.append("K:" + key)
    out.extend(body)
    tune = _fix_line_ends("\n".join(out), report)
    if _meter_disagrees(tune):
        report.dropped["bars_disagree_with_meter"] += 1
        return None
    return tune


def _meter_disagrees(tune: str) -> bool:
    """True when at least 2, and more than 1 in 5, of a tune's plain full bars do not fill its meter.

    Such tunes teach a model that `M:4/4` may hold 3/4 bars. Most come from the Essen collection, whose ABC
    lost the songs' changes of meter (erk10 #245: `M:4/4` over bars of 3/4). Single slips are kept. Tunes on
    the fast path (already in the clean form: IrishMAN) are not checked, as the scan costs about 0.4 ms a tune.
    """
    checked, bad = meter_agreement(tune)
    return bad >= 2 and bad * 5 > checked


def _fix_line_ends(tune: str, report: CleanReport) -> str:
    fixed, added, joined = fix_line_ends(tune)
    if added:
        report.changed["bar_lines_added_at_line_ends"] += added
    if joined:
        report.changed["lines_joined_mid_bar"] += joined
    return fixed


def _looks_clean(text: str) -> bool:
    """Fast path for sources already in the clean form (IrishMAN): no work beyond this check."""
    return (
        text.startswith("X:1\nL:")
        and "%" not in text
        and '"' not in text
        and "\\" not in text
        and "\r" not in text
        and "\n\n" not in text
        and not text.endswith("\n")
        and text.isascii()
        and "\t" not in text
        and "!\n" not in text
        and not text.endswith("!")
        and " \n" not in text
        and "  " not in text
        and "\nT:" not in text
        and "\nw:" not in text
        and "\nW:" not in text
        and "\nN:" not in text
    )


def clean_tunes(tunes: list[str], keep_optional: bool = False,
                report: CleanReport | None = None) -> tuple[list[str], CleanReport]:
    """Clean a list of tunes, dropping empty ones and exact duplicates; returns (tunes, report)."""
    report = report or CleanReport()
    seen: set[str] = set()
    out = []
    for t in tunes:
        report.tunes_in += 1
        if not keep_optional and _looks_clean(t) and _header_ok(t):
            c = _fix_line_ends(t, report)
        else:
            c = clean_tune(t, report, keep_optional)
        if c is None:
            continue
        if c in seen:
            report.dropped["duplicate"] += 1
            continue
        seen.add(c)
        out.append(c)
    report.tunes_kept += len(out)
    return out, report


def _header_ok(t: str) -> bool:
    lines = t.split("\n", 4)
    if len(lines) < 5 or not lines[2].startswith("M:") or not lines[3].startswith("K:"):
        return False
    return normalize_key(lines[3][2:]) == lines[3][2:] and normalize_meter(lines[2][2:]) == lines[2][2:]


