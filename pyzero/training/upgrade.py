"""Growing a run: a new run, with a new network, from an old run's replay buffer.

`pyzero train configs/connect4-6x64.yaml`, where that file inherits `connect4.yaml`, sets
`upgrade.from_run: runs/connect4` and a bigger `network:`, is the whole procedure:

1. The old run is checked against the new config (same game, board size and input planes;
   its config.yaml and the new config file are named in any error, with the key).
2. The take-over (once, when the new run starts): the old run's replay shards are COPIED
   into the new run's replay/ (each atomically, under the same names, so the new run's
   own shards continue the numbering); its latest checkpoint's weights are copied to
   upgrade/teacher.safetensors (for distillation, so a resume never needs the old run again); its
   counters (positions and games generated, samples trained, self-play starts) become the
   new run's. upgrade/source.json, written last, records all that: until it exists the
   take-over is redone from the start. The old run directory is only read: no file in it
   is written, renamed or deleted (not even a stale temporary file), so it can keep
   running or be resumed later.
3. The new network starts from random weights, or (`upgrade.initialize: grown`) as the old
   network grown to the new size, computing the same outputs (pyzero/model/growth.py).
   It trains on the taken-over buffer for `upgrade.pretrain_steps` learner
   steps (optionally distilled from the old network, and with `distill_random_fraction` of
   each batch random-play positions labelled by the old network alone:
   `random_play_batch`), then self-play continues with it.

After the take-over an upgraded run is a run like any other: it checkpoints, resumes and
restarts the same way (a restart archives it and takes over again).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

from pyzero.config import ConfigError, NetworkSection, RunConfig
from pyzero.model import build_model, grown_state_dict, read_checkpoint, readable_checkpoints, write_checkpoint_file
from pyzero.replay import TrainingBatch, shard_file_names

RECORD_FILE = Path("upgrade") / "source.json"
TEACHER_FILE = Path("upgrade") / "teacher.safetensors"
LEGACY_TEACHER_FILE = Path("upgrade") / "teacher.pt"  # upgrades started before the safetensors format
# The counters of the old run that the new one continues (RunCounters fields). Its elapsed
# time and evaluations are the old network's, so they stay with it (in source.json).
TAKEN_OVER_COUNTERS = ("positions_generated", "games_generated", "samples_trained", "selfplay_starts")


@dataclass
class UpgradeRecord:
    """What the take-over copied, in upgrade/source.json."""

    from_run: str
    from_config: str
    from_step: int | None  # the learner step of the old checkpoint taken (None: it had none)
    counters: dict  # the old run's counters at that checkpoint (the taken-over ones and the rest)
    shards: list[str]  # the replay shards copied

    def taken_over_counters(self) -> dict:
        return {name: self.counters[name] for name in TAKEN_OVER_COUNTERS if name in self.counters}


@dataclass
class OldRun:
    """An old run, read and checked, ready to be taken over."""

    directory: Path
    config_file: Path
    network: NetworkSection
    checkpoint: tuple[Path, dict] | None


def read_record(directory: Path) -> UpgradeRecord | None:
    path = directory / RECORD_FILE
    if not path.exists():
        return None
    return UpgradeRecord(**json.loads(path.read_text()))


def inspect_old_run(config: RunConfig, game) -> OldRun:
    """The run `config.upgrade.from_run` names, checked against `config` and `game`; a
    ConfigError names both configs and the key where they cannot work together."""
    where = config.location("upgrade", "from_run")
    directory = Path(config.upgrade.from_run)
    if directory.resolve() == config.run_directory().resolve():
        raise ConfigError(f"{where}: key 'upgrade.from_run': {directory} is this run's own directory; "
                          "grow into another one (run_dir)")
    config_file = directory / "config.yaml"
    if not config_file.is_file():
        raise ConfigError(f"{where}: key 'upgrade.from_run': {directory} is not a run directory "
                          f"({config_file} does not exist)")
    try:
        snapshot = yaml.safe_load(config_file.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{config_file}: invalid YAML: {error}") from None
    old_game = snapshot.get("game") or {}
    _check_game(config, config_file, old_game, game)
    try:
        network = NetworkSection.model_validate(snapshot.get("network") or {})
    except Exception as error:  # noqa: BLE001 - pydantic's ValidationError, reported with the file
        raise ConfigError(f"{config_file}: key 'network': {error}") from None
    # Never load_latest_checkpoint here: it deletes stale temporary files, and the old run
    # must not be touched. The newest checkpoint that verifies is taken.
    checkpoint = next(readable_checkpoints(directory / "checkpoints", warn=lambda message: None,
                                           newest_first=True), None)
    if config.upgrade.initialize == "grown":
        _check_growable(config, config_file, network, checkpoint)
    if checkpoint is not None:
        _check_planes(config, config_file, checkpoint[1]["learner"]["model"], game)
    elif config.upgrade.distill_policy_weight > 0 or config.upgrade.distill_value_weight > 0:
        raise ConfigError(f"{config.location('upgrade')}: key 'upgrade.distill_policy_weight': distillation needs "
                          f"the old network, and {directory / 'checkpoints'} has no readable checkpoint")
    return OldRun(directory, config_file, network, checkpoint)


def _check_game(config: RunConfig, old_config_file: Path, old_game: dict, game) -> None:
    def mismatch(key: str, old, new, why: str) -> ConfigError:
        return ConfigError(f"{config.location(*key.split('.'))}: key '{key}': {old_config_file} has {old!r}, "
                           f"{config.path} has {new!r}: {why}")

    if old_game.get("name") != config.game.name:
        raise mismatch("game.name", old_game.get("name"), config.game.name,
                       "the old run's games and network are of another game")
    old_options, new_options = old_game.get("options") or {}, config.game.options
    for key in sorted(set(old_options) | set(new_options)):
        if old_options.get(key) != new_options.get(key):
            raise mismatch(f"game.options.{key}", old_options.get(key), new_options.get(key),
                           "the old run's games were played under other options (board size, rules)")


def _check_growable(config: RunConfig, old_config_file: Path, old_network: NetworkSection,
                    checkpoint: tuple[Path, dict] | None) -> None:
    """`upgrade.initialize: grown` needs the old weights and a new network no smaller in any
    size (`grown_state_dict` copies the old weights into the leading slices)."""
    if checkpoint is None:
        raise ConfigError(f"{config.location('upgrade', 'initialize')}: key 'upgrade.initialize': 'grown' needs the "
                          f"old network, and {old_config_file.parent / 'checkpoints'} has no readable checkpoint")
    for key in ("blocks", "channels", "policy_channels", "value_channels", "value_hidden"):
        old, new = getattr(old_network, key), getattr(config.network, key)
        if new < old:
            raise ConfigError(f"{config.location('network', key)}: key 'network.{key}': {old_config_file} has {old}, "
                              f"{config.path} has {new}: upgrade.initialize 'grown' needs a network at least as "
                              "large as the old one (or upgrade.initialize: random)")
    old_pooled, new_pooled = old_network.global_pooling_channels, config.network.global_pooling_channels
    if old_pooled not in (0, new_pooled):
        # The pooling layer reads [means, maxima] of the pooled channels: another count moves
        # the maxima to other columns, so the old weights would not keep their meaning.
        raise ConfigError(f"{config.location('network', 'global_pooling_channels')}: key "
                          f"'network.global_pooling_channels': {old_config_file} has {old_pooled}, {config.path} has "
                          f"{new_pooled}: a grown network keeps the old count (or starts pooling from 0)")


def _check_planes(config: RunConfig, old_config_file: Path, old_model_state: dict, game) -> None:
    """The old network's input planes and actions, read from its weights, against the game's:
    the same game with an encoding changed since the old run cannot be taken over."""
    stem = old_model_state.get("stem.0.weight")
    # The policy head's last linear layer (its one 2-D weight) maps to the actions.
    policy = [value for key, value in old_model_state.items() if key.startswith("policy_head.") and
              key.endswith(".weight") and value.dim() == 2]
    old_planes = None if stem is None else int(stem.shape[1])
    old_actions = None if not policy else int(policy[-1].shape[0])
    if old_planes != game.input_shape[0] or old_actions != game.num_actions:
        raise ConfigError(f"{config.location('game')}: key 'game': the network of {old_config_file.parent} "
                          f"(config {old_config_file}) takes {old_planes} input planes and {old_actions} actions, "
                          f"{config.path}'s game has {game.input_shape[0]} planes and {game.num_actions} actions")


def take_over(old: OldRun, directory: Path) -> UpgradeRecord:
    """Copies the old run's shards and teacher network into the new run `directory` and
    writes upgrade/source.json last (see the module docstring). Safe to redo after a crash."""
    replay = directory / "replay"
    replay.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in shard_file_names(old.directory / "replay"):
        source, final = old.directory / "replay" / name, replay / name
        temporary = replay / f".{name}.tmp"  # the replay buffer's own pattern: removed if a crash leaves it
        try:
            shutil.copyfile(source, temporary)
        except FileNotFoundError:
            continue  # the old run, still running, dropped it out of its window meanwhile
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        copied.append(name)
    counters: dict = {}
    step = None
    if old.checkpoint is not None:
        path, payload = old.checkpoint
        counters = dict(payload.get("counters") or {})
        step = int(payload["learner"]["step"])
        write_checkpoint_file(directory / TEACHER_FILE, dict(network=old.network.model_dump(),
                                                           model=payload["learner"]["model"], step=step,
                                                           source=str(path)))
    record = UpgradeRecord(from_run=str(old.directory), from_config=str(old.config_file), from_step=step,
                           counters=counters, shards=copied)
    final = directory / RECORD_FILE
    temporary = final.with_name(f".{final.name}.tmp")
    temporary.write_text(json.dumps(asdict(record), indent=2, default=str))
    os.replace(temporary, final)
    return record


def read_teacher(config: RunConfig, directory: Path, key: str = "upgrade.distill_policy_weight") -> dict:
    """upgrade/teacher.safetensors: the old network's `network` section, `model` weights and `step`;
    a ConfigError on `key` (what needed it) where the old run had no checkpoint."""
    path = directory / TEACHER_FILE
    if not path.exists() and (directory / LEGACY_TEACHER_FILE).exists():
        path = directory / LEGACY_TEACHER_FILE
    if not path.exists():
        raise ConfigError(f"{config.location(*key.split('.'))}: key '{key}': it needs the old network, and {path} "
                          "does not exist (the old run had no checkpoint)")
    return read_checkpoint(path)


def grow_from_teacher(config: RunConfig, directory: Path, model: torch.nn.Module) -> None:
    """Loads into `model` the old network's weights grown to its size (`grown_state_dict`):
    it then computes the old network's outputs (`upgrade.initialize: grown`)."""
    model.load_state_dict(grown_state_dict(read_teacher(config, directory, "upgrade.initialize")["model"], model))


