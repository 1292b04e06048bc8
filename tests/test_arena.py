"""The arena: openings, pairings, both ways of playing a pairing (sequential and the
two-network pipeline, which must agree move for move), and the command's outputs."""

import json
import random
import subprocess
import sys

import pytest

from pyzero.config import InferenceSection
from pyzero.arena.match import play_one_game, play_pairing
from pyzero.arena.openings import random_openings
from pyzero.arena.tournament import pairings
from pyzero.games import make
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.players.baselines import MinimaxPlayer, RandomPlayer
from pyzero.players.network_player import NetworkPlayer, SearchLimits
from pyzero.search import GumbelOptions


def test_openings_are_distinct_unfinished_and_reproducible():
    game = make("connect4")
    openings = random_openings(game, 12, 3, seed=4)
    positions = [state.position() for state in openings]
    assert len(set(positions)) == 12
    assert all(not state.is_terminal() and state.ply == 3 for state in openings)
    assert positions == [state.position() for state in random_openings(game, 12, 3, seed=4)]
    assert len(random_openings(make("tictactoe"), 50, 1)) == 9  # only 9 first moves exist


def test_pairings():
    names = ["a", "b", "c", "d"]
    assert len(pairings(names, "round-robin")) == 6
    assert pairings(names, "gauntlet", "c") == [("c", "a"), ("c", "b"), ("c", "d")]
    with pytest.raises(ValueError, match="gauntlet player"):
        pairings(names, "gauntlet", "e")
    # yardstick: c and d are fixed; a and b meet each of them, c meets d, a never meets b
    assert pairings(names, "yardstick", yardsticks=["c", "d"]) == [("c", "d"), ("a", "c"), ("a", "d"), ("b", "c"),
                                                                   ("b", "d")]
    with pytest.raises(ValueError, match="yardstick mode needs"):
        pairings(names, "yardstick", yardsticks=[])


def test_a_yardstick_tournament_places_checkpoints_against_alphabeta_depths(tmp_path):
    """Checkpoints (players with a step) meet every depth, depths meet the next depth, and
    the Elo fit and the plot come out of those games alone."""
    from pyzero.arena.tournament import plot_elo_by_step, run_tournament
    from pyzero.players.alphabeta import AlphaBetaPlayer

    game = make("tak", size=3)
    networks = [_network_player(game, seed, simulations=8) for seed in (1, 2)]
    for step, network in zip((100, 200), networks):
        network.step = step
    sticks = [AlphaBetaPlayer(1, seed=0), AlphaBetaPlayer(2, seed=0)]
    result = run_tournament(game, networks + sticks, "yardstick", 2, random_openings(game, 1, 1, seed=2),
                            anchor="alphabeta:1")
    played = {(record.first, record.second) for record in result.games}
    played |= {(b, a) for a, b in played}
    assert ("net1", "net2") not in played
    assert {("net1", "alphabeta:1"), ("net1", "alphabeta:2"), ("net2", "alphabeta:1"), ("net2", "alphabeta:2"),
            ("alphabeta:1", "alphabeta:2")} <= played
    assert len(result.games) == 5 * 2
    assert result.ratings["alphabeta:1"].elo == 0
    assert plot_elo_by_step(result, tmp_path / "elo.png") and (tmp_path / "elo.png").stat().st_size > 0


def test_sequential_pairing_alternates_colours_and_minimax_never_loses():
    game = make("tictactoe")
    openings = random_openings(game, 3, 0) + random_openings(game, 2, 1, seed=1)
    records = play_pairing(game, MinimaxPlayer(game), RandomPlayer(), openings, 10)
    assert len(records) == 10
    for first, second in zip(records[::2], records[1::2]):
        assert first.opening == second.opening
        assert (first.first, first.second) == (second.second, second.first)
    # From the start and from any one-ply position TicTacToe is a draw with perfect play.
    assert all(record.winner in (None, "minimax") for record in records)


def _network_player(game, seed, simulations=16):
    model = ExactTestNetwork(NetworkShape.of_game(game), seed=seed)
    options = GumbelOptions(max_considered_actions=4, gumbel_scale=0.0)
    return NetworkPlayer(game, model, options, SearchLimits(simulations=simulations), name=f"net{seed}",
                         inference_options=InferenceSection(cache_entries=0))


