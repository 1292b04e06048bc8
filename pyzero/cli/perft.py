"""`pyzero perft`: count legal move sequences, for any game and position."""

from __future__ import annotations

import json
import time

import click

from pyzero.cli.app import cli
from pyzero.cli.common import make_game, parse_options, reported_errors


@cli.command()
@click.argument("game_name", metavar="GAME")
@click.option("--depth", "-d", type=click.IntRange(min=0), required=True, help="Plies to count.")
@click.option("--position", "-p", help="Start position in the game's notation (default: the initial one).")
@click.option("--moves", "-m", help="Moves to play from the start position first, space-separated.")
@click.option("--tps", help="Tak: start position as TPS (same as --position).")
@click.option("--fen", help="Chess: start position as FEN (same as --position). Published chess perft "
              "counts play on through draws by rule: add -o rule_draws=0 to compare with them.")
@click.option("--size", type=int, help="Tak: board size (same as --option size=N).")
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE", help="A game option.")
@click.option("--play-leaves", is_flag=True, help="Play and hash every last-ply move instead of counting "
              "them in bulk (slower; measures making moves too).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def perft(game_name, depth, position, moves, tps, fen, size, option_pairs, play_leaves, as_json) -> None:
    """Count the legal move sequences of exactly DEPTH plies (computed in Mojo)."""
    options = parse_options(option_pairs)
    if size is not None:
        options["size"] = float(size)
    game = make_game(game_name, options)
    start_text = tps or fen or position
    with reported_errors():
        state = game.from_position(start_text) if start_text else game.new()
        if moves:
            state = game.play_moves(moves, start=state)
    started = time.perf_counter()
    nodes = state.perft(depth, bulk_count=not play_leaves)
    seconds = time.perf_counter() - started
    if as_json:
        payload = {
            "game": game.name,
            "options": game.options,
            "position": state.position(),
            "depth": depth,
            "bulk_count": not play_leaves,
            "nodes": nodes,
            "seconds": seconds,
            "nodes_per_second": nodes / seconds if seconds > 0 else None,
        }
        click.echo(json.dumps(payload))
    else:
        rate = f"{nodes / seconds:,.0f} nodes/s" if seconds > 0 else ""
        click.echo(f"perft({depth}) = {nodes}  [{seconds:.3f}s {rate}]")
