"""`pyzero bench`: move generation, search, self-play efficiency, a TEI session."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from rich.table import Table

from pyzero.cli.app import cli
from pyzero.cli.common import console, parse_options, parse_overrides, reported_errors


class _BenchGroup(click.Group):
    """`pyzero bench CONFIG ...` is `pyzero bench selfplay CONFIG ...`: a first word that
    names no benchmark is the config file."""

    def parse_args(self, context: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["selfplay", *args]
        return super().parse_args(context, args)


@cli.group(cls=_BenchGroup, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def bench(context: click.Context, as_json: bool) -> None:
    """Benchmarks; without a subcommand, runs all of them (JSON with --json)."""
    if context.invoked_subcommand is None:
        if as_json:
            from pyzero.bench import (benchmark_json, perft_results_as_json, run_perft_benchmark,
                                      run_search_benchmark, run_selfplay_benchmark, run_tree_reuse_benchmark)

            click.echo(benchmark_json("all", perft=perft_results_as_json(run_perft_benchmark())["results"],
                                      search=[asdict(r) for r in run_search_benchmark()],
                                      tree_reuse=[asdict(r) for r in run_tree_reuse_benchmark()],
                                      selfplay=asdict(run_selfplay_benchmark())))
            return
        context.invoke(bench_perft, as_json=False)
        context.invoke(bench_search, as_json=False)
        context.invoke(bench_selfplay, config_path=None, overrides=(), option_pairs=(), seconds=6.0, as_json=False,
                       **{name: None for name in _BENCH_OVERRIDES})


@bench.command("perft")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_perft(as_json: bool) -> None:
    """Move-generation speed of every game in leaf nodes per second (one thread); chess also
    with every leaf played and hashed, and Stockfish's `go perft` beside it where installed."""
    from pyzero.bench import perft_results_as_json, run_perft_benchmark

    results = run_perft_benchmark()
    if as_json:
        click.echo(json.dumps(perft_results_as_json(results), indent=2))
        return
    table = Table(title="perft (one thread; last ply bulk-counted, or played and hashed)")
    for column in ("engine", "game", "options", "position", "last ply", "depth", "nodes", "seconds", "nodes/s"):
        table.add_column(column, justify="left" if column in ("engine", "game", "options", "position", "last ply")
                         else "right")
    for result in results:
        table.add_row(
            result.engine,
            result.game,
            " ".join(f"{k}={v:g}" for k, v in result.options.items()),
            result.position,
            "counted" if result.bulk_count else "played",
            str(result.depth),
            f"{result.nodes:,}",
            f"{result.seconds:.3f}",
            f"{result.nodes_per_second:,.0f}",
        )
    console.print(table)