def test_two_networks_in_the_pipeline_play_the_same_games_as_one_at_a_time():
    game = make("connect4")
    a, b = _network_player(game, 1), _network_player(game, 2)
    openings = random_openings(game, 3, 2, seed=7) + random_openings(game, 1, 1, seed=3)
    batched = play_pairing(game, a, b, openings, 8)  # same budget: through the pipeline
    # Without Gumbel noise the seeds do not matter, and the exact test network gives the
    # same numbers in any batch: each game must equal the one-search-per-move game.
    one_at_a_time = [play_one_game(game, a, b, openings, index, seed=0, max_game_plies=0) for index in range(8)]
    assert [(r.first, r.second, r.winner, r.opening, r.plies) for r in batched] == \
        [(r.first, r.second, r.winner, r.opening, r.plies) for r in one_at_a_time]
    assert {r.opening for r in batched} == {0, 1, 2, 3}


def test_arena_command_writes_results_elo_and_plot(tmp_path):
    config = tmp_path / "ttt.yaml"
    config.write_text(f"game:\n  name: tictactoe\nrun_dir: {tmp_path / 'run'}\nevaluation:\n  simulations: 16\n")
    from pyzero.config import load_config
    from pyzero.model import save_checkpoint
    from pyzero.model import build_model

    model = build_model(load_config(config), make("tictactoe"))
    save_checkpoint(tmp_path / "run" / "checkpoints", 5, {"learner": {"model": model.state_dict(), "step": 5}}, 3)
    output = tmp_path / "arena"
    completed = subprocess.run(
        [sys.executable, "-m", "pyzero", "arena", str(config), "-p", "random", "-p", "minimax", "-p", "mcts:30",
         "-p", "latest", "--games", "6", "--opening-plies", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    data = json.loads((output / "arena.json").read_text())
    assert data["anchor"] == "random" and data["ratings"]["random"]["elo"] == 0
    standings = {row["player"]: row for row in data["standings"]}
    assert set(standings) == {"random", "minimax", "mcts30", "step-5"}
    assert all(row["games"] == 18 for row in standings.values())  # 3 pairings x 6 games each
    assert standings["minimax"]["losses"] == 0
    assert sum(row["wins"] for row in standings.values()) == sum(row["losses"] for row in standings.values())
    assert len(data["games"]) == 6 * 6
    minimax = data["ratings"]["minimax"]
    assert minimax["lower"] < minimax["elo"] < minimax["upper"]
    assert (output / "elo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_arena_games_are_capped_by_the_configs_max_game_plies_unless_told_otherwise(tmp_path):
    """Tak has no repetition rule, so two players can shuffle forever: the arena adjudicates
    a draw at the config's selfplay.max_game_plies. Hand-derived truth: no TicTacToe game
    ends before ply 5, so with a cap of 4 every game is a draw at exactly 4 plies."""
    config = tmp_path / "ttt.yaml"
    config.write_text(f"game:\n  name: tictactoe\nrun_dir: {tmp_path / 'run'}\nselfplay:\n  max_game_plies: 4\n")

    def arena_games(*extra):
        output = tmp_path / f"arena{len(extra)}"
        completed = subprocess.run(
            [sys.executable, "-m", "pyzero", "arena", str(config), "-p", "random", "-p", "mcts:8", "--games", "6",
             "--opening-plies", "0", "--output", str(output), *extra],
            capture_output=True, text=True, timeout=300)
        assert completed.returncode == 0, completed.stderr
        data = json.loads((output / "arena.json").read_text())
        return data["settings"]["max_plies"], data["games"]

    cap, games = arena_games()
    assert cap == 4 and len(games) == 6
    assert all(game["plies"] == 4 and game["winner"] is None for game in games)
    cap, games = arena_games("--max-plies", "0")
    assert cap == 0 and all(game["plies"] >= 5 for game in games)


def test_an_external_tei_engine_plays_in_the_arena(tmp_path):
    # Our own `pyzero tei` stands in for an external engine (tiltak is not installed here).
    from pathlib import Path

    from pyzero.config import load_config
    from pyzero.arena.players import make_player

    tei_config = Path(__file__).parent / "data" / "tei_tak3.yaml"
    config = load_config(tei_config, {"run_dir": str(tmp_path / "run")})
    game = make("tak", size=3, komi=0)
    command = f"tei:{sys.executable} -m pyzero tei {tei_config} --set run_dir={tmp_path / 'tei-run'}"
    engine = make_player(command, config, game, simulations=8, tei_move_seconds=0.05)
    try:
        records = play_pairing(game, engine, RandomPlayer(), random_openings(game, 1, 0), 2)
    finally:
        engine.close()
    assert [r.first for r in records] == [engine.name, "random"]
    assert all(r.plies > 0 and r.winner in (None, engine.name, "random") for r in records)


def test_alphabeta_spec_plays_tak_and_names_its_errors():
    from pyzero.arena.players import PlayerSpecError, make_player

    game = make("tak", size=4)
    player = make_player("alphabeta:2", None, game, simulations=8)
    assert player.name == "alphabeta:2"
    timed = make_player("alphabeta:3:0.25", None, game, simulations=8)
    assert (timed.depth, timed.seconds) == (3, 0.25)
    records = play_pairing(game, player, RandomPlayer(), random_openings(game, 1, 2, seed=1), 2)
    assert all(record.winner == "alphabeta:2" for record in records)
    for spec in ("alphabeta", "alphabeta:0", "alphabeta:x", "alphabeta:2:", "alphabeta:2:fast"):
        with pytest.raises(PlayerSpecError, match="expected alphabeta:DEPTH"):
            make_player(spec, None, game, simulations=8)
    with pytest.raises(PlayerSpecError, match="only available for tak"):
        make_player("alphabeta:2", None, make("tictactoe"), simulations=8)


def test_network_players_take_config_overrides_and_a_time_per_move(tmp_path):
    """The same checkpoint with two searches side by side (`?KEY=VALUE` overrides of the
    run config), each searching a fixed time per move, played one game at a time."""
    import time

    from pyzero.arena.players import PlayerSpecError, make_player
    from pyzero.config import load_config
    from pyzero.model import build_model, save_checkpoint

    config_path = tmp_path / "ttt.yaml"
    config_path.write_text(f"game:\n  name: tictactoe\nrun_dir: {tmp_path / 'run'}\n")
    config = load_config(config_path)
    game = make("tictactoe")
    model = build_model(config, game)
    save_checkpoint(tmp_path / "run" / "checkpoints", 5, {"learner": {"model": model.state_dict(), "step": 5}}, 3)
    graph = make_player("latest?search.play=graph&search.graph.root=halving&search.graph.threads=2", config, game,
                        simulations=16, move_seconds=0.05)
    tree = make_player("latest?search.play=gumbel", config, game, simulations=16, move_seconds=0.05)
    assert graph.name == "step-5?search.play=graph&search.graph.root=halving&search.graph.threads=2"
    assert tree.name == "step-5?search.play=gumbel" and tree.graph is None and not tree.uses_graph()
    assert (graph.graph.root, graph.graph.threads, graph.limits.seconds) == ("halving", 2, 0.05)
    assert config.search.play == "auto"  # the run's own config is left as it was
    # The default (auto) searches the graph when timed, the tree for simulations alone.
    default = make_player("latest", config, game, simulations=16, move_seconds=0.05)
    assert default.uses_graph() and not make_player("latest", config, game, simulations=16).uses_graph()
    # The batched pipeline plays the tree search only: a graph player at fixed simulations
    # plays its games one at a time.
    from pyzero.arena.match import _pipeline_can_play
    untimed = [make_player(spec, config, game, simulations=16) for spec in ("latest", "latest?search.play=graph")]
    assert _pipeline_can_play(untimed[0], untimed[0]) and not _pipeline_can_play(untimed[0], untimed[1])
    started = time.perf_counter()
    records = play_pairing(game, graph, tree, random_openings(game, 1, 0), 2)
    elapsed = time.perf_counter() - started
    assert [r.first for r in records] == [graph.name, tree.name]
    # Every move was a timed search (a won TicTacToe game takes at least 5 plies).
    assert elapsed >= 0.05 * sum(r.plies for r in records) and all(r.plies >= 5 for r in records)
    with pytest.raises(PlayerSpecError, match=r"player 'latest\?search.grph=1'.*key 'search.grph': unknown key"):
        make_player("latest?search.grph=1", config, game, simulations=16)
    with pytest.raises(PlayerSpecError, match="key 'search.graph.root'"):
        make_player("latest?search.graph.root=gumbel", config, game, simulations=16)
    with pytest.raises(PlayerSpecError, match="'threads' is not KEY=VALUE"):
        make_player("latest?threads", config, game, simulations=16)


def test_players_that_take_history_get_the_keys_of_the_games_earlier_positions():
    """The arena and the in-run evaluation hand a player with `takes_history` the keys of
    every position before the one it moves in, oldest first (the graph search scores a
    return to one of them as a repetition); other players are called as before. The
    expected keys are recomputed by replaying each game's moves."""
    from pyzero.arena.match import play_one_game
    from pyzero.training.evaluation import play_game

    class FirstMove:
        takes_history = False

        def __init__(self, name):
            self.name, self.calls = name, []

        def choose(self, state, rng):
            self.calls.append(state.copy())
            return state.legal_moves()[0]

    class Recording(FirstMove):
        takes_history = True

        def choose(self, state, rng, history=()):
            self.calls.append((state.copy(), history))
            return state.legal_moves()[-1]

    game = make("connect4")
    for play in ("arena", "evaluation"):
        recording, plain = Recording("recording"), FirstMove("plain")
        if play == "arena":
            play_one_game(game, recording, plain, [game.new()], 0, 0, 0)
        else:
            play_game(game, recording, plain, random.Random(0), opening_plies=0)
        assert len(recording.calls) >= 3 and len(plain.calls) >= 3
        assert all(state.ply % 2 == 0 for state, _ in recording.calls)  # the recorder moves first
        # Walk the game again (each player's rule) for the positions before each turn.
        positions = [game.new()]
        for _ in range(max(state.ply for state, _ in recording.calls)):
            mover = recording if positions[-1].ply % 2 == 0 else plain
            chosen = positions[-1].legal_moves()[-1 if mover is recording else 0]
            positions.append(positions[-1].copy())
            positions[-1].play(chosen)
        for state, history in recording.calls:
            assert history == tuple(position.hash() for position in positions[:state.ply]), play
            assert positions[state.ply].hash() == state.hash()


def test_auto_searches_the_graph_at_fixed_simulations_in_games_with_a_repetition_rule():
    """Chess (threefold repetition) plays the graph search, which scores repetitions from
    the history it is given, also at a number of simulations; TicTacToe the tree search."""
    from pathlib import Path

    from pyzero.config import load_config
    from pyzero.play.opponent import untrained_engine

    configs = Path(__file__).resolve().parents[1] / "configs"
    fixed = SearchLimits(simulations=8)
    assert untrained_engine(load_config(configs / "chess.yaml")).uses_graph(fixed)
    assert not untrained_engine(load_config(configs / "tictactoe.yaml")).uses_graph(fixed)
    assert not untrained_engine(load_config(configs / "chess.yaml", {"search.play": "gumbel"})).uses_graph(fixed)


def test_evaluation_games_take_their_ply_cap_from_the_evaluation_section_else_from_selfplay():
    """evaluation.max_game_plies (null: selfplay.max_game_plies) caps the arena's and the
    in-run evaluation's games; chess sets 0, since its rules end every game. Hand-derived
    truth as above: no TicTacToe game ends before ply 5, so a cap of 4 draws every game at
    exactly 4 plies, and without a cap every game lasts at least 5."""
    from pathlib import Path

    from pyzero.config import RunConfig, load_config
    from pyzero.training.evaluation import play_game

    inherited = RunConfig.model_validate({"game": {"name": "tictactoe"}, "selfplay": {"max_game_plies": 4}})
    assert inherited.evaluation.ply_cap(inherited.selfplay) == 4
    own = RunConfig.model_validate({"game": {"name": "tictactoe"}, "selfplay": {"max_game_plies": 4},
                                    "evaluation": {"max_game_plies": 0}})
    assert own.evaluation.ply_cap(own.selfplay) == 0
    chess = load_config(Path(__file__).resolve().parents[1] / "configs" / "chess.yaml")
    assert chess.selfplay.max_game_plies == 250 and chess.evaluation.ply_cap(chess.selfplay) == 0

    class Counting(RandomPlayer):
        def __init__(self):
            self.moves = 0

        def choose(self, state, rng):
            self.moves += 1
            return super().choose(state, rng)

    game = make("tictactoe")
    for seed in range(5):
        first, second = Counting(), Counting()
        assert play_game(game, first, second, random.Random(seed), opening_plies=0, max_game_plies=4) == -1
        assert first.moves + second.moves == 4
        first, second = Counting(), Counting()
        play_game(game, first, second, random.Random(seed), opening_plies=0, max_game_plies=0)
        assert first.moves + second.moves >= 5
