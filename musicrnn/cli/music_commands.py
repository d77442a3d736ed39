"""`check` and `render`: the music checks and the renderers over every tune of an ABC file.

    python -m musicrnn check FILE.abc [--json]
    python -m musicrnn render FILE.abc --to midi,wav,svg,musicxml --out DIR
                             [--tempo BPM] [--instrument NAME] [--transpose N] [--written-above N]
                             [--click] [--json]

Each tune of the file is handled on its own: one bad tune is reported and the others go
on. `--json` prints exactly one JSON document on stdout; messages go to stderr.
Exit codes: 0 all tunes fine, 1 some tune failed (or, for check, has problems), 2 the
file or the options are unusable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from musicrnn.cli.output import EXIT_OK, EXIT_PROBLEMS, print_error, print_json
from musicrnn.errors import MusicRNNError
from musicrnn.files import read_text, safe_name
from musicrnn.music.midi import INSTRUMENTS
from musicrnn.music.render_parts import EXTENSIONS, FORMATS
from musicrnn.notation.fields import header_value
from musicrnn.notation.tunes import split_tunes


def add_commands(subparsers) -> None:
    """Register `check` and `render` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "check", help="check the ABC tunes of a file (parse, bar lengths, repeats, ending)",
        description="Check each tune of an ABC file: does music21 read it, do the bars "
                    "match the meter, are repeats closed, does it end on a bar line.")
    p.add_argument("file", metavar="FILE.abc", help="ABC file (one or more tunes)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed per tune (default 30)")
    p.set_defaults(func=run_check)

    r = subparsers.add_parser(
        "render", help="render the ABC tunes of a file to MIDI, audio, score, MusicXML",
        description="Write one file per tune and format into --out.")
    r.add_argument("file", metavar="FILE.abc", help="ABC file (one or more tunes)")
    r.add_argument("--to", default="midi",
                   help=f"comma-separated formats from {','.join(FORMATS)} "
                        "(default: midi)")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder")
    r.add_argument("--tempo", type=float, default=None, metavar="BPM",
                   help="quarter notes per minute (default: the tune's Q:, else its type's pace from R:, "
                        "a jig 168; else 120)")
    r.add_argument("--instrument", default="piano", metavar="NAME",
                   help="General MIDI instrument: " + ", ".join(sorted(INSTRUMENTS)))
    r.add_argument("--transpose", type=int, default=0, metavar="N",
                   help="semitones; the score, MusicXML and abc are written out in the new key")
    r.add_argument("--written-above", type=int, default=0, metavar="N",
                   help="write the score, MusicXML and abc N semitones above the sound, for a transposing "
                        "instrument's part (B♭ clarinet 2, E♭ alto sax 9, F horn 7, tenor sax 14)")
    r.add_argument("--click", action="store_true",
                   help="add a metronome to the MIDI and audio: a click on every beat, the bar's first higher")
    r.add_argument("--swing", type=float, default=0.0, metavar="S",
                   help="0 straight .. 1 triplet feel (hornpipes)")
    r.add_argument("--json", action="store_true", help="print one JSON summary")
    r.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed per tune (default 30)")
    r.set_defaults(func=run_render)


def _read_tunes(path: str) -> list[str]:
    tunes = split_tunes(read_text(path))
    if not tunes:
        raise MusicRNNError(f"{path}: no ABC tunes found")
    return tunes


def _tune_id(k: int, tune: str) -> dict:
    x = header_value(tune, "X")
    return {"index": k + 1, "x": (x.split() or [""])[0] if x is not None else None, "title": header_value(tune, "T")}


def _workers() -> int:
    from musicrnn.music.isolated import get_pool

    return get_pool().size


def check_file(path: str, *, timeout: float | None = None) -> dict:
    """The `check --json` document for one ABC file (raises MusicRNNError if unreadable)."""
    from musicrnn.music.isolated import check

    tunes = _read_tunes(path)

    def one(k_tune):
        k, tune = k_tune
        row = _tune_id(k, tune)
        try:
            rep = check(tune, timeout=timeout)
            row.update(ok=rep.ok, report=rep.to_dict())
        except MusicRNNError as e:
            row.update(ok=False, error=str(e))
        return row

    with ThreadPoolExecutor(max_workers=_workers()) as ex:  # one tune per worker
        rows = list(ex.map(one, enumerate(tunes)))
    n_ok = sum(r["ok"] for r in rows)
    return {"command": "check", "file": path, "tunes": rows,
            "summary": {"tunes": len(rows), "ok": n_ok, "problems": len(rows) - n_ok}}


def run_check(args: argparse.Namespace) -> int:
    try:
        doc = check_file(args.file, timeout=args.timeout)
    except MusicRNNError as e:
        return print_error(e)
    rows = doc["tunes"]
    if args.json:
        print_json(doc)
    else:
        for r in rows:
            print(_check_line(r))
        print(f"{doc['summary']['ok']}/{len(rows)} tunes without problems", file=sys.stderr)
    return EXIT_OK if doc["summary"]["problems"] == 0 else EXIT_PROBLEMS


