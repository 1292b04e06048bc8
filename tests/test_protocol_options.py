"""The options GUIs set on the TEI and UCI engines (pyzero/protocols/engine_options.py):
Threads, Hash, MultiPV and Network, listed in the handshake and changing what the engine
does. The UCI side is driven by python-chess's `chess.engine` client, as a GUI would."""

from __future__ import annotations

import sys
from pathlib import Path

import chess
import chess.engine
import pytest
import torch

from pyzero.config import load_config
from pyzero.games import make
from pyzero.inference.cache import EvaluationCache
from pyzero.model import build_model, write_checkpoint_file
from pyzero.model.network_file import network_file_payload
from pyzero.networks import choose_network
from pyzero.players.network_player import NetworkPlayer, SearchLimits
from pyzero.protocols.engine_options import CACHE_FIXED_BYTES, MEGABYTE, cache_entries_for
from pyzero.protocols.tei_server import TeiServer
from pyzero.protocols.uci_server import UciServer

REPOSITORY = Path(__file__).resolve().parents[1]


def test_cache_entries_for_a_size_in_megabytes_stay_within_it():
    for megabytes, policy_length in ((1, 256), (16, 256), (64, 1024), (3, 9)):
        entries = cache_entries_for(megabytes, policy_length)
        budget = megabytes * MEGABYTE - CACHE_FIXED_BYTES
        assert EvaluationCache.memory_bytes(entries, policy_length) <= budget
        assert EvaluationCache.memory_bytes(entries + 4, policy_length) > budget


@pytest.fixture(scope="module")
def chess_engine(tmp_path_factory):
    """python-chess's client on `pyzero uci` with a run directory that has no checkpoint."""
    run = tmp_path_factory.mktemp("uci") / "run"
    command = [sys.executable, "-m", "pyzero", "uci", "chess", "--set", f"run_dir={run}",
               "--set", "inference.backend=torch"]
    engine = chess.engine.SimpleEngine.popen_uci(command, cwd=REPOSITORY, timeout=120)
    yield engine
    engine.quit()


def test_python_chess_lists_the_engine_options(chess_engine):
    options = chess_engine.options
    assert {"Threads", "Hash", "MultiPV", "Network"} <= set(options)
    assert options["Threads"].type == "spin" and options["Threads"].min == 1
    assert options["MultiPV"].default == 1 and options["MultiPV"].max >= 3
    chess_config = load_config("chess")
    expected_hash = round(EvaluationCache.memory_bytes(chess_config.inference.cache_entries,
                                                       chess_config.inference.max_policy_length) / MEGABYTE)
    assert options["Hash"].default == max(1, expected_hash)
    assert options["Network"].type == "string"


def test_options_set_through_python_chess_change_the_search(chess_engine):
    """Threads and Hash: the first search after them says what it searches with; MultiPV 3:
    three ranked lines with three different legal first moves."""
    chess_engine.configure({"Threads": 2, "Hash": 1})
    board = chess.Board()
    with chess_engine.analysis(board, chess.engine.Limit(nodes=24)) as analysis:
        said = [info["string"] for info in analysis if "string" in info]
    entries = cache_entries_for(1, load_config("chess").inference.max_policy_length)
    assert any("threads 2" in line and f"cache {entries} entries" in line for line in said), said
    lines = chess_engine.analyse(board, chess.engine.Limit(nodes=48), multipv=3)
    assert [line["multipv"] for line in lines] == [1, 2, 3]
    first_moves = [line["pv"][0] for line in lines]
    assert len(set(first_moves)) == 3 and all(move in board.legal_moves for move in first_moves)
    assert chess_engine.play(board, chess.engine.Limit(nodes=16)).move in board.legal_moves


class Lines(list):
    def __call__(self, line: str) -> None:
        self.append(line)


