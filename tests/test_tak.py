"""Tak against published and independently verified data in tests/data/tak (sources in
tests/data/README.md): perft counts from several engines, 177 real games replayed by two
referees, result cases, and the takparse notation vectors."""

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from conftest import data_path
from pyzero.games import IllegalMoveError, PositionError, make
from pyzero.games.ptn import PtnError, parse_ptn, read_ptn_file, replay

PERFT_ENTRIES = json.loads(data_path("tak", "perft-start.json").read_text())["entries"]


# Every published count runs, the deep ones included (they were once marked slow and run
# nowhere): all 32 take about 9 s together on one core of a busy 2-core machine, 3x3 depth
# 8 (680 million leaves) 6 to 7 s of it, 6x6 depth 5 (1.25 billion) about 1 s: the engine
# counts the last ply's moves without playing them.
@pytest.mark.parametrize("size,depth,nodes", [(entry["size"], entry["depth"], entry["nodes"])
                                              for entry in PERFT_ENTRIES],
                         ids=[f"{entry['size']}x{entry['size']}-d{entry['depth']}" for entry in PERFT_ENTRIES])
def test_perft_from_start(size, depth, nodes):
    assert make("tak", size=size).new().perft(depth) == nodes


def test_the_deepest_published_counts_are_all_there():
    deepest = {size: max(entry["depth"] for entry in PERFT_ENTRIES if entry["size"] == size) for size in range(3, 9)}
    assert deepest == {3: 8, 4: 6, 5: 5, 6: 5, 7: 4, 8: 4}


MANIFEST = json.loads(data_path("tak", "games", "manifest.json").read_text())


def test_the_games_folder_holds_exactly_the_manifests_games():
    # A subset of the reference folder's 2,076 games (tests/data/README.md says which).
    listed = sorted(entry["file"] for entry in MANIFEST)
    assert len(listed) == len(set(listed)) == 177
    assert sorted(path.name for path in data_path("tak", "games").glob("*.ptn")) == listed
    assert {entry["size"] for entry in MANIFEST} == {4, 5, 6, 7}
    assert sum(not entry["terminal_on_board"] for entry in MANIFEST) == 19


def test_every_real_game_replays_to_the_manifest():
    mismatches = []
    for entry in MANIFEST:
        games = read_ptn_file(data_path("tak", "games", entry["file"]))
        assert len(games) == 1, entry["file"]
        outcome = replay(games[0])  # raises PtnError naming the ply if any ply is illegal
        problems = []
        if outcome.final_state.tps() != entry["final_tps"]:
            problems.append(f"tps {outcome.final_state.tps()} != {entry['final_tps']}")
        if outcome.plies != entry["plies"]:
            problems.append(f"plies {outcome.plies} != {entry['plies']}")
        if entry["terminal_on_board"]:
            if outcome.result != entry["derived_result"]:
                problems.append(f"result {outcome.result} != {entry['derived_result']}")
        elif outcome.result is not None:
            problems.append(f"game over on the board ({outcome.result}) but the manifest says it is not")
        if problems:
            mismatches.append(f"{entry['file']}: {'; '.join(problems)}")
    assert not mismatches, "\n".join(mismatches[:20])


RESULT_CASES = json.loads(data_path("tak", "result-cases.json").read_text())


@pytest.mark.parametrize("case", RESULT_CASES, ids=[case["name"] for case in RESULT_CASES])
def test_result_cases(case):
    game = make("tak", size=case["size"], komi=case["komi"])
    state = game.from_tps(case["start_tps"]) if "start_tps" in case else game.new()
    for move in case["moves"]:
        state.play(move)
    assert state.tps() == case["final_tps"]
    if "expected" in case:
        assert state.result() == case["expected"]
        assert state.legal_moves() == []
    if "expected_legal_move_count" in case:
        assert len(state.legal_moves()) == case["expected_legal_move_count"]
    for move in case.get("expected_legal", []):
        assert move in state.legal_moves()
    for move in case.get("expected_illegal", []):
        with pytest.raises(IllegalMoveError):
            state.copy().play(move)


