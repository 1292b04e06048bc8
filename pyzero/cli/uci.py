"""`pyzero uci`: a chess network as a UCI engine on stdin/stdout."""

from __future__ import annotations

import sys

import click

from pyzero.cli.app import cli
from pyzero.cli.common import EXIT_BAD_INPUT, fail, parse_overrides, reported_errors


@cli.command()
@click.argument("config_path", metavar="[CONFIG]", default="chess", required=False)
@click.option("--checkpoint", type=click.Path(exists=True), default=None,
              help="A checkpoint or network file, or a run directory (default: the latest in the config's run "
                   "directory, else the bundled network).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set run_dir=runs/other (YAML value syntax).")
def uci(config_path: str, checkpoint: str | None, overrides: tuple[str, ...]) -> None:
    """Play chess over UCI (Universal Chess Interface) on stdin/stdout, for chess GUIs and
    tournament runners. CONFIG is a config file or the name of one pyzero ships (default:
    chess); its run's latest checkpoint plays, else the bundled chess network, else an
    untrained one; the first line on stderr says which. Protocol details:
    pyzero/protocols/uci_server.py."""
    import os

    from pyzero.config import load_config
    from pyzero.protocols.protocol import protocol_output
    from pyzero.protocols.uci_server import run_uci_server

    values = parse_overrides(overrides)
    protocol = protocol_output()
    with reported_errors():
        config = load_config(config_path, values)
        if config.game.name != "chess":
            fail(f"{config_path}: pyzero uci plays chess; this config's game is {config.game.name}", EXIT_BAD_INPUT)
        search_still_running = run_uci_server(config, checkpoint, None, protocol, sys.stderr)
    if search_still_running:
        # `quit` during a long search: leave without waiting for it (every answer is flushed).
        os._exit(0)
