"""A run config's network: built with the config's shape, and loaded from its checkpoints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

import torch

from pyzero.config import RunConfig, make_game_from_config
from pyzero.model.checkpoint import (CheckpointError, list_checkpoints, load_latest_checkpoint, load_weights_into,
                                     model_weights, read_checkpoint, step_of)
from pyzero.model.network import NetworkShape, ResNet
from pyzero.model.network_file import is_network_file_payload, network_config

log = logging.getLogger("pyzero.model")


def build_model(config: RunConfig, game) -> ResNet:
    """An untrained ResNet of the config's `network` section for `game`'s planes and actions."""
    network = config.network
    return ResNet(NetworkShape.of_game(game), blocks=network.blocks, channels=network.channels,
                  policy_channels=network.policy_channels, value_channels=network.value_channels,
                  value_hidden=network.value_hidden, policy_head=network.policy_head,
                  global_pooling_channels=network.global_pooling_channels,
                  opponent_policy_head=network.opponent_policy_head, value_head=network.value_head)


def load_network(config: RunConfig, checkpoint: str | Path | None = None, game=None,
                 warn: Callable[[str], Any] = log.warning) -> tuple[torch.nn.Module, Path | None, int | None]:
    """(model in eval mode, checkpoint path or None, learner step or None) for a run config.

    `checkpoint` is a file (a checkpoint or a network file, whose own architecture is
    built), a run directory (its latest checkpoint) or None (the config's run directory's
    latest checkpoint, or an untrained network when it has no checkpoint file at all). Where the newest checkpoint does not verify and an older one is used,
    `warn` says which and why; where checkpoint files exist but none verifies, that is a
    CheckpointError, never a silent untrained network. A checkpoint of another network's
    shape is a CheckpointError naming the file."""
    game = game or make_game_from_config(config)
    if checkpoint is None:
        directory = config.run_directory() / "checkpoints"
    else:
        path = Path(checkpoint)
        if path.is_dir():
            directory = path / "checkpoints" if (path / "checkpoints").is_dir() else path
        elif path.is_file():
            directory = None
        else:
            raise FileNotFoundError(f"{path}: no such checkpoint file or run directory")
    if directory is None:
        found = (path, read_checkpoint(path))
    else:
        found = load_latest_checkpoint(directory, warn=warn)
        if found is None and list_checkpoints(directory):
            raise CheckpointError(f"{directory}: no checkpoint there verifies (see the warnings above)")
        if found is None and checkpoint is not None:
            raise FileNotFoundError(f"{checkpoint}: no checkpoint")
    if found is None:
        model = build_model(config, game)
        model.eval()
        return model, None, None
    path, payload = found
    if is_network_file_payload(payload):  # it says which network it holds
        config = network_config(payload, config, str(path))
    model = build_model(config, game)
    load_weights_into(model, model_weights(payload, str(path)), str(path))
    model.eval()
    return model, path, step_of(payload)
