"""Exposes `SelfPlayPipeline[G]` to Python as `<Name>SelfPlay` (driven by pyzero.selfplay)."""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.python._cpython import GILReleased

from mojo.game import Game
from mojo.python_bindings import GameStateBox
from mojo.search_bindings import gumbel_config_from_python, gumbel_config_to_python
from mojo.selfplay.pipeline import SelfPlayPipeline, PipelineConfig
from mojo.selfplay.game_slot import FinishedGame, search_seed
from mojo.selfplay.batch_queue import (
    BufferAddresses,
    W_EVALUATIONS,
    W_BATCHES,
    W_CACHE_LOOKUPS,
    W_CACHE_HITS,
    W_GAMES_FINISHED,
    W_POSITIONS,
    W_SIMULATIONS,
    W_WORKER_IDLE_NS,
    W_NETWORK_WAIT_NS,
    W_BUFFER_FULL_WAITS,
    W_OUTSTANDING,
    W_UNSENT,
    W_RUNNING_WORKERS,
    W_IDLE_PRIORITY_WORKERS,
)


comptime PIPELINE_OPTION_COUNT = 18
"""The keys `SelfPlayOptions.engine_options` passes (pyzero/selfplay.py), every one required."""


def pipeline_config_from_python(options: PythonObject) raises -> PipelineConfig:
    """Every self-play option, each given: the engine keeps no defaults of its own (the
    config schema, pyzero/config.py, is the one definition; pyzero/selfplay.py maps it)."""
    var given = 0
    for _ in options.keys():
        given += 1
    if given != PIPELINE_OPTION_COUNT:
        raise Error(String("self-play options: got ", given, " keys, expected the ", PIPELINE_OPTION_COUNT,
                           " of SelfPlayOptions.engine_options"))
    var config = PipelineConfig(
        Int(py=options["games"]),
        Int(py=options["workers"]),
        Int(py=options["batch_size"]),
        Int(py=options["buffers_per_network"]),
        Int(py=options["networks"]),
        Int(py=options["timeout_microseconds"]),
        Int(py=options["simulations"]),
        Float64(py=options["full_search_fraction"]),
        Int(py=options["fast_simulations"]),
        Int(py=options["seed"]),
        Int(py=options["max_game_plies"]),
        Int(py=options["noise_plies"]),
        Int(py=options["random_opening_plies"]),
        Int(py=options["cache_entries"]),
        Int(py=options["max_policy_length"]),
        Bool(py=options["tree_reuse"]),
        String(py=options["worker_priority"]) == "idle",
        gumbel_config_from_python(options["gumbel"]),
    )
    return config^


def py_pipeline_config_round_trip(options: PythonObject) raises -> PythonObject:
    """The pipeline config as the engine holds it, under the same keys (round-trip test)."""
    var config = pipeline_config_from_python(options)
    var result = Python.dict()
    result["games"] = PythonObject(config.games)
    result["workers"] = PythonObject(config.workers)
    result["batch_size"] = PythonObject(config.batch_size)
    result["buffers_per_network"] = PythonObject(config.buffers_per_network)
    result["networks"] = PythonObject(config.networks)
    result["timeout_microseconds"] = PythonObject(config.timeout_microseconds)
    result["simulations"] = PythonObject(config.simulations)
    result["full_search_fraction"] = PythonObject(config.full_search_fraction)
    result["fast_simulations"] = PythonObject(config.fast_simulations)
    result["seed"] = PythonObject(config.seed)
    result["max_game_plies"] = PythonObject(config.max_game_plies)
    result["noise_plies"] = PythonObject(config.noise_plies)
    result["random_opening_plies"] = PythonObject(config.random_opening_plies)
    result["cache_entries"] = PythonObject(config.cache_entries)
    result["max_policy_length"] = PythonObject(config.max_policy_length)
    result["tree_reuse"] = PythonObject(config.tree_reuse)
    result["worker_priority"] = PythonObject("idle" if config.idle_priority_workers else "normal")
    result["gumbel"] = gumbel_config_to_python(config.gumbel)
    return result


