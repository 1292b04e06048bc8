"""Arena games on a clock (`pyzero arena --time BASE+INC`): parsing, the clock's
arithmetic, a loss on time, and the players that manage a clock (a network player's share
of it, an external TEI engine's `go wtime ... btime ... winc ... binc ...`)."""

import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyzero.arena.clock import GameClock, TimeControl, parse_time_control
from pyzero.arena.match import play_one_game, play_pairing
from pyzero.arena.openings import random_openings
from pyzero.config import InferenceSection
from pyzero.games import make
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.players.baselines import RandomPlayer
from pyzero.players.network_player import NetworkPlayer, SearchLimits
from pyzero.search import GumbelOptions


def test_time_controls_parse_and_name_what_is_wrong():
    assert parse_time_control("60+0.5") == TimeControl(60.0, 0.5)
    assert parse_time_control(" 10 ") == TimeControl(10.0, 0.0)
    assert parse_time_control(".5+.25") == TimeControl(0.5, 0.25)
    assert str(parse_time_control("60+0.5")) == "60+0.5"
    for text in ("", "abc", "1+", "+1", "1+-0.5", "-1", "1:0", "60+0.5+1"):
        with pytest.raises(ValueError, match=r"expected BASE\[\+INCREMENT\]"):
            parse_time_control(text)
    with pytest.raises(ValueError, match="'0\\+1': the base time must be positive"):
        parse_time_control("0+1")


def test_the_clock_takes_the_move_off_then_adds_the_increment():
    clock = GameClock(TimeControl(1.0, 0.5))
    assert not clock.charge(0, 0.4)  # 1 - 0.4 + 0.5
    assert clock.remaining_ms(0) == pytest.approx(1100.0)
    assert not clock.charge(0, 1.1)  # exactly used up is not a loss: 0 + 0.5
    assert clock.remaining_ms(0) == pytest.approx(500.0)
    assert clock.flagged_side is None
    assert clock.charge(1, 1.2)  # 1 - 1.2 < 0: the flag falls, no increment
    assert clock.flagged_side == 1 and clock.remaining_ms(1) == 0.0
    assert clock.increment_ms == 500.0


class SlowPlayer:
    """Plays a random legal move after `seconds` of wall time."""

    def __init__(self, seconds: float):
        self.name, self.seconds = "slow", seconds

    def choose(self, state, rng):
        time.sleep(self.seconds)
        return rng.choice(state.legal_moves())


def test_a_player_whose_flag_falls_loses_on_time():
    # 0.5 s each, no increment, 0.3 s a move: the slow player's second move flags. No
    # TicTacToe game is over before ply 5, so it always comes: at ply 2 when the slow
    # player moves first, at ply 3 when it moves second.
    game = make("tictactoe")
    records = play_pairing(game, SlowPlayer(0.3), RandomPlayer(), random_openings(game, 1, 0), 2,
                           time_control=TimeControl(0.5))
    assert [r.first for r in records] == ["slow", "random"]
    assert all(r.lost_on_time and r.winner == "random" for r in records)
    assert [r.plies for r in records] == [2, 3]
    # The same game without a clock is played to its end.
    assert not play_one_game(game, SlowPlayer(0.0), RandomPlayer(), random_openings(game, 1, 0), 0, 0, 0).lost_on_time


class TimedPlayer:
    """Records each of a player's moves on the clock: (ply, seconds taken, its own clock
    and the increment it was shown)."""

    def __init__(self, player):
        self.player, self.name = player, player.name
        self.moves: list[tuple[int, float, float, float]] = []

    def choose_on_clock(self, state, rng, remaining_ms, increment_ms):
        started = time.monotonic()
        move = self.player.choose_on_clock(state, rng, remaining_ms, increment_ms)
        self.moves.append((state.ply, time.monotonic() - started, remaining_ms[state.to_move()], increment_ms))
        return move


