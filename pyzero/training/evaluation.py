"""Players and short matches for progress evaluation during training.

Players choose a move for a position: the network with Gumbel search (no noise), uniform
random play, plain MCTS with random rollouts, and (for TicTacToe) an exact minimax player
that picks among its optimal moves. Matches alternate colours and start each pair of games
from a random opening, so deterministic players do not repeat a single game.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from pyzero.games import Game, State
from pyzero.search import gumbel_search, puct_search


def network_evaluator(model: torch.nn.Module):
    """A search evaluator (planes, legal) -> (logits, values) running `model` on CPU."""
    def evaluate(planes: np.ndarray, legal: np.ndarray):
        with torch.inference_mode():
            logits, values = model(torch.from_numpy(planes))
        return logits.float().numpy(), values.float().numpy()
    return evaluate


class NetworkPlayer:
    def __init__(self, model: torch.nn.Module, simulations: int, name: str = "network"):
        model.eval()
        self.evaluate = network_evaluator(model)
        self.simulations = simulations
        self.name = name

    def choose(self, state: State, rng: random.Random) -> str:
        result = gumbel_search(state, self.simulations, self.evaluate, seed=0, gumbel_scale=0.0)
        return result.chosen_move


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


@dataclass
class MatchResult:
    opponent: str
    wins: int
    draws: int
    losses: int

    @property
    def score(self) -> float:
        games = self.wins + self.draws + self.losses
        return (self.wins + 0.5 * self.draws) / games if games else 0.0


def play_game(game: Game, first, second, rng: random.Random, opening_plies: int) -> int:
    """Plays one game; returns the winner (0 first, 1 second, -1 draw)."""
    state = game.new()
    for _ in range(opening_plies):
        if state.is_terminal():
            break
        state.play(rng.choice(state.legal_moves()))
    players = (first, second)
    while not state.is_terminal():
        state.play(players[state.to_move()].choose(state, rng))
    return state.winner()


def play_match(game: Game, player, opponent, games: int, seed: int = 0, opening_plies: int = 1) -> MatchResult:
    """`games` games (colours alternating, each opening played once with each colour)."""
    rng = random.Random(seed)
    wins = draws = losses = 0
    opening_seeds = [rng.randrange(1 << 30) for _ in range((games + 1) // 2)]
    for index in range(games):
        as_first = index % 2 == 0
        game_rng = random.Random(opening_seeds[index // 2])  # each opening once per colour
        winner = play_game(game, player if as_first else opponent, opponent if as_first else player, game_rng,
                           opening_plies)
        ours = 0 if as_first else 1
        if winner < 0:
            draws += 1
        elif winner == ours:
            wins += 1
        else:
            losses += 1
    return MatchResult(opponent.name, wins, draws, losses)


def losses_against_minimax(game: Game, player) -> tuple[int, int]:
    """(games lost, games examined) by a deterministic `player` against every line of
    optimal minimax replies, playing first and second (TicTacToe-sized games only)."""
    minimax = MinimaxPlayer(game)
    rng = random.Random(0)
    lost = examined = 0
    for player_side in (0, 1):
        stack = [game.new()]
        while stack:
            state = stack.pop()
            if state.is_terminal():
                examined += 1
                winner = state.winner()
                lost += int(winner >= 0 and winner != player_side)
                continue
            if state.to_move() == player_side:
                child = state.copy()
                child.play(player.choose(state, rng))
                stack.append(child)
            else:
                for move in minimax.optimal_moves(state):
                    child = state.copy()
                    child.play(move)
                    stack.append(child)
    return lost, examined
