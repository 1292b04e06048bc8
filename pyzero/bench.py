"""Benchmarks. `pyzero bench perft`: move-generation speed of every game, in leaf nodes/s."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from pyzero.games import make


@dataclass(frozen=True)
class PerftWorkload:
    game: str
    options: dict
    depth: int
    repeat: int = 1  # tiny trees are repeated so the timing is not all call overhead
    position: str = ""  # in the game's notation; empty: the initial position
    position_name: str = "initial"
    bulk_count: bool = True  # False: every last-ply move is played and hashed


KIWIPETE_FEN = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1"

PERFT_WORKLOADS = (
    PerftWorkload("tictactoe", {}, depth=9, repeat=20),
    PerftWorkload("connect4", {}, depth=10),
    PerftWorkload("tak", {"size": 5}, depth=5),
    PerftWorkload("tak", {"size": 6}, depth=4, repeat=10),
    PerftWorkload("tak", {"size": 6}, depth=5),
    # Chess perft counts play on through draws by rule, as published counts do. Deep enough
    # (119 M and 194 M leaves) that Stockfish's `go perft`, run beside them, is not timing
    # its own start-up.
    PerftWorkload("chess", {"rule_draws": 0}, depth=6),
    PerftWorkload("chess", {"rule_draws": 0}, depth=5, position=KIWIPETE_FEN, position_name="kiwipete"),
    PerftWorkload("chess", {"rule_draws": 0}, depth=5, bulk_count=False),
    PerftWorkload("chess", {"rule_draws": 0}, depth=4, position=KIWIPETE_FEN, position_name="kiwipete",
                  bulk_count=False),
)

# Positions Stockfish perfts beside ours (same depths as the bulk-counted chess workloads).
STOCKFISH_PERFT_WORKLOADS = tuple(w for w in PERFT_WORKLOADS if w.game == "chess" and w.bulk_count)


@dataclass
class PerftResult:
    game: str
    options: dict
    depth: int
    nodes: int
    seconds: float
    nodes_per_second: float
    position: str = "initial"
    bulk_count: bool = True
    engine: str = "pyzero"


def run_perft_benchmark(workloads=PERFT_WORKLOADS, stockfish_workloads=STOCKFISH_PERFT_WORKLOADS
                        ) -> list[PerftResult]:
    """Times perft from each workload's position (one thread), then Stockfish's `go perft`
    on `stockfish_workloads` where a `stockfish` is installed (the reference the chess
    rows are compared with, measured in the same run)."""
    results = []
    for workload in workloads:
        game = make(workload.game, **workload.options)
        state = game.from_position(workload.position) if workload.position else game.new()
        state.perft(min(workload.depth, 3), bulk_count=workload.bulk_count)  # warm caches before timing
        started = time.perf_counter()
        for _ in range(workload.repeat):
            nodes = state.perft(workload.depth, bulk_count=workload.bulk_count)
        seconds = time.perf_counter() - started
        total = nodes * workload.repeat
        results.append(
            PerftResult(workload.game, workload.options, workload.depth, nodes, seconds, total / seconds,
                        workload.position_name, workload.bulk_count)
        )
    executable = find_stockfish()
    if executable is not None:
        for workload in stockfish_workloads:
            nodes, seconds, name = stockfish_perft(executable, workload.position, workload.depth)
            results.append(PerftResult("chess", {}, workload.depth, nodes, seconds, nodes / seconds,
                                       workload.position_name, True, name))
    return results


def find_stockfish() -> str | None:
    """`stockfish` on PATH, else Debian's /usr/games/stockfish, else None."""
    import shutil

    return shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")


def stockfish_perft(executable: str, fen: str, depth: int, timeout_s: float = 600.0) -> tuple[int, float, str]:
    """(nodes, seconds, engine name) of Stockfish's `go perft DEPTH` from `fen` (empty: the
    start position), one thread, through the arena's UCI client. The time runs from sending
    `go perft` to reading its `Nodes searched` line, so the process's start-up and the
    option exchange are not in it; Stockfish's perft bulk-counts the last ply, as ours does."""
    from pyzero.engines.uci import UciEngine

    with UciEngine([executable], options={"Threads": "1"}) as engine:
        engine.send(f"position fen {fen}" if fen else "position startpos")
        engine.wait_until_ready()
        started = time.perf_counter()
        engine.send(f"go perft {depth}")
        deadline = time.monotonic() + timeout_s
        line = ""
        while not line.startswith("Nodes searched:"):
            line = engine.read_line(deadline - time.monotonic(), "Nodes searched")
        seconds = time.perf_counter() - started
        return int(line.split(":")[1]), seconds, engine.name


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


