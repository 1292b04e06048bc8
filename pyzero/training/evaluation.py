"""Short matches for progress evaluation during training.

The network plays with Gumbel search (no noise) against the baselines of
`pyzero.players.baselines` (random, plain MCTS with random rollouts, exact minimax for
TicTacToe). Matches alternate colours and start each pair of games from a random opening,
so deterministic players do not repeat a single game.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from pyzero.config import RunConfig
from pyzero.games import Game, PositionCounts
from pyzero.inference import make_inference
from pyzero.players.baselines import MinimaxPlayer, RandomPlayer, RolloutMctsPlayer  # noqa: F401 (re-exported)
from pyzero.players.network_player import NetworkPlayer, SearchLimits, history_arguments, play_gumbel_options


def network_player(config: RunConfig, game: Game, model: torch.nn.Module, name: str = "network") -> NetworkPlayer:
    """The network as the evaluation plays it: the config's Gumbel options (noise off),
    `evaluation.simulations` per move, and the config's inference backend, device and
    cache. Torch's thread count is left alone: the learner in this process wants it."""
    inference = make_inference(model.eval(), config.inference)
    return NetworkPlayer(game, model, play_gumbel_options(config), SearchLimits(simulations=config.evaluation.simulations),
                         name=name, inference=inference)


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


def play_game(game: Game, first, second, rng: random.Random, opening_plies: int, max_game_plies: int = 0) -> int:
    """Plays one game; returns the winner (0 first, 1 second, -1 draw). A game still going
    after `max_game_plies` plies of play (0: no cap) is a draw."""
    state = game.new()
    for _ in range(opening_plies):
        if state.is_terminal():
            break
        state.play(rng.choice(state.legal_moves()))
    players = (first, second)
    positions = PositionCounts(state)
    history: list[int] = []  # keys of the positions before `state`, for players that take them
    plies = 0
    while not state.is_terminal():
        if max_game_plies and plies >= max_game_plies:
            return -1
        plies += 1
        player = players[state.to_move()]
        move = player.choose(state, rng, **history_arguments(player, tuple(history)))
        history.append(state.hash())
        state.play(move)
        if positions.add(state):
            return -1  # drawn by repetition (chess's threefold)
    return state.winner()


def play_match(game: Game, player, opponent, games: int, seed: int = 0, opening_plies: int = 1,
               max_game_plies: int = 0) -> MatchResult:
    """`games` games (colours alternating, each opening played once with each colour), each
    drawn if it lasts more than `max_game_plies` plies (0: no cap)."""
    rng = random.Random(seed)
    wins = draws = losses = 0
    opening_seeds = [rng.randrange(1 << 30) for _ in range((games + 1) // 2)]
    for index in range(games):
        as_first = index % 2 == 0
        game_rng = random.Random(opening_seeds[index // 2])  # each opening once per colour
        winner = play_game(game, player if as_first else opponent, opponent if as_first else player, game_rng,
                           opening_plies, max_game_plies)
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
