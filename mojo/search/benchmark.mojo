"""Search throughput without a network: Gumbel searches with the uniform evaluator,
on one thread or many (pthreads, each with its own searches), for `pyzero bench search`."""

from std.ffi import external_call, c_int
from std.time import perf_counter_ns

from mojo.game import Game
from mojo.search.gumbel import GumbelSearch, GumbelConfig


struct SearchBenchmarkJob[G: Game](Movable):
    var root: List[Self.G]
    var config: GumbelConfig
    var simulations: Int
    var searches: Int
    var seed: Int
    var simulations_done: Int

    def __init__(out self, root: Self.G, config: GumbelConfig, simulations: Int, searches: Int, seed: Int):
        self.root = List[Self.G]()
        self.root.append(root.copy())
        self.config = config.copy()
        self.simulations = simulations
        self.searches = searches
        self.seed = seed
        self.simulations_done = 0


def run_uniform_searches[G: Game](mut job: SearchBenchmarkJob[G]):
    var search = GumbelSearch[G](job.root[0].copy(), job.config)
    for index in range(job.searches):
        search.set_root(job.root[0].copy())
        search.start(job.simulations, UInt64(job.seed * 1_000_003 + index))
        while search.collect():
            for request in range(search.core.num_requests()):
                search.core.receive_uniform(request, 0)
            search.core.backup()
        job.simulations_done += Int(search.core.tree.visit_count[0]) - 1


def _search_thread[G: Game](argument: Int) abi("C") -> Int:
    var job = Pointer[SearchBenchmarkJob[G], MutAnyOrigin](unsafe_from_address=argument)
    run_uniform_searches(job[])
    return 0


def benchmark_uniform_search[G: Game](
    root: G, config: GumbelConfig, simulations: Int, searches_per_thread: Int, threads: Int
) raises -> Tuple[Int, Float64]:
    """Runs `threads` x `searches_per_thread` searches; returns (simulations, seconds)."""
    var jobs = List[SearchBenchmarkJob[G]]()
    for thread in range(threads):
        jobs.append(SearchBenchmarkJob[G](root, config, simulations, searches_per_thread, thread))
    var started = perf_counter_ns()
    if threads == 1:
        run_uniform_searches(jobs[0])
    else:
        var thread_ids = List[UInt64](length=threads, fill=0)
        for thread in range(threads):
            var status = external_call["pthread_create", c_int](
                Int(thread_ids.unsafe_ptr().unsafe_offset(thread)), 0, _search_thread[G], Int(jobs.unsafe_ptr().unsafe_offset(thread))
            )
            if status != 0:
                raise Error(String("pthread_create failed with status ", status))
        for thread in range(threads):
            _ = external_call["pthread_join", c_int](thread_ids[thread], 0)
    var seconds = Float64(perf_counter_ns() - started) / 1e9
    var total = 0
    for thread in range(threads):
        total += jobs[thread].simulations_done
    _ = jobs^
    return (total, seconds)


@fieldwise_init
struct TreeReuseMeasurement(Copyable, Movable):
    var moves: Int
    var evaluations_with_reuse: Int
    var evaluations_without_reuse: Int
    var seconds_with_reuse: Float64
    var seconds_without_reuse: Float64
    var compaction_seconds: Float64
    var nodes_kept: Int  # summed over moves
    var visits_kept: Int  # root visits carried into the next search, summed over moves


def measure_tree_reuse[G: Game](root: G, config: GumbelConfig, simulations: Int, moves: Int) -> TreeReuseMeasurement:
    """Plays `moves` moves from `root` twice with uniform-evaluator searches: keeping the
    played subtree (compaction) and rebuilding the tree every move. Evaluations stand for
    network calls, which reuse saves; seconds are search time without a network."""
    var result = TreeReuseMeasurement(0, 0, 0, 0, 0, 0, 0, 0)
    for reuse in range(2):
        var search = GumbelSearch[G](root.copy(), config)
        var started = perf_counter_ns()
        var played = 0
        while played < moves and not search.core.root_state()[].is_terminal():
            search.start(simulations, UInt64(played))
            while search.collect():
                for request in range(search.core.num_requests()):
                    search.core.receive_uniform(request, 0)
                search.core.backup()
            var action = search.chosen_action()
            if reuse == 1:
                var compaction_started = perf_counter_ns()
                search.advance(action)
                result.compaction_seconds += Float64(perf_counter_ns() - compaction_started) / 1e9
                result.nodes_kept += search.core.tree.size()
                result.visits_kept += Int(search.core.tree.visit_count[0])
            else:
                var next_root = search.core.root_state()[].copy()
                next_root.apply(action)
                search.set_root(next_root^)
            played += 1
        var seconds = Float64(perf_counter_ns() - started) / 1e9
        if reuse == 1:
            result.evaluations_with_reuse = search.core.evaluations
            result.seconds_with_reuse = seconds
        else:
            result.evaluations_without_reuse = search.core.evaluations
            result.seconds_without_reuse = seconds
        result.moves = played
    return result^
