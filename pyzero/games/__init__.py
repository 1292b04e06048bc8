"""Game registry: `make(name, **options)` returns a `Game`.

    >>> game = make("connect4")
    >>> state = game.new()
    >>> state.play("4")

The games are those the engine registers (one `register_game` line per game in
mojo/engine_module.mojo); `ENGINE_STATE_TYPES` ({game name: the engine's state type
name}) and `GAME_NAMES` are read from the engine's `registered_games()` on first use, so
importing this package does not build or load the engine.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pyzero.native import load_native
from pyzero.games.api import Game, IllegalMoveError, PositionCounts, PositionError, State
from pyzero.games.tak import TakGame

LARGEST_OPTION_VALUE = 2.0**53  # game options are small counts and komi; floats are exact up to here

# Optional: games whose Python face adds names of their own (Tak: TPS); others get `Game`.
GAME_CLASSES: dict[str, type[Game]] = {"tak": TakGame}


@cache
def _registry() -> dict[str, str]:
    return dict(load_native().registered_games())


def engine_state_types() -> dict[str, str]:
    """{game name: the engine's state type name}, in the engine's registration order."""
    return dict(_registry())


def game_names() -> tuple[str, ...]:
    """The names of the registered games."""
    return tuple(_registry())


def unknown_game_message(name: object) -> str:
    """What to say about a game name the engine does not register (names the known ones)."""
    return f"unknown game {name!r}; known games: {', '.join(map(repr, game_names()))}"


def __getattr__(attribute: str) -> Any:
    # ENGINE_STATE_TYPES and GAME_NAMES are computed on first use (PEP 562): they need the engine.
    if attribute == "ENGINE_STATE_TYPES":
        return engine_state_types()
    if attribute == "GAME_NAMES":
        return game_names()
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def make(name: str, **options: float) -> Game:
    """The game `name` with its options (for example `make("tak", size=6, komi=2)`)."""
    registry = _registry()
    if name not in registry:
        raise ValueError(unknown_game_message(name))
    numeric: dict[str, float] = {}
    for key, value in options.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: option {key!r} must be a number, got {value!r}")
        if not math.isfinite(value) or abs(value) > LARGEST_OPTION_VALUE:
            # The engine would read inf, nan or 1e300 as some other whole number and name that instead.
            raise ValueError(f"{name}: option {key!r} must be a finite number between -{LARGEST_OPTION_VALUE:g} "
                             f"and {LARGEST_OPTION_VALUE:g}, got {value!r}")
        numeric[key] = float(value)
    state_type = getattr(load_native(), registry[name])
    return GAME_CLASSES.get(name, Game)(name, state_type, numeric)


__all__ = [
    "ENGINE_STATE_TYPES", "GAME_CLASSES", "GAME_NAMES", "Game", "IllegalMoveError", "PositionCounts", "PositionError", "State",
    "engine_state_types", "game_names", "make", "unknown_game_message",
]
