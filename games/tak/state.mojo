"""The Tak position, `TakState`: its fields, options, hashing and `Game` methods.

The struct holds the board (see `board.mojo` for the square and stack layout) and the
game's counters; most `Game` methods call the functions of the file for their concept:
`moves.mojo` (legal actions, applying a move), `results.mojo` (roads, flat wins),
`encoding.mojo` (input planes), `actions.mojo` (action indices and their symmetries),
`ptn.mojo` (move notation) and `tps.mojo` (position notation, the board drawing).

Options (GameOptions): `size` (3..8, default 6), `komi` (flats, multiple of 0.5, default
0), `flats` / `caps` (per player, default from the rules table), `reversible_ply_limit`
(0 = off: otherwise the game is drawn after that many consecutive plies without a
placement), `reversible_ply_bit1` / `reversible_ply_bit2` (input plane thresholds,
default 60% and 90% of the limit, 0 when the limit is off).

Zobrist hash: every piece at every height by colour, wall and capstone tops, the side to
move, both players' stone and capstone reserves, and the reversible-ply input bucket
(which of the two input bits are on; the exact counter is not hashed).
"""

from std.bit import pop_count
from mojo.game import Game, GameOptions, InputShape, FloatBuffer, DRAW
from mojo.zobrist import zobrist_key
from mojo.board_symmetry import square_symmetry_index, transform_square_planes, NUM_SQUARE_SYMMETRIES
from games.tak.board import (
    MIN_SIZE,
    MAX_SIZE,
    MAX_SQUARES,
    MAX_FLATS,
    MAX_CAPS,
    MAX_REVERSIBLE_PLY_LIMIT,
    ZOBRIST_WALL,
    ZOBRIST_CAP,
    ZOBRIST_SIDE,
    ZOBRIST_STONES,
    ZOBRIST_CAPS,
    ZOBRIST_REVERSIBLE,
    default_stones,
    default_caps,
    _bit,
    _piece_key,
)
from games.tak.results import END_NONE
from games.tak.encoding import NUM_PLANES
from games.tak import actions, moves, results, encoding, ptn, tps


