"""Game registry: `make(name, **options)` returns a `Game`.

    >>> game = make("connect4")
    >>> state = game.new()
    >>> state.play("4")
"""

from __future__ import annotations

from pyzero.engine_build import load_engine
from pyzero.games.api import Game, IllegalMoveError, PositionError, State
from pyzero.games.tak import TakGame

# Registry name -> the engine's state type name (see mojo/engine_module.mojo).
ENGINE_STATE_TYPES = {
    "tictactoe": "TicTacToeState",
    "connect4": "Connect4State",
    "tak": "TakState",
}
# Games whose Python face adds names of their own (Tak: TPS).
GAME_CLASSES: dict[str, type[Game]] = {"tak": TakGame}
GAME_NAMES = tuple(ENGINE_STATE_TYPES)


def make(name: str, **options: float) -> Game:
    """The game `name` with its options (for example `make("tak", size=6, komi=2)`)."""
    if name not in ENGINE_STATE_TYPES:
        raise ValueError(f"unknown game {name!r}; known games: {', '.join(GAME_NAMES)}")
    numeric: dict[str, float] = {}
    for key, value in options.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: option {key!r} must be a number, got {value!r}")
        numeric[key] = float(value)
    state_type = getattr(load_engine(), ENGINE_STATE_TYPES[name])
    return GAME_CLASSES.get(name, Game)(name, state_type, numeric)


__all__ = ["GAME_NAMES", "Game", "IllegalMoveError", "PositionError", "State", "make"]
