"""Tak network input: the planes `TakState.encode` writes.

Input planes (encode), C = 31 planes of N x N, from the side to move's point of view
-------------------------------------------------------------------------------------
- 0, 1, 2: the top piece is the side to move's flat / wall / capstone.
- 3, 4, 5: the top piece is the opponent's flat / wall / capstone.
- 6 .. 19: the pieces under the top: for depth d = 1..7 (d = 1 is right under the top),
  plane 6 + 2*(d-1) is 1 where that piece is the side to move's, 7 + 2*(d-1) where it is
  the opponent's (0 where the stack is not that tall).
- 20, 21: the side to move's / opponent's pieces deeper than depth 7 in the stack,
  min(count, 20) / 20.
- 22, 23: the side to move's stones / capstones in reserve, as a fraction of the start
  counts (0 when the start count is 0); 24, 25: the same for the opponent.
- 26: all ones when the side to move is the second player.
- 27: komi / 4 from the side to move's view (positive when komi is in its favour).
- 28: all ones during the swap opening (plies 1 and 2: the flat placed is the opponent's).
- 29, 30: all ones once the reversible-ply counter (plies since the last placement)
  reaches `reversible_ply_bit1` / `reversible_ply_bit2` (a threshold of 0 is off).
"""

from std.bit import pop_count
from mojo.game import FloatBuffer
from games.tak.board import PIECE_FLAT, PIECE_WALL, PIECE_CAP, _bit
from games.tak.state import TakState

comptime VIEW_DEPTH = 7
comptime NUM_PLANES = 31
comptime PLANE_TOPS = 0
comptime PLANE_UNDER = 6
comptime PLANE_DEEP = 20
comptime PLANE_RESERVES = 22
comptime PLANE_SIDE = 26
comptime PLANE_KOMI = 27
comptime PLANE_OPENING = 28
comptime PLANE_REVERSIBLE = 29


def encode(state: TakState, planes: FloatBuffer):
    var area = state.area
    for i in range(NUM_PLANES * area):
        planes[unsafe_offset=i] = 0.0
    var me = state.to_move()
    var opponent = 1 - me
    for square in range(area):
        var height = Int(state.heights[square])
        if height == 0:
            continue
        var bit = _bit(square)
        var top_colour = state.piece_colour(square, height - 1)
        var kind = PIECE_FLAT
        if (state.walls & bit) != 0:
            kind = PIECE_WALL
        elif (state.caps & bit) != 0:
            kind = PIECE_CAP
        var top_plane = PLANE_TOPS + kind + (0 if top_colour == me else 3)
        planes[unsafe_offset=top_plane * area + square] = 1.0
        var depth = 1
        while depth <= VIEW_DEPTH and depth < height:
            var colour = state.piece_colour(square, height - 1 - depth)
            var plane = PLANE_UNDER + 2 * (depth - 1) + (0 if colour == me else 1)
            planes[unsafe_offset=plane * area + square] = 1.0
            depth += 1
        var deep = height - 1 - VIEW_DEPTH
        if deep > 0:
            var mask = (UInt128(1) << UInt128(deep)) - 1
            var theirs = state._stack(square) & mask
            var count1 = Int(pop_count(UInt64(theirs & 0xFFFFFFFFFFFFFFFF))) + Int(
                pop_count(UInt64(theirs >> 64))
            )
            var count_me = count1 if me == 1 else deep - count1
            var count_opponent = deep - count_me
            planes[unsafe_offset=PLANE_DEEP * area + square] = Float32(min(count_me, 20)) / 20.0
            planes[unsafe_offset=(PLANE_DEEP + 1) * area + square] = Float32(min(count_opponent, 20)) / 20.0
    var values = Array[Float32, 9](fill=0.0)
    values[0] = Float32(state.stones_left[me]) / Float32(state.start_stones)
    values[1] = Float32(state.caps_left[me]) / Float32(state.start_caps) if state.start_caps > 0 else 0.0
    values[2] = Float32(state.stones_left[opponent]) / Float32(state.start_stones)
    values[3] = (
        Float32(state.caps_left[opponent]) / Float32(state.start_caps) if state.start_caps > 0 else 0.0
    )
    values[4] = 1.0 if me == 1 else 0.0
    var komi_view = Float32(state.half_komi) / 8.0
    values[5] = komi_view if me == 1 else -komi_view
    values[6] = 1.0 if state._in_opening() else 0.0
    var bucket = state._reversible_bucket()
    values[7] = 1.0 if (bucket & 1) != 0 else 0.0
    values[8] = 1.0 if (bucket & 2) != 0 else 0.0
    for index in range(9):
        var value = values[index]
        if value != 0.0:
            var base = (PLANE_RESERVES + index) * area
            for square in range(area):
                planes[unsafe_offset=base + square] = value
