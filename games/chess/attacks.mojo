"""Attack sets: which squares a piece (or a set of pieces) attacks, and whether a square is attacked.

Knight and king attacks come from two 64-entry tables computed at compile time; pawn
attacks are two shifts. Sliding attacks come in two forms, each right for its use:

- Of a set of pieces (`rook_attacks_of_set`, `bishop_attacks_of_set`): Kogge-Stone
  occluded fills (three doubling shift steps per direction, no tables). The fill spreads
  a piece set through empty squares in one direction, stopping at (and including) the
  first blocker; a wrap mask after each shift keeps east/west moves from running off one
  edge onto the other. One fill serves every piece at once: the opponent's whole attack
  map (`attacked_squares` in moves.mojo) costs what one piece's would.
- Of one square (`rook_attacks`, `bishop_attacks`): hyperbola quintessence on files and
  diagonals (`occupied - 2 * slider` carries up to the first blocker; the same on the
  byte-swapped board gives the other direction, since a file or diagonal has one square
  per rank) and a 512-entry table for ranks (file x the six inner squares' occupancy).
  About a quarter of the operations of a four-direction fill: move generation asks for
  one piece's attacks at a time.

The tests check the two forms against each other on random occupancies of every square.
"""

from std.bit import byte_swap
from std.builtin.globals import global_constant

from games.chess.board import (
    WHITE,
    NOT_FILE_A,
    NOT_FILE_H,
    NOT_FILES_AB,
    NOT_FILES_GH,
    ALL_SQUARES,
    square_bit,
)


@always_inline
def knight_attacks_of_set(knights: UInt64) -> UInt64:
    """Every square a knight in `knights` attacks."""
    var one_left = (knights >> 1) & NOT_FILE_H
    var two_left = (knights >> 2) & NOT_FILES_GH
    var one_right = (knights << 1) & NOT_FILE_A
    var two_right = (knights << 2) & NOT_FILES_AB
    var one_sideways = one_left | one_right
    var two_sideways = two_left | two_right
    return (one_sideways << 16) | (one_sideways >> 16) | (two_sideways << 8) | (two_sideways >> 8)


@always_inline
def king_attacks_of_set(kings: UInt64) -> UInt64:
    """Every square a king in `kings` attacks."""
    var sideways = ((kings << 1) & NOT_FILE_A) | ((kings >> 1) & NOT_FILE_H)
    var row = kings | sideways
    return sideways | (row << 8) | (row >> 8)


@always_inline
def pawn_attacks_of_set(pawns: UInt64, colour: Int) -> UInt64:
    """Every square a pawn of `colour` in `pawns` attacks (diagonally forward)."""
    if colour == WHITE:
        return ((pawns << 9) & NOT_FILE_A) | ((pawns << 7) & NOT_FILE_H)
    return ((pawns >> 7) & NOT_FILE_A) | ((pawns >> 9) & NOT_FILE_H)


def _knight_table() -> Array[UInt64, 64]:
    var table = Array[UInt64, 64](fill=0)
    for square in range(64):
        table[square] = knight_attacks_of_set(square_bit(square))
    return table^


def _king_table() -> Array[UInt64, 64]:
    var table = Array[UInt64, 64](fill=0)
    for square in range(64):
        table[square] = king_attacks_of_set(square_bit(square))
    return table^


comptime KNIGHT_ATTACKS = _knight_table()
comptime KING_ATTACKS = _king_table()


@always_inline
def knight_attacks(square: Int) -> UInt64:
    return global_constant[KNIGHT_ATTACKS]()[square]


@always_inline
def king_attacks(square: Int) -> UInt64:
    return global_constant[KING_ATTACKS]()[square]


@always_inline
def _slide_up[shift: Int, wrap: UInt64](sliders: UInt64, empty: UInt64) -> UInt64:
    """Squares attacked along one direction whose step is `+shift` (north, east, north-east, north-west)."""
    comptime step = UInt64(shift)
    var filled = sliders
    var open = empty & wrap
    filled |= open & (filled << step)
    open &= open << step
    filled |= open & (filled << (2 * step))
    open &= open << (2 * step)
    filled |= open & (filled << (4 * step))
    return (filled << step) & wrap


@always_inline
def _slide_down[shift: Int, wrap: UInt64](sliders: UInt64, empty: UInt64) -> UInt64:
    """Squares attacked along one direction whose step is `-shift` (south, west, south-east, south-west)."""
    comptime step = UInt64(shift)
    var filled = sliders
    var open = empty & wrap
    filled |= open & (filled >> step)
    open &= open >> step
    filled |= open & (filled >> (2 * step))
    open &= open >> (2 * step)
    filled |= open & (filled >> (4 * step))
    return (filled >> step) & wrap


@always_inline
def rook_attacks_of_set(rooks: UInt64, occupied: UInt64) -> UInt64:
    """Squares attacked along ranks and files by the pieces in `rooks`, blockers included."""
    var empty = ~occupied
    return (
        _slide_up[8, ALL_SQUARES](rooks, empty)
        | _slide_down[8, ALL_SQUARES](rooks, empty)
        | _slide_up[1, NOT_FILE_A](rooks, empty)
        | _slide_down[1, NOT_FILE_H](rooks, empty)
    )


