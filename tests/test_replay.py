"""The replay buffer: samples rebuild the right positions and targets; shards survive restarts."""

import numpy as np
import pytest

from pyzero.games import make
from pyzero.inference import TorchBackend
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.replay import ReplayBuffer, growing_window_size
from pyzero.selfplay import SelfPlay, SelfPlayOptions


def some_games(game, count=12, seed=0, random_opening_plies=0):
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=seed)
    options = SelfPlayOptions(games=8, batch_size=8, simulations=16, seed=seed,
                              random_opening_plies=random_opening_plies, cache_entries=0)
    return SelfPlay(game, [TorchBackend(network)], options).run(games=count)


@pytest.mark.parametrize("random_opening_plies,value_discount", [(0, 1.0), (5, 1.0), (5, 0.9)])
def test_samples_match_positions_replayed_in_python(random_opening_plies, value_discount):
    game = make("connect4")
    finished = some_games(game, random_opening_plies=random_opening_plies)
    assert (finished.opening_plies > 0).any() == (random_opening_plies > 0)
    buffer = ReplayBuffer(game, window_positions=10**6, value_discount=value_discount)
    buffer.add(finished)
    # A random opening's plies are not positions: neither counted nor sampled.
    assert buffer.positions == int(finished.lengths.sum() - finished.opening_plies.sum())
    rng = np.random.default_rng(0)
    batch = buffer.sample(64, rng, symmetries=True, opponent_policy=True)
    # Find each sample again by brute force: replay every stored position in Python.
    positions = []
    for index in range(len(finished)):
        record = finished.game(index)
        state = game.new()
        offsets = np.concatenate([[0], np.cumsum(record["policy_counts"])])
        targets = []
        for ply in range(len(record["actions"])):
            dense = np.zeros(game.num_actions, np.float32)
            entries = slice(offsets[ply], offsets[ply + 1])
            dense[record["policy_actions"][entries]] = record["policy_targets"][entries].astype(np.float32)
            targets.append(dense)
        targets.append(np.zeros(game.num_actions, np.float32))  # after the last move: no reply
        for ply, action in enumerate(record["actions"]):
            outcome = 0.0 if record["winner"] < 0 else (1.0 if record["winner"] == ply % 2 else -1.0)
            outcome *= value_discount ** (len(record["actions"]) - ply)  # the moves left, this one included
            if ply >= record["opening_plies"]:
                positions.append((state.copy(), targets[ply], targets[ply + 1]))
                positions[-1] += (outcome,)
            state.apply_action(int(action))

    def mapped(state, symmetry, dense):
        image = np.zeros_like(dense)
        for action in np.flatnonzero(dense):
            image[state.symmetry_action(symmetry, int(action))] = dense[action]
        return image

    for row in range(64):
        matches = []
        for state, dense, reply, outcome in positions:
            for symmetry in range(game.num_symmetries):
                image = state.transformed(symmetry)
                if np.array_equal(image.encode(), batch.planes[row]):
                    legal = np.zeros(game.num_actions, bool)
                    legal[image.legal_actions()] = True
                    matches.append(np.array_equal(mapped(state, symmetry, dense), batch.policy[row])
                                   and np.array_equal(mapped(state, symmetry, reply), batch.opponent_policy[row])
                                   and abs(outcome - batch.outcome[row]) < 1e-6
                                   and np.array_equal(legal, batch.legal[row]))
        assert any(matches), row
    assert abs(batch.policy.sum(axis=1) - 1).max() < 5e-3
    # Every sample but a game's last position has a reply to learn.
    assert (batch.opponent_policy.sum(axis=1) > 0.99).sum() >= 48


def test_shards_survive_a_restart_and_the_window_is_bounded(tmp_path):
    game = make("tictactoe")
    buffer = ReplayBuffer(game, window_positions=60, directory=tmp_path)
    parts = [some_games(game, count=6, seed=s) for s in range(4)]
    for part in parts:
        buffer.add(part)
    reloaded = ReplayBuffer(game, window_positions=60, directory=tmp_path)
    assert reloaded.positions == buffer.positions
    # The running count agrees with a recount of the games the window holds.
    assert buffer.positions == sum(int(chunk.trained_lengths.sum()) for chunk in buffer._chunks)
    # The window keeps the newest positions only, in whole games.
    assert 60 - 9 <= reloaded.positions <= 60
    assert len(list(tmp_path.glob("shard-*.npz"))) == len(reloaded._chunks) < len(parts)
    rng = np.random.default_rng(1)
    a = buffer.sample(32, np.random.default_rng(1))
    b = reloaded.sample(32, rng)
    np.testing.assert_array_equal(a.planes, b.planes)
    # An interrupted write leaves only a temporary file, which a restart ignores.
    (tmp_path / ".shard-00000099.npz.tmp").write_bytes(b"partial")
    again = ReplayBuffer(game, window_positions=60, directory=tmp_path)
    assert again.positions == buffer.positions
    assert not list(tmp_path.glob(".shard-*"))


