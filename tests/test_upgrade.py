"""Growing a run (upgrade.from_run) on TicTacToe: the new run takes over the old run's
replay buffer and counters, pretrains its bigger network, continues with self-play and
resumes like any run; the old run directory stays byte for byte as it was; a mismatch
that cannot work is an error naming both configs and the key."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from pyzero.config import ConfigError, load_config
from pyzero.model import NetworkShape, ResNet, load_latest_checkpoint, read_checkpoint, save_checkpoint
from pyzero.training.trainer import Trainer

REPOSITORY = Path(__file__).resolve().parents[1]
# PyTorch inference: these runs are too short to repay an ONNX export (auto's choice on a CPU).
TINY = {
    "network.blocks": 1, "network.channels": 8, "network.value_hidden": 8,
    "search.simulations": 8, "selfplay.games": 16, "selfplay.batch_size": 16, "inference.cache_entries": 1024,
    "replay.min_positions": 50, "replay.window_positions": 10**7, "inference.backend": "torch",
    "training.batch_size": 32, "training.steps": 30, "training.publish_interval": 5,
    "checkpoint.interval_steps": 10, "evaluation.games": 0,
}
# The upgrade: twice the channels, 10 pretraining steps distilled half from the old network.
GROW = {"network.channels": 16, "upgrade.pretrain_steps": 10, "upgrade.distill_policy_weight": 0.5,
        "upgrade.distill_value_weight": 0.5, "training.steps": 20}


def tiny_config(run_dir, **more):
    return load_config(REPOSITORY / "configs/tictactoe.yaml", {**TINY, "run_dir": str(run_dir), **more})


def grown_config(run_dir, old_run, **more):
    return tiny_config(run_dir, **{**GROW, "upgrade.from_run": str(old_run), **more})


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under `directory` (hidden ones too) with the SHA-256 of its bytes."""
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def old_run(tmp_path_factory) -> Path:
    """A finished tiny TicTacToe run (30 learner steps), shared by the tests that only read it."""
    directory = tmp_path_factory.mktemp("old") / "run"
    Trainer(tiny_config(directory), dashboard=False).run()
    return directory


def test_an_upgraded_run_takes_over_the_buffer_and_counters_and_leaves_the_old_run_as_it_was(old_run, tmp_path):
    before = fingerprint(old_run)
    _, old_checkpoint = load_latest_checkpoint(old_run / "checkpoints")
    old_shards = sorted(path.name for path in (old_run / "replay").glob("shard-*.npz"))
    # The independent count of the old buffer's positions: its shards, read directly.
    # (The window, TINY's 10 million positions, holds them all.)
    old_positions = 0
    for name in old_shards:
        with np.load(old_run / "replay" / name) as shard:
            old_positions += int(shard["lengths"].sum() - shard["opening_plies"].sum())

    grown = Trainer(grown_config(tmp_path / "grown", old_run), dashboard=False)
    assert grown.mode == "fresh"
    assert grown.replay.positions == old_positions > 0
    copied = sorted(path.name for path in (tmp_path / "grown/replay").glob("shard-*.npz"))
    assert copied == old_shards
    for name in copied:  # copies, byte for byte
        assert (tmp_path / "grown/replay" / name).read_bytes() == (old_run / "replay" / name).read_bytes()
    for name in ("positions_generated", "games_generated", "samples_trained", "selfplay_starts"):
        assert getattr(grown.counters, name) == old_checkpoint["counters"][name] > 0, name
    assert grown.learner.step == 0 and grown.model.stem[0].weight.shape[0] == 16

    summary = grown.run()
    assert summary["step"] == 20
    # Pretraining (steps 1-10) ran on the old games alone: the step-10 checkpoint counts no
    # new sample and no new position; self-play then added games to the old totals.
    at_ten = read_checkpoint(tmp_path / "grown/checkpoints/step-000000010.safetensors")
    assert at_ten["counters"]["samples_trained"] == old_checkpoint["counters"]["samples_trained"]
    assert at_ten["counters"]["positions_generated"] == old_checkpoint["counters"]["positions_generated"]
    assert at_ten["learner"]["model"]["stem.0.weight"].shape[0] == 16
    _, latest = load_latest_checkpoint(tmp_path / "grown/checkpoints")
    assert latest["learner"]["step"] == 20
    assert latest["counters"]["samples_trained"] == old_checkpoint["counters"]["samples_trained"] + 10 * 32
    assert latest["counters"]["selfplay_starts"] == old_checkpoint["counters"]["selfplay_starts"] + 1
    assert latest["counters"]["games_generated"] >= old_checkpoint["counters"]["games_generated"]
    teacher = read_checkpoint(tmp_path / "grown/upgrade/teacher.safetensors")
    for name, tensor in old_checkpoint["learner"]["model"].items():
        assert torch.equal(teacher["model"][name], tensor), name
    assert fingerprint(old_run) == before


