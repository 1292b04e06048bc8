"""Which network a command plays with when the user names no checkpoint.

In order: the checkpoint the user gave; the run's latest checkpoint (for a config whose run
has trained); the bundled network of the game and options (`pyzero.networks.catalog`);
else an untrained network. `pyzero play tak` (a bare game name) never looks in `runs/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pyzero.config import NetworkSection, RunConfig
from pyzero.model import list_checkpoints
from pyzero.networks.catalog import BundledNetwork, find_bundled_network


@dataclass(frozen=True)
class NetworkChoice:
    """What to load: `source` says where from; `checkpoint` is the file or run directory
    to load (None for the run's latest checkpoint and for an untrained network); `config`,
    for a bundled network, carries that network's game options and architecture."""

    config: RunConfig
    source: Literal["checkpoint", "run", "bundled", "untrained"]
    checkpoint: str | Path | None = None
    bundled: BundledNetwork | None = None

    @property
    def player_name(self) -> str | None:
        """The name a player built from this choice goes by (None: its step, or untrained)."""
        return self.bundled.name if self.bundled is not None else None

    def describe(self) -> str:
        if self.bundled is not None:
            return self.bundled.describe()
        if self.source == "checkpoint":
            return f"checkpoint {self.checkpoint}"
        if self.source == "run":
            return f"the latest checkpoint of {self.config.run_directory()}"
        return "an untrained network"


def run_has_checkpoints(config: RunConfig) -> bool:
    return bool(list_checkpoints(config.run_directory() / "checkpoints"))


def config_for_bundled(config: RunConfig, bundled: BundledNetwork) -> RunConfig:
    """`config` playing `bundled`'s game options with its network section."""
    game = config.game.model_copy(update={"options": bundled.options_with(config.game.options)})
    network = NetworkSection.model_validate(bundled.manifest.network)
    return config.model_copy(update={"game": game, "network": network})


def choose_network(config: RunConfig, checkpoint: str | Path | None = None, look_in_run: bool = True,
                   use_bundled: bool = True) -> NetworkChoice:
    """The network to play `config`'s game with (module docstring). `look_in_run`: whether
    the config's run directory counts (False for a bare game name)."""
    if checkpoint is not None:
        return NetworkChoice(config, "checkpoint", checkpoint)
    if look_in_run and run_has_checkpoints(config):
        return NetworkChoice(config, "run")
    bundled = find_bundled_network(config.game.name, config.game.options) if use_bundled else None
    if bundled is None:
        return NetworkChoice(config, "untrained")
    return NetworkChoice(config_for_bundled(config, bundled), "bundled", bundled.path(), bundled)


def choice_of_network(config: RunConfig, name_or_path: str) -> NetworkChoice:
    """The choice of a network named by the user: a bundled network's name or a network
    or checkpoint file, played with `config`'s settings and the game options the network
    was trained for. FileNotFoundError when it names neither; CheckpointError for a file
    that does not load or plays another game."""
    from pyzero.model import CheckpointError, read_checkpoint
    from pyzero.networks.catalog import bundled_network_named

    bundled = bundled_network_named(name_or_path)
    if bundled is not None:
        if bundled.manifest.game.name != config.game.name:
            raise CheckpointError(f"{name_or_path}: plays {bundled.manifest.game.name}, not {config.game.name}")
        game = config.game.model_copy(update={"options": dict(bundled.manifest.game.options)})
        return NetworkChoice(config_for_bundled(config.model_copy(update={"game": game}), bundled), "bundled",
                             bundled.path(), bundled)
    path = Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"{name_or_path}: neither a network file nor a bundled network's name")
    recorded = read_checkpoint(path).get("config")
    recorded_game = recorded.get("game") if isinstance(recorded, dict) else None
    if isinstance(recorded_game, dict):
        if recorded_game.get("name") != config.game.name:
            raise CheckpointError(f"{path}: plays {recorded_game.get('name')}, not {config.game.name}")
        options = recorded_game.get("options", {})
        if isinstance(options, dict):
            game = config.game.model_copy(update={"options": {key: float(value) for key, value in options.items()}})
            config = config.model_copy(update={"game": game})
    return NetworkChoice(config, "checkpoint", path)
