"""What a view of a training run shows: progress, the latest figures, and the curves' points.

The Train page draws a still run with Streamlit from `head` and `app_support.charts`. While a run trains, each
browser tab polls `LiveDocuments` over plain HTTP (`app_support/routes.py`) for the head and only the metric
events it has not seen, and draws the curves itself from the same chart skeletons: a poll costs the server a
few `stat` calls and a few hundred bytes, not a Streamlit rerun (benchmarks/viewers.py).
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from app_support import charts
from musicrnn.training.run_folder import (
    METRICS,
    SAMPLES,
    STATUS,
    SURPRISE,
    RunInfo,
    read_metrics,
    read_samples,
    read_surprise,
    run_info,
    skipped_lines,
)

_FILES = (STATUS, METRICS, SAMPLES, SURPRISE)
SAMPLE_GAP_S = 30.0  # the live view moves to a newer sampled tune at most this often


def shown_sample(samples: list[dict], gap_s: float = SAMPLE_GAP_S) -> int | None:
    """The step of the sampled tune a live view shows: the newest of those at least `gap_s` apart in time.

    Each new tune is engraved and synthesized once for all viewers (~0.5 s of CPU beside the training thread);
    a small run validates every few seconds, and a listener needs longer than that to hear a tune anyway. The
    choice depends only on the run's samples, so every viewer shows the same tunes and each is rendered once.
    """
    step, last = None, None
    for s in samples:
        if not s.get("abc"):
            continue
        t = s.get("time")
        if last is None or t is None or t - last >= gap_s:
            step, last = s["step"], t if t is not None else last
    return step


def fmt_duration(s: float | None) -> str:
    """`1h 02m`, `3m 07s`; `–` when unknown."""
    if s is None:
        return "–"
    s = int(s)
    return f"{s // 3600}h {s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m {s % 60:02d}s"


def _fmt(event: dict, key: str, spec: str) -> str:
    """A field of a metric event for a tile; `–` when the event lacks it (an older trainer, a partial line)."""
    value = event.get(key)
    return format(value, spec) if isinstance(value, (int, float)) else "–"


def strip_view(strips: list[dict]) -> dict | None:
    """The newest surprise strip as the live view draws it (`step`, `text`, `bits` to 0.01 bit), or None for a
    run that has none (one written before the trainer kept them)."""
    if not strips:
        return None
    s = strips[-1]
    return {"step": s["step"], "text": s["text"], "bits": [round(float(b), 2) for b in s["bits"]]}


def head(info: RunInfo, metrics: list[dict], samples: list[dict], skipped: int = 0,
         strips: list[dict] | None = None) -> dict:
    """Status, progress, metric tiles, caption, the step of the sampled tune to show (`shown_sample`), the
    newest surprise strip (`strip_view`), and what is wrong with a damaged run folder (`problem`; `skipped`
    damaged lines of its event files). Pure."""
    train_ev = [e for e in metrics if e.get("kind") == "train"]
    val_ev = [e for e in metrics if e.get("kind") == "val"]
    t, v = (train_ev[-1] if train_ev else {}), (val_ev[-1] if val_ev else {})
    total = info.total_steps or t.get("total_steps") or 0
    eta = t.get("eta_s") if info.active else None
    best = f"{info.best_val_loss:.3f}" if info.best_val_loss else "–"
    tiles = [
        ("Train loss", _fmt(t, "train_loss", ".3f"), None),
        ("Val loss", _fmt(v, "val_loss", ".3f"), f"Best so far: {best}"),
        ("Bits/char", _fmt(t, "bpc", ".2f"), "Training bits per character"),
        ("Val bits/char", _fmt(v, "val_bpc", ".2f"), None),
        ("Chars/s", _fmt(t, "chars_per_s", ",.0f"), None),
        ("Learning rate", _fmt(t, "lr", ".2e"), None),
    ]
    return {
        "name": info.name, "status": info.status, "step": info.step, "total_steps": total,
        "fraction": min(1.0, info.step / total) if total else 0.0,
        "progress": f"step {info.step:,} of {total:,}" + (f" · ETA {fmt_duration(eta)}" if eta is not None else ""),
        "tiles": [{"label": a, "value": b, "help": c} for a, b, c in tiles],
        "caption": f"{len(train_ev)} training points · {len(val_ev)} validations"
                   + (f" · {skipped} damaged line{'s' if skipped != 1 else ''} skipped" if skipped else ""),
        "problem": info.problem,
        "sample_step": shown_sample(samples),
        "surprise": strip_view(strips or []),
    }


def chart_skeletons() -> list[dict]:
    """The live charts as plotly dicts without points, each with the (event kind, field) of each trace: the page
    fills them from the events, so that they look as the still charts `app_support.charts` draws."""
    out = []
    for build, series in ((charts.loss_curve, charts.LOSS_SERIES), (charts.accuracy_curve, charts.ACCURACY_SERIES)):
        fig = build([]).to_dict()
        fig["layout"].pop("template", None)  # 10 kB of plotly.py's default theme: the page themes it
        out.append({"figure": fig, "series": [[kind, key] for kind, key, _, _ in series],
                    "max_points": charts.MAX_POINTS})
    return out


_CURVE_FIELDS = {key for _, key, _, _ in charts.LOSS_SERIES + charts.ACCURACY_SERIES}


def curve_point(event: dict) -> dict:
    """The part of a metric event the curves draw."""
    return {k: v for k, v in event.items() if k in ("kind", "step") or k in _CURVE_FIELDS}


def _stamp(folder: Path) -> tuple:
    out = []
    for name in _FILES:
        try:
            st = os.stat(folder / name)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


class LiveDocuments:
    """Each run folder's live view, rebuilt only when its files change (thread-safe: the server answers polls
    from many tabs at once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._runs: dict[Path, tuple[tuple, dict, list[dict]]] = {}
        self._skeletons: list[dict] | None = None

    def get(self, folder: str | os.PathLike, since: int = 0, last_step: int | None = None) -> tuple[bytes, str] | None:
        """(JSON, ETag) of a run's view for a tab that holds its first `since` curve points, the last at step
        `last_step`: the head, the points after those (all of them, with `"since": 0`, when the run's events
        were rewritten, as a resume does), and the chart skeletons when `since` is 0. None when `folder` holds
        no run."""
        folder = Path(folder)
        info = run_info(folder)  # each time: a run whose process died changes status, not its files
        if info is None:
            return None
        stamp = (_stamp(folder), info.status)
        with self._lock:
            hit = self._runs.get(folder)
        if hit is None or hit[0] != stamp:
            metrics = read_metrics(folder)
            samples, strips = read_samples(folder), read_surprise(folder)
            top = head(info, metrics, samples, skipped_lines(folder), strips)
            hit = (stamp, top, [curve_point(e) for e in metrics])
            with self._lock:
                self._runs[folder] = hit
        _, top, points = hit
        if not 0 <= since <= len(points) or (
                since and last_step is not None and points[since - 1]["step"] != last_step):
            since = 0
        etag = f'"{hash(stamp) & 0xFFFFFFFFFFFF:x}-{since}"'
        doc = {"head": top, "since": since, "points": points[since:]}
        if since == 0:
            if self._skeletons is None:
                self._skeletons = chart_skeletons()
            doc["charts"] = self._skeletons
        return json.dumps(doc, separators=(",", ":")).encode(), etag
