"""`pyzero arena`: matches and Elo between checkpoints, baselines and TEI engines."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pyzero.cli.app import cli
from pyzero.cli.common import EXIT_BAD_INPUT, console, fail, reported_errors


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--player", "-p", "player_specs", multiple=True, metavar="SPEC",
              help="A player: random, mcts:N, minimax, alphabeta[-simple]:D[:SECONDS] (Tak), latest, step-N, "
                   "a checkpoint file (each of these three with ?KEY=VALUE&... config overrides, e.g. "
                   "latest?search.play=graph), tei:COMMAND (Tak), uci:COMMAND[?NAME=VALUE&...] (chess). "
                   "Repeatable.")
@click.option("--checkpoints", "checkpoint_every", type=int, default=0, metavar="K",
              help="Also every K-th checkpoint of the run (and the last); 0: none.")
@click.option("--mode", type=click.Choice(["round-robin", "gauntlet", "yardstick"]), default="round-robin",
              show_default=True, help="yardstick: each checkpoint against each baseline (e.g. -p alphabeta:1 .. "
              "-p alphabeta:4), the baselines against the next, checkpoints not against each other.")
@click.option("--hero", default=None, help="Gauntlet: the player facing all the others (default: the first).")
@click.option("--games", default=20, show_default=True, help="Games per pairing (colours alternate).")
@click.option("--simulations", default=None, type=int, help="Network players' simulations (default: evaluation.simulations).")
@click.option("--move-seconds", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Network players search this long per move (anytime) instead of --simulations; games are "
                   "then played one at a time.")
@click.option("--time", "time_control_text", default=None, metavar="BASE[+INC]",
              help="A clock per player and game, in seconds (e.g. 60+0.5: 60 s each, 0.5 s added after each "
                   "move): network players share out their clock, TEI/UCI engines get go wtime/btime/winc/binc, "
                   "a player out of time loses. Games are then played one at a time.")
@click.option("--opening-plies", default=2, show_default=True, help="Random plies of each opening.")
@click.option("--max-plies", default=None, type=click.IntRange(min=0),
              help="Adjudicate a draw after this many plies (0: never). Default: the config's "
                   "evaluation.max_game_plies, else selfplay.max_game_plies (300 for Tak, which has no "
                   "repetition rule: without a cap two players can shuffle stones forever; 0 for chess, whose "
                   "rules end every game).")
@click.option("--anchor", default=None, help="The player fixed at Elo 0 (default: random if playing, else the first).")
@click.option("--tei-seconds", default=1.0, show_default=True, help="Seconds per move for TEI and UCI engines.")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Where arena.json and elo.png go (default: RUN_DIR/arena).")
@click.option("--seed", default=0, show_default=True)
def arena(config_path, player_specs, checkpoint_every, mode, hero, games, simulations, move_seconds,
          time_control_text, opening_plies, max_plies, anchor, tei_seconds, output, seed) -> None:
    """Matches between checkpoints, baselines and TEI engines, with Elo.

    Prints the results table and maximum-likelihood Elo (95% intervals, one player
    anchored), and saves arena.json and elo.png (Elo against training step). Each
    opening is played once with each colour; two networks play through the batched
    self-play pipeline.
    """
    from pyzero.arena.clock import parse_time_control
    from pyzero.arena.openings import random_openings
    from pyzero.arena.players import checkpoint_player_specs
    from pyzero.arena.tournament import plot_elo_by_step, run_tournament, write_json_atomically
    from pyzero.config import load_config, make_game_from_config

    with reported_errors():
        config = load_config(config_path)
        game = make_game_from_config(config)
    simulations = simulations or config.evaluation.simulations
    if max_plies is None:
        max_plies = config.evaluation.ply_cap(config.selfplay)
    time_control = None
    if time_control_text is not None:
        if move_seconds is not None:
            fail("--time and --move-seconds both set how long network players think: give one", EXIT_BAD_INPUT)
        try:
            time_control = parse_time_control(time_control_text)
        except ValueError as error:
            fail(f"--time: {error}", EXIT_BAD_INPUT)
    specs = list(player_specs)
    if checkpoint_every > 0:
        specs += checkpoint_player_specs(config.run_directory(), checkpoint_every)
    if len(specs) < 2:
        fail("an arena needs at least two players (--player SPEC, --checkpoints K)", EXIT_BAD_INPUT)
    players, name_of_spec = make_arena_players(specs, config, game, simulations, tei_seconds, move_seconds)
    if len(players) < 2:
        close_players(players)
        fail("an arena needs at least two different players (the specs given name one)", EXIT_BAD_INPUT)
    names = [p.name for p in players]
    hero = name_of_spec.get(hero, hero)  # --hero and --anchor may be given as a spec or as a name
    anchor = name_of_spec.get(anchor, anchor) if anchor is not None else ("random" if "random" in names else names[0])
    openings = random_openings(game, max(1, (games + 1) // 2), opening_plies, seed)
    console.print(f"{game.name}: {len(players)} players, {mode}, {games} games per pairing, "
                  f"{len(openings)} openings of {opening_plies} plies", highlight=False)

    def progress(a, b, records):
        wins = sum(r.winner == a for r in records)
        losses = sum(r.winner == b for r in records)
        on_time = sum(r.lost_on_time for r in records)
        console.print(f"  {a} vs {b}: +{wins} ={len(records) - wins - losses} -{losses}"
                      + (f" ({on_time} lost on time)" if on_time else ""), highlight=False)

    try:
        with reported_errors(interrupted="interrupted: no results saved"):
            result = run_tournament(game, players, mode, games, openings, hero or names[0], anchor, seed,
                                    max_plies, progress, time_control=time_control,
                                    settings=dict(simulations=simulations, move_seconds=move_seconds,
                                                  time_control=None if time_control is None else str(time_control),
                                                  opening_plies=opening_plies, max_plies=max_plies,
                                                  games_per_pairing=games, config=str(config_path)))
    finally:
        close_players(players)
    print_table(results_table(result))
    directory = Path(output) if output else config.run_directory() / "arena"
    write_json_atomically(directory / "arena.json", result.to_json())
    plotted = plot_elo_by_step(result, directory / "elo.png")
    console.print(f"saved {directory / 'arena.json'}" + (f" and {directory / 'elo.png'}" if plotted else ""),
                  highlight=False)


def make_arena_players(specs: list[str], config, game, simulations: int, tei_seconds: float,
                       move_seconds: float | None) -> tuple[list, dict[str, str]]:
    """One player per spec (see pyzero/arena/players.py for names: an external engine is
    named by its spec, never merged with another by its `id name`), and the name each
    spec's player plays under, so --hero and --anchor may be given as specs. A network
    player that is the same checkpoint with the same settings as one before it (`latest`
    and the last of --checkpoints) plays once, with a note. A spec that fails closes the
    engines already started and ends the command with its error."""
    from pyzero.arena.players import (is_external_engine_spec, is_same_network, make_player,
                                      player_display_names, unique_name)

    display_names = player_display_names(specs)
    players: list = []
    name_of_spec: dict[str, str] = {}
    try:
        with reported_errors():
            for spec, display_name in zip(specs, display_names):
                player = make_player(spec, config, game, simulations, tei_seconds, move_seconds,
                                     name=display_name if is_external_engine_spec(spec) else None)
                same = next((other for other in players if is_same_network(other, player)), None)
                if same is not None:
                    console.print(f"note: player {spec!r} is {same.name}, already playing; it plays once",
                                  highlight=False)
                    close_players([player])
                    name_of_spec.setdefault(spec, same.name)
                    continue
                player.name = unique_name(player.name, [other.name for other in players])
                players.append(player)
                name_of_spec.setdefault(spec, player.name)
    except BaseException:
        close_players(players)
        raise
    return players, name_of_spec


def close_players(players: list) -> None:
    """Ends the external engines' processes (other players have nothing to close)."""
    for player in players:
        if hasattr(player, "close"):
            player.close()


