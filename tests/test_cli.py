"""The `pyzero` command line, run as a user would (a subprocess)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def pyzero(*arguments, input_text=None):
    return subprocess.run(
        [sys.executable, "-m", "pyzero", *arguments],
        capture_output=True,
        text=True,
        input=input_text,
        cwd=REPOSITORY,
        timeout=300,
    )


def test_version():
    from pyzero import __version__

    completed = pyzero("--version")
    assert completed.returncode == 0 and __version__ in completed.stdout


@pytest.mark.parametrize(
    "command", [[], ["build"], ["perft"], ["bench"], ["bench", "perft"], ["bench", "search"], ["bench", "selfplay"],
                ["bench", "network"], ["bench", "graph"], ["play"], ["train"], ["replay"], ["serve"], ["tei"],
                ["uci"]]
)
def test_every_command_has_help(command):
    completed = pyzero(*command, "--help")
    assert completed.returncode == 0, completed.stderr
    assert "Usage: pyzero" in completed.stdout


def test_perft_json():
    completed = pyzero("perft", "tictactoe", "--depth", "9", "--json")
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["nodes"] == 127_872 and payload["depth"] == 9 and payload["game"] == "tictactoe"


def test_perft_from_moves_and_position_agree():
    by_moves = json.loads(pyzero("perft", "connect4", "-d", "4", "-m", "4 4 3", "--json").stdout)
    by_position = json.loads(
        pyzero("perft", "connect4", "-d", "4", "-p", by_moves["position"], "--json").stdout
    )
    assert by_moves["nodes"] == by_position["nodes"] == 7**4


def test_perft_reports_bad_input_clearly():
    completed = pyzero("perft", "go", "--depth", "1")
    assert completed.returncode == 2 and "unknown game 'go'" in completed.stderr
    completed = pyzero("perft", "connect4", "--depth", "1", "-m", "4 9")
    assert completed.returncode == 2 and "illegal move '9'" in completed.stderr


def test_bench_perft_json_reports_every_game():
    completed = pyzero("bench", "perft", "--json")
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)["results"]
    assert {r["game"] for r in results} >= {"tictactoe", "connect4", "chess"}
    assert all(r["nodes_per_second"] > 0 for r in results)
    ours = {(r["position"], r["depth"], r["bulk_count"]): r["nodes"] for r in results
            if r["game"] == "chess" and r["engine"] == "pyzero"}
    # The chessprogramming wiki's counts, bulk-counted and with every leaf played.
    assert ours == {("initial", 6, True): 119060324, ("kiwipete", 5, True): 193690690,
                    ("initial", 5, False): 4865609, ("kiwipete", 4, False): 4085603}
    # Stockfish (the Makefile installs it) perfts the same positions in the same run.
    stockfish = {(r["position"], r["depth"]): r["nodes"] for r in results if r["engine"].startswith("Stockfish")}
    assert stockfish == {("initial", 6): 119060324, ("kiwipete", 5): 193690690}


def test_play_handles_bad_input_without_a_terminal():
    # Piped input: an illegal move gets a message and the legal moves, then play goes on to the end.
    moves = "\n".join(["z9", "b2", "moves"] + ["a1", "a2", "a3", "b1", "b3", "c1", "c2", "c3"] * 2)
    completed = pyzero("play", "configs/tictactoe.yaml", "--seed", "3", input_text=moves + "\n")
    assert completed.returncode == 0, completed.stderr
    assert "no such square" in completed.stdout
    assert "legal moves:" in completed.stdout
    assert "game over:" in completed.stdout or "end of input" in completed.stdout


def test_train_rejects_config_errors_with_file_line_and_key(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("game:\n  name: connect4\n  optoins: {}\n")
    completed = pyzero("train", str(config))
    assert completed.returncode == 2
    assert f"{config}:3: key 'game.optoins': unknown key" in completed.stderr
    config.write_text("game:\n  name: connect4\n  options:\n    size: 5\n" f"run_dir: {tmp_path / 'run'}\n")
    completed = pyzero("train", str(config))
    assert completed.returncode == 2 and "size" in completed.stderr and str(config) in completed.stderr
    assert not (tmp_path / "run").exists()  # a run that cannot start leaves no run directory


def test_bench_selfplay_json_reports_efficiency():
    completed = pyzero("bench", "selfplay", "--game", "tictactoe", "--blocks", "1", "--channels", "8",
                       "--batch-size", "16", "--simulations", "8", "--seconds", "1", "--json")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["selfplay_evaluations_per_second"] > 0 and result["inference_evaluations_per_second"] > 0
    assert result["efficiency"] == pytest.approx(
        result["selfplay_evaluations_per_second"] / result["inference_evaluations_per_second"])
    assert 0 < result["mean_batch_fill"] <= 1
    # (a) is the mean of the raw windows taken before, between and after self-play's
    windows = result["inference_evaluations_per_second_windows"]
    assert len(windows) == result["selfplay_windows"] + 1 == 2  # 1 s: one self-play window
    assert result["inference_evaluations_per_second"] == pytest.approx(sum(windows) / len(windows))
    assert (result["inference_evaluations_per_second_before"], result["inference_evaluations_per_second_after"]) \
        == (windows[0], windows[-1])
    # the default worker priority, applied to the one worker (Linux's SCHED_IDLE)
    assert result["worker_priority"] == "idle"
    assert result["idle_priority_workers"] == (result["workers"] if sys.platform.startswith("linux") else 0)
    # the workers alone, against a network that answers at once: microseconds an evaluation
    assert 0 < result["worker_microseconds_per_evaluation"] < 1000
    # every backend the test extra installs, at the same batch size, against PyTorch eager
    backends = {entry["backend"]: entry for entry in result["backends"]}
    assert set(backends) == {"torch", "onnxruntime"}
    assert backends["torch"]["ratio_to_torch"] == 1.0
    # the default (auto) on a CPU with onnxruntime installed: its rate is the one in (a)
    assert result["backend_setting"] == "auto" and result["backend"] == "onnxruntime"
    assert backends["onnxruntime"]["evaluations_per_second"] == result["inference_evaluations_per_second"]
    assert backends["torch"]["evaluations_per_second"] > 0
    assert backends["onnxruntime"]["ratio_to_torch"] == pytest.approx(
        backends["onnxruntime"]["evaluations_per_second"] / backends["torch"]["evaluations_per_second"])
    assert result["ratio_to_torch"] == backends["onnxruntime"]["ratio_to_torch"]
    assert result["fastest_backend"] == max(backends, key=lambda name: backends[name]["evaluations_per_second"])


def test_bench_network_json_reports_training_and_inference_rates():
    completed = pyzero("bench", "network", "configs/tictactoe.yaml", "--set", "network.blocks=1", "--set",
                       "network.channels=8", "--set", "training.batch_size=16", "--set", "selfplay.batch_size=32",
                       "--seconds", "0.2", "--json")
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["network"]["channels"] == 8
    rows = {(row["phase"], row["precision"], row["compile"]): row for row in payload["results"]}
    assert set(rows) == {("training", "float32", False), ("inference", "float32", False)}  # CPU defaults
    training, inference = rows["training", "float32", False], rows["inference", "float32", False]
    assert training["batch_size"] == 16 and inference["batch_size"] == 32
    assert training["calls"] > 0 and training["per_second"] == pytest.approx(training["calls"] / training["seconds"])
    assert inference["per_second"] == pytest.approx(inference["calls"] * 32 / inference["seconds"])