struct SelfPlayBox[G: Game](Defaultable, Movable, Writable):
    var pipelines: List[SelfPlayPipeline[Self.G]]

    def __init__(out self):
        self.pipelines = List[SelfPlayPipeline[Self.G]]()

    @staticmethod
    def _pipeline(py_self: PythonObject) raises -> Pointer[SelfPlayPipeline[Self.G], MutAnyOrigin]:
        var box = py_self.downcast_value_ptr[Self]()
        if len(box[].pipelines) == 0:
            raise Error("the self-play pipeline was not created")
        return Pointer[SelfPlayPipeline[Self.G], MutAnyOrigin](unsafe_from_address=Int(box[].pipelines.unsafe_ptr()))

    @staticmethod
    def new(state: PythonObject, options: PythonObject, addresses: PythonObject) raises -> PythonObject:
        var initial = state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0].copy()
        var buffers = BufferAddresses(Int(py=addresses[0]), Int(py=addresses[1]), Int(py=addresses[2]))
        var box = Self()
        box.pipelines.append(SelfPlayPipeline[Self.G](initial^, pipeline_config_from_python(options), buffers))
        return PythonObject(alloc=box^)

    @staticmethod
    def set_openings(py_self: PythonObject, states: PythonObject) raises -> PythonObject:
        var openings = List[Self.G]()
        for state in states:
            openings.append(state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0].copy())
        Self._pipeline(py_self)[].set_openings(openings^)
        return PythonObject(None)

    @staticmethod
    def start(py_self: PythonObject) raises -> PythonObject:
        Self._pipeline(py_self)[].start()
        return PythonObject(None)

    @staticmethod
    def request_drain(py_self: PythonObject) raises -> PythonObject:
        Self._pipeline(py_self)[].request_drain()
        return PythonObject(None)

    @staticmethod
    def request_abort(py_self: PythonObject) raises -> PythonObject:
        Self._pipeline(py_self)[].request_abort()
        return PythonObject(None)

    @staticmethod
    def join(py_self: PythonObject) raises -> PythonObject:
        var pipeline = Self._pipeline(py_self)
        with GILReleased(Python()):
            pipeline[].join()
        return PythonObject(None)

    @staticmethod
    def is_running(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._pipeline(py_self)[].is_running())

    @staticmethod
    def wait_for_batch(py_self: PythonObject, network: PythonObject, wait_microseconds: PythonObject) raises -> PythonObject:
        """(buffer, count) of the next batch to evaluate; buffer -1: stopped, -2: timed out."""
        var pipeline = Self._pipeline(py_self)
        var network_index = Int(py=network)
        var wait = Int(py=wait_microseconds)
        if network_index < 0 or network_index >= pipeline[].config.networks:
            raise Error(String("no network ", network_index))
        var buffer: Int
        with GILReleased(Python()):
            buffer = pipeline[].wait_for_batch(network_index, wait)
        var count = pipeline[].batch_count(network_index, buffer) if buffer >= 0 else 0
        return Python.tuple(buffer, count)

    @staticmethod
    def batch_done(
        py_self: PythonObject, network: PythonObject, buffer: PythonObject, version: PythonObject
    ) raises -> PythonObject:
        """The batch's outputs are written; `version`: `weights_version()` read before the
        model ran (its results are cached only while that version is current)."""
        Self._pipeline(py_self)[].batch_done(Int(py=network), Int(py=buffer), Int(py=version))
        return PythonObject(None)

    @staticmethod
    def weights_version(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._pipeline(py_self)[].weights_version())

    @staticmethod
    def advance_weights_version(py_self: PythonObject) raises -> PythonObject:
        """New weights were handed to the backend: cached entries of older weights become
        misses, and batches evaluated before this call are not cached. Returns the new
        version."""
        return PythonObject(Self._pipeline(py_self)[].advance_weights_version())

    @staticmethod
    def cached_value(py_self: PythonObject, state: PythonObject) raises -> PythonObject:
        """The value the evaluation cache answers for `state` now, or None (not cached,
        or no cache). For tests and tools: it counts as a lookup in the cache's own stats."""
        var pipeline = Self._pipeline(py_self)
        if len(pipeline[].caches) == 0:
            return PythonObject(None)
        ref position = state.downcast_value_ptr[GameStateBox[Self.G]]()[].states[0]
        var actions = List[Int]()
        position.legal_actions(actions)
        var priors = List[Float32](length=len(actions) + 1, fill=0)
        var hit = pipeline[]._cache()[].lookup(
            position.hash(), Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(priors.unsafe_ptr())), len(actions)
        )
        if not hit.found:
            return PythonObject(None)
        return PythonObject(Float64(hit.value))

    @staticmethod
    def counters(py_self: PythonObject) raises -> PythonObject:
        """Every counter the dashboard shows, read in one call."""
        var pipeline = Self._pipeline(py_self)
        var result = Python.dict()
        result["evaluations"] = PythonObject(pipeline[].counter(W_EVALUATIONS))
        result["batches"] = PythonObject(pipeline[].counter(W_BATCHES))
        result["cache_lookups"] = PythonObject(pipeline[].counter(W_CACHE_LOOKUPS))
        result["cache_hits"] = PythonObject(pipeline[].counter(W_CACHE_HITS))
        result["games_finished"] = PythonObject(pipeline[].counter(W_GAMES_FINISHED))
        result["positions"] = PythonObject(pipeline[].counter(W_POSITIONS))
        result["simulations"] = PythonObject(pipeline[].counter(W_SIMULATIONS))
        result["worker_idle_seconds"] = PythonObject(Float64(pipeline[].counter(W_WORKER_IDLE_NS)) / 1e9)
        result["network_wait_seconds"] = PythonObject(Float64(pipeline[].counter(W_NETWORK_WAIT_NS)) / 1e9)
        result["buffer_full_waits"] = PythonObject(pipeline[].counter(W_BUFFER_FULL_WAITS))
        result["outstanding"] = PythonObject(pipeline[].counter(W_OUTSTANDING))
        result["unsent"] = PythonObject(pipeline[].counter(W_UNSENT))
        result["running_workers"] = PythonObject(pipeline[].counter(W_RUNNING_WORKERS))
        result["idle_priority_workers"] = PythonObject(pipeline[].counter(W_IDLE_PRIORITY_WORKERS))
        return result

    @staticmethod
    def stage_finished(py_self: PythonObject) raises -> PythonObject:
        """Stages the finished games; returns (games, plies, policy entries) to allocate
        and the staged games' start positions (a list of strings, one per game).

        The hand-over to Python is two calls so that this module calls no Python code
        while copying: a Ctrl-C then interrupts Python between the calls (the staged games
        wait for the next call) instead of surfacing inside Mojo as an opaque error.
        """
        var pipeline = Self._pipeline(py_self)
        pipeline[].stage_finished()
        var plies = 0
        var entries = 0
        var start_positions = Python.list()
        for game in pipeline[].staged:
            plies += len(game.actions)
            entries += len(game.policy_actions)
            start_positions.append(PythonObject(game.start_position))
        return Python.tuple(len(pipeline[].staged), plies, entries, start_positions)

    @staticmethod
    def copy_staged(py_self: PythonObject, addresses: PythonObject) raises -> PythonObject:
        """Copies the staged games into Python-allocated arrays sized by `stage_finished`:
        game_ids int64, winners int8, lengths int32 (per game); actions int32, root_values
        float32, policy_counts int32 (per ply); policy_actions int32, policy_targets
        float16 (per entry); opening_plies int32 (per game: leading random plies);
        start_plies int32 (per game); movers int8 (per ply: the side to move). The start
        positions came with `stage_finished`."""
        var address_values = List[Int]()
        for index in range(11):
            address_values.append(Int(py=addresses[index]))
        var games = Self._pipeline(py_self)[].take_staged()
        var ids_pointer = Pointer[Int64, MutAnyOrigin](unsafe_from_address=address_values[0])
        var winners_pointer = Pointer[Int8, MutAnyOrigin](unsafe_from_address=address_values[1])
        var lengths_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[2])
        var actions_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[3])
        var values_pointer = Pointer[Float32, MutAnyOrigin](unsafe_from_address=address_values[4])
        var counts_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[5])
        var policy_actions_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[6])
        var targets_pointer = Pointer[Float16, MutAnyOrigin](unsafe_from_address=address_values[7])
        var openings_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[8])
        var start_plies_pointer = Pointer[Int32, MutAnyOrigin](unsafe_from_address=address_values[9])
        var movers_pointer = Pointer[Int8, MutAnyOrigin](unsafe_from_address=address_values[10])
        var ply = 0
        var entry = 0
        for index in range(len(games)):
            ref game = games[index]
            ids_pointer[unsafe_offset=index] = Int64(game.game_id)
            winners_pointer[unsafe_offset=index] = Int8(game.winner)
            lengths_pointer[unsafe_offset=index] = Int32(len(game.actions))
            openings_pointer[unsafe_offset=index] = Int32(game.opening_plies)
            start_plies_pointer[unsafe_offset=index] = Int32(game.start_ply)
            for move in range(len(game.actions)):
                actions_pointer[unsafe_offset=ply] = game.actions[move]
                movers_pointer[unsafe_offset=ply] = game.movers[move]
                values_pointer[unsafe_offset=ply] = game.root_values[move]
                counts_pointer[unsafe_offset=ply] = game.policy_counts[move]
                ply += 1
            for position in range(len(game.policy_actions)):
                policy_actions_pointer[unsafe_offset=entry] = game.policy_actions[position]
                targets_pointer[unsafe_offset=entry] = game.policy_targets[position]
                entry += 1
        return PythonObject(len(games))

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<self-play pipeline>")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


