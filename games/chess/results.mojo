"""How a chess game ends: checkmate, stalemate, insufficient material, fifty moves, repetition.

Checkmate and stalemate are "no legal move" (in check or not) and always end the game.
Insufficient material and the fifty-move rule end it too when the state's `rule_draws`
option is on (the default); perft turns them off with `rule_draws=0`, because published
perft counts are move-generation counts that play on through such draws.

The rules, as python-chess decides them (so the referee test can compare):
- checkmate is checked first: a mate on the hundredth reversible ply is a win;
- insufficient material: no pawns, rooks or queens, and either every minor piece is a
  bishop, all on squares of one colour (any number, either side), or there is exactly
  one knight and nothing else besides the kings;
- fifty moves: 100 or more plies since the last capture or pawn move.

Threefold repetition needs the game's history, which a state does not keep (the search
tracks it, see ARCHITECTURE.md). `count_repetitions` is the game's part: given the keys
of the positions played so far it counts how often the current position occurred;
`is_threefold_repetition` says whether that makes three. Positions are compared by their
Polyglot keys, which hash the en passant file whenever a pawn stands ready to capture even
if the capture is illegal (a pinned pawn); FIDE and python-chess count such positions as
different only when the capture is legal, so in that rare case a repetition can be missed.
"""

from std.bit import pop_count

from games.chess.board import (
    WHITE,
    BLACK,
    PAWN,
    KNIGHT,
    BISHOP,
    ROOK,
    QUEEN,
    LIGHT_SQUARES,
)
from games.chess.moves import has_any_legal_move, is_in_check
from games.chess.state import ChessState

comptime END_NONE = 0
comptime END_CHECKMATE = 1
comptime END_STALEMATE = 2
comptime END_INSUFFICIENT_MATERIAL = 3
comptime END_FIFTY_MOVES = 4

comptime FIFTY_MOVE_PLIES = 100


def has_insufficient_material(state: ChessState) -> Bool:
    """Whether neither side can ever checkmate (see the module docstring for the exact rule)."""
    if state.pieces[PAWN] | state.pieces[ROOK] | state.pieces[QUEEN]:
        return False
    var knights = state.pieces[KNIGHT]
    var bishops = state.pieces[BISHOP]
    if knights:
        return bishops == 0 and pop_count(knights) == 1
    return (bishops & LIGHT_SQUARES) == 0 or (bishops & ~LIGHT_SQUARES) == 0


def is_drawn_by_rule(state: ChessState) -> Bool:
    """Insufficient material or fifty moves, when `rule_draws` is on (ignores mate and stalemate)."""
    if not state.rule_draws:
        return False
    return state.halfmove_clock >= FIFTY_MOVE_PLIES or has_insufficient_material(state)


def end_reason(state: ChessState) -> Int:
    """END_NONE while the game goes on, else why it ended (checkmate takes precedence)."""
    if not has_any_legal_move(state):
        return END_CHECKMATE if is_in_check(state) else END_STALEMATE
    if state.rule_draws:
        if has_insufficient_material(state):
            return END_INSUFFICIENT_MATERIAL
        if state.halfmove_clock >= FIFTY_MOVE_PLIES:
            return END_FIFTY_MOVES
    return END_NONE


def end_reason_name(reason: Int) -> String:
    if reason == END_CHECKMATE:
        return "checkmate"
    if reason == END_STALEMATE:
        return "stalemate"
    if reason == END_INSUFFICIENT_MATERIAL:
        return "insufficient material"
    if reason == END_FIFTY_MOVES:
        return "fifty moves"
    return "none"


def count_repetitions(history_keys: List[UInt64], halfmove_clock: Int, current_key: UInt64) -> Int:
    """How many times the current position has occurred, itself included.

    `history_keys` are the keys of the positions before the current one, oldest first.
    Only the last `halfmove_clock` of them can repeat it (a capture or pawn move is
    irreversible), and only those with the same side to move (every second one).
    """
    var count = 1
    var back = 2
    var available = len(history_keys)
    while back <= halfmove_clock and back <= available:
        if history_keys[available - back] == current_key:
            count += 1
        back += 2
    return count


def is_threefold_repetition(history_keys: List[UInt64], halfmove_clock: Int, current_key: UInt64) -> Bool:
    """Whether the current position occurs for the third time (see `count_repetitions`)."""
    return count_repetitions(history_keys, halfmove_clock, current_key) >= 3
