"""Exposes the searches to Python as `<Name>GumbelSearch` and `<Name>PuctSearch`, for
tests and analysis.

`run` drives the search loop in Mojo with an in-process evaluator: `uniform`, `rollout`
(argument: playouts per leaf), `minimax` (argument: depth) or `python` (argument: a
callable `f(planes[B,C,H,W] float32, legal[B,A] bool) -> (logits[B,A], values[B])`,
called once per batch, for tests with exact evaluators). The self-play pipeline drives
the same loop from worker threads with the network instead.
"""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder

from mojo.game import Game, FloatBuffer
from mojo.python_bindings import GameStateBox
from mojo.search.gumbel import GumbelSearch, GumbelConfig
from mojo.search.puct import PuctSearch, PuctConfig
from mojo.search.core import SearchCore
from mojo.cache.evaluation_cache import EvaluationCache
from mojo.search.gumbel_formulas import (
    SigmaParameters,
    considered_visit_sequence,
    mixed_value,
    completed_q,
    sigma_of_completed_q,
    logits_from_priors,
    improved_policy,
    root_scores,
    halving_scores,
    interior_scores,
    argmax,
)
from mojo.search.random import SplitMix64
from mojo.search.evaluators import BatchEvaluator, random_rollout_value, minimax_value
from mojo.search.anytime import AnytimeLimits, AnytimeOutcome, MonotonicClock, run_anytime
from mojo.search.tree import NO_NODE
from mojo.search.benchmark import benchmark_uniform_search, measure_tree_reuse, TreeReuseMeasurement
from std.python._cpython import GILAcquired, GILReleased


comptime GUMBEL_OPTION_COUNT = 6
"""Fields of GumbelConfig as the config schema names them (pyzero/config.py GumbelSection)."""
comptime PUCT_OPTION_COUNT = 8
"""Fields of PuctConfig (pyzero/config.py PuctSection)."""


def gumbel_config_from_python(options: PythonObject) raises -> GumbelConfig:
    """Every field of the config schema's `search.gumbel` section, each given: the engine
    keeps no defaults of its own (pyzero/config.py is the one definition of each option)."""
    var max_considered_actions = 0
    var gumbel_scale = Float32(0)
    var c_visit = Float32(0)
    var c_scale = Float32(0)
    var rescale = False
    var rounds_per_batch = 0
    var given = 0
    for key_object in options.keys():
        var key = String(key_object)
        var value = options[key_object]
        if key == "max_considered_actions":
            max_considered_actions = Int(py=value)
        elif key == "gumbel_scale":
            gumbel_scale = Float32(Float64(py=value))
        elif key == "c_visit":
            c_visit = Float32(Float64(py=value))
        elif key == "c_scale":
            c_scale = Float32(Float64(py=value))
        elif key == "rescale":
            rescale = Bool(py=value)
        elif key == "rounds_per_batch":
            rounds_per_batch = Int(py=value)
        else:
            raise Error(String("unknown Gumbel search option '", key, "'"))
        given += 1
    if given != GUMBEL_OPTION_COUNT:
        raise Error(
            String(
                "Gumbel search options: got ",
                given,
                " of the ",
                GUMBEL_OPTION_COUNT,
                " fields of the config's search.gumbel section (the engine has no defaults)",
            )
        )
    if max_considered_actions < 1:
        raise Error("max_considered_actions must be at least 1")
    if rounds_per_batch < 0:
        raise Error("rounds_per_batch must be 0 (whole phase) or positive")
    return GumbelConfig(
        max_considered_actions, gumbel_scale, SigmaParameters(c_visit, c_scale, rescale), rounds_per_batch
    )


