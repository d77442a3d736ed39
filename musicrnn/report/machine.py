"""The machine a figure was measured on, as benchmark lines and the model card describe it."""
from __future__ import annotations

import os
import platform


def machine(device: str | None = None) -> dict:
    """Python, torch, CPU model, cores, torch threads, the GPU if any, and `device` when given."""
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__,
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "torch_threads": torch.get_num_threads()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    if device:
        info["device"] = device
    return info
