"""The run folder, the source of truth of a training run, and the one owner of its files.

The trainer writes `run.json` (status, config, heartbeat), `metrics.jsonl` (one event a line) and
`samples.jsonl` (a tune sampled at each validation) and `surprise.jsonl` (the bits of every character of one fixed
validation tune at each validation) next to its checkpoints, so any viewer (the app, a second
browser, a later server) can follow or resume a run, whoever started it: the app, the CLI or torchrun.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from musicrnn.errors import TrainingError
from musicrnn.files import atomic_write_bytes, remove_partial_writes
from musicrnn.generation.scoring import LN2
from musicrnn.model.checkpoint import BEST as BEST_FILE
from musicrnn.model.checkpoint import LAST as LAST_FILE
from musicrnn.records import COUNT, FLAG, NUMBER, NUMBERS, OBJECT, TEXT, WHOLE, Kind, problems, shown
from musicrnn.training.liveness import effective_status

#: The files of a run folder (beside `BEST_FILE` and `LAST_FILE`, the checkpoints).
STATUS, METRICS, SAMPLES, SURPRISE = "run.json", "metrics.jsonl", "samples.jsonl", "surprise.jsonl"
#: Every file of a run folder the trainer writes (what a killed atomic write may leave a partial copy of).
RUN_FILES = (STATUS, METRICS, SAMPLES, SURPRISE, BEST_FILE, LAST_FILE)
#: A file of this name asks any trainer of the folder to stop after its current step.
STOP_FILE = "STOP"
#: A run name is any folder name the file system takes: no path separator or NUL, not `.` or `..`, at most
#: 255 bytes; the app finds a run by resolving its name inside the runs root (`run_folder_named`).
RUN_NAME_RULE = "a run name is a folder name: no '/', '\\' or NUL, not '.' or '..', at most 255 bytes"
#: What a trainer writes in run.json's `status`; a viewer may also see "interrupted" (liveness) or "damaged".
STATUSES = ("running", "finished", "stopped", "early_stopped", "failed")

# The schema of each file: a field that does not fit makes run.json "damaged", or a metrics or samples line
# skipped, with the reason; fields not listed are not read by anyone.
STATUS_SCHEMA = {
    "status": TEXT.required(), "pid": WHOLE, "host": TEXT, "started": NUMBER, "updated": NUMBER,
    "finished": NUMBER, "step": COUNT, "total_steps": COUNT, "steps_per_epoch": COUNT, "device": TEXT,
    "world_size": COUNT, "config": OBJECT, "model": OBJECT, "parameters": COUNT, "data": OBJECT, "error": TEXT,
    "best_val_loss": NUMBER, "best_step": COUNT,
}
EVENT_SCHEMA = {
    "kind": TEXT.required(), "step": COUNT.required(), "time": NUMBER, "epoch": NUMBER, "total_steps": COUNT,
    **{k: NUMBER for k in ("train_loss", "bpc", "accuracy", "lr", "chars_per_s", "eta_s", "val_loss", "val_bpc",
                           "val_accuracy", "best_val_loss")},
}
SAMPLE_SCHEMA = {"step": COUNT.required(), "abc": TEXT.required(), "ended": FLAG, "seed": WHOLE,
                 "temperature": NUMBER, "time": NUMBER}
#: The surprise strip: one validation tune's `text` as the model read it and the `bits` of each of its
#: characters, then of the end token (so one more than the characters), at a validation `step`.
SURPRISE_SCHEMA = {"step": COUNT.required(), "text": TEXT.required(), "bits": NUMBERS.required(), "time": NUMBER}


def strip_problem(record: dict) -> str | None:
    """What a surprise record that fits SURPRISE_SCHEMA still gets wrong: one bit count per character and one
    for the end token."""
    if len(record["bits"]) != len(record["text"]) + 1:
        return f"{len(record['bits'])} bits for {len(record['text'])} characters and the end"
    return None


def runs_root() -> Path:
    """Where the app lists and starts runs: `$MUSICRNN_RUNS`, else `runs/` in the working folder."""
    return Path(os.environ.get("MUSICRNN_RUNS") or "runs").expanduser()



def is_run_name(name: str) -> bool:
    return (bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")
            and len(name.encode("utf-8", "surrogateescape")) <= 255)


def run_folder_named(name: str, root: str | os.PathLike | None = None) -> Path | None:
    """The folder of the run called `name` directly under the runs root, or None when the name is not a run
    name or resolves anywhere else (`..`, a link out of the root)."""
    if not isinstance(name, str) or not is_run_name(name):
        return None
    base = (Path(root) if root is not None else runs_root()).resolve()
    try:
        folder = (base / name).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return folder if folder.parent == base else None


def new_run_name(root: str | os.PathLike | None = None, prefix: str = "run") -> str:
    """A fresh folder name under the runs root: run-YYYYmmdd-HHMMSS (with a suffix if taken)."""
    root = Path(root) if root is not None else runs_root()
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    name, i = base, 2
    while (root / name).exists():
        name, i = f"{base}-{i}", i + 1
    return name


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(Path(path), json.dumps(obj, indent=1).encode())


def truncate_jsonl(path: Path, max_step: int) -> None:
    """On resume, drop events logged after the checkpoint we resume from, so curves stay consistent."""
    if not path.exists():
        return
    keep = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash
        step = ev.get("step") if isinstance(ev, dict) else None
        if isinstance(step, int) and not isinstance(step, bool) and step <= max_step:
            keep.append(line)
    atomic_write_bytes(path, ("\n".join(keep) + "\n" if keep else "").encode())


class RunLog:
    """Appends events to the run folder and hands them to the callback; rank 0 only."""

    def __init__(self, folder: Path, callback: Callable[[dict], None] | None, tensorboard: bool):
        self.folder = folder
        self.callback = callback
        status, _ = read_status(folder)
        self.status: dict = status or {}
        self._last_beat = 0.0
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise TrainingError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
            self.tb = SummaryWriter(str(folder / "tensorboard"))

    def event(self, ev: dict, file: str = METRICS) -> None:
        ev = {"time": time.time(), **ev}
        with open(self.folder / file, "a") as f:
            f.write(json.dumps(ev) + "\n")
        if self.tb is not None:
            for k, v in ev.items():
                if isinstance(v, (int, float)) and k not in ("step", "time", "kind"):
                    self.tb.add_scalar(f"{ev.get('kind', 'x')}/{k}", v, ev.get("step", 0))
        if self.callback is not None:
            self.callback(ev)

    def update(self, force: bool = True, **fields_) -> None:
        self.status.update(fields_, updated=time.time())
        now = time.monotonic()
        if force or now - self._last_beat > 2.0:
            write_json(self.folder / STATUS, self.status)
            self._last_beat = now
        if "status" in fields_ and self.callback is not None:
            self.callback({"kind": "status", **{k: v for k, v in self.status.items() if k != "config"}})

    def close(self):
        if self.tb is not None:
            self.tb.close()




@dataclass
class RunInfo:
    """One run folder as the app lists it."""

    folder: Path
    status: str  # running, finished, stopped, early_stopped, failed, interrupted, damaged
    step: int = 0
    total_steps: int | None = None
    device: str | None = None
    started: float | None = None
    updated: float | None = None
    best_val_loss: float | None = None
    best_step: int | None = None
    parameters: int | None = None
    data: str | None = None
    error: str | None = None
    config: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    has_best: bool = False
    has_last: bool = False
    problem: str | None = None  # why run.json is "damaged"

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def active(self) -> bool:
        return self.status == "running"

    @property
    def best_val_bpc(self) -> float | None:
        return None if self.best_val_loss is None else self.best_val_loss / LN2


def read_status(folder: str | os.PathLike) -> tuple[dict | None, str | None]:
    """run.json of a run folder, checked against STATUS_SCHEMA: (status, None), (None, what is wrong with it),
    or (None, None) when the folder holds no run.json."""
    path = Path(folder) / STATUS
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"{STATUS}: cannot read ({e.strerror or e})"
    except UnicodeDecodeError:
        return None, f"{STATUS}: not UTF-8 text"
    try:
        st = json.loads(text)
    except ValueError as e:
        where = f" (line {e.lineno}, column {e.colno})" if hasattr(e, "lineno") else ""
        return None, f"{STATUS}: not JSON{where}"
    bad = problems(st, STATUS_SCHEMA)
    if not bad and st["status"] not in STATUSES:
        bad = [f"field 'status' is {shown(st['status'])}, expected one of {', '.join(STATUSES)}"]
    if bad:
        return None, f"{STATUS}: " + "; ".join(bad[:3])
    return st, None


def run_info(folder: str | os.PathLike) -> RunInfo | None:
    """Read a run folder; None when it holds no run.json, status "damaged" (with the reason) when its run.json
    does not fit STATUS_SCHEMA."""
    folder = Path(folder)
    st, problem = read_status(folder)
    if st is None and problem is None:
        return None
    has = {"has_best": (folder / BEST_FILE).is_file(), "has_last": (folder / LAST_FILE).is_file()}
    if st is None:
        return RunInfo(folder=folder, status="damaged", problem=problem, **has)
    source = (st.get("data") or {}).get("source")
    return RunInfo(
        folder=folder, status=effective_status(st, folder), step=st.get("step") or 0,
        total_steps=st.get("total_steps"), device=st.get("device"), started=st.get("started"),
        updated=st.get("updated"), best_val_loss=st.get("best_val_loss"), best_step=st.get("best_step"),
        parameters=st.get("parameters"),
        data=source if isinstance(source, str) else None, error=st.get("error"), config=st.get("config") or {},
        model=st.get("model") or {}, **has)


def list_runs(root: str | os.PathLike | None = None) -> list[RunInfo]:
    """Run folders directly under `root` (default `runs_root()`), newest first."""
    root = Path(root) if root is not None else runs_root()
    if not root.is_dir():
        return []
    runs = [r for r in (run_info(p) for p in root.iterdir() if p.is_dir()) if r is not None]
    for r in runs:
        if not r.active:  # nobody writes there: what a killed atomic write left behind can go
            remove_partial_writes(r.folder, RUN_FILES)
    return sorted(runs, key=lambda r: r.started or 0.0, reverse=True)


# ------------------------------------------------------------------------------------ jsonl, read cheaply


class _Tail:
    """Events of one JSON-lines file, read incrementally (many viewers poll the same file every second)."""

    def __init__(self, schema: dict[str, Kind], check: Callable[[dict], str | None] | None = None):
        self.schema = schema
        self.check = check  # a further test of a line that fits the schema
        self.lock = threading.Lock()
        self.ino = None
        self.offset = 0
        self.events: list[dict] = []
        self.skipped = 0  # complete lines that are not JSON objects fitting the schema

    def read(self, path: Path) -> list[dict]:
        with self.lock:
            try:
                stat = path.stat()
            except OSError:
                self.ino, self.offset, self.events = None, 0, []
                return []
            if stat.st_ino != self.ino or stat.st_size < self.offset:  # replaced or truncated (resume)
                self.ino, self.offset, self.events, self.skipped = stat.st_ino, 0, [], 0
            if stat.st_size > self.offset:
                with open(path, "rb") as f:
                    f.seek(self.offset)
                    chunk = f.read(stat.st_size - self.offset)
                end = chunk.rfind(b"\n") + 1  # leave a line still being written for the next read
                for line in chunk[:end].splitlines():
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        ev = None
                    if problems(ev, self.schema) or (self.check is not None and self.check(ev)):
                        self.skipped += 1
                    else:
                        self.events.append(ev)
                self.offset += end
            return list(self.events)


_tails: dict[str, _Tail] = {}
_tails_lock = threading.Lock()


def _tail(path: Path, schema: dict[str, Kind], check: Callable[[dict], str | None] | None = None) -> _Tail:
    key = str(Path(path).resolve())
    with _tails_lock:
        return _tails.setdefault(key, _Tail(schema, check))


def read_metrics(folder: str | os.PathLike) -> list[dict]:
    """The metric events of a run (`kind` "train" or "val") that fit EVENT_SCHEMA, oldest first."""
    return _tail(Path(folder) / METRICS, EVENT_SCHEMA).read(Path(folder) / METRICS)


def read_samples(folder: str | os.PathLike) -> list[dict]:
    """The tunes sampled at each validation (`step`, `abc`, `ended`, ...) that fit SAMPLE_SCHEMA, oldest first."""
    return _tail(Path(folder) / SAMPLES, SAMPLE_SCHEMA).read(Path(folder) / SAMPLES)


def read_surprise(folder: str | os.PathLike) -> list[dict]:
    """The surprise strips written at each validation (`step`, `text`, `bits`) that fit SURPRISE_SCHEMA, oldest
    first; none for a run written before the trainer kept them."""
    return _tail(Path(folder) / SURPRISE, SURPRISE_SCHEMA, strip_problem).read(Path(folder) / SURPRISE)


def skipped_lines(folder: str | os.PathLike) -> int:
    """Lines of the run's metrics, samples and surprise strips that the last reads left out as damaged."""
    return sum(_tail(Path(folder) / f, schema, check).skipped for f, schema, check in (
        (METRICS, EVENT_SCHEMA, None), (SAMPLES, SAMPLE_SCHEMA, None), (SURPRISE, SURPRISE_SCHEMA, strip_problem)))


def request_stop(folder: str | os.PathLike) -> None:
    """Ask any trainer of this folder (this process, the CLI, torchrun) to stop after its current step."""
    (Path(folder) / STOP_FILE).touch()