def load_teacher(config: RunConfig, directory: Path, game, device: torch.device) -> torch.nn.Module:
    """The old network (upgrade/teacher.safetensors), in eval mode on `device`, for distillation."""
    payload = read_teacher(config, directory)
    network = NetworkSection.model_validate(payload["network"])
    teacher = build_model(config.model_copy(update={"network": network}), game)
    teacher.load_state_dict(payload["model"])
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher.to(device).eval()


def random_play_batch(game, count: int, max_plies: int, rng: np.random.Generator) -> TrainingBatch:
    """`count` positions, each reached by n uniformly random legal moves from the start (n
    uniform in 0..max_plies, fewer where a move would end the game: a position is never
    finished), flagged `teacher_only`: they have no search policy and no outcome, so a
    teacher's outputs are their whole target. Their policy is uniform over the legal moves
    and their outcome and root value 0, placeholders the distillation replaces."""
    planes = np.zeros((count, *game.input_shape), dtype=np.float32)
    legal = np.zeros((count, game.num_actions), dtype=bool)
    for row in range(count):
        state = game.new()
        for _ in range(int(rng.integers(0, max_plies + 1))):
            actions = state.legal_actions()
            following = state.copy()
            following.apply_action(int(actions[rng.integers(len(actions))]))
            if following.is_terminal():
                break
            state = following
        state.encode(planes[row])
        legal[row, state.legal_actions()] = True
    policy = legal / legal.sum(axis=1, keepdims=True)
    return TrainingBatch(planes, policy.astype(np.float32), legal, np.zeros(count, np.float32),
                         np.zeros(count, np.float32), teacher_only=np.ones(count, dtype=bool))