def chess_server(tmp_path, **more):
    config = load_config("chess", {"run_dir": str(tmp_path / "run"), "inference.backend": "torch",
                                   "evaluation.simulations": 16})
    native = NetworkPlayer.from_choice(choose_network(config), SearchLimits(simulations=16))
    from pyzero.networks import choice_of_network

    lines = Lines()
    server = UciServer(native, lines, network_loader=lambda text: NetworkPlayer.from_choice(
        choice_of_network(config, text), native.limits, native.seed), **more)
    return server, lines, config


def wait_for_bestmove(server) -> None:
    server.handle("isready")
    server._finish_search(stop=False)


def test_hash_sets_the_cache_size_and_threads_the_graph_threads(tmp_path):
    server, lines, config = chess_server(tmp_path)
    for command in ("setoption name Hash value 2", "setoption name Threads value 3", "position startpos",
                    "go nodes 8"):
        server.handle(command)
    wait_for_bestmove(server)
    engine = server.engine
    assert engine.inference.options.cache_entries == cache_entries_for(2, config.inference.max_policy_length)
    assert engine.cache.stats()["memory_bytes"] <= 2 * MEGABYTE
    assert engine.graph.threads == 3
    assert not [line for line in lines if "error" in line], lines


def test_bad_option_values_are_error_lines_and_change_nothing(tmp_path):
    server, lines, _ = chess_server(tmp_path)
    before = server.settings
    for command in ("setoption name Threads value 0", "setoption name Hash value lots",
                    "setoption name MultiPV value 999", "setoption name Network value /no/such/file"):
        server.handle(command)
    errors = [line for line in lines if line.startswith("info string error")]
    assert len(errors) == 4, lines
    assert "Threads: 0 is outside 1..256" in errors[0] and "whole number" in errors[1]
    assert "/no/such/file" in errors[3]
    assert server.settings == before and server.engine is server.native_engine


def test_the_network_option_plays_a_network_file_and_an_empty_value_returns(tmp_path):
    server, lines, config = chess_server(tmp_path)
    game = make("chess")
    torch.manual_seed(7)
    model = build_model(config, game)
    network = tmp_path / "other.safetensors"
    write_checkpoint_file(network, network_file_payload(
        {"config": config.snapshot(), "learner": {"model": model.state_dict(), "step": 123}}, "test", "float16"))
    server.handle(f"setoption name Network value {network}")
    assert server.engine is not server.native_engine and server.engine.checkpoint == network
    assert any(line.startswith("info string Network: ") and str(network) in line for line in lines), lines
    for parameter, expected in zip(server.engine.model.state_dict().values(), model.state_dict().values()):
        assert torch.allclose(parameter.float(), expected.float(), atol=1e-2)
    server.handle("position startpos")
    server.handle("go nodes 8")
    wait_for_bestmove(server)
    assert any(line.startswith("bestmove ") and "(none)" not in line for line in lines)
    server.handle("setoption name Network value <empty>")
    assert server.engine is server.native_engine


def test_tei_offers_the_same_options_beside_half_komi(tmp_path):
    config = load_config("tak", {"run_dir": str(tmp_path / "run"), "game.options.size": 3, "game.options.komi": 0,
                                 "inference.backend": "torch", "evaluation.simulations": 8})
    native = NetworkPlayer.from_choice(choose_network(config, look_in_run=False), SearchLimits(simulations=8))
    lines = Lines()
    server = TeiServer(config, native, lines)
    server.handle("tei")
    names = [line.split()[2] for line in lines if line.startswith("option name")]
    assert names == ["HalfKomi", "Threads", "Hash", "MultiPV", "Network"]
    server.handle("setoption name MultiPV value 2")
    server.handle("teinewgame 3")
    server.handle("position startpos")
    server.handle("go nodes 16")
    wait_for_bestmove(server)
    ranked = [line for line in lines if line.startswith("info multipv")]
    assert [line.split()[2] for line in ranked] == ["1", "2"], lines
    server.handle("setoption name Network value x.safetensors")
    assert "cannot load another network" in lines[-1]
