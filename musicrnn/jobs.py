"""Training jobs for the app: a process-wide registry of background training threads, and run-folder helpers.

The run folder is the source of truth (`run.json`, `metrics.jsonl`, `samples.jsonl`, checkpoints), so the
helpers here read any run: one started by this registry, by the CLI, under torchrun, or by a server that has
since stopped. The registry only owns what the folder cannot hold: the thread and its stop event.

No streamlit here. The app keeps one `TrainingJobs` per process (`st.cache_resource`); even if a second one
appears (Streamlit re-imports an edited module), the one-run-per-device rule still holds, because it is
checked against the run folders and the live training threads of the process, not only this object.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from musicrnn.errors import TrainingError
from musicrnn.model import ModelConfig, device_label, pick_device
from musicrnn.train import TrainConfig, read_json, train

THREAD_PREFIX = "musicrnn-train:"
# A run on another host whose heartbeat is older than this is taken as interrupted (its pid cannot be checked).
REMOTE_STALE_S = 600.0
FINISHED = ("finished", "stopped", "early_stopped")


def runs_root() -> Path:
    """Where the app lists and starts runs: `$MUSICRNN_RUNS`, else `runs/` in the working folder."""
    return Path(os.environ.get("MUSICRNN_RUNS") or "runs").expanduser()


def _thread_name(device_key: str, folder: Path) -> str:
    return f"{THREAD_PREFIX}[{device_key}]{Path(folder).resolve()}"


def _training_threads() -> list[tuple[str, Path]]:
    """(device key, folder) of every live training thread of this process, whichever registry started it."""
    out = []
    for t in threading.enumerate():
        if t.name.startswith(THREAD_PREFIX) and t.is_alive():
            key, _, folder = t.name[len(THREAD_PREFIX) + 1:].partition("]")
            out.append((key, Path(folder)))
    return out


def _thread_alive(folder: Path) -> bool:
    folder = Path(folder).resolve()
    return any(f == folder for _, f in _training_threads())


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def effective_status(status: dict, folder: Path) -> str:
    """run.json's status, with `interrupted` for a run that says running but whose trainer is gone."""
    s = status.get("status") or "unknown"
    if s != "running":
        return s
    pid, host = status.get("pid"), status.get("host")
    if host == socket.gethostname():
        if pid == os.getpid():  # started by this server: its thread must still be alive
            return "running" if _thread_alive(folder) else "interrupted"
        return "running" if _pid_alive(pid) else "interrupted"
    age = time.time() - float(status.get("updated") or 0)
    return "interrupted" if age > REMOTE_STALE_S else "running"


@dataclass
class RunInfo:
    """One run folder as the app lists it."""

    folder: Path
    status: str  # running, finished, stopped, early_stopped, failed, interrupted
    step: int = 0
    total_steps: int | None = None
    device: str | None = None
    started: float | None = None
    updated: float | None = None
    best_val_loss: float | None = None
    parameters: int | None = None
    data: str | None = None
    error: str | None = None
    config: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    has_best: bool = False
    has_last: bool = False

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def active(self) -> bool:
        return self.status == "running"

    @property
    def best_val_bpc(self) -> float | None:
        return None if self.best_val_loss is None else self.best_val_loss / 0.6931471805599453


def run_info(folder: str | os.PathLike) -> RunInfo | None:
    """Read a run folder; None when it holds no run.json."""
    folder = Path(folder)
    st = read_json(folder / "run.json", None)
    if not isinstance(st, dict):
        return None
    data = st.get("data") or {}
    return RunInfo(
        folder=folder, status=effective_status(st, folder), step=int(st.get("step") or 0),
        total_steps=st.get("total_steps"), device=st.get("device"), started=st.get("started"),
        updated=st.get("updated"), best_val_loss=st.get("best_val_loss"), parameters=st.get("parameters"),
        data=data.get("source") if isinstance(data, dict) else None, error=st.get("error"),
        config=st.get("config") or {}, model=st.get("model") or {},
        has_best=(folder / "best.pt").is_file(), has_last=(folder / "last.pt").is_file(),
    )


