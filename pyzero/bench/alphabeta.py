"""`pyzero bench alphabeta`: what the alpha-beta yardstick searches at each depth: nodes and
seconds per move and the depth reached, for each evaluation, on fixed Tak positions.

The positions come from seeded random play (a start, an opening and middle games), so every
run searches the same ones; the figures say how much work "depth D" is for each evaluation
and size, which is what a strength figure against `alphabeta:D` stands on.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass

from pyzero.games import make
from pyzero.players.alphabeta import alphabeta_name, alphabeta_search

BENCH_SIZES = (5, 6)
BENCH_DEPTHS = (1, 2, 3, 4)
BENCH_EVALUATIONS = ("simple", "road")
POSITIONS_PER_SIZE = 8


@dataclass(frozen=True)
class AlphaBetaBenchResult:
    player: str
    """The yardstick's spec: alphabeta:3, alphabeta-simple:3."""
    size: int
    positions: int
    mean_nodes: float
    """Per move (per search), every iteration of the iterative deepening counted."""
    max_nodes: int
    mean_seconds: float
    max_seconds: float
    nodes_per_second: float


def random_unfinished_positions(game, count: int, rng: random.Random, first_plies: int, last_plies: int) -> list:
    """`count` unfinished positions of `game`, each after a uniformly random number of
    random plies in [first_plies, last_plies) (a game that ends first is drawn again)."""
    positions = []
    while len(positions) < count:
        state = game.new()
        for _ in range(rng.randrange(first_plies, last_plies)):
            if state.is_terminal():
                break
            state.play(rng.choice(state.legal_moves()))
        if not state.is_terminal():
            positions.append(state)
    return positions


def bench_positions(size: int, count: int = POSITIONS_PER_SIZE, seed: int = 0) -> list:
    """`count` unfinished Tak positions of `size`, from seeded random play of 4 to 40 plies."""
    return random_unfinished_positions(make("tak", size=size), count, random.Random(seed * 1000 + size), 4, 41)


def run_alphabeta_benchmark(sizes=BENCH_SIZES, depths=BENCH_DEPTHS, evaluations=BENCH_EVALUATIONS
                            ) -> list[AlphaBetaBenchResult]:
    """Searches every position of each size once per evaluation and depth (one thread)."""
    results = []
    for size in sizes:
        positions = bench_positions(size)
        for evaluation in evaluations:
            for depth in depths:
                searches = [alphabeta_search(state, depth, 0.0, seed=index, evaluation=evaluation)
                            for index, state in enumerate(positions)]
                nodes = [search.nodes for search in searches]
                seconds = [search.seconds for search in searches]
                results.append(AlphaBetaBenchResult(
                    player=alphabeta_name(evaluation, depth), size=size, positions=len(positions),
                    mean_nodes=statistics.fmean(nodes), max_nodes=max(nodes),
                    mean_seconds=statistics.fmean(seconds), max_seconds=max(seconds),
                    nodes_per_second=sum(nodes) / max(sum(seconds), 1e-9)))
    return results
