"""`pyzero connect4-positions`: a Connect4 run's checkpoints on Pons' solved sets."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from pyzero.cli.app import cli
from pyzero.cli.common import EXIT_BAD_INPUT, fail, parse_overrides, reported_errors


@cli.command("connect4-positions")
@click.argument("run_directory", type=click.Path(file_okay=False, exists=True))
@click.option("--set-name", default="Test_L1_R1", show_default=True,
              help="Which solver benchmark set: Test_L1_R1..R3 (beginning), Test_L2_R1/R2 (middle), Test_L3_R1 (end).")
@click.option("--sets-directory", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder to read the set from, instead of Pons' sets shipped with pyzero.")
@click.option("--simulations", default=64, show_default=True, help="Search simulations per position.")
@click.option("--limit", type=int, default=None, help="Only the first N positions.")
@click.option("--every-checkpoint", is_flag=True, help="Measure every kept checkpoint, oldest first, not only the latest.")
@click.option("--search", "search_kind", type=click.Choice(["gumbel", "graph"]), default="gumbel", show_default=True,
              help="The search: Gumbel MCTS (self-play's) or the graph search of live play (the run config's "
                   "search.graph and search.puct, noise off).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a key of the run's config (e.g. search.graph.root=halving).")
def connect4_positions(run_directory, set_name, sets_directory, simulations, limit, every_checkpoint,
                       search_kind, overrides) -> None:
    """Share of solver-benchmark positions where a Connect4 run's network plays an optimal
    move and a move that keeps the solved result, with its raw policy and with search
    (needs `pip install bitbully`). One JSON line per checkpoint, with its step and the
    training time it had seen."""
    import functools

    import torch

    from pyzero.config import load_config
    from pyzero.games import make
    from pyzero.model import build_model, load_latest_checkpoint, readable_checkpoints
    from pyzero.training.connect4_positions import benchmark_set, optimal_move_share

    with reported_errors():
        positions = benchmark_set(set_name, sets_directory)

    # One position at a time: one PyTorch thread is fastest for single-position batches,
    # and OpenMP threads spinning beside another busy process slowed this measurement
    # roughly tenfold (two measurements side by side on 2 cores).
    torch.set_num_threads(1)
    run = Path(run_directory)
    with reported_errors(explain=lambda error: f"{error} (is {run} a run directory?)"):
        config = load_config(run / "config.yaml", parse_overrides(overrides))
    warn = functools.partial(click.echo, err=True)
    if every_checkpoint:
        found = readable_checkpoints(run / "checkpoints", warn)
    else:
        latest = load_latest_checkpoint(run / "checkpoints", warn)
        found = [latest] if latest else []
    model = build_model(config, make("connect4"))
    graph_options = {}
    if search_kind == "graph":
        from pyzero.players.network_player import play_gumbel_options, play_puct_options

        graph_options = dict(graph=config.search.graph, puct=play_puct_options(config),
                             gumbel=play_gumbel_options(config))
    measured = 0
    for path, payload in found:
        model.load_state_dict(payload["learner"]["model"])
        result = optimal_move_share(model, positions, simulations, limit, **graph_options)
        counters = payload.get("counters", {})
        click.echo(json.dumps({"checkpoint": path.name, "step": payload["learner"].get("step"),
                               "elapsed_seconds": round(counters.get("elapsed_seconds", 0.0)),
                               "set": set_name, **asdict(result)}))
        measured += 1
    if not measured:
        fail(f"{run}: no checkpoint", EXIT_BAD_INPUT)
