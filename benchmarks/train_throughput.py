"""Training throughput of musicrnn's own trainer: real (non-padding) target characters trained per second.

    python benchmarks/train_throughput.py --data music21 --hidden-size 512 --steps 60 --device cpu
"""
from __future__ import annotations

import argparse
import tempfile

from common import emit, machine


def measure(data="music21", cell="lstm", embedding_dim=64, hidden_size=512, layers=1, batch_size=64, seq_len=128,
            steps=60, device="auto", dropout=0.0) -> dict:
    from musicrnn.model.device import pick_device
    from musicrnn.model.network import ModelConfig
    from musicrnn.training.config import TrainConfig
    from musicrnn.training.loop import train

    events = []
    dev = str(pick_device(device))
    with tempfile.TemporaryDirectory() as out:
        # Two log windows: the first holds warm-up (allocations, autotuning), the second is measured.
        half = max(1, steps // 2)
        cfg = TrainConfig(data=data, out=out, batch_size=batch_size, seq_len=seq_len, max_steps=2 * half,
                          log_every=half, eval_every=10**9, warmup_steps=1, device=dev, eval_chars=2000,
                          sample_chars=10)
        mcfg = ModelConfig(cell=cell, embedding_dim=embedding_dim, hidden_size=hidden_size, layers=layers,
                           dropout=dropout)
        train(mcfg, cfg, callback=lambda e: events.append(e) if e.get("kind") == "train" else None)
    last = events[-1]
    return {"benchmark": "train_throughput", "useful_chars_per_s": round(last["chars_per_s"], 1),
            "padding_fraction": 0.0, "steps_measured": half, "cell": cell, "embedding_dim": embedding_dim,
            "hidden_size": hidden_size, "layers": layers, "batch_size": batch_size, "seq_len": seq_len,
            "data": str(data), "machine": machine(dev)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="music21")
    p.add_argument("--cell", default="lstm")
    p.add_argument("--embedding-dim", type=int, default=64)
    p.add_argument("--hidden-size", type=int, default=512)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--device", default="auto")
    a = p.parse_args()
    emit(measure(a.data, a.cell, a.embedding_dim, a.hidden_size, a.layers, a.batch_size, a.seq_len, a.steps, a.device))


if __name__ == "__main__":
    main()
