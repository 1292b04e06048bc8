"""Growing a trained ResNet into a bigger one that computes the same function (Net2Net's
idea, Chen, Goodfellow and Shlens 2016, in its zero-weight form).

An upgraded run (`upgrade.initialize: grown`) starts its bigger network as the old one
instead of from random weights, so it is as good as the old network at its first step
and only has to improve:

- every old weight is copied into the leading slice of the new one (old channels, old
  hidden units, old blocks keep their indices; Flatten lays channels out first, so a
  head's linear layer sees the old features in its leading columns);
- a new channel or hidden unit keeps its random initial weights from its inputs, but its
  weights INTO the old outputs are zero, so the old outputs never see it (it can still
  learn: its outgoing weights get gradients from its non-zero activations);
- a new residual block is the identity: its last batch norm has scale and shift 0, so the
  block adds 0 to its input, and relu(x) = x because every block's input comes out of a
  ReLU. (Goyal et al.'s zero-initialised last norm; its scale still gets gradients.)

Exact in eval mode, where batch norms use their running statistics (inference, search);
in training mode the old channels' batch statistics are the old network's own.
"""

from __future__ import annotations

import re

import torch

_BLOCK_KEY = re.compile(r"^blocks\.(\d+)\.")


def block_count(state: dict) -> int:
    """Residual blocks in a ResNet state dict (`blocks.K.` keys)."""
    indices = {int(match.group(1)) for key in state if (match := _BLOCK_KEY.match(key))}
    return max(indices) + 1 if indices else 0


def grown_state_dict(old_state: dict[str, torch.Tensor], new_model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A state dict for `new_model` (a ResNet at least as large as the one `old_state` is
    from in every dimension) under which it computes the old network's outputs.

    `new_model`'s own (random) weights fill what the old network lacks. Raises ValueError
    naming the parameter where the new network is smaller or shaped otherwise."""
    new_state = {key: value.detach().clone() for key, value in new_model.state_dict().items()}
    old_blocks = block_count(old_state)
    for key, old in old_state.items():
        if key not in new_state:
            raise ValueError(f"the new network has no parameter {key!r} (it has fewer blocks than the old one)")
        new = new_state[key]
        if old.dim() != new.dim() or any(o > n for o, n in zip(old.shape, new.shape)):
            raise ValueError(f"parameter {key!r} is {tuple(old.shape)} in the old network and "
                             f"{tuple(new.shape)} in the new one: a grown network must be as large in every "
                             "dimension")
        if old.dim() >= 2 and old.shape[2:] != new.shape[2:]:
            raise ValueError(f"parameter {key!r}: kernel {tuple(old.shape[2:])} against {tuple(new.shape[2:])}")
        if old.dim() == 0:
            new_state[key] = old.clone()
            continue
        new[tuple(slice(0, size) for size in old.shape)] = old
        if old.dim() >= 2:
            # New inputs (channels, features) feed no old output.
            new[:old.shape[0], old.shape[1]:] = 0
    for key, value in new_state.items():
        match = _BLOCK_KEY.match(key)
        if match and int(match.group(1)) >= old_blocks and key.endswith(("norm2.weight", "norm2.bias")):
            value.zero_()  # a new block adds nothing: it starts as the identity
    return new_state
