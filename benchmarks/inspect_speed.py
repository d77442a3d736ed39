"""Inspection speed: what the Inside page and `inspect` cost on this machine.

1. One tune of about `--chars` characters (the validation tune nearest that length): its surprisal and, at
   every position, the model's distribution, its 15 most likely characters and the distribution sampling
   would draw from (temperature 0.8, top-k 20, top-p 0.95). Median and range of `--repeats` runs; goal 0.3 s.
2. Cell statistics over the first `--tunes` validation tunes (every unit against every feature), computed
   (goal 15 s for 200 tunes) and then read back from the cache.

    python benchmarks/inspect_speed.py                       # the shipped model, on the CPU
    python benchmarks/inspect_speed.py --checkpoint runs/demo --tunes 20 --repeats 3
"""
from __future__ import annotations

import argparse
import statistics
import time

from common import emit, machine

GOAL_TUNE_S = 0.3
GOAL_CELLS_S = 15.0
OPTIONS = {"temperature": 0.8, "top_k": 20, "top_p": 0.95}


def time_one_tune(model, vocab, tune: str, repeats: int) -> list[float]:
    """Seconds for the page's whole view of one tune: the reading and every position's two distributions."""
    import torch

    from musicrnn.inspection import TOP, distributions, read_tune

    times = []
    for _ in range(repeats + 1):  # the first run warms up allocations
        t0 = time.perf_counter()
        r = read_tune(model, vocab, tune, distributions=True)
        probs, sampling = distributions(r, **OPTIONS)
        torch.topk(torch.from_numpy(probs), TOP, dim=-1)
        times.append(time.perf_counter() - t0)
    return times[1:]


def run(checkpoint=None, device="cpu", chars=600, tunes=200, repeats=7) -> dict:
    import torch

    from musicrnn.inspection import cell_statistics, validation_tunes
    from musicrnn.inspection.cell_cache import cache_path
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    dev = pick_device(device)
    model, vocab, ckpt = load_model(checkpoint, dev)
    val = validation_tunes(ckpt)
    tune = min(val, key=lambda t: abs(len(t) - chars))
    one = time_one_tune(model, vocab, tune, repeats)

    chosen = val[:tunes]
    cache_path(model, vocab, chosen).unlink(missing_ok=True)  # measure the computation, then the cache
    t0 = time.perf_counter()
    stats = cell_statistics(model, vocab, chosen)
    cells_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = cell_statistics(model, vocab, chosen)
    cached_s = time.perf_counter() - t0
    best = stats.strongest("bar_position", 1)
    res = {"benchmark": "inspect_speed", "checkpoint": ckpt["path"], "model": ckpt["model_config"],
           "tune_chars": len(tune), "repeats": repeats, "options": OPTIONS,
           "tune_s": round(statistics.median(one), 4), "tune_range_s": [round(min(one), 4), round(max(one), 4)],
           "goal_tune_s": GOAL_TUNE_S,
           "cells_tunes": stats.tunes, "cells_chars": stats.chars, "cells_s": round(cells_s, 3),
           "cells_cached_s": round(cached_s, 4), "cells_cache_hit": again.cached, "goal_cells_s": GOAL_CELLS_S,
           "bar_position_best": best[0].to_dict() if best else None}
    res["goal_met"] = res["tune_s"] <= GOAL_TUNE_S and (tunes < 200 or cells_s <= GOAL_CELLS_S)
    res["torch_threads"] = torch.get_num_threads()
    res["machine"] = machine(str(dev))
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=None, help="checkpoint or run folder (default: the shipped model)")
    p.add_argument("--chars", type=int, default=600, help="length of the one tune (the nearest validation tune)")
    p.add_argument("--tunes", type=int, default=200, help="validation tunes for the cell statistics")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    emit(run(a.checkpoint, a.device, a.chars, a.tunes, a.repeats))


if __name__ == "__main__":
    main()
