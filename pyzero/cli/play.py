"""`pyzero play`: play against the engine in the terminal."""

from __future__ import annotations


import click

from pyzero.cli.app import cli
from pyzero.cli.common import (EXIT_BAD_INPUT, console, fail, keep_undecodable_terminal_bytes, parse_options,
                               reported_errors)


@cli.command()
@click.argument("target", metavar="CONFIG_OR_GAME")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="A checkpoint or network file, or a run directory (default: the config's latest; the "
                   "bundled network of the game for a game name or a run without checkpoints).")
@click.option("--second", is_flag=True, help="Play second (the engine moves first).")
@click.option("--simulations", type=click.IntRange(min=1), default=None,
              help="Engine simulations per move (default: the config's evaluation.simulations).")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Engine thinking time per move (with --simulations: whichever ends first).")
@click.option("--position", help="Start position (TPS for Tak; the game's position string otherwise).")
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A game option for a bare game name (size=5, komi=2); options left out are the "
                   "bundled network's.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the search and of an untrained network's weights.")
def play(target: str, checkpoint: str | None, second: bool, simulations: int | None, seconds: float | None,
         position: str | None, option_pairs: tuple[str, ...], seed: int) -> None:
    """Play against the engine in the terminal: CONFIG_OR_GAME is a run config (a file or
    the name of one pyzero ships: its run's latest checkpoint, else the bundled network of
    its game) or a game name (the bundled network of the game and options, `pyzero
    networks`; an untrained network where none ships). The first line says which.

    Type moves in the game's notation (PTN for Tak) or commands: undo, redo, goto N,
    history, variations, hint, analyse, swap, new, load, save, help, quit.
    """
    from pyzero.play.opponent import build_play_engine
    from pyzero.play.session import GameSession
    from pyzero.play.terminal import PlayTerminal
    from pyzero.players.network_player import SearchLimits

    limits = SearchLimits(simulations, seconds) if simulations or seconds else None
    try:
        with reported_errors():
            engine = build_play_engine(target, checkpoint, limits, seed, parse_options(option_pairs))
            start = engine.game.from_position(position) if position else None
    except RuntimeError as error:  # torch: the checkpoint's tensors do not fit the network's shape
        fail(f"the checkpoint does not fit this network (give the run's own config): {error}", EXIT_BAD_INPUT)
    click.echo(f"pyzero play: {engine.description}")  # one line, never wrapped
    keep_undecodable_terminal_bytes()
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    terminal = PlayTerminal(engine, GameSession(engine.game, start), console,
                            read_line=lambda prompt: console.input(prompt, markup=False),
                            limits=engine.limits, engine_side=0 if second else 1)
    terminal.run()
