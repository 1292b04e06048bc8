"""Benchmarks. `pyzero bench perft`: move-generation speed of every game, in leaf nodes/s."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from pyzero.games import make


@dataclass(frozen=True)
class PerftWorkload:
    game: str
    options: dict
    depth: int
    repeat: int = 1  # tiny trees are repeated so the timing is not all call overhead


PERFT_WORKLOADS = (
    PerftWorkload("tictactoe", {}, depth=9, repeat=20),
    PerftWorkload("connect4", {}, depth=10),
    PerftWorkload("tak", {"size": 5}, depth=5),
    PerftWorkload("tak", {"size": 6}, depth=4, repeat=10),
    PerftWorkload("tak", {"size": 6}, depth=5),
)


@dataclass
class PerftResult:
    game: str
    options: dict
    depth: int
    nodes: int
    seconds: float
    nodes_per_second: float


def run_perft_benchmark(workloads=PERFT_WORKLOADS) -> list[PerftResult]:
    """Times perft from the initial position of each workload (one thread)."""
    results = []
    for workload in workloads:
        state = make(workload.game, **workload.options).new()
        state.perft(min(workload.depth, 3))  # warm caches before timing
        started = time.perf_counter()
        for _ in range(workload.repeat):
            nodes = state.perft(workload.depth)
        seconds = time.perf_counter() - started
        total = nodes * workload.repeat
        results.append(
            PerftResult(workload.game, workload.options, workload.depth, nodes, seconds, total / seconds)
        )
    return results


def perft_results_as_json(results: list[PerftResult]) -> dict:
    return {"benchmark": "perft", "results": [asdict(result) for result in results]}
