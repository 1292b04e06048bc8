"""Tak action indices: the policy layout of placements and stack moves, and its symmetries.

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
"""

from std.bit import count_leading_zeros
from mojo.board_symmetry import square_symmetry_index, square_symmetry_row, square_symmetry_column
from games.tak.board import (
    DIRECTION_UP,
    DIRECTION_DOWN,
    DIRECTION_RIGHT,
    DIRECTION_LEFT,
    _direction_row_delta,
    _direction_column_delta,
)


def action_count(size: Int) -> Int:
    """The number of action indices on a `size` board (`TakState.num_actions`)."""
    var area = size * size
    return 3 * area + 4 * area * ((1 << size) - 1)


@always_inline
def _pattern_carry(pattern: Int) -> Int:
    """Carry c of a drop pattern: pattern + 1 = 2^(c-1) + cuts."""
    var value = UInt64(pattern + 1)
    return 64 - Int(count_leading_zeros(value))


@always_inline
def _pattern_cuts(pattern: Int, carry: Int) -> Int:
    return pattern + 1 - (1 << (carry - 1))


def placement_action(size: Int, piece: Int, square: Int) -> Int:
    """The action placing `piece` (0 flat, 1 wall, 2 capstone) on `square`."""
    return piece * size * size + square


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


def symmetry_action(size: Int, symmetry: Int, action: Int) -> Int:
    """The image of `action` on a `size` board under a board symmetry (`TakState.symmetry_action`)."""
    var area = size * size
    if symmetry == 0 or action < 0 or action >= action_count(size):
        return action
    if action < 3 * area:
        var piece = action // area
        var square = action - piece * area
        return piece * area + square_symmetry_index(symmetry, size, square)
    var patterns_per = (1 << size) - 1
    var rest = action - 3 * area
    var pattern = rest % patterns_per
    var square_direction = rest // patterns_per
    var direction = square_direction & 3
    var square = square_direction >> 2
    var image = square_symmetry_index(symmetry, size, square)
    return 3 * area + (image * 4 + symmetry_direction(symmetry, direction)) * patterns_per + pattern
