"""`render --to midi` on every ABC tune bundled with music21, isolated path vs music21 direct.

    python benchmarks/render_corpus.py [--limit N] [--timeout S]

Isolated: the CLI's own code (`cli_music.render_file`, which writes one .mid per tune)
through musicrnn's worker pool. Direct: `converter.parse(tune, format="abc")` then
music21's MIDI writer, in a process pool of the same size with the same per-tune time
limit (SIGALRM), so a tune that hangs music21 cannot stall the benchmark. A tune succeeds
when it yields a MIDI file with at least one note. Both run on the same tunes, one after
the other, each using all the machine's cores (two workers on a 2-core machine).

Prints ONE JSON line: success rates, time per tune (wall time over all tunes, and the
time each tune spent in a worker), worker crashes and time-outs (which the isolated path
survives), and machine info. `--limit N` takes N tunes spread evenly
over the corpus for a quick run.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import io
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from musicrnn import music as isolate  # noqa: E402
from musicrnn.cli import music_commands as cli_music  # noqa: E402
from musicrnn.notation.tunes import split_tunes  # noqa: E402


def corpus_tunes() -> list[tuple[str, int, str]]:
    """(relative file, index in file, tune text) for every tune of music21's ABC corpus."""
    import music21

    root = os.path.join(os.path.dirname(music21.__file__), "corpus")
    out = []
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".abc"):
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    raw = f.read()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
                rel = os.path.relpath(path, root)
                out.extend((rel, k, t) for k, t in enumerate(split_tunes(text)))
    return out


def spread(items: list, n: int | None) -> list:
    if not n or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(k * step)] for k in range(n)]


