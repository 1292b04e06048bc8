"""Golden search outputs, in KataGo's manner: a tiny deterministic evaluator and fixed seeds
give stored results (visit counts, the chosen action, the policy target, the root value)
for the Gumbel, PUCT and graph searches on every game, and alpha-beta's move, score and
node count on Tak, compared exactly. A refactor that changes what a search does fails here;
one that changes nothing passes bit for bit.

The evaluator is `ExactTestNetwork` (pyzero/model/network.py): small integer weights over
0/1 planes, so its float32 arithmetic is exact and a row's output does not depend on the
batch it is computed in. When a change to a search is meant, regenerate the file and
review its diff:

    PYZERO_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_searches.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from pyzero.games import make
from pyzero.model.network import ExactTestNetwork, NetworkShape
from pyzero.players.alphabeta import alphabeta_search
from pyzero.search import GraphOptions, graph_search, gumbel_search, puct_search

GOLDEN_FILE = Path(__file__).resolve().parent / "data" / "golden" / "searches.json"
REGENERATE = os.environ.get("PYZERO_REGENERATE_GOLDEN") == "1"

# (game, options, moves to the searched position): a start and a middle game each.
POSITIONS = {
    "tictactoe-start": ("tictactoe", {}, []),
    "tictactoe-middle": ("tictactoe", {}, ["b2", "a1", "c3"]),
    "connect4-start": ("connect4", {}, []),
    "connect4-middle": ("connect4", {}, ["4", "4", "3", "5", "3"]),
    "tak5-start": ("tak", {"size": 5, "komi": 0}, []),
    "tak5-middle": ("tak", {"size": 5, "komi": 0}, ["a1", "e5", "c3", "c2", "Sd3", "b2"]),
    "chess-start": ("chess", {}, []),
    "chess-middle": ("chess", {}, ["e2e4", "e7e5", "g1f3", "b8c6", "f1b5"]),
}
SEARCHES = ("gumbel", "puct", "graph")
SIMULATIONS = 48
SEED = 7


def exact_evaluator(game):
    """The searches' Python evaluator: ExactTestNetwork's logits and values for a batch."""
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=3).eval()

    def evaluate(planes: np.ndarray, legal: np.ndarray):
        with torch.no_grad():
            logits, values = network(torch.from_numpy(np.ascontiguousarray(planes, dtype=np.float32)))
        return logits.numpy(), values.numpy()

    return evaluate


def search_output(search: str, position: str) -> dict:
    game_name, options, moves = POSITIONS[position]
    game = make(game_name, **options)
    state = game.play_moves(moves) if moves else game.new()
    evaluator = exact_evaluator(game)
    if search == "gumbel":
        result = gumbel_search(state, SIMULATIONS, evaluator, seed=SEED)
    elif search == "puct":
        result = puct_search(state, SIMULATIONS, evaluator, seed=SEED)
    else:
        result = graph_search(state, SIMULATIONS, evaluator, seed=SEED, graph=GraphOptions(threads=1))
    return {"chosen_move": result.chosen_move, "moves": list(result.moves),
            "visits": [int(count) for count in result.visits],
            "policy_target": [float(value) for value in result.policy_target],
            "root_value": float(result.root_value), "root_visits": int(result.root_visits)}


ALPHABETA_EVALUATIONS = {"alphabeta": "simple", "alphabeta-road": "road"}
"""Golden key prefix -> evaluation (the simple evaluation's keys predate the road one)."""


def alphabeta_output(position: str, depth: int, evaluation: str) -> dict:
    game_name, options, moves = POSITIONS[position]
    game = make(game_name, **options)
    state = game.play_moves(moves) if moves else game.new()
    result = alphabeta_search(state, depth, 0.0, SEED, evaluation)
    return {"move": result.move, "score": result.score, "nodes": result.nodes, "depth_reached": result.depth_reached}


def all_outputs() -> dict:
    outputs = {f"{search}/{position}": search_output(search, position) for position in POSITIONS for search in SEARCHES}
    for prefix, evaluation in ALPHABETA_EVALUATIONS.items():
        for position in ("tak5-start", "tak5-middle"):
            for depth in (1, 2, 3):
                outputs[f"{prefix}-{depth}/{position}"] = alphabeta_output(position, depth, evaluation)
    return outputs


@pytest.fixture(scope="module")
def golden() -> dict:
    if REGENERATE:
        GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN_FILE.write_text(json.dumps(all_outputs(), indent=1, sort_keys=True) + "\n")
    if not GOLDEN_FILE.exists():
        pytest.fail(f"{GOLDEN_FILE} is missing; PYZERO_REGENERATE_GOLDEN=1 writes it")
    return json.loads(GOLDEN_FILE.read_text())


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("position", list(POSITIONS))
def test_a_search_gives_its_golden_output(golden, search, position):
    assert search_output(search, position) == golden[f"{search}/{position}"]


@pytest.mark.parametrize("prefix", list(ALPHABETA_EVALUATIONS))
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("position", ["tak5-start", "tak5-middle"])
def test_alphabeta_gives_its_golden_output(golden, prefix, position, depth):
    output = alphabeta_output(position, depth, ALPHABETA_EVALUATIONS[prefix])
    assert output == golden[f"{prefix}-{depth}/{position}"]


def test_the_golden_file_covers_every_search_and_game(golden):
    assert len(golden) == len(POSITIONS) * len(SEARCHES) + 6 * len(ALPHABETA_EVALUATIONS)
    # Not degenerate: the searches visited several moves, and the games' outputs differ.
    for key, output in golden.items():
        if not key.startswith("alphabeta"):
            assert sum(output["visits"]) >= SIMULATIONS - 1 and len(set(output["visits"])) > 1, key
