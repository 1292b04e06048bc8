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


@dataclass(frozen=True)
class SearchWorkload:
    game: str
    options: dict
    simulations: int  # per search (one move's search)
    searches: int  # per thread


SEARCH_WORKLOADS = (
    SearchWorkload("connect4", {}, simulations=200, searches=5000),
    SearchWorkload("tak", {"size": 6}, simulations=200, searches=500),
)


@dataclass
class SearchBenchmarkResult:
    game: str
    options: dict
    simulations_per_search: int
    threads: int
    simulations: int
    seconds: float
    simulations_per_second: float


def run_search_benchmark(workloads=SEARCH_WORKLOADS, thread_counts: tuple[int, ...] | None = None) -> list[SearchBenchmarkResult]:
    """Gumbel search with the uniform evaluator (no network): simulations per second,
    on one thread and on every core (independent searches per thread)."""
    import os

    from pyzero.search import GumbelOptions, GumbelSearcher

    cores = os.cpu_count() or 1
    thread_counts = thread_counts or tuple(sorted({1, cores}))
    results = []
    for workload in workloads:
        state = make(workload.game, **workload.options).new()
        searcher = GumbelSearcher(state, GumbelOptions())
        searcher._raw.benchmark_uniform(workload.simulations, 1, 1)  # warm-up
        for threads in thread_counts:
            simulations, seconds = searcher._raw.benchmark_uniform(workload.simulations, workload.searches, threads)
            results.append(SearchBenchmarkResult(workload.game, workload.options, workload.simulations, threads,
                                                 simulations, seconds, simulations / seconds))
    return results


@dataclass
class TreeReuseResult:
    game: str
    options: dict
    simulations_per_move: int
    moves: int
    mean_visits_kept_per_move: float  # root visits the next search starts with
    mean_nodes_kept_per_move: float
    compaction_microseconds_per_move: float
    search_seconds_with_reuse: float
    search_seconds_without_reuse: float
    evaluations_with_reuse: int
    evaluations_without_reuse: int


def run_tree_reuse_benchmark(workloads=SEARCH_WORKLOADS, moves: int = 60, simulations: int = 400) -> list[TreeReuseResult]:
    """Keeping the played subtree (compaction) against rebuilding the tree every move."""
    from pyzero.search import GumbelSearcher

    results = []
    for workload in workloads:
        searcher = GumbelSearcher(make(workload.game, **workload.options).new())
        m = searcher._raw.measure_tree_reuse(simulations, moves)
        played = max(m["moves"], 1)
        results.append(TreeReuseResult(
            workload.game, workload.options, simulations, m["moves"], m["visits_kept"] / played,
            m["nodes_kept"] / played, m["compaction_seconds"] / played * 1e6, m["seconds_with_reuse"],
            m["seconds_without_reuse"], m["evaluations_with_reuse"], m["evaluations_without_reuse"]))
    return results