def register_selfplay_type[G: Game](mut module: PythonModuleBuilder, type_name: StaticString) raises:
    comptime Box = SelfPlayBox[G]
    _ = (
        module.add_type[Box](type_name)
        .def_staticmethod[Box.new]("new")
        .def_method[Box.start]("start")
        .def_method[Box.set_openings]("set_openings")
        .def_method[Box.request_drain]("request_drain")
        .def_method[Box.request_abort]("request_abort")
        .def_method[Box.join]("join")
        .def_method[Box.is_running]("is_running")
        .def_method[Box.wait_for_batch]("wait_for_batch")
        .def_method[Box.batch_done]("batch_done")
        .def_method[Box.counters]("counters")
        .def_method[Box.cached_value]("cached_value")
        .def_method[Box.weights_version]("weights_version")
        .def_method[Box.advance_weights_version]("advance_weights_version")
        .def_method[Box.stage_finished]("stage_finished")
        .def_method[Box.copy_staged]("copy_staged")
    )


def py_search_seed(run_seed: PythonObject, game_id: PythonObject, ply: PythonObject) raises -> PythonObject:
    """The Gumbel seed the pipeline uses for a search (for single-threaded reference runs)."""
    return PythonObject(Int(search_seed(Int(py=run_seed), Int(py=game_id), Int(py=ply))))


def register_selfplay_functions(mut module: PythonModuleBuilder) raises:
    module.def_function[py_search_seed]("selfplay_search_seed")
    module.def_function[py_pipeline_config_round_trip]("pipeline_config_round_trip")
