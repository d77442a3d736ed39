"""A pool of worker processes for work that may crash or hang the process that runs it.

A small pool of warm worker processes, each used by one call at a time. Each call has a time limit; inputs
have a size limit. A worker that crashes (segfault, abort) or runs past its time limit is killed and
replaced, the call raises `RenderError` naming its input, and the next call works. Why our own pool rather
than ProcessPoolExecutor: a dead worker breaks a whole executor (every pending future fails), and a
timed-out future keeps its worker busy forever; here each worker is killed and replaced on its own.

Workers are forked from a 'forkserver' that has already imported the module of the pool's `warm` function
(`musicrnn.music.warmup` loads music21 there), so a replacement starts in milliseconds instead of the ~2 s
music21 import; where forkserver is unavailable, 'spawn' is used. Worker stdout goes to /dev/null (so
`--json` output stays clean) and stderr to a log whose tail is quoted when a worker crashes. As with any
multiprocessing code, a script that starts a pool must guard its entry point with
`if __name__ == "__main__":`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import tempfile
import threading
import time
import types
from collections.abc import Callable
from typing import Any

from musicrnn.errors import ABCError, RenderError, WorkerCrashError, WorkerTimeoutError

#: Seconds one call may run in a worker (env MUSICRNN_RENDER_TIMEOUT overrides).
DEFAULT_TIMEOUT = float(os.environ.get("MUSICRNN_RENDER_TIMEOUT", "30"))
#: Seconds a new worker may take to start (first start imports music21).
STARTUP_TIMEOUT = 120.0
#: Address-space limit of a worker (MiB), so a runaway conversion fails alone.
MEMORY_LIMIT_MB = int(os.environ.get("MUSICRNN_WORKER_MEMORY_MB", "4096"))
#: Largest binary input (a MIDI file) sent to a worker.
MAX_INPUT_BYTES = 8 * 1024 * 1024

_ERRORS = {"ABCError": ABCError, "RenderError": RenderError}


def default_size() -> int:
    """Workers in a pool: `$MUSICRNN_WORKERS`, else one per core up to two."""
    env = os.environ.get("MUSICRNN_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))


# ----------------------------------------------------------------------------- worker side


def _worker_main(conn, memory_mb: int, log_path: str, warm: Callable[[], None] | None) -> None:
    """Loop of one worker: receive (function, args, kwargs), send results or events."""
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
    if warm is not None:
        warm()
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
            out = target(*args, **kwargs)
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
    def __init__(self, ctx, memory_mb: int, warm: Callable[[], None] | None):
        fd, self.log_path = tempfile.mkstemp(prefix="musicrnn-worker-", suffix=".log")
        os.close(fd)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_mb, self.log_path, warm),
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
                 memory_mb: int = MEMORY_LIMIT_MB, start_method: str | None = None,
                 warm: Callable[[], None] | None = None):
        methods = mp.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._ctx = mp.get_context(method)
        if method == "forkserver":
            # '__main__' (multiprocessing's default) makes the forkserver import the main script once rather
            # than in every worker; the warm function's module loads what its workers need.
            self._ctx.set_forkserver_preload(["__main__"] + ([warm.__module__] if warm else []))
        self.size = size or default_size()
        self.warm = warm
        self.timeout = float(timeout)
        self.memory_mb = memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self.stats = {"calls": 0, "crashes": 0, "timeouts": 0, "restarts": 0}
        for _ in range(self.size):
            self._idle.put(_Worker(self._ctx, memory_mb, warm))

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

    @property
    def closed(self) -> bool:
        return self._closed

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

    def __enter__(self) -> WorkerPool:
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
            self._idle.put(_Worker(self._ctx, self.memory_mb, self.warm))

    def call(self, target: Callable, *args, timeout: float | None = None, label: str = "input",
             what: str | None = None, on_event: Callable[[Any], None] | None = None,
             **kwargs) -> Any:
        """Run `target(*args, **kwargs)` in a worker and return its result (`target`: a module-level function).

        A generator function's items go to `on_event` as they arrive; when it returns True
        the time limit starts again (one limit per step of a multi-step job). Errors: the
        function's own ABCError/RenderError come back as such; anything else it raises
        becomes RenderError, a crash WorkerCrashError, running past `timeout` seconds
        WorkerTimeoutError (both RenderError subclasses), each naming `label`.
        """
        what = what or target.__name__.replace("_local", "").replace("_", " ")
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

