"""The `pyzero` command line: one module per command (build, perft, replay, bench,
connect4-positions, play, serve, tei, uci, train, arena; networks.py holds `networks` and
`export`), the group in `app.py`, and what they share (the console, errors to exit codes, option parsing) in `common.py`."""

from pyzero.cli import (arena, bench, build, connect4_positions, networks, perft, play, replay,  # noqa: F401
                        serve, tei, train, uci)  # (each registers its commands)
from pyzero.cli.app import cli, main

__all__ = ["cli", "main"]
