"""Command line: `python -m musicrnn {stats,download,train,generate,evaluate,calibrate,inspect,check,
render}`.

`--json` prints one JSON document on stdout and nothing else; errors go to stderr with a non-zero exit.
Each command module registers its own subcommands; heavy imports (torch, music21) happen inside the commands,
so `--help` and a bad option answer at once.
"""
from __future__ import annotations

import argparse

from musicrnn.cli import corpus_commands, inspect_command, model_commands, music_commands, train_command
from musicrnn.cli.output import EXIT_ERROR, EXIT_INTERRUPTED, print_error
from musicrnn.errors import MusicRNNError


class Parser(argparse.ArgumentParser):
    """argparse, with a bad option as one line on stderr (exit 2) like every other error of the CLI."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"error: {self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="musicrnn", description="Character-level RNN for folk tunes in ABC notation.")
    sub = p.add_subparsers(dest="command", required=True)
    for module in (corpus_commands, train_command, model_commands, inspect_command, music_commands):
        module.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "data", "x") is None and args.command == "train" and not getattr(args, "resume", False):
        args.data = "music21"
    if getattr(args, "out", "x") is None:
        args.out = "runs/default"
    try:
        return args.func(args)
    except (MusicRNNError, ValueError) as e:  # ValueError: bad option values (temperature 0, unknown device...)
        return print_error(e)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
