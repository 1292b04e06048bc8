"""`pyzero bench search` and `pyzero bench graph`: search speed without a network (the
uniform evaluator), tree reuse, the graph search's threads and the evaluations its
transpositions save."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from pyzero.games import make


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


@dataclass(frozen=True)
class GraphWorkload:
    game: str
    options: dict
    opening_plies: int  # random plies (fixed seed) to reach a middle-game position


GRAPH_WORKLOADS = (
    GraphWorkload("connect4", {}, opening_plies=10),
    GraphWorkload("tak", {"size": 6}, opening_plies=16),
)


@dataclass
class GraphThroughputResult:
    game: str
    options: dict
    evaluator: str
    threads: int
    simulations: int
    seconds: float
    simulations_per_second: float


@dataclass
class TranspositionResult:
    game: str
    options: dict
    evaluator: str
    simulations: int
    evaluations_tree: int  # the same search with transpositions off (every node new)
    evaluations_graph: int
    transposition_links: int  # edges whose first traversal found the position in the graph
    saved_percent: float  # 1 - graph / tree evaluations (the two searches may take different paths)
    found_in_graph_percent: float  # links / (links + evaluations): new edges that needed no evaluation


def middle_game_position(workload: GraphWorkload, seed: int = 0):
    """The position after `opening_plies` uniformly random plies (replayed until one does
    not end the game early)."""
    import random

    game = make(workload.game, **workload.options)
    rng = random.Random(seed)
    while True:
        state = game.new()
        for _ in range(workload.opening_plies):
            if state.is_terminal():
                break
            state.apply_action(rng.choice(state.legal_actions()))
        if not state.is_terminal():
            return state


def _untrained_network_evaluator(game_name: str, options: dict):
    """The search evaluator of an untrained network of the default size (NetworkSection)
    on the CPU, without a cache: what a network costs per batch, whatever its weights."""
    from pyzero.config import InferenceSection, RunConfig
    from pyzero.inference import make_inference
    from pyzero.model import build_model

    config = RunConfig.model_validate({"game": {"name": game_name, "options": options}})
    model = build_model(config, make(game_name, **options))
    # Torch's CPU threads as play sets them (one search at a time), as NetworkPlayer does.
    return make_inference(model.eval(), InferenceSection(cache_entries=0), search_threads=True).evaluator


def run_graph_benchmark(workloads=GRAPH_WORKLOADS, thread_counts=(1, 2, 4), simulations: int = 4000,
                        uniform_simulations: int = 20000, network_simulations: int = 512,
                        transposition_simulations=(1000, 10000), graph=None) -> dict:
    """The graph search (search.graph: `graph`, default the config's defaults): simulations
    per second at 1, 2 and 4 threads on one search, with the uniform evaluator, with 4
    random rollouts per leaf (an evaluator with real cost, which the threads share) and with
    an untrained network of the default size (0 network simulations: skipped), and the
    evaluations that transpositions save (graph against the same search with every key
    distinct) from a middle-game position."""
    from pyzero.search import GraphOptions, GraphSearcher, PuctOptions

    graph_options = graph or GraphOptions()

    puct = PuctOptions(dirichlet_fraction=0, temperature=0)
    throughput, transpositions = [], []
    for workload in workloads:
        state = middle_game_position(workload)
        evaluators = [("uniform", "uniform", uniform_simulations), (("rollout", 4), "rollout x4", simulations)]
        if network_simulations > 0:
            evaluators.append((_untrained_network_evaluator(workload.game, workload.options), "network (untrained)",
                               network_simulations))
        for evaluator, name, count in evaluators:
            GraphSearcher(state, puct, graph_options).run(32, evaluator, seed=1)  # warm-up: a network's first calls are slow
            for threads in thread_counts:
                searcher = GraphSearcher(state, puct, graph_options.model_copy(update={"threads": threads}))
                started = time.perf_counter()
                result = searcher.run(count, evaluator, seed=0)
                seconds = time.perf_counter() - started
                done = result.root_visits - 1
                throughput.append(GraphThroughputResult(workload.game, workload.options, name, threads, done, seconds,
                                                        done / seconds))
        for evaluator, name in (("uniform", "uniform"), (("rollout", 1), "rollout x1")):
            for count in transposition_simulations:
                runs = {}
                for shared in (False, True):
                    searcher = GraphSearcher(state, PuctOptions(dirichlet_fraction=0, temperature=0,
                                                                leaves_per_batch=1),
                                             graph_options.model_copy(update={"transpositions": shared, "threads": 1}))
                    runs[shared] = searcher.run(count, evaluator, seed=0)
                tree, graph = runs[False].evaluations, runs[True].evaluations
                links = int(runs[True].extras["transposition_links"])
                transpositions.append(TranspositionResult(workload.game, workload.options, name, count, tree, graph,
                                                          links, 100.0 * (1 - graph / max(tree, 1)),
                                                          100.0 * links / max(links + graph, 1)))
    return {"throughput": [asdict(r) for r in throughput], "transpositions": [asdict(r) for r in transpositions]}


