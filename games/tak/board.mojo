"""Tak board geometry and constants: sizes, pieces, directions, bitboards, Zobrist keys.

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
(The fields and the stack accessors are on `TakState`, in `state.mojo`.)
"""

from mojo.zobrist import zobrist_key

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

comptime ZOBRIST_PIECE = 0x54414B01
comptime ZOBRIST_WALL = 0x54414B02
comptime ZOBRIST_CAP = 0x54414B03
comptime ZOBRIST_SIDE = 0x54414B04
comptime ZOBRIST_STONES = 0x54414B05
comptime ZOBRIST_CAPS = 0x54414B06
comptime ZOBRIST_REVERSIBLE = 0x54414B07


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


def _square_name(square: Int, size: Int) -> String:
    var result = String()
    result += chr(ord("a") + square % size)
    result += chr(ord("1") + square // size)
    return result
