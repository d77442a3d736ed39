"""The registry of training jobs for the app: background training threads, at most one per device.

The run folder is the source of truth (`run_folder.py`); the registry only owns what the folder cannot hold:
the thread and its stop event. No streamlit here. The app keeps one `TrainingJobs` per process
(`st.cache_resource`); even if a second one appears (Streamlit re-imports an edited module), the
one-run-per-device rule still holds, because it is checked against the run folders and the live training
threads of the process, not only this object.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from musicrnn.errors import MusicRNNError, TrainingError
from musicrnn.model.device import device_label, pick_device
from musicrnn.model.network import ModelConfig
from musicrnn.training.config import TrainConfig
from musicrnn.training.liveness import device_key, fitting_on, thread_name, training_threads
from musicrnn.training.loop import train
from musicrnn.training.run_folder import STATUS, RunInfo, list_runs, read_status, request_stop, run_info, runs_root


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
        key = device_key(device_label_)
        skip = exclude.resolve() if exclude is not None else None
        for k, folder in training_threads():
            if k == key and folder != skip:
                info = run_info(folder)
                return info if info is not None and info.active else RunInfo(folder, "running", device=device_label_)
        for r in list_runs(self._root()):
            if r.active and device_key(r.device) == key and r.folder.resolve() != skip:
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
            fitting = fitting_on(label)
            if fitting is not None:
                raise TrainingError(f"endings are being fitted to {fitting} on {label}; start the run when "
                                    "that has finished")
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

            job.thread = threading.Thread(target=run, name=thread_name(device_key(label), folder),
                                          daemon=True)
            self.jobs[str(folder.resolve())] = job
            job.thread.start()
        return job

    def resume(self, folder: str | os.PathLike, **overrides) -> Job:
        """Continue an interrupted or stopped run from its `last.pt`."""
        folder = Path(folder)
        st, problem = read_status(folder)
        if st is None:
            raise TrainingError(f"{folder}: cannot resume: {problem or 'no run here'}")
        try:
            cfg = TrainConfig.from_dict({**(st.get("config") or {}), "out": str(folder)})
            model_cfg = ModelConfig.from_dict(st.get("model") or {})
        except MusicRNNError as e:
            raise TrainingError(f"{folder}: cannot resume: {STATUS}: {e}") from None
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

