"""Global pooling blocks (pyzero/model/network.py, `network.global_pooling_channels`),
against a hand-written forward pass, against the receptive field of plain convolutions,
and against the plain network it grows from."""

from __future__ import annotations

import pytest
import torch

from pyzero.config import ConfigError, validate_config
from pyzero.model import NetworkShape, ResNet, grown_state_dict
from pyzero.model.network import GlobalPoolingResidualBlock, ResidualBlock

# A 7x7 board with 2 input planes and an action per square: wide enough that a corner is
# out of reach of the far corner through one block's convolutions.
SHAPE = NetworkShape((2, 7, 7), 49)


def test_the_block_adds_a_bias_from_the_pooled_channels_means_and_maxima():
    torch.manual_seed(0)
    block = GlobalPoolingResidualBlock(channels=6, pooled_channels=2).eval()
    with torch.no_grad():
        block.pool_bias.weight.normal_()
        block.pool_bias.bias.normal_()
    x = torch.randn(3, 6, 5, 5).relu()
    # Written out: y = relu(bn1(conv1 x)); the first 2 channels' board mean and max, a
    # linear map of those 4 numbers added to each channel of y; then the plain block's end.
    with torch.no_grad():
        y = torch.relu(block.norm1(block.conv1(x)))
        for sample in range(3):
            features = [y[sample, 0].mean(), y[sample, 1].mean(), y[sample, 0].max(), y[sample, 1].max()]
            for channel in range(6):
                bias = block.pool_bias.bias[channel] + sum(
                    block.pool_bias.weight[channel, k] * features[k] for k in range(4))
                y[sample, channel] += bias
        expected = torch.relu(x + block.norm2(block.conv2(y)))
        torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)


def test_a_new_pooling_block_computes_what_a_plain_block_does():
    torch.manual_seed(1)
    pooled = GlobalPoolingResidualBlock(channels=8, pooled_channels=4).eval()
    plain = ResidualBlock(8).eval()
    plain.load_state_dict({key: value for key, value in pooled.state_dict().items()
                           if not key.startswith("pool_bias.")})
    x = torch.randn(4, 8, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(pooled(x), plain(x))


def far_corner_influence(network: ResNet) -> float:
    """How much the trunk's features at square a1 move when only the far corner's input
    changes (all channels; the features themselves must not be all zero)."""
    torch.manual_seed(2)
    planes = (torch.rand(1, *SHAPE.input_shape) < 0.5).float()
    changed = planes.clone()
    changed[0, :, 6, 6] = 1.0 - changed[0, :, 6, 6]
    with torch.no_grad():
        before = network.blocks(network.stem(planes))[0, :, 0, 0]
        after = network.blocks(network.stem(changed))[0, :, 0, 0]
    assert before.abs().sum() > 0
    return (after - before).abs().sum().item()


def test_pooling_lets_a_square_see_the_far_corner_that_plain_convolutions_cannot():
    # The stem's 3x3 convolution and two blocks of two more reach 5 squares out: a1 (0, 0)
    # cannot see (6, 6) in a plain trunk, and sees it through the pooled bias.
    torch.manual_seed(4)
    plain = ResNet(SHAPE, blocks=2, channels=8).eval()
    assert far_corner_influence(plain) == 0.0
    pooled = ResNet(SHAPE, blocks=2, channels=8, global_pooling_channels=4)
    pooled.load_state_dict(plain.state_dict(), strict=False)
    with torch.no_grad():
        pooled.blocks[1].pool_bias.weight.normal_()
    assert isinstance(pooled.blocks[1], GlobalPoolingResidualBlock)
    assert not isinstance(pooled.blocks[0], GlobalPoolingResidualBlock)
    assert far_corner_influence(pooled.eval()) > 1e-4


def test_a_plain_network_grows_into_a_pooling_one_that_computes_the_same():
    torch.manual_seed(3)
    old = ResNet(SHAPE, blocks=2, channels=8, policy_channels=2, value_channels=2, value_hidden=8).eval()
    new = ResNet(SHAPE, blocks=4, channels=8, policy_channels=2, value_channels=2, value_hidden=8,
                 global_pooling_channels=4)
    new.load_state_dict(grown_state_dict(old.state_dict(), new))
    new.eval()
    planes = torch.rand(16, *SHAPE.input_shape)
    with torch.no_grad():
        for got, expected in zip(new(planes), old(planes)):
            torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_more_pooled_channels_than_channels_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"network.global_pooling_channels \(40\) is more than network.channels"):
        validate_config({"game": {"name": "tictactoe"}, "network": {"channels": 32, "global_pooling_channels": 40}})
