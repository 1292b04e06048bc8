"""Chess clocks for arena games: a time control (`--time 60+0.5`: 60 s each, 0.5 s added
after every move) and the two clocks of one game.

Each player's thinking time is measured around its move, wall clock, and taken off its
own clock; the increment is added after the move (Fischer). A player whose clock goes
below zero during a move loses on time, whatever it played. Players that manage a clock
(`choose_on_clock`: network players through the time manager, TEI and UCI engines with
`go wtime ... btime ... winc ... binc ...`) see both clocks before each move; the others
(random, rollout MCTS, alpha-beta) play as always and are charged all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TIME_CONTROL = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:\+\s*(\d+(?:\.\d*)?|\.\d+)\s*)?$")


@dataclass(frozen=True)
class TimeControl:
    """`base_seconds` on each clock at the start, `increment_seconds` added after each move."""

    base_seconds: float
    increment_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not self.base_seconds > 0:
            raise ValueError(f"the base time must be positive, got {self.base_seconds} s")
        if self.increment_seconds < 0:
            raise ValueError(f"the increment cannot be negative, got {self.increment_seconds} s")

    def __str__(self) -> str:
        return f"{self.base_seconds:g}+{self.increment_seconds:g}"


def parse_time_control(text: str) -> TimeControl:
    """`"60+0.5"` (seconds, base + increment) or `"60"` (no increment); a ValueError names
    the text and the expected form."""
    match = _TIME_CONTROL.match(text)
    if not match:
        raise ValueError(f"time control {text!r}: expected BASE[+INCREMENT] in seconds, e.g. 60+0.5 or 10")
    try:  # TimeControl checks the values; the text is named here
        return TimeControl(float(match.group(1)), float(match.group(2) or 0.0))
    except ValueError as error:
        raise ValueError(f"time control {text!r}: {error}") from None


class GameClock:
    """Both sides' clocks in one game (side 0 moves first), in seconds."""

    def __init__(self, control: TimeControl):
        self.control = control
        self.remaining_seconds = [control.base_seconds, control.base_seconds]
        self.flagged_side: int | None = None

    def remaining_ms(self, side: int) -> float:
        return max(0.0, self.remaining_seconds[side]) * 1000.0

    @property
    def increment_ms(self) -> float:
        return self.control.increment_seconds * 1000.0

    def charge(self, side: int, seconds: float) -> bool:
        """Takes a move's `seconds` off `side`'s clock, then adds the increment; True (and
        the clock stays below zero, without increment) when the flag fell during the move."""
        if seconds < 0:
            raise ValueError(f"a move cannot take negative time ({seconds} s)")
        self.remaining_seconds[side] -= seconds
        if self.remaining_seconds[side] < 0:
            self.flagged_side = side
            return True
        self.remaining_seconds[side] += self.control.increment_seconds
        return False
