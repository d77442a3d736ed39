"""Fitting a trained model's endings (`generation/endings.calibrate`) and storing the fit in its checkpoint: once,
for `python -m musicrnn calibrate`, or in the background for the app's Train page (`EndingsFits`).

A fit samples hundreds of tunes per type, minutes on a CPU; the checkpoint is rewritten atomically only at the
end, so a fit that is stopped or crashes leaves the model as it was. A fit holds its device as a training run
does: `jobs.TrainingJobs` will not start a run on a device a fit is using, nor `EndingsFits` a fit on one a run
is using.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from musicrnn.errors import MusicRNNError, OptionError, TrainingError
from musicrnn.generation.options import DEFAULT_STRICT_BARS
from musicrnn.training.liveness import FIT_PREFIX, device_key, fitting_on, thread_name

#: How finely the app fits (the command's defaults are 256 and 7): about a minute per tune type on 2 cores.
APP_SAMPLES, APP_STEPS = 64, 5


@dataclass
class Fitted:
    """What a fit stored: the checkpoint file, the rows it fitted, the whole `endings` table now in it, and a note
    when the corpus the model was trained on has changed since."""

    path: str
    table: dict
    endings: dict
    changed: str | None = None


def fit_endings(checkpoint: str | Path | None, *, n: int = 256, seed: int = 1000, steps: int = 7,
                types: list[str] | None = None, strict_bars: bool = DEFAULT_STRICT_BARS, device: str = "auto",
                progress: Callable[[str], None] | None = None) -> Fitted:
    """Fit the endings of the model in `checkpoint` (file or folder; None: the shipped model) to its training
    tunes of each type it knows and store them in it, atomically, beside the earlier fits of other types.
    OptionError for out-of-range settings or a type the model does not know; MusicRNNError when no type has
    enough training tunes (nothing is written)."""
    from musicrnn.generation.endings import calibrate, fitted_keeps
    from musicrnn.inspection.tune_sets import training_split
    from musicrnn.model.checkpoint import atomic_save, load_checkpoint, load_model
    from musicrnn.model.device import pick_device

    if not 1 <= n <= 4096 or not 1 <= steps <= 12:
        raise OptionError(f"-n {n} / --steps {steps}: must be 1 to 4096 / 1 to 12")
    model, vocab, ckpt = load_model(checkpoint, pick_device(device))
    train, changed = training_split(ckpt)
    table = calibrate(model, vocab, ckpt, train, n=n, seed=seed, steps=steps, types=types, progress=progress,
                      strict_bars=strict_bars)
    if not table:
        raise MusicRNNError(f"{ckpt['path']}: no tune type with enough training tunes to fit; nothing written")
    stored = load_checkpoint(ckpt["path"])  # read again: another fit may have written it meanwhile
    path = stored.pop("path")
    valid = fitted_keeps(stored)  # the earlier fits worth keeping: a hand-edited entry is dropped
    earlier = {k: v for k, v in stored["endings"].items() if k in valid} if valid else {}
    stored["endings"] = earlier | table
    atomic_save(stored, path)
    return Fitted(path, table, stored["endings"], changed)


@dataclass
class Fit:
    """One background fit: its run folder, device, thread, the progress lines so far, and how it ended."""

    folder: Path
    device: str
    thread: threading.Thread
    started: float
    lines: list[str] = field(default_factory=list)
    fitted: Fitted | None = None
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()


class EndingsFits:
    """Fits of run folders' `best.pt` in background threads, at most one per device (and none on a device a
    training run is using); the latest fit of each folder is kept to show how it went."""

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self.lock = threading.Lock()
        self.fits: dict[str, Fit] = {}

    def fit(self, folder: str | Path) -> Fit | None:
        with self.lock:
            return self.fits.get(str(Path(folder).resolve()))

    def start(self, folder: str | Path, busy: Callable[[str], object], *, n: int = APP_SAMPLES,
              steps: int = APP_STEPS, types: list[str] | None = None, device: str = "auto") -> Fit:
        """Fit `folder/best.pt` (of `types`, default every type it knows) in a thread. `busy(device_label)` says
        whether a training run holds the device (`TrainingJobs.busy`); TrainingError when one does, or another
        fit does."""
        from musicrnn.model.device import device_label, pick_device
        from musicrnn.training.jobs import default_threads

        folder = Path(folder).resolve()
        if not (folder / "best.pt").is_file():
            raise TrainingError(f"{folder}: no best.pt to fit endings to")
        label = device_label(pick_device(device))
        with self.lock:
            other = fitting_on(label)
            if other is not None:
                raise TrainingError(f"endings are being fitted to {other} on {label}; wait for that to finish")
            run = busy(label)
            if run is not None:
                raise TrainingError(f"a training run is active on {label} ({getattr(run, 'folder', run)}); fit "
                                    "the endings when it has finished")
            threads = self.threads or default_threads()

            def work():
                try:
                    import torch

                    torch.set_num_threads(threads)
                    fit.fitted = fit_endings(folder / "best.pt", n=n, steps=steps, types=types, device=device,
                                             progress=fit.lines.append)
                except BaseException as e:  # noqa: BLE001 - the thread must not die silently
                    fit.error = str(e) or type(e).__name__
                    if not isinstance(e, Exception):
                        raise

            fit = Fit(folder, label, None, time.time())  # type: ignore[arg-type]
            fit.thread = threading.Thread(target=work, name=thread_name(device_key(label), folder, FIT_PREFIX),
                                          daemon=True)
            self.fits[str(folder)] = fit
            fit.thread.start()
        return fit