def gumbel_config_to_python(config: GumbelConfig) raises -> PythonObject:
    """The config as the engine holds it, under the schema's names (for the round-trip test)."""
    var result = Python.dict()
    result["max_considered_actions"] = PythonObject(config.max_considered_actions)
    result["gumbel_scale"] = PythonObject(Float64(config.gumbel_scale))
    result["c_visit"] = PythonObject(Float64(config.sigma.c_visit))
    result["c_scale"] = PythonObject(Float64(config.sigma.c_scale))
    result["rescale"] = PythonObject(config.sigma.rescale)
    result["rounds_per_batch"] = PythonObject(config.rounds_per_batch)
    return result


def py_gumbel_config_round_trip(options: PythonObject) raises -> PythonObject:
    return gumbel_config_to_python(gumbel_config_from_python(options))


def _float_list(values: List[Float32]) raises -> PythonObject:
    var result = Python.list()
    for value in values:
        result.append(PythonObject(Float64(value)))
    return result


def _int_list(values: List[Int]) raises -> PythonObject:
    var result = Python.list()
    for value in values:
        result.append(PythonObject(value))
    return result


# ---------------------------------------------------------------- shared by every search
struct InProcessEvaluator(BatchEvaluator, Movable):
    """Which in-process evaluator answers the batches of one `run` call, and the
    evaluation cache in front of it."""

    var kind: String
    var count_or_depth: Int
    var function: PythonObject
    var python: Python  # taken with the GIL held, to take the GIL again for `python` calls
    var rng: SplitMix64
    var actions: List[Int]
    var cache_address: Int  # from `CacheBox.address`; 0: no cache

    def __init__(out self, kind_object: PythonObject, argument: PythonObject, seed: Int, cache: PythonObject) raises:
        self.kind = String(kind_object)
        if self.kind != "uniform" and self.kind != "rollout" and self.kind != "minimax" and self.kind != "python":
            raise Error(String("unknown evaluator '", self.kind, "' (uniform, rollout, minimax, python)"))
        self.count_or_depth = Int(py=argument) if self.kind == "rollout" or self.kind == "minimax" else 0
        self.function = argument
        self.python = Python()
        self.rng = SplitMix64(UInt64(seed) ^ 0x5DEECE66D)
        self.actions = List[Int]()
        self.cache_address = CacheBox.address(cache)

    def answer_batch[G: Game](mut self, mut core: SearchCore[G]) raises:
        """Answers the core's batch: cache hits first, the evaluator for the rest, whose
        results then go into the cache. Touches no Python object itself (a `python`
        evaluator takes the GIL for its call): callers run it with the GIL released."""
        var uncached = List[Int]()
        if self.cache_address == 0:
            for index in range(core.num_requests()):
                uncached.append(index)
            self.evaluate(core, uncached)
            return
        var cache = Pointer[EvaluationCache, MutAnyOrigin](unsafe_from_address=self.cache_address)
        # Read before the evaluator runs: its results are stored only if no new weights
        # were published meanwhile (`EvaluationCache.advance_version`).
        var version = cache[].version()
        var priors = List[Float32](length=cache[].max_policy_length() + 1, fill=0)
        for index in range(core.num_requests()):
            if not core.answer_from_cache(cache, index, priors):
                uncached.append(index)
        self.evaluate(core, uncached)
        for index in uncached:
            core.store_in_cache(cache, index, priors, version)

    def evaluate[G: Game](mut self, mut core: SearchCore[G], indices: List[Int]) raises:
        """Answers the requests `indices` of the core's current batch. Called with the
        GIL released: a `python` evaluator takes it for its call alone, so other Python
        threads (a TEI reader holding `stop`) run while the tree is searched."""
        if self.kind == "python":
            if len(indices) > 0:
                with GILAcquired(self.python):
                    _evaluate_in_python(core, indices, self.function)
            return
        for index in indices:
            var value: Float32 = 0
            if self.kind == "rollout":
                value = random_rollout_value(core.request_state(index)[], self.rng, self.count_or_depth, self.actions)
            elif self.kind == "minimax":
                value = minimax_value(core.request_state(index)[], self.count_or_depth)
            core.receive_uniform(index, value)


