"""Tak (sizes 3x3 to 8x8) as a `Game`: rules, move generation, hashing, encoding, notation.

Rules follow shared/tak/RULES.md: swap opening decided by the ply number (plies 1 and 2
place the opponent's flat), flats / walls / capstones, stack moves up to the carry limit
(= board size), a lone capstone flattening a wall as the last single piece dropped, road
wins (the mover wins when one move completes roads for both players: "dragon clause"),
flat wins when the board is full or a player has no stones AND no capstones left (komi in
half-flats added to the second player's count), and an optional reversible-ply draw.

Board and squares
-----------------
Square index = row * N + column; row 0 is rank 1 and column 0 is file a, so PTN `a1` is
square 0 and `b1` is square 1. Bitboards use bit `square` (N * N <= 64 bits).
A stack is a colour mask (bit h = colour of the piece at height h, 0 = bottom, 1 = the
second player's piece) plus a height; only the top piece can be a wall or a capstone,
held in the `walls` / `caps` bitboards. The `tops` bitboards say who owns the top of each
occupied square. A stack never exceeds 2 * flats + 1 pieces, so flats <= 63 keeps it
within 128 bits; heights 0..63 live in one 64-bit word per square and heights 64..127 in
a single spare word (at most one stack can be that tall), which keeps a state ~0.7 KB.

Action index layout (num_actions = 3*N*N + 4*N*N*(2^N - 1))
------------------------------------------------------------
- Placements, `0 ..< 3*N*N`: action = piece * N*N + square, piece 0 = flat, 1 = wall
  (standing stone), 2 = capstone. During the two swap plies the flat placement puts the
  opponent's flat.
- Stack moves, from `3*N*N`: action = 3*N*N + (square * 4 + direction) * (2^N - 1) + pattern.
  Directions: 0 = `+` (up, towards rank N), 1 = `-` (down), 2 = `>` (right, towards file
  h), 3 = `<` (left).
  A pattern encodes the carry c (1..N) and the drops: pattern = (2^(c-1) - 1) + cuts,
  where `cuts` (c-1 bits) has bit j set when the move steps to the next square after
  dropping the (j+1)-th carried piece (carried pieces are dropped bottom first). So
  patterns `0` = carry 1; `1, 2` = carry 2 dropped as `2` / `11`; carry 3: `3` = `3`,
  `4` = `12`, `5` = `21`, `6` = `111`; and so on. Carries 1..c use patterns `0 ..< 2^c - 1`.
  The pattern `2^N - 2` (N pieces dropped one per square on N squares) can never be legal
  and has no PTN form; every other action index prints and parses back.

Input planes (encode), C = 31 planes of N x N, from the side to move's point of view
-------------------------------------------------------------------------------------
- 0, 1, 2: the top piece is the side to move's flat / wall / capstone.
- 3, 4, 5: the top piece is the opponent's flat / wall / capstone.
- 6 .. 19: the pieces under the top: for depth d = 1..7 (d = 1 is right under the top),
  plane 6 + 2*(d-1) is 1 where that piece is the side to move's, 7 + 2*(d-1) where it is
  the opponent's (0 where the stack is not that tall).
- 20, 21: the side to move's / opponent's pieces deeper than depth 7 in the stack,
  min(count, 20) / 20.
- 22, 23: the side to move's stones / capstones in reserve, as a fraction of the start
  counts (0 when the start count is 0); 24, 25: the same for the opponent.
- 26: all ones when the side to move is the second player.
- 27: komi / 4 from the side to move's view (positive when komi is in its favour).
- 28: all ones during the swap opening (plies 1 and 2: the flat placed is the opponent's).
- 29, 30: all ones once the reversible-ply counter (plies since the last placement)
  reaches `reversible_ply_bit1` / `reversible_ply_bit2` (a threshold of 0 is off).

Options (GameOptions): `size` (3..8, default 6), `komi` (flats, multiple of 0.5, default
0), `flats` / `caps` (per player, default from the rules table), `reversible_ply_limit`
(0 = off: otherwise the game is drawn after that many consecutive plies without a
placement), `reversible_ply_bit1` / `reversible_ply_bit2` (input plane thresholds,
default 60% and 90% of the limit, 0 when the limit is off).

Zobrist hash: every piece at every height by colour, wall and capstone tops, the side to
move, both players' stone and capstone reserves, and the reversible-ply input bucket
(which of the two input bits are on; the exact counter is not hashed).
"""

from std.bit import pop_count, count_trailing_zeros, count_leading_zeros
from mojo.game import Game, GameOptions, InputShape, FloatBuffer, DRAW
from mojo.zobrist import zobrist_key
from mojo.board_symmetry import (
    square_symmetry_index,
    square_symmetry_row,
    square_symmetry_column,
    transform_square_planes,
    NUM_SQUARE_SYMMETRIES,
)

comptime MIN_SIZE = 3
comptime MAX_SIZE = 8
comptime MAX_SQUARES = 64
comptime MAX_FLATS = 63
comptime MAX_CAPS = 32
comptime MAX_REVERSIBLE_PLY_LIMIT = 1000000

comptime PIECE_FLAT = 0
comptime PIECE_WALL = 1
comptime PIECE_CAP = 2

comptime DIRECTION_UP = 0
comptime DIRECTION_DOWN = 1
comptime DIRECTION_RIGHT = 2
comptime DIRECTION_LEFT = 3

comptime END_NONE = 0
comptime END_ROAD = 1
comptime END_FLATS = 2
comptime END_REVERSIBLE = 3

