"""Policy-value networks (PyTorch): the AlphaZero ResNet, and an exact test network.

Inputs are the games' encodings, float32 `[B, C, H, W]`; outputs are policy logits over
the game's whole action space `[B, A]` (the search reads them at the legal actions) and
a value in (-1, 1) for the side to move `[B]`.

Two policy heads (`network.policy_head`): `dense`, AlphaZero's 1x1 convolution to
`policy_channels` planes and one linear layer onto every action, and `planes`, a 3x3
convolution and a 1x1 convolution onto the game's move-shaped planes
(`pyzero.games.policy_planes`), read at each action's square and kind, plus a bias per
action. The dense layer has `policy_channels * H * W * A` weights (2.6 M for Tak 6x6,
97% of a 4-block, 32-channel network) and learns each square's moves apart; the planes
head has `9 * C * C + C * planes + A` and shares what it learns across the board, as
KataGo's and lc0's heads do.

With `network.global_pooling_channels` above 0, every second residual block also pools
part of its features over the whole board into a bias for every square
(`GlobalPoolingResidualBlock`).

Two value heads (`network.value_head`): `scalar`, AlphaZero's tanh value, and `wdl`,
lc0's win/draw/loss head: three logits whose softmax gives the chances of a win, a draw
and a loss for the side to move. `forward` returns the value W - L either way, so the
search, inference and exported files see one value; training reads the logits
(`forward_for_training`) and tells a drawn position from an unclear one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pyzero.games.policy_planes import PolicyPlaneLayout, policy_plane_layout


@dataclass(frozen=True)
class NetworkShape:
    """What a network must fit: the game's input planes and its action space."""

    input_shape: tuple[int, int, int]
    num_actions: int
    # Where each action lies on move-shaped board planes; None where the game has no such
    # layout (only the dense policy head fits it).
    policy_layout: PolicyPlaneLayout | None = None

    @classmethod
    def of_game(cls, game) -> "NetworkShape":
        input_shape = tuple(game.input_shape)
        return cls(input_shape, game.num_actions, policy_plane_layout(game.name, input_shape, game.num_actions))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.norm1(self.conv1(x)))
        return torch.relu(x + self.norm2(self.conv2(y)))


class GlobalPoolingResidualBlock(ResidualBlock):
    """A residual block that also sees the whole board (KataGo's global pooling bias, Wu
    2019): after its first convolution, the first `pooled_channels` channels `[B, P, H, W]`
    are averaged and maximised over the board, and a linear layer of those `[B, 2P]` adds a
    bias to every channel `[B, C, 1, 1]` before the second convolution. A small network
    then knows board-wide facts (a road about to close anywhere, the flat count, what is
    left in hand) in every square. The linear layer starts at zero: a new block computes
    what a plain one does, and learns how much the board-wide view adds."""

    def __init__(self, channels: int, pooled_channels: int):
        super().__init__(channels)
        if not 1 <= pooled_channels <= channels:
            raise ValueError(f"pooled_channels must be 1 to {channels}, got {pooled_channels}")
        self.pooled_channels = pooled_channels
        self.pool_bias = nn.Linear(2 * pooled_channels, channels)
        nn.init.zeros_(self.pool_bias.weight)
        nn.init.zeros_(self.pool_bias.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.norm1(self.conv1(x)))
        pooled = y[:, :self.pooled_channels]
        summary = torch.cat([pooled.mean(dim=(2, 3)), pooled.amax(dim=(2, 3))], dim=1)
        y = y + self.pool_bias(summary)[:, :, None, None]
        return torch.relu(x + self.norm2(self.conv2(y)))


def residual_blocks(blocks: int, channels: int, global_pooling_channels: int) -> nn.Sequential:
    """The trunk's blocks: plain ones, with every second block (the 2nd, 4th, ...) a
    global pooling block when `global_pooling_channels` is above 0."""
    return nn.Sequential(*[
        GlobalPoolingResidualBlock(channels, global_pooling_channels)
        if global_pooling_channels > 0 and index % 2 == 1 else ResidualBlock(channels)
        for index in range(blocks)])


class PlanePolicyHead(nn.Module):
    """Policy logits `[B, A]` from trunk features `[B, C, H, W]`: a 3x3 convolution, batch
    norm and ReLU, a 1x1 convolution onto the layout's planes `[B, P, H, W]`, each action
    read at its plane and square (the layout's segments, by reshapes), plus a learned bias
    per action (what a square's position on the board alone says, such as a corner's)."""

    def __init__(self, channels: int, layout: PolicyPlaneLayout):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(channels)
        self.planes = nn.Conv2d(channels, layout.planes, 1, bias=False)
        self.action_bias = nn.Parameter(torch.zeros(len(layout.index)))
        self.segments = layout.segments

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        maps = self.planes(torch.relu(self.norm(self.conv(features))))
        parts = []
        for segment in self.segments:
            block = maps[:, segment.first:segment.first + segment.count]
            parts.append((block.permute(0, 2, 3, 1) if segment.square_major else block).flatten(1))
        logits = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return logits + self.action_bias


