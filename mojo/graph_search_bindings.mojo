"""Exposes the graph search to Python as `<Name>GraphSearch` (pyzero/search.py
GraphSearcher), for tests, analysis and live play.

`run` drives the search loop in Mojo with an in-process evaluator, as the tree searches'
bindings do (search_bindings.mojo): `uniform`, `rollout` (playouts per leaf), `minimax`
(depth) or `python` (a callable `f(planes[B,C,H,W], legal[B,A]) -> (logits[B,A],
values[B])`, called once per batch). `graph_arrays` hands every node and edge to Python so
tests can check the graph's invariants against their own recomputation.
"""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.python._cpython import GILAcquired, GILReleased

from mojo.game import Game, FloatBuffer
from mojo.python_bindings import GameStateBox
from mojo.search_bindings import puct_config_from_python, gumbel_config_from_python, CacheBox
from mojo.cache.evaluation_cache import EvaluationCache
from mojo.search.random import SplitMix64
from mojo.search.evaluators import random_rollout_value, minimax_value
from mojo.search.graph.puct_graph import GraphSearch, GraphConfig
from mojo.search.graph.playout_batch import PlayoutBatch, GraphLeafEvaluator
from mojo.search.graph.threads import run_threads
from mojo.search.graph.value_update import edge_value_sum_in
from mojo.search.graph.graph import NO_NODE


comptime GRAPH_OPTION_COUNT = 6
"""Fields of pyzero/config.py GraphSection."""


def graph_config_from_python(options: PythonObject, gumbel_options: PythonObject) raises -> GraphConfig:
    """Every field of the config schema's `search.graph` section, each given (no defaults
    here); root halving ranks moves with the `search.gumbel` section's m and sigma."""
    var gumbel = gumbel_config_from_python(gumbel_options)
    var root_halving = False
    var interior_gumbel = False
    var transpositions = False
    var repetition_value = Float32(0)
    var threads = 0
    var max_nodes = 0
    var given = 0
    for key_object in options.keys():
        var key = String(key_object)
        var value = options[key_object]
        if key == "transpositions":
            transpositions = Bool(py=value)
        elif key == "repetition_value":
            repetition_value = Float32(Float64(py=value))
        elif key == "threads":
            threads = Int(py=value)
        elif key == "max_nodes":
            max_nodes = Int(py=value)
        elif key == "root":
            var root = String(value)
            if root != "puct" and root != "halving":
                raise Error(String("graph search option root must be 'puct' or 'halving', got '", root, "'"))
            root_halving = root == "halving"
        elif key == "interior":
            var interior = String(value)
            if interior != "puct" and interior != "gumbel":
                raise Error(String("graph search option interior must be 'puct' or 'gumbel', got '", interior, "'"))
            interior_gumbel = interior == "gumbel"
        else:
            raise Error(String("unknown graph search option '", key, "'"))
        given += 1
    if given != GRAPH_OPTION_COUNT:
        raise Error(
            String(
                "graph search options: got ",
                given,
                " of the ",
                GRAPH_OPTION_COUNT,
                " fields of the config's search.graph section (the engine has no defaults)",
            )
        )
    if repetition_value < -1 or repetition_value > 1:
        raise Error("repetition_value must be within [-1, 1]")
    if threads < 1:
        raise Error("threads must be at least 1")
    if max_nodes < 2:
        raise Error("max_nodes must be at least 2")
    return GraphConfig(
        transpositions,
        repetition_value,
        threads,
        max_nodes,
        root_halving,
        interior_gumbel,
        gumbel.max_considered_actions,
        gumbel.sigma.copy(),
    )