@bench.command("alphabeta")
@click.option("--sizes", default="5,6", show_default=True, help="Tak board sizes, e.g. 5,6 or 4-6.")
@click.option("--depths", default="1-4", show_default=True, help="Depths to search, e.g. 1-4 or 3.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_alphabeta(sizes: str, depths: str, as_json: bool) -> None:
    """The alpha-beta yardstick's nodes and seconds per move at each depth, for each
    evaluation (simple and road), on fixed Tak positions (one thread)."""
    from pyzero.bench import benchmark_json
    from pyzero.bench.alphabeta import run_alphabeta_benchmark

    results = run_alphabeta_benchmark(_number_list(sizes, "--sizes", 3, 8), _number_list(depths, "--depths", 1, 8))
    if as_json:
        click.echo(benchmark_json("alphabeta", results=[asdict(r) for r in results]))
        return
    table = Table(title="alpha-beta yardstick, per move (one thread)")
    for column in ("player", "size", "positions", "mean nodes", "max nodes", "mean s", "max s", "nodes/s"):
        table.add_column(column, justify="left" if column == "player" else "right")
    for r in results:
        table.add_row(r.player, str(r.size), str(r.positions), f"{r.mean_nodes:,.0f}", f"{r.max_nodes:,}",
                      f"{r.mean_seconds:.3f}", f"{r.max_seconds:.3f}", f"{r.nodes_per_second:,.0f}")
    console.print(table)


def _number_list(text: str, option: str, low: int, high: int) -> list[int]:
    """`5,6` or `4-6` as numbers within [low, high]; a usage error naming the option otherwise."""
    numbers: list[int] = []
    try:
        for part in text.split(","):
            first, dash, last = part.strip().partition("-")
            numbers.extend(range(int(first), int(last) + 1) if dash else [int(first)])
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected numbers like 5,6 or 4-6", param_hint=option) from None
    if not numbers or not all(low <= number <= high for number in numbers):
        raise click.BadParameter(f"{text!r}: each must be from {low} to {high}", param_hint=option)
    return numbers


@bench.command("search")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_search(as_json: bool) -> None:
    """Gumbel search simulations per second with the uniform evaluator, 1 thread and all cores."""
    from pyzero.bench import benchmark_json, run_search_benchmark, run_tree_reuse_benchmark

    results = run_search_benchmark()
    reuse = run_tree_reuse_benchmark()
    if as_json:
        click.echo(benchmark_json("search", results=[asdict(r) for r in results],
                                  tree_reuse=[asdict(r) for r in reuse]))
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


@bench.command("graph")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a search.graph option, e.g. --set search.graph.interior=puct (threads and "
                   "transpositions are the benchmark's own).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_graph(overrides, as_json: bool) -> None:
    """Graph search: simulations per second at 1, 2 and 4 threads on one search, and the
    network evaluations that transpositions save, from middle-game positions."""
    from pyzero.bench import benchmark_json, run_graph_benchmark
    from pyzero.config import validate_config

    values = parse_overrides(overrides)
    outside = [key for key in values if not key.startswith("search.graph.")]
    if outside:
        raise click.BadParameter(f"only search.graph.* options apply here, got {', '.join(outside)}",
                                 param_hint="--set")
    with reported_errors():
        graph = validate_config({"game": {"name": "connect4"}}, values).search.graph
    results = run_graph_benchmark(graph=graph)
    if as_json:
        click.echo(benchmark_json("graph", graph=graph.model_dump(), **results))
        return
    table = Table(title="graph search, one search on several threads")
    for column in ("game", "evaluator", "threads", "simulations", "seconds", "sims/s"):
        table.add_column(column, justify="left" if column in ("game", "evaluator") else "right")
    for r in results["throughput"]:
        table.add_row(r["game"], r["evaluator"], str(r["threads"]), f"{r['simulations']:,}", f"{r['seconds']:.2f}",
                      f"{r['simulations_per_second']:,.0f}")
    console.print(table)
    table = Table(title="evaluations saved by transpositions (1 thread; tree = the same search, every key new)")
    for column in ("game", "evaluator", "simulations", "evaluations (tree)", "evaluations (graph)", "saved %",
                   "found in graph %"):
        table.add_column(column, justify="left" if column in ("game", "evaluator") else "right")
    for r in results["transpositions"]:
        table.add_row(r["game"], r["evaluator"], f"{r['simulations']:,}", f"{r['evaluations_tree']:,}",
                      f"{r['evaluations_graph']:,}", f"{r['saved_percent']:.1f}", f"{r['found_in_graph_percent']:.1f}")
    console.print(table)


@bench.command("tei")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--sizes", default="3-8", show_default=True, help="Board sizes to play a move on, e.g. 3-8 or 6,8.")
@click.option("--movetime", default=300, show_default=True, help="Milliseconds per move (go movetime).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_tei(config_path, sizes, movetime, overrides, as_json) -> None:
    """A TEI session over every board size: each move's answer time and the engine's
    resident memory (after each move and at peak), as a GUI playing all sizes sees it."""
    from pyzero.bench import benchmark_json, run_tei_benchmark

    size_list = _number_list(sizes, "--sizes", 3, 8)
    with reported_errors():
        result = run_tei_benchmark(config_path, size_list, movetime, parse_overrides(overrides))
    if as_json:
        click.echo(benchmark_json("tei", **asdict(result)))
        return
    table = Table(title=f"pyzero tei {result.config}: go movetime {result.movetime_ms}")
    for column in ("size", "new game s", "go s", "resident MB"):
        table.add_column(column, justify="right")
    for move in result.moves:
        table.add_row(str(move.size), f"{move.new_game_seconds:.3f}", f"{move.go_seconds:.3f}",
                      f"{move.resident_bytes / 1e6:,.0f}")
    console.print(table)
    console.print(f"peak resident memory: {result.peak_resident_bytes / 1e6:,.0f} MB; "
                  f"slowest answer {result.max_go_seconds:.3f} s")


@bench.command("network")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override any config key.")
@click.option("--seconds", default=5.0, show_default=True, help="Measured time of each variant.")
@click.option("--precision", "precisions", multiple=True, type=click.Choice(["float32", "bfloat16", "float16"]),
              help="Precisions to measure (repeat; default: float32 and bfloat16 on CUDA, float32 on CPU).")
@click.option("--compile", "compile_choice", type=click.Choice(["both", "on", "off"]), default=None,
              help="torch.compile variants (default: both on CUDA, off on CPU).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_network(config_path, overrides, seconds, precisions, compile_choice, as_json) -> None:
    """Learner steps/s and inference evaluations/s of CONFIG's network, with and without
    torch.compile and autocast (training.device and training.batch_size for the learner,
    inference.device and selfplay.batch_size for inference). A variant whose compilation
    fails runs eagerly and says why."""
    from pyzero.config import load_config
    from pyzero.bench import benchmark_json
    from pyzero.bench.network import measure_network_throughput

    choices = {"both": (False, True), "on": (True,), "off": (False,), None: None}[compile_choice]
    with reported_errors():
        config = load_config(config_path, parse_overrides(overrides))
        results = measure_network_throughput(config, seconds, tuple(precisions) or None, choices)
    if as_json:
        click.echo(benchmark_json("network", config=config_path, network=config.network.model_dump(),
                                  results=[asdict(result) for result in results]))
        return
    network = config.network
    table = Table(title=f"{config_path}: ResNet {network.blocks}x{network.channels}, training on "
                        f"{config.training.device}, inference on {config.inference.device}")
    for column in ("phase", "precision", "compile", "batch", "per second", "samples/s"):
        table.add_column(column, justify="left" if column in ("phase", "precision", "compile") else "right")
    for result in results:
        compiled = ("yes" if result.compiled else f"failed: eager ({result.failure})") if result.compile else "no"
        samples = result.per_second * (result.batch_size if result.phase == "training" else 1)
        table.add_row(result.phase, result.precision, compiled, str(result.batch_size),
                      f"{result.per_second:,.1f} {'steps' if result.phase == 'training' else 'evals'}",
                      f"{samples:,.0f}")
    console.print(table)


# Command-line options of `bench selfplay` and the config keys they override.
_BENCH_OVERRIDES = {"game_name": "game.name", "blocks": "network.blocks", "channels": "network.channels",
                    "batch_size": "selfplay.batch_size", "games": "selfplay.games", "workers": "selfplay.workers",
                    "simulations": "search.simulations", "device": "inference.device",
                    "cache_entries": "inference.cache_entries", "backend_name": "inference.backend"}


@bench.command("selfplay")
@click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override any config key.")
@click.option("--game", "game_name", default=None, help="Game (default: the config's, else connect4).")
@click.option("--option", "-o", "option_pairs", multiple=True, metavar="KEY=VALUE", help="A game option (size=6).")
@click.option("--blocks", type=int, default=None, help="ResNet residual blocks (network.blocks).")
@click.option("--channels", type=int, default=None, help="ResNet channels (network.channels).")
@click.option("--batch-size", type=int, default=None, help="selfplay.batch_size")
@click.option("--games", type=int, default=None, help="Concurrent games (selfplay.games).")
@click.option("--workers", type=int, default=None, help="Mojo worker threads (selfplay.workers).")
@click.option("--simulations", type=int, default=None, help="Simulations per move (search.simulations).")
@click.option("--seconds", default=6.0, show_default=True, help="Measured self-play time.")
@click.option("--device", default=None, help="inference.device")
@click.option("--cache-entries", type=int, default=None, help="Evaluation cache size, 0: off (inference.cache_entries).")
@click.option("--backend", "backend_name", type=click.Choice(["auto", "torch", "onnxruntime"]), default=None, help="inference.backend")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_selfplay(config_path, overrides, option_pairs, seconds, as_json, **options) -> None:
    """Keeping the network busy: raw inference vs self-play evaluations per second.

    Measures what CONFIG trains with (game, network, batch size, games, workers,
    simulations, backend, device, cache); without CONFIG, Connect4 with a ResNet 4x32,
    batch 128, 384 games, 64 simulations and no cache. Options and --set override the
    config. `pyzero bench CONFIG` is the same as `pyzero bench selfplay CONFIG`.

    Reports (a) the network's own throughput on full batches, (b) self-play network
    evaluations, positions and games per second with the same network and batch size,
    (c) efficiency = b / a, (d) batch fill, cache hit rate and queue waits, and (a) for
    every installed backend (torch, onnxruntime) with its ratio to PyTorch eager.
    """
    from pyzero.bench import benchmark_json, default_benchmark_config, run_selfplay_benchmark
    from pyzero.config import load_config, validate_config

    values = parse_overrides(overrides)
    values.update({_BENCH_OVERRIDES[name]: value for name, value in options.items() if value is not None})
    if option_pairs:
        values["game.options"] = parse_options(option_pairs)
    with reported_errors():
        if config_path is not None:
            config = load_config(config_path, values)
        else:
            config = validate_config(default_benchmark_config().model_dump(), values)
        result = run_selfplay_benchmark(config, seconds)
    if as_json:
        click.echo(benchmark_json("selfplay", **asdict(result)))
        return
    table = Table(title=f"self-play vs raw inference: {result.game} {result.network}, batch {result.batch_size}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in asdict(result).items():
        if name != "backends":
            table.add_row(name.replace("_", " "), f"{value:,.3f}" if isinstance(value, float) else str(value))
    console.print(table)
    table = Table(title=f"raw inference by backend: batch {result.batch_size}, {result.device}")
    for column in ("backend", "evaluations/s", "ratio to torch eager"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for entry in result.backends:
        rate, ratio = entry["evaluations_per_second"], entry["ratio_to_torch"]
        table.add_row(entry["backend"], f"{rate:,.0f}" if rate is not None else entry.get("error", "-"),
                      f"{ratio:.2f}" if ratio is not None else "-")
    console.print(table)


@bench.command("distributed")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override any config key.")
@click.option("--actors", "actor_counts", default="1,2", show_default=True, help="Actor counts to measure.")
@click.option("--seconds", default=20.0, show_default=True, help="Measured self-play time of each variant.")
@click.option("--warmup", default=5.0, show_default=True, help="Unmeasured time first (actors start, engines load).")
@click.option("--ray", "ray_address", default="local", show_default=True,
              help="The cluster: local (start Ray here), auto, or HOST:PORT.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_distributed(config_path, overrides, actor_counts, seconds, warmup, ray_address, as_json) -> None:
    """Self-play positions/s in one process and in Ray actors (pyzero train --ray), same CONFIG.

    Self-play alone, no learner: what it shows is Ray's overhead (each actor reserves
    distributed.cpus_per_actor CPUs and runs the whole pipeline with selfplay.workers
    threads). Needs pip install 'pyzero[ray]'.
    """
    from pyzero.config import load_config
    from pyzero.bench import benchmark_json
    from pyzero.bench.distributed import run_distributed_benchmark

    counts = tuple(int(part) for part in actor_counts.split(",") if part.strip())
    with reported_errors():
        config = load_config(config_path, parse_overrides(overrides))
        results = run_distributed_benchmark(config, counts, seconds, warmup, ray_address)
    if as_json:
        click.echo(benchmark_json("distributed", results=[asdict(r) for r in results]))
        return
    table = Table(title=f"self-play positions/s: {config_path}, {seconds:g} s each")
    for column in ("variant", "positions", "seconds", "positions/s", "ratio to single process (mean)"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for result in results:
        table.add_row(result.variant, f"{result.positions:,.0f}", f"{result.seconds:.1f}",
                      f"{result.positions_per_second:,.0f}", f"{result.ratio_to_single_process:.2f}")
    console.print(table)