comptime VIEW_DEPTH = 7
comptime NUM_PLANES = 31
comptime PLANE_TOPS = 0
comptime PLANE_UNDER = 6
comptime PLANE_DEEP = 20
comptime PLANE_RESERVES = 22
comptime PLANE_SIDE = 26
comptime PLANE_KOMI = 27
comptime PLANE_OPENING = 28
comptime PLANE_REVERSIBLE = 29

comptime ZOBRIST_PIECE = 0x54414B01
comptime ZOBRIST_WALL = 0x54414B02
comptime ZOBRIST_CAP = 0x54414B03
comptime ZOBRIST_SIDE = 0x54414B04
comptime ZOBRIST_STONES = 0x54414B05
comptime ZOBRIST_CAPS = 0x54414B06
comptime ZOBRIST_REVERSIBLE = 0x54414B07


def _make_spread_table(flatten: Bool) -> SIMD[DType.uint16, 128]:
    """Counts drop patterns by (carry limit k, free squares r), entry k * 8 + r.

    Without `flatten`: patterns of carry 1..k over at most r squares. With `flatten`: the
    patterns that cover r free squares and then drop exactly one piece on a wall.
    """
    var table = SIMD[DType.uint16, 128](0)
    for k in range(MAX_SIZE + 1):
        for r in range(MAX_SIZE):
            var total = 0
            for c in range(1, k + 1):
                for cuts in range(1 << (c - 1)):
                    var parts = pop_count(cuts) + 1
                    if flatten:
                        if parts == r + 1 and (c == 1 or ((cuts >> (c - 2)) & 1) == 1):
                            total += 1
                    elif parts <= r:
                        total += 1
            table[k * 8 + r] = UInt16(total)
    return table


comptime NORMAL_SPREADS = _make_spread_table(False)
comptime FLATTEN_SPREADS = _make_spread_table(True)


def default_stones(size: Int) -> Int:
    """Stones per player on a `size` board (rules table)."""
    if size == 3:
        return 10
    if size == 4:
        return 15
    if size == 5:
        return 21
    if size == 6:
        return 30
    if size == 7:
        return 40
    return 50


def default_caps(size: Int) -> Int:
    """Capstones per player on a `size` board (rules table)."""
    if size <= 4:
        return 0
    if size <= 6:
        return 1
    return 2


@always_inline
def _bit(square: Int) -> UInt64:
    return UInt64(1) << UInt64(square)


@always_inline
def _piece_key(square: Int, height: Int, colour: Int) -> UInt64:
    return zobrist_key(ZOBRIST_PIECE, (square * 128 + height) * 2 + colour)


@always_inline
def _pattern_carry(pattern: Int) -> Int:
    """Carry c of a drop pattern: pattern + 1 = 2^(c-1) + cuts."""
    var value = UInt64(pattern + 1)
    return 64 - Int(count_leading_zeros(value))


@always_inline
def _pattern_cuts(pattern: Int, carry: Int) -> Int:
    return pattern + 1 - (1 << (carry - 1))


def _direction_char(direction: Int) -> String:
    if direction == DIRECTION_UP:
        return "+"
    if direction == DIRECTION_DOWN:
        return "-"
    if direction == DIRECTION_RIGHT:
        return ">"
    return "<"


def _direction_row_delta(direction: Int) -> Int:
    if direction == DIRECTION_UP:
        return 1
    if direction == DIRECTION_DOWN:
        return -1
    return 0


def _direction_column_delta(direction: Int) -> Int:
    if direction == DIRECTION_RIGHT:
        return 1
    if direction == DIRECTION_LEFT:
        return -1
    return 0


def symmetry_direction(symmetry: Int, direction: Int) -> Int:
    """The image of a move direction under a board symmetry (board_symmetry numbering)."""
    var row0 = square_symmetry_row(symmetry, 3, 1, 1)
    var column0 = square_symmetry_column(symmetry, 3, 1, 1)
    var row1 = square_symmetry_row(
        symmetry, 3, 1 + _direction_row_delta(direction), 1 + _direction_column_delta(direction)
    )
    var column1 = square_symmetry_column(
        symmetry, 3, 1 + _direction_row_delta(direction), 1 + _direction_column_delta(direction)
    )
    var dr = row1 - row0
    var dc = column1 - column0
    if dr == 1:
        return DIRECTION_UP
    if dr == -1:
        return DIRECTION_DOWN
    if dc == 1:
        return DIRECTION_RIGHT
    return DIRECTION_LEFT


