"""The replay buffer: samples rebuild the right positions and targets; shards survive restarts."""

import numpy as np
import pytest

from pyzero.games import make
from pyzero.inference import TorchBackend
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.replay import ReplayBuffer
from pyzero.selfplay import SelfPlay, SelfPlayOptions


def some_games(game, count=12, seed=0, random_opening_plies=0):
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=seed)
    options = SelfPlayOptions(games=8, batch_size=8, simulations=16, seed=seed,
                              random_opening_plies=random_opening_plies)
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
    batch = buffer.sample(64, rng, symmetries=True)
    # Find each sample again by brute force: replay every stored position in Python.
    positions = []
    for index in range(len(finished)):
        record = finished.game(index)
        state = game.new()
        offsets = np.concatenate([[0], np.cumsum(record["policy_counts"])])
        for ply, action in enumerate(record["actions"]):
            dense = np.zeros(game.num_actions, np.float32)
            entries = slice(offsets[ply], offsets[ply + 1])
            dense[record["policy_actions"][entries]] = record["policy_targets"][entries].astype(np.float32)
            outcome = 0.0 if record["winner"] < 0 else (1.0 if record["winner"] == ply % 2 else -1.0)
            outcome *= value_discount ** (len(record["actions"]) - ply)  # the moves left, this one included
            if ply >= record["opening_plies"]:
                positions.append((state.copy(), dense, outcome))
            state.apply_action(int(action))
    for row in range(64):
        matches = []
        for state, dense, outcome in positions:
            for symmetry in range(game.num_symmetries):
                image = state.transformed(symmetry)
                if np.array_equal(image.encode(), batch.planes[row]):
                    mapped = np.zeros_like(dense)
                    for action in np.flatnonzero(dense >= 0):
                        mapped[state.symmetry_action(symmetry, int(action))] = dense[action]
                    legal = np.zeros(game.num_actions, bool)
                    legal[image.legal_actions()] = True
                    matches.append(np.array_equal(mapped, batch.policy[row]) and abs(outcome - batch.outcome[row]) < 1e-6
                                   and np.array_equal(legal, batch.legal[row]))
        assert any(matches), row
    assert abs(batch.policy.sum(axis=1) - 1).max() < 5e-3


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


def test_shards_from_before_random_openings_load_as_games_without_one(tmp_path):
    """A shard written before `opening_plies` existed (no such array) loads with none."""
    game = make("tictactoe")
    games = some_games(game, count=4)
    fields = [name for name in games.__dataclass_fields__ if name != "opening_plies"]
    with open(tmp_path / "shard-00000000.npz", "wb") as handle:
        np.savez(handle, **{name: getattr(games, name) for name in fields})
    reloaded = ReplayBuffer(game, window_positions=1000, directory=tmp_path)
    assert reloaded.positions == int(games.lengths.sum())
    np.testing.assert_array_equal(reloaded._chunks[0].opening_plies, np.zeros(len(games), np.int32))
