"""How much a busy second CPU slows a one-thread training run on the first, with no server in between.

`viewers.py` has to run its 20 browsers on the same machine as the server; on a 2-vCPU VM the browsers' CPU
then slows the training thread through the hardware it shares (caches, memory bandwidth, sibling hyper-
threads), which is not a cost of the viewers to the server. This measures that effect alone: training steps
per second (the model and batch of `viewers.py`) pinned to CPU 0, alone, then beside a memory-bound loop and a
compute-bound loop pinned to CPU 1.

    python benchmarks/sibling_interference.py --seconds 20

Prints one JSON line.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from common import emit, machine

BURNERS = {
    "memory": "import numpy as np\na = np.ones(16_000_000); b = np.empty_like(a)\n"
              "while True:\n np.copyto(b, a); a += 1.0",
    "compute": "while True: pass",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=20.0)
    a = ap.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("needs two CPUs")
    import torch
    import torch.nn.functional as F

    from musicrnn.model.network import CharRNN, ModelConfig

    os.sched_setaffinity(0, {0})
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=60, embedding_dim=32, hidden_size=256, layers=1, dropout=0.0))
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x = torch.randint(0, 60, (32, 129))

    def steps_per_s() -> float:
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < a.seconds:
            logits, _ = model(x[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, 60), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            n += 1
        return n / (time.perf_counter() - t0)

    rates = {"alone": steps_per_s()}
    for name, code in BURNERS.items():
        burner = subprocess.Popen(["taskset", "-c", "1", sys.executable, "-c", code])
        try:
            time.sleep(2)
            rates[name] = steps_per_s()
        finally:
            burner.kill()
            burner.wait()
    rates["alone_again"] = steps_per_s()
    base = (rates["alone"] + rates["alone_again"]) / 2
    emit({"benchmark": "sibling_interference", "steps_per_s": {k: round(v, 3) for k, v in rates.items()},
          "slowdown": {k: round(1 - rates[k] / base, 4) for k in BURNERS}, "seconds": a.seconds,
          "machine": machine("cpu")})


if __name__ == "__main__":
    main()