def _evaluate_in_python[G: Game](mut core: SearchCore[G], indices: List[Int], function: PythonObject) raises:
    var numpy = Python.import_module("numpy")
    var count = len(indices)
    if count == 0:
        return
    var shape = core.root_state()[].input_shape()
    var num_actions = core.root_state()[].num_actions()
    var planes = numpy.zeros(Python.tuple(count, shape.channels, shape.height, shape.width), dtype=numpy.float32)
    var legal = numpy.zeros(Python.tuple(count, num_actions), dtype=numpy.bool_)
    var planes_address = Int(py=planes.ctypes.data)
    var legal_address = Int(py=legal.ctypes.data)
    var actions = List[Int]()
    for row_index in range(count):
        var index = indices[row_index]
        core.request_state(index)[].encode(FloatBuffer(unsafe_from_address=planes_address + row_index * shape.size() * 4))
        core.request_state(index)[].legal_actions(actions)
        var row = Pointer[UInt8, MutAnyOrigin](unsafe_from_address=legal_address + row_index * num_actions)
        for action in actions:
            row[unsafe_offset=action] = 1
    var answer = function(planes, legal)
    var logits = numpy.ascontiguousarray(answer[0], dtype=numpy.float32)
    var values = numpy.ascontiguousarray(answer[1], dtype=numpy.float32)
    if Int(py=logits.size) != count * num_actions or Int(py=values.size) != count:
        raise Error(
            String("the evaluator must return logits of shape (", count, ", ", num_actions, ") and values of shape (", count, ")")
        )
    var logits_address = Int(py=logits.ctypes.data)
    var values_pointer = FloatBuffer(unsafe_from_address=Int(py=values.ctypes.data))
    for row_index in range(count):
        core.receive(
            indices[row_index],
            FloatBuffer(unsafe_from_address=logits_address + row_index * num_actions * 4),
            values_pointer[unsafe_offset=row_index],
        )


struct CacheBox(Defaultable, Movable, Writable):
    """The Python type `EvaluationCache`: one cache, shareable by several searches."""

    var caches: List[EvaluationCache]

    def __init__(out self):
        self.caches = List[EvaluationCache]()

    @staticmethod
    def new(capacity_entries: PythonObject, max_policy_length: PythonObject) raises -> PythonObject:
        var box = Self()
        box.caches.append(EvaluationCache(Int(py=capacity_entries), Int(py=max_policy_length)))
        return PythonObject(alloc=box^)

    @staticmethod
    def address(py_self: PythonObject) raises -> Int:
        """The cache's address, or 0 when `py_self` is None (no cache)."""
        if py_self is None:
            return 0
        var box = py_self.downcast_value_ptr[Self]()
        return Int(box[].caches.unsafe_ptr())

    @staticmethod
    def pointer(py_self: PythonObject) raises -> Pointer[EvaluationCache, MutAnyOrigin]:
        return Pointer[EvaluationCache, MutAnyOrigin](unsafe_from_address=Self.address(py_self))

    @staticmethod
    def stats(py_self: PythonObject) raises -> PythonObject:
        var counters = Self.pointer(py_self)[].stats()
        var result = Python.dict()
        result["lookups"] = PythonObject(counters.lookups)
        result["hits"] = PythonObject(counters.hits)
        result["misses"] = PythonObject(counters.misses)
        result["inserts"] = PythonObject(counters.inserts)
        result["replacements"] = PythonObject(counters.replacements)
        result["rejected"] = PythonObject(counters.rejected)
        result["stale"] = PythonObject(counters.stale)
        result["hit_rate"] = PythonObject(counters.hit_rate())
        result["capacity"] = PythonObject(Self.pointer(py_self)[].capacity())
        result["memory_bytes"] = PythonObject(Self.pointer(py_self)[].memory_bytes())
        return result

    @staticmethod
    def clear(py_self: PythonObject) raises -> PythonObject:
        Self.pointer(py_self)[].clear()
        return PythonObject(None)

    @staticmethod
    def advance_version(py_self: PythonObject) raises -> PythonObject:
        """New weights: entries and in-flight results of older ones are never served."""
        return PythonObject(Int(Self.pointer(py_self)[].advance_version()))

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<EvaluationCache, ", self.caches[0].capacity() if len(self.caches) > 0 else 0, " entries>")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


