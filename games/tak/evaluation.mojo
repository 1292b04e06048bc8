"""A hand-written Tak evaluation for the alpha-beta yardstick (`mojo/search/alphabeta.mojo`).

The score of a position is `total(me) - total(opponent)`, `me` being the side to move,
in centi-flats (100 = one flat on top). For each player p the terms are:

- `flats`: 100 per flat of p on top of a stack, plus komi for the second player (50 per
  half-flat of komi). This is the flat count that decides a flat win.
- `road`: 10 * span^2, where span is the largest, over p's road groups (4-connected
  groups of p's flats and capstones on top), of the number of columns or the number of
  rows the group covers, whichever is more. A group spanning every column or every row is
  a road, so this measures how close p is to one (span 1 scores 10, span 4 on 5x5 160).
- `stacks` (stack control): 40 per wall of p on top; for each stack of two or more
  pieces topped by p, 15 per own piece below the top (support: hard to take) and 10 per
  opponent piece below it (captives).
- `reserves`: 10 per stone (flat or wall) p still has in hand: placing a flat costs 10
  here and gains 100 in `flats`, and a player who empties the hand ends the game.
- `capstone`: per capstone of p on the board, 30 plus 10 times its centrality,
  centrality = (N-1) - (|2r-(N-1)| + |2c-(N-1)|) // 2 (4 at the centre of 5x5, 0 in a
  corner, 2 in the middle of an edge).

`order_key` (move ordering, before the move): flat placements 600, capstone placements
500, stack moves 450, wall placements 300, plus 50 per own top next to the target (or
the moving stack's square) and 10 per unit of centrality there; in the two swap plies
(which place the opponent's flat) 10 per unit of distance from the centre instead, so the
opponent's first flat goes to a corner when the evaluation ties.
"""

from std.bit import pop_count, count_trailing_zeros

from mojo.search.alphabeta import PositionEvaluation
from games.tak.state import TakState
from games.tak.results import _expand
from games.tak.board import _bit

comptime FLAT_WEIGHT = 100
comptime HALF_KOMI_WEIGHT = 50
comptime ROAD_WEIGHT = 10
comptime WALL_WEIGHT = 40
comptime SUPPORT_WEIGHT = 15
comptime CAPTIVE_WEIGHT = 10
comptime RESERVE_WEIGHT = 10
comptime CAPSTONE_WEIGHT = 30
comptime CAPSTONE_CENTRE_WEIGHT = 10


@fieldwise_init
struct TakEvaluationTerms(Copyable, Movable):
    """One player's terms (see the module docstring); `total()` is their sum."""

    var flats: Int
    var road: Int
    var stacks: Int
    var reserves: Int
    var capstone: Int

    def total(self) -> Int:
        return self.flats + self.road + self.stacks + self.reserves + self.capstone


def centrality(state: TakState, square: Int) -> Int:
    """(N-1) - (|2r-(N-1)| + |2c-(N-1)|) // 2: N-1 at the centre, 0 in a corner."""
    var last = state.size - 1
    var row = square // state.size
    var column = square % state.size
    return last - (abs(2 * row - last) + abs(2 * column - last)) // 2


def largest_road_span(state: TakState, player: Int) -> Int:
    """The most columns or rows covered by one 4-connected group of `player`'s road pieces."""
    var remaining = state.tops[player] & ~state.walls
    var best = 0
    var row_mask = _bit(state.size) - 1
    while remaining != 0:
        var group = remaining & (~remaining + 1)  # lowest set bit
        while True:
            var grown = _expand(state, group) & remaining
            if grown == group:
                break
            group = grown
        remaining &= ~group
        var columns: UInt64 = 0
        var rows = 0
        for row in range(state.size):
            var line = (group >> UInt64(row * state.size)) & row_mask
            columns |= line
            if line != 0:
                rows += 1
        best = max(best, max(Int(pop_count(columns)), rows))
    return best


def evaluation_terms(state: TakState, player: Int) -> TakEvaluationTerms:
    """`player`'s terms of the evaluation in `state`."""
    var flats = FLAT_WEIGHT * state.top_flat_count(player)
    if player == 1:
        flats += HALF_KOMI_WEIGHT * state.half_komi
    var span = largest_road_span(state, player)
    var road = ROAD_WEIGHT * span * span
    var mine = state.tops[player]
    var stacks = WALL_WEIGHT * Int(pop_count(mine & state.walls))
    var bits = mine
    while bits != 0:
        var square = Int(count_trailing_zeros(bits))
        bits &= bits - 1
        var height = state.height(square)
        if height < 2:
            continue
        var below = state._stack(square) & ((UInt128(1) << UInt128(height - 1)) - 1)
        var second_player_below = Int(pop_count(below))
        var opponent_below = second_player_below if player == 0 else (height - 1 - second_player_below)
        stacks += SUPPORT_WEIGHT * (height - 1 - opponent_below) + CAPTIVE_WEIGHT * opponent_below
    var reserves = RESERVE_WEIGHT * state.stones_in_reserve(player)
    var capstone = 0
    var caps = mine & state.caps
    while caps != 0:
        var square = Int(count_trailing_zeros(caps))
        caps &= caps - 1
        capstone += CAPSTONE_WEIGHT + CAPSTONE_CENTRE_WEIGHT * centrality(state, square)
    return TakEvaluationTerms(flats, road, stacks, reserves, capstone)


@fieldwise_init
struct TakEvaluation(PositionEvaluation):
    """The evaluation of the module docstring, for `AlphaBetaSearch[TakEvaluation]`."""

    comptime GameType = TakState

    def evaluate(self, state: TakState) -> Int:
        var me = state.to_move()
        return evaluation_terms(state, me).total() - evaluation_terms(state, 1 - me).total()

    def order_key(self, state: TakState, action: Int) -> Int:
        var area = state.area
        var square: Int
        var key: Int
        if action < 3 * area:
            square = action % area
            var piece = action // area
            key = 600 if piece == 0 else (500 if piece == 2 else 300)
        else:
            square = (action - 3 * area) // (4 * ((1 << state.size) - 1))
            key = 450
        if state.ply() < 2:
            # The swap plies place the opponent's flat: as far from the centre as possible.
            return key + 10 * (state.size - 1 - centrality(state, square))
        var neighbours = _expand(state, _bit(square)) & ~_bit(square) & state.tops[state.to_move()]
        return key + 50 * Int(pop_count(neighbours)) + 10 * centrality(state, square)
