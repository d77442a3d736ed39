"""`check` and `render` subcommands; cli.py calls `add_commands(subparsers)`.

    python -m musicrnn check FILE.abc [--json]
    python -m musicrnn render FILE.abc --to midi,wav,svg,musicxml --out DIR
                             [--tempo BPM] [--instrument NAME] [--transpose N] [--json]

Each tune of the file is handled on its own: one bad tune is reported and the others go
on. `--json` prints exactly one JSON document on stdout; messages go to stderr.
Exit codes: 0 all tunes fine, 1 some tune failed (or, for check, has problems), 2 the
file or the options are unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from musicrnn import abc as abcmod
from musicrnn.errors import MusicRNNError


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

    from musicrnn import render

    r = subparsers.add_parser(
        "render", help="render the ABC tunes of a file to MIDI, audio, score, MusicXML",
        description="Write one file per tune and format into --out.")
    r.add_argument("file", metavar="FILE.abc", help="ABC file (one or more tunes)")
    r.add_argument("--to", default="midi",
                   help=f"comma-separated formats from {','.join(render.FORMATS)} "
                        "(default: midi)")
    r.add_argument("--out", required=True, metavar="DIR", help="output folder")
    r.add_argument("--tempo", type=float, default=None, metavar="BPM",
                   help="quarter notes per minute (default: the tune's Q:, else 120)")
    r.add_argument("--instrument", default="piano", metavar="NAME",
                   help="General MIDI instrument: " + ", ".join(sorted(render.INSTRUMENTS)))
    r.add_argument("--transpose", type=int, default=0, metavar="N", help="semitones")
    r.add_argument("--swing", type=float, default=0.0, metavar="S",
                   help="0 straight .. 1 triplet feel (hornpipes)")
    r.add_argument("--json", action="store_true", help="print one JSON summary")
    r.add_argument("--timeout", type=float, default=None,
                   help="seconds allowed per tune (default 30)")
    r.set_defaults(func=run_render)


def _read_tunes(path: str) -> list[str]:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise MusicRNNError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # older ABC collections
    tunes = abcmod.split_tunes(text)
    if not tunes:
        raise MusicRNNError(f"{path}: no ABC tunes found")
    return tunes


def _tune_id(k: int, tune: str) -> dict:
    x = re.search(r"^X:\s*(\S*)", tune, re.M)
    t = re.search(r"^T:\s*(.*)$", tune, re.M)
    return {"index": k + 1, "x": x.group(1) if x else None,
            "title": t.group(1).strip() if t else None}


def _emit_json(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _workers() -> int:
    from musicrnn import isolate

    return isolate.get_pool().size


def run_check(args: argparse.Namespace) -> int:
    from musicrnn import isolate

    try:
        tunes = _read_tunes(args.file)
    except MusicRNNError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def one(k_tune):
        k, tune = k_tune
        row = _tune_id(k, tune)
        try:
            rep = isolate.check(tune, timeout=args.timeout)
            row.update(ok=rep.ok, report=rep.to_dict())
        except MusicRNNError as e:
            row.update(ok=False, error=str(e))
        return row

    with ThreadPoolExecutor(max_workers=_workers()) as ex:
        rows = list(ex.map(one, enumerate(tunes)))
    n_ok = sum(r["ok"] for r in rows)
    if args.json:
        _emit_json({"command": "check", "file": args.file, "tunes": rows,
                    "summary": {"tunes": len(rows), "ok": n_ok, "problems": len(rows) - n_ok}})
    else:
        for r in rows:
            print(_check_line(r))
        print(f"{n_ok}/{len(rows)} tunes without problems", file=sys.stderr)
    return 0 if n_ok == len(rows) else 1


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


def _slug(text: str | None) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text or "").strip("-").lower()
    return s[:40] or "tune"


def run_render(args: argparse.Namespace) -> int:
    from musicrnn import isolate, render

    formats = [f.strip().lower() for f in args.to.split(",") if f.strip()]
    formats = ["midi" if f in ("mid", "midi") else "musicxml" if f in ("xml", "musicxml")
               else f for f in formats]
    bad = [f for f in formats if f not in render.FORMATS]
    try:
        if bad or not formats:
            raise MusicRNNError(f"--to: unknown format(s) {', '.join(bad) or '(none)'}; "
                                f"choose from {','.join(render.FORMATS)}")
        render.resolve_instrument(args.instrument)
        render._check_options(args.tempo, args.transpose, args.swing)
        tunes = _read_tunes(args.file)
        os.makedirs(args.out, exist_ok=True)
    except MusicRNNError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    stem = _slug(os.path.splitext(os.path.basename(args.file))[0])

    def one(k_tune):
        k, tune = k_tune
        row: dict[str, Any] = _tune_id(k, tune)
        t0 = time.perf_counter()
        try:
            res = isolate.render_all(tune, formats, tempo=args.tempo,
                                     instrument=args.instrument, transpose=args.transpose,
                                     swing=args.swing, check=False, timeout=args.timeout)
            files, errors = {}, dict(res["errors"])
            base = f"{stem}-{k + 1:04d}-{_slug(row['title'])}"
            for fmt, data in res["data"].items():
                path = os.path.join(args.out, f"{base}.{render.EXTENSIONS[fmt]}")
                try:
                    with open(path, "w" if isinstance(data, str) else "wb") as f:
                        f.write(data)
                    files[fmt] = path
                except OSError as e:
                    errors[fmt] = f"cannot write {path}: {e.strerror or e}"
            row.update(ok=not errors and len(files) == len(formats), files=files, errors=errors)
        except MusicRNNError as e:
            row.update(ok=False, files={}, errors={f: str(e) for f in formats})
        row["seconds"] = round(time.perf_counter() - t0, 4)
        return row

    with ThreadPoolExecutor(max_workers=_workers()) as ex:  # one tune per worker
        rows = list(ex.map(one, enumerate(tunes)))
    n_ok = sum(r["ok"] for r in rows)
    if not args.json:
        for row in rows:
            name = row["title"] or f"X:{row['x']}"
            print(f"#{row['index']} {name}: " + (", ".join(row["files"].values())
                                                 or "nothing written"))
            for fmt, err in row["errors"].items():
                print(f"  {fmt}: {err}", file=sys.stderr)
    if args.json:
        _emit_json({"command": "render", "file": args.file, "out": args.out,
                    "formats": formats, "tunes": rows,
                    "summary": {"tunes": len(rows), "ok": n_ok, "failed": len(rows) - n_ok}})
    else:
        print(f"{n_ok}/{len(rows)} tunes rendered to {', '.join(formats)} in {args.out}",
              file=sys.stderr)
    return 0 if n_ok == len(rows) else 1
