"""The model layer: the policy-value network, building it from a run config, and
checkpoint files (written atomically, verified on read), network files (a checkpoint's
weights and config, to share and ship), and growing a trained network into
a bigger one that computes the same function.

Above the config and the games, below inference: a backend runs a model it is given, and
never builds or reads one itself.
"""

from pyzero.model.build import build_model, load_network
from pyzero.model.checkpoint import (
    CheckpointError,
    checkpoint_step,
    find_checkpoint,
    list_checkpoints,
    load_latest_checkpoint,
    load_weights_into,
    model_weights,
    read_checkpoint,
    readable_checkpoints,
    remove_interrupted_writes,
    save_checkpoint,
    write_checkpoint_file,
)
from pyzero.model.growth import grown_state_dict
from pyzero.model.network_file import is_network_file_payload, network_file_payload, write_network_file
from pyzero.model.network import ExactTestNetwork, NetworkShape, ResNet

__all__ = [
    "CheckpointError", "ExactTestNetwork", "NetworkShape", "ResNet", "build_model", "checkpoint_step",
    "find_checkpoint", "grown_state_dict", "list_checkpoints", "load_latest_checkpoint", "load_network",
    "load_weights_into", "model_weights", "read_checkpoint", "readable_checkpoints", "remove_interrupted_writes",
    "save_checkpoint", "write_checkpoint_file", "is_network_file_payload", "network_file_payload",
    "write_network_file",
]
