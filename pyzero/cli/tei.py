"""`pyzero tei`: a Tak network as a TEI engine on stdin/stdout."""

from __future__ import annotations

import sys

import click

from pyzero.cli.app import cli
from pyzero.cli.common import EXIT_BAD_INPUT, fail, parse_overrides, reported_errors


@cli.command()
@click.argument("config_path", metavar="[CONFIG]", default="tak", required=False)
@click.option("--checkpoint", type=click.Path(exists=True), default=None,
              help="A checkpoint or network file, or a run directory (default: the latest in the config's run "
                   "directory, else the bundled network).")
@click.option("--player", default=None, metavar="alphabeta[-simple]:DEPTH[:SECONDS]",
              help="Serve the alpha-beta yardstick instead of the network (any size and komi); "
                   "alphabeta-simple: its first, simpler evaluation.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set run_dir=runs/other (YAML value syntax).")
def tei(config_path: str, checkpoint: str | None, player: str | None, overrides: tuple[str, ...]) -> None:
    """Play Tak over TEI (Tak Engine Interface) on stdin/stdout, for Tak GUIs and
    tournament runners (racetrack, PTN Ninja). CONFIG is a config file or the name of one
    pyzero ships (default: tak, 6x6 with komi 2); its run's latest checkpoint plays, else the
    bundled network of its game, and each other board size and komi gets its bundled network
    where one ships (`pyzero networks`), else an untrained one. The first line on stderr says
    which network plays. Protocol details: pyzero/protocols/tei_server.py.

    Memory: each board size played gets its own network and evaluation cache, the cache
    allocated at its first search: inference.cache_entries x about (2 x
    inference.max_policy_length + 20) bytes at most (configs/tak.yaml: 136 MB a size),
    of which only the part a search fills becomes resident. `pyzero bench tei
    configs/tak.yaml` measures a session over all six sizes (docs/measurements/
    2026-12-07-policy-head.md).

    `--player alphabeta:3` serves the alpha-beta yardstick instead (no network; every
    size and komi), for GUIs and tournament runners to measure against.
    """
    import os

    from pyzero.config import load_config
    from pyzero.protocols.tei_server import protocol_output, run_server

    values = parse_overrides(overrides)
    protocol = protocol_output()
    with reported_errors():
        config = load_config(config_path, values)
        if config.game.name != "tak":
            fail(f"{config_path}: pyzero tei plays Tak; this config's game is {config.game.name}", EXIT_BAD_INPUT)
        run_server(config, checkpoint, None, protocol, sys.stderr, player=player)
    # `quit` ends the process at once, without the interpreter's teardown: a search may still
    # be running, and tearing down torch, ONNX Runtime and the engine library took 1-3 s on a
    # loaded 2-core machine, past the 2 s a runner such as the arena's client waits before it
    # kills an engine. Every answer is already flushed; nothing else is kept.
    sys.stderr.flush()
    protocol.flush()
    os._exit(0)
