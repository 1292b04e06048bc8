"""Files from anyone: a checkpoint can only hold tensors and data, a replay shard is checked
before any of it reaches the engine, a run's files survive a failed command, and training
never writes non-finite weights.

The hostile files are the ones a careless or malicious person would hand over: a pickle
whose `__reduce__` runs a shell command, shards whose indices point far outside their
arrays, NaN targets, truncated and empty files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from safetensors.torch import save as save_safetensors

from conftest import data_path
from pyzero.config import load_config
from pyzero.games import make
from pyzero.model import CheckpointError, build_model, load_network, read_checkpoint, save_checkpoint
from pyzero.model.checkpoint import FORMAT_NAME, checkpoint_bytes, parse_checkpoint_bytes
from pyzero.replay import ReplayBuffer, ReplayFileError, TrainingBatch
from pyzero.training.learner import MAX_CONSECUTIVE_SKIPPED_STEPS, Learner, NonFiniteTrainingError
from pyzero.training.trainer import Trainer

REPOSITORY = Path(__file__).resolve().parent.parent


# -- helpers -----------------------------------------------------------------------------------------
class _RunsACommand:
    """Pickles as a call of os.system: what a hostile checkpoint carries."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def write_pickle_checkpoint(path: Path, payload) -> None:
    """A `.pt` file as the earlier checkpoint writer made them: torch.save's pickle, the
    magic and its SHA-256 (which anyone can compute)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    path.write_bytes(data + b"PYZEROCK" + hashlib.sha256(data).digest())


def legacy_run(tmp_path: Path) -> Path:
    """A copy of a run folder written by the checkpoint format before safetensors (tests/data)."""
    run = tmp_path / "run"
    shutil.copytree(data_path("legacy-run-pt"), run)
    return run


def legacy_config(run: Path, **overrides):
    return load_config(run / "config.yaml", {"run_dir": str(run), **overrides})


def files_of(directory: Path) -> dict[str, str]:
    """Every file under `directory` by relative path, with the SHA-256 of its bytes."""
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


# -- checkpoints ---------------------------------------------------------------------------------------
def test_a_pickle_that_runs_a_command_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "the-command-ran"
    hostile = tmp_path / "step-000000001.pt"
    write_pickle_checkpoint(hostile, {"learner": {"model": {}, "step": 1}, "trap": _RunsACommand(f"touch {marker}")})
    with pytest.raises(CheckpointError, match="refused"):
        read_checkpoint(hostile)
    assert not marker.exists()


def test_pyzero_play_refuses_a_hostile_checkpoint_with_a_clear_error(tmp_path):
    marker = tmp_path / "the-command-ran"
    hostile = tmp_path / "network.pt"
    write_pickle_checkpoint(hostile, {"learner": {"model": {}, "step": 1}, "trap": _RunsACommand(f"touch {marker}")})
    completed = subprocess.run([sys.executable, "-m", "pyzero", "play", "configs/tictactoe.yaml", "--checkpoint",
                                str(hostile)], cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
                               stdin=subprocess.DEVNULL)
    assert not marker.exists()
    assert completed.returncode == 2, completed.stderr
    assert "refused" in completed.stderr and "Traceback" not in completed.stderr


def test_checkpoint_payloads_round_trip_with_their_types():
    payload = {"learner": {"model": {"a.weight": torch.randn(3, 2), "a.bias": torch.zeros(3, dtype=torch.float64)},
                           "optimizer": {"state": {0: {"step": torch.tensor(5.0), "exp_avg": torch.ones(2)}},
                                         "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]},
                           "step": 7},
               "rng": {"python": (3, tuple(range(5)), None), "numpy": {"state": {"state": 2**127 + 5}},
                       "torch": torch.get_rng_state()},
               "flags": torch.tensor([True, False]), "empty": torch.zeros(0, 4), "scalar": torch.tensor(3),
               "text": "$not a tag", "odd": {"$tensor": "a user's string key"}, "nan": float("nan"),
               "numbers": [1, -2.5, True, None]}
    restored = parse_checkpoint_bytes(checkpoint_bytes(payload), "memory")
    model = restored["learner"]["model"]
    assert torch.equal(model["a.weight"], payload["learner"]["model"]["a.weight"])
    assert model["a.bias"].dtype == torch.float64
    state = restored["learner"]["optimizer"]["state"]
    assert list(state) == [0] and torch.equal(state[0]["step"], torch.tensor(5.0))
    assert restored["learner"]["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert restored["rng"]["python"] == (3, (0, 1, 2, 3, 4), None)
    assert restored["rng"]["numpy"]["state"]["state"] == 2**127 + 5
    assert torch.equal(restored["rng"]["torch"], payload["rng"]["torch"])
    assert restored["flags"].dtype == torch.bool and restored["empty"].shape == (0, 4)
    assert restored["scalar"].shape == () and int(restored["scalar"]) == 3
    assert restored["text"] == "$not a tag" and restored["odd"] == {"$tensor": "a user's string key"}
    assert np.isnan(restored["nan"]) and restored["numbers"] == [1, -2.5, True, None]


def test_a_checkpoint_cannot_hold_objects(tmp_path):
    with pytest.raises(TypeError, match="tensors and plain data"):
        checkpoint_bytes({"trap": _RunsACommand("true")})


def _signed_file(payload_json: str, tensors: dict | None = None) -> bytes:
    """A safetensors file with pyzero's metadata around `payload_json`, digest and all."""
    from pyzero.model.checkpoint import _digest, _split_safetensors

    tensors = tensors or {}
    metadata = {"format": FORMAT_NAME, "version": "1", "payload": payload_json}
    header, tensor_bytes = _split_safetensors(save_safetensors(tensors, metadata=metadata), "test")
    metadata["sha256"] = _digest(header, payload_json, tensor_bytes)
    return save_safetensors(tensors, metadata=metadata)


