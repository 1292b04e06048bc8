"""Chess board basics: colours, piece types, squares, castling bits and bitboard masks.

Squares are numbered `8 * rank + file` with a1 = 0, h1 = 7, a8 = 56, h8 = 63; a bitboard
is a `UInt64` with bit `square` set for each square in the set. Piece types are indices
into the position's per-type bitboards; colours index its per-colour bitboards.
"""

from std.bit import count_trailing_zeros

comptime WHITE = 0
comptime BLACK = 1

comptime PAWN = 0
comptime KNIGHT = 1
comptime BISHOP = 2
comptime ROOK = 3
comptime QUEEN = 4
comptime KING = 5
comptime NUM_PIECE_TYPES = 6
comptime NO_PIECE = -1
comptime NO_PROMOTION = 0
"""A move code's promotion field when the move is not a promotion (PAWN is never a promotion)."""

comptime NO_SQUARE = -1

# Castling rights, one bit each; the order is also Polyglot's (768 + bit index).
comptime CASTLE_WHITE_KINGSIDE = 1
comptime CASTLE_WHITE_QUEENSIDE = 2
comptime CASTLE_BLACK_KINGSIDE = 4
comptime CASTLE_BLACK_QUEENSIDE = 8
comptime CASTLE_ALL = 15

comptime FILE_A: UInt64 = 0x0101010101010101
comptime FILE_B: UInt64 = FILE_A << 1
comptime FILE_G: UInt64 = FILE_A << 6
comptime FILE_H: UInt64 = FILE_A << 7
comptime NOT_FILE_A: UInt64 = ~FILE_A
comptime NOT_FILE_H: UInt64 = ~FILE_H
comptime NOT_FILES_AB: UInt64 = ~(FILE_A | FILE_B)
comptime NOT_FILES_GH: UInt64 = ~(FILE_G | FILE_H)
comptime ALL_SQUARES: UInt64 = 0xFFFFFFFFFFFFFFFF
comptime RANK_1: UInt64 = 0xFF
comptime RANK_3: UInt64 = RANK_1 << 16
comptime RANK_6: UInt64 = RANK_1 << 40
comptime RANK_8: UInt64 = RANK_1 << 56
comptime LIGHT_SQUARES: UInt64 = 0x55AA55AA55AA55AA
"""b1, d1, ..., a2, c2, ...: the light squares (a1 is dark)."""

comptime PIECE_LETTERS = "pnbrqk"
"""Lower-case letter of each piece type, indexed by type (FEN, UCI promotions)."""


@always_inline
def square_bit(square: Int) -> UInt64:
    """The bitboard holding only `square`."""
    return UInt64(1) << UInt64(square)


@always_inline
def lowest_square(bits: UInt64) -> Int:
    """The lowest-numbered square of a non-empty bitboard."""
    return Int(count_trailing_zeros(bits))


@always_inline
def square_file(square: Int) -> Int:
    return square & 7


@always_inline
def square_rank(square: Int) -> Int:
    return square >> 3


@always_inline
def make_square(file: Int, rank: Int) -> Int:
    return rank * 8 + file


def square_name(square: Int) -> String:
    """Algebraic name of a square, e.g. 12 -> `e2`."""
    return chr(ord("a") + square_file(square)) + chr(ord("1") + square_rank(square))


def piece_letter(piece_type: Int, colour: Int) -> String:
    """FEN letter of a piece: upper case for white (`N`), lower case for black (`n`)."""
    var lower = Int(String(PIECE_LETTERS).as_bytes()[piece_type])
    return chr(lower - 32) if colour == WHITE else chr(lower)


def piece_type_of_letter(letter: Int) -> Int:
    """The piece type of a FEN letter byte (either case), or NO_PIECE."""
    var lower = letter + 32 if letter >= ord("A") and letter <= ord("Z") else letter
    var letters = String(PIECE_LETTERS).as_bytes()
    for piece_type in range(NUM_PIECE_TYPES):
        if Int(letters[piece_type]) == lower:
            return piece_type
    return NO_PIECE


def castling_rights_cleared_by(square: Int) -> Int:
    """The castling rights lost when a move starts or ends on `square` (king or rook homes)."""
    if square == 4:
        return CASTLE_WHITE_KINGSIDE | CASTLE_WHITE_QUEENSIDE
    if square == 7:
        return CASTLE_WHITE_KINGSIDE
    if square == 0:
        return CASTLE_WHITE_QUEENSIDE
    if square == 60:
        return CASTLE_BLACK_KINGSIDE | CASTLE_BLACK_QUEENSIDE
    if square == 63:
        return CASTLE_BLACK_KINGSIDE
    if square == 56:
        return CASTLE_BLACK_QUEENSIDE
    return 0
