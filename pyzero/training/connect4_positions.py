"""How often a Connect4 network plays an optimal move on Pascal Pons' solver benchmark sets
(../shared/connect4/Test_*), with its raw policy and with search.

Two measures, both from the solved score of every move:
- *optimal*: the move has the best solved score (the fastest win, the slowest loss);
- *result kept*: the move keeps the position's solved result (win, draw or loss), the
  error measure AlphaZero.jl reports on these sets. An AlphaZero value has no notion of
  how fast a win comes, so a network can keep every result and still miss "optimal".
The scores of every move come from an independent solver, BitBully (PyPI `bitbully`,
0-based columns, the same score scale as the benchmark files); the test suite checks it
against the files' own scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pyzero.games import make
from pyzero.search import gumbel_search
from pyzero.inference import SearchEvaluator, TorchBackend


@dataclass
class PositionSetResult:
    positions: int
    raw_policy_optimal: float  # share of positions where argmax of the policy is optimal
    search_optimal: float  # the same for the move chosen by Gumbel search (no noise)
    raw_policy_result_kept: float  # share where argmax of the policy keeps the solved win/draw/loss
    search_result_kept: float  # the same for the searched move
    search_simulations: int


def optimal_moves(scores: dict[int, int]) -> set[int]:
    """Columns with the best solved score."""
    best = max(scores.values())
    return {column for column, score in scores.items() if score == best}


def result_keeping_moves(scores: dict[int, int]) -> set[int]:
    """Columns whose solved result (the sign of the score: win, draw, loss) is the best one."""
    best = max(_sign(score) for score in scores.values())
    return {column for column, score in scores.items() if _sign(score) == best}


def _sign(score: int) -> int:
    return (score > 0) - (score < 0)


def read_positions(path: str | Path, limit: int | None = None) -> list[tuple[str, int]]:
    rows = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            moves, score = line.split()
            rows.append((moves, int(score)))
    return rows[:limit] if limit else rows


def solved_move_scores(moves: str) -> dict[int, int]:
    """Column (0-based) -> solved score after playing it, for every legal move."""
    from bitbully import BitBully, Board

    solver = _solver()
    return dict(solver.score_all_moves(Board.from_moves([int(c) - 1 for c in moves])))


_SOLVER = None


def _solver():
    global _SOLVER
    if _SOLVER is None:
        from bitbully import BitBully

        _SOLVER = BitBully()
    return _SOLVER


def optimal_move_share(model: torch.nn.Module, path: str | Path, simulations: int = 64,
                       limit: int | None = None) -> PositionSetResult:
    game = make("connect4")
    model = model.eval()
    evaluate = SearchEvaluator(TorchBackend(model))
    raw_hits = search_hits = raw_kept = search_kept = 0
    rows = read_positions(path, limit)
    for moves, _ in rows:
        state = game.play_moves(list(moves))
        scores = solved_move_scores(moves)
        optimal, keeping = optimal_moves(scores), result_keeping_moves(scores)
        legal = state.legal_actions()
        with torch.inference_mode():
            logits, _ = model(torch.from_numpy(state.encode()[None]))
        raw_move = max(legal, key=lambda action: float(logits[0, action]))
        searched_move = gumbel_search(state, simulations, evaluate, seed=0, gumbel_scale=0.0).chosen_action
        raw_hits += raw_move in optimal
        search_hits += searched_move in optimal
        raw_kept += raw_move in keeping
        search_kept += searched_move in keeping
    count = max(len(rows), 1)
    return PositionSetResult(len(rows), raw_hits / count, search_hits / count, raw_kept / count,
                             search_kept / count, simulations)
