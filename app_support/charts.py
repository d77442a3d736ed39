"""Plotly figures for the app, one builder per chart type (no streamlit here)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

MAX_POINTS = 600  # a curve with more points is thinned: the browser redraws it every tick for every viewer
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), height=320, legend=dict(orientation="h", y=1.12, x=0))
TRAIN_COLOR, VAL_COLOR = "#2a7ab0", "#e4572e"


def char_label(c: str) -> str:
    """A visible name for a character on an axis."""
    return {"\n": "⏎ newline", " ": "␣ space", "\t": "⇥ tab", "<eos>": "⟨end⟩"}.get(c, c)


def _thin(xs: list, ys: list, limit: int = MAX_POINTS) -> tuple[list, list]:
    if len(xs) <= limit:
        return xs, ys
    idx = np.unique(np.linspace(0, len(xs) - 1, limit).round().astype(int))
    return [xs[i] for i in idx], [ys[i] for i in idx]


def length_histogram(lengths, max_len: int | None = None, title: str = "Tune length (characters)") -> go.Figure:
    """Histogram of tune lengths, with the chosen max length marked."""
    a = np.asarray(lengths)
    fig = go.Figure(go.Histogram(x=a, nbinsx=80, marker_color=TRAIN_COLOR, name="tunes"))
    if max_len is not None:
        cut = float((a > max_len).mean()) if a.size else 0.0
        fig.add_vline(x=max_len, line_width=2, line_dash="dash", line_color=VAL_COLOR,
                      annotation_text=f"max length {max_len} · {cut:.1%} truncated", annotation_position="top right")
    fig.update_layout(title=title, xaxis_title="characters", yaxis_title="tunes", bargap=0.02, **_LAYOUT)
    return fig


def bar_counts(counts: dict, title: str, top: int = 30, labels=None, horizontal: bool = False) -> go.Figure:
    """Bars for a {label: count} mapping (largest first), at most `top` of them plus "other"."""
    items = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    rest = sum(v for _, v in items[top:])
    names = [(labels or str)(k) for k, _ in items[:top]] + (["other"] if rest else [])
    values = [v for _, v in items[:top]] + ([rest] if rest else [])
    total = sum(counts.values()) or 1
    text = [f"{v / total:.1%}" for v in values]
    if horizontal:
        bar = go.Bar(y=names[::-1], x=values[::-1], orientation="h", text=text[::-1], marker_color=TRAIN_COLOR)
    else:
        bar = go.Bar(x=names, y=values, text=text, marker_color=TRAIN_COLOR)
    fig = go.Figure(bar)
    fig.update_traces(textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{y}<extra></extra>"
                      if not horizontal else "%{y}: %{x}<extra></extra>")
    fig.update_layout(title=title, showlegend=False, **_LAYOUT)
    if not horizontal:
        fig.update_xaxes(type="category")
    return fig


def char_frequencies(char_counts: dict, top: int = 60) -> go.Figure:
    return bar_counts(char_counts, f"Character frequencies (top {top})", top=top, labels=char_label)


def _curves(metrics: list[dict], series: list[tuple[str, str, str, str]], title: str, y_title: str,
            **layout) -> go.Figure:
    """Line chart over steps; `series` holds (event kind, field, name, color).

    Live curves are rebuilt at every new metric event, so the figure is assembled from plain dicts without
    plotly's validation (a fifth of the cost); the dataset charts, built once, keep it.
    """
    traces = []
    for kind, key, name, color in series:
        pts = [(e["step"], e[key]) for e in metrics if e.get("kind") == kind and e.get(key) is not None]
        xs, ys = _thin([p[0] for p in pts], [p[1] for p in pts])
        traces.append({"type": "scatter", "x": xs, "y": ys, "name": name,
                       "mode": "lines+markers" if kind == "val" else "lines",
                       "line": {"color": color}, "marker": {"size": 6}})
    lay = {"title": {"text": title}, "xaxis": {"title": {"text": "step"}},
           "yaxis": {"title": {"text": y_title}, **layout.pop("yaxis", {})}, "uirevision": "keep", **_LAYOUT, **layout}
    return go.Figure(data=traces, layout=lay, _validate=False)


LOSS_SERIES = [("train", "train_loss", "train", TRAIN_COLOR), ("val", "val_loss", "validation", VAL_COLOR)]
ACCURACY_SERIES = [("train", "accuracy", "train", TRAIN_COLOR), ("val", "val_accuracy", "validation", VAL_COLOR)]


def loss_curve(metrics: list[dict]) -> go.Figure:
    """Training and validation loss (nats per character) against the step."""
    return _curves(metrics, LOSS_SERIES, "Loss", "cross-entropy (nats/char)")


def accuracy_curve(metrics: list[dict]) -> go.Figure:
    """Next-character accuracy, training and validation."""
    return _curves(metrics, ACCURACY_SERIES, "Accuracy", "next-character accuracy", yaxis={"tickformat": ".0%"})


def next_char_bars(rows: list[tuple[str, float]], title: str, actual: str | None = None,
                   color: str = TRAIN_COLOR, other: float | None = None, height: int = 320) -> go.Figure:
    """Probabilities of a few next characters as bars, most likely first, each named by `char_label`; the
    character that does come next (`actual`) in the validation colour, the rest of the distribution as
    "other" when given."""
    names = [char_label(c) for c, _ in rows] + (["other"] if other is not None else [])
    values = [p for _, p in rows] + ([other] if other is not None else [])
    colors = [VAL_COLOR if c == actual else color for c, _ in rows] + (["#b0b3bb"] if other is not None else [])
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=colors, text=[f"{v:.0%}" if v >= 0.005 else ""
                                                                        for v in values],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(title=title, showlegend=False, yaxis=dict(title="probability", tickformat=".0%",
                                                                rangemode="tozero"), **{**_LAYOUT, "height": height})
    fig.update_xaxes(type="category")
    return fig
