"""Is a run's trainer still there? `run.json` says "running" until the trainer ends it; a trainer killed on the
way leaves it so. This tells such a run from a live one, whichever process or thread trains it."""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

THREAD_PREFIX = "musicrnn-train:"
FIT_PREFIX = "musicrnn-fit:"  # a thread fitting a model's endings (`endings_fit.py`): it holds its device too
# A run on another host whose heartbeat is older than this is taken as interrupted (its pid cannot be checked).
REMOTE_STALE_S = 600.0


def thread_name(device_key: str, folder: Path, prefix: str = THREAD_PREFIX) -> str:
    """The name of a training thread (or, with FIT_PREFIX, an endings fit): what `device_threads` reads back."""
    return f"{prefix}[{device_key}]{Path(folder).resolve()}"


def device_key(label: str | None) -> str:
    """What runs compete for, from a device label: all CPU runs share the CPU; a GPU is known by its name."""
    label = label or ""
    return "cpu" if label.startswith("CPU") else label


def device_threads(prefix: str) -> list[tuple[str, Path]]:
    """(device key, folder) of every live thread of this process named `prefix[key]folder`."""
    out = []
    for t in threading.enumerate():
        if t.name.startswith(prefix) and t.is_alive():
            key, _, folder = t.name[len(prefix) + 1:].partition("]")
            out.append((key, Path(folder)))
    return out


def fitting_on(label: str | None) -> Path | None:
    """The run folder whose endings a live thread of this process is fitting on the device of `label`, if any."""
    key = device_key(label)
    return next((folder for k, folder in device_threads(FIT_PREFIX) if k == key), None)


def training_threads() -> list[tuple[str, Path]]:
    """(device key, folder) of every live training thread of this process, whichever registry started it."""
    return device_threads(THREAD_PREFIX)


def thread_alive(folder: Path) -> bool:
    folder = Path(folder).resolve()
    return any(f == folder for _, f in training_threads())


def pid_alive(pid) -> bool:
    """Whether a process of this id runs on this machine (an id that cannot be one is not)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (ProcessLookupError, OverflowError, OSError, ValueError):
        return False
    return True


def effective_status(status: dict, folder: Path) -> str:
    """run.json's status, with `interrupted` for a run that says running but whose trainer is gone."""
    s = status.get("status") or "unknown"
    if s != "running":
        return s
    pid, host = status.get("pid"), status.get("host")
    if host == socket.gethostname():
        if pid == os.getpid():  # started by this server: its thread must still be alive
            return "running" if thread_alive(folder) else "interrupted"
        return "running" if pid_alive(pid) else "interrupted"
    age = time.time() - float(status.get("updated") or 0)
    return "interrupted" if age > REMOTE_STALE_S else "running"

