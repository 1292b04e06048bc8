"""Exposes any `Game` to Python as a state type, generically.

`GameStateBox[G]` owns one game state. Python sees it as `<Name>State` with the methods
registered in `register_game_state_type`. Python wraps these raw methods in
`pyzero.games` (notation-level API, errors as `IllegalMoveError`); nothing here knows a
particular game. Long computations (perft) release the GIL.
"""

from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.python._cpython import GILReleased

from mojo.game import Game, GameOptions, FloatBuffer
from mojo.perft import perft, perft_played, count_finished_games, GameCounts


def game_options_from_python(options: PythonObject) raises -> GameOptions:
    """Converts a Python dict of numeric options into `GameOptions`."""
    var result = GameOptions()
    for key in options.keys():
        result.set(String(key), Float64(py=options[key]))
    return result^


struct GameStateBox[G: Game](Defaultable, Movable, Writable):
    """One game state owned by a Python object (kept in a list: the trait has no default)."""

    var states: List[Self.G]

    def __init__(out self):
        self.states = List[Self.G]()

    def __init__(out self, var state: Self.G):
        self.states = List[Self.G]()
        self.states.append(state^)

    @staticmethod
    def new(options: PythonObject) raises -> PythonObject:
        var game_options = game_options_from_python(options)
        return PythonObject(alloc=Self(Self.G.create(game_options)))

    @staticmethod
    def from_position(options: PythonObject, text: PythonObject) raises -> PythonObject:
        var game_options = game_options_from_python(options)
        return PythonObject(alloc=Self(Self.G.from_position(game_options, String(text))))

    @staticmethod
    def _state(py_self: PythonObject) raises -> Pointer[Self.G, MutAnyOrigin]:
        var box = py_self.downcast_value_ptr[Self]()
        return Pointer[Self.G, MutAnyOrigin](unsafe_from_address=Int(box[].states.unsafe_ptr()))

    @staticmethod
    def copy(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(alloc=Self(Self._state(py_self)[].copy()))

    @staticmethod
    def name(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].name())

    @staticmethod
    def num_actions(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].num_actions())

    @staticmethod
    def input_shape(py_self: PythonObject) raises -> PythonObject:
        var shape = Self._state(py_self)[].input_shape()
        return Python.tuple(shape.channels, shape.height, shape.width)

    @staticmethod
    def to_move(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].to_move())

    @staticmethod
    def ply(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].ply())

    @staticmethod
    def legal_actions(py_self: PythonObject) raises -> PythonObject:
        var actions = List[Int]()
        Self._state(py_self)[].legal_actions(actions)
        var result = Python.list()
        for action in actions:
            result.append(PythonObject(action))
        return result

    @staticmethod
    def legal_moves(py_self: PythonObject) raises -> PythonObject:
        var state = Self._state(py_self)
        var actions = List[Int]()
        state[].legal_actions(actions)
        var result = Python.list()
        for action in actions:
            result.append(PythonObject(state[].format_move(action)))
        return result

    @staticmethod
    def count_legal_actions(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].count_legal_actions())

    @staticmethod
    def is_legal(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].is_legal(Int(py=action)))

    @staticmethod
    def apply_action(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        """Plays an action index; raises if it is not legal (never corrupts the state)."""
        var state = Self._state(py_self)
        var index = Int(py=action)
        if not state[].is_legal(index):
            raise Error(String("action ", index, " is not legal in this position"))
        state[].apply(index)
        return PythonObject(None)

    @staticmethod
    def parse_move(py_self: PythonObject, text: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].parse_move(String(text)))

    @staticmethod
    def format_move(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].format_move(Int(py=action)))

    @staticmethod
    def format_record_move(py_self: PythonObject, action: PythonObject) raises -> PythonObject:
        """The legal action in the game's record notation; raises if it is not legal here."""
        var index = Int(py=action)
        if not Self._state(py_self)[].is_legal(index):
            raise Error(String("action ", index, " is not legal in this position"))
        return PythonObject(Self._state(py_self)[].format_record_move(index))

    @staticmethod
    def is_terminal(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].is_terminal())

    @staticmethod
    def winner(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].winner())

    @staticmethod
    def result_string(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].result_string())

    @staticmethod
    def repetitions_for_draw(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].repetitions_for_draw())

    @staticmethod
    def hash(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].hash())

    @staticmethod
    def recompute_hash(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].recompute_hash())

    @staticmethod
    def encode(py_self: PythonObject, address: PythonObject) raises -> PythonObject:
        """Writes the input planes at `address` (a float32 buffer the caller sized)."""
        Self._state(py_self)[].encode(FloatBuffer(unsafe_from_address=Int(py=address)))
        return PythonObject(None)

    @staticmethod
    def num_symmetries(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].num_symmetries())

    @staticmethod
    def symmetry_action(py_self: PythonObject, symmetry: PythonObject, action: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].symmetry_action(Int(py=symmetry), Int(py=action)))

    @staticmethod
    def transform_encoding(
        py_self: PythonObject, symmetry: PythonObject, source: PythonObject, destination: PythonObject
    ) raises -> PythonObject:
        Self._state(py_self)[].transform_encoding(
            Int(py=symmetry),
            FloatBuffer(unsafe_from_address=Int(py=source)),
            FloatBuffer(unsafe_from_address=Int(py=destination)),
        )
        return PythonObject(None)

    @staticmethod
    def transformed(py_self: PythonObject, symmetry: PythonObject) raises -> PythonObject:
        return PythonObject(alloc=Self(Self._state(py_self)[].transformed(Int(py=symmetry))))

    @staticmethod
    def render(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].render())

    @staticmethod
    def position(py_self: PythonObject) raises -> PythonObject:
        return PythonObject(Self._state(py_self)[].position())

    @staticmethod
    def perft(py_self: PythonObject, depth: PythonObject) raises -> PythonObject:
        var state = Self._state(py_self)[].copy()
        var plies = Int(py=depth)
        var nodes: Int
        with GILReleased(Python()):
            nodes = perft(state, plies)
        return PythonObject(nodes)

    @staticmethod
    def perft_played(py_self: PythonObject, depth: PythonObject) raises -> PythonObject:
        """(nodes, XOR of the leaves' keys): perft with every leaf move played and hashed."""
        var state = Self._state(py_self)[].copy()
        var plies = Int(py=depth)
        var nodes: Int
        var checksum: UInt64 = 0
        with GILReleased(Python()):
            nodes = perft_played(state, plies, checksum)
        return Python.tuple(nodes, Int(checksum))

    @staticmethod
    def count_finished_games(py_self: PythonObject, max_depth: PythonObject) raises -> PythonObject:
        var state = Self._state(py_self)[].copy()
        var plies = Int(py=max_depth)
        var counts: GameCounts
        with GILReleased(Python()):
            counts = count_finished_games(state, plies)
        return Python.tuple(
            counts.first_player_wins, counts.second_player_wins, counts.draws, counts.unfinished
        )

    @staticmethod
    def encode_samples(arrays: PythonObject) raises -> PythonObject:
        """Training inputs from stored games, each replayed from its own start position.

        `arrays` holds `starts` (a list of this type's states: the games' distinct start
        positions), addresses and a count: per sample the index of its game's start in
        `starts` (`start_indices` int32), the offset of its game's first action in
        `actions` (int64), its ply counted from that start (int32), its symmetry (int32),
        the offset of its policy entries (int64) and their number (int32); the entries
        themselves (`entry_actions` int32, `entry_targets` float32). Writes `planes`
        [N, C, H, W], `policy` [N, A] (the target, mapped by the symmetry) and `legal`
        [N, A] (uint8). Where `opponent_policy` is an address (not 0), also the target
        of the next ply, played from the sample's position (the opponent's reply, its
        entries at `next_entry_starts` int64, `next_entry_counts` int32, 0 where there
        is none), under the same symmetry, into `opponent_policy` [N, A].
        """
        var starts = List[Self.G]()
        for state in arrays["starts"]:
            starts.append(state.downcast_value_ptr[Self]()[].states[0].copy())
        if len(starts) == 0:
            raise Error("encode_samples needs at least one start position")
        var start_indices = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["start_indices"]))
        var count = Int(py=arrays["count"])
        for sample in range(count):
            var index = Int(start_indices[unsafe_offset=sample])
            if index < 0 or index >= len(starts):
                raise Error(String("sample ", sample, ": start index ", index, " out of range 0..", len(starts) - 1))
        var actions = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["actions"]))
        var game_starts = Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(py=arrays["game_starts"]))
        var plies = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["plies"]))
        var symmetries = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["symmetries"]))
        var entry_starts = Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(py=arrays["entry_starts"]))
        var entry_counts = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["entry_counts"]))
        var entry_actions = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["entry_actions"]))
        var entry_targets = FloatBuffer(unsafe_from_address=Int(py=arrays["entry_targets"]))
        var planes = Int(py=arrays["planes"])
        var policy = Int(py=arrays["policy"])
        var legal = Int(py=arrays["legal"])
        var opponent_policy = Int(py=arrays["opponent_policy"])
        var next_entry_starts = Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(py=arrays["next_entry_starts"]))
        var next_entry_counts = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["next_entry_counts"]))
        var plane_size = starts[0].input_shape().size()
        var num_actions = starts[0].num_actions()
        var scratch = List[Float32](length=plane_size, fill=0)
        var scratch_pointer = FloatBuffer(unsafe_from_address=Int(scratch.unsafe_ptr()))
        with GILReleased(Python()):
            for sample in range(count):
                var state = starts[Int(start_indices[unsafe_offset=sample])].copy()
                var first = Int(game_starts[unsafe_offset=sample])
                for ply in range(Int(plies[unsafe_offset=sample])):
                    state.apply(Int(actions[unsafe_offset = first + ply]))
                var symmetry = Int(symmetries[unsafe_offset=sample])
                var destination = FloatBuffer(unsafe_from_address=planes + sample * plane_size * 4)
                if symmetry == 0:
                    state.encode(destination)
                else:
                    state.encode(scratch_pointer)
                    state.transform_encoding(symmetry, scratch_pointer, destination)
                var policy_row = FloatBuffer(unsafe_from_address=policy + sample * num_actions * 4)
                var legal_row = Pointer[UInt8, MutAnyOrigin](unsafe_from_address=legal + sample * num_actions)
                for action in range(num_actions):
                    policy_row[unsafe_offset=action] = 0
                    legal_row[unsafe_offset=action] = 0
                var entry = Int(entry_starts[unsafe_offset=sample])
                for index in range(Int(entry_counts[unsafe_offset=sample])):
                    var action = state.symmetry_action(symmetry, Int(entry_actions[unsafe_offset = entry + index]))
                    policy_row[unsafe_offset=action] = entry_targets[unsafe_offset = entry + index]
                    legal_row[unsafe_offset=action] = 1
                if opponent_policy != 0:
                    var reply_row = FloatBuffer(unsafe_from_address=opponent_policy + sample * num_actions * 4)
                    for action in range(num_actions):
                        reply_row[unsafe_offset=action] = 0
                    var reply_count = Int(next_entry_counts[unsafe_offset=sample])
                    if reply_count > 0:
                        var next_state = state.copy()
                        next_state.apply(Int(actions[unsafe_offset = first + Int(plies[unsafe_offset=sample])]))
                        var reply_entry = Int(next_entry_starts[unsafe_offset=sample])
                        for index in range(reply_count):
                            var action = next_state.symmetry_action(
                                symmetry, Int(entry_actions[unsafe_offset = reply_entry + index])
                            )
                            reply_row[unsafe_offset=action] = entry_targets[unsafe_offset = reply_entry + index]
        _ = scratch^
        _ = starts^
        return PythonObject(None)

    @staticmethod
    def validate_games(arrays: PythonObject) raises -> PythonObject:
        """Replays stored games and checks each move: the first one that is not legal.

        `arrays` holds `starts` (a list of this type's states: the games' distinct start
        positions) and addresses and counts: `games`; per game the index of its start in
        `starts` (`start_indices` int32), its number of plies (`lengths` int64) and of
        random-opening plies (`opening_plies` int64); per ply the action played
        (`actions` int32), the side recorded as moving (`movers` int8) and the number of
        policy entries (`policy_counts` int32); per entry its action (`entry_actions`
        int32). The caller has checked every index and count to be within its array and
        every action within 0..num_actions-1 (`pyzero.records`): this replays what those
        numbers say and checks what only a replay can, so that sampling never applies an
        illegal move. Returns (game, ply, reason) of the first fault, reason one of
        "finished" (a move after the game ended), "illegal move", "mover" (the recorded
        side is not the side to move) or "illegal policy entry"; (-1, -1, "") when all
        hold.
        """
        var starts = List[Self.G]()
        for state in arrays["starts"]:
            starts.append(state.downcast_value_ptr[Self]()[].states[0].copy())
        var games = Int(py=arrays["games"])
        var start_indices = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["start_indices"]))
        var lengths = Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(py=arrays["lengths"]))
        var opening_plies = Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(py=arrays["opening_plies"]))
        var actions = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["actions"]))
        var movers = Pointer[Int8, MutAnyOrigin](unsafe_from_address=Int(py=arrays["movers"]))
        var policy_counts = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["policy_counts"]))
        var entry_actions = Pointer[Int32, MutAnyOrigin](unsafe_from_address=Int(py=arrays["entry_actions"]))
        var fault_game = -1
        var fault_ply = -1
        var fault_reason = 0
        with GILReleased(Python()):
            var ply_offset = 0
            var entry_offset = 0
            for game in range(games):
                var state = starts[Int(start_indices[unsafe_offset=game])].copy()
                var opening = Int(opening_plies[unsafe_offset=game])
                for ply in range(Int(lengths[unsafe_offset=game])):
                    var action = Int(actions[unsafe_offset = ply_offset + ply])
                    var count = Int(policy_counts[unsafe_offset = ply_offset + ply])
                    if state.is_terminal():
                        fault_reason = 1
                    elif not state.is_legal(action):
                        fault_reason = 2
                    elif Int(movers[unsafe_offset = ply_offset + ply]) != state.to_move():
                        fault_reason = 3
                    elif ply >= opening:
                        for index in range(count):
                            if not state.is_legal(Int(entry_actions[unsafe_offset = entry_offset + index])):
                                fault_reason = 4
                                break
                    if fault_reason != 0:
                        fault_game = game
                        fault_ply = ply
                        break
                    entry_offset += count
                    state.apply(action)
                if fault_reason != 0:
                    break
                ply_offset += Int(lengths[unsafe_offset=game])
        _ = starts^
        var reasons: List[String] = ["", "finished", "illegal move", "mover", "illegal policy entry"]
        return Python.tuple(fault_game, fault_ply, reasons[fault_reason])

    def write_to(self, mut writer: Some[Writer]):
        writer.write("<", self.states[0].name(), " state, ply ", self.states[0].ply(), ">")

    def write_repr_to(self, mut writer: Some[Writer]):
        self.write_to(writer)


