"""Run music21 and the native converters (verovio, midirenderer) out of process.

A small pool of warm worker processes, each used by one call at a time. Each call has a
time limit; inputs have a size limit. A worker that crashes (segfault, abort) or runs
past its time limit is killed and replaced, the call raises `RenderError` naming the
tune, and the next call works. Why our own pool rather than ProcessPoolExecutor: a dead
worker breaks a whole executor (every pending future fails), and a timed-out future
keeps its worker busy forever; here each worker is killed and replaced on its own.

Workers are forked from a 'forkserver' that has already imported music21 and parsed a
tune (`musicrnn._warm`), so a replacement starts in milliseconds instead of the ~2 s
music21 import; where forkserver is unavailable, 'spawn' is used. Worker stdout goes to
/dev/null (so `--json` output stays clean) and stderr to a log whose tail is quoted when
a worker crashes. As with any multiprocessing code, a script that starts the pool must
guard its entry point with `if __name__ == "__main__":`.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing as mp
import os
import queue
import signal
import tempfile
import threading
import time
import types
from typing import Any, Callable

from musicrnn import abc as abcmod
from musicrnn.errors import (ABCError, MusicRNNError, RenderError, WorkerCrashError,
                             WorkerTimeoutError)

#: Seconds one call may run in a worker (env MUSICRNN_RENDER_TIMEOUT overrides).
DEFAULT_TIMEOUT = float(os.environ.get("MUSICRNN_RENDER_TIMEOUT", "30"))
#: Seconds a new worker may take to start (first start imports music21).
STARTUP_TIMEOUT = 120.0
#: Address-space limit of a worker (MiB), so a runaway conversion fails alone.
MEMORY_LIMIT_MB = int(os.environ.get("MUSICRNN_WORKER_MEMORY_MB", "4096"))
#: Largest binary input (a MIDI file) sent to a worker.
MAX_INPUT_BYTES = 8 * 1024 * 1024

# '__main__' (multiprocessing's default) makes the forkserver import the main script once
# rather than in every worker; musicrnn._warm loads music21 there.
_PRELOAD = ["__main__", "musicrnn._warm"]
_ERRORS = {"ABCError": ABCError, "RenderError": RenderError}


def _default_size() -> int:
    env = os.environ.get("MUSICRNN_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))


# ----------------------------------------------------------------------------- worker side


def _resolve(target: str) -> Callable:
    module, _, name = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _worker_main(conn, memory_mb: int, log_path: str) -> None:
    """Loop of one worker: receive (target, args, kwargs), send results or events."""
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
        nul = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nul, 1)
        os.close(nul)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_mb:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard == resource.RLIM_INFINITY or hard > limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ImportError, ValueError, OSError):
            pass
    import musicrnn._warm as warm

    warm.warm_worker()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        target, args, kwargs = msg
        try:
            out = _resolve(target)(*args, **kwargs)
            if isinstance(out, types.GeneratorType):
                for event in out:
                    conn.send(("part", event))
                conn.send(("done", None))
            else:
                conn.send(("ok", out))
        except BaseException as e:  # report everything; the parent decides
            try:
                conn.send(("err", type(e).__name__, str(e)[:2000]))
            except Exception:
                return
            if isinstance(e, (MemoryError, SystemExit, KeyboardInterrupt)):
                return  # state may be damaged: exit, the parent starts a fresh worker


# ----------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, ctx, memory_mb: int):
        fd, self.log_path = tempfile.mkstemp(prefix="musicrnn-worker-", suffix=".log")
        os.close(fd)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_mb, self.log_path),
                                daemon=True, name="musicrnn-render-worker")
        self.proc.start()
        child.close()
        self.ready = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            if not self.conn.poll(timeout):
                raise RenderError(f"a render worker did not start within {timeout:.0f} s")
            msg = self.conn.recv()
        except (EOFError, OSError):
            raise RenderError(f"a render worker died while starting ({self.exit_reason()})"
                              + self.stderr_tail()) from None
        if msg[0] != "ready":
            raise RenderError(f"a render worker sent {msg[0]!r} instead of starting")
        self.ready = True

    def exit_reason(self) -> str:
        self.proc.join(2)
        code = self.proc.exitcode
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def stderr_tail(self, limit: int = 300) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4000))
                lines = [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines()]
        except OSError:
            return ""
        lines = [ln for ln in lines if ln]
        return f"; its last message: {lines[-1][:limit]}" if lines else ""

    def stop(self, graceful: bool = False) -> None:
        if graceful and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(1)
            except (OSError, ValueError):
                pass
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(2)
        try:
            self.conn.close()
        except OSError:
            pass
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


class WorkerPool:
    """A fixed number of warm workers; `call` runs one function in one of them.

    Thread-safe: concurrent calls each take an idle worker (waiting for one if needed).
    """

    def __init__(self, size: int | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                 memory_mb: int = MEMORY_LIMIT_MB, start_method: str | None = None):
        methods = mp.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._ctx = mp.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(_PRELOAD)
        self.size = size or _default_size()
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self.stats = {"calls": 0, "crashes": 0, "timeouts": 0, "restarts": 0}
        for _ in range(self.size):
            self._idle.put(_Worker(self._ctx, memory_mb))

    # -- lifecycle

    def warm_up(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until every worker has started (optional; calls wait anyway)."""
        workers = [self._idle.get(timeout=timeout) for _ in range(self.size)]
        try:
            for w in workers:
                w.wait_ready(timeout)
        finally:
            for w in workers:
                self._idle.put(w)

    def pids(self) -> list[int | None]:
        """Process ids of the idle workers (for tests and diagnostics)."""
        with self._idle.mutex:
            return [w.pid for w in list(self._idle.queue)]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop(graceful=True)
            except queue.Empty:
                break

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- calls

    def _acquire(self, wait: float) -> _Worker:
        if self._closed:
            raise RenderError("the render worker pool is closed")
        try:
            return self._idle.get(timeout=wait)
        except queue.Empty:
            raise RenderError(
                f"all {self.size} render workers stayed busy for {wait:.0f} s") from None

    def _release(self, w: _Worker, healthy: bool) -> None:
        if healthy and not self._closed:
            self._idle.put(w)
            return
        w.stop()
        if not self._closed:
            self.stats["restarts"] += 1
            self._idle.put(_Worker(self._ctx, self.memory_mb))

    def call(self, target: str, *args, timeout: float | None = None, label: str = "input",
             what: str | None = None, on_event: Callable[[Any], None] | None = None,
             **kwargs) -> Any:
        """Run `module:function`(*args, **kwargs) in a worker and return its result.

        A generator function's items go to `on_event` as they arrive; when it returns True
        the time limit starts again (one limit per step of a multi-step job). Errors: the
        function's own ABCError/RenderError come back as such; anything else it raises
        becomes RenderError, a crash WorkerCrashError, running past `timeout` seconds
        WorkerTimeoutError (both RenderError subclasses), each naming `label`.
        """
        what = what or target.rsplit(":", 1)[-1].replace("_local", "").replace("_", " ")
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, (bytes, bytearray)) and len(a) > MAX_INPUT_BYTES:
                raise RenderError(f"{what} for {label}: input of {len(a):,} bytes is more "
                                  f"than the {MAX_INPUT_BYTES:,} accepted")
        limit = self.timeout if timeout is None else float(timeout)
        w = self._acquire(max(60.0, 10 * limit))
        healthy = False
        self.stats["calls"] += 1
        try:
            w.wait_ready(STARTUP_TIMEOUT)
            w.conn.send((target, args, kwargs))
            deadline = time.monotonic() + limit
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not w.conn.poll(remaining):
                    if time.monotonic() < deadline:
                        continue
                    self.stats["timeouts"] += 1
                    raise WorkerTimeoutError(f"{what} for {label} took more than {limit:g} s "
                                             "and was stopped")
                try:
                    msg = w.conn.recv()
                except (EOFError, OSError):
                    self.stats["crashes"] += 1
                    raise WorkerCrashError(
                        f"{what} for {label} crashed its worker process ({w.exit_reason()})"
                        f"{w.stderr_tail()}; the worker was replaced") from None
                kind = msg[0]
                if kind == "part":
                    if on_event is not None and on_event(msg[1]):
                        deadline = time.monotonic() + limit
                    continue
                if kind in ("ok", "done"):
                    healthy = True
                    return msg[1]
                if kind == "err":
                    name, text = msg[1], msg[2]
                    healthy = name not in ("MemoryError", "SystemExit", "KeyboardInterrupt")
                    cls = _ERRORS.get(name)
                    if cls is not None:
                        raise cls(text)
                    raise RenderError(f"{what} for {label} failed: {name}: {text}"[:800])
                raise RenderError(f"{what} for {label}: unexpected worker message {kind!r}")
        finally:
            self._release(w, healthy)


