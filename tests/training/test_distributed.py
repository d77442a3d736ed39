"""DDP on 2 CPU processes with the gloo backend, under torchrun, as a multi-GPU run would go."""
import json
import os
import subprocess
import sys

import pytest
import torch


@pytest.mark.slow
def test_torchrun_two_processes(tmp_path, small_abc_corpus):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "musicrnn",
           "train", "--data", str(small_abc_corpus), "--preset", "tiny", "--max-steps", "20", "--eval-every", "10",
           "--out", str(out), "--device", "cpu", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    status = json.loads((out / "run.json").read_text())
    assert status["world_size"] == 2 and status["status"] == "finished" and status["step"] == 20
    # rank 0 alone logged: one event per log step, not two
    steps = [json.loads(l)["step"] for l in (out / "metrics.jsonl").read_text().splitlines()
             if json.loads(l)["kind"] == "train"]
    assert steps == [10, 20]
    ckpt = torch.load(out / "best.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in ckpt["state_dict"])  # saved unwrapped
