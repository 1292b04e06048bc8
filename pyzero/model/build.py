"""A run config's network: built with the config's shape, and loaded from its checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch

from pyzero.config import RunConfig, make_game_from_config
from pyzero.model.checkpoint import load_latest_checkpoint, read_checkpoint
from pyzero.model.network import NetworkShape, ResNet


def build_model(config: RunConfig, game) -> ResNet:
    """An untrained ResNet of the config's `network` section for `game`'s planes and actions."""
    network = config.network
    return ResNet(NetworkShape.of_game(game), blocks=network.blocks, channels=network.channels,
                  policy_channels=network.policy_channels, value_channels=network.value_channels,
                  value_hidden=network.value_hidden)


def load_network(config: RunConfig, checkpoint: str | Path | None = None, game=None
                 ) -> tuple[torch.nn.Module, Path | None, int | None]:
    """(model in eval mode, checkpoint path or None, learner step or None) for a run config.

    `checkpoint` is a file, a run directory (its latest checkpoint) or None (the config's
    run directory's latest checkpoint, or an untrained network when there is none)."""
    game = game or make_game_from_config(config)
    model = build_model(config, game)
    if checkpoint is None:
        directory = config.run_directory() / "checkpoints"
        found = load_latest_checkpoint(directory, warn=lambda message: None)
    else:
        path = Path(checkpoint)
        if path.is_dir():
            directory = path / "checkpoints" if (path / "checkpoints").is_dir() else path
            found = load_latest_checkpoint(directory, warn=lambda message: None)
            if found is None:
                raise FileNotFoundError(f"{path}: no readable checkpoint")
        elif path.is_file():
            found = (path, read_checkpoint(path))
        else:
            raise FileNotFoundError(f"{path}: no such checkpoint file or run directory")
    if found is None:
        model.eval()
        return model, None, None
    path, payload = found
    model.load_state_dict(payload["learner"]["model"])
    model.eval()
    return model, path, int(payload["learner"].get("step", 0))