@pytest.mark.parametrize("payload_json, message", [
    ('{"x": {"$pickle": "Y29zCnN5c3RlbQ=="}}', "unknown tag"),
    ('{"x": {"$tensor": "missing"}}', "does not hold"),
    ('[1, 2]', "not a pyzero checkpoint"),
    ('{"x": {"$items": [[{"a": 1}, 2]]}}', "plain value"),
])
def test_a_signed_file_with_a_foreign_payload_is_refused(payload_json, message):
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint_bytes(_signed_file(payload_json), "hostile.safetensors")


def test_a_safetensors_file_of_another_program_is_not_a_checkpoint(tmp_path):
    other = tmp_path / "step-000000003.safetensors"
    other.write_bytes(save_safetensors({"weight": torch.zeros(2)}))
    with pytest.raises(CheckpointError, match="not a pyzero checkpoint"):
        read_checkpoint(other)


@pytest.mark.fuzz
@given(st.data())
def test_fuzz_a_damaged_checkpoint_reads_whole_or_not_at_all(data):
    payload = {"learner": {"model": {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, "step": 3},
               "rng": {"python": (3, (1, 2), None)}, "counters": {"games": 10}}
    blob = bytearray(checkpoint_bytes(payload))
    action = data.draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
    position = data.draw(st.integers(0, len(blob) - 1))
    if action == "flip":
        blob[position] ^= data.draw(st.integers(1, 255))
    elif action == "truncate":
        del blob[position:]
    elif action == "insert":
        blob[position:position] = data.draw(st.binary(min_size=1, max_size=16))
    else:
        chunk = data.draw(st.binary(min_size=1, max_size=64))
        blob[position:position + len(chunk)] = chunk
    try:
        restored = parse_checkpoint_bytes(bytes(blob), "fuzzed")
    except CheckpointError:
        return
    # Accepted: then it is the checkpoint that was written (the mutation changed nothing read).
    assert torch.equal(restored["learner"]["model"]["w"], payload["learner"]["model"]["w"])
    assert restored["rng"] == payload["rng"] and restored["counters"] == payload["counters"]


def test_a_checkpoint_of_another_shape_or_a_list_is_a_clear_error(tmp_path):
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {"run_dir": str(tmp_path / "run")})
    game = make("tictactoe")
    wider = config.model_copy(update={"network": config.network.model_copy(update={"channels": 16})})
    other_shape = save_checkpoint(tmp_path / "other", 5, {"learner": {"model": build_model(wider, game).state_dict(),
                                                                      "step": 5}}, keep_last=1)
    with pytest.raises(CheckpointError, match="does not fit this config's network"):
        load_network(config, other_shape, game)
    a_list = save_checkpoint(tmp_path / "list", 5, {"learner": [1, 2, 3]}, keep_last=1)
    with pytest.raises(CheckpointError, match="no network weights"):
        load_network(config, a_list, game)