def test_a_grown_upgrade_starts_as_the_old_network_and_trains_on(old_run, tmp_path):
    """upgrade.initialize: grown, with more blocks and channels: before any step the new
    network's outputs are the old checkpoint's (run as the old network it is)."""
    _, old_checkpoint = load_latest_checkpoint(old_run / "checkpoints")
    old_model = ResNet(NetworkShape((3, 3, 3), 9), blocks=1, channels=8, value_hidden=8)
    old_model.load_state_dict(old_checkpoint["learner"]["model"])
    config = grown_config(tmp_path / "grown", old_run, **{"upgrade.initialize": "grown", "network.blocks": 2})
    grown = Trainer(config, dashboard=False)
    assert grown.model.stem[0].weight.shape[0] == 16 and len(grown.model.blocks) == 2
    planes = torch.rand(64, 3, 3, 3).round()  # stone patterns, legal or not: the function is what must match
    old_model.eval(), grown.model.eval()
    with torch.no_grad():
        (old_logits, old_value), (new_logits, new_value) = old_model(planes), grown.model(planes)
    assert old_value.std() > 0.01
    torch.testing.assert_close(new_logits, old_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(new_value, old_value, rtol=1e-5, atol=1e-5)
    assert grown.run()["step"] == 20


def test_growing_into_a_smaller_network_is_an_error_naming_both_configs(old_run, tmp_path):
    config = grown_config(tmp_path / "grown", old_run, **{"upgrade.initialize": "grown", "network.channels": 4})
    with pytest.raises(ConfigError, match=rf"key 'network.channels': {old_run / 'config.yaml'} has 8, "
                       rf"{config.path} has 4: upgrade.initialize 'grown' needs a network at least as large"):
        Trainer(config, dashboard=False)
    assert not (tmp_path / "grown").exists()


def test_an_upgraded_run_resumes_without_its_old_run(old_run, tmp_path):
    source = tmp_path / "old"
    shutil.copytree(old_run, source)
    config = grown_config(tmp_path / "grown", source)
    first = Trainer(config, dashboard=False)
    first.run(max_steps=5)  # stopped inside pretraining
    shutil.rmtree(source)  # a resumed upgrade needs nothing from the old run any more
    resumed = Trainer(config, dashboard=False)
    assert resumed.mode == "resume" and resumed.learner.step == 5
    assert resumed.counters.positions_generated == first.counters.positions_generated
    assert resumed.replay.positions == first.replay.positions
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name
    assert resumed.run()["step"] == 20  # pretraining (with the teacher from upgrade/) and self-play


def test_a_take_over_cut_short_is_redone_on_resume(old_run, tmp_path):
    config = grown_config(tmp_path / "grown", old_run)
    first = Trainer(config, dashboard=False)
    shards = first.upgrade.shards
    # As a crash leaves it: the record (written last) and a shard missing, a temporary file left.
    (tmp_path / "grown/upgrade/source.json").unlink()
    (tmp_path / "grown/replay" / shards[-1]).rename(tmp_path / "grown/replay" / f".{shards[-1]}.tmp")
    again = Trainer(config, dashboard=False)
    assert again.mode == "resume" and again.upgrade.shards == shards
    assert again.replay.positions == first.replay.positions
    assert again.counters.samples_trained == first.counters.samples_trained > 0
    assert not list((tmp_path / "grown/replay").glob(".*.tmp"))


def test_growing_into_the_directory_of_an_ordinary_run_is_refused(old_run, tmp_path):
    Trainer(tiny_config(tmp_path / "run"), dashboard=False).run(max_steps=5)
    before = fingerprint(tmp_path / "run")
    with pytest.raises(ConfigError, match=r"key 'upgrade.from_run': .*run holds a run that did not start as an "
                                          r"upgrade of"):
        Trainer(grown_config(tmp_path / "run", old_run, **{"network.channels": 8}), dashboard=False)
    assert fingerprint(tmp_path / "run") == before


def write_config(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_another_game_is_an_error_naming_both_configs_and_the_key(old_run, tmp_path):
    path = write_config(tmp_path, "grow.yaml", f"game:\n  name: connect4\nupgrade:\n  from_run: {old_run}\n"
                        f"run_dir: {tmp_path / 'grown'}\n")
    with pytest.raises(ConfigError) as error:
        Trainer(load_config(path), dashboard=False)
    assert str(error.value) == (f"{path}:2: key 'game.name': {old_run / 'config.yaml'} has 'tictactoe', "
                                f"{path} has 'connect4': the old run's games and network are of another game")
    assert not (tmp_path / "grown").exists()


def test_another_board_size_is_an_error_naming_both_configs_and_the_key(tmp_path):
    # An old Tak run on 3x3, as far as its directory tells (a config snapshot is all that is read first).
    old = tmp_path / "tak3"
    old.mkdir()
    (old / "config.yaml").write_text(yaml.safe_dump({"game": {"name": "tak", "options": {"size": 3.0}}}))
    path = write_config(tmp_path, "grow.yaml", f"game:\n  name: tak\n  options:\n    size: 4\nupgrade:\n"
                        f"  from_run: {old}\nrun_dir: {tmp_path / 'grown'}\n")
    with pytest.raises(ConfigError, match=rf"^{path}:4: key 'game.options.size': {old / 'config.yaml'} has 3.0, "
                       rf"{path} has 4.0: "):
        Trainer(load_config(path), dashboard=False)
    assert not (tmp_path / "grown").exists()


def test_other_input_planes_are_an_error_naming_both_configs(tmp_path):
    """The same game whose encoding changed since the old run: its network's stem reads
    another number of planes than the game now has."""
    old = tmp_path / "old"
    config = tiny_config(old)
    old.mkdir()
    (old / "config.yaml").write_text(yaml.safe_dump(config.snapshot()))
    network = ResNet(NetworkShape((5, 3, 3), 9), blocks=1, channels=8, value_hidden=8)
    save_checkpoint(old / "checkpoints", 1, {"learner": {"model": network.state_dict(), "step": 1},
                                             "counters": {}}, keep_last=1)
    grown = grown_config(tmp_path / "grown", old)
    with pytest.raises(ConfigError, match=rf"key 'game': the network of {old} \(config {old / 'config.yaml'}\) "
                       rf"takes 5 input planes and 9 actions, {grown.path}'s game has 3 planes"):
        Trainer(grown, dashboard=False)
    assert not (tmp_path / "grown").exists()


def test_a_missing_old_run_is_an_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"key 'upgrade.from_run': .*nowhere is not a run directory"):
        Trainer(grown_config(tmp_path / "grown", tmp_path / "nowhere"), dashboard=False)
    assert not (tmp_path / "grown").exists()


def test_the_example_upgrade_config_grows_the_connect4_run():
    config = load_config(REPOSITORY / "configs/connect4-6x64.yaml")
    base = load_config(REPOSITORY / "configs/connect4.yaml")
    assert config.upgrade.from_run == "runs/connect4" == str(base.run_directory())
    assert (config.network.blocks, config.network.channels) == (6, 64)
    assert config.game == base.game and config.replay == base.replay
    assert str(config.run_directory()) == "runs/connect4-6x64"


def test_random_play_positions_are_unfinished_and_reached_by_legal_moves():
    """TicTacToe, checked from the planes alone: the side to move's stones (plane 0) and
    the opponent's (plane 1) are a position of alternating moves from the empty board
    with no line complete and a square free, its legal moves are exactly the empty
    squares, and the positions spread over every length the ply limit allows."""
    from pyzero.games import make
    from pyzero.training.upgrade import random_play_batch

    game = make("tictactoe")
    batch = random_play_batch(game, 400, 8, np.random.default_rng(0))
    assert batch.teacher_only.all() and batch.planes.shape == (400, 3, 3, 3)
    mover, opponent = batch.planes[:, 0], batch.planes[:, 1]
    assert not (mover * opponent).any()
    stones = (mover + opponent).reshape(400, 9)
    counts = stones.sum(axis=1)
    assert set(counts.astype(int)) == set(range(9))  # 0..8 plies: a game can end from ply 5 on, not always
    # The first player moves at even plies: the mover has as many stones as the opponent, or one fewer.
    assert set((opponent.reshape(400, 9).sum(axis=1) - mover.reshape(400, 9).sum(axis=1)).astype(int)) <= {0, 1}
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
    for side in (mover.reshape(400, 9), opponent.reshape(400, 9)):
        assert not any(side[:, list(line)].all(axis=1).any() for line in lines)
    np.testing.assert_array_equal(batch.legal, stones == 0)
    np.testing.assert_allclose(batch.policy.sum(axis=1), 1.0, rtol=1e-6)
    start = random_play_batch(game, 3, 0, np.random.default_rng(1))
    np.testing.assert_array_equal(start.planes, np.stack([game.new().encode()] * 3))


def test_pretraining_with_random_play_positions_distils_them(old_run, tmp_path, monkeypatch):
    """A quarter of each pretraining batch (8 of 32) is random-play positions; self-play
    batches have none."""
    import pyzero.training.trainer as trainer_module

    made = []
    original = trainer_module.random_play_batch

    def counted(game, count, max_plies, rng):
        made.append((count, max_plies))
        return original(game, count, max_plies, rng)

    monkeypatch.setattr(trainer_module, "random_play_batch", counted)
    config = grown_config(tmp_path / "grown", old_run, **{"upgrade.distill_random_fraction": 0.25,
                                                          "upgrade.random_position_plies": 6})
    summary = Trainer(config, dashboard=False).run()
    assert summary["step"] == 20
    assert made == [(8, 6)] * 10
