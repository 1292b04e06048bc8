"""Chess as a `Game`: legal moves, results, Polyglot keys, FEN, UCI/SAN, network encoding.

One file per concept:
- `board.mojo`: colours, piece types, squares, castling bits, bitboard masks.
- `attacks.mojo`: knight/king/pawn attack sets, sliding attacks (Kogge-Stone fills for
  sets of pieces, hyperbola quintessence and a rank table for one square), "is this
  square attacked".
- `moves.mojo`: the move code and legal move generation (castling, en passant, promotions).
- `make_move.mojo`: playing a move, with the incremental key.
- `results.mojo`: checkmate, stalemate, insufficient material, fifty moves, and the
  game's part of threefold repetition (counting a key in a history the caller keeps).
- `polyglot.mojo` / `keys.mojo`: the Polyglot key table and the key of a position.
- `fen.mojo`: FEN in and out, the board drawing.
- `notation.mojo`: moves in UCI and SAN.
- `encoding.mojo`: the policy's action indices (4096 from-to + 72 underpromotions) and
  the input planes.
- `state.mojo`: `ChessState`, the `Game` implementation tying these together.
"""

from games.chess.board import WHITE, BLACK, PAWN, KNIGHT, BISHOP, ROOK, QUEEN, KING
from games.chess.results import (
    END_NONE,
    END_CHECKMATE,
    END_STALEMATE,
    END_INSUFFICIENT_MATERIAL,
    END_FIFTY_MOVES,
    count_repetitions,
    is_threefold_repetition,
)
from games.chess.encoding import NUM_CHESS_ACTIONS, NUM_PLANES, move_to_action, action_to_move
from games.chess.moves import generate_moves
from games.chess.state import ChessState, START_FEN
