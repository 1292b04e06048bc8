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


@dataclass
class SelfPlayBenchmarkResult:
    game: str
    options: dict
    network: str
    backend: str
    batch_size: int
    concurrent_games: int
    workers: int
    simulations: int
    device: str
    torch_threads: int
    inference_evaluations_per_second: float  # (a) the network alone, full batches
    selfplay_evaluations_per_second: float  # (b)
    positions_per_second: float
    games_per_second: float
    efficiency: float  # (c) = (b) / (a)
    mean_batch_fill: float  # (d)
    cache_hit_rate: float
    network_wait_fraction: float  # share of the run the network thread waited for a batch
    worker_idle_fraction: float
    buffer_full_waits: int
    seconds: float


def measure_inference(backend, input_shape, batch_size: int, seconds: float = 2.0) -> float:
    """Evaluations per second of the backend alone on full batches (the network's limit)."""
    import torch

    inputs = torch.rand((batch_size, *input_shape)).round()
    logits = torch.empty((batch_size, backend.model.shape.num_actions))
    values = torch.empty((batch_size,))
    for _ in range(3):
        backend.evaluate_into(inputs, logits, values)
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        backend.evaluate_into(inputs, logits, values)
        count += 1
    return count * batch_size / (time.perf_counter() - started)


def run_selfplay_benchmark(game_name: str = "connect4", game_options: dict | None = None, blocks: int = 4,
                           channels: int = 32, batch_size: int = 128, games: int | None = None, workers: int = 1,
                           simulations: int = 64, seconds: float = 6.0, device: str = "cpu",
                           cache_entries: int = 0, backend_name: str = "torch") -> SelfPlayBenchmarkResult:
    """(a) raw inference throughput of a ResNet at `batch_size`, (b) self-play with the same
    network, (c) their ratio, (d) batch fill, cache hit rate and waits, in one run."""
    import torch

    from pyzero.inference import BackendOptions, configure_cpu_threads, make_backend
    from pyzero.network import NetworkShape, ResNet
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    game_options = game_options or {}
    game = make(game_name, **game_options)
    torch.manual_seed(0)
    model = ResNet(NetworkShape.of_game(game), blocks=blocks, channels=channels)
    backend = make_backend(model, backend_name, BackendOptions(device=device))
    # Raw inference with the same torch threads self-play will give it (see inference.py).
    torch_threads = configure_cpu_threads([backend], workers)
    inference_rate = measure_inference(backend, game.input_shape, batch_size)
    options = SelfPlayOptions(games=games or 3 * batch_size, workers=workers, batch_size=batch_size,
                              simulations=simulations, cache_entries=cache_entries, max_game_plies=400)
    selfplay = SelfPlay(game, [backend], options)
    selfplay.start()
    time.sleep(1.0)  # warm up: fill the trees and the buffers
    before = selfplay.counters()
    started = time.perf_counter()
    time.sleep(seconds)
    after = selfplay.counters()
    elapsed = time.perf_counter() - started
    selfplay.stop()
    delta = {key: after[key] - before[key] for key in after}
    evaluations_rate = delta["evaluations"] / elapsed
    lookups = max(delta["cache_lookups"], 1)
    return SelfPlayBenchmarkResult(
        game_name, game_options, f"resnet {blocks}x{channels}", backend_name, batch_size, options.games, workers, simulations, device,
        torch_threads, inference_rate, evaluations_rate, delta["positions"] / elapsed, delta["games_finished"] / elapsed,
        evaluations_rate / inference_rate, delta["evaluations"] / max(delta["batches"] * batch_size, 1),
        delta["cache_hits"] / lookups if delta["cache_lookups"] else 0.0,
        delta["network_wait_seconds"] / elapsed, delta["worker_idle_seconds"] / (elapsed * workers),
        delta["buffer_full_waits"], elapsed)
