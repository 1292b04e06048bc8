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


TRAINING_ONLY_HEADS = ("opponent_policy_head",)
"""Network options whose heads only training runs: a player never reads them."""


def with_recorded_training_only_heads(payload: dict, config: RunConfig) -> RunConfig:
    """`config` with the training-only heads the checkpoint `payload` was trained with (as
    its recorded config says; absent: off), so that a checkpoint from before a config
    turned such a head on or off still plays under it. Every other network option must
    still fit."""
    recorded = payload.get("config") if isinstance(payload, dict) else None
    network = recorded.get("network") if isinstance(recorded, dict) else None
    if not isinstance(network, dict):
        return config
    heads = {name: network.get(name, False) for name in TRAINING_ONLY_HEADS}
    if not all(isinstance(value, bool) for value in heads.values()):
        return config
    return config.model_copy(update={"network": config.network.model_copy(update=heads)})


def with_own_training_only_heads(weights: dict[str, torch.Tensor], model: torch.nn.Module
                                 ) -> dict[str, torch.Tensor]:
    """`weights` fitted to `model`'s training-only heads: the model's own (initial) head
    parameters where the weights have none, and none of the weights' head parameters that
    the model does not have. A run can then start from a network trained with or without
    such a head (a new head learns from its initialisation)."""
    own = model.state_dict()
    prefixes = tuple(f"{name}." for name in TRAINING_ONLY_HEADS)
    fitted = {name: tensor for name, tensor in weights.items() if not name.startswith(prefixes) or name in own}
    fitted.update({name: tensor for name, tensor in own.items() if name.startswith(prefixes) and name not in fitted})
    return fitted


def load_network(config: RunConfig, checkpoint: str | Path | None = None, game=None,
                 warn: Callable[[str], Any] = log.warning) -> tuple[torch.nn.Module, Path | None, int | None]:
    """(model in eval mode, checkpoint path or None, learner step or None) for a run config.

    `checkpoint` is a file (a checkpoint or a network file, whose own architecture is
    built), a run directory (its latest checkpoint) or None (the config's run directory's
    latest checkpoint, or an untrained network when it has no checkpoint file at all). Where the newest checkpoint does not verify and an older one is used,
    `warn` says which and why; where checkpoint files exist but none verifies, that is a
    CheckpointError, never a silent untrained network. A checkpoint of another network's
    shape is a CheckpointError naming the file; one that differs only in a training-only
    head (`TRAINING_ONLY_HEADS`) is built with its own."""
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
    else:
        config = with_recorded_training_only_heads(payload, config)
    model = build_model(config, game)
    load_weights_into(model, model_weights(payload, str(path)), str(path))
    model.eval()
    return model, path, step_of(payload)
