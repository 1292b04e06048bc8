"""The Connect4 benchmark measurement: the solver agrees with the benchmark files, and the
measurement scores a perfect player 100% and a uniform one at chance."""

import numpy as np
import pytest
import torch

from pyzero.training.connect4_positions import (BENCHMARK_SETS, benchmark_set, optimal_move_share, optimal_moves,
                                                read_positions, result_keeping_moves, solved_move_scores)

pytest.importorskip("bitbully")


def test_the_package_ships_every_set_whole():
    for name in BENCHMARK_SETS:
        rows = read_positions(benchmark_set(name))
        assert len(rows) == 1000 and len({moves for moves, _ in rows}) == 1000, name
        assert all(-18 <= score <= 18 and set(moves) <= set("1234567") for moves, score in rows), name
    with pytest.raises(FileNotFoundError, match="Test_L9_R9.*Test_L1_R1"):
        benchmark_set("Test_L9_R9")


def test_solver_scores_match_the_benchmark_files():
    for name in ("Test_L3_R1", "Test_L1_R1"):
        for moves, score in read_positions(benchmark_set(name), limit=25):
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
    path = benchmark_set("Test_L1_R1")
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
    assert result.raw_policy_result_kept == 1.0
    uniform = optimal_move_share(ScriptedNetwork(lambda planes: None), path, simulations=1, limit=30)
    assert uniform.raw_policy_optimal < 0.9
    # Both searches (the tree and the live-play graph) follow the perfect priors: every
    # result kept, no more evaluations than simulations (and the root's).
    from pyzero.search import GraphOptions

    for graph, name in ((None, "gumbel"), (GraphOptions(), "graph")):
        searched = optimal_move_share(perfect, path, simulations=16, limit=30, graph=graph)
        assert searched.search == name and searched.search_result_kept == 1.0, searched
        assert 1 <= searched.evaluations_per_position <= 17, searched


def test_optimal_and_result_keeping_moves_by_hand():
    # Scores are from the mover's side: 5 wins faster than 3; 0 draws; -2 loses.
    assert optimal_moves({0: 5, 1: 3, 2: 0, 3: -2}) == {0}
    assert result_keeping_moves({0: 5, 1: 3, 2: 0, 3: -2}) == {0, 1}
    assert result_keeping_moves({0: 0, 1: 0, 2: -4}) == {0, 1}
    assert result_keeping_moves({4: -1, 6: -9}) == {4, 6}
    assert optimal_moves({4: -1, 6: -9}) == {4}


def test_a_slow_winner_keeps_every_result_but_is_not_always_optimal():
    """A player that always takes its slowest winning move: every result kept, and "optimal"
    exactly where the slowest and fastest wins coincide."""
    path = benchmark_set("Test_L1_R1")
    rows = read_positions(path, limit=30)
    from pyzero.games import make

    game = make("connect4")
    slowest_keeping, coincide = {}, 0
    for moves, _ in rows:
        scores = solved_move_scores(moves)
        keeping = result_keeping_moves(scores)
        slow = min(keeping, key=lambda column: (scores[column], column))
        slowest_keeping[game.play_moves(list(moves)).encode().tobytes()] = slow
        coincide += slow in optimal_moves(scores)
    assert coincide < len(rows)  # the set separates the two measures
    slow_winner = ScriptedNetwork(lambda planes: slowest_keeping.get(planes.numpy().tobytes()))
    result = optimal_move_share(slow_winner, path, simulations=1, limit=30)
    assert result.raw_policy_result_kept == 1.0
    assert result.raw_policy_optimal == coincide / len(rows)


def test_command_measures_every_checkpoint_and_skips_broken_ones(tmp_path):
    """`pyzero connect4-positions RUN --every-checkpoint`: one JSON line per readable checkpoint,
    oldest first, with its step and training time; a truncated checkpoint is named and skipped."""
    import json
    import subprocess
    import sys

    from pyzero.config import load_config
    from pyzero.games import make
    from pyzero.model import save_checkpoint
    from pyzero.model import build_model

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("game:\n  name: connect4\nnetwork:\n  blocks: 1\n  channels: 8\n")
    model = build_model(load_config(run / "config.yaml"), make("connect4"))
    for step, seconds in ((100, 12.4), (200, 30.0), (300, 45.0)):
        payload = {"learner": {"model": model.state_dict(), "step": step}, "counters": {"elapsed_seconds": seconds}}
        written = save_checkpoint(run / "checkpoints", step, payload, keep_last=10)
    written.write_bytes(written.read_bytes()[:-100])  # step 300 cut short
    completed = subprocess.run(
        [sys.executable, "-m", "pyzero", "connect4-positions", str(run), "--every-checkpoint", "--limit", "3",
         "--simulations", "2"],  # the sets shipped with pyzero
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [(line["step"], line["elapsed_seconds"]) for line in lines] == [(100, 12), (200, 30)]
    assert all(line["positions"] == 3 and 0 <= line["search_result_kept"] <= 1 for line in lines)
    assert "step-000000300.safetensors" in completed.stderr
    # The graph search, with a config override of the run's config; a bad key is named.
    graph = subprocess.run(
        [sys.executable, "-m", "pyzero", "connect4-positions", str(run), "--limit", "3", "--simulations", "4",
         "--search", "graph", "--set", "search.graph.root=halving"], capture_output=True, text=True, timeout=300)
    assert graph.returncode == 0, graph.stderr
    line = json.loads(graph.stdout)
    assert line["step"] == 200 and line["search"] == "graph" and 0 < line["evaluations_per_position"] <= 5
    wrong = subprocess.run(
        [sys.executable, "-m", "pyzero", "connect4-positions", str(run), "--set", "search.graph.rot=halving"],
        capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 2 and "search.graph.rot" in wrong.stderr


def test_command_names_a_folder_that_is_no_run_directory(tmp_path):
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "pyzero", "connect4-positions", str(tmp_path)],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert f"{tmp_path / 'config.yaml'}: no such config file" in completed.stderr


def test_command_reads_the_sets_directory_it_is_given(tmp_path):
    """`--sets-directory` replaces the shipped sets: a folder without the set is named."""
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "pyzero", "connect4-positions", str(tmp_path),
                                "--sets-directory", str(tmp_path), "--set-name", "Test_L1_R1"],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert f"no benchmark set 'Test_L1_R1' in {tmp_path}" in completed.stderr
