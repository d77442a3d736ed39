"""Figure 2: data preparation of an IrishMAN-format corpus, musicrnn's `prepare` against the seed's padding.

Builds N distinct tunes in IrishMAN's format from the embedded ones (data_prep.make_irishman), then times,
each in a fresh process (so peak RSS is the preparation's own): musicrnn load + clean + split + encode (no
cache), and the seed's read + pad to 600 + list of lists + LongTensor on the same files. `--seed-fraction`
runs the seed on the first part of each file only, for machines without the memory for the whole of it;
the report then says so and extrapolates the time linearly.

    python benchmarks/prep_compare.py --tunes 214122
    python benchmarks/prep_compare.py --tunes 214122 --seed-fraction 0.25
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, machine

HERE = Path(__file__).resolve().parent
TARGET = {"wall_s": 30, "peak_rss_mb": 1536}


def _child(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(tunes: int = 214_122, max_length: int = 600, seed_fraction: float = 1.0) -> dict:
    from data_prep import make_irishman

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = make_irishman(tunes, Path(tmp) / "irishman")
        make_s = time.perf_counter() - t0
        ours = _child([str(HERE / "data_prep.py"), "--child", "--data", str(folder)])
        seed = _child([str(HERE / "seed_pipeline.py"), "--prep-child", str(folder), "--max-length", str(max_length),
                       "--fraction", str(seed_fraction)])
        size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    res = {"benchmark": "prep_compare", "tunes": tunes, "json_mb": round(size_mb, 1),
           "corpus_build_s": round(make_s, 1),
           "musicrnn_wall_s": ours["wall_s"], "musicrnn_peak_rss_mb": ours["peak_rss_mb"],
           "musicrnn_chars": ours["chars"], "musicrnn_stream_mb": ours["stream_mb"],
           "seed_max_length": max_length, "seed_fraction": seed_fraction, "seed_tunes_measured": seed["tunes"],
           "seed_wall_s": seed["wall_s"], "seed_peak_rss_mb": seed["peak_rss_mb"],
           "seed_import_rss_mb": seed["baseline_rss_mb"],
           "seed_tensor_mb": seed["tensor_mb"],
           "target": TARGET}
    # Time and the tensor grow linearly with the tunes; RSS is reported as measured (a lower bound when partial).
    scale = tunes / max(1, seed["tunes"])
    res["seed_wall_s_full"] = round(seed["wall_s"] * scale, 1)
    res["seed_tensor_mb_full"] = round(seed["tensor_mb"] * scale, 1)
    res["speedup"] = round(res["seed_wall_s_full"] / ours["wall_s"], 2)
    res["target_met"] = ours["wall_s"] < TARGET["wall_s"] and ours["peak_rss_mb"] < TARGET["peak_rss_mb"]
    res["machine"] = machine("cpu")
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tunes", type=int, default=214_122)
    p.add_argument("--max-length", type=int, default=600)
    p.add_argument("--seed-fraction", type=float, default=1.0)
    p.add_argument("--device", default="cpu", help="preparation runs on the CPU whatever the device")
    a = p.parse_args()
    emit(run(a.tunes, a.max_length, a.seed_fraction))


if __name__ == "__main__":
    main()