def _root_result[G: Game](core: SearchCore[G]) raises -> PythonObject:
    """The statistics every search reports about its root, per legal action in child order."""
    ref tree = core.tree
    var result = Python.dict()
    var actions = Python.list()
    var visits = Python.list()
    var q = Python.list()
    var priors = Python.list()
    var expanded = tree.first_child[0] != NO_NODE
    var start = tree.children_start(0) if expanded else 0
    var end = tree.children_end(0) if expanded else 0
    for child in range(start, end):
        actions.append(PythonObject(Int(tree.action[child])))
        visits.append(PythonObject(Int(tree.visit_count[child])))
        q.append(PythonObject(Float64(tree.q_from_parent(child)) if tree.visit_count[child] > 0 else Float64(0)))
        priors.append(PythonObject(Float64(tree.prior[child])))
    result["actions"] = actions
    result["visits"] = visits
    result["q"] = q
    result["priors"] = priors
    result["root_visits"] = PythonObject(Int(tree.visit_count[0]))
    result["root_value"] = PythonObject(Float64(tree.mean_value(0)))
    result["network_value"] = PythonObject(Float64(tree.network_value[0]))
    result["tree_size"] = PythonObject(tree.size())
    result["evaluations"] = PythonObject(core.evaluations)
    result["duplicate_leaves"] = PythonObject(core.duplicate_leaves)
    result["terminal_leaves"] = PythonObject(core.terminal_leaves)
    return result


def _subtree_statistics[G: Game](core: SearchCore[G], action: Int) raises -> PythonObject:
    """(action, visits, value_sum) of every node under the root's child `action`,
    breadth-first; with action -1, of the whole tree. For tree-reuse tests."""
    ref tree = core.tree
    var start_node = 0 if action < 0 else tree.find_child(0, action)
    var result = Python.list()
    if start_node == Int(NO_NODE):
        return result
    var queue = List[Int]()
    queue.append(start_node)
    var cursor = 0
    while cursor < len(queue):
        var node = queue[cursor]
        cursor += 1
        result.append(Python.tuple(Int(tree.action[node]) if cursor > 1 else -1, Int(tree.visit_count[node]), Float64(tree.value_sum[node])))
        if tree.first_child[node] != NO_NODE:
            for child in range(tree.children_start(node), tree.children_end(node)):
                queue.append(child)
    return result


def _principal_variation[G: Game](core: SearchCore[G], action: Int, max_length: Int) raises -> PythonObject:
    """The actions of the line that starts with the root's child `action` and then
    follows the most visited child (ties: the first), at most `max_length` actions long;
    empty when `action` is no child of the root. For analysis views (pyzero serve)."""
    ref tree = core.tree
    var result = Python.list()
    var node = tree.find_child(0, action)
    while node != Int(NO_NODE) and len(result) < max_length:
        result.append(Int(tree.action[node]))
        if tree.first_child[node] == NO_NODE:
            break
        var best = Int(NO_NODE)
        var best_visits = 0
        for child in range(tree.children_start(node), tree.children_end(node)):
            if Int(tree.visit_count[child]) > best_visits:
                best = child
                best_visits = Int(tree.visit_count[child])
        node = best
    return result


def _advance[G: Game](mut core: SearchCore[G], action: PythonObject) raises:
    var index = Int(py=action)
    if not core.root_state()[].is_legal(index):
        raise Error(String("action ", index, " is not legal at the search root"))
    core.advance(index)