def test_the_growing_window_follows_katagos_formula():
    # c (1 + 0.4 ((N / c)^0.75 - 1) / 0.75): at N = 16 c, 16^0.75 = 8, so c (1 + 0.4 * 7 / 0.75).
    assert growing_window_size(16_000, 1000, 10**9) == int(1000 * (1 + 0.4 * 7 / 0.75)) == 4733
    assert growing_window_size(500, 1000, 10**9) == 1000  # before c positions: c
    assert growing_window_size(1000, 1000, 10**9) == 1000
    assert growing_window_size(16_000, 1000, 3000) == 3000  # the maximum caps it
    sizes = [growing_window_size(n, 1000, 10**9) for n in range(1000, 100_000, 997)]
    assert sizes == sorted(sizes)  # it only grows


def test_a_growing_window_holds_its_size_of_the_positions_generated(tmp_path):
    game = make("tictactoe")
    buffer = ReplayBuffer(game, window_positions=10**6, directory=tmp_path, window_start_positions=20)
    for seed in range(6):
        buffer.add(some_games(game, count=6, seed=seed))
        window = growing_window_size(buffer.total_positions, 20, 10**6)
        assert buffer.window == window
        assert window - 9 <= buffer.positions <= window  # whole games, at most 9 plies each
    assert buffer.window > 20 and buffer.total_positions > buffer.window
    # A resumed run knows how many positions its earlier sessions generated (the shards
    # out of the window are gone): the window is that of the whole run, not of the shards.
    # (It may keep a few games of the oldest shard that a narrower window had let go.)
    resumed = ReplayBuffer(game, window_positions=10**6, directory=tmp_path, window_start_positions=20,
                           positions_generated=buffer.total_positions)
    assert resumed.window == buffer.window
    assert buffer.positions <= resumed.positions <= resumed.window


def test_a_window_narrower_than_the_training_start_is_refused():
    from pyzero.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match="window_start_positions"):
        validate_config({"game": {"name": "tictactoe"}, "replay": {"min_positions": 100, "window_start_positions": 50}})


