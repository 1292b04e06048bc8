"""Move-shaped policy layouts: where each action index lies on a stack of board planes.

A convolutional policy head (`network.policy_head: planes`) outputs `planes` maps of the
board, `[planes, H, W]`, one per kind of move, and reads action `a`'s logit at
`index[a]` of that output flattened (`plane * H * W + square`, squares row-major as in
the games' input planes). Action indices run in segments of planes, each flattened
plane-major or square-major, so the head reads them with reshapes and one concatenation
(a gather over the action axis ran ONNX Runtime at half the speed). Such a head shares what it learns about a kind of move across
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
class PlaneSegment:
    """Consecutive actions covering planes `first .. first + count - 1`: plane-major (all
    squares of one plane, then the next: action = first action + plane * area + square)
    or, with `square_major`, square-major (all planes of one square, then the next:
    action = first action + square * count + plane)."""

    first: int
    count: int
    square_major: bool


@dataclass(frozen=True)
class PolicyPlaneLayout:
    """`planes` board maps and how the actions, in index order, lie on them: segments in
    order, each a run of planes flattened plane-major or square-major (a network reads
    them with reshapes alone, no gather)."""

    planes: int
    area: int
    segments: tuple[PlaneSegment, ...]

    @property
    def index(self) -> tuple[int, ...]:
        """For each action, its position in the planes flattened: plane * area + square."""
        index: list[int] = []
        for segment in self.segments:
            planes = np.arange(segment.first, segment.first + segment.count)
            squares = np.arange(self.area)
            grid = planes[None, :] * self.area + squares[:, None] if segment.square_major \
                else planes[:, None] * self.area + squares[None, :]
            index.extend(int(value) for value in grid.reshape(-1))
        return tuple(index)


def policy_plane_layout(game_name: str, input_shape: tuple[int, int, int], num_actions: int
                        ) -> PolicyPlaneLayout | None:
    """The layout of `game_name`'s actions on board planes (module docstring), or None
    where the game has none. `input_shape` is the game's `[C, H, W]`."""
    _, height, width = input_shape
    area = height * width
    if game_name == "tictactoe" and num_actions == area:
        return PolicyPlaneLayout(1, area, (PlaneSegment(0, 1, False),))
    if game_name == "tak" and height == width:
        size = height
        patterns = (1 << size) - 1
        placements = 3 * area
        if num_actions != placements + 4 * area * patterns:
            raise ValueError(f"tak {size}x{size}: {num_actions} actions, not the layout's "
                             f"{placements + 4 * area * patterns}")
        # Placements: piece * area + square (plane-major); stack moves: (square * 4 +
        # direction) * patterns + pattern, all of a square's moves together (square-major).
        return PolicyPlaneLayout(3 + 4 * patterns, area,
                                 (PlaneSegment(0, 3, False), PlaneSegment(3, 4 * patterns, True)))
    return None