def test_a_checkpoint_with_or_without_a_training_only_head_plays_under_either_config(tmp_path):
    """The opponent-reply head is trained, never played: a checkpoint trained with it plays
    under a config without it and the other way round, built as its recorded config says
    and giving the network's own outputs; any other difference still does not fit (above)."""
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {"run_dir": str(tmp_path / "run")})
    game = make("tictactoe")
    with_head = config.model_copy(update={"network": config.network.model_copy(update={"opponent_policy_head": True})})
    planes = torch.from_numpy(game.new().encode()[None])
    for trained, playing in ((config, with_head), (with_head, config)):
        torch.manual_seed(1)
        model = build_model(trained, game).eval()
        has_head = trained.network.opponent_policy_head
        path = save_checkpoint(tmp_path / f"head-{has_head}", 5, {
            "learner": {"model": model.state_dict(), "step": 5}, "config": trained.snapshot()}, keep_last=1)
        loaded, _, step = load_network(playing, path, game)
        assert step == 5 and (loaded.opponent_policy_head is not None) == has_head
        with torch.no_grad():
            for got, expected in zip(loaded(planes), model(planes)):
                torch.testing.assert_close(got, expected)


def test_a_corrupt_newest_checkpoint_is_named_and_the_one_used_said(tmp_path):
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {"run_dir": str(tmp_path / "run")})
    game = make("tictactoe")
    directory = tmp_path / "run" / "checkpoints"
    for step in (10, 20):
        save_checkpoint(directory, step, {"learner": {"model": build_model(config, game).state_dict(), "step": step}},
                        keep_last=5)
    newest = directory / "step-000000020.safetensors"
    newest.write_bytes(newest.read_bytes()[:-10])
    warnings = []
    _, path, step = load_network(config, None, game, warn=warnings.append)
    assert step == 10 and path.name == "step-000000010.safetensors"
    assert "step-000000020.safetensors" in warnings[0] and "using step-000000010.safetensors" in warnings[-1]
    (directory / "step-000000010.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="no checkpoint there verifies"):
        load_network(config, None, game, warn=warnings.append)


# -- runs written by the earlier format ------------------------------------------------------------------
def test_a_run_written_with_pickle_checkpoints_resumes_and_continues_in_safetensors(tmp_path):
    run = legacy_run(tmp_path)
    legacy = torch.load(io.BytesIO((run / "checkpoints/step-000000004.pt").read_bytes()[:-40]), weights_only=True)
    trainer = Trainer(legacy_config(run, **{"training.steps": 6}), resume=True, dashboard=False)
    assert trainer.mode == "resume" and trainer.learner.step == 4
    for name, tensor in legacy["learner"]["model"].items():
        assert torch.equal(trainer.model.state_dict()[name], tensor), name
    assert trainer.counters.samples_trained == legacy["counters"]["samples_trained"]
    assert trainer.rng.bit_generator.state == legacy["rng"]["numpy"]
    assert trainer.replay.positions > 0
    trainer.run()
    assert trainer.learner.step == 6
    payload = read_checkpoint(run / "checkpoints/step-000000006.safetensors")
    assert payload["learner"]["step"] == 6
    again = Trainer(legacy_config(run, **{"training.steps": 6}), resume=True, dashboard=False)
    assert again.learner.step == 6


def test_a_resume_that_fails_changes_no_file_of_the_run(tmp_path):
    run = legacy_run(tmp_path)
    (run / "config.yaml").unlink()  # nothing left to tell the resume that the network changed
    before = files_of(run)
    with pytest.raises(CheckpointError, match="does not fit"):
        Trainer(load_config(REPOSITORY / "configs/tictactoe.yaml", {"run_dir": str(run)}), resume=True,
                dashboard=False)
    assert files_of(run) == before
    # The right config still resumes it.
    shutil.copy(data_path("legacy-run-pt", "config.yaml"), run / "config.yaml")
    assert Trainer(legacy_config(run), resume=True, dashboard=False).learner.step == 4


def test_a_resume_with_no_readable_checkpoint_never_starts_from_scratch(tmp_path):
    run = legacy_run(tmp_path)
    for path in (run / "checkpoints").iterdir():
        path.write_bytes(path.read_bytes()[:100])
    before = files_of(run)
    with pytest.raises(CheckpointError, match="--restart"):
        Trainer(legacy_config(run), resume=True, dashboard=False)
    assert files_of(run) == before


# -- non-finite training -----------------------------------------------------------------------------------
def test_non_finite_targets_skip_the_step_and_never_reach_the_weights(tmp_path):
    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {"run_dir": str(tmp_path / "run")})
    game = make("tictactoe")
    model = build_model(config, game)
    learner = Learner(model, config.optimizer, config.training)
    before = {name: tensor.detach().clone() for name, tensor in model.named_parameters()}
    rows = 8
    legal = np.ones((rows, game.num_actions), bool)
    policy = np.full((rows, game.num_actions), 1.0 / game.num_actions, np.float32)
    policy[0, 0] = np.nan
    batch = TrainingBatch(np.zeros((rows, *game.input_shape), np.float32), policy, legal,
                          np.full(rows, np.inf, np.float32), np.zeros(rows, np.float32))
    losses = learner.train_step(batch)
    assert losses.skipped and learner.step == 0 and learner.skipped_steps == 1
    for name, tensor in model.named_parameters():  # (batch norm's running statistics move: finite inputs)
        assert torch.equal(tensor, before[name]), name
    with pytest.raises(NonFiniteTrainingError, match="in a row"):
        for _ in range(MAX_CONSECUTIVE_SKIPPED_STEPS):
            learner.train_step(batch)
    assert all(torch.isfinite(tensor).all() for tensor in model.state_dict().values() if tensor.is_floating_point())


