"""Where the model runs: CUDA, then Apple's MPS, then the CPU; bf16 autocast on CUDA."""
from __future__ import annotations

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