@dataclass
class SelfPlayBenchmarkResult:
    game: str
    options: dict
    network: str
    backend: str  # the backend that ran (what inference.backend resolved to)
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
    network_wait_fraction: float  # share of the run the network threads waited for a batch (their mean)
    worker_idle_fraction: float
    buffer_full_waits: int
    seconds: float
    config: str | None = None  # the run config measured (None: the built-in default)
    # (a) for every installed backend at the same batch size and threads, with the ratio
    # to PyTorch eager: [{"backend", "evaluations_per_second", "ratio_to_torch"}, ...]
    backends: list[dict] = field(default_factory=list)
    backend_setting: str = "auto"  # the config's inference.backend ("auto" picks `backend`)
    ratio_to_torch: float | None = None  # (a) over PyTorch eager's (a), same run
    fastest_backend: str | None = None  # of `backends` in this run: where auto should point
    network_threads: int = 1  # batches evaluated at once per network, in (a) and in (b)
    # (a) is the mean of the raw windows, taken before, between and after (b)'s windows;
    # before/after: the first and the last of them.
    inference_evaluations_per_second_before: float | None = None
    inference_evaluations_per_second_after: float | None = None
    inference_evaluations_per_second_windows: list[float] = field(default_factory=list)
    selfplay_windows: int = 1  # (b) is measured in this many windows, between raw ones
    worker_priority: str = "normal"  # selfplay.worker_priority
    idle_priority_workers: int = 0  # workers that ran under the idle policy (0 where it is refused)
    # The workers' own cost, against a network that answers at once (`measure_workers_alone`).
    worker_microseconds_per_evaluation: float | None = None


def measure_inference(backend, input_shape, num_actions: int, batch_size: int, seconds: float = 2.0,
                      network_threads: int = 1) -> float:
    """Evaluations per second of the backend alone on full batches (the network's limit),
    with `network_threads` threads each evaluating its own batch at a time, as self-play's
    network threads do (selfplay.network_threads)."""
    import threading

    import torch

    pin = bool(backend.pin_memory)

    def buffers():
        inputs = torch.rand((batch_size, *input_shape)).round()
        inputs = inputs.pin_memory() if pin else inputs
        return (inputs, torch.empty((batch_size, num_actions), pin_memory=pin),
                torch.empty((batch_size,), pin_memory=pin))

    per_thread = [buffers() for _ in range(max(1, network_threads))]
    for arguments in per_thread:
        for _ in range(3):
            backend.evaluate_into(*arguments)
    counts = [0] * len(per_thread)
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(per_thread) + 1)
    deadline = [0.0]

    def loop(index: int) -> None:
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                backend.evaluate_into(*per_thread[index])
                counts[index] += 1
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            failures.append(error)

    threads = [threading.Thread(target=loop, args=(index,), daemon=True) for index in range(len(per_thread))]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(counts) * batch_size / (time.perf_counter() - started)


def compare_backends(model, config, batch_size: int, input_shape, num_actions: int, measured: dict[str, float],
                     seconds: float = 2.0) -> list[dict]:
    """Raw evaluations/s of every installed backend (inference.backend's names) on the
    config's device and batch size, each with the CPU threads self-play would give it;
    `measured` holds rates already taken (the config's own backend). The ratio is to
    PyTorch eager (torch without compile). A backend that cannot run here (say, no CUDA
    provider) is listed with its error instead of a rate."""
    from pyzero.inference import configure_cpu_threads, installed_backends, make_backend

    rates: dict[str, float] = dict(measured)
    errors: dict[str, str] = {}
    names = list(installed_backends())
    for name in names:
        if name in rates:
            continue
        options = config.inference.model_copy(update={"backend": name, "compile": False})
        try:
            backend = make_backend(model, options)
        except Exception as error:  # noqa: BLE001 - reported in the result, the benchmark goes on
            errors[name] = str(error)
            continue
        configure_cpu_threads([backend], config.selfplay.workers, config.selfplay.network_threads)
        rates[name] = measure_inference(backend, input_shape, num_actions, batch_size, seconds,
                                        config.selfplay.network_threads)
    torch_rate = rates.get("torch")
    return [{"backend": name, "evaluations_per_second": rates.get(name),
             "ratio_to_torch": rates[name] / torch_rate if name in rates and torch_rate else None,
             **({"error": errors[name]} if name in errors else {})} for name in names]


class InstantBackend:
    """A backend that answers every batch at once with fixed logits and values (drawn
    once from a seeded generator): self-play against it runs at the speed of its workers
    alone, which `measure_workers_alone` reports. Not a network: for benchmarks only."""

    name = "instant"
    pin_memory = False

    def __init__(self, options, batch_size: int, num_actions: int, seed: int = 0):
        import torch

        self.device = torch.device("cpu")
        self.options = options
        generator = torch.Generator().manual_seed(seed)
        self.logits = torch.randn((batch_size, num_actions), generator=generator)
        self.values = torch.rand((batch_size,), generator=generator) * 2 - 1

    def evaluate_into(self, inputs, logits_out, values_out) -> None:
        count = inputs.shape[0]
        logits_out.copy_(self.logits[:count])
        values_out.copy_(self.values[:count])

    def load_state_dict(self, state: dict) -> None:
        pass