def percentiles(xs: list[float]) -> dict:
    if not xs:
        return {}
    xs = sorted(xs)
    return {"mean_ms": round(1000 * statistics.fmean(xs), 2),
            "p50_ms": round(1000 * xs[len(xs) // 2], 2),
            "p95_ms": round(1000 * xs[min(len(xs) - 1, int(0.95 * len(xs)))], 2),
            "max_ms": round(1000 * xs[-1], 2)}


# ----------------------------------------------------------------------------- isolated


def run_isolated(tunes: list[tuple[str, int, str]], timeout: float) -> tuple[dict, list[bool]]:
    """One temporary .abc file per source file, rendered by the CLI's render_file."""
    pool = isolate.get_pool()
    pool.warm_up()
    by_file: dict[str, list[int]] = {}
    for i, (rel, _, _) in enumerate(tunes):
        by_file.setdefault(rel, []).append(i)
    ok = [False] * len(tunes)
    seconds: list[float] = []
    errors: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="render-corpus-") as tmp:

        def one_file(item):
            rel, idxs = item
            name = rel.replace(os.sep, "_")
            src = os.path.join(tmp, name)
            with open(src, "w", encoding="utf-8") as f:
                f.write("\n".join(tunes[i][2] for i in idxs))
            out = os.path.join(tmp, "out-" + name)
            doc = cli_music.render_file(src, ["midi"], out, timeout=timeout)
            has_notes = [_midi_has_notes(row["files"].get("midi")) for row in doc["tunes"]]
            shutil.rmtree(out)
            os.unlink(src)
            return idxs, doc, has_notes

        t0 = time.perf_counter()
        # files in parallel too: most of Ryan's Mammoth holds one tune per file
        with cf.ThreadPoolExecutor(max_workers=pool.size) as ex:
            for idxs, doc, has_notes in ex.map(one_file, by_file.items()):
                if len(doc["tunes"]) != len(idxs):  # split_tunes is deterministic
                    raise SystemExit("tune count changed between split and render")
                for i, row, notes in zip(idxs, doc["tunes"], has_notes):
                    ok[i] = row["ok"] and notes
                    seconds.append(row.get("timings", {}).get("midi", row["seconds"]))
                    for msg in row["errors"].values():
                        errors[_error_kind(msg)] += 1
        wall = time.perf_counter() - t0
    n_ok = sum(ok)
    return {
        "ok": n_ok, "failed": len(tunes) - n_ok,
        "success_rate": round(n_ok / len(tunes), 5),
        "wall_s": round(wall, 1), "throughput_ms_per_tune": round(1000 * wall / len(tunes), 2),
        "latency_in_worker": percentiles(seconds),
        "worker_crashes": pool.stats["crashes"], "worker_timeouts": pool.stats["timeouts"],
        "worker_restarts": pool.stats["restarts"], "workers": pool.size,
        "error_kinds": dict(errors.most_common(8)),
    }, ok


def _midi_has_notes(path: str | None) -> bool:
    if not path:
        return False
    import mido

    try:
        mf = mido.MidiFile(path)
    except Exception:
        return False
    return any(m.type == "note_on" and m.velocity > 0 for tr in mf.tracks for m in tr)


def _error_kind(msg: str) -> str:
    for key in ("took more than", "crashed", "no notes", "music21 cannot read",
                "more than the", "rendered as audio"):
        if key in msg:
            return key
    return msg.split(":")[-2].strip()[-40:] if ":" in msg else msg[:40]


# ----------------------------------------------------------------------------- direct


class _Alarm(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Alarm()


def _direct_chunk(args: tuple[list[str], float]) -> list[tuple[bool, float, str]]:
    """music21 as a user would call it: parse, write MIDI. Runs in a child process."""
    from music21 import converter
    from music21.midi import translate

    texts, timeout = args
    signal.signal(signal.SIGALRM, _on_alarm)
    out = []
    for text in texts:
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            score = converter.parse(text, format="abc")
            data = translate.music21ObjectToMidiFile(score).writestr()
            signal.setitimer(signal.ITIMER_REAL, 0)
            ok = _bytes_have_notes(data)
            kind = "" if ok else "no notes"
        except _Alarm:
            ok, kind = False, "timeout"
        except Exception as e:  # music21 raises many types
            signal.setitimer(signal.ITIMER_REAL, 0)
            ok, kind = False, type(e).__name__
        out.append((ok, time.perf_counter() - t0, kind))
    return out


def _bytes_have_notes(data: bytes) -> bool:
    import mido

    try:
        mf = mido.MidiFile(file=io.BytesIO(data))
    except Exception:
        return False
    return any(m.type == "note_on" and m.velocity > 0 for tr in mf.tracks for m in tr)


def run_direct(tunes: list[tuple[str, int, str]], timeout: float,
               workers: int) -> tuple[dict, list[bool]]:
    chunks = [list(range(k, min(k + 25, len(tunes)))) for k in range(0, len(tunes), 25)]
    ok = [False] * len(tunes)
    seconds: list[float] = []
    kinds: Counter = Counter()
    crashes = 0
    t0 = time.perf_counter()
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    pending = list(chunks)
    broke: Counter = Counter()
    while pending:
        todo, pending = pending, []
        try:
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
                futs = {ex.submit(_direct_chunk, ([tunes[i][2] for i in c], timeout)): c
                        for c in todo}
                for fut in cf.as_completed(futs):
                    c = futs[fut]
                    try:
                        res = fut.result()
                    except cf.process.BrokenProcessPool:
                        pending.append(c)  # not necessarily this chunk's fault: retry once
                        continue
                    todo.remove(c)
                    for i, (good, sec, kind) in zip(c, res):
                        ok[i] = good
                        seconds.append(sec)
                        if kind:
                            kinds[kind] += 1
        except cf.process.BrokenProcessPool:
            pending = [c for c in todo if c not in pending] + pending
        if pending:
            crashes += 1  # a child process died; chunks that broke the pool twice fail
            retry = []
            for c in pending:
                broke[id(c)] += 1
                if broke[id(c)] >= 2:
                    kinds["process crashed"] += len(c)
                else:
                    retry.append(c)
            pending = retry
    wall = time.perf_counter() - t0
    n_ok = sum(ok)
    return {
        "ok": n_ok, "failed": len(tunes) - n_ok,
        "success_rate": round(n_ok / len(tunes), 5),
        "wall_s": round(wall, 1), "throughput_ms_per_tune": round(1000 * wall / len(tunes), 2),
        "latency_in_worker": percentiles(seconds),
        "timeouts": kinds.get("timeout", 0), "process_crashes": crashes, "workers": workers,
        "error_kinds": dict(kinds.most_common(8)),
    }, ok


# ----------------------------------------------------------------------------- main


def machine() -> dict:
    import music21
    import verovio

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "music21": music21.__version__,
            "verovio": verovio.toolkit().getVersion()}
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="tunes, spread over the corpus")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per tune")
    args = ap.parse_args()

    all_tunes = corpus_tunes()
    tunes = spread(all_tunes, args.limit)
    started = time.time()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    iso, iso_ok = run_isolated(tunes, args.timeout)
    workers = iso["workers"]
    isolate.shutdown()  # free the cores for the direct run
    direct, direct_ok = run_direct(tunes, args.timeout, workers)
    only_iso = [tunes[i] for i in range(len(tunes)) if iso_ok[i] and not direct_ok[i]]
    only_direct = [tunes[i] for i in range(len(tunes)) if direct_ok[i] and not iso_ok[i]]
    doc = {
        "benchmark": "render_corpus",
        "command": "render --to midi",
        "corpus": "music21 bundled ABC (corpus/**/*.abc)",
        "files": len({t[0] for t in all_tunes}),
        "tunes_in_corpus": len(all_tunes),
        "tunes": len(tunes),
        "limit": args.limit,
        "timeout_s": args.timeout,
        "isolated": iso,
        "music21_direct": direct,
        "isolated_at_least_as_good": iso["ok"] >= direct["ok"],
        "only_isolated_ok": len(only_iso),
        "only_direct_ok": len(only_direct),
        "only_direct_ok_examples": [f"{rel}#{k + 1}" for rel, k, _ in only_direct[:10]],
        "benchmark_process_crashes": 0,  # this line is printed by the process that ran it all
        "benchmark_process_hangs": 0,
        "total_wall_s": round(time.time() - started, 1),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
    }
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
