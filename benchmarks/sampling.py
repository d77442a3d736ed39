"""Figure 3: sampling speed, musicrnn's batched sampler against the seed's `generate_music` loop.

Tunes per second for n tunes of `--chars` characters each (n = 1, 16, 64 by default), same model, same
device. The seed's loop makes one tune after another, so it is timed on `--seed-tunes` tunes and n tunes
cost n times the mean. musicrnn samples with `stop_at_eos=False`, so both pipelines run exactly `--chars` steps per tune
(the seed has no end token and always generates the full length); stopping at `<eos>`, as the app does,
musicrnn would be faster still.

    python benchmarks/sampling.py --device cpu                  # the shipped model (checkpoints/default)
    python benchmarks/sampling.py --checkpoint runs/demo --sizes 1,16 --chars 100
"""
from __future__ import annotations

import argparse
import statistics
import time

from common import emit, machine

GOAL = 10.0


def _sync(dev) -> None:
    import torch

    if dev.type == "cuda":
        torch.cuda.synchronize()


def time_musicrnn(model, vocab, n: int, chars: int, repeats: int) -> float:
    """Median seconds for one batched `sample` call of n tunes."""
    from musicrnn.generation.sampler import sample

    dev = next(model.parameters()).device
    times = []
    for r in range(repeats):
        _sync(dev)
        t0 = time.perf_counter()
        sample(model, vocab, n, prime="X:1\n", seed=r, max_chars=chars, stop_at_eos=False)
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_seed(model, vocab, tunes: int, chars: int) -> list[float]:
    """Seconds per tune for the seed: `tunes` calls of generate_music, one after the other, each timed."""
    from seed_pipeline import generate_music

    dev = next(model.parameters()).device
    idx2char = dict(enumerate(vocab.tokens))
    times = []
    for _ in range(tunes):
        _sync(dev)
        t0 = time.perf_counter()
        generate_music(model, vocab.index, idx2char, "X:1\n", length=chars, device=str(dev))
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return times


def run(checkpoint=None, sizes=(1, 16, 64), chars=300, device="auto", repeats=3, seed_tunes=8) -> dict:
    import torch

    from musicrnn.generation.sampler import sample
    from musicrnn.model.checkpoint import load_model
    from musicrnn.model.device import pick_device

    dev = pick_device(device)
    model, vocab, ckpt = load_model(checkpoint, dev)
    sample(model, vocab, 2, max_chars=20)  # warm-up (allocations, kernels)
    # The seed makes one tune after the other, so n tunes take n times one tune: it is timed on `seed_tunes`
    # tunes (each ~1-10 ms per character on a CPU) and scaled, rather than on all 81.
    per_tune = time_seed(model, vocab, seed_tunes, chars)
    seed_one = statistics.mean(per_tune)
    rows = []
    for n in sizes:
        ours = time_musicrnn(model, vocab, n, chars, repeats)
        seed = n * seed_one
        rows.append({"n": n, "musicrnn_s": round(ours, 3), "musicrnn_tunes_per_s": round(n / ours, 2),
                     "seed_s": round(seed, 3), "seed_tunes_per_s": round(n / seed, 2),
                     "speedup": round(seed / ours, 1)})
    res = {"benchmark": "sampling", "checkpoint": ckpt["path"], "model": ckpt["model_config"], "chars": chars,
           "repeats": repeats, "seed_tunes_timed": seed_tunes,
           "seed_s_per_tune": [round(t, 3) for t in per_tune], "rows": rows, "goal_speedup_at_16": GOAL}
    at16 = next((r for r in rows if r["n"] == 16), None)
    res["goal_met"] = None if at16 is None else at16["speedup"] >= GOAL
    res["torch_threads"] = torch.get_num_threads()
    res["machine"] = machine(str(dev))
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=None, help="checkpoint or run folder (default: the shipped model)")
    p.add_argument("--sizes", default="1,16,64", help="comma-separated numbers of tunes")
    p.add_argument("--chars", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed-tunes", type=int, default=8, help="tunes the seed loop is timed on (scaled to n)")
    p.add_argument("--device", default="auto")
    a = p.parse_args()
    emit(run(a.checkpoint, [int(s) for s in a.sizes.split(",")], a.chars, a.device, a.repeats, a.seed_tunes))


if __name__ == "__main__":
    main()
