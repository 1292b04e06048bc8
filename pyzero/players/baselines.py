"""Baseline players: uniform random, plain MCTS with random rollouts, and exact minimax
for TicTacToe-sized games. A player has a `name` and `choose(state, rng) -> move`."""

from __future__ import annotations

import random
from functools import lru_cache

from pyzero.games import Game, State
from pyzero.search import puct_search


class RandomPlayer:
    name = "random"

    def choose(self, state: State, rng: random.Random) -> str:
        return rng.choice(state.legal_moves())


class RolloutMctsPlayer:
    """Plain MCTS (UCT-style PUCT with uniform priors) valuing leaves by one random playout."""

    def __init__(self, simulations: int):
        self.simulations = simulations
        self.name = f"mcts{simulations}"

    def choose(self, state: State, rng: random.Random) -> str:
        result = puct_search(state, self.simulations, ("rollout", 1), seed=rng.randrange(1 << 30),
                             temperature=0.0, dirichlet_fraction=0.0)
        return result.chosen_move


class MinimaxPlayer:
    """Perfect play for small games (TicTacToe): a random move among the optimal ones."""

    name = "minimax"

    def __init__(self, game: Game):
        self.game = game

        @lru_cache(maxsize=None)
        def value(position: str) -> int:
            state = game.from_position(position)
            if state.is_terminal():
                winner = state.winner()
                return 0 if winner < 0 else (1 if winner == state.to_move() else -1)
            return max(-value(self._after(state, move)) for move in state.legal_moves())

        self.value = value

    @staticmethod
    def _after(state: State, move: str) -> str:
        child = state.copy()
        child.play(move)
        return child.position()

    def optimal_moves(self, state: State) -> list[str]:
        scores = {move: -self.value(self._after(state, move)) for move in state.legal_moves()}
        best = max(scores.values())
        return [move for move, score in scores.items() if score == best]

    def choose(self, state: State, rng: random.Random) -> str:
        return rng.choice(self.optimal_moves(state))
