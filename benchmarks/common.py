"""Shared helpers for the benchmark scripts: machine description and one-line JSON output."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from musicrnn.report.machine import machine  # noqa: E402,F401  (the benchmarks' one description of the machine)


def emit(result: dict) -> None:
    print(json.dumps(result), flush=True)


def peak_rss_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20