def register_game_state_type[G: Game](mut module: PythonModuleBuilder, type_name: StaticString) raises:
    """Adds `GameStateBox[G]` to `module` as the Python type `type_name`."""
    comptime Box = GameStateBox[G]
    _ = (
        module.add_type[Box](type_name)
        .def_staticmethod[Box.new]("new")
        .def_staticmethod[Box.from_position]("from_position")
        .def_method[Box.copy]("copy")
        .def_method[Box.name]("name")
        .def_method[Box.num_actions]("num_actions")
        .def_method[Box.input_shape]("input_shape")
        .def_method[Box.to_move]("to_move")
        .def_method[Box.ply]("ply")
        .def_method[Box.legal_actions]("legal_actions")
        .def_method[Box.legal_moves]("legal_moves")
        .def_method[Box.count_legal_actions]("count_legal_actions")
        .def_method[Box.is_legal]("is_legal")
        .def_method[Box.apply_action]("apply_action")
        .def_method[Box.parse_move]("parse_move")
        .def_method[Box.format_move]("format_move")
        .def_method[Box.format_record_move]("format_record_move")
        .def_method[Box.is_terminal]("is_terminal")
        .def_method[Box.winner]("winner")
        .def_method[Box.result_string]("result_string")
        .def_method[Box.repetitions_for_draw]("repetitions_for_draw")
        .def_method[Box.hash]("hash")
        .def_method[Box.recompute_hash]("recompute_hash")
        .def_method[Box.encode]("encode")
        .def_method[Box.num_symmetries]("num_symmetries")
        .def_method[Box.symmetry_action]("symmetry_action")
        .def_method[Box.transform_encoding]("transform_encoding")
        .def_method[Box.transformed]("transformed")
        .def_method[Box.render]("render")
        .def_method[Box.position]("position")
        .def_method[Box.perft]("perft")
        .def_method[Box.perft_played]("perft_played")
        .def_method[Box.count_finished_games]("count_finished_games")
        .def_staticmethod[Box.encode_samples]("encode_samples")
        .def_staticmethod[Box.validate_games]("validate_games")
    )