def py_graph_config_round_trip(options: PythonObject, gumbel_options: PythonObject) raises -> PythonObject:
    """The graph config as the engine holds it, under the schema's names (round-trip test),
    plus the Gumbel values root halving took."""
    var config = graph_config_from_python(options, gumbel_options)
    var result = Python.dict()
    result["transpositions"] = PythonObject(config.transpositions)
    result["repetition_value"] = PythonObject(Float64(config.repetition_value))
    result["threads"] = PythonObject(config.threads)
    result["max_nodes"] = PythonObject(config.max_nodes)
    result["root"] = PythonObject("halving" if config.root_halving else "puct")
    result["interior"] = PythonObject("gumbel" if config.interior_gumbel else "puct")
    result["max_considered_actions"] = PythonObject(config.max_considered_actions)
    result["c_visit"] = PythonObject(Float64(config.sigma.c_visit))
    result["c_scale"] = PythonObject(Float64(config.sigma.c_scale))
    result["rescale"] = PythonObject(config.sigma.rescale)
    return result


struct GraphEvaluator(GraphLeafEvaluator, Movable):
    """Which in-process evaluator answers the batches of one `run` call (one per thread),
    and the evaluation cache in front of it (shared by the threads: it is thread-safe)."""

    var kind: String
    var count_or_depth: Int
    var function: PythonObject
    var python: Python  # taken with the GIL held, to take the GIL again for `python` calls
    var rng: SplitMix64
    var actions: List[Int]
    var cache_address: Int  # from `CacheBox.address`; 0: no cache

    def __init__(
        out self, kind_object: PythonObject, argument: PythonObject, seed: Int, cache_address: Int
    ) raises:
        self.kind = String(kind_object)
        if self.kind != "uniform" and self.kind != "rollout" and self.kind != "minimax" and self.kind != "python":
            raise Error(String("unknown evaluator '", self.kind, "' (uniform, rollout, minimax, python)"))
        self.count_or_depth = Int(py=argument) if self.kind == "rollout" or self.kind == "minimax" else 0
        self.function = argument
        self.python = Python()
        self.rng = SplitMix64(UInt64(seed) ^ 0x5DEECE66D)
        self.actions = List[Int]()
        self.cache_address = cache_address

    def answer[G: Game](mut self, mut batch: PlayoutBatch[G]) raises:
        """Answers every request of `batch` (called with the GIL released): cache hits
        first, the evaluator for the rest, whose answers then go into the cache."""
        batch.prepare_answers()
        var misses = List[Int]()
        if self.cache_address == 0:
            for index in range(batch.num_requests()):
                misses.append(index)
            self._evaluate(batch, misses)
            return
        var cache = Pointer[EvaluationCache, MutAnyOrigin](unsafe_from_address=self.cache_address)
        # Read before the evaluator runs: its answers are stored only if no new weights
        # were published meanwhile (EvaluationCache.advance_version).
        var version = cache[].version()
        var scratch = List[Float32](length=cache[].max_policy_length() + 1, fill=0)
        var scratch_pointer = Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(scratch.unsafe_ptr()))
        for index in range(batch.num_requests()):
            var count = batch.request_state(index)[].count_legal_actions()
            var hit = cache[].lookup(batch.request_state(index)[].hash(), scratch_pointer, count)
            if hit.found:
                var priors = List[Float32](capacity=count)
                for offset in range(count):
                    priors.append(scratch[offset])
                batch.answer_priors[index] = priors^
                batch.answer_values[index] = hit.value
            else:
                misses.append(index)
        self._evaluate(batch, misses)
        for index in misses:
            _ = cache[].insert(
                batch.request_state(index)[].hash(),
                Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(batch.answer_priors[index].unsafe_ptr())),
                len(batch.answer_priors[index]),
                batch.answer_values[index],
                version,
            )

    def _evaluate[G: Game](mut self, mut batch: PlayoutBatch[G], indices: List[Int]) raises:
        if self.kind == "python":
            if len(indices) > 0:
                with GILAcquired(self.python):
                    _evaluate_in_python(batch, indices, self.function)
            return
        for index in indices:
            var value: Float32 = 0
            if self.kind == "rollout":
                value = random_rollout_value(batch.request_state(index)[], self.rng, self.count_or_depth, self.actions)
            elif self.kind == "minimax":
                value = minimax_value(batch.request_state(index)[], self.count_or_depth)
            batch.answer_uniform(index, value)


