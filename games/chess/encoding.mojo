"""The chess network interface: action indices (the policy) and input planes.

Frame: everything is seen from the side to move. For white a square is itself; for black
the board is mirrored vertically (`square ^ 56`: a1 <-> a8, e2 <-> e7), so the side to
move's pawns always advance "up" and its back rank is rank 1. Files are never mirrored.

Policy, 4168 actions
--------------------
- `0 ..< 4096`: `64 * from + to` with both squares in the side to move's frame. This
  covers every non-promotion move, castling (the king's two-square move, e1g1 / e1c1 in
  the frame) and en passant, and also the queen promotion: a pawn move to the last rank
  without an underpromotion index promotes to a queen.
- `4096 ..< 4168`: underpromotions, `4096 + 9 * from_file + 3 * direction + piece` with
  `direction` 0, 1, 2 for the pawn moving to the file on the left (capture), straight
  ahead, or to the right (capture), in the frame, and `piece` 0, 1, 2 for knight,
  bishop, rook. The pawn starts on the frame's seventh rank.

Input planes, `[20, 8, 8]` float32 (plane, rank, file), in the side to move's frame
-----------------------------------------------------------------------------------
- 0..5: the side to move's pawns, knights, bishops, rooks, queens, king (1 on the square);
- 6..11: the opponent's pieces, same order;
- 12, 13: all ones when the side to move may still castle kingside / queenside;
- 14, 15: the same for the opponent;
- 16: 1 on the en passant square when a pawn of the side to move could take there;
- 17, 18: all ones once the halfmove clock reaches `fifty_move_bit1` / `fifty_move_bit2`
  plies (defaults 60 and 90; 0 = off). Only two bits, so positions differ for the network
  in at most three ways by the clock and the evaluation cache (keyed by the Polyglot key,
  which ignores the clock) is wrong at most near those two thresholds;
- 19: all ones (lets convolutions see the board's edge through zero padding).
Repetitions are not encoded: the state keeps no history (see `results.mojo`).
"""

from mojo.game import FloatBuffer
from games.chess.board import (
    WHITE,
    PAWN,
    KNIGHT,
    QUEEN,
    NUM_PIECE_TYPES,
    NO_PROMOTION,
    NO_SQUARE,
    CASTLE_WHITE_KINGSIDE,
    CASTLE_WHITE_QUEENSIDE,
    CASTLE_BLACK_KINGSIDE,
    CASTLE_BLACK_QUEENSIDE,
    square_bit,
    square_file,
    square_rank,
    lowest_square,
)
from games.chess.moves import encode_move, move_from, move_to, move_promotion
from games.chess.state import ChessState

comptime FROM_TO_ACTIONS = 4096
comptime UNDERPROMOTION_ACTIONS = 72
comptime NUM_CHESS_ACTIONS = FROM_TO_ACTIONS + UNDERPROMOTION_ACTIONS
comptime NUM_PLANES = 20
comptime PLANE_OWN_PIECES = 0
comptime PLANE_OPPONENT_PIECES = 6
comptime PLANE_CASTLING = 12
comptime PLANE_EN_PASSANT = 16
comptime PLANE_FIFTY_MOVES = 17
comptime PLANE_ONES = 19


@always_inline
def frame_square(square: Int, side: Int) -> Int:
    """`square` seen from `side`: itself for white, mirrored vertically for black (an involution)."""
    return square if side == WHITE else square ^ 56


def move_to_action(side: Int, move: Int) -> Int:
    """The action index of move code `move` played by `side`."""
    var from_frame = frame_square(move_from(move), side)
    var to_frame = frame_square(move_to(move), side)
    var promotion = move_promotion(move)
    if promotion == NO_PROMOTION or promotion == QUEEN:
        return from_frame * 64 + to_frame
    var direction = square_file(to_frame) - square_file(from_frame) + 1
    return FROM_TO_ACTIONS + 9 * square_file(from_frame) + 3 * direction + (promotion - KNIGHT)


def action_to_move(state: ChessState, action: Int) -> Int:
    """The move code of `action` in `state` (meaningful for actions in range; legality unchecked)."""
    var side = state.side
    if action >= FROM_TO_ACTIONS:
        var index = action - FROM_TO_ACTIONS
        var from_file = index // 9
        var direction = (index // 3) % 3
        var piece = index % 3
        var from_frame = 48 + from_file
        var to_frame = 56 + from_file + direction - 1
        return encode_move(frame_square(from_frame, side), frame_square(to_frame, side), KNIGHT + piece)
    var from_square = frame_square(action // 64, side)
    var to_square = frame_square(action % 64, side)
    var promotion = NO_PROMOTION
    if (state.pieces[PAWN] & state.colours[side] & square_bit(from_square)) and square_rank(
        frame_square(to_square, side)
    ) == 7:
        promotion = QUEEN
    return encode_move(from_square, to_square, promotion)


def _fill_plane(planes: FloatBuffer, plane: Int, value: Float32):
    for index in range(64):
        planes[unsafe_offset = plane * 64 + index] = value


def encode(state: ChessState, planes: FloatBuffer):
    """Writes the `[20, 8, 8]` input planes (layout in the module docstring)."""
    for index in range(NUM_PLANES * 64):
        planes[unsafe_offset=index] = 0
    var side = state.side
    for piece_type in range(NUM_PIECE_TYPES):
        for relative in range(2):  # 0: the side to move's pieces, 1: the opponent's
            var colour = side if relative == 0 else 1 - side
            var bits = state.pieces[piece_type] & state.colours[colour]
            var plane = (PLANE_OWN_PIECES if relative == 0 else PLANE_OPPONENT_PIECES) + piece_type
            while bits:
                var square = lowest_square(bits)
                bits &= bits - 1
                planes[unsafe_offset = plane * 64 + frame_square(square, side)] = 1
    var own_kingside = CASTLE_WHITE_KINGSIDE if side == WHITE else CASTLE_BLACK_KINGSIDE
    var own_queenside = CASTLE_WHITE_QUEENSIDE if side == WHITE else CASTLE_BLACK_QUEENSIDE
    var opponent_kingside = CASTLE_BLACK_KINGSIDE if side == WHITE else CASTLE_WHITE_KINGSIDE
    var opponent_queenside = CASTLE_BLACK_QUEENSIDE if side == WHITE else CASTLE_WHITE_QUEENSIDE
    var rights: List[Int] = [own_kingside, own_queenside, opponent_kingside, opponent_queenside]
    for index in range(4):
        if state.castling & rights[index]:
            _fill_plane(planes, PLANE_CASTLING + index, 1)
    if state.en_passant != NO_SQUARE:
        planes[unsafe_offset = PLANE_EN_PASSANT * 64 + frame_square(state.en_passant, side)] = 1
    if state.fifty_move_bit1 > 0 and state.halfmove_clock >= state.fifty_move_bit1:
        _fill_plane(planes, PLANE_FIFTY_MOVES, 1)
    if state.fifty_move_bit2 > 0 and state.halfmove_clock >= state.fifty_move_bit2:
        _fill_plane(planes, PLANE_FIFTY_MOVES + 1, 1)
    _fill_plane(planes, PLANE_ONES, 1)