def measure_workers_alone(game, config, seconds: float) -> float:
    """Microseconds of worker time per evaluation: the config's self-play (games, workers,
    simulations, cache, worker priority) against `InstantBackend`, so the network costs
    nothing and the workers' own speed sets the rate (workers x seconds / evaluations).
    Independent of the network and far less noisy than (c): the number to lower when
    efficiency falls short because the network waits for batches."""
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    options = SelfPlayOptions.from_config(config, seed=config.training.seed)
    backend = InstantBackend(config.inference, options.batch_size, game.num_actions)
    before, after, elapsed = _counters_over(SelfPlay(game, [backend], options), 0.5, seconds)
    evaluations = after["evaluations"] - before["evaluations"]
    return 1e6 * options.workers * elapsed / max(evaluations, 1)


def _counters_over(selfplay, warmup_seconds: float, seconds: float) -> tuple[dict, dict, float]:
    """Starts `selfplay`, lets it warm up (trees and buffers fill), and returns its
    counters at the start and the end of the next `seconds` and the seconds between;
    stops it whatever happens."""
    selfplay.start()
    try:
        time.sleep(warmup_seconds)
        before = selfplay.counters()
        started = time.perf_counter()
        time.sleep(seconds)
        after = selfplay.counters()
        return before, after, time.perf_counter() - started
    finally:
        selfplay.stop()


def default_benchmark_config():
    """What `pyzero bench selfplay` measures without a config: Connect4, ResNet 4x32, batch
    128, 384 games, 64 simulations, no cache (the pipeline's own overhead, nothing hidden)."""
    from pyzero.config import RunConfig

    return RunConfig.model_validate({
        "game": {"name": "connect4"}, "network": {"blocks": 4, "channels": 32},
        "search": {"simulations": 64}, "selfplay": {"games": 384, "batch_size": 128, "max_game_plies": 400},
        "inference": {"cache_entries": 0}})


def run_selfplay_benchmark(config=None, seconds: float = 6.0) -> SelfPlayBenchmarkResult:
    """(a) raw inference throughput of the config's network at its self-play batch size,
    (b) self-play as the config trains it (games, workers, simulations, cache, backend,
    device), (c) their ratio, (d) batch fill, cache hit rate and waits, in one run; and
    (a) for every installed backend beside the config's, with ratios to PyTorch eager."""
    import torch

    from pyzero.config import compile_enabled, make_game_from_config
    from pyzero.inference import configure_cpu_threads, make_backend
    from pyzero.model import build_model
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    config = config or default_benchmark_config()
    game = make_game_from_config(config)
    torch.manual_seed(0)
    model = build_model(config, game)
    backend = make_backend(model, config.inference)
    selfplay_section, batch_size = config.selfplay, config.selfplay.batch_size
    # (a) and (b) alternate: raw, self-play, raw, ..., raw, about 2 s of self-play a
    # window, and (c) divides by the mean raw rate. A shared machine's speed drifts by up
    # to 12% within a minute; with one raw rate before and one after a 10-s self-play,
    # (c) moved from 0.90 to 1.07 between identical runs.
    windows = max(1, min(8, round(seconds / 2)))
    raw_seconds = max(1.0, seconds / (windows + 1))

    def raw_rate() -> float:
        # With the threads self-play will give the backend (see inference/backend.py).
        configure_cpu_threads([backend], selfplay_section.workers, selfplay_section.network_threads)
        return measure_inference(backend, game.input_shape, game.num_actions, batch_size, raw_seconds,
                                 network_threads=selfplay_section.network_threads)

    raw_rates = [raw_rate()]
    # The rate just taken stands for its backend, unless it was torch.compile (the
    # comparison's "torch" is eager).
    compiled_torch = backend.name == "torch" and compile_enabled(config.inference.compile, config.inference.device)
    backends = compare_backends(model, config, batch_size, game.input_shape, game.num_actions,
                                {} if compiled_torch else {backend.name: raw_rates[0]},
                                seconds=min(2.0, max(0.25, seconds / 3)))
    torch_threads = configure_cpu_threads([backend], selfplay_section.workers,  # the comparison set others
                                          selfplay_section.network_threads)
    options = SelfPlayOptions.from_config(config, seed=config.training.seed)
    selfplay = SelfPlay(game, [backend], options)
    delta: dict = {}
    elapsed = 0.0
    for window in range(windows):
        # The first start warms the trees and buffers up; a restart resumes the same games.
        before, after, window_seconds = _counters_over(selfplay, 1.0 if window == 0 else 0.25, seconds / windows)
        delta = {key: delta.get(key, 0) + after[key] - before[key] for key in after}
        elapsed += window_seconds
        raw_rates.append(raw_rate())
    worker_microseconds = measure_workers_alone(game, config, min(3.0, max(0.5, seconds / 3)))
    inference_rate = sum(raw_rates) / len(raw_rates)
    for entry in backends:  # the config's backend: the mean of its windows
        if entry["backend"] == backend.name and not compiled_torch:
            entry["evaluations_per_second"] = inference_rate
    evaluations_rate = delta["evaluations"] / elapsed
    lookups = max(delta["cache_lookups"], 1)
    network = config.network
    torch_rate = next((entry["evaluations_per_second"] for entry in backends if entry["backend"] == "torch"), None)
    for entry in backends:
        if entry["evaluations_per_second"] and torch_rate:
            entry["ratio_to_torch"] = entry["evaluations_per_second"] / torch_rate
    rates = {entry["backend"]: entry["evaluations_per_second"] for entry in backends if entry["evaluations_per_second"]}
    return SelfPlayBenchmarkResult(
        config.game.name, dict(config.game.options), f"resnet {network.blocks}x{network.channels}",
        backend.name, batch_size, options.games, options.workers, options.simulations,
        config.inference.device, torch_threads, inference_rate, evaluations_rate, delta["positions"] / elapsed,
        delta["games_finished"] / elapsed, evaluations_rate / inference_rate,
        delta["evaluations"] / max(delta["batches"] * batch_size, 1),
        delta["cache_hits"] / lookups if delta["cache_lookups"] else 0.0,
        delta["network_wait_seconds"] / (elapsed * options.network_threads),
        delta["worker_idle_seconds"] / (elapsed * options.workers),
        delta["buffer_full_waits"], elapsed, str(config.path) if config.path else None, backends,
        config.inference.backend, inference_rate / rates["torch"] if rates.get("torch") else None,
        max(rates, key=rates.get) if rates else None, options.network_threads,
        raw_rates[0], raw_rates[-1], raw_rates, windows, options.worker_priority,
        int(after["idle_priority_workers"]),  # read while the workers ran
        worker_microseconds)