# -- replay shards ------------------------------------------------------------------------------------------
def legacy_shard_arrays() -> dict[str, np.ndarray]:
    with np.load(data_path("legacy-run-pt", "replay", "shard-00000001.npz")) as data:
        return dict(data)


def replay_folder_with(tmp_path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A replay folder: the good legacy shard first, then `arrays` as the second shard."""
    folder = tmp_path / "replay"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_path("legacy-run-pt", "replay", "shard-00000001.npz"), folder / "shard-00000001.npz")
    with open(folder / "shard-00000002.npz", "wb") as handle:
        np.savez(handle, **arrays)
    return folder


def _set(name, value):
    def change(arrays):
        arrays[name] = arrays[name].copy()
        arrays[name][:] = value
    return change


def _illegal_second_move(arrays):
    arrays["actions"] = arrays["actions"].copy()
    arrays["actions"][1] = arrays["actions"][0]  # the same square twice


@pytest.mark.parametrize("change, fault", [
    (_set("policy_actions", 999999), "policy_actions: entry 0 is 999999"),
    (_set("policy_counts", 100000), "policy_counts: entry 0 is 100000"),
    (_set("policy_targets", np.nan), "policy_targets: entry 0 is nan"),
    (_set("root_values", np.inf), "root_values: entry 0 is inf"),
    (_set("actions", -1), "actions: entry 0 is -1"),
    (_set("lengths", 3), "plies the games' lengths add up to"),
    (_illegal_second_move, "ply 1: an illegal move"),
    (lambda arrays: arrays.pop("policy_targets"), "lacks policy_targets"),
], ids=["actions 999999", "counts 100000", "nan targets", "inf values", "negative action", "lengths",
        "illegal move", "missing array"])
def test_a_hostile_shard_is_named_and_skipped_before_the_engine_reads_it(tmp_path, change, fault):
    arrays = legacy_shard_arrays()
    change(arrays)
    folder = replay_folder_with(tmp_path, arrays)
    warnings = []
    replay = ReplayBuffer(make("tictactoe"), 10**6, folder, warn=warnings.append)
    assert len(warnings) == 1 and "shard-00000002.npz" in warnings[0] and fault in warnings[0], warnings
    good = ReplayBuffer(make("tictactoe"), 10**6, replay_folder_with(tmp_path / "good", legacy_shard_arrays()))
    assert replay.positions == good.positions // 2  # the good shard alone (the same games twice in `good`)
    batch = replay.sample(32, np.random.default_rng(0))
    assert np.isfinite(batch.policy).all() and np.isfinite(batch.outcome).all()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short"], ids=["empty", "truncated"])
def test_an_unreadable_shard_is_named(tmp_path, content):
    folder = replay_folder_with(tmp_path, legacy_shard_arrays())
    (folder / "shard-00000002.npz").write_bytes(content)
    with pytest.raises(ReplayFileError, match="shard-00000002.npz: not a readable .npz"):
        ReplayBuffer(make("tictactoe"), 10**6).read_shard(folder / "shard-00000002.npz")
    warnings = []
    ReplayBuffer(make("tictactoe"), 10**6, folder, warn=warnings.append)
    assert len(warnings) == 1 and "shard-00000002.npz" in warnings[0]


def test_resuming_a_run_with_the_reported_hostile_shards_neither_crashes_nor_changes_them(tmp_path):
    run = legacy_run(tmp_path)
    for index, (name, value) in enumerate((("policy_actions", 999999), ("policy_counts", 100000)), start=5):
        arrays = legacy_shard_arrays()
        arrays[name] = np.full_like(arrays[name], value)
        with open(run / "replay" / f"shard-{index:08d}.npz", "wb") as handle:
            np.savez(handle, **arrays)
    hostile = {name: digest for name, digest in files_of(run / "replay").items() if "0005" in name or "0006" in name}
    completed = subprocess.run(
        [sys.executable, "-m", "pyzero", "train", str(run / "config.yaml"), "--resume", "--no-dashboard",
         "--set", f"run_dir={run}", "--set", "training.steps=5"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "shard-00000005.npz" in completed.stderr and "shard-00000006.npz" in completed.stderr
    assert json.loads(completed.stdout[completed.stdout.index("{"):])["step"] == 5
    after = files_of(run / "replay")
    assert all(after[name] == digest for name, digest in hostile.items())


_FIELDS = ("game_ids", "winners", "lengths", "actions", "root_values", "policy_counts", "policy_actions",
           "policy_targets", "opening_plies", "start_plies", "movers")


@pytest.mark.fuzz
@given(st.data())
def test_fuzz_a_mutated_shard_is_used_whole_or_refused(tmp_path_factory, data):
    arrays = legacy_shard_arrays()
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(_FIELDS))
        array = arrays[name].copy()
        kind = data.draw(st.sampled_from(["value", "truncate", "dtype", "shape"]))
        if kind == "value" and len(array):
            index = data.draw(st.integers(0, len(array) - 1))
            if array.dtype.kind == "f":
                array[index] = data.draw(st.floats(allow_nan=True, allow_infinity=True, width=16))
            else:
                info = np.iinfo(array.dtype)
                array[index] = data.draw(st.integers(int(info.min), int(info.max)))
        elif kind == "truncate":
            array = array[:data.draw(st.integers(0, len(array)))]
        elif kind == "dtype":
            array = array.astype(data.draw(st.sampled_from([np.int8, np.int64, np.uint16, np.float32, np.bool_])))
        else:
            array = array.reshape(1, -1)
        arrays[name] = array
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "shard-00000000.npz"
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    replay = ReplayBuffer(make("tictactoe"), 10**6)
    try:
        games = replay.read_shard(path)
    except ReplayFileError as error:
        assert str(path) in str(error)
        return
    # Accepted: then the engine replays and samples it without complaint.
    replay.add(games)
    if replay.positions:
        batch = replay.sample(16, np.random.default_rng(0))
        assert np.isfinite(batch.policy).all() and np.isfinite(batch.outcome).all()