struct TakState(Game):
    """A Tak position. See `actions.mojo` and `encoding.mojo` for the action and plane layouts."""

    var size: Int
    var area: Int
    var board_mask: UInt64
    var left_edge: UInt64
    var right_edge: UInt64
    var bottom_edge: UInt64
    var top_edge: UInt64
    var stacks: Array[UInt64, MAX_SQUARES]
    """Colour bits of heights 0..63 per square: bit h = 1 when that piece is the second player's."""
    var tall_square: Int
    """The one square (or -1) whose stack has second-player pieces above height 63."""
    var tall_bits: UInt64
    """Colour bits of heights 64..127 of `tall_square`."""
    var heights: Array[UInt8, MAX_SQUARES]
    var tops: Array[UInt64, 2]
    """Squares whose top piece belongs to player 0 / 1."""
    var walls: UInt64
    var caps: UInt64
    var stones_left: Array[Int, 2]
    var caps_left: Array[Int, 2]
    var start_stones: Int
    var start_caps: Int
    var half_komi: Int
    var reversible_limit: Int
    var reversible_bit1: Int
    var reversible_bit2: Int
    var reversible_plies: Int
    var ply_count: Int
    var hash_value: UInt64
    var winner_value: Int
    var end_reason: Int

    # ------------------------------------------------------------------ construction

    def __init__(
        out self, size: Int, stones: Int, capstones: Int, half_komi: Int, limit: Int, bit1: Int, bit2: Int
    ):
        """An empty board with the given configuration (already validated)."""
        self.size = size
        self.area = size * size
        self.board_mask = UInt64(0xFFFFFFFFFFFFFFFF) if self.area == 64 else (_bit(self.area) - 1)
        self.left_edge = 0
        self.right_edge = 0
        self.bottom_edge = 0
        self.top_edge = 0
        for i in range(size):
            self.left_edge |= _bit(i * size)
            self.right_edge |= _bit(i * size + size - 1)
            self.bottom_edge |= _bit(i)
            self.top_edge |= _bit((size - 1) * size + i)
        self.stacks = Array[UInt64, MAX_SQUARES](fill=0)
        self.tall_square = -1
        self.tall_bits = 0
        self.heights = Array[UInt8, MAX_SQUARES](fill=0)
        self.tops = Array[UInt64, 2](fill=0)
        self.walls = 0
        self.caps = 0
        self.stones_left = Array[Int, 2](fill=stones)
        self.caps_left = Array[Int, 2](fill=capstones)
        self.start_stones = stones
        self.start_caps = capstones
        self.half_komi = half_komi
        self.reversible_limit = limit
        self.reversible_bit1 = bit1
        self.reversible_bit2 = bit2
        self.reversible_plies = 0
        self.ply_count = 0
        self.hash_value = 0
        self.winner_value = DRAW
        self.end_reason = END_NONE
        self.hash_value = self.recompute_hash()

    @staticmethod
    def _configured(mut options: GameOptions, tps_size: Int) raises -> Self:
        """Reads every option (size must match `tps_size` when that is > 0)."""
        var size = options.take_int("size", tps_size if tps_size > 0 else 6)
        if size < MIN_SIZE or size > MAX_SIZE:
            raise Error(String("tak: option 'size' must be 3..8, got ", size))
        if tps_size > 0 and size != tps_size:
            raise Error(
                String(
                    "tak: option size=", size, " does not match the ", tps_size, "x", tps_size, " TPS board"
                )
            )
        var komi = options.take_float("komi", 0.0)
        var half = komi * 2.0
        if Float64(Int(half)) != half:
            raise Error(String("tak: option 'komi' must be a multiple of 0.5, got ", komi))
        if half < -200.0 or half > 200.0:
            raise Error(String("tak: option 'komi' must be within -100..100, got ", komi))
        var stones = options.take_int("flats", default_stones(size))
        if stones < 1 or stones > MAX_FLATS:
            raise Error(String("tak: option 'flats' must be 1..", MAX_FLATS, ", got ", stones))
        var capstones = options.take_int("caps", default_caps(size))
        if capstones < 0 or capstones > MAX_CAPS:
            raise Error(String("tak: option 'caps' must be 0..", MAX_CAPS, ", got ", capstones))
        var limit = options.take_int("reversible_ply_limit", 0)
        if limit < 0 or limit > MAX_REVERSIBLE_PLY_LIMIT:
            raise Error(
                String(
                    "tak: option 'reversible_ply_limit' must be 0..",
                    MAX_REVERSIBLE_PLY_LIMIT,
                    " (0 = off), got ",
                    limit,
                )
            )
        var default1 = 0
        var default2 = 0
        if limit > 0:
            default1 = max(1, (limit * 6) // 10)
            default2 = max(1, (limit * 9) // 10)
        var bit1 = options.take_int("reversible_ply_bit1", default1)
        var bit2 = options.take_int("reversible_ply_bit2", default2)
        if bit1 < 0 or bit1 > MAX_REVERSIBLE_PLY_LIMIT:
            raise Error(
                String(
                    "tak: option 'reversible_ply_bit1' must be 0..",
                    MAX_REVERSIBLE_PLY_LIMIT,
                    " (0 = off), got ",
                    bit1,
                )
            )
        if bit2 < 0 or bit2 > MAX_REVERSIBLE_PLY_LIMIT:
            raise Error(
                String(
                    "tak: option 'reversible_ply_bit2' must be 0..",
                    MAX_REVERSIBLE_PLY_LIMIT,
                    " (0 = off), got ",
                    bit2,
                )
            )
        options.reject_unknown("tak")
        return Self(size, stones, capstones, Int(half), limit, bit1, bit2)

    @staticmethod
    def create(mut options: GameOptions) raises -> Self:
        """The empty board; options `size`, `komi`, `flats`, `caps`, `reversible_ply_*`."""
        return Self._configured(options, 0)

    @staticmethod
    def from_position(mut options: GameOptions, text: String) raises -> Self:
        """Parses TPS (`x5/x5/x5/x5/x5 1 1`); raises naming what is wrong."""
        return tps.parse_tps(options, text)

    # ------------------------------------------------------------------ basic queries

    def name(self) -> String:
        return "tak"

    def num_actions(self) -> Int:
        return actions.action_count(self.size)

    def input_shape(self) -> InputShape:
        return InputShape(NUM_PLANES, self.size, self.size)

    @always_inline
    def to_move(self) -> Int:
        return self.ply_count & 1

    def ply(self) -> Int:
        return self.ply_count

    def is_terminal(self) -> Bool:
        return self.end_reason != END_NONE

    def winner(self) -> Int:
        return self.winner_value

    def hash(self) -> UInt64:
        return self.hash_value

    def result_string(self) -> String:
        return results.result_string(self)

    def end_reason_name(self) -> String:
        """Why the game ended: `road`, `flats`, `reversible`, or empty while it goes on."""
        return results.end_reason_name(self)

    @always_inline
    def height(self, square: Int) -> Int:
        """Number of pieces on `square`."""
        return Int(self.heights[square])

    @always_inline
    def piece_colour(self, square: Int, level: Int) -> Int:
        """Owner (0 or 1) of the piece at height `level` (0 = bottom) on `square`."""
        return Int((self._stack(square) >> UInt128(level)) & 1)

    @always_inline
    def _stack(self, square: Int) -> UInt128:
        """All colour bits of `square`'s stack."""
        var low = UInt128(self.stacks[square])
        if square == self.tall_square:
            return low | (UInt128(self.tall_bits) << 64)
        return low

    @always_inline
    def _set_stack(mut self, square: Int, bits: UInt128):
        """Stores `square`'s colour bits (heights above 63 go to the single tall square).

        Stacks are at most 127 high (flats <= 63) and only a capstone can sit on top of a
        stack, so at most one square ever has second-player pieces above height 63.
        """
        self.stacks[square] = UInt64(bits & 0xFFFFFFFFFFFFFFFF)
        var high = UInt64(bits >> 64)
        if high != 0:
            self.tall_square = square
            self.tall_bits = high
        elif self.tall_square == square:
            self.tall_square = -1
            self.tall_bits = 0

    def top_flat_count(self, player: Int) -> Int:
        """Squares whose top is a flat of `player` (the flat count)."""
        return Int(pop_count(self.tops[player] & ~(self.walls | self.caps)))

    def stones_in_reserve(self, player: Int) -> Int:
        """Stones (flats/walls) `player` can still place."""
        return self.stones_left[player]

    def caps_in_reserve(self, player: Int) -> Int:
        """Capstones `player` can still place."""
        return self.caps_left[player]

    def komi(self) -> Float64:
        """Komi in flats (added to the second player's flat count)."""
        return Float64(self.half_komi) / 2.0

    def reversible_ply_count(self) -> Int:
        """Consecutive plies played without a placement."""
        return self.reversible_plies

    @always_inline
    def _in_opening(self) -> Bool:
        return self.ply_count < 2

    @always_inline
    def _occupied(self) -> UInt64:
        return self.tops[0] | self.tops[1]

    # ------------------------------------------------------------------ hashing

    def _reversible_bucket(self) -> Int:
        var bucket = 0
        if self.reversible_bit1 > 0 and self.reversible_plies >= self.reversible_bit1:
            bucket |= 1
        if self.reversible_bit2 > 0 and self.reversible_plies >= self.reversible_bit2:
            bucket |= 2
        return bucket

    def recompute_hash(self) -> UInt64:
        var h: UInt64 = 0
        for square in range(self.area):
            var height = Int(self.heights[square])
            for level in range(height):
                h ^= _piece_key(square, level, self.piece_colour(square, level))
            if (self.walls & _bit(square)) != 0:
                h ^= zobrist_key(ZOBRIST_WALL, square)
            if (self.caps & _bit(square)) != 0:
                h ^= zobrist_key(ZOBRIST_CAP, square)
        if self.to_move() == 1:
            h ^= zobrist_key(ZOBRIST_SIDE, 0)
        for player in range(2):
            h ^= zobrist_key(ZOBRIST_STONES, player * 256 + self.stones_left[player])
            h ^= zobrist_key(ZOBRIST_CAPS, player * 256 + self.caps_left[player])
        var bucket = self._reversible_bucket()
        if bucket != 0:
            h ^= zobrist_key(ZOBRIST_REVERSIBLE, bucket)
        return h

    # ------------------------------------------------------------------ moves (moves.mojo)

    @always_inline
    def count_legal_actions(self) -> Int:
        return moves.count_legal_actions(self)

    @always_inline
    def legal_actions(self, mut actions: List[Int]):
        moves.legal_actions(self, actions)

    @always_inline
    def is_legal(self, action: Int) -> Bool:
        return moves.is_legal(self, action)

    @always_inline
    def apply(mut self, action: Int):
        moves.apply(self, action)

    # ------------------------------------------------------------------ results (results.mojo)

    def has_road(self, player: Int) -> Bool:
        """Whether `player`'s flats and capstones connect two opposite edges."""
        return results.has_road(self, player)

    # ------------------------------------------------------------------ encoding (encoding.mojo)

    @always_inline
    def encode(self, planes: FloatBuffer):
        encoding.encode(self, planes)

    # ------------------------------------------------------------------ symmetries

    def num_symmetries(self) -> Int:
        return NUM_SQUARE_SYMMETRIES

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        return actions.symmetry_action(self.size, symmetry, action)

    def transform_encoding(self, symmetry: Int, source: FloatBuffer, destination: FloatBuffer):
        transform_square_planes(symmetry, self.size, NUM_PLANES, source, destination)

    def transformed(self, symmetry: Int) -> Self:
        var result = self.copy()
        result.tall_square = -1
        result.tall_bits = 0
        result.tops[0] = 0
        result.tops[1] = 0
        result.walls = 0
        result.caps = 0
        for square in range(self.area):
            var image = square_symmetry_index(symmetry, self.size, square)
            result._set_stack(image, self._stack(square))
            result.heights[image] = self.heights[square]
            var bit = _bit(square)
            var image_bit = _bit(image)
            if (self.tops[0] & bit) != 0:
                result.tops[0] |= image_bit
            if (self.tops[1] & bit) != 0:
                result.tops[1] |= image_bit
            if (self.walls & bit) != 0:
                result.walls |= image_bit
            if (self.caps & bit) != 0:
                result.caps |= image_bit
        result.hash_value = result.recompute_hash()
        return result^

    # ------------------------------------------------------------------ notation (tps.mojo, ptn.mojo)

    def square_text(self, square: Int) -> String:
        """The TPS text of one square: `x` when empty, else e.g. `121S`."""
        return tps.square_text(self, square)

    def position(self) -> String:
        return tps.position(self)

    def render(self) -> String:
        return tps.render(self)

    def format_move(self, action: Int) -> String:
        return ptn.format_move(self.size, action)

    def parse_move(self, text: String) raises -> Int:
        return ptn.parse_move(self.size, text)

    @staticmethod
    def placement_action(size: Int, piece: Int, square: Int) -> Int:
        """The action placing `piece` (0 flat, 1 wall, 2 capstone) on `square`."""
        return actions.placement_action(size, piece, square)

    @staticmethod
    def spread_action(size: Int, square: Int, direction: Int, drops: List[Int]) -> Int:
        """The action moving sum(drops) pieces from `square` in `direction`, dropping `drops`."""
        return actions.spread_action(size, square, direction, drops)