def joined_batches(first: TrainingBatch, second: TrainingBatch) -> TrainingBatch:
    """The two batches as one (rows of `first`, then of `second`)."""
    flags = [batch.teacher_only if batch.teacher_only is not None else np.zeros(len(batch.outcome), dtype=bool)
             for batch in (first, second)]
    replies = None
    if first.opponent_policy is not None or second.opponent_policy is not None:  # none known: all 0
        replies = np.concatenate([batch.opponent_policy if batch.opponent_policy is not None
                                  else np.zeros_like(batch.policy) for batch in (first, second)])
    return TrainingBatch(*(np.concatenate([getattr(first, name), getattr(second, name)])
                           for name in ("planes", "policy", "legal", "outcome", "root_value")),
                         teacher_only=np.concatenate(flags), opponent_policy=replies)


def network_to_start_from(config: RunConfig) -> tuple[Path, str]:
    """(file, name in messages) of `upgrade.from_network`: a bundled network's name or a
    file; a ConfigError at the key where it names neither, or a network of another game."""
    from pyzero.networks import bundled_network_named, bundled_networks

    where = config.location("upgrade", "from_network")
    wanted = config.upgrade.from_network
    bundled = bundled_network_named(wanted)
    if bundled is not None:
        if bundled.manifest.game.name != config.game.name:
            raise ConfigError(f"{where}: key 'upgrade.from_network': {wanted} plays {bundled.manifest.game.name}, "
                              f"not {config.game.name}")
        return bundled.path(), f"bundled network {wanted}"
    path = Path(wanted)
    if not path.is_file():
        names = ", ".join(network.name for network in bundled_networks()) or "none"
        raise ConfigError(f"{where}: key 'upgrade.from_network': {wanted!r} is neither a network file nor a bundled "
                          f"network (bundled: {names})")
    return path, str(path)


def start_from_network(config: RunConfig, model: torch.nn.Module) -> str:
    """Loads `upgrade.from_network`'s weights into `model` (grown into it with
    `upgrade.initialize: grown`); returns what it loaded, for the log. A ConfigError at the
    key where the weights do not fit."""
    from pyzero.model import CheckpointError, load_weights_into, model_weights
    from pyzero.model.build import with_own_training_only_heads

    path, name = network_to_start_from(config)
    where = config.location("upgrade", "from_network")
    try:
        payload = read_checkpoint(path)
        recorded_game = (payload.get("config") or {}).get("game", {}).get("name", config.game.name)
        if recorded_game != config.game.name:
            raise ConfigError(f"{where}: key 'upgrade.from_network': {name} plays {recorded_game}, "
                              f"not {config.game.name}")
        weights = with_own_training_only_heads(model_weights(payload, str(path)), model)
        if config.upgrade.initialize == "grown":
            model.load_state_dict(grown_state_dict(weights, model))
        else:
            load_weights_into(model, weights, name)
    except (CheckpointError, ValueError) as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"{where}: key 'upgrade.from_network': {error} (a larger network can start from it "
                          "with upgrade.initialize: grown)") from None
    return name
