"""The `pyzero` command line: build | perft | bench | play | train."""

from __future__ import annotations

import json
import random
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


def _game_from_target(target: str):
    """A game from a config file path or a bare game name."""
    from pyzero.config import ConfigError, load_config, make_game_from_config

    if target.endswith((".yaml", ".yml")) or Path(target).is_file():
        try:
            return make_game_from_config(load_config(target))
        except ConfigError as error:
            _fail(str(error), code=2)
    return _make_game(target, {})


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
@click.option("--set-name", default="Test_L1_R1", show_default=True, help="Which solver benchmark set.")
@click.option("--shared", default="../shared/connect4", show_default=True, help="Folder of the benchmark sets.")
@click.option("--simulations", default=64, show_default=True, help="Search simulations per position.")
@click.option("--limit", type=int, default=None, help="Only the first N positions.")
def connect4_positions(run_directory, set_name, shared, simulations, limit) -> None:
    """Share of solver-benchmark positions where a Connect4 run's latest network plays an
    optimal move, with its raw policy and with search (needs `pip install bitbully`)."""
    from pyzero.config import load_config
    from pyzero.games import make
    from pyzero.training.checkpoint import load_latest_checkpoint
    from pyzero.training.connect4_positions import optimal_move_share
    from pyzero.training.trainer import build_model

    run = Path(run_directory)
    config = load_config(run / "config.yaml")
    found = load_latest_checkpoint(run / "checkpoints")
    if found is None:
        _fail(f"{run}: no checkpoint", code=2)
    path, payload = found
    model = build_model(config, make("connect4"))
    model.load_state_dict(payload["learner"]["model"])
    result = optimal_move_share(model, Path(shared) / set_name, simulations, limit)
    click.echo(json.dumps({"checkpoint": path.name, "set": set_name, **asdict(result)}))


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
@click.option("--second", is_flag=True, help="Play second (the engine moves first).")
@click.option("--seed", type=int, default=None, help="Seed of the random opponent.")
def play(target: str, second: bool, seed: int | None) -> None:
    """Play against the engine in the terminal.

    For now the opponent plays uniformly random moves; the search-backed opponent comes
    with the playing issue. Type moves in the game's notation, 'moves' to list the legal
    ones, 'quit' to stop.
    """
    from pyzero.games import IllegalMoveError

    game = _game_from_target(target)
    rng = random.Random(seed)
    state = game.new()
    human = 1 if second else 0
    console.print(f"{game.name}: you play {'second' if second else 'first'}; the opponent moves at random.")
    while not state.is_terminal():
        if state.to_move() != human:
            move = rng.choice(state.legal_moves())
            state.play(move)
            console.print(f"opponent plays [bold]{move}[/]")
            continue
        console.print(state.render(), highlight=False, markup=False)
        try:
            text = input("your move> ").strip()
        except EOFError:
            console.print("\nend of input: stopping.")
            return
        if text in ("quit", "exit"):
            return
        if text in ("moves", "help", "?"):
            console.print("legal moves: " + " ".join(state.legal_moves()), highlight=False)
            continue
        try:
            state.play(text)
        except IllegalMoveError as error:
            console.print(f"[red]{error.reason}[/]: {text!r}", highlight=False)
            console.print("legal moves: " + " ".join(state.legal_moves()), highlight=False)
    console.print(state.render(), highlight=False, markup=False)
    console.print(f"game over: {state.result()}")


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

    import yaml

    from pyzero.config import ConfigError, load_config
    from pyzero.engine_build import EngineBuildError
    from pyzero.selfplay import PipelineError
    from pyzero.training.run_directory import RunAborted
    from pyzero.training.trainer import Trainer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    values = {}
    for item in overrides:
        key, separator, value = item.partition("=")
        if not separator:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        values[key] = yaml.safe_load(value)
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


def main() -> None:
    cli(prog_name="pyzero")
