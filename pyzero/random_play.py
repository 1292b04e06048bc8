"""Random-move games: the placeholder main job until training lands, and a test baseline."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from pyzero.games import Game, State


@dataclass
class RandomGamesSummary:
    games: int
    results: dict[str, int]
    mean_plies: float


def play_random_game(game: Game, rng: random.Random) -> State:
    """Plays uniformly random legal actions from the initial position to the end."""
    state = game.new()
    while not state.is_terminal():
        state.apply_action(rng.choice(state.legal_actions()))
    return state


def play_random_games(game: Game, count: int, seed: int = 0) -> RandomGamesSummary:
    rng = random.Random(seed)
    results: Counter[str] = Counter()
    plies = 0
    for _ in range(count):
        final = play_random_game(game, rng)
        results[final.result() or "unfinished"] += 1
        plies += final.ply
    return RandomGamesSummary(count, dict(results), plies / max(count, 1))
