"""Run folders written by hand, as a trainer (or a killed one) leaves them."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from hypothesis import strategies as st

from musicrnn.training import run_folder


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def fake_run(folder, **status):
    folder.mkdir(parents=True, exist_ok=True)
    st = {"status": "running", "pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
          "updated": time.time(), "step": 10, "total_steps": 100, "device": "CPU (2 threads)", "config": {},
          "model": {}, "data": {"source": "music21"}}
    st.update(status)
    (folder / "run.json").write_text(json.dumps(st))
    return folder


#: Any JSON value, of every type (what a hand edit or a damaged file may put in a field).
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)
#: Every field of run.json that something reads, and one that nothing does.
STATUS_FIELDS = sorted(run_folder.STATUS_SCHEMA) + ["unknown_field"]
