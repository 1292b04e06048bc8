"""The game trait: the only thing the search, perft and the Python bindings know of a game.

A game is a two-player, zero-sum, perfect-information game with a fixed policy space of
`num_actions()` action indices. Everything the engine needs goes through this trait, so
adding a game means writing one file in `games/` (or a package folder, like `games/tak/`)
that implements it, and registering it in `mojo/engine_module.mojo`.

Conventions:
- Players are 0 (the first player) and 1 (the second).
- `legal_actions` is empty exactly when `is_terminal()` is true ("a finished position has
  no moves", as tiltak counts perft).
- The network input is float32 `[C, H, W]`, row-major, written into a caller-owned buffer
  (numpy, torch or the batch tensor) through its address. Planes are from the point of view
  of the side to move, so the network never needs to flip its value head.
- A symmetry `k` in `0 ..< num_symmetries()` is a pair: a transform of the input planes
  (`transform_encoding`) and a permutation of the action indices (`symmetry_action`).
  Symmetry 0 is the identity. `transformed(k)` returns the state itself mapped by the
  symmetry, so tests can check `encode(transformed(k)) == transform_encoding(k, encode(s))`
  and that legal actions map to legal actions.
"""

from std.collections import Dict

comptime FIRST_PLAYER = 0
comptime SECOND_PLAYER = 1
comptime DRAW = -1
"""Returned by `Game.winner()` for a drawn finished game."""

comptime FloatBuffer = Pointer[Float32, MutAnyOrigin]
"""A caller-owned float32 buffer (network input planes), addressed without bounds checks."""


@fieldwise_init
struct InputShape(Copyable, Movable, Writable):
    """The shape `[channels, height, width]` of a game's network input."""

    var channels: Int
    var height: Int
    var width: Int

    def size(self) -> Int:
        """Number of float32 values in one encoded position."""
        return self.channels * self.height * self.width

    def write_to(self, mut writer: Some[Writer]):
        writer.write("[", self.channels, ", ", self.height, ", ", self.width, "]")


struct GameOptions(Copyable, Movable):
    """Named numeric options for creating a game (`size`, `komi`, ...).

    The Python layer fills this from keyword arguments; a game reads what it knows with
    `take_int` / `take_float` and then calls `reject_unknown`, so a misspelt option is an
    error that names it instead of being silently ignored.
    """

    var values: Dict[String, Float64]

    def __init__(out self):
        self.values = Dict[String, Float64]()

    def set(mut self, name: String, value: Float64):
        """Sets option `name`."""
        self.values[name] = value

    def take_float(mut self, name: String, default: Float64) raises -> Float64:
        """Returns option `name` (or `default`) and marks it as used."""
        if name in self.values:
            return self.values.pop(name)
        return default

    def take_int(mut self, name: String, default: Int) raises -> Int:
        """Returns integer option `name` (or `default`); a fractional value is an error."""
        var value = self.take_float(name, Float64(default))
        if Float64(Int(value)) != value:
            raise Error(String("option '", name, "' must be an integer, got ", value))
        return Int(value)

    def reject_unknown(self, game_name: String) raises:
        """Raises naming every option that the game did not take."""
        if len(self.values) == 0:
            return
        var names = String()
        for entry in self.values.items():
            if names.byte_length() > 0:
                names += ", "
            names += entry.key
        raise Error(String("unknown option(s) for ", game_name, ": ", names))


trait Game(Copyable, Movable, Deinitable):
    """A game state. Copying a state must be cheap: search and perft copy freely."""

    @staticmethod
    def create(mut options: GameOptions) raises -> Self:
        """Returns the initial state; raises on unknown or out-of-range options."""
        ...

    @staticmethod
    def from_position(mut options: GameOptions, text: String) raises -> Self:
        """Returns the position described by `text` in the game's position notation.

        The inverse of `position()` (TPS for Tak); raises naming what is wrong in `text`.
        """
        ...

    def position(self) -> String:
        """The position in the game's own position notation (TPS for Tak)."""
        ...

    def name(self) -> String:
        """The registry name of the game, e.g. `tictactoe`."""
        ...

    def num_actions(self) -> Int:
        """Size of the fixed policy space; actions are `0 ..< num_actions()`."""
        ...

    def input_shape(self) -> InputShape:
        """Shape of the network input written by `encode`."""
        ...

    def to_move(self) -> Int:
        """The player to move: 0 (first) or 1 (second)."""
        ...

    def ply(self) -> Int:
        """Number of plies played since the initial position."""
        ...

    def legal_actions(self, mut actions: List[Int]):
        """Clears `actions` and appends every legal action; empty iff terminal."""
        ...

    def count_legal_actions(self) -> Int:
        """`len` of `legal_actions`, possibly faster (perft bulk-counts with it)."""
        ...

    def is_legal(self, action: Int) -> Bool:
        """Whether `action` is legal here (any index, in or out of range)."""
        ...

    def apply(mut self, action: Int):
        """Plays a legal action. Behaviour for an illegal action is unspecified."""
        ...

    def is_terminal(self) -> Bool:
        """Whether the game is over."""
        ...

    def winner(self) -> Int:
        """For a finished game: 0, 1 or `DRAW`. Meaningless while the game goes on."""
        ...

    def result_string(self) -> String:
        """The game's own result notation (`1-0`, `R-0`, `1/2-1/2`, ...); empty while on."""
        ...

    def hash(self) -> UInt64:
        """The incrementally maintained 64-bit Zobrist hash of the position."""
        ...

    def recompute_hash(self) -> UInt64:
        """The Zobrist hash computed from scratch; must equal `hash()` at all times."""
        ...

    def repetitions_for_draw(self) -> Int:
        """How many occurrences of one position in a game end it as a draw (3: chess's
        threefold repetition), or 0 for a game without a repetition rule (the default).
        A state carries no history, so it cannot apply the rule itself: whoever plays a
        game out (self-play, the arena, `pyzero play`) counts `hash()` over the game's
        positions and ends it when one reaches this count."""
        return 0

    def encode(self, planes: FloatBuffer):
        """Writes the network input, `input_shape().size()` float32 values, into `planes`."""
        ...

    def num_symmetries(self) -> Int:
        """Number of board symmetries, identity included (symmetry 0)."""
        ...

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        """The image of `action` under `symmetry` (a permutation of all action indices)."""
        ...

    def transform_encoding(self, symmetry: Int, source: FloatBuffer, destination: FloatBuffer):
        """Writes `source` planes mapped by `symmetry` into `destination` (no aliasing)."""
        ...

    def transformed(self, symmetry: Int) -> Self:
        """The position mapped by `symmetry`."""
        ...

    def render(self) -> String:
        """A human-readable text picture of the position."""
        ...

    def parse_move(self, text: String) raises -> Int:
        """Parses a move in the game's notation; raises with the reason if malformed.

        Legality is not checked here: callers check `is_legal` so that the error message
        can say whether the move was malformed or illegal in this position.
        """
        ...

    def format_move(self, action: Int) -> String:
        """The action in the game's notation."""
        ...

    def format_record_move(self, action: Int) -> String:
        """The legal `action` as the game's records write it (SAN for chess, which needs the
        position); by default `format_move`. `parse_move` must read it back."""
        return self.format_move(action)
