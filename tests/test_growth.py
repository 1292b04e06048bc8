"""Growing a trained ResNet into a bigger one (pyzero/model/growth.py): the grown network's
outputs equal the old network's own (the independent truth: the old network, run as it
is), its new parts still learn, and a smaller network is refused naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pyzero.games import make
from pyzero.model import NetworkShape, ResNet, grown_state_dict
from pyzero.model.growth import block_count
from pyzero.training.upgrade import random_play_batch

CONNECT4 = NetworkShape(tuple(make("connect4").input_shape), 7)


def trained_looking(network: ResNet, seed: int) -> ResNet:
    """Norm scales and shifts drawn at random and running statistics taken from real
    positions, so that every copied number matters (a fresh network's norms are the
    identity and its statistics 0 and 1)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.3)
                module.reset_running_stats()
                module.momentum = None  # a cumulative average over the batches below
        network.train()
        for batch in range(4):
            network(connect4_positions(64, seed=seed * 100 + batch))
    return network.eval()


def connect4_positions(count: int, seed: int) -> torch.Tensor:
    """Encoded positions of random Connect4 games (the planes the network really sees)."""
    batch = random_play_batch(make("connect4"), count, 19, np.random.default_rng(seed))
    return torch.from_numpy(batch.planes)


def test_a_grown_network_computes_the_old_networks_outputs():
    old = trained_looking(ResNet(CONNECT4, blocks=2, channels=8, policy_channels=2, value_channels=2,
                                 value_hidden=8), seed=1)
    torch.manual_seed(2)
    new = ResNet(CONNECT4, blocks=5, channels=24, policy_channels=4, value_channels=3, value_hidden=16)
    new.load_state_dict(grown_state_dict(old.state_dict(), new))
    new.eval()
    planes = torch.cat([connect4_positions(64, seed=3), torch.rand(32, *CONNECT4.input_shape)])
    with torch.no_grad():
        old_logits, old_value = old(planes)
        new_logits, new_value = new(planes)
    assert old_logits.abs().max() > 0.1 and old_value.std() > 0.01  # not a trivially constant network
    torch.testing.assert_close(new_logits, old_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(new_value, old_value, rtol=1e-5, atol=1e-5)
    assert block_count(new.state_dict()) == 5


def test_the_grown_networks_new_parts_are_not_dead():
    """New channels carry non-zero activations (their own random weights), so the zeroed
    weights from them into the old outputs get gradients and can learn; a new block's
    last norm scale gets a gradient too."""
    old = trained_looking(ResNet(CONNECT4, blocks=1, channels=8, value_hidden=8), seed=4)
    new = ResNet(CONNECT4, blocks=2, channels=16, value_hidden=8)
    new.load_state_dict(grown_state_dict(old.state_dict(), new))
    new.train()
    logits, value = new(connect4_positions(32, seed=5))
    (logits.square().mean() + value.square().mean()).backward()
    into_old = new.blocks[0].conv1.weight.grad[:8, 8:]
    assert torch.equal(new.blocks[0].conv1.weight.detach()[:8, 8:], torch.zeros_like(into_old))
    assert into_old.abs().sum() > 0
    assert new.blocks[1].norm2.weight.grad.abs().sum() > 0
    assert torch.equal(new.blocks[1].norm2.weight.detach(), torch.zeros(16))


@pytest.mark.parametrize("smaller, parameter", [
    (dict(blocks=2, channels=4, value_hidden=8), "stem.0.weight"),
    (dict(blocks=1, channels=8, value_hidden=8), "blocks.1.conv1.weight"),
    (dict(blocks=2, channels=8, value_hidden=4), "value_head.4.weight"),
])
def test_growing_into_a_smaller_network_is_refused_naming_the_parameter(smaller, parameter):
    old = ResNet(CONNECT4, blocks=2, channels=8, value_hidden=8)
    with pytest.raises(ValueError, match=rf"'{parameter}'"):
        grown_state_dict(old.state_dict(), ResNet(CONNECT4, **smaller))
