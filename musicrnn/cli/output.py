"""What every command prints: one JSON document with `--json`, errors as one line on stderr, exit codes."""
from __future__ import annotations

import json
import sys

EXIT_OK = 0
EXIT_PROBLEMS = 1  # check/render: some tune has problems or failed
EXIT_ERROR = 2  # the input or the options are unusable
EXIT_INTERRUPTED = 130


def print_json(obj) -> None:
    """One JSON document on one line of stdout, and nothing else."""
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_warning(message: object) -> None:
    """`warning: ...` on stderr: the command goes on."""
    print(f"warning: {message}", file=sys.stderr)


def print_error(message: object) -> int:
    """`error: ...` on stderr; returns EXIT_ERROR."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR
