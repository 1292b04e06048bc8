"""The `pyzero` command line: one module per command (build, perft, replay, bench,
connect4-positions, play, serve, tei, uci, train, arena), the group in `app.py`, and what they
share (the console, errors to exit codes, option parsing) in `common.py`."""

from pyzero.cli import (arena, bench, build, connect4_positions, perft, play, replay, serve, tei,  # noqa: F401 (registers)
                        train, uci)
from pyzero.cli.app import cli, main

__all__ = ["cli", "main"]