@dataclass
class TeiMoveResult:
    size: int
    new_game_seconds: float  # HalfKomi, `teinewgame N`, `isready` until `readyok` (the engine for N is made here)
    go_seconds: float  # `go movetime M` until `bestmove`, as the GUI sees it
    resident_bytes: int  # the engine's resident memory after the move (Linux; 0 elsewhere)


@dataclass
class TeiBenchmarkResult:
    config: str
    movetime_ms: int
    moves: list[TeiMoveResult]
    peak_resident_bytes: int  # the engine process's high-water mark over the session
    max_go_seconds: float


def _process_memory(pid: int) -> tuple[int, int]:
    """(resident, peak resident) bytes of a live process from /proc; (0, 0) without /proc."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
    except OSError:
        return 0, 0
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def run_tei_benchmark(config_path: str, sizes=range(3, 9), movetime_ms: int = 300,
                      overrides: dict | None = None) -> TeiBenchmarkResult:
    """One `pyzero tei CONFIG` session that plays a move of every board size in `sizes`
    (a new game with the config's komi, then `go movetime M` after `a1`), driven by the
    arena's TEI client as a GUI would: the time each answer takes and the engine's
    resident memory, after each move and at peak. An engine for another size than the
    config's is untrained (when the run has no checkpoint) but as large as a trained one,
    so the memory is what a real session costs. `overrides` are config keys, as `--set`.
    An engine that fails or times out raises `TeiEngineError`."""
    import json
    import sys

    from pyzero.config import load_config
    from pyzero.engines.tei import TeiEngine

    overrides = overrides or {}
    komi = load_config(config_path, overrides).game.options.get("komi", 0.0)
    command = [sys.executable, "-m", "pyzero", "tei", str(config_path)]
    for key, value in overrides.items():
        command += ["--set", f"{key}={json.dumps(value)}"]  # JSON is YAML, what --set reads
    moves = []
    peak = 0
    with TeiEngine(command, movetime_ms=movetime_ms) as engine:
        for size in sizes:
            state = make("tak", size=size, komi=komi).play_moves(["a1"])
            started = time.perf_counter()
            engine.new_game(size, int(round(2 * komi)))
            new_game = time.perf_counter() - started
            started = time.perf_counter()
            engine.choose(state)
            go = time.perf_counter() - started
            resident, peak = _process_memory(engine.process.pid)
            moves.append(TeiMoveResult(size, new_game, go, resident))
    return TeiBenchmarkResult(str(config_path), movetime_ms, moves, peak, max(m.go_seconds for m in moves))
