"""The Connect4 benchmark measurement: the solver agrees with the benchmark files, and the
measurement scores a perfect player 100% and a uniform one at chance."""

import numpy as np
import pytest
import torch

from conftest import shared_path
from pyzero.training.connect4_positions import optimal_move_share, read_positions, solved_move_scores

pytest.importorskip("bitbully")


def test_solver_scores_match_the_benchmark_files():
    for name in ("Test_L3_R1", "Test_L1_R1"):
        for moves, score in read_positions(shared_path("connect4", name), limit=25):
            assert max(solved_move_scores(moves).values()) == score, (name, moves)


class ScriptedNetwork(torch.nn.Module):
    """Logits chosen by a callback on the move list: a test double for the measurement."""

    def __init__(self, choose):
        super().__init__()
        self.choose = choose

    def forward(self, planes):
        logits = torch.zeros(planes.shape[0], 7)
        values = torch.zeros(planes.shape[0])
        for row in range(planes.shape[0]):
            column = self.choose(planes[row])
            if column is not None:
                logits[row, column] = 10.0
        return logits, values


def test_perfect_and_uniform_players():
    path = shared_path("connect4", "Test_L1_R1")
    rows = read_positions(path, limit=30)
    # Identify positions by their planes: remember the optimal column for each root position.
    from pyzero.games import make

    game = make("connect4")
    optimal = {}
    for moves, _ in rows:
        scores = solved_move_scores(moves)
        best = max(scores.values())
        optimal[game.play_moves(list(moves)).encode().tobytes()] = min(c for c, s in scores.items() if s == best)
    perfect = ScriptedNetwork(lambda planes: optimal.get(planes.numpy().tobytes()))
    result = optimal_move_share(perfect, path, simulations=1, limit=30)
    assert result.raw_policy_optimal == 1.0
    uniform = optimal_move_share(ScriptedNetwork(lambda planes: None), path, simulations=1, limit=30)
    assert uniform.raw_policy_optimal < 0.9