VECTORS = json.loads(data_path("tak", "notation-vectors.json").read_text())


@pytest.fixture(scope="module")
def board8():
    return make("tak", size=8).new()


def test_canonical_moves_round_trip(board8):
    for move in VECTORS["move_round_trip_canonical"]:
        assert board8.action_to_move(board8._raw.parse_move(move)) == move
    for written, canonical in VECTORS["move_to_canonical"]:
        assert board8.action_to_move(board8._raw.parse_move(written)) == canonical, written


def test_invalid_moves_raise_clear_errors(board8):
    for group in VECTORS["move_invalid"]:
        for move in group["inputs"]:
            with pytest.raises(IllegalMoveError) as error:
                board8.move_to_action(move)
            assert error.value.reason, move  # the engine says why


def test_tps_vectors():
    for written, canonical in VECTORS["tps_to_canonical"]:
        size = len(canonical.split()[0].split("/"))
        assert make("tak", size=size).from_tps(written).tps() == canonical
    for group in VECTORS["tps_invalid"]:
        for tps in group["inputs"]:
            with pytest.raises(PositionError):
                make("tak", size=3).from_tps(tps)


@pytest.mark.parametrize("size", range(3, 9))
def test_random_games_hash_symmetry_and_notation(size):
    game = make("tak", size=size, komi=2)
    rng = random.Random(size)
    for _ in range(4 if size < 7 else 2):
        state = game.new()
        while not state.is_terminal() and state.ply < 200:
            assert state.hash() == state.recompute_hash(), state.tps()
            assert game.from_tps(state.tps()).tps() == state.tps()
            assert game.from_tps(state.tps()).hash() == state.hash()
            legal = state.legal_actions()
            for action in legal:
                assert state.move_to_action(state.action_to_move(action)) == action
            if state.ply % 7 == 0:
                planes = state.encode()
                for symmetry in range(game.num_symmetries):
                    image = state.transformed(symmetry)
                    assert sorted(state.symmetry_action(symmetry, a) for a in legal) == sorted(image.legal_actions())
                    np.testing.assert_array_equal(image.encode(), state.transform_encoding(symmetry, planes))
            state.apply_action(rng.choice(legal))
        assert state.hash() == state.recompute_hash()


def test_api_and_options():
    game = make("tak", size=6, komi=2)
    state = game.new()
    assert state.tps() == "x6/x6/x6/x6/x6/x6 1 1"
    state.play("a1")
    assert state.tps() == "x6/x6/x6/x6/x6/2,x5 2 1"  # the first ply places the opponent's flat
    with pytest.raises(IllegalMoveError, match="'Sb1'"):
        state.play("Sb1")  # no walls in the opening
    with pytest.raises(ValueError, match="size"):
        make("tak", size=9)
    with pytest.raises(ValueError, match="colour"):
        make("tak", size=5, colour=1)


def test_replay_cli_reports_result_and_illegal_ply(tmp_path):
    game_file = data_path("tak", "games", "takbag_DragonClause.ptn")
    completed = subprocess.run([sys.executable, "-m", "pyzero", "replay", str(game_file), "--json"],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    entry = next(e for e in MANIFEST if e["file"] == "takbag_DragonClause.ptn")
    assert report == {"tps": entry["final_tps"], "result": "R-0", "plies": entry["plies"], "result_tag": "R-0"}

    bad = tmp_path / "bad.ptn"
    bad.write_text('[Size "5"]\n\n1. a1 e5\n2. Sa1 b2\n')
    completed = subprocess.run([sys.executable, "-m", "pyzero", "replay", str(bad)], capture_output=True, text=True)
    assert completed.returncode == 2
    assert f"{bad}:4: ply 3 (move 2) 'Sa1'" in completed.stderr


def test_replay_error_names_ply_for_malformed_move():
    games = parse_ptn('[Size "5"]\n1. a1 e5\n2. a2 b7\n', source="x.ptn")
    with pytest.raises(PtnError, match=r"x.ptn:3: ply 4 \(move 2\) 'b7'"):
        replay(games[0])