def _evaluate_in_python[G: Game](mut batch: PlayoutBatch[G], indices: List[Int], function: PythonObject) raises:
    var numpy = Python.import_module("numpy")
    var count = len(indices)
    var shape = batch.request_state(indices[0])[].input_shape()
    var num_actions = batch.request_state(indices[0])[].num_actions()
    var planes = numpy.zeros(Python.tuple(count, shape.channels, shape.height, shape.width), dtype=numpy.float32)
    var legal = numpy.zeros(Python.tuple(count, num_actions), dtype=numpy.bool_)
    var planes_address = Int(py=planes.ctypes.data)
    var legal_address = Int(py=legal.ctypes.data)
    var actions = List[Int]()
    for row in range(count):
        var state = batch.request_state(indices[row])
        state[].encode(FloatBuffer(unsafe_from_address=planes_address + row * shape.size() * 4))
        state[].legal_actions(actions)
        var legal_row = Pointer[UInt8, MutAnyOrigin](unsafe_from_address=legal_address + row * num_actions)
        for action in actions:
            legal_row[unsafe_offset=action] = 1
    var answer = function(planes, legal)
    var logits = numpy.ascontiguousarray(answer[0], dtype=numpy.float32)
    var values = numpy.ascontiguousarray(answer[1], dtype=numpy.float32)
    if Int(py=logits.size) != count * num_actions or Int(py=values.size) != count:
        raise Error(
            String("the evaluator must return logits of shape (", count, ", ", num_actions, ") and values of shape (", count, ")")
        )
    var logits_address = Int(py=logits.ctypes.data)
    var values_pointer = FloatBuffer(unsafe_from_address=Int(py=values.ctypes.data))
    for row in range(count):
        batch.answer_logits(
            indices[row], FloatBuffer(unsafe_from_address=logits_address + row * num_actions * 4), values_pointer[unsafe_offset=row]
        )


def _key_list(values: PythonObject) raises -> List[UInt64]:
    var result = List[UInt64]()
    for value in values:
        result.append(UInt64(py=value))
    return result^


