"""Corpus statistics for the explorer and `musicrnn stats`: counts, lengths, characters, header fields,
and what the seed's pad-to-max design would waste."""
from __future__ import annotations

from collections import Counter

import numpy as np

from musicrnn.notation.fields import header_value


def length_stats(lengths) -> dict:
    a = np.asarray(lengths, dtype=np.int64)
    if a.size == 0:
        return {"min": 0, "median": 0.0, "mean": 0.0, "p95": 0.0, "max": 0}
    return {"min": int(a.min()), "median": float(np.median(a)), "mean": float(a.mean()),
            "p95": float(np.percentile(a, 95)), "max": int(a.max())}


def padding_report(lengths, max_len: int) -> dict:
    """The seed design pads (or cuts) every tune to `max_len`: the share of positions that are padding and
    the share of tunes truncated."""
    a = np.asarray(lengths, dtype=np.int64)
    if a.size == 0:
        return {"max_len": max_len, "padding_fraction": 0.0, "truncated_tunes": 0, "truncated_fraction": 0.0}
    kept = np.minimum(a, max_len)
    total = a.size * max_len
    return {"max_len": int(max_len), "padding_fraction": float(1 - kept.sum() / total),
            "truncated_tunes": int((a > max_len).sum()), "truncated_fraction": float((a > max_len).mean()),
            "chars_lost_to_truncation": int((a - kept).sum())}


def corpus_stats(tunes: list[str], max_len: int = 600, top: int | None = None) -> dict:
    lengths = [len(t) for t in tunes]
    chars = Counter()
    for t in tunes:
        chars.update(t)
    dist = {f: Counter(header_value(t, f) or "(none)" for t in tunes) for f in ("M", "K", "L", "R")}
    return {
        "tunes": len(tunes),
        "characters": int(sum(lengths)),
        "unique_characters": len(chars),
        "char_counts": dict(chars.most_common()),
        "length": length_stats(lengths),
        "meters": dict(dist["M"].most_common(top)),
        "keys": dict(dist["K"].most_common(top)),
        "unit_lengths": dict(dist["L"].most_common(top)),
        "tune_types": dict(dist["R"].most_common(top)),
        "padding": padding_report(lengths, max_len),
    }
