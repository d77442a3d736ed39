"""The command line; `main` is the `musicrnn` entry point."""
from musicrnn.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
