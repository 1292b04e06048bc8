"""Chess draws as a UCI engine sees them: which draws end the game for `go`, and how the
position reaches the search when a draw could be claimed.

FIDE's Laws of Chess (9.2, 9.3, 9.6) have two kinds of draw by rule:

- claimable: the fifty-move rule (100 half-moves without a capture or pawn move) and
  threefold repetition. The game goes on until a player claims, and under UCI claims
  are the GUI's business: the engine is asked for a move and must give one;
- automatic: the seventy-five-move rule (150 such half-moves, unless the last move
  mated) and fivefold repetition end the game without a claim, as do checkmate,
  stalemate and a dead position (the engine's insufficient material).

The engine's chess state (games/chess, `rule_draws` on, as every config trains it)
treats a half-move clock of 100 or more as a finished game: no legal moves, no search. So
the UCI server never hands the engine a clock of 100 or more: `searchable_state` gives
it the same position with the clock at 99 (pieces, side to move, castling, en passant
and move number unchanged; the position key, which leaves the clock out, is the same,
and so is the network's input, whose fifty-move planes are all on from 90). In the search
any further move without a capture or pawn move then ends in a draw, which is what a
claimable draw is worth: the opponent may claim it at once. The clock the GUI sent (and
the moves since) is kept beside it for what the server reports and for the
seventy-five-move rule (`automatic_draw_reason`).
"""

from __future__ import annotations

from pyzero.games import IllegalMoveError, State
from pyzero.protocols.commands import PlayedPosition, illegal_position_move_error

CLAIMABLE_DRAW_HALFMOVES = 100  # FIDE 9.3: fifty moves by each side; either side may claim
AUTOMATIC_DRAW_HALFMOVES = 150  # FIDE 9.6.2: seventy-five moves by each side; drawn without a claim
AUTOMATIC_DRAW_REPETITIONS = 5  # FIDE 9.6.1: the fifth occurrence of a position; drawn without a claim
SEARCH_HALFMOVE_CLOCK = CLAIMABLE_DRAW_HALFMOVES - 1  # the highest clock the engine's state plays on from

HALFMOVE_CLOCK_FIELD = 4  # FEN's fields: board, side, castling, en passant, half-move clock, move number


def fen_halfmove_clock(fen: str) -> int:
    """The half-move clock of a FEN (0 when the FEN leaves it out, as the engine reads it)."""
    fields = fen.split()
    return int(fields[HALFMOVE_CLOCK_FIELD]) if len(fields) > HALFMOVE_CLOCK_FIELD else 0


def fen_with_halfmove_clock(fen: str, halfmove_clock: int) -> str:
    """`fen` (as the engine writes it: all six fields) with its half-move clock replaced."""
    fields = fen.split()
    fields[HALFMOVE_CLOCK_FIELD] = str(halfmove_clock)
    return " ".join(fields)


def searchable_state(state: State) -> State:
    """`state` itself, or, when its half-move clock has reached the claimable fifty-move
    draw, the same position with the clock at `SEARCH_HALFMOVE_CLOCK` (see the module
    docstring: the engine's state would call it finished)."""
    fen = state.position()
    if fen_halfmove_clock(fen) <= SEARCH_HALFMOVE_CLOCK:
        return state
    return state.game.from_position(fen_with_halfmove_clock(fen, SEARCH_HALFMOVE_CLOCK))


def play_moves_through_claimable_draws(state: State, moves: tuple[str, ...]) -> tuple[PlayedPosition, int]:
    """Plays a `position` command's moves from `state`, however many half-moves pass
    without a capture or pawn move; returns the position for the search (its clock below
    100, `searchable_state`) with the keys of the positions before it, and the real
    half-move clock. An illegal move is a `TeiCommandError` naming its number, the move,
    the position (with the real clock) and why."""
    halfmove_clock = fen_halfmove_clock(state.position())
    state = searchable_state(state)
    history = []
    for number, move in enumerate(moves, start=1):
        key = state.hash()
        try:
            state.play(move)
        except IllegalMoveError as error:
            position = fen_with_halfmove_clock(error.position, halfmove_clock)
            raise illegal_position_move_error(number, move, position, error.reason) from None
        history.append(key)
        halfmove_clock = 0 if fen_halfmove_clock(state.position()) == 0 else halfmove_clock + 1
        state = searchable_state(state)
    return PlayedPosition(state, tuple(history)), halfmove_clock


def automatic_draw_reason(halfmove_clock: int, history: tuple[int, ...], key: int) -> str | None:
    """Why a position that still has legal moves is drawn without a claim (FIDE 9.6), or
    None: its real half-move clock, and the keys of the positions played before it
    (`key` is its own). Checkmate comes first: a position without legal moves is the
    engine's state's to judge."""
    if halfmove_clock >= AUTOMATIC_DRAW_HALFMOVES:
        return (f"seventy-five-move rule: {halfmove_clock} half-moves without a capture or pawn move, "
                f"{AUTOMATIC_DRAW_HALFMOVES} end the game")
    occurrences = history.count(key) + 1
    if occurrences >= AUTOMATIC_DRAW_REPETITIONS:
        return f"fivefold repetition: the position has occurred {occurrences} times"
    return None
