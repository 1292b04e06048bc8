"""Move-shaped policy layouts: where each action index lies on a stack of board planes.

A convolutional policy head (`network.policy_head: planes`) outputs `planes` maps of the
board, `[planes, H, W]`, one per kind of move, and reads action `a`'s logit at
`index[a]` of that output flattened (`plane * H * W + square`, squares row-major as in
the games' input planes). Such a head shares what it learns about a kind of move across
the board, where a dense layer learns each square's moves apart.

- TicTacToe: one plane; action = square.
- Tak (N x N): 3 placement planes (flat, wall, capstone: action = piece * N*N + square),
  then 4 x (2^N - 1) stack-move planes, one per direction and drop pattern (action =
  3*N*N + (square * 4 + direction) * (2^N - 1) + pattern, games/tak/actions.mojo), so
  stack move (square, direction, pattern) lies on plane 3 + direction * (2^N - 1) + pattern.

Games whose actions are not one per square and kind (Connect4's columns; chess's
under-promotions) have no layout here, and keep the dense head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PolicyPlaneLayout:
    """`planes` board maps and, for each action, its position in them flattened."""

    planes: int
    index: tuple[int, ...]  # [num_actions]: plane * H * W + square


def policy_plane_layout(game_name: str, input_shape: tuple[int, int, int], num_actions: int
                        ) -> PolicyPlaneLayout | None:
    """The layout of `game_name`'s actions on board planes (module docstring), or None
    where the game has none. `input_shape` is the game's `[C, H, W]`."""
    _, height, width = input_shape
    area = height * width
    if game_name == "tictactoe" and num_actions == area:
        return PolicyPlaneLayout(1, tuple(range(area)))
    if game_name == "tak" and height == width:
        size = height
        patterns = (1 << size) - 1
        placements = 3 * area
        if num_actions != placements + 4 * area * patterns:
            raise ValueError(f"tak {size}x{size}: {num_actions} actions, not the layout's "
                             f"{placements + 4 * area * patterns}")
        spread = np.arange(num_actions - placements)
        square, kind = spread // (4 * patterns), spread % (4 * patterns)
        index = np.concatenate([np.arange(placements), (3 + kind) * area + square])
        return PolicyPlaneLayout(3 + 4 * patterns, tuple(int(value) for value in index))
    return None
