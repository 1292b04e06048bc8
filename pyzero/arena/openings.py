"""Openings for matches: distinct positions a few random plies deep, so deterministic
players do not repeat one game. Each opening is played once with each colour."""

from __future__ import annotations

import random

from pyzero.games import Game, State


def random_openings(game: Game, count: int, plies: int, seed: int = 0, max_attempts: int = 100_000) -> list[State]:
    """`count` distinct unfinished positions, each `plies` uniformly random moves from the
    start (fewer when the game has fewer distinct ones: TicTacToe has 9 after one ply).
    Deterministic in `seed`. `plies` 0 gives the start position alone."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if plies < 0:
        raise ValueError(f"plies must be >= 0, got {plies}")
    if plies == 0:
        return [game.new()]
    rng = random.Random(seed)
    openings: dict[str, State] = {}
    for _ in range(max_attempts):
        if len(openings) == count:
            break
        state = game.new()
        for _ in range(plies):
            state.play(rng.choice(state.legal_moves()))
            if state.is_terminal():
                break
        if not state.is_terminal():
            openings.setdefault(state.position(), state)
    if not openings:
        raise ValueError(f"no unfinished {game.name} position after {plies} plies")
    return list(openings.values())