def _square_name(square: Int, size: Int) -> String:
    var result = String()
    result += chr(ord("a") + square % size)
    result += chr(ord("1") + square // size)
    return result


struct TakState(Game):
    """A Tak position. See the module docstring for the action and plane layouts."""

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
        return _parse_tps(options, text)

    # ------------------------------------------------------------------ basic queries

    def name(self) -> String:
        return "tak"

    def num_actions(self) -> Int:
        return 3 * self.area + 4 * self.area * ((1 << self.size) - 1)

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
        if self.end_reason == END_NONE:
            return ""
        if self.winner_value == DRAW:
            return "1/2-1/2"
        if self.end_reason == END_ROAD:
            return "R-0" if self.winner_value == 0 else "0-R"
        return "F-0" if self.winner_value == 0 else "0-F"

    def end_reason_name(self) -> String:
        """Why the game ended: `road`, `flats`, `reversible`, or empty while it goes on."""
        if self.end_reason == END_ROAD:
            return "road"
        if self.end_reason == END_FLATS:
            return "flats"
        if self.end_reason == END_REVERSIBLE:
            return "reversible"
        return ""

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

    # ------------------------------------------------------------------ move generation

    @always_inline
    def _edge_distance(self, square: Int, direction: Int) -> Int:
        var row = square // self.size
        var column = square - row * self.size
        if direction == DIRECTION_UP:
            return self.size - 1 - row
        if direction == DIRECTION_DOWN:
            return row
        if direction == DIRECTION_RIGHT:
            return self.size - 1 - column
        return column

    @always_inline
    def _step(self, direction: Int) -> Int:
        if direction == DIRECTION_UP:
            return self.size
        if direction == DIRECTION_DOWN:
            return -self.size
        if direction == DIRECTION_RIGHT:
            return 1
        return -1

    @always_inline
    def _ray(self, square: Int, direction: Int, blockers: UInt64) -> Int:
        """Free squares r before a blocker or the edge, plus 16 when the blocker is a wall."""
        var steps = self._edge_distance(square, direction)
        var delta = self._step(direction)
        var current = square
        var free = 0
        while free < steps:
            current += delta
            var bit = _bit(current)
            if (blockers & bit) != 0:
                if (self.walls & bit) != 0:
                    return free | 16
                return free
            free += 1
        return free

    def _placement_count(self) -> Int:
        var empty = Int(pop_count(self.board_mask & ~self._occupied()))
        if self._in_opening():
            return empty
        var me = self.to_move()
        var total = 0
        if self.stones_left[me] > 0:
            total += 2 * empty
        if self.caps_left[me] > 0:
            total += empty
        return total

    def count_legal_actions(self) -> Int:
        if self.end_reason != END_NONE:
            return 0
        var total = self._placement_count()
        if self._in_opening():
            return total
        var normal = materialize[NORMAL_SPREADS]()
        var flatten = materialize[FLATTEN_SPREADS]()
        var blockers = self.walls | self.caps
        var mine = self.tops[self.to_move()]
        while mine != 0:
            var square = Int(count_trailing_zeros(mine))
            mine &= mine - 1
            var carry = min(Int(self.heights[square]), self.size)
            var is_cap = (self.caps & _bit(square)) != 0
            for direction in range(4):
                var ray = self._ray(square, direction, blockers)
                var free = ray & 15
                total += Int(normal[carry * 8 + free])
                if is_cap and ray >= 16:
                    total += Int(flatten[carry * 8 + free])
        return total

    def legal_actions(self, mut actions: List[Int]):
        actions.clear()
        if self.end_reason != END_NONE:
            return
        var empty = self.board_mask & ~self._occupied()
        var area = self.area
        if self._in_opening():
            var bits = empty
            while bits != 0:
                actions.append(Int(count_trailing_zeros(bits)))
                bits &= bits - 1
            return
        var me = self.to_move()
        if self.stones_left[me] > 0:
            for piece in range(2):
                var bits = empty
                while bits != 0:
                    actions.append(piece * area + Int(count_trailing_zeros(bits)))
                    bits &= bits - 1
        if self.caps_left[me] > 0:
            var bits = empty
            while bits != 0:
                actions.append(2 * area + Int(count_trailing_zeros(bits)))
                bits &= bits - 1
        var patterns_per = (1 << self.size) - 1
        var move_base = 3 * area
        var blockers = self.walls | self.caps
        var mine = self.tops[me]
        while mine != 0:
            var square = Int(count_trailing_zeros(mine))
            mine &= mine - 1
            var carry = min(Int(self.heights[square]), self.size)
            var is_cap = (self.caps & _bit(square)) != 0
            for direction in range(4):
                var ray = self._ray(square, direction, blockers)
                var free = ray & 15
                var can_flatten = is_cap and ray >= 16
                var base = move_base + (square * 4 + direction) * patterns_per
                if free >= carry and not can_flatten:
                    # Every pattern of carry 1..carry fits: one contiguous block.
                    for pattern in range((1 << carry) - 1):
                        actions.append(base + pattern)
                    continue
                if free == 0 and not can_flatten:
                    continue
                for c in range(1, carry + 1):
                    var first = (1 << (c - 1)) - 1
                    var count = 1 << (c - 1)
                    if c <= free and not can_flatten:
                        for cuts in range(count):
                            actions.append(base + first + cuts)
                        continue
                    for cuts in range(count):
                        var parts = Int(pop_count(cuts)) + 1
                        if parts <= free:
                            actions.append(base + first + cuts)
                        elif can_flatten and parts == free + 1 and (c == 1 or ((cuts >> (c - 2)) & 1) == 1):
                            actions.append(base + first + cuts)

    def is_legal(self, action: Int) -> Bool:
        if self.end_reason != END_NONE or action < 0 or action >= self.num_actions():
            return False
        var area = self.area
        var me = self.to_move()
        if action < 3 * area:
            var piece = action // area
            var square = action - piece * area
            if (self._occupied() & _bit(square)) != 0:
                return False
            if self._in_opening():
                return piece == PIECE_FLAT and self.stones_left[1 - me] > 0
            if piece == PIECE_CAP:
                return self.caps_left[me] > 0
            return self.stones_left[me] > 0
        if self._in_opening():
            return False
        var patterns_per = (1 << self.size) - 1
        var rest = action - 3 * area
        var pattern = rest % patterns_per
        var square_direction = rest // patterns_per
        var direction = square_direction & 3
        var square = square_direction >> 2
        if (self.tops[me] & _bit(square)) == 0:
            return False
        var carry = _pattern_carry(pattern)
        if carry > Int(self.heights[square]) or carry > self.size:
            return False
        var cuts = _pattern_cuts(pattern, carry)
        var parts = Int(pop_count(cuts)) + 1
        var ray = self._ray(square, direction, self.walls | self.caps)
        var free = ray & 15
        if parts <= free:
            return True
        var is_cap = (self.caps & _bit(square)) != 0
        return is_cap and ray >= 16 and parts == free + 1 and (carry == 1 or ((cuts >> (carry - 2)) & 1) == 1)

    # ------------------------------------------------------------------ applying moves

    @always_inline
    def _set_reserve_stones(mut self, player: Int, value: Int):
        self.hash_value ^= zobrist_key(ZOBRIST_STONES, player * 256 + self.stones_left[player])
        self.stones_left[player] = value
        self.hash_value ^= zobrist_key(ZOBRIST_STONES, player * 256 + value)

    @always_inline
    def _set_reserve_caps(mut self, player: Int, value: Int):
        self.hash_value ^= zobrist_key(ZOBRIST_CAPS, player * 256 + self.caps_left[player])
        self.caps_left[player] = value
        self.hash_value ^= zobrist_key(ZOBRIST_CAPS, player * 256 + value)

    def apply(mut self, action: Int):
        var area = self.area
        var me = self.to_move()
        var old_bucket = self._reversible_bucket()
        var road_owner = -2  # -2: a spread (check both players), -1: no road possible.
        if action < 3 * area:
            var piece = action // area
            var square = action - piece * area
            var owner = me
            if self._in_opening():
                owner = 1 - me
                piece = PIECE_FLAT
            var bit = _bit(square)
            self.stacks[square] = UInt64(owner)
            self.heights[square] = 1
            self.tops[owner] |= bit
            self.hash_value ^= _piece_key(square, 0, owner)
            if piece == PIECE_CAP:
                self.caps |= bit
                self.hash_value ^= zobrist_key(ZOBRIST_CAP, square)
                self._set_reserve_caps(owner, self.caps_left[owner] - 1)
            else:
                if piece == PIECE_WALL:
                    self.walls |= bit
                    self.hash_value ^= zobrist_key(ZOBRIST_WALL, square)
                self._set_reserve_stones(owner, self.stones_left[owner] - 1)
            self.reversible_plies = 0
            # Only the placed piece's owner can get a road, and a wall makes none.
            road_owner = owner if piece != PIECE_WALL else -1
        else:
            self._apply_spread(action - 3 * area, me)
            self.reversible_plies += 1
        self.ply_count += 1
        self.hash_value ^= zobrist_key(ZOBRIST_SIDE, 0)
        var new_bucket = self._reversible_bucket()
        if new_bucket != old_bucket:
            if old_bucket != 0:
                self.hash_value ^= zobrist_key(ZOBRIST_REVERSIBLE, old_bucket)
            if new_bucket != 0:
                self.hash_value ^= zobrist_key(ZOBRIST_REVERSIBLE, new_bucket)
        self._update_result(me, road_owner)

    def _apply_spread(mut self, move: Int, me: Int):
        var patterns_per = (1 << self.size) - 1
        var pattern = move % patterns_per
        var square_direction = move // patterns_per
        var direction = square_direction & 3
        var source = square_direction >> 2
        var carry = _pattern_carry(pattern)
        var cuts = _pattern_cuts(pattern, carry)
        var delta = self._step(direction)
        var source_bit = _bit(source)
        var height = Int(self.heights[source])
        var remaining = height - carry
        var source_stack = self._stack(source)
        var carried = source_stack >> UInt128(remaining)
        # The type of the moving top piece (flat 0 / wall 1 / cap 2) travels to the end.
        var top_type = PIECE_FLAT
        if (self.walls & source_bit) != 0:
            top_type = PIECE_WALL
            self.walls &= ~source_bit
            self.hash_value ^= zobrist_key(ZOBRIST_WALL, source)
        elif (self.caps & source_bit) != 0:
            top_type = PIECE_CAP
            self.caps &= ~source_bit
            self.hash_value ^= zobrist_key(ZOBRIST_CAP, source)
        var h = self.hash_value
        for i in range(carry):
            h ^= _piece_key(source, remaining + i, Int((carried >> UInt128(i)) & 1))
        if remaining == 0:
            self._set_stack(source, 0)
            self.tops[0] &= ~source_bit
            self.tops[1] &= ~source_bit
        else:
            source_stack &= (UInt128(1) << UInt128(remaining)) - 1
            self._set_stack(source, source_stack)
            var colour = Int((source_stack >> UInt128(remaining - 1)) & 1)
            self.tops[colour] |= source_bit
            self.tops[1 - colour] &= ~source_bit
        self.heights[source] = UInt8(remaining)
        var current = source + delta
        for i in range(carry):
            var level = Int(self.heights[current])
            var colour = Int((carried >> UInt128(i)) & 1)
            if level < 64:
                self.stacks[current] |= UInt64(colour) << UInt64(level)
            elif colour == 1:
                self._set_stack(current, self._stack(current) | (UInt128(1) << UInt128(level)))
            self.heights[current] = UInt8(level + 1)
            h ^= _piece_key(current, level, colour)
            if i == carry - 1 or ((cuts >> i) & 1) == 1:
                # Last piece on this square: it is the new top.
                var bit = _bit(current)
                self.tops[colour] |= bit
                self.tops[1 - colour] &= ~bit
                current += delta
        var last = current - delta
        var last_bit = _bit(last)
        if (self.walls & last_bit) != 0:
            # A lone capstone flattens the wall (the piece keeps its colour bit).
            self.walls &= ~last_bit
            h ^= zobrist_key(ZOBRIST_WALL, last)
        if top_type == PIECE_WALL:
            self.walls |= last_bit
            h ^= zobrist_key(ZOBRIST_WALL, last)
        elif top_type == PIECE_CAP:
            self.caps |= last_bit
            h ^= zobrist_key(ZOBRIST_CAP, last)
        self.hash_value = h

    # ------------------------------------------------------------------ results

    @always_inline
    def _expand(self, bits: UInt64) -> UInt64:
        var spread = bits | (bits << UInt64(self.size)) | (bits >> UInt64(self.size))
        spread |= (bits & ~self.right_edge) << 1
        spread |= (bits & ~self.left_edge) >> 1
        return spread & self.board_mask

    def has_road(self, player: Int) -> Bool:
        """Whether `player`'s flats and capstones connect two opposite edges."""
        var road = self.tops[player] & ~self.walls
        if road == 0:
            return False
        # Left to right.
        if (road & self.left_edge) != 0 and (road & self.right_edge) != 0:
            var reach = road & self.left_edge
            while True:
                var grown = self._expand(reach) & road
                if (grown & self.right_edge) != 0:
                    return True
                if grown == reach:
                    break
                reach = grown
        # Bottom to top.
        if (road & self.bottom_edge) != 0 and (road & self.top_edge) != 0:
            var reach = road & self.bottom_edge
            while True:
                var grown = self._expand(reach) & road
                if (grown & self.top_edge) != 0:
                    return True
                if grown == reach:
                    break
                reach = grown
        return False

    def _flat_result(mut self):
        var difference = 2 * (self.top_flat_count(0) - self.top_flat_count(1)) - self.half_komi
        self.end_reason = END_FLATS
        if difference > 0:
            self.winner_value = 0
        elif difference < 0:
            self.winner_value = 1
        else:
            self.winner_value = DRAW

    def _update_result(mut self, mover: Int, road_owner: Int):
        """Decides whether the game ended after `mover`'s ply (roads, flats, reversible).

        `road_owner` is the only player who can have a new road after a placement, -1 when
        none can, -2 after a spread (both can: the mover wins a double road).
        """
        if road_owner >= 0:
            if self.has_road(road_owner):
                self.end_reason = END_ROAD
                self.winner_value = road_owner
                return
        elif road_owner == -2:
            var mine = self.has_road(mover)
            if mine:
                self.end_reason = END_ROAD
                self.winner_value = mover
                return
            if self.has_road(1 - mover):
                self.end_reason = END_ROAD
                self.winner_value = 1 - mover
                return
        if (
            self._occupied() == self.board_mask
            or (self.stones_left[0] == 0 and self.caps_left[0] == 0)
            or (self.stones_left[1] == 0 and self.caps_left[1] == 0)
        ):
            self._flat_result()
            return
        if self.reversible_limit > 0 and self.reversible_plies >= self.reversible_limit:
            self.end_reason = END_REVERSIBLE
            self.winner_value = DRAW

    def _settle_loaded_position(mut self):
        """Sets the result of a position loaded from TPS (no history: the last mover wins a double road)."""
        var last_mover = 1 - self.to_move()
        if self.has_road(last_mover):
            self.end_reason = END_ROAD
            self.winner_value = last_mover
            return
        if self.has_road(1 - last_mover):
            self.end_reason = END_ROAD
            self.winner_value = 1 - last_mover
            return
        if (
            self._occupied() == self.board_mask
            or (self.stones_left[0] == 0 and self.caps_left[0] == 0)
            or (self.stones_left[1] == 0 and self.caps_left[1] == 0)
        ):
            self._flat_result()

    # ------------------------------------------------------------------ encoding

    def encode(self, planes: FloatBuffer):
        var area = self.area
        for i in range(NUM_PLANES * area):
            planes[unsafe_offset=i] = 0.0
        var me = self.to_move()
        var opponent = 1 - me
        for square in range(area):
            var height = Int(self.heights[square])
            if height == 0:
                continue
            var bit = _bit(square)
            var top_colour = self.piece_colour(square, height - 1)
            var kind = PIECE_FLAT
            if (self.walls & bit) != 0:
                kind = PIECE_WALL
            elif (self.caps & bit) != 0:
                kind = PIECE_CAP
            var top_plane = PLANE_TOPS + kind + (0 if top_colour == me else 3)
            planes[unsafe_offset=top_plane * area + square] = 1.0
            var depth = 1
            while depth <= VIEW_DEPTH and depth < height:
                var colour = self.piece_colour(square, height - 1 - depth)
                var plane = PLANE_UNDER + 2 * (depth - 1) + (0 if colour == me else 1)
                planes[unsafe_offset=plane * area + square] = 1.0
                depth += 1
            var deep = height - 1 - VIEW_DEPTH
            if deep > 0:
                var mask = (UInt128(1) << UInt128(deep)) - 1
                var theirs = self._stack(square) & mask
                var count1 = Int(pop_count(UInt64(theirs & 0xFFFFFFFFFFFFFFFF))) + Int(
                    pop_count(UInt64(theirs >> 64))
                )
                var count_me = count1 if me == 1 else deep - count1
                var count_opponent = deep - count_me
                planes[unsafe_offset=PLANE_DEEP * area + square] = Float32(min(count_me, 20)) / 20.0
                planes[unsafe_offset=(PLANE_DEEP + 1) * area + square] = (
                    Float32(min(count_opponent, 20)) / 20.0
                )
        var values = Array[Float32, 9](fill=0.0)
        values[0] = Float32(self.stones_left[me]) / Float32(self.start_stones)
        values[1] = Float32(self.caps_left[me]) / Float32(self.start_caps) if self.start_caps > 0 else 0.0
        values[2] = Float32(self.stones_left[opponent]) / Float32(self.start_stones)
        values[3] = (
            Float32(self.caps_left[opponent]) / Float32(self.start_caps) if self.start_caps > 0 else 0.0
        )
        values[4] = 1.0 if me == 1 else 0.0
        var komi_view = Float32(self.half_komi) / 8.0
        values[5] = komi_view if me == 1 else -komi_view
        values[6] = 1.0 if self._in_opening() else 0.0
        var bucket = self._reversible_bucket()
        values[7] = 1.0 if (bucket & 1) != 0 else 0.0
        values[8] = 1.0 if (bucket & 2) != 0 else 0.0
        for index in range(9):
            var value = values[index]
            if value != 0.0:
                var base = (PLANE_RESERVES + index) * area
                for square in range(area):
                    planes[unsafe_offset=base + square] = value

    # ------------------------------------------------------------------ symmetries

    def num_symmetries(self) -> Int:
        return NUM_SQUARE_SYMMETRIES

    def symmetry_action(self, symmetry: Int, action: Int) -> Int:
        var area = self.area
        if symmetry == 0 or action < 0 or action >= self.num_actions():
            return action
        if action < 3 * area:
            var piece = action // area
            var square = action - piece * area
            return piece * area + square_symmetry_index(symmetry, self.size, square)
        var patterns_per = (1 << self.size) - 1
        var rest = action - 3 * area
        var pattern = rest % patterns_per
        var square_direction = rest // patterns_per
        var direction = square_direction & 3
        var square = square_direction >> 2
        var image = square_symmetry_index(symmetry, self.size, square)
        return 3 * area + (image * 4 + symmetry_direction(symmetry, direction)) * patterns_per + pattern

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

    # ------------------------------------------------------------------ notation

    def square_text(self, square: Int) -> String:
        """The TPS text of one square: `x` when empty, else e.g. `121S`."""
        var height = Int(self.heights[square])
        if height == 0:
            return "x"
        var text = String()
        for level in range(height):
            text += "2" if self.piece_colour(square, level) == 1 else "1"
        if (self.walls & _bit(square)) != 0:
            text += "S"
        elif (self.caps & _bit(square)) != 0:
            text += "C"
        return text

    def position(self) -> String:
        var text = String()
        for row in range(self.size - 1, -1, -1):
            if row != self.size - 1:
                text += "/"
            var empty_run = 0
            var first = True
            for column in range(self.size):
                var square = row * self.size + column
                if self.heights[square] == 0:
                    empty_run += 1
                    continue
                if empty_run > 0:
                    if not first:
                        text += ","
                    text += "x" if empty_run == 1 else String("x", empty_run)
                    first = False
                    empty_run = 0
                if not first:
                    text += ","
                text += self.square_text(square)
                first = False
            if empty_run > 0:
                if not first:
                    text += ","
                text += "x" if empty_run == 1 else String("x", empty_run)
        text += String(" ", self.to_move() + 1, " ", self.ply_count // 2 + 1)
        return text

    def render(self) -> String:
        var width = 1
        for square in range(self.area):
            width = max(width, self.square_text(square).byte_length())
        var text = String()
        for row in range(self.size - 1, -1, -1):
            text += String(row + 1, " |")
            for column in range(self.size):
                var square = row * self.size + column
                var cell = self.square_text(square) if self.heights[square] > 0 else String(".")
                text += " "
                text += cell
                if column < self.size - 1:
                    for _ in range(width - cell.byte_length()):
                        text += " "
            text += "\n"
        text += "   "
        for column in range(self.size):
            text += " "
            text += chr(ord("a") + column)
            if column < self.size - 1:
                for _ in range(width - 1):
                    text += " "
        text += "\n"
        text += String(
            "ply ",
            self.ply_count,
            ", ",
            "white" if self.to_move() == 0 else "black",
            " to move; reserves white ",
            self.stones_left[0],
            "+",
            self.caps_left[0],
            "C, black ",
            self.stones_left[1],
            "+",
            self.caps_left[1],
            "C; flats ",
            self.top_flat_count(0),
            "-",
            self.top_flat_count(1),
        )
        if self.half_komi != 0:
            text += String(" (komi ", self.komi(), ")")
        var result = self.result_string()
        if result.byte_length() > 0:
            text += String("; result ", result)
        text += "\n"
        return text

    def format_move(self, action: Int) -> String:
        var area = self.area
        if action < 0 or action >= self.num_actions():
            return String("<invalid action ", action, ">")
        if action < 3 * area:
            var piece = action // area
            var square = action - piece * area
            var prefix = String("")
            if piece == PIECE_WALL:
                prefix = "S"
            elif piece == PIECE_CAP:
                prefix = "C"
            return prefix + _square_name(square, self.size)
        var patterns_per = (1 << self.size) - 1
        var rest = action - 3 * area
        var pattern = rest % patterns_per
        var square_direction = rest // patterns_per
        var direction = square_direction & 3
        var square = square_direction >> 2
        var carry = _pattern_carry(pattern)
        var cuts = _pattern_cuts(pattern, carry)
        var text = String()
        if carry > 1:
            text += String(carry)
        text += _square_name(square, self.size)
        text += _direction_char(direction)
        if cuts != 0:
            var run = 0
            for i in range(carry):
                run += 1
                if i == carry - 1 or ((cuts >> i) & 1) == 1:
                    text += String(run)
                    run = 0
        return text

    def parse_move(self, text: String) raises -> Int:
        return _parse_move(self.size, text)

    @staticmethod
    def placement_action(size: Int, piece: Int, square: Int) -> Int:
        """The action placing `piece` (0 flat, 1 wall, 2 capstone) on `square`."""
        return piece * size * size + square

    @staticmethod
    def spread_action(size: Int, square: Int, direction: Int, drops: List[Int]) -> Int:
        """The action moving sum(drops) pieces from `square` in `direction`, dropping `drops`."""
        var carry = 0
        var cuts = 0
        for i in range(len(drops)):
            carry += drops[i]
            if i < len(drops) - 1:
                cuts |= 1 << (carry - 1)
        var pattern = (1 << (carry - 1)) - 1 + cuts
        return 3 * size * size + (square * 4 + direction) * ((1 << size) - 1) + pattern


# ---------------------------------------------------------------------- PTN moves


def _is_annotation(byte: Int) -> Bool:
    return byte == ord("'") or byte == ord('"') or byte == ord("!") or byte == ord("?")


def _parse_move(size: Int, text: String) raises -> Int:
    """Parses a PTN move for a `size` board into an action index (legality not checked)."""
    var bytes = text.as_bytes()
    var start = 0
    var end = len(bytes)
    while end > 0 and Int(bytes[end - 1]) <= ord(" "):
        end -= 1
    while start < end and Int(bytes[start]) <= ord(" "):
        start += 1
    while end > start and _is_annotation(Int(bytes[end - 1])):
        end -= 1
    var crush = False
    if end > start and Int(bytes[end - 1]) == ord("*"):
        crush = True
        end -= 1
    if end == start:
        raise Error(String("malformed move '", text, "': empty"))
    var i = start
    var piece = -1
    var count = -1
    var first = Int(bytes[start])
    if first == ord("F"):
        piece = PIECE_FLAT
        i = start + 1
    elif first == ord("S"):
        piece = PIECE_WALL
        i = start + 1
    elif first == ord("C"):
        piece = PIECE_CAP
        i = start + 1
    elif first >= ord("0") and first <= ord("9"):
        count = first - ord("0")
        i = start + 1
        if count < 1 or count > MAX_SIZE:
            raise Error(String("bad carry count in '", text, "': must be 1-8"))
    if i + 2 > end:
        raise Error(String("malformed move '", text, "': no square"))
    var file = Int(bytes[i])
    var rank = Int(bytes[i + 1])
    if file < ord("a") or file > ord("h"):
        raise Error(String("bad square in '", text, "': file must be a-h"))
    if rank < ord("1") or rank > ord("8"):
        raise Error(String("bad square in '", text, "': rank must be 1-8"))
    var column = file - ord("a")
    var row = rank - ord("1")
    if column >= size or row >= size:
        raise Error(String("bad square in '", text, "': off the ", size, "x", size, " board"))
    var square = row * size + column
    i += 2
    if i == end:
        if count != -1:
            raise Error(String("malformed move '", text, "': count given but no direction"))
        if crush:
            raise Error(String("malformed move '", text, "': '*' after a placement"))
        if piece == -1:
            piece = PIECE_FLAT
        return piece * size * size + square
    if piece != -1:
        raise Error(String("malformed move '", text, "': placement followed by extra characters"))
    var direction_byte = Int(bytes[i])
    var direction: Int
    if direction_byte == ord("+"):
        direction = DIRECTION_UP
    elif direction_byte == ord("-"):
        direction = DIRECTION_DOWN
    elif direction_byte == ord(">"):
        direction = DIRECTION_RIGHT
    elif direction_byte == ord("<"):
        direction = DIRECTION_LEFT
    else:
        raise Error(String("bad direction in '", text, "': must be one of + - > <"))
    i += 1
    if count == -1:
        count = 1
    var drops = List[Int]()
    if i == end:
        drops.append(count)
    else:
        var total = 0
        while i < end:
            var digit = Int(bytes[i])
            if digit < ord("1") or digit > ord("8"):
                raise Error(String("malformed drop pattern in '", text, "': drops must be digits 1-8"))
            drops.append(digit - ord("0"))
            total += digit - ord("0")
            i += 1
        if len(drops) > MAX_SIZE - 1:
            raise Error(String("malformed drop pattern in '", text, "': drops on more than 7 squares"))
        if len(drops) > size - 1:
            raise Error(
                String(
                    "illegal move '",
                    text,
                    "': drops on ",
                    len(drops),
                    " squares but a ",
                    size,
                    "x",
                    size,
                    " board allows at most ",
                    size - 1,
                )
            )
        if total != count:
            var pattern_text = String()
            for d in drops:
                pattern_text += String(d)
            raise Error(String("drop counts ", pattern_text, " do not add up to ", count, " in '", text, "'"))
    if crush and drops[len(drops) - 1] != 1:
        raise Error(
            String("malformed move '", text, "': '*' (wall crush) but more than one piece dropped last")
        )
    if count > size:
        raise Error(
            String(
                "illegal move '",
                text,
                "': carry ",
                count,
                " exceeds the carry limit ",
                size,
                " of a ",
                size,
                "x",
                size,
                " board",
            )
        )
    return TakState.spread_action(size, square, direction, drops)


# ---------------------------------------------------------------------- TPS


def _split(text: String, separator: Int) -> List[String]:
    """Splits on a single byte, keeping empty fields."""
    var parts = List[String]()
    var bytes = text.as_bytes()
    var start = 0
    for i in range(len(bytes) + 1):
        if i == len(bytes) or Int(bytes[i]) == separator:
            parts.append(String(text[byte=start:i]))
            start = i + 1
    return parts^


def _parse_positive_int(text: String) -> Int:
    """The value of a string of decimal digits (1..9 digits), or -1."""
    var bytes = text.as_bytes()
    if len(bytes) == 0 or len(bytes) > 9:
        return -1
    var value = 0
    for b_raw in bytes:
        var b = Int(b_raw)
        if b < ord("0") or b > ord("9"):
            return -1
        value = value * 10 + b - ord("0")
    return value


def _parse_tps(mut options: GameOptions, text: String) raises -> TakState:
    var fields = _split(text, ord(" "))
    if len(fields) != 3:
        raise Error(
            String(
                "bad TPS '",
                text,
                "': need exactly 3 fields separated by single spaces (board, player, move number)",
            )
        )
    for f in fields:
        if f.byte_length() == 0:
            raise Error(String("bad TPS '", text, "': empty field (fields are separated by single spaces)"))
    var rows = _split(fields[0], ord("/"))
    var size = len(rows)
    if size < MIN_SIZE or size > MAX_SIZE:
        raise Error(String("bad TPS '", text, "': ", size, " rows; boards are 3x3 to 8x8"))
    # Parse squares into (text per square) first, then configure with the known size.
    var squares = List[String]()
    for row_index in range(size):
        var row_squares = List[String]()
        var tokens = _split(rows[row_index], ord(","))
        for token in tokens:
            var bytes = token.as_bytes()
            if len(bytes) == 0:
                raise Error(
                    String("bad TPS '", text, "': empty square in row ", row_index + 1, " from the top")
                )
            if Int(bytes[0]) == ord("x"):
                var run = 1
                if len(bytes) > 1:
                    run = _parse_positive_int(String(token[byte=1:]))
                    if run < 1:
                        raise Error(String("bad TPS '", text, "': bad empty run '", token, "'"))
                for _ in range(run):
                    row_squares.append(String(""))
                continue
            for j in range(len(bytes)):
                var b = Int(bytes[j])
                var is_last = j == len(bytes) - 1
                var ok = (
                    b == ord("1") or b == ord("2") or (is_last and j > 0 and (b == ord("S") or b == ord("C")))
                )
                if not ok:
                    raise Error(
                        String(
                            "bad TPS '",
                            text,
                            "': bad stack '",
                            token,
                            "' (digits 1/2, bottom to top, then an optional S or C)",
                        )
                    )
            row_squares.append(token)
        if len(row_squares) != size:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': row ",
                    row_index + 1,
                    " from the top has ",
                    len(row_squares),
                    " squares but there are ",
                    size,
                    " rows (board not square)",
                )
            )
        for s in row_squares:
            squares.append(s)
    var player_text = fields[1]
    if player_text != "1" and player_text != "2":
        raise Error(String("bad TPS '", text, "': player to move must be 1 or 2, got '", player_text, "'"))
    var move_number = _parse_positive_int(fields[2])
    if move_number < 1:
        raise Error(
            String("bad TPS '", text, "': move number must be a positive integer, got '", fields[2], "'")
        )
    var state = TakState._configured(options, size)
    var stones_used = Array[Int, 2](fill=0)
    var caps_used = Array[Int, 2](fill=0)
    for row_index in range(size):
        var row = size - 1 - row_index
        for column in range(size):
            var token = squares[row_index * size + column]
            var bytes = token.as_bytes()
            if len(bytes) == 0:
                continue
            var square = row * size + column
            var bit = _bit(square)
            var height = 0
            var stack: UInt128 = 0
            var kind = PIECE_FLAT
            for b_raw in bytes:
                var b = Int(b_raw)
                if b == ord("S"):
                    kind = PIECE_WALL
                elif b == ord("C"):
                    kind = PIECE_CAP
                else:
                    if height >= 127:
                        raise Error(
                            String(
                                "bad TPS '",
                                text,
                                "': stack on ",
                                _square_name(square, size),
                                " is taller than 127",
                            )
                        )
                    if b == ord("2"):
                        stack |= UInt128(1) << UInt128(height)
                    height += 1
            var top = Int((stack >> UInt128(height - 1)) & 1)
            for level in range(height):
                var colour = Int((stack >> UInt128(level)) & 1)
                if level == height - 1 and kind == PIECE_CAP:
                    caps_used[colour] += 1
                else:
                    stones_used[colour] += 1
            state._set_stack(square, stack)
            state.heights[square] = UInt8(height)
            state.tops[top] |= bit
            if kind == PIECE_WALL:
                state.walls |= bit
            elif kind == PIECE_CAP:
                state.caps |= bit
    for player in range(2):
        var who = "white" if player == 0 else "black"
        if stones_used[player] > state.start_stones:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': ",
                    who,
                    " has ",
                    stones_used[player],
                    " stones on the board but only ",
                    state.start_stones,
                    " in the set",
                )
            )
        if caps_used[player] > state.start_caps:
            raise Error(
                String(
                    "bad TPS '",
                    text,
                    "': ",
                    who,
                    " has ",
                    caps_used[player],
                    " capstones on the board but only ",
                    state.start_caps,
                    " in the set",
                )
            )
        state.stones_left[player] = state.start_stones - stones_used[player]
        state.caps_left[player] = state.start_caps - caps_used[player]
    state.ply_count = 2 * (move_number - 1) + (1 if player_text == "2" else 0)
    state._settle_loaded_position()
    if state.end_reason == END_NONE and state._in_opening():
        var opponent = 1 - state.to_move()
        if state.stones_left[opponent] == 0:
            raise Error(
                String("bad TPS '", text, "': swap-opening ply but the opponent has no stone left to place")
            )
    state.hash_value = state.recompute_hash()
    return state^
