"""Run folders written by hand, as a trainer (or a killed one) leaves them."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time


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
