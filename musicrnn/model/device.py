"""Where the model runs: CUDA, then Apple's MPS, then the CPU; bf16 autocast on CUDA; one CPU thread for small steps."""
from __future__ import annotations

from contextlib import contextmanager

import torch


def pick_device(name: str | None = "auto") -> torch.device:
    """`auto` takes CUDA, then Apple's MPS, then the CPU."""
    if name in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but no CUDA GPU is available")
    return dev


def device_label(dev: torch.device) -> str:
    """Human-readable device name for the UI and logs ("NVIDIA H100 80GB HBM3", "CPU (2 threads)")."""
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    if dev.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


def autocast(dev: torch.device):
    """bf16 autocast on CUDA; a no-op elsewhere (CPU bf16 LSTMs are slower, and MPS support varies)."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)


@contextmanager
def single_thread_on_cpu(device: torch.device):
    """Per-character steps are tiny matrix products: on the CPU, splitting each across threads costs more in
    synchronisation than it saves (16 tunes: 1.2 s on one thread against 10+ s on two when the cores are busy;
    one 600-character tune read whole: 0.08 s against 0.5 s). The sampler and the inspection run under it."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