# ----------------------------------------------------------------------------- module pool

_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool, started on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._closed:
            _POOL = WorkerPool()
        return _POOL


def shutdown() -> None:
    """Stop the process-wide pool's workers (also done at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.close()
            _POOL = None


atexit.register(shutdown)


def _label_of(text: Any) -> str:
    """A label as given, or the tune's name when given the tune's ABC text."""
    if isinstance(text, str) and ("\n" in text or text.startswith("X:")):
        return abcmod.tune_label(text[:5000])
    return str(text)[:80]


def call(target: str, *args, label: Any = "input", timeout: float | None = None,
         what: str | None = None, **kwargs) -> Any:
    """`WorkerPool.call` on the process-wide pool; `label` names the input in error
    messages and may be the tune's ABC text (its title is used).

    ABC text arguments longer than abc.MAX_ABC_CHARS are refused here (ABCError),
    before any work.
    """
    for a in args:
        if isinstance(a, str):
            abcmod._check_size(a)
    return get_pool().call(target, *args, timeout=timeout, label=_label_of(label), what=what,
                           **kwargs)


def check(abc: str, *, ended: bool | None = None,
          timeout: float | None = None) -> abcmod.CheckReport:
    """`abc.check_tune` in a worker, with a time limit."""
    return call("musicrnn.abc:check_tune", abc, ended=ended, label=abc, timeout=timeout,
                what="check")


def repair(abc: str, *, ended: bool | None = None,
           timeout: float | None = None) -> abcmod.RepairResult:
    """`abc.repair_tune` in a worker, with a time limit."""
    return call("musicrnn.abc:repair_tune", abc, ended=ended, label=abc, timeout=timeout,
                what="repair")


def render_all(abc: str, formats=("midi", "wav", "opus", "svg", "musicxml"), *,
               tempo: float | None = 120, instrument: str | int = "piano",
               transpose: int = 0, swing: float = 0.0, check: bool = True,
               ended: bool | None = None, timeout: float | None = None) -> dict:
    """Everything the studio needs for one tune, in one worker round trip.

    Returns {"label", "check" (CheckReport dict or None), "check_error", "data" {format:
    bytes, or str for svg}, "errors" {format: message}, "timings" {format or "check" or
    "total": seconds}, "ok" (every format made)}. A format that fails does not stop the
    others; after a worker crash the formats not yet made are retried in a fresh worker.
    `timeout` applies to the check and to each format separately.
    Raises only for bad arguments (unknown format or instrument) and oversized text.
    """
    from musicrnn import render

    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in render.FORMATS]
    if unknown:
        raise RenderError(f"unknown format(s) {', '.join(map(str, unknown))}; "
                          f"choose from {', '.join(render.FORMATS)}")
    render.resolve_instrument(instrument)
    render._check_options(tempo, transpose, swing)
    abc = abcmod._normalize(abc)
    abcmod._check_size(abc)
    label = abcmod.tune_label(abc)
    wanted = [f for f in render.FORMATS if f in formats]
    out: dict[str, Any] = {"label": label, "check": None, "check_error": None, "data": {},
                           "errors": {}, "timings": {}, "ok": False}
    t_start = time.perf_counter()
    remaining = list(wanted)
    need_check = check
    current: dict[str, str | None] = {"step": None}

    def on_event(ev: tuple) -> bool:
        kind = ev[0]
        if kind == "check":
            out["check"], out["check_error"] = ev[1], ev[2]
            out["timings"]["check"] = ev[3]
        elif kind == "start":
            current["step"] = ev[1]
            return True  # each format gets the full time limit
        elif kind in ("ok", "error"):
            fmt = ev[1]
            (out["data"] if kind == "ok" else out["errors"])[fmt] = ev[2]
            out["timings"][fmt] = ev[3]
            if fmt in remaining:
                remaining.remove(fmt)
            current["step"] = None
        return False

    for _attempt in range(3):
        if not remaining and not need_check:
            break
        current["step"] = "check" if need_check else None
        try:
            get_pool().call("musicrnn.render:render_parts_local", abc, tuple(remaining),
                            tempo=tempo, instrument=instrument, transpose=transpose,
                            swing=swing, check=need_check, ended=ended, timeout=timeout,
                            label=label, what="rendering", on_event=on_event)
            break
        except RenderError as e:
            step = current["step"]
            crashed = isinstance(e, WorkerCrashError)
            if need_check and out["check"] is None:
                out["check_error"] = str(e)
            need_check = False
            if step in remaining:
                out["errors"][step] = str(e)
                remaining.remove(step)
            if not crashed:  # a time-out is usually music21 on the whole tune: stop here
                for fmt in remaining:
                    out["errors"][fmt] = f"not made: {e}"
                remaining.clear()
    for fmt in remaining:
        out["errors"].setdefault(fmt, "not made: the worker kept crashing")
    out["timings"]["total"] = time.perf_counter() - t_start
    out["ok"] = all(f in out["data"] for f in wanted)
    return out


__all__ = ["WorkerPool", "get_pool", "shutdown", "call", "check", "repair", "render_all",
           "DEFAULT_TIMEOUT", "MAX_INPUT_BYTES", "MusicRNNError"]
