"""How long to think about one move: pure functions from the clock to a search budget.

All times are in milliseconds (the unit of TEI/UCI `wtime`, `winc`, `movetime`); the
caller converts the budget to seconds for `SearchLimits(seconds=...)`.

    budget_ms = clock_budget_ms(remaining_ms=60_000, increment_ms=1_000, plies_played=20, board_size=6)
    budget_ms = movetime_budget_ms(movetime_ms=1_000)

A clock budget is the time left (less a safety margin) spread over the moves the game
probably still lasts, plus most of the increment (it is credited after the move), capped
at a share of what is left so one long think cannot lose the game on time. However the
numbers fall, a budget never exceeds the time left minus the safety margin, except when
less than the margin is left: then only the emergency budget remains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TimeManagerSettings:
    """The knobs of the time manager (milliseconds unless said otherwise).

    `overhead_ms` is the safety margin for everything a move costs beyond the search:
    reading the command, building the search, the network's first call, writing the
    answer, and the pipe to the GUI. Python and the first network call can take tens of
    milliseconds, hence 100 ms rather than the few milliseconds compiled engines reserve.
    """

    overhead_ms: float = 100.0
    # Never plan as if fewer moves remained than this: keeps a reserve for long endgames.
    minimum_moves_to_go: int = 10
    # The increment arrives after the move; spending all of it would leave no slack.
    increment_share: float = 0.75
    # No single move may take more than this share of the usable time (matters with a
    # large increment and little time left).
    maximum_share_of_usable_time: float = 0.4
    # Below this a search cannot even evaluate the root's children; never plan less
    # (unless less than this is usable at all).
    minimum_budget_ms: float = 10.0
    # What is left when the clock is already below the safety margin: the least a
    # search can take. The clock may run out anyway; nothing better is possible.
    emergency_budget_ms: float = 1.0
    # Moves per player in a typical game = this times the number of squares. The median
    # 6x6 engine game in shared/tak/games lasts 94 plies = 47 moves per player, about
    # 1.3 x 36 squares.
    moves_per_square: float = 1.3


DEFAULT_SETTINGS = TimeManagerSettings()


def expected_moves_per_player(board_size: int, settings: TimeManagerSettings = DEFAULT_SETTINGS) -> int:
    """How many moves each player makes in a typical game on a `board_size` board."""
    if board_size < 1:
        raise ValueError(f"board_size must be positive, got {board_size}")
    return math.ceil(settings.moves_per_square * board_size * board_size)


def board_side(rows: int, columns: int) -> int:
    """The side of a square board with about as many squares as a `rows` x `columns` one
    (6 for Connect4's 6 x 7): the board size the move estimate above asks for."""
    if rows < 1 or columns < 1:
        raise ValueError(f"a board needs at least one row and column, got {rows} x {columns}")
    return max(1, round(math.sqrt(rows * columns)))


def estimated_moves_to_go(plies_played: int, board_size: int,
                          settings: TimeManagerSettings = DEFAULT_SETTINGS) -> int:
    """The moves the side to move probably still has to make (at least the minimum).

    `plies_played` counts both players' plies so far (a state's `ply`), so the side to
    move has made `plies_played // 2` moves already."""
    if plies_played < 0:
        raise ValueError(f"plies_played must be >= 0, got {plies_played}")
    own_moves_played = plies_played // 2
    return max(settings.minimum_moves_to_go,
               expected_moves_per_player(board_size, settings) - own_moves_played)


def clock_budget_ms(remaining_ms: float, increment_ms: float, plies_played: int, board_size: int,
                    moves_to_go: int | None = None, settings: TimeManagerSettings = DEFAULT_SETTINGS) -> float:
    """The search time for this move (ms) under a clock: `remaining_ms` on the side to
    move's clock, `increment_ms` added after each of its moves, `plies_played` plies of
    the game so far (both sides), and `moves_to_go` moves until the next time control
    when the GUI says so (UCI's `movestogo`; otherwise estimated from the board size).

    The result is at most `remaining_ms - settings.overhead_ms`; when that is below
    `settings.emergency_budget_ms` the emergency budget is returned.
    """
    if remaining_ms < 0 or increment_ms < 0:
        raise ValueError(f"times must be >= 0, got remaining {remaining_ms} ms, increment {increment_ms} ms")
    if moves_to_go is not None and moves_to_go < 1:
        raise ValueError(f"moves_to_go must be at least 1, got {moves_to_go}")
    usable_ms = remaining_ms - settings.overhead_ms
    if usable_ms < settings.emergency_budget_ms:
        return settings.emergency_budget_ms
    planned_moves = moves_to_go if moves_to_go is not None else estimated_moves_to_go(
        plies_played, board_size, settings)
    share_ms = usable_ms / planned_moves + settings.increment_share * increment_ms
    capped_ms = min(share_ms, settings.maximum_share_of_usable_time * usable_ms)
    return min(max(capped_ms, settings.minimum_budget_ms), usable_ms)


def movetime_budget_ms(movetime_ms: float, settings: TimeManagerSettings = DEFAULT_SETTINGS) -> float:
    """The search time (ms) for `go movetime`: the move must be answered within
    `movetime_ms`, so the safety margin comes off it, but never more than half of it
    (a 50 ms movetime still searches 25 ms rather than nothing)."""
    if movetime_ms <= 0:
        raise ValueError(f"movetime must be positive, got {movetime_ms} ms")
    safety_ms = min(settings.overhead_ms, movetime_ms / 2)
    return movetime_ms - safety_ms
