"""Zobrist keys of chess positions: the Polyglot scheme, so keys equal Polyglot book keys.

The key of a position XORs the Polyglot constant (see `polyglot.mojo`) of every piece on
its square, of every castling right held, of the en passant file when a pawn of the side
to move stands next to the pawn that just moved two squares (whether or not the capture
would be legal: Polyglot's rule), and of "white to move". `ChessState.en_passant` only
holds a square when such a pawn exists, so its presence is exactly the hashed feature.
"""

from games.chess.board import WHITE, NUM_PIECE_TYPES, NO_SQUARE, square_file, lowest_square
from games.chess.polyglot import (
    polyglot_key,
    POLYGLOT_CASTLING_OFFSET,
    POLYGLOT_EN_PASSANT_OFFSET,
    POLYGLOT_WHITE_TO_MOVE_OFFSET,
)
from games.chess.state import ChessState


@always_inline
def piece_key(colour: Int, piece_type: Int, square: Int) -> UInt64:
    """Key of a piece of `colour` and `piece_type` on `square` (Polyglot kind 2*type+white)."""
    var kind = 2 * piece_type + (1 if colour == WHITE else 0)
    return polyglot_key(64 * kind + square)


@always_inline
def castling_keys(rights: Int) -> UInt64:
    """XOR of the keys of every castling right in `rights` (bits K=1, Q=2, k=4, q=8)."""
    var value: UInt64 = 0
    for bit_index in range(4):
        if rights & (1 << bit_index):
            value ^= polyglot_key(POLYGLOT_CASTLING_OFFSET + bit_index)
    return value


@always_inline
def en_passant_key(en_passant_square: Int) -> UInt64:
    """Key of a (capturable) en passant square's file; 0 for NO_SQUARE."""
    if en_passant_square == NO_SQUARE:
        return 0
    return polyglot_key(POLYGLOT_EN_PASSANT_OFFSET + square_file(en_passant_square))


@always_inline
def white_to_move_key() -> UInt64:
    return polyglot_key(POLYGLOT_WHITE_TO_MOVE_OFFSET)


def compute_key(state: ChessState) -> UInt64:
    """The position's key computed from scratch (the incremental key must always equal it)."""
    var value: UInt64 = 0
    for colour in range(2):
        for piece_type in range(NUM_PIECE_TYPES):
            var bits = state.pieces[piece_type] & state.colours[colour]
            while bits:
                value ^= piece_key(colour, piece_type, lowest_square(bits))
                bits &= bits - 1
    value ^= castling_keys(state.castling)
    value ^= en_passant_key(state.en_passant)
    if state.side == WHITE:
        value ^= white_to_move_key()
    return value
