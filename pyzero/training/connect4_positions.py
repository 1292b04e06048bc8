"""How often a Connect4 network plays an optimal move on Pascal Pons' solver benchmark sets
(the six `Test_*` files shipped in `pyzero/data/connect4`, see `benchmark_set`), with its
raw policy and with search.

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
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import torch

from pyzero.games import make
from pyzero.search import GraphOptions, GraphSearcher, GumbelOptions, PuctOptions, gumbel_search
from pyzero.inference import SearchEvaluator, TorchBackend


BENCHMARK_SETS = ("Test_L1_R1", "Test_L1_R2", "Test_L1_R3", "Test_L2_R1", "Test_L2_R2", "Test_L3_R1")


def packaged_sets() -> Traversable:
    """The folder of Pons' six sets shipped with pyzero (package data, so an installed
    pyzero has them; its README names the source)."""
    return resources.files("pyzero") / "data" / "connect4"


def benchmark_set(name: str, directory: str | Path | None = None) -> Traversable:
    """The benchmark file `name` (for example "Test_L1_R1") in `directory`, by default
    the sets shipped with pyzero. Raises FileNotFoundError naming the file."""
    path = packaged_sets() / name if directory is None else Path(directory) / name
    if not path.is_file():
        where = "the sets shipped with pyzero" if directory is None else str(directory)
        raise FileNotFoundError(f"no benchmark set {name!r} in {where} "
                                f"(Pons' sets are {', '.join(BENCHMARK_SETS)})")
    return path


@dataclass
class PositionSetResult:
    positions: int
    raw_policy_optimal: float  # share of positions where argmax of the policy is optimal
    search_optimal: float  # the same for the move chosen by Gumbel search (no noise)
    raw_policy_result_kept: float  # share where argmax of the policy keeps the solved win/draw/loss
    search_result_kept: float  # the same for the searched move
    search_simulations: int
    search: str = "gumbel"  # "gumbel" (the tree search) or "graph" (the live-play graph search)
    evaluations_per_position: float = 0.0  # network evaluations the search asked for, on average


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


def read_positions(path: str | Path | Traversable, limit: int | None = None) -> list[tuple[str, int]]:
    """The (moves, score) lines of a benchmark file (a path, or `benchmark_set`'s answer)."""
    text = Path(path).read_text() if isinstance(path, str) else path.read_text()
    rows = []
    for line in text.splitlines():
        if line.strip():
            moves, score = line.split()
            rows.append((moves, int(score)))
    return rows[:limit] if limit else rows


def solved_move_scores(moves: str) -> dict[int, int]:
    """Column (0-based) -> solved score after playing it, for every legal move."""
    from bitbully import Board

    solver = _solver()
    return dict(solver.score_all_moves(Board.from_moves([int(c) - 1 for c in moves])))


_SOLVER = None


def _solver():
    global _SOLVER
    if _SOLVER is None:
        from bitbully import BitBully

        _SOLVER = BitBully()
    return _SOLVER


def optimal_move_share(model: torch.nn.Module, path: str | Path | Traversable, simulations: int = 64,
                       limit: int | None = None, graph: GraphOptions | None = None,
                       puct: PuctOptions | None = None, gumbel: GumbelOptions | None = None) -> PositionSetResult:
    """The shares above for `model` on the positions of `path`: its raw policy's argmax,
    and the move its search chooses after `simulations` (no noise). The search is Gumbel
    MCTS, or with `graph` the graph search (PUCT options `puct`, by default PuctOptions'
    with the root noise off and the most visited move played, as in play; the root's
    halving options `gumbel`), which shares one evaluation between the transpositions of
    a search and so asks for fewer per simulation; no evaluation cache, so either asks
    for every position it values."""
    if graph is not None and puct is None:
        puct = PuctOptions(dirichlet_fraction=0.0, temperature=0.0)
    game = make("connect4")
    model = model.eval()
    evaluate = SearchEvaluator(TorchBackend(model))
    raw_hits = search_hits = raw_kept = search_kept = evaluations = 0
    rows = read_positions(path, limit)
    for moves, _ in rows:
        state = game.play_moves(list(moves))
        scores = solved_move_scores(moves)
        optimal, keeping = optimal_moves(scores), result_keeping_moves(scores)
        legal = state.legal_actions()
        with torch.inference_mode():
            logits, _ = model(torch.from_numpy(state.encode()[None]))
        raw_move = max(legal, key=lambda action: float(logits[0, action]))
        if graph is None:
            searched = gumbel_search(state, simulations, evaluate, seed=0, gumbel_scale=0.0)
        else:
            searched = GraphSearcher(state, puct, graph, gumbel=gumbel).run(simulations, evaluate, seed=0)
        searched_move = searched.chosen_action
        evaluations += searched.evaluations
        raw_hits += raw_move in optimal
        search_hits += searched_move in optimal
        raw_kept += raw_move in keeping
        search_kept += searched_move in keeping
    count = max(len(rows), 1)
    return PositionSetResult(len(rows), raw_hits / count, search_hits / count, raw_kept / count,
                             search_kept / count, simulations, "gumbel" if graph is None else "graph",
                             evaluations / count)
