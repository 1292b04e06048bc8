"""The `pyzero` command line: build | perft | bench | play | tei | train."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pyzero import __version__

console = Console()


def _fail(message: str, code: int = 1) -> None:
    # Plain text, not rich: compiler messages carry file:line:column that must not be wrapped.
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _parse_overrides(pairs: tuple[str, ...]) -> dict[str, object]:
    """--set KEY=VALUE pairs as config overrides (values in YAML syntax)."""
    import yaml

    values = {}
    for item in pairs:
        key, separator, value = item.partition("=")
        if not separator:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        values[key] = yaml.safe_load(value)
    return values


def _parse_options(pairs: tuple[str, ...]) -> dict[str, float]:
    options: dict[str, float] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            options[key] = float(value)
        except ValueError:
            raise click.BadParameter(f"value of {key!r} must be a number, got {value!r}", param_hint="--option")
    return options


def _make_game(name: str, options: dict[str, float]):
    from pyzero.engine_build import EngineBuildError
    from pyzero.games import make

    try:
        return make(name, **options)
    except EngineBuildError as error:
        _fail(str(error))
    except ValueError as error:
        _fail(str(error), code=2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyzero")
def cli() -> None:
    """pyzero: AlphaZero-style self-play learning for board games."""


@cli.command()
@click.option("--force", is_flag=True, help="Recompile even if the cached engine is up to date.")
def build(force: bool) -> None:
    """Compile the Mojo engine (done automatically when a source or the compiler changes)."""
    from pyzero.engine_build import EngineBuildError, build_engine

    try:
        path = build_engine(force=force)
    except EngineBuildError as error:
        _fail(str(error))
    console.print(f"engine: {path}", highlight=False)


@cli.command()
@click.argument("game_name", metavar="GAME")
@click.option("--depth", "-d", type=click.IntRange(min=0), required=True, help="Plies to count.")
@click.option("--position", "-p", help="Start position in the game's notation (default: the initial one).")
@click.option("--moves", "-m", help="Moves to play from the start position first, space-separated.")
@click.option("--tps", help="Tak: start position as TPS (same as --position).")
@click.option("--size", type=int, help="Tak: board size (same as --option size=N).")
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE", help="A game option.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def perft(game_name, depth, position, moves, tps, size, option_pairs, as_json) -> None:
    """Count the legal move sequences of exactly DEPTH plies (computed in Mojo)."""
    from pyzero.games import IllegalMoveError, PositionError

    options = _parse_options(option_pairs)
    if size is not None:
        options["size"] = float(size)
    game = _make_game(game_name, options)
    start_text = tps or position
    try:
        state = game.from_position(start_text) if start_text else game.new()
        if moves:
            state = game.play_moves(moves, start=state)
    except (PositionError, IllegalMoveError) as error:
        _fail(str(error), code=2)
    started = time.perf_counter()
    nodes = state.perft(depth)
    seconds = time.perf_counter() - started
    if as_json:
        payload = {
            "game": game.name,
            "options": game.options,
            "position": state.position(),
            "depth": depth,
            "nodes": nodes,
            "seconds": seconds,
            "nodes_per_second": nodes / seconds if seconds > 0 else None,
        }
        click.echo(json.dumps(payload))
    else:
        rate = f"{nodes / seconds:,.0f} nodes/s" if seconds > 0 else ""
        click.echo(f"perft({depth}) = {nodes}  [{seconds:.3f}s {rate}]")


@cli.command()
@click.argument("ptn_file", metavar="FILE.ptn", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list when the file has several games).")
def replay(ptn_file: str, as_json: bool) -> None:
    """Replay a Tak PTN file: print the final TPS, the result and the ply count.

    The result is derived from the final position (R-0, 0-R, F-0, 0-F, 1/2-1/2, or none
    when the game is not over on the board). An illegal or malformed ply exits with
    status 2 and a message naming the ply and the reason.
    """
    from pyzero.engine_build import EngineBuildError
    from pyzero.games.ptn import PtnError, read_ptn_file, replay as replay_game

    try:
        games = read_ptn_file(ptn_file)
        if not games:
            _fail(f"{ptn_file}: no game found", code=2)
        reports = []
        for game in games:
            outcome = replay_game(game)
            reports.append(
                {
                    "tps": outcome.final_state.tps(),
                    "result": outcome.result,
                    "plies": outcome.plies,
                    "result_tag": game.tag("Result"),
                }
            )
    except PtnError as error:
        _fail(str(error), code=2)
    except EngineBuildError as error:
        _fail(str(error))
    if as_json:
        click.echo(json.dumps(reports[0] if len(reports) == 1 else reports))
        return
    for report in reports:
        click.echo(f"tps: {report['tps']}")
        click.echo(f"result: {report['result'] or 'none'}")
        click.echo(f"plies: {report['plies']}")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def bench(context: click.Context, as_json: bool) -> None:
    """Benchmarks; without a subcommand, runs all of them (JSON with --json)."""
    if context.invoked_subcommand is None:
        if as_json:
            from pyzero.bench import perft_results_as_json, run_perft_benchmark, run_search_benchmark

            from pyzero.bench import run_tree_reuse_benchmark

            from pyzero.bench import run_selfplay_benchmark

            payload = {"perft": perft_results_as_json(run_perft_benchmark())["results"],
                       "search": [asdict(r) for r in run_search_benchmark()],
                       "tree_reuse": [asdict(r) for r in run_tree_reuse_benchmark()],
                       "selfplay": asdict(run_selfplay_benchmark())}
            click.echo(json.dumps(payload, indent=2))
            return
        context.invoke(bench_perft, as_json=False)
        context.invoke(bench_search, as_json=False)
        context.invoke(bench_selfplay, game_name="connect4", option_pairs=(), blocks=4, channels=32, batch_size=128,
                       games=None, workers=1, simulations=64, seconds=6.0, device="cpu", cache_entries=0,
                       backend_name="torch", as_json=False)


@bench.command("perft")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_perft(as_json: bool) -> None:
    """Move-generation speed of every game in leaf nodes per second (one thread)."""
    from pyzero.bench import perft_results_as_json, run_perft_benchmark

    results = run_perft_benchmark()
    if as_json:
        click.echo(json.dumps(perft_results_as_json(results), indent=2))
        return
    table = Table(title="perft (one thread, bulk-counted last ply)")
    for column in ("game", "options", "depth", "nodes", "seconds", "nodes/s"):
        table.add_column(column, justify="right" if column not in ("game", "options") else "left")
    for result in results:
        table.add_row(
            result.game,
            " ".join(f"{k}={v:g}" for k, v in result.options.items()),
            str(result.depth),
            f"{result.nodes:,}",
            f"{result.seconds:.3f}",
            f"{result.nodes_per_second:,.0f}",
        )
    console.print(table)


@bench.command("search")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_search(as_json: bool) -> None:
    """Gumbel search simulations per second with the uniform evaluator, 1 thread and all cores."""
    from pyzero.bench import run_search_benchmark, run_tree_reuse_benchmark

    results = run_search_benchmark()
    reuse = run_tree_reuse_benchmark()
    if as_json:
        click.echo(json.dumps({"benchmark": "search", "results": [asdict(r) for r in results],
                               "tree_reuse": [asdict(r) for r in reuse]}, indent=2))
        return
    table = Table(title="Gumbel search, uniform evaluator (no network)")
    for column in ("game", "options", "sims/search", "threads", "simulations", "seconds", "sims/s"):
        table.add_column(column, justify="left" if column in ("game", "options") else "right")
    for r in results:
        table.add_row(r.game, " ".join(f"{k}={v:g}" for k, v in r.options.items()), str(r.simulations_per_search),
                      str(r.threads), f"{r.simulations:,}", f"{r.seconds:.2f}", f"{r.simulations_per_second:,.0f}")
    console.print(table)
    table = Table(title="tree reuse: keep the played subtree vs rebuild (uniform evaluator)")
    for column in ("game", "sims/move", "moves", "visits kept/move", "nodes kept/move", "compaction us/move",
                   "search s (reuse)", "search s (rebuild)"):
        table.add_column(column, justify="left" if column == "game" else "right")
    for r in reuse:
        table.add_row(r.game, str(r.simulations_per_move), str(r.moves), f"{r.mean_visits_kept_per_move:.0f}",
                      f"{r.mean_nodes_kept_per_move:.0f}", f"{r.compaction_microseconds_per_move:.0f}",
                      f"{r.search_seconds_with_reuse:.3f}", f"{r.search_seconds_without_reuse:.3f}")
    console.print(table)


@cli.command("connect4-positions")
@click.argument("run_directory", type=click.Path(file_okay=False, exists=True))
@click.option("--set-name", default="Test_L1_R1", show_default=True,
              help="Which solver benchmark set: Test_L1_R1..R3 (beginning), Test_L2_R1/R2 (middle), Test_L3_R1 (end).")
@click.option("--sets-directory", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder to read the set from, instead of Pons' sets shipped with pyzero.")
@click.option("--simulations", default=64, show_default=True, help="Search simulations per position.")
@click.option("--limit", type=int, default=None, help="Only the first N positions.")
@click.option("--every-checkpoint", is_flag=True, help="Measure every kept checkpoint, oldest first, not only the latest.")
def connect4_positions(run_directory, set_name, sets_directory, simulations, limit, every_checkpoint) -> None:
    """Share of solver-benchmark positions where a Connect4 run's network plays an optimal
    move and a move that keeps the solved result, with its raw policy and with search
    (needs `pip install bitbully`). One JSON line per checkpoint, with its step and the
    training time it had seen."""
    import functools

    import torch

    from pyzero.config import ConfigError, load_config
    from pyzero.games import make
    from pyzero.training.checkpoint import load_latest_checkpoint, readable_checkpoints
    from pyzero.training.connect4_positions import benchmark_set, optimal_move_share
    from pyzero.training.trainer import build_model

    try:
        positions = benchmark_set(set_name, sets_directory)
    except FileNotFoundError as error:
        _fail(str(error), code=2)

    # One position at a time: one PyTorch thread is fastest for single-position batches,
    # and OpenMP threads spinning beside another busy process slowed this measurement
    # roughly tenfold (two measurements side by side on 2 cores).
    torch.set_num_threads(1)
    run = Path(run_directory)
    try:
        config = load_config(run / "config.yaml")
    except ConfigError as error:
        _fail(f"{error} (is {run} a run directory?)", code=2)
    warn = functools.partial(click.echo, err=True)
    if every_checkpoint:
        found = readable_checkpoints(run / "checkpoints", warn)
    else:
        latest = load_latest_checkpoint(run / "checkpoints", warn)
        found = [latest] if latest else []
    model = build_model(config, make("connect4"))
    measured = 0
    for path, payload in found:
        model.load_state_dict(payload["learner"]["model"])
        result = optimal_move_share(model, positions, simulations, limit)
        counters = payload.get("counters", {})
        click.echo(json.dumps({"checkpoint": path.name, "step": payload["learner"].get("step"),
                               "elapsed_seconds": round(counters.get("elapsed_seconds", 0.0)),
                               "set": set_name, **asdict(result)}))
        measured += 1
    if not measured:
        _fail(f"{run}: no checkpoint", code=2)


@bench.command("selfplay")
@click.option("--game", "game_name", default="connect4", show_default=True)
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE", help="A game option (size=6).")
@click.option("--blocks", default=4, show_default=True, help="ResNet residual blocks.")
@click.option("--channels", default=32, show_default=True, help="ResNet channels.")
@click.option("--batch-size", default=128, show_default=True)
@click.option("--games", type=int, default=None, help="Concurrent games (default 3 x batch size).")
@click.option("--workers", default=1, show_default=True, help="Mojo worker threads.")
@click.option("--simulations", default=64, show_default=True, help="Simulations per move.")
@click.option("--seconds", default=6.0, show_default=True, help="Measured self-play time.")
@click.option("--device", default="cpu", show_default=True)
@click.option("--cache-entries", default=0, show_default=True, help="Evaluation cache size (0: off).")
@click.option("--backend", "backend_name", type=click.Choice(["torch", "max"]), default="torch", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_selfplay(game_name, option_pairs, blocks, channels, batch_size, games, workers, simulations, seconds,
                   device, cache_entries, backend_name, as_json) -> None:
    """Keeping the network busy: raw inference vs self-play evaluations per second.

    Reports (a) the network's own throughput on full batches, (b) self-play network
    evaluations, positions and games per second with the same network and batch size,
    (c) efficiency = b / a, (d) batch fill, cache hit rate and queue waits.
    """
    from pyzero.bench import run_selfplay_benchmark

    result = run_selfplay_benchmark(game_name, _parse_options(option_pairs), blocks, channels, batch_size, games,
                                    workers, simulations, seconds, device, cache_entries, backend_name)
    if as_json:
        click.echo(json.dumps({"benchmark": "selfplay", **asdict(result)}, indent=2))
        return
    table = Table(title=f"self-play vs raw inference: {result.game} {result.network}, batch {result.batch_size}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in asdict(result).items():
        table.add_row(name.replace("_", " "), f"{value:,.3f}" if isinstance(value, float) else str(value))
    console.print(table)


@cli.command()
@click.argument("target", metavar="CONFIG_OR_GAME")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="A checkpoint file or run directory (default: the config's latest; none for a game name).")
@click.option("--second", is_flag=True, help="Play second (the engine moves first).")
@click.option("--simulations", type=click.IntRange(min=1), default=None,
              help="Engine simulations per move (default: the config's evaluation.simulations).")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Engine thinking time per move (with --simulations: whichever ends first).")
@click.option("--position", help="Start position (TPS for Tak; the game's position string otherwise).")
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A game option for a bare game name (size=5, komi=2).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the search and of an untrained network's weights.")
def play(target: str, checkpoint: str | None, second: bool, simulations: int | None, seconds: float | None,
         position: str | None, option_pairs: tuple[str, ...], seed: int) -> None:
    """Play against the engine in the terminal: CONFIG_OR_GAME is a run config (its latest
    checkpoint) or a game name (an untrained network).

    Type moves in the game's notation (PTN for Tak) or commands: undo, redo, goto N,
    history, variations, hint, analyse, swap, new, load, save, help, quit.
    """
    from pyzero.config import ConfigError
    from pyzero.engine_build import EngineBuildError
    from pyzero.games import PositionError
    from pyzero.play.opponent import build_play_engine
    from pyzero.play.session import GameSession
    from pyzero.play.terminal import PlayTerminal
    from pyzero.players.engine import SearchLimits

    limits = SearchLimits(simulations, seconds) if simulations or seconds else None
    try:
        engine = build_play_engine(target, checkpoint, limits, seed, _parse_options(option_pairs))
        start = engine.game.from_position(position) if position else None
    except (ConfigError, PositionError, ValueError) as error:
        _fail(str(error), code=2)
    except FileNotFoundError as error:
        _fail(str(error))
    except EngineBuildError as error:
        _fail(str(error))
    except RuntimeError as error:  # torch: the checkpoint's tensors do not fit the network's shape
        _fail(f"the checkpoint does not fit this network (give the run's own config): {error}", code=2)
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    terminal = PlayTerminal(engine, GameSession(engine.game, start), console,
                            read_line=lambda prompt: console.input(prompt, markup=False),
                            limits=engine.limits, engine_side=0 if second else 1)
    terminal.run()


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--checkpoint", type=click.Path(exists=True), default=None,
              help="A checkpoint file or run directory (default: the latest in the config's run directory).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set run_dir=runs/other (YAML value syntax).")
def tei(config_path: str, checkpoint: str | None, overrides: tuple[str, ...]) -> None:
    """Play a Tak config's network over TEI (Tak Engine Interface) on stdin/stdout, for
    Tak GUIs and tournament runners (racetrack, PTN Ninja). Protocol details:
    pyzero/tei/server.py. Only the config's board size and komi use a trained network.
    """
    import os

    from pyzero.config import ConfigError, load_config
    from pyzero.engine_build import EngineBuildError
    from pyzero.tei.server import protocol_output, run_server

    values = _parse_overrides(overrides)
    protocol = protocol_output()
    try:
        config = load_config(config_path, values)
        if config.game.name != "tak":
            _fail(f"{config_path}: pyzero tei plays Tak; this config's game is {config.game.name}", code=2)
        search_still_running = run_server(config, checkpoint, None, protocol, sys.stderr)
    except ConfigError as error:
        _fail(str(error), code=2)
    except (FileNotFoundError, EngineBuildError) as error:
        _fail(str(error))
    except KeyboardInterrupt:
        sys.exit(130)
    if search_still_running:
        # `quit` during a long search: leave without waiting for it (every answer is flushed).
        os._exit(0)


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True, help="Resume the run in the config's run directory without asking.")
@click.option("--restart", is_flag=True, help="Archive the existing run directory and start over.")
@click.option("--no-dashboard", is_flag=True, help="Plain log lines instead of the live dashboard.")
@click.option("--seconds", type=float, default=None, help="Stop (with a checkpoint) after this wall time.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set training.steps=500 (YAML value syntax).")
def train(config_path: str, resume: bool, restart: bool, no_dashboard: bool, seconds: float | None,
          overrides: tuple[str, ...]) -> None:
    """Train on CONFIG (the main job): self-play and learning together, checkpointed.

    An existing run directory is resumed by default (asked on a terminal: resume /
    restart / abort); Ctrl-C saves a checkpoint and stops cleanly.
    """
    import logging

    from pyzero.config import ConfigError, load_config
    from pyzero.engine_build import EngineBuildError
    from pyzero.selfplay import PipelineError
    from pyzero.training.run_directory import RunAborted
    from pyzero.training.trainer import Trainer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    values = _parse_overrides(overrides)
    try:
        config = load_config(config_path, values)
        trainer = Trainer(config, resume=resume, restart=restart, dashboard=not no_dashboard)
        console.print(f"run directory: {trainer.directory} ({trainer.mode})", highlight=False)
        summary = trainer.run(max_seconds=seconds)
    except ConfigError as error:
        _fail(str(error), code=2)
    except RunAborted as error:
        _fail(f"aborted: {error}", code=1)
    except EngineBuildError as error:
        _fail(str(error))
    except PipelineError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        console.print("stopped; a checkpoint was saved. Run the same command to resume.")
        sys.exit(130)
    console.print(json.dumps(summary, indent=2, default=str), highlight=False)


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, exists=True))
@click.option("--player", "-p", "player_specs", multiple=True, metavar="SPEC",
              help="A player: random, mcts:N, minimax, latest, step-N, a checkpoint file, tei:COMMAND. Repeatable.")
@click.option("--checkpoints", "checkpoint_every", type=int, default=0, metavar="K",
              help="Also every K-th checkpoint of the run (and the last); 0: none.")
@click.option("--mode", type=click.Choice(["round-robin", "gauntlet"]), default="round-robin", show_default=True)
@click.option("--hero", default=None, help="Gauntlet: the player facing all the others (default: the first).")
@click.option("--games", default=20, show_default=True, help="Games per pairing (colours alternate).")
@click.option("--simulations", default=None, type=int, help="Network players' simulations (default: evaluation.simulations).")
@click.option("--opening-plies", default=2, show_default=True, help="Random plies of each opening.")
@click.option("--max-plies", default=0, show_default=True, help="Adjudicate a draw after this many plies (0: never).")
@click.option("--anchor", default=None, help="The player fixed at Elo 0 (default: random if playing, else the first).")
@click.option("--tei-seconds", default=1.0, show_default=True, help="Seconds per move for TEI engines.")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Where arena.json and elo.png go (default: RUN_DIR/arena).")
@click.option("--seed", default=0, show_default=True)
def arena(config_path, player_specs, checkpoint_every, mode, hero, games, simulations, opening_plies, max_plies,
          anchor, tei_seconds, output, seed) -> None:
    """Matches between checkpoints, baselines and TEI engines, with Elo.

    Prints the results table and maximum-likelihood Elo (95% intervals, one player
    anchored), and saves arena.json and elo.png (Elo against training step). Each
    opening is played once with each colour; two networks play through the batched
    self-play pipeline.
    """
    from pyzero.arena.openings import random_openings
    from pyzero.arena.players import PlayerSpecError, checkpoint_player_specs, make_player
    from pyzero.arena.tournament import plot_elo_by_step, run_tournament, write_json_atomically
    from pyzero.selfplay import PipelineError
    from pyzero.tei.client import TeiEngineError
    from pyzero.config import ConfigError, load_config, make_game_from_config

    try:
        config = load_config(config_path)
    except ConfigError as error:
        _fail(str(error), code=2)
    game = make_game_from_config(config)
    simulations = simulations or config.evaluation.simulations
    specs = list(player_specs)
    if checkpoint_every > 0:
        specs += checkpoint_player_specs(config.run_directory(), checkpoint_every)
    if len(specs) < 2:
        _fail("an arena needs at least two players (--player SPEC, --checkpoints K)", code=2)
    players = []
    try:
        for spec in specs:
            player = make_player(spec, config, game, simulations, tei_seconds)
            if any(p.name == player.name for p in players):
                continue  # e.g. "latest" and the last checkpoint
            players.append(player)
    except PlayerSpecError as error:
        _fail(str(error), code=2)
    names = [p.name for p in players]
    if anchor is None:
        anchor = "random" if "random" in names else names[0]
    openings = random_openings(game, max(1, (games + 1) // 2), opening_plies, seed)
    console.print(f"{game.name}: {len(players)} players, {mode}, {games} games per pairing, "
                  f"{len(openings)} openings of {opening_plies} plies", highlight=False)

    def progress(a, b, records):
        wins = sum(r.winner == a for r in records)
        losses = sum(r.winner == b for r in records)
        console.print(f"  {a} vs {b}: +{wins} ={len(records) - wins - losses} -{losses}", highlight=False)

    try:
        result = run_tournament(game, players, mode, games, openings, hero or names[0], anchor, seed, max_plies,
                                progress, settings=dict(simulations=simulations, opening_plies=opening_plies,
                                                        games_per_pairing=games, config=str(config_path)))
    except ValueError as error:
        _fail(str(error), code=2)
    except (PipelineError, TeiEngineError) as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted: no results saved", code=130)
    finally:
        for player in players:
            if hasattr(player, "close"):
                player.close()
    table = Table(title=f"{game.name} arena (Elo: {anchor} = 0, 95% interval)")
    for column in ("player", "step", "games", "W", "D", "L", "score", "Elo", "interval"):
        table.add_column(column, justify="left" if column == "player" else "right")
    for name in sorted(result.ratings, key=lambda n: -result.ratings[n].elo):
        standing, rating = result.standings[name], result.ratings[name]
        table.add_row(name, "" if standing.step is None else str(standing.step), str(standing.games),
                      str(standing.wins), str(standing.draws), str(standing.losses), f"{standing.score:.3f}",
                      f"{rating.elo:+.0f}", f"[{rating.lower:+.0f}, {rating.upper:+.0f}]")
    console.print(table)
    directory = Path(output) if output else config.run_directory() / "arena"
    write_json_atomically(directory / "arena.json", result.to_json())
    plotted = plot_elo_by_step(result, directory / "elo.png")
    console.print(f"saved {directory / 'arena.json'}" + (f" and {directory / 'elo.png'}" if plotted else ""),
                  highlight=False)


def main() -> None:
    cli(prog_name="pyzero")
