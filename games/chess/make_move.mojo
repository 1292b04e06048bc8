"""Making a move: updates the bitboards, castling rights, en passant square, clocks and key.

The key is updated incrementally (XOR out what the move removes, XOR in what it adds);
`keys.compute_key` recomputes it from scratch, and the tests check both agree after every
move.
"""

from games.chess.board import (
    WHITE,
    BLACK,
    PAWN,
    KING,
    ROOK,
    NUM_PIECE_TYPES,
    NO_PIECE,
    NO_PROMOTION,
    NO_SQUARE,
    square_bit,
    castling_rights_cleared_by,
)
from games.chess.attacks import pawn_attacks_of_set
from games.chess.keys import piece_key, castling_keys, en_passant_key, white_to_move_key
from games.chess.moves import move_from, move_to, move_promotion, en_passant_victim_square
from games.chess.state import ChessState


@always_inline
def piece_type_on(state: ChessState, square: Int, colour: Int) -> Int:
    """The type of `colour`'s piece on `square`, or NO_PIECE."""
    var bit = square_bit(square)
    if (state.colours[colour] & bit) == 0:
        return NO_PIECE
    for piece_type in range(NUM_PIECE_TYPES):
        if state.pieces[piece_type] & bit:
            return piece_type
    return NO_PIECE


@always_inline
def _toggle_piece(mut state: ChessState, colour: Int, piece_type: Int, square: Int):
    """Adds or removes one piece (XOR), keeping the key in step."""
    var bit = square_bit(square)
    state.pieces[piece_type] ^= bit
    state.colours[colour] ^= bit
    state.key ^= piece_key(colour, piece_type, square)


def make_move(mut state: ChessState, move: Int):
    """Plays the legal move `move` (a code from `moves.generate_moves`)."""
    var mover = state.side
    var opponent = 1 - mover
    var from_square = move_from(move)
    var to_square = move_to(move)
    var promotion = move_promotion(move)
    var moving = piece_type_on(state, from_square, mover)
    var captured = piece_type_on(state, to_square, opponent)

    # The en passant key goes now (the new one is added at the end); castling keys change
    # only for the rights the move loses (most moves lose none).
    var castling_before = state.castling
    state.key ^= en_passant_key(state.en_passant)

    if captured != NO_PIECE:
        _toggle_piece(state, opponent, captured, to_square)
    _toggle_piece(state, mover, moving, from_square)
    _toggle_piece(state, mover, promotion if promotion != NO_PROMOTION else moving, to_square)

    if moving == PAWN and to_square == state.en_passant:
        _toggle_piece(state, opponent, PAWN, en_passant_victim_square(to_square, mover))
        captured = PAWN
    if moving == KING and (to_square - from_square == 2 or from_square - to_square == 2):
        # Castling: the rook jumps to the square the king crossed.
        var rook_from = from_square + 3 if to_square > from_square else from_square - 4
        var rook_to = (from_square + to_square) // 2
        _toggle_piece(state, mover, ROOK, rook_from)
        _toggle_piece(state, mover, ROOK, rook_to)

    state.castling &= ~(castling_rights_cleared_by(from_square) | castling_rights_cleared_by(to_square))

    # The en passant square is kept only when an opponent pawn could take on it (Polyglot's rule).
    state.en_passant = NO_SQUARE
    if moving == PAWN and (to_square - from_square == 16 or from_square - to_square == 16):
        var passed = (from_square + to_square) // 2
        if pawn_attacks_of_set(square_bit(passed), mover) & state.pieces[PAWN] & state.colours[opponent]:
            state.en_passant = passed

    if moving == PAWN or captured != NO_PIECE:
        state.halfmove_clock = 0
    else:
        state.halfmove_clock += 1
    state.ply_count += 1
    state.side = opponent
    if state.castling != castling_before:
        state.key ^= castling_keys(castling_before ^ state.castling)
    # The side to move always changes, so the "white to move" key always toggles.
    state.key ^= en_passant_key(state.en_passant) ^ white_to_move_key()