def _check_line(r: dict) -> str:
    name = f"#{r['index']} " + (r["title"] or f"X:{r['x']}")
    if "error" in r:
        return f"{name}: ERROR {r['error']}"
    rep = r["report"]
    if not rep["parses"]:
        where = f" (line {rep['error_line']}: {rep['error_text']})" if rep["error_line"] else ""
        return f"{name}: does not parse: {rep['error']}{where}"
    parts = [f"{rep['bars']} bars"]
    if rep["bad_bars"]:
        bad = ", ".join(f"bar {b['bar']} (line {b['line']}) {b['length']} not {b['expected']}"
                        for b in rep["bad_bars"][:5])
        more = f" and {len(rep['bad_bars']) - 5} more" if len(rep["bad_bars"]) > 5 else ""
        parts.append(f"{len(rep['bad_bars'])} bar(s) off the meter: {bad}{more}")
    if rep["open_repeats"]:
        parts.append("repeat left open at line " + ", ".join(map(str, rep["open_repeats"])))
    parts.append("ended" if rep["ended"] else "does not end on a bar line")
    parts.extend(rep["warnings"])
    return f"{name}: {'ok' if r['ok'] else 'PROBLEMS'}; " + "; ".join(parts) + \
        f"; score {rep['score']:.2f}"


def _formats(spec: str) -> list[str]:
    formats = [f.strip().lower() for f in spec.split(",") if f.strip()]
    formats = ["midi" if f in ("mid", "midi") else "musicxml" if f in ("xml", "musicxml")
               else f for f in formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise MusicRNNError(f"--to: unknown format(s) {', '.join(bad) or '(none)'}; "
                            f"choose from {','.join(FORMATS)}")
    return formats


def render_file(path: str, formats: list[str], out: str, *, tempo: float | None = None,
                instrument: str | int = "piano", transpose: int = 0, written_above: int = 0, swing: float = 0.0,
                click: bool = False,
                timeout: float | None = None) -> dict:
    """Render every tune of an ABC file into `out`; the `render --json` document.

    Raises MusicRNNError for an unreadable file or bad options, OSError if `out` cannot
    be made; a tune that fails is reported in its row.
    """
    from musicrnn.music.isolated import render_all
    from musicrnn.music.midi import check_options, resolve_instrument

    resolve_instrument(instrument)
    check_options(tempo, transpose, swing)
    check_options(None, transpose + written_above, 0.0)
    tunes = _read_tunes(path)
    os.makedirs(out, exist_ok=True)
    stem = safe_name(os.path.splitext(os.path.basename(path))[0], limit=40, keep="").lower()

    def one(k_tune):
        k, tune = k_tune
        row: dict[str, Any] = _tune_id(k, tune)
        t0 = time.perf_counter()
        try:
            res = render_all(tune, formats, tempo=tempo, instrument=instrument, transpose=transpose,
                             written_above=written_above, swing=swing, click=click,
                             check=False, timeout=timeout)
            files, errors = {}, dict(res["errors"])
            base = f"{stem}-{k + 1:04d}-{safe_name(row['title'], limit=40, keep='').lower()}"
            for fmt, data in res["data"].items():
                target = os.path.join(out, f"{base}.{EXTENSIONS[fmt]}")
                try:
                    with open(target, "w" if isinstance(data, str) else "wb") as f:
                        f.write(data)
                    files[fmt] = target
                except OSError as e:
                    errors[fmt] = f"cannot write {target}: {e.strerror or e}"
            row.update(ok=not errors and len(files) == len(formats), files=files, errors=errors,
                       timings={k: round(v, 4) for k, v in res["timings"].items()})
        except MusicRNNError as e:
            row.update(ok=False, files={}, errors={f: str(e) for f in formats})
        row["seconds"] = round(time.perf_counter() - t0, 4)
        return row

    with ThreadPoolExecutor(max_workers=_workers()) as ex:  # one tune per worker
        rows = list(ex.map(one, enumerate(tunes)))
    n_ok = sum(r["ok"] for r in rows)
    return {"command": "render", "file": path, "out": out, "formats": formats, "tunes": rows,
            "summary": {"tunes": len(rows), "ok": n_ok, "failed": len(rows) - n_ok}}


def run_render(args: argparse.Namespace) -> int:
    try:
        formats = _formats(args.to)
        doc = render_file(args.file, formats, args.out, tempo=args.tempo,
                          instrument=args.instrument, transpose=args.transpose, written_above=args.written_above,
                          swing=args.swing, click=args.click, timeout=args.timeout)
    except MusicRNNError as e:
        return print_error(e)
    except OSError as e:
        return print_error(f"{args.out}: {e.strerror or e}")
    rows = doc["tunes"]
    if args.json:
        print_json(doc)
    else:
        for row in rows:
            name = row["title"] or f"X:{row['x']}"
            print(f"#{row['index']} {name}: " + (", ".join(row["files"].values())
                                                 or "nothing written"))
            for fmt, err in row["errors"].items():
                print(f"  {fmt}: {err}", file=sys.stderr)
        print(f"{doc['summary']['ok']}/{len(rows)} tunes rendered to {', '.join(formats)} "
              f"in {args.out}", file=sys.stderr)
    return EXIT_OK if doc["summary"]["failed"] == 0 else EXIT_PROBLEMS
