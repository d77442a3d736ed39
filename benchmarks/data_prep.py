"""Wall time and peak memory to load, clean, split and encode a corpus (no cache), in a fresh process.

    python benchmarks/data_prep.py --data music21
    python benchmarks/data_prep.py --make-irishman 214122     # an IrishMAN-sized corpus built from the
                                                              # embedded tunes, written to a temp folder
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, machine, peak_rss_mb

KEYS = ["D", "G", "A", "E", "C", "F", "Bb", "Am", "Em", "Bm", "Dm", "Gm", "Ador", "Edor", "Dmix", "Amix", "Gmix",
        "Bdor", "Fmix", "Cm"]


def make_irishman(n: int, folder: Path) -> Path:
    """n distinct tunes in IrishMAN's format: the embedded tunes, cleaned, each copy in another key."""
    from musicrnn.data.split import load_corpus

    base = load_corpus("music21").all_tunes
    tunes = []
    for i in range(n):
        t = base[i % len(base)]
        head, _, rest = t.partition("\nK:")
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
        tunes.append(f"{head}\nK:{KEYS[(i // len(base)) % len(KEYS)]}\n{body}")
    folder.mkdir(parents=True, exist_ok=True)
    n_val = max(1, n // 100)
    rec = lambda ts: [{"control code": "S:2 B:8", "abc notation": t} for t in ts]  # noqa: E731
    (folder / "train.json").write_text(json.dumps(rec(tunes[n_val:])))
    (folder / "validation.json").write_text(json.dumps(rec(tunes[:n_val])))
    return folder


def child(src: str) -> None:
    t0 = time.perf_counter()
    from musicrnn.data.stream import prepare

    p = prepare(src, use_cache=False)
    wall = time.perf_counter() - t0
    d = p.description
    emit({"wall_s": round(wall, 2), "peak_rss_mb": round(peak_rss_mb(), 1), "tunes": d["train_tunes"] + d["val_tunes"],
          "chars": d["train_chars"] + d["val_chars"], "stream_mb": round((p.train.nbytes + p.val.nbytes) / 2**20, 1)})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="music21")
    p.add_argument("--make-irishman", type=int, default=None, metavar="N")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.data)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = str(make_irishman(a.make_irishman, Path(tmp) / "irishman")) if a.make_irishman else a.data
        r = subprocess.run([sys.executable, __file__, "--child", "--data", src], capture_output=True, text=True,
                           check=True)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    emit({"benchmark": "data_prep", "source": f"irishman-format x{a.make_irishman}" if a.make_irishman else a.data,
          **res, "target": {"wall_s": 30, "peak_rss_mb": 1536}, "machine": machine("cpu")})


if __name__ == "__main__":
    main()