def list_runs(root: str | os.PathLike | None = None) -> list[RunInfo]:
    """Run folders directly under `root` (default `runs_root()`), newest first."""
    root = Path(root) if root is not None else runs_root()
    if not root.is_dir():
        return []
    runs = [r for r in (run_info(p) for p in root.iterdir() if p.is_dir()) if r is not None]
    return sorted(runs, key=lambda r: r.started or 0.0, reverse=True)


# ------------------------------------------------------------------------------------ jsonl, read cheaply


class _Tail:
    """Events of one JSON-lines file, read incrementally (many viewers poll the same file every second)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ino = None
        self.offset = 0
        self.events: list[dict] = []

    def read(self, path: Path) -> list[dict]:
        with self.lock:
            try:
                stat = path.stat()
            except OSError:
                self.ino, self.offset, self.events = None, 0, []
                return []
            if stat.st_ino != self.ino or stat.st_size < self.offset:  # replaced or truncated (resume)
                self.ino, self.offset, self.events = stat.st_ino, 0, []
            if stat.st_size > self.offset:
                with open(path, "rb") as f:
                    f.seek(self.offset)
                    chunk = f.read(stat.st_size - self.offset)
                end = chunk.rfind(b"\n") + 1  # leave a line still being written for the next read
                for line in chunk[:end].splitlines():
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(ev, dict):
                        self.events.append(ev)
                self.offset += end
            return list(self.events)


_tails: dict[str, _Tail] = {}
_tails_lock = threading.Lock()


def _read_jsonl(path: Path) -> list[dict]:
    key = str(Path(path).resolve())
    with _tails_lock:
        tail = _tails.setdefault(key, _Tail())
    return tail.read(Path(path))


def read_metrics(folder: str | os.PathLike) -> list[dict]:
    """All metric events of a run (`kind` "train" or "val"), oldest first."""
    return _read_jsonl(Path(folder) / "metrics.jsonl")


def read_samples(folder: str | os.PathLike) -> list[dict]:
    """The tunes sampled at each validation (`step`, `abc`, `ended`, ...), oldest first."""
    return _read_jsonl(Path(folder) / "samples.jsonl")


def request_stop(folder: str | os.PathLike) -> None:
    """Ask any trainer of this folder (this process, the CLI, torchrun) to stop after its current step."""
    (Path(folder) / "STOP").touch()


# ------------------------------------------------------------------------------------------ registry


def _device_key(label: str | None) -> str:
    """Runs compete for a device: all CPU runs share the CPU; a GPU is known by its name."""
    label = label or ""
    return "cpu" if label.startswith("CPU") else label


@dataclass
class Job:
    folder: Path
    device: str
    thread: threading.Thread
    stop_event: threading.Event
    started: float
    resume: bool = False
    summary: dict | None = None
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


def default_threads() -> int:
    """CPU threads for a training thread: `$MUSICRNN_TRAIN_THREADS`, else one per available core."""
    env = os.environ.get("MUSICRNN_TRAIN_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class TrainingJobs:
    """Starts training runs in background threads, at most one per device, and stops them.

    `threads` sets the training thread's CPU threads (PyTorch's setting is per thread: the app's sampling
    threads use one, so they do not fight the trainer for cores).
    """

    def __init__(self, root: str | os.PathLike | None = None, threads: int | None = None):
        self.root = Path(root) if root is not None else None
        self.threads = threads
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}

    def _root(self) -> Path:
        return self.root if self.root is not None else runs_root()

    def active(self) -> list[Job]:
        with self.lock:
            return [j for j in self.jobs.values() if j.alive]

    def job(self, folder: str | os.PathLike) -> Job | None:
        with self.lock:
            return self.jobs.get(str(Path(folder).resolve()))

    def busy(self, device_label_: str, exclude: Path | None = None) -> RunInfo | None:
        """A live run on this device (started here, from the CLI or by another server process), or None."""
        key = _device_key(device_label_)
        skip = exclude.resolve() if exclude is not None else None
        for k, folder in _training_threads():
            if k == key and folder != skip:
                info = run_info(folder)
                return info if info is not None and info.active else RunInfo(folder, "running", device=device_label_)
        for r in list_runs(self._root()):
            if r.active and _device_key(r.device) == key and r.folder.resolve() != skip:
                return r
        return None

    def start(self, model_cfg: ModelConfig, cfg: TrainConfig, *, resume: bool = False,
              resume_overrides: dict | None = None) -> Job:
        """Start `train(model_cfg, cfg)` in a thread. Refuses a second live run on the same device, and a
        folder that another trainer is writing to."""
        try:
            label = device_label(pick_device(cfg.device))
        except (ValueError, RuntimeError) as e:
            raise TrainingError(str(e)) from None
        folder = Path(cfg.out)
        with self.lock:
            other = self.busy(label)
            if other is not None:
                raise TrainingError(
                    f"a training run is already active on {other.device or label}: {other.folder} "
                    f"(step {other.step}{'/' + str(other.total_steps) if other.total_steps else ''}); "
                    "stop it first, or wait for it to finish")
            existing = run_info(folder)
            if existing is not None and existing.active:
                raise TrainingError(f"{folder} is being written by another trainer")
            if resume and (existing is None or not existing.has_last):
                raise TrainingError(f"{folder}: nothing to resume (no last.pt)")
            stop_event = threading.Event()
            job = Job(folder.resolve(), label, None, stop_event, time.time(), resume)  # type: ignore[arg-type]

            threads = self.threads or default_threads()

            def run():
                try:
                    import torch

                    torch.set_num_threads(threads)
                    job.summary = train(model_cfg, cfg, stop_event=stop_event, resume=resume,
                                        resume_overrides=resume_overrides)
                except BaseException as e:  # noqa: BLE001 - the thread must not die silently
                    job.error = str(e) or type(e).__name__
                    if not isinstance(e, Exception):
                        raise

            job.thread = threading.Thread(target=run, name=_thread_name(_device_key(label), folder),
                                          daemon=True)
            self.jobs[str(folder.resolve())] = job
            job.thread.start()
        return job

    def resume(self, folder: str | os.PathLike, **overrides) -> Job:
        """Continue an interrupted or stopped run from its `last.pt`."""
        folder = Path(folder)
        st = read_json(folder / "run.json", {}) or {}
        cfg = TrainConfig.from_dict({**(st.get("config") or {}), "out": str(folder)})
        model_cfg = ModelConfig.from_dict(st.get("model") or {})
        return self.start(model_cfg, cfg, resume=True, resume_overrides=overrides or None)

    def stop(self, folder: str | os.PathLike | None = None) -> int:
        """Stop the run in `folder` (or every run this registry started); returns how many were asked."""
        n = 0
        for j in self.active():
            if folder is None or j.folder == Path(folder).resolve():
                j.stop_event.set()
                n += 1
        if folder is not None and n == 0:
            info = run_info(folder)
            if info is not None and info.active:  # a CLI or other-process run: the STOP file reaches it
                request_stop(folder)
                n = 1
        return n

    def wait(self, folder: str | os.PathLike, timeout: float | None = None) -> bool:
        """Join the thread of a run started here; True when it has ended."""
        j = self.job(folder)
        if j is None:
            return True
        j.thread.join(timeout)
        return not j.thread.is_alive()


def new_run_name(root: str | os.PathLike | None = None, prefix: str = "run") -> str:
    """A fresh folder name under the runs root: run-YYYYmmdd-HHMMSS (with a suffix if taken)."""
    root = Path(root) if root is not None else runs_root()
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    name, i = base, 2
    while (root / name).exists():
        name, i = f"{base}-{i}", i + 1
    return name