# ---------------------------------------------------------------- Gumbel
struct GumbelSearchBox[G: Game](Defaultable, Movable, Writable):
    var searches: List[GumbelSearch[Self.G]]

    def __init__(out self):
        self.searches = List[GumbelSearch[Self.G]]()

    def __init__(out self, var search: GumbelSearch[Self.G]):
        self.searches = List[GumbelSearch[Self.G]]()
        self.searches.append(search^)

    @staticmethod
    def _search(py_self: PythonObject) raises -> Pointer[GumbelSearch[Self.G], MutAnyOrigin]:
        var box = py_self.downcast_value_ptr[Self]()
        return Pointer[GumbelSearch[Self.G], MutAnyOrigin](unsafe_from_address=Int(box[].searches.unsafe_ptr()))

    @staticmethod
    def new(state: PythonObject, options: PythonObject) raises -> PythonObject:
        var root = state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0].copy()
        return PythonObject(alloc=Self(GumbelSearch[Self.G](root^, gumbel_config_from_python(options))))

    @staticmethod
    def run(
        py_self: PythonObject,
        simulations: PythonObject,
        seed: PythonObject,
        evaluator: PythonObject,
        argument: PythonObject,
        cache: PythonObject,
    ) raises -> PythonObject:
        """Runs one search; returns the number of evaluation batches."""
        var search = Self._search(py_self)
        var answering = InProcessEvaluator(evaluator, argument, Int(py=seed), cache)
        search[].start(Int(py=simulations), UInt64(Int(py=seed)))
        var batches = 0
        with GILReleased(Python()):
            while search[].collect():
                batches += 1
                answering.answer_batch(search[].core)
                search[].core.backup()
        return PythonObject(batches)

    @staticmethod
    def run_anytime(
        py_self: PythonObject,
        limits: PythonObject,
        seed: PythonObject,
        evaluator: PythonObject,
        argument: PythonObject,
        cache: PythonObject,
    ) raises -> PythonObject:
        """A time-limited anytime search (mojo/search/anytime.mojo). `limits`: seconds,
        max_simulations (0: none), survey_fraction, survey_batch, stop_address (an Int64
        word: nonzero stops the search at the next batch; 0: no stop word). Returns
        (batches, seconds used, whether the survey covered every root move)."""
        var search = Self._search(py_self)
        var anytime_limits = AnytimeLimits(
            Float64(py=limits["seconds"]),
            Int(py=limits["max_simulations"]),
            Float64(py=limits["survey_fraction"]),
            Int(py=limits["survey_batch"]),
            Int(py=limits["stop_address"]),
        )
        var seed_value = Int(py=seed)
        var answering = InProcessEvaluator(evaluator, argument, seed_value, cache)
        var clock = MonotonicClock()
        var outcome: AnytimeOutcome
        # The whole loop runs without the GIL (a `python` evaluator takes it per call).
        # Releasing it only for a moment between batches was not enough: when the cache
        # answers every leaf, this thread took the GIL straight back each time, and the
        # TEI reader waited seconds to see `stop` (CPython's forced switch never fires
        # while the holder keeps dropping and retaking it).
        with GILReleased(Python()):
            outcome = run_anytime(search[], anytime_limits, UInt64(seed_value), answering, clock)
        return Python.tuple(outcome.batches, outcome.seconds, outcome.surveyed_every_move)

    @staticmethod
    def result(py_self: PythonObject) raises -> PythonObject:
        var search = Self._search(py_self)
        var result = _root_result(search[].core)
        if search[].core.root_is_searchable():
            result["sigma"] = _float_list(search[].node_sigma(0))
            result["policy_target"] = _float_list(search[].improved_policy())
            result["gumbel"] = _float_list(search[].gumbel)
            result["phase_visits"] = _int_list(search[].phase_visits)
            result["chosen_action"] = PythonObject(search[].chosen_action())
        return result

    @staticmethod
    def advance(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        _advance(Self._search(py_self)[].core, action)
        return PythonObject(None)

    @staticmethod
    def subtree_statistics(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        return _subtree_statistics(Self._search(py_self)[].core, Int(py=action))

    @staticmethod
    def principal_variation(
        py_self: PythonObject, action: PythonObject, max_length: PythonObject
    ) raises -> PythonObject:
        return _principal_variation(Self._search(py_self)[].core, Int(py=action), Int(py=max_length))

    @staticmethod
    def benchmark_uniform(
        py_self: PythonObject, simulations: PythonObject, searches_per_thread: PythonObject, threads: PythonObject
    ) raises -> PythonObject:
        """Throughput of uniform-evaluator searches from this root: (simulations, seconds)."""
        var search = Self._search(py_self)
        var root = search[].core.root_state()[].copy()
        var config = search[].config.copy()
        var count = Int(py=simulations)
        var per_thread = Int(py=searches_per_thread)
        var thread_count = Int(py=threads)
        var outcome: Tuple[Int, Float64]
        with GILReleased(Python()):
            outcome = benchmark_uniform_search(root, config, count, per_thread, thread_count)
        return Python.tuple(outcome[0], outcome[1])

    @staticmethod
    def measure_tree_reuse(py_self: PythonObject, simulations: PythonObject, moves: PythonObject) raises -> PythonObject:
        """Compaction against rebuilding over a game from this root (see benchmark.mojo)."""
        var search = Self._search(py_self)
        var root = search[].core.root_state()[].copy()
        var config = search[].config.copy()
        var count = Int(py=simulations)
        var move_count = Int(py=moves)
        var measured: TreeReuseMeasurement
        with GILReleased(Python()):
            measured = measure_tree_reuse(root, config, count, move_count)
        var result = Python.dict()
        result["moves"] = PythonObject(measured.moves)
        result["evaluations_with_reuse"] = PythonObject(measured.evaluations_with_reuse)
        result["evaluations_without_reuse"] = PythonObject(measured.evaluations_without_reuse)
        result["seconds_with_reuse"] = PythonObject(measured.seconds_with_reuse)
        result["seconds_without_reuse"] = PythonObject(measured.seconds_without_reuse)
        result["compaction_seconds"] = PythonObject(measured.compaction_seconds)
        result["nodes_kept"] = PythonObject(measured.nodes_kept)
        result["visits_kept"] = PythonObject(measured.visits_kept)
        return result

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<Gumbel search, ", self.searches[0].core.tree.size(), " nodes>")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


# ---------------------------------------------------------------- PUCT
def puct_config_from_python(options: PythonObject) raises -> PuctConfig:
    """Every field of the config schema's `search.puct` section, each given (no defaults here)."""
    var c_init = Float32(0)
    var c_base = Float32(0)
    var fpu_reduction = Float32(0)
    var dirichlet_alpha = Float32(0)
    var dirichlet_fraction = Float32(0)
    var virtual_loss = Float32(0)
    var leaves_per_batch = 0
    var temperature = Float32(0)
    var given = 0
    for key_object in options.keys():
        var key = String(key_object)
        var value = options[key_object]
        given += 1
        if key == "leaves_per_batch":
            leaves_per_batch = Int(py=value)
            continue
        var number = Float32(Float64(py=value))
        if key == "c_init":
            c_init = number
        elif key == "c_base":
            c_base = number
        elif key == "fpu_reduction":
            fpu_reduction = number
        elif key == "dirichlet_alpha":
            dirichlet_alpha = number
        elif key == "dirichlet_fraction":
            dirichlet_fraction = number
        elif key == "virtual_loss":
            virtual_loss = number
        elif key == "temperature":
            temperature = number
        else:
            raise Error(String("unknown PUCT search option '", key, "'"))
    if given != PUCT_OPTION_COUNT:
        raise Error(
            String(
                "PUCT search options: got ",
                given,
                " of the ",
                PUCT_OPTION_COUNT,
                " fields of the config's search.puct section (the engine has no defaults)",
            )
        )
    if leaves_per_batch < 1:
        raise Error("leaves_per_batch must be at least 1")
    if dirichlet_fraction < 0 or dirichlet_fraction > 1:
        raise Error("dirichlet_fraction must be within [0, 1]")
    if dirichlet_alpha <= 0:
        raise Error("dirichlet_alpha must be positive")
    return PuctConfig(
        c_init, c_base, fpu_reduction, dirichlet_alpha, dirichlet_fraction, virtual_loss, leaves_per_batch, temperature
    )


def py_puct_config_round_trip(options: PythonObject) raises -> PythonObject:
    """The PUCT config as the engine holds it, under the schema's names (round-trip test)."""
    var config = puct_config_from_python(options)
    var result = Python.dict()
    result["c_init"] = PythonObject(Float64(config.c_init))
    result["c_base"] = PythonObject(Float64(config.c_base))
    result["fpu_reduction"] = PythonObject(Float64(config.fpu_reduction))
    result["dirichlet_alpha"] = PythonObject(Float64(config.dirichlet_alpha))
    result["dirichlet_fraction"] = PythonObject(Float64(config.dirichlet_fraction))
    result["virtual_loss"] = PythonObject(Float64(config.virtual_loss))
    result["leaves_per_batch"] = PythonObject(config.leaves_per_batch)
    result["temperature"] = PythonObject(Float64(config.temperature))
    return result


struct PuctSearchBox[G: Game](Defaultable, Movable, Writable):
    var searches: List[PuctSearch[Self.G]]

    def __init__(out self):
        self.searches = List[PuctSearch[Self.G]]()

    def __init__(out self, var search: PuctSearch[Self.G]):
        self.searches = List[PuctSearch[Self.G]]()
        self.searches.append(search^)

    @staticmethod
    def _search(py_self: PythonObject) raises -> Pointer[PuctSearch[Self.G], MutAnyOrigin]:
        var box = py_self.downcast_value_ptr[Self]()
        return Pointer[PuctSearch[Self.G], MutAnyOrigin](unsafe_from_address=Int(box[].searches.unsafe_ptr()))

    @staticmethod
    def new(state: PythonObject, options: PythonObject) raises -> PythonObject:
        var root = state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0].copy()
        return PythonObject(alloc=Self(PuctSearch[Self.G](root^, puct_config_from_python(options))))

    @staticmethod
    def run(
        py_self: PythonObject,
        simulations: PythonObject,
        seed: PythonObject,
        evaluator: PythonObject,
        argument: PythonObject,
        cache: PythonObject,
    ) raises -> PythonObject:
        var search = Self._search(py_self)
        var answering = InProcessEvaluator(evaluator, argument, Int(py=seed), cache)
        search[].start(Int(py=simulations), UInt64(Int(py=seed)))
        var batches = 0
        with GILReleased(Python()):
            while search[].collect():
                batches += 1
                answering.answer_batch(search[].core)
                search[].core.backup()
        return PythonObject(batches)

    @staticmethod
    def result(py_self: PythonObject) raises -> PythonObject:
        var search = Self._search(py_self)
        var result = _root_result(search[].core)
        if search[].core.root_is_searchable():
            result["noisy_priors"] = _float_list(search[].root_priors)
            result["policy_target"] = _float_list(search[].visit_policy(1.0))
            result["chosen_action"] = PythonObject(search[].chosen_action())
        return result

    @staticmethod
    def advance(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        _advance(Self._search(py_self)[].core, action)
        return PythonObject(None)

    @staticmethod
    def subtree_statistics(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        return _subtree_statistics(Self._search(py_self)[].core, Int(py=action))

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<PUCT search, ", self.searches[0].core.tree.size(), " nodes>")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


def register_search_types[G: Game](
    mut module: PythonModuleBuilder, gumbel_type_name: StaticString, puct_type_name: StaticString
) raises:
    comptime Puct = PuctSearchBox[G]
    _ = (
        module.add_type[Puct](puct_type_name)
        .def_staticmethod[Puct.new]("new")
        .def_method[Puct.run]("run")
        .def_method[Puct.result]("result")
        .def_method[Puct.advance]("advance")
        .def_method[Puct.subtree_statistics]("subtree_statistics")
    )
    comptime Box = GumbelSearchBox[G]
    _ = (
        module.add_type[Box](gumbel_type_name)
        .def_staticmethod[Box.new]("new")
        .def_method[Box.run]("run")
        .def_method[Box.run_anytime]("run_anytime")
        .def_method[Box.result]("result")
        .def_method[Box.advance]("advance")
        .def_method[Box.subtree_statistics]("subtree_statistics")
        .def_method[Box.principal_variation]("principal_variation")
        .def_method[Box.benchmark_uniform]("benchmark_uniform")
        .def_method[Box.measure_tree_reuse]("measure_tree_reuse")
    )


def _float_list_from_python(values: PythonObject) raises -> List[Float32]:
    var result = List[Float32]()
    for value in values:
        result.append(Float32(Float64(py=value)))
    return result^


def _int_list_from_python(values: PythonObject) raises -> List[Int]:
    var result = List[Int]()
    for value in values:
        result.append(Int(py=value))
    return result^


def py_considered_visit_sequence(max_considered: PythonObject, simulations: PythonObject) raises -> PythonObject:
    """mctx's sequence of considered visits, for tests against mctx's own vectors."""
    var result = Python.list()
    for visit in considered_visit_sequence(Int(py=max_considered), Int(py=simulations)):
        result.append(PythonObject(visit))
    return result


def py_gumbel_formulas(node: PythonObject, parameters: PythonObject) raises -> PythonObject:
    """Every Gumbel formula on one node given as a dict (raw_value, priors, q, visits,
    gumbel, considered_visit); parameters: c_visit, c_scale, rescale. For tests."""
    var priors = _float_list_from_python(node["priors"])
    var q = _float_list_from_python(node["q"])
    var visits = _int_list_from_python(node["visits"])
    var gumbel = _float_list_from_python(node["gumbel"])
    var raw_value = Float32(Float64(py=node["raw_value"]))
    var sigma_parameters = SigmaParameters(
        Float32(Float64(py=parameters["c_visit"])),
        Float32(Float64(py=parameters["c_scale"])),
        Bool(py=parameters["rescale"]),
    )
    var completed = completed_q(raw_value, priors, q, visits)
    var sigma = sigma_of_completed_q(completed, visits, sigma_parameters)
    var logits = logits_from_priors(priors)
    var improved = improved_policy(logits, sigma)
    var scores = root_scores(gumbel, logits, sigma, visits, Int(py=node["considered_visit"]))
    var interior = interior_scores(improved, visits)
    var result = Python.dict()
    result["mixed_value"] = PythonObject(Float64(mixed_value(raw_value, priors, q, visits)))
    result["completed_q"] = _float_list(completed)
    result["sigma"] = _float_list(sigma)
    result["improved_policy"] = _float_list(improved)
    result["root_scores"] = _float_list(scores)
    result["halving_scores"] = _float_list(halving_scores(gumbel, logits, sigma))
    result["root_action"] = PythonObject(argmax(scores))
    result["interior_scores"] = _float_list(interior)
    result["interior_action"] = PythonObject(argmax(interior))
    return result


def register_search_functions(mut module: PythonModuleBuilder) raises:
    _ = (
        module.add_type[CacheBox]("EvaluationCache")
        .def_staticmethod[CacheBox.new]("new")
        .def_method[CacheBox.stats]("stats")
        .def_method[CacheBox.clear]("clear")
        .def_method[CacheBox.advance_version]("advance_version")
    )
    module.def_function[py_considered_visit_sequence]("considered_visit_sequence")
    module.def_function[py_gumbel_config_round_trip]("gumbel_config_round_trip")
    module.def_function[py_puct_config_round_trip]("puct_config_round_trip")
    module.def_function[py_gumbel_formulas]("gumbel_formulas")
