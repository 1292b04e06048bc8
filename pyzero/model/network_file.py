"""Network files: one trained network to share, ship or start a run from.

A network file is a checkpoint file (pyzero/model/checkpoint.py: a safetensors file whose
metadata is JSON, read without running code) whose payload holds only what plays: the
network's weights (`learner.model`), the learner step they come from, and the config of
the run that trained them (its `game` and `network` sections say what the weights are; the
rest records how they were trained). No optimiser state, no replay, no random states.

Because the file says which network it holds, it loads without that run's config:
`network_config(payload)` is the architecture to build, and every `--checkpoint` takes a
network file as well as a checkpoint. Weights may be stored in float16 (half the bytes;
their policies and values agree with float32's, `tests/test_network_files.py`), and are
loaded into the float32 network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pyzero.config import NetworkSection, RunConfig
from pyzero.model.checkpoint import CheckpointError, model_weights, step_of, write_checkpoint_file

NETWORK_FILE_KIND = "pyzero-network"
PRECISIONS = {"float32": torch.float32, "float16": torch.float16}
# Normalisation statistics keep float32: a variance can be far outside float16's range.
_FLOAT32_ONLY_SUFFIXES = ("running_mean", "running_var")


def is_network_file_payload(payload: dict[str, Any]) -> bool:
    return payload.get("kind") == NETWORK_FILE_KIND


def network_file_payload(checkpoint_payload: dict[str, Any], where: str, precision: str = "float16"
                         ) -> dict[str, Any]:
    """The payload of a network file made from a checkpoint's (or a network file's) payload:
    its weights in `precision` (float32 | float16), its step and its run's config."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    config = checkpoint_payload.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{where}: the checkpoint records no config, so a network file cannot say which "
                              "network it holds")
    weights = {}
    for name, tensor in model_weights(checkpoint_payload, where).items():
        keep_float32 = name.endswith(_FLOAT32_ONLY_SUFFIXES) or not tensor.is_floating_point()
        weights[name] = tensor.detach().cpu().contiguous() if keep_float32 else \
            tensor.detach().cpu().to(PRECISIONS[precision]).contiguous()
    return {"kind": NETWORK_FILE_KIND, "config": config,
            "learner": {"model": weights, "step": step_of(checkpoint_payload)}}


def write_network_file(destination: Path, checkpoint_payload: dict[str, Any], where: str,
                       precision: str = "float16") -> Path:
    """Writes the network file of `checkpoint_payload` to `destination`, atomically."""
    return write_checkpoint_file(Path(destination), network_file_payload(checkpoint_payload, where, precision))


def network_config(payload: dict[str, Any], config: RunConfig, where: str) -> RunConfig:
    """`config` with the `network` section of the run that wrote `payload` (a checkpoint or
    a network file), so the network built from it fits the file's weights. A payload
    without a recorded config leaves `config` as it is; one for another game is a
    CheckpointError naming `where`."""
    recorded = payload.get("config")
    if not isinstance(recorded, dict):
        return config
    game = recorded.get("game")
    if isinstance(game, dict) and game.get("name") not in (None, config.game.name):
        raise CheckpointError(f"{where}: the network plays {game.get('name')}, not {config.game.name}")
    try:
        network = NetworkSection.model_validate(recorded.get("network", {}))
    except ValueError as error:
        raise CheckpointError(f"{where}: its recorded network section is not valid: "
                              f"{str(error).splitlines()[0]}") from None
    return config.model_copy(update={"network": network})