def test_a_network_player_spends_its_share_of_the_clock():
    game = make("connect4")
    network = NetworkPlayer(game, ExactTestNetwork(NetworkShape.of_game(game), seed=1),
                            GumbelOptions(max_considered_actions=4, gumbel_scale=0.0), SearchLimits(simulations=8),
                            name="net", inference_options=InferenceSection(cache_entries=0))
    timed = TimedPlayer(network)
    records = play_pairing(game, timed, RandomPlayer(), random_openings(game, 1, 0), 2,
                           time_control=TimeControl(2.0, 0.1))
    assert not any(r.lost_on_time for r in records)
    games, used = [], 0.0
    for ply, seconds, own_ms, increment_ms in timed.moves:
        if ply < 2:  # its first move of a game (it moves first in game 0, second in game 1)
            games.append([])
            # By hand: 2000 ms less the 100 ms margin over the 47 moves a game of 42
            # squares (a 6 x 6 board's worth) is expected to last, 1.3 per square, plus
            # 0.75 of the 100 ms increment: 1900 / 47 + 75 = 115.4 ms. A timed search runs
            # to about its deadline (it may end a batch early rather than late), so the
            # move takes nearly that; its 8 simulations alone would take a few ms.
            assert own_ms == 2000.0 and increment_ms == 100.0
            assert seconds >= 0.9 * (1900 / 47 + 75) / 1000
            used = 0.0
        else:
            # Its clock: the start, plus an increment per move made, less the time taken
            # (the arena times a little more than this wrapper does).
            made = len(games[-1])
            assert own_ms == pytest.approx(2000.0 + 100.0 * made - 1000.0 * used, abs=50.0)
        games[-1].append(seconds)
        used += seconds
    assert len(games) == 2 and all(len(moves) >= 4 for moves in games)


def test_an_external_tei_engine_gets_both_clocks(tmp_path):
    # The alpha-beta yardstick served by `pyzero tei` stands in for an external engine.
    from pyzero.arena.players import make_player

    tei_config = Path(__file__).parent / "data" / "tei_tak3.yaml"
    game = make("tak", size=3, komi=0)
    command = f"tei:{sys.executable} -m pyzero tei {tei_config} --player alphabeta:2"
    engine = make_player(command, None, game, simulations=8)
    try:
        records = play_pairing(game, engine, RandomPlayer(), random_openings(game, 1, 0), 2,
                               time_control=TimeControl(2.0, 0.1))
        go_lines = [line[2:] for line in engine.transcript if line.startswith("> go")]
    finally:
        engine.close()
    assert not any(r.lost_on_time for r in records) and all(r.plies > 0 for r in records)
    assert go_lines and all(line.startswith("go wtime ") for line in go_lines)
    # The engine's first move as white (game 0) sees two full clocks.
    assert go_lines[0] == "go wtime 2000 btime 2000 winc 100 binc 100"
    words = [dict(zip(line.split()[1::2], map(int, line.split()[2::2]))) for line in go_lines]
    # Each later move sees clocks that ran: below the start plus every increment so far.
    assert all(w["wtime"] < 2000 + 100 * 10 and w["btime"] < 2000 + 100 * 10 for w in words[1:])
    assert any(w["wtime"] != 2000 or w["btime"] != 2000 for w in words[1:])


def test_the_command_refuses_a_bad_or_doubled_time_setting(tmp_path):
    from pyzero.cli.app import cli

    config = tmp_path / "ttt.yaml"
    config.write_text(f"game:\n  name: tictactoe\nrun_dir: {tmp_path / 'run'}\n")
    runner = CliRunner()
    bad = runner.invoke(cli, ["arena", str(config), "-p", "random", "-p", "minimax", "--time", "1m"])
    assert bad.exit_code == 2 and "--time: time control '1m': expected BASE[+INCREMENT]" in bad.output
    doubled = runner.invoke(cli, ["arena", str(config), "-p", "random", "-p", "minimax", "--time", "1",
                                  "--move-seconds", "0.1"])
    assert doubled.exit_code == 2 and "--time and --move-seconds" in doubled.output
    played = runner.invoke(cli, ["arena", str(config), "-p", "random", "-p", "minimax", "--time", "5+0.1",
                                 "--games", "2", "--output", str(tmp_path / "out")])
    assert played.exit_code == 0, played.output
    import json

    data = json.loads((tmp_path / "out" / "arena.json").read_text())
    assert data["settings"]["time_control"] == "5+0.1" and len(data["games"]) == 2
    assert all(record["lost_on_time"] is False for record in data["games"])