def results_table(result) -> Table:
    """The standings by Elo: each player's step (networks), its engine's own name (external
    engines' `id name`, where any plays), games, W/D/L, score, Elo and its interval."""
    with_engines = any(standing.engine for standing in result.standings.values())
    table = Table(title=f"{result.game} arena (Elo: {result.anchor} = 0, 95% interval)")
    columns = ["player"] + (["engine"] if with_engines else []) + ["step", "games", "W", "D", "L", "score", "Elo",
                                                                   "interval"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("player", "engine") else "right")
    for name in sorted(result.ratings, key=lambda n: -result.ratings[n].elo):
        standing, rating = result.standings[name], result.ratings[name]
        row = [name] + ([standing.engine or ""] if with_engines else [])
        row += ["" if standing.step is None else str(standing.step), str(standing.games), str(standing.wins),
                str(standing.draws), str(standing.losses), f"{standing.score:.3f}", f"{rating.elo:+.0f}",
                f"[{rating.lower:+.0f}, {rating.upper:+.0f}]"]
        table.add_row(*row)
    return table


def print_table(table: Table) -> None:
    """Prints `table` fitted to the terminal; into a file or a pipe at its full width,
    since wrapped to the 80 columns rich assumes there the players' names (commands, for
    external engines) break apart."""
    if console.is_terminal:
        console.print(table)
        return
    unbounded = console.options.update(max_width=10_000)
    width = max(console.width, console.measure(table, options=unbounded).maximum)
    Console(file=console.file, width=width, color_system=None).print(table)