struct GraphSearchBox[G: Game](Defaultable, Movable, Writable):
    var searches: List[GraphSearch[Self.G]]

    def __init__(out self):
        self.searches = List[GraphSearch[Self.G]]()

    def __init__(out self, var search: GraphSearch[Self.G]):
        self.searches = List[GraphSearch[Self.G]]()
        self.searches.append(search^)

    @staticmethod
    def _search(py_self: PythonObject) raises -> Pointer[GraphSearch[Self.G], MutAnyOrigin]:
        var box = py_self.downcast_value_ptr[Self]()
        return Pointer[GraphSearch[Self.G], MutAnyOrigin](unsafe_from_address=Int(box[].searches.unsafe_ptr()))

    @staticmethod
    def new(
        state: PythonObject,
        puct_options: PythonObject,
        graph_options: PythonObject,
        gumbel_options: PythonObject,
        history: PythonObject,
    ) raises -> PythonObject:
        """A graph search from `state`; `history`: the keys of the game's earlier positions."""
        var root = state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0].copy()
        var search = GraphSearch[Self.G](
            root.copy(), puct_config_from_python(puct_options), graph_config_from_python(graph_options, gumbel_options)
        )
        search.set_root(root^, _key_list(history))
        return PythonObject(alloc=Self(search^))

    @staticmethod
    def run(
        py_self: PythonObject,
        simulations: PythonObject,
        seed: PythonObject,
        evaluator: PythonObject,
        argument: PythonObject,
        limits: PythonObject,
        cache: PythonObject,
    ) raises -> PythonObject:
        """Runs one search of at most `simulations` playouts; `limits`: seconds (0: no
        time limit), stop_address (an Int64 word: nonzero ends the search; 0: none),
        checked between batches, and survey_fraction (root halving's survey share);
        `cache`: an EvaluationCache or None. Returns the number of evaluation batches."""
        var search = Self._search(py_self)
        var seed_value = Int(py=seed)
        var count = Int(py=simulations)
        var seconds = Float64(py=limits["seconds"])
        var stop_address = Int(py=limits["stop_address"])
        var survey_fraction = Float64(py=limits["survey_fraction"])
        var threads = search[].config.threads
        var cache_address = CacheBox.address(cache)
        var batches = 0
        if threads > 1:
            var evaluators = List[GraphEvaluator]()
            for thread in range(threads):
                evaluators.append(GraphEvaluator(evaluator, argument, seed_value + 7919 * thread, cache_address))
            with GILReleased(Python()):
                batches = run_threads(
                    search[], evaluators^, count, UInt64(seed_value), seconds, stop_address, survey_fraction
                )
            return PythonObject(batches)
        var answering = GraphEvaluator(evaluator, argument, seed_value, cache_address)
        search[].start(count, UInt64(seed_value))
        search[].set_limits(seconds, stop_address, survey_fraction)
        var batch = search[].batch()
        with GILReleased(Python()):
            while search[].collect():
                batches += 1
                try:
                    answering.answer(batch[])
                except error:
                    search[].abandon(batch[])  # the graph stays consistent for the next search
                    raise error^
                search[].apply_answers(batch[])
                search[].backup(batch[])
        return PythonObject(batches)

    @staticmethod
    def result(py_self: PythonObject) raises -> PythonObject:
        """The root's statistics per legal action (edge order), as the tree searches report them."""
        var search = Self._search(py_self)
        ref graph = search[].graph
        var root = search[].root
        var repetition_value = Float64(search[].config.repetition_value)
        var result = Python.dict()
        var actions = Python.list()
        var visits = Python.list()
        var q = Python.list()
        var priors = Python.list()
        var expanded = graph.first_edge[root] != NO_NODE
        var start = graph.edges_start(root) if expanded else 0
        var end = graph.edges_end(root) if expanded else 0
        for edge in range(start, end):
            var edge_visits = Int(graph.edge_visits[edge])
            actions.append(PythonObject(Int(graph.edge_action[edge])))
            visits.append(PythonObject(edge_visits))
            var total = edge_value_sum_in(graph, edge, repetition_value)
            q.append(PythonObject(total / Float64(edge_visits) if edge_visits > 0 else Float64(0)))
            priors.append(PythonObject(Float64(graph.edge_prior[edge])))
        result["actions"] = actions
        result["visits"] = visits
        result["q"] = q
        result["priors"] = priors
        result["root_visits"] = PythonObject(Int(graph.visits[root]))
        result["root_value"] = PythonObject(graph.value[root])
        result["network_value"] = PythonObject(Float64(graph.utility[root]))
        result["tree_size"] = PythonObject(graph.num_nodes())
        result["edges"] = PythonObject(graph.num_edges())
        result["evaluations"] = PythonObject(search[].evaluations)
        result["duplicate_leaves"] = PythonObject(search[].shared_leaves)
        result["terminal_leaves"] = PythonObject(search[].terminal_leaves)
        result["catch_ups"] = PythonObject(search[].catch_ups)
        result["repetitions"] = PythonObject(search[].repetitions)
        result["transposition_links"] = PythonObject(search[].transposition_links)
        result["dropped_playouts"] = PythonObject(search[].dropped_playouts)
        result["collisions"] = PythonObject(search[].collisions)
        result["full"] = PythonObject(search[].full)
        if search[].root_is_searchable():
            var noisy = Python.list()
            for prior in search[].root_priors:
                noisy.append(PythonObject(Float64(prior)))
            result["noisy_priors"] = noisy
            var policy = Python.list()
            for weight in search[].visit_policy(1.0):
                policy.append(PythonObject(Float64(weight)))
            result["policy_target"] = policy
            result["chosen_action"] = PythonObject(search[].chosen_action())
            var variation = Python.list()
            for action in search[].principal_variation(64):
                variation.append(PythonObject(action))
            result["principal_variation"] = variation
        return result

    @staticmethod
    def graph_arrays(py_self: PythonObject) raises -> PythonObject:
        """Every node and edge as lists (node: key, status, utility, value, visits,
        first_edge, edge_count, incoming_edges; edge: action, prior, child, visits,
        in_flight, repetition_visits) plus `root`, for tests of the invariants."""
        var search = Self._search(py_self)
        ref graph = search[].graph
        var result = Python.dict()
        var key = Python.list()
        var status = Python.list()
        var utility = Python.list()
        var value = Python.list()
        var visits = Python.list()
        var first_edge = Python.list()
        var edge_count = Python.list()
        var incoming = Python.list()
        for node in range(graph.num_nodes()):
            key.append(PythonObject(graph.key[node]))
            status.append(PythonObject(Int(graph.status[node])))
            utility.append(PythonObject(Float64(graph.utility[node])))
            value.append(PythonObject(graph.value[node]))
            visits.append(PythonObject(Int(graph.visits[node])))
            first_edge.append(PythonObject(Int(graph.first_edge[node])))
            edge_count.append(PythonObject(Int(graph.edge_count[node])))
            incoming.append(PythonObject(Int(graph.incoming_edges[node])))
        var action = Python.list()
        var prior = Python.list()
        var child = Python.list()
        var edge_visits = Python.list()
        var in_flight = Python.list()
        var repetition_visits = Python.list()
        for edge in range(graph.num_edges()):
            action.append(PythonObject(Int(graph.edge_action[edge])))
            prior.append(PythonObject(Float64(graph.edge_prior[edge])))
            child.append(PythonObject(Int(graph.edge_child[edge])))
            edge_visits.append(PythonObject(Int(graph.edge_visits[edge])))
            in_flight.append(PythonObject(Int(graph.edge_in_flight[edge])))
            repetition_visits.append(PythonObject(Int(graph.edge_repetition_visits[edge])))
        result["root"] = PythonObject(search[].root)
        result["key"] = key
        result["status"] = status
        result["utility"] = utility
        result["value"] = value
        result["visits"] = visits
        result["first_edge"] = first_edge
        result["edge_count"] = edge_count
        result["incoming_edges"] = incoming
        result["edge_action"] = action
        result["edge_prior"] = prior
        result["edge_child"] = child
        result["edge_visits"] = edge_visits
        result["edge_in_flight"] = in_flight
        result["edge_repetition_visits"] = repetition_visits
        return result

    @staticmethod
    def find_line(py_self: PythonObject, key: PythonObject, max_plies: PythonObject) raises -> PythonObject:
        """The actions from the root to the node under `key` within `max_plies`, or None."""
        var search = Self._search(py_self)
        var found = search[].find_line(UInt64(py=key), Int(py=max_plies))
        if not found[0]:
            return PythonObject(None)
        var line = Python.list()
        for action in found[1]:
            line.append(PythonObject(action))
        return line

    @staticmethod
    def advance(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        var search = Self._search(py_self)
        var index = Int(py=action)
        if not search[].root_position()[].is_legal(index):
            raise Error(String("action ", index, " is not legal at the search root"))
        search[].advance(index)
        return PythonObject(None)

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<graph search, ", self.searches[0].graph.num_nodes(), " nodes>")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


def register_graph_search_type[G: Game](mut module: PythonModuleBuilder, type_name: StaticString) raises:
    comptime Box = GraphSearchBox[G]
    _ = (
        module.add_type[Box](type_name)
        .def_staticmethod[Box.new]("new")
        .def_method[Box.run]("run")
        .def_method[Box.result]("result")
        .def_method[Box.graph_arrays]("graph_arrays")
        .def_method[Box.advance]("advance")
        .def_method[Box.find_line]("find_line")
    )


def register_graph_search_functions(mut module: PythonModuleBuilder) raises:
    module.def_function[py_graph_config_round_trip]("graph_config_round_trip")