class ResNet(nn.Module):
    """AlphaZero's network: a convolutional stem, residual blocks, policy and value heads."""

    def __init__(self, shape: NetworkShape, blocks: int = 6, channels: int = 64,
                 policy_channels: int = 8, value_channels: int = 4, value_hidden: int = 64,
                 policy_head: str = "dense", global_pooling_channels: int = 0,
                 opponent_policy_head: bool = False, value_head: str = "scalar"):
        super().__init__()
        planes, height, width = shape.input_shape
        self.shape = shape
        self.stem = nn.Sequential(nn.Conv2d(planes, channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels), nn.ReLU())
        self.blocks = residual_blocks(blocks, channels, global_pooling_channels)
        self.policy_head = policy_head_module(policy_head, shape, channels, policy_channels)
        # Training only (KataGo's auxiliary policy target): the opponent's reply, predicted
        # from the same features; inference never runs it.
        self.opponent_policy_head = (policy_head_module(policy_head, shape, channels, policy_channels)
                                     if opponent_policy_head else None)
        if value_head not in ("scalar", "wdl"):
            raise ValueError(f"value_head must be 'scalar' or 'wdl', got {value_head!r}")
        self.value_head_kind = value_head
        value_output = [nn.Linear(value_hidden, 1), nn.Tanh()] if value_head == "scalar" else [nn.Linear(value_hidden, 3)]
        self.value_head = nn.Sequential(nn.Conv2d(channels, value_channels, 1, bias=False),
                                        nn.BatchNorm2d(value_channels), nn.ReLU(), nn.Flatten(),
                                        nn.Linear(value_channels * height * width, value_hidden), nn.ReLU(),
                                        *value_output)

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(policy logits [B, A], value [B]): what inference runs (and torch.fx traces)."""
        features = self.blocks(self.stem(planes))
        return self.policy_head(features), self.value_of_head_output(self.value_head(features))

    def value_of_head_output(self, output: torch.Tensor) -> torch.Tensor:
        """The value [B] in (-1, 1) of the value head's output ([B, 1] tanh, or [B, 3]
        win/draw/loss logits: W - L of their softmax)."""
        if self.value_head_kind == "wdl":
            chances = torch.softmax(output.float(), dim=-1)
            return (chances[:, 0] - chances[:, 2]).to(output.dtype)
        return output.squeeze(-1)

    def forward_for_training(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(policy logits [B, A], the value head's training output, the opponent's reply
        logits [B, A] or None without that head). The value output is the value [B] of a
        scalar head, the win/draw/loss logits [B, 3] of a wdl head."""
        features = self.blocks(self.stem(planes))
        value = self.value_head(features)
        value = value if self.value_head_kind == "wdl" else value.squeeze(-1)
        opponent = self.opponent_policy_head(features) if self.opponent_policy_head is not None else None
        return self.policy_head(features), value, opponent


def policy_head_module(kind: str, shape: NetworkShape, channels: int, policy_channels: int) -> nn.Module:
    """A policy head (`network.policy_head`): trunk features [B, C, H, W] to logits [B, A]."""
    if kind == "planes":
        if shape.policy_layout is None:
            raise ValueError("this game's actions have no move-shaped layout (pyzero.games.policy_planes): "
                             "use the dense policy head")
        return PlanePolicyHead(channels, shape.policy_layout)
    if kind == "dense":
        _, height, width = shape.input_shape
        return nn.Sequential(nn.Conv2d(channels, policy_channels, 1, bias=False),
                             nn.BatchNorm2d(policy_channels), nn.ReLU(), nn.Flatten(),
                             nn.Linear(policy_channels * height * width, shape.num_actions))
    raise ValueError(f"policy_head must be 'dense' or 'planes', got {kind!r}")


class ExactTestNetwork(nn.Module):
    """A tiny deterministic network for tests: small integer weights over 0/1 planes, so
    float32 arithmetic is exact and every row's output is independent of the batch it
    is computed in (no summation-order effects). Not for learning."""

    def __init__(self, shape: NetworkShape, seed: int = 0):
        super().__init__()
        self.shape = shape
        generator = torch.Generator().manual_seed(seed)
        size = shape.input_shape[0] * shape.input_shape[1] * shape.input_shape[2]
        self.register_buffer("policy_weights", torch.randint(-3, 4, (size, shape.num_actions), generator=generator).float())
        self.register_buffer("value_weights", torch.randint(-3, 4, (size,), generator=generator).float())

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = planes.reshape(planes.shape[0], -1)
        logits = flat @ self.policy_weights * 0.25  # a power of two keeps it exact
        # Piecewise linear, not tanh: vectorised and scalar tanh may differ in the last bit.
        values = torch.clamp((flat @ self.value_weights) * 0.0625, -0.9375, 0.9375)
        return logits, values