@pytest.mark.parametrize("newer_fields", [
    # Before random openings: no opening_plies (nor anything newer).
    ("opening_plies", "start_positions", "start_plies", "movers"),
    # Before games recorded their start: every game began at game.new().
    ("start_positions", "start_plies", "movers"),
])
def test_shards_from_older_versions_load_as_what_they_held(tmp_path, newer_fields):
    """A shard written before `opening_plies` existed loads with no opening; one written
    before games recorded their start loads as games from `game.new()`, the first player
    moving at ply 0 (all self-play then did). Samples are those of the full records."""
    game = make("tictactoe")
    games = some_games(game, count=4)
    fields = [name for name in games.__dataclass_fields__ if name not in newer_fields]
    with open(tmp_path / "shard-00000000.npz", "wb") as handle:
        np.savez(handle, **{name: getattr(games, name) for name in fields})
    reloaded = ReplayBuffer(game, window_positions=1000, directory=tmp_path)
    assert reloaded.positions == int(games.lengths.sum())
    chunk = reloaded._chunks[0]
    np.testing.assert_array_equal(chunk.opening_plies, np.zeros(len(games), np.int32))
    np.testing.assert_array_equal(chunk.start_positions, [game.new().position()] * len(games))
    np.testing.assert_array_equal(chunk.start_plies, np.zeros(len(games), np.int32))
    np.testing.assert_array_equal(chunk.movers, games.movers)  # what the engine records for these games
    current = ReplayBuffer(game, window_positions=1000)
    current.add(games)
    a, b = (buffer.sample(64, np.random.default_rng(5)) for buffer in (current, reloaded))
    for name in ("planes", "policy", "legal", "outcome", "root_value"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_a_shard_missing_a_field_of_the_current_format_is_rejected(tmp_path):
    game = make("tictactoe")
    games = some_games(game, count=2)
    fields = [name for name in games.__dataclass_fields__ if name != "movers"]
    with open(tmp_path / "shard-00000000.npz", "wb") as handle:
        np.savez(handle, **{name: getattr(games, name) for name in fields})
    with pytest.raises(ValueError, match="shard-00000000.npz: replay shard lacks movers"):
        ReplayBuffer(game, window_positions=1000).read_shard(tmp_path / "shard-00000000.npz")
    warnings = []  # a run that meets it names it and goes on without it
    buffer = ReplayBuffer(game, window_positions=1000, directory=tmp_path, warn=warnings.append)
    assert buffer.positions == 0 and len(warnings) == 1 and "lacks movers" in warnings[0]


def positions_replayed_from(start, finished):
    """Every trained position of `finished` (games that all began at `start`), rebuilt with
    the Python game API alone: (planes, dense policy target, legal mask, outcome, root value).
    The outcome's sign is derived by hand: +1 when the game's winner is the side to move at
    the position, -1 when it is the other side, 0 for a draw."""
    game = start.game
    positions = []
    for index in range(len(finished)):
        record = finished.game(index)
        state = game.from_position(start.position())
        offsets = np.concatenate([[0], np.cumsum(record["policy_counts"])])
        for ply, action in enumerate(record["actions"]):
            # Players alternate from the start, so the side to move is the start's
            # side flipped once per ply; the Python API must agree.
            mover = (start.to_move() + ply) % 2
            assert state.to_move() == mover
            winner = record["winner"]
            outcome = 0.0 if winner < 0 else (1.0 if winner == mover else -1.0)
            if ply >= record["opening_plies"]:
                entries = slice(offsets[ply], offsets[ply + 1])
                dense = np.zeros(game.num_actions, np.float32)
                dense[record["policy_actions"][entries]] = record["policy_targets"][entries].astype(np.float32)
                legal = np.zeros(game.num_actions, bool)
                legal[state.legal_actions()] = True
                positions.append((state.encode(), dense, legal, outcome, float(record["root_values"][ply])))
            state.apply_action(int(action))
        assert state.is_terminal() and state.winner() == record["winner"]
    return positions


def assert_samples_are_among(batch, positions):
    for row in range(len(batch.planes)):
        candidates = [p for p in positions if np.array_equal(p[0], batch.planes[row])]
        assert candidates, f"sample {row}: no position of the games has these planes"
        assert any(np.array_equal(dense, batch.policy[row]) and np.array_equal(legal, batch.legal[row])
                   and outcome == batch.outcome[row] and root_value == batch.root_value[row]
                   for _, dense, legal, outcome, root_value in candidates), f"sample {row}: wrong targets"


@pytest.mark.parametrize("game_name,options,start_text,random_opening_plies", [
    # Connect4 after three moves: the second player to move.
    ("connect4", {}, "......./......./......./......./...o.../..xx...", 0),
    # Tak 4x4 at move 5, black to move (TPS), then up to 2 random plies before the search.
    ("tak", {"size": 4}, "x,1,x,1/x,1,2,x/1,1,2,x/2,x,2,x 2 5", 2),
])
def test_samples_of_games_started_mid_game_match_a_replay_from_their_start(
        tmp_path, game_name, options, start_text, random_opening_plies):
    """Self-play started from a mid-game position (the second player to move): each
    sampled position, its policy target and its value target (signed for the side to
    move) equal what the Python API gives by replaying the game's moves from that start;
    and the same after the buffer is reloaded from its shards on disk."""
    game = make(game_name, **options)
    start = game.from_position(start_text)
    assert start.to_move() == 1 and not start.is_terminal()
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=2)
    options = SelfPlayOptions(games=4, batch_size=8, simulations=16, seed=4, random_opening_plies=random_opening_plies, cache_entries=0)
    selfplay = SelfPlay(game, [TorchBackend(network)], options)
    selfplay.set_openings([start])
    finished = selfplay.run(games=4)
    assert (finished.opening_plies > 0).any() == (random_opening_plies > 0)
    assert (finished.winners >= 0).any()  # a decisive game: the value targets have a sign to get wrong
    positions = positions_replayed_from(start, finished)
    buffer = ReplayBuffer(game, window_positions=10**6, directory=tmp_path)
    buffer.add(finished)
    assert buffer.positions == len(positions)
    batch = buffer.sample(4 * len(positions), np.random.default_rng(3), symmetries=False)
    assert_samples_are_among(batch, positions)
    # Every position is reachable by sampling (none is replaced by a wrong one).
    sampled = {batch.planes[row].tobytes() for row in range(len(batch.planes))}
    assert sampled == {p[0].tobytes() for p in positions}
    # The record says where the games started.
    np.testing.assert_array_equal(finished.start_positions, [start_text] * len(finished))
    np.testing.assert_array_equal(finished.start_plies, [start.ply] * len(finished))
    # Round trip through the shards: the reloaded buffer holds the same records and samples alike.
    reloaded = ReplayBuffer(game, window_positions=10**6, directory=tmp_path)
    for name in finished.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(reloaded._chunks[0], name), getattr(finished, name), err_msg=name)
    again = reloaded.sample(4 * len(positions), np.random.default_rng(3), symmetries=False)
    for name in ("planes", "policy", "legal", "outcome", "root_value"):
        np.testing.assert_array_equal(getattr(again, name), getattr(batch, name), err_msg=name)


def test_a_game_whose_start_the_game_cannot_read_is_refused_before_it_is_stored(tmp_path):
    game = make("tictactoe")
    games = some_games(game, count=2)
    games.start_positions = np.array(["not a position"] * len(games))
    buffer = ReplayBuffer(game, window_positions=1000, directory=tmp_path)
    with pytest.raises(ValueError, match="not a tictactoe position"):
        buffer.add(games)
    assert buffer.positions == 0 and not list(tmp_path.glob("shard-*"))