@always_inline
def bishop_attacks_of_set(bishops: UInt64, occupied: UInt64) -> UInt64:
    """Squares attacked along diagonals by the pieces in `bishops`, blockers included."""
    var empty = ~occupied
    return (
        _slide_up[9, NOT_FILE_A](bishops, empty)
        | _slide_up[7, NOT_FILE_H](bishops, empty)
        | _slide_down[7, NOT_FILE_A](bishops, empty)
        | _slide_down[9, NOT_FILE_H](bishops, empty)
    )


@always_inline
def is_attacked_by(
    square: Int,
    occupied: UInt64,
    pawns: UInt64,
    knights: UInt64,
    diagonal_sliders: UInt64,
    straight_sliders: UInt64,
    king: UInt64,
    attacker_colour: Int,
) -> Bool:
    """Whether `square` is attacked by the attacker's pieces given as bitboards.

    The caller passes the pieces (and the occupancy) as they would be after a move, so
    the same test checks "does this move leave my king attacked" without making the move.
    `diagonal_sliders` are bishops and queens, `straight_sliders` rooks and queens.
    """
    var target = square_bit(square)
    # A pawn of the attacker attacks `square` exactly when a pawn of the other colour
    # standing on `square` would attack that pawn's square.
    if pawn_attacks_of_set(target, 1 - attacker_colour) & pawns:
        return True
    if knight_attacks(square) & knights:
        return True
    if king_attacks(square) & king:
        return True
    if diagonal_sliders and (bishop_attacks(square, occupied) & diagonal_sliders):
        return True
    if straight_sliders and (rook_attacks(square, occupied) & straight_sliders):
        return True
    return False


# ---------------------------------------------------------------- one square's slider attacks


def _ray_mask(square: Int, file_step: Int, rank_step: Int) -> UInt64:
    """The squares from `square` (excluded) to the board's edge in both directions of a line."""
    var mask: UInt64 = 0
    for sign in [1, -1]:
        var file = square % 8 + sign * file_step
        var rank = square // 8 + sign * rank_step
        while file >= 0 and file < 8 and rank >= 0 and rank < 8:
            mask |= square_bit(rank * 8 + file)
            file += sign * file_step
            rank += sign * rank_step
    return mask


def _line_table(file_step: Int, rank_step: Int) -> Array[UInt64, 64]:
    var table = Array[UInt64, 64](fill=0)
    for square in range(64):
        table[square] = _ray_mask(square, file_step, rank_step)
    return table^


def _rank_attack_table() -> Array[UInt8, 512]:
    """Entry `file * 64 + inner`: the squares of a rank a rook on `file` attacks when the
    rank's six inner squares (b..g) are occupied as the bits of `inner` say."""
    var table = Array[UInt8, 512](fill=0)
    for file in range(8):
        for inner in range(64):
            var occupied = inner << 1
            var attacks = 0
            for direction in [1, -1]:
                var target = file + direction
                while target >= 0 and target < 8:
                    attacks |= 1 << target
                    if occupied & (1 << target):
                        break
                    target += direction
            table[file * 64 + inner] = UInt8(attacks)
    return table^


comptime FILE_MASKS = _line_table(0, 1)
comptime DIAGONAL_MASKS = _line_table(1, 1)
comptime ANTI_DIAGONAL_MASKS = _line_table(-1, 1)
comptime RANK_MASKS = _line_table(1, 0)
comptime RANK_ATTACKS = _rank_attack_table()


@always_inline
def _line_attacks(square: Int, occupied: UInt64, mask: UInt64) -> UInt64:
    """Attacks along one file or diagonal (`mask`: the line without `square`)."""
    var slider = square_bit(square)
    var forward = occupied & mask
    var reverse = byte_swap(forward)
    forward -= slider  # wraps: UInt64 arithmetic is modular
    reverse -= byte_swap(slider)
    return (forward ^ byte_swap(reverse)) & mask


@always_inline
def _rank_attacks(square: Int, occupied: UInt64) -> UInt64:
    var rank_shift = UInt64(square & 56)
    var inner = Int((occupied >> (rank_shift + 1)) & 63)
    return UInt64(global_constant[RANK_ATTACKS]()[(square & 7) * 64 + inner]) << rank_shift


@always_inline
def rook_attacks(square: Int, occupied: UInt64) -> UInt64:
    """Squares a rook on `square` attacks, blockers included; equals `rook_attacks_of_set(square_bit(square), occupied)`."""
    return _line_attacks(square, occupied, global_constant[FILE_MASKS]()[square]) | _rank_attacks(square, occupied)


@always_inline
def bishop_attacks(square: Int, occupied: UInt64) -> UInt64:
    """Squares a bishop on `square` attacks, blockers included; equals `bishop_attacks_of_set(square_bit(square), occupied)`."""
    return _line_attacks(square, occupied, global_constant[DIAGONAL_MASKS]()[square]) | _line_attacks(
        square, occupied, global_constant[ANTI_DIAGONAL_MASKS]()[square]
    )


@always_inline
def rook_rays(square: Int) -> UInt64:
    """A rook's attacks from `square` on an empty board."""
    return global_constant[FILE_MASKS]()[square] | global_constant[RANK_MASKS]()[square]


@always_inline
def bishop_rays(square: Int) -> UInt64:
    """A bishop's attacks from `square` on an empty board."""
    return global_constant[DIAGONAL_MASKS]()[square] | global_constant[ANTI_DIAGONAL_MASKS]()[square]
