"""Arena players are named by what the user wrote: two settings of one external engine
(`-p 'tei:ENGINE -depth 2' -p 'tei:ENGINE -depth 3'`), which both answer `id name
ENGINE`, are two players with their own results, the engine's `id name` beside them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyzero.arena.players import MAX_PLAYER_NAME_LENGTH, player_display_names

REPOSITORY = Path(__file__).resolve().parents[1]
TEI_TAK3_CONFIG = REPOSITORY / "tests" / "data" / "tei_tak3.yaml"

# A TEI engine in a few lines: `-depth N` picks which legal move it plays (the first for
# 2, the last otherwise), so two settings play differently; both say `id name FakeEngine 1.0`.
FAKE_TEI_ENGINE = '''
import sys

from pyzero.games import make

depth = int(sys.argv[sys.argv.index("-depth") + 1]) if "-depth" in sys.argv else 2
size, state = 3, None
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "tei":
        print("id name FakeEngine 1.0")
        print("id author the pyzero tests")
        print("teiok")
    elif words[0] == "isready":
        print("readyok")
    elif words[0] == "teinewgame":
        size = int(words[-1])
    elif words[0] == "position":
        game = make("tak", size=size, komi=0)
        moves_at = words.index("moves") if "moves" in words else len(words)
        state = game.new() if words[1] == "startpos" else game.from_position(" ".join(words[2:moves_at]))
        for move in words[moves_at + 1:]:
            state.play(move)
    elif words[0] == "go":
        legal = state.legal_moves()
        move = legal[0] if depth == 2 else legal[-1]
        print(f"info depth {depth} nodes 1 score cp 0 time 0 nps 0 pv {move}")
        print(f"bestmove {move}")
    elif words[0] == "quit":
        break
    sys.stdout.flush()
'''


def test_each_spec_gets_its_own_name_shortened_and_unique():
    specs = ["random", "tei:/opt/engines/tiltak --tei", "tei:/opt/engines/tiltak --tei", "tei:tiltak --tei",
             "uci:/usr/games/stockfish?Skill Level=0&Threads=1", "latest",
             "tei:/very/long/path/to/an/engine --with --many --options --that --go --on --and --on --for --ever"]
    names = player_display_names(specs)
    assert names[0] == "random" and names[5] == "latest"
    assert names[1] == "tei:tiltak --tei" and names[2] == "tei:tiltak --tei #2" and names[3] == "tei:tiltak --tei #3"
    assert names[4] == "uci:stockfish?Skill Level=0&Threads=1"
    assert len(names[6]) <= MAX_PLAYER_NAME_LENGTH and names[6].startswith("tei:engine --with") \
        and names[6].endswith("--for --ever")
    assert len(set(names)) == len(names)


def test_shortened_names_that_meet_are_made_unique():
    long_options = " ".join(f"--option-{index}" for index in range(20))
    names = player_display_names([f"tei:engine {long_options} --a", f"tei:engine {long_options} --a",
                                  f"tei:engine {long_options[:-1]}9 --a"])
    assert len(set(names)) == 3 and all(len(name) <= MAX_PLAYER_NAME_LENGTH + 3 for name in names)


@pytest.fixture
def fake_tei_engine(tmp_path) -> Path:
    script = tmp_path / "fake_tei.py"
    script.write_text(FAKE_TEI_ENGINE)
    return script


def test_two_settings_of_one_tei_engine_are_two_players_in_the_arena(tmp_path, fake_tei_engine):
    depth_two = f"tei:{sys.executable} {fake_tei_engine} -depth 2"
    depth_three = f"tei:{sys.executable} {fake_tei_engine} -depth 3"
    output = tmp_path / "arena"
    finished = subprocess.run(
        [sys.executable, "-m", "pyzero", "arena", str(TEI_TAK3_CONFIG), "--mode", "gauntlet", "-p", "random",
         "-p", depth_two, "-p", depth_three, "--games", "2", "--opening-plies", "0", "--tei-seconds", "0.05",
         "--output", str(output)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    data = json.loads((output / "arena.json").read_text())
    standings = {row["player"]: row for row in data["standings"]}
    assert len(standings) == 3, standings
    engines = sorted(name for name in standings if name != "random")
    assert engines[0].endswith("fake_tei.py -depth 2") and engines[1].endswith("fake_tei.py -depth 3")
    for name in engines:
        assert standings[name]["engine"] == "FakeEngine 1.0"
        assert standings[name]["games"] == 2  # its own games against random, no one else's
    assert standings["random"]["games"] == 4 and standings["random"]["engine"] is None
    players_of_games = {record["first"] for record in data["games"]} | {record["second"] for record in data["games"]}
    assert players_of_games == set(standings)
    table = finished.stdout
    assert all(name in table for name in engines) and "FakeEngine 1.0" in table


def test_an_arena_hero_may_be_named_by_its_spec(tmp_path, fake_tei_engine):
    """--hero and --anchor take the spec as written too, even where the name shortens it."""
    long_spec = f"tei:{sys.executable} {fake_tei_engine} -depth 3 " + " ".join(f"-unused{index}" for index in range(8))
    output = tmp_path / "arena"
    finished = subprocess.run(
        [sys.executable, "-m", "pyzero", "arena", str(TEI_TAK3_CONFIG), "--mode", "gauntlet", "-p", "random",
         "-p", "mcts:4", "-p", long_spec, "--hero", long_spec, "--anchor", long_spec, "--games", "2",
         "--opening-plies", "0", "--tei-seconds", "0.05", "--output", str(output)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    data = json.loads((output / "arena.json").read_text())
    hero = data["anchor"]
    assert hero != long_spec and hero.startswith("tei:") and len(hero) <= MAX_PLAYER_NAME_LENGTH
    assert all(hero in (record["first"], record["second"]) for record in data["games"])
