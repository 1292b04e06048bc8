"""Tak's hand-written evaluations for the alpha-beta yardstick (`mojo/search/alphabeta.mojo`).

Two evaluations, each a `PositionEvaluation`: `TakRoadEvaluation` (the yardstick's
default, `alphabeta:D`) and `TakSimpleEvaluation` (`alphabeta-simple:D`, the first
yardstick, kept so that figures measured against it still compare). Both score a
position as `total(me) - total(opponent)`, `me` being the side to move, in centi-flats
(100 = one flat on top), and share the move ordering (`tak_order_key`).

The simple evaluation
---------------------
For each player p the terms are:

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

The road evaluation
-------------------
What a real Tak engine weighs: the same `flats` (with komi), `stacks`, `reserves` and
`capstone` terms, and instead of the span, the distance to a road and the threats:

- `road_distance`: the fewest placements that would give p a road (over both
  directions), ignoring the opponent's replies and stack moves: squares topped by p's
  flats or capstone cost 0, empty squares 1, the rest (the opponent's tops, p's walls)
  block. `ROAD_UNREACHABLE` when every path is blocked.
- `road`: `ROAD_DISTANCE_WEIGHT * (N - road_distance)^2` (0 when unreachable): 15 for a
  lone corner flat on an empty 5x5 board, 240 for one placement short.
- `threats`: the empty squares where a placement of p completes a road (`road_distance`
  1, counted by square).
- `centre`: `CENTRE_FLAT_WEIGHT` per unit of centrality of each of p's flats on top
  (early flats in the middle reach more roads).

Then the side to move with a threat has a road in one: `ROAD_IN_ONE_SCORE` (below the
search's win scores, above any other evaluation). Otherwise an opponent's threat must be
answered: `-SINGLE_THREAT_WEIGHT` for one square, `-DOUBLE_THREAT_WEIGHT` for two or more
(a placement blocks one square: usually lost).

Move ordering
-------------
`tak_order_key` (before the move): flat placements 600, capstone placements
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

comptime SIMPLE_EVALUATION = 0
comptime ROAD_EVALUATION = 1
"""The evaluation numbers the bindings take (`alphabeta-simple` and `alphabeta`)."""

comptime FLAT_WEIGHT = 100
comptime HALF_KOMI_WEIGHT = 50
comptime ROAD_WEIGHT = 10
comptime WALL_WEIGHT = 40
comptime SUPPORT_WEIGHT = 15
comptime CAPTIVE_WEIGHT = 10
comptime RESERVE_WEIGHT = 10
comptime CAPSTONE_WEIGHT = 30
comptime CAPSTONE_CENTRE_WEIGHT = 10
comptime ROAD_DISTANCE_WEIGHT = 15
comptime CENTRE_FLAT_WEIGHT = 4
comptime SINGLE_THREAT_WEIGHT = 150
comptime DOUBLE_THREAT_WEIGHT = 3000
comptime ROAD_IN_ONE_SCORE = 500000
"""Below the search's WIN_THRESHOLD: a road found by the search still counts for more."""
comptime ROAD_UNREACHABLE = 99


@fieldwise_init
struct TakEvaluationTerms(Copyable, Movable):
    """One player's terms of the simple evaluation (see the module docstring); `total()` is their sum."""

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


def flat_term(state: TakState, player: Int) -> Int:
    """100 per flat of `player` on top, plus komi for the second player (both evaluations)."""
    var flats = FLAT_WEIGHT * state.top_flat_count(player)
    if player == 1:
        flats += HALF_KOMI_WEIGHT * state.half_komi
    return flats


def stack_term(state: TakState, player: Int) -> Int:
    """Walls on top, and support and captives under `player`'s tops (both evaluations)."""
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
    return stacks


def capstone_term(state: TakState, player: Int) -> Int:
    """30 plus 10 per unit of centrality for each of `player`'s capstones on the board."""
    var capstone = 0
    var caps = state.tops[player] & state.caps
    while caps != 0:
        var square = Int(count_trailing_zeros(caps))
        caps &= caps - 1
        capstone += CAPSTONE_WEIGHT + CAPSTONE_CENTRE_WEIGHT * centrality(state, square)
    return capstone


def simple_evaluation_terms(state: TakState, player: Int) -> TakEvaluationTerms:
    """`player`'s terms of the simple evaluation in `state`."""
    var span = largest_road_span(state, player)
    return TakEvaluationTerms(
        flat_term(state, player),
        ROAD_WEIGHT * span * span,
        stack_term(state, player),
        RESERVE_WEIGHT * state.stones_in_reserve(player),
        capstone_term(state, player),
    )


def _grow_within(state: TakState, start: UInt64, through: UInt64) -> UInt64:
    """`start` and every square of `through` 4-connected to it through `through`."""
    var reach = start
    while True:
        var grown = (_expand(state, reach) & through) | reach
        if grown == reach:
            return reach
        reach = grown


def road_distance(state: TakState, player: Int) -> Int:
    """The fewest placements on empty squares that would give `player` a road (0: it has
    one), ignoring stack moves and the opponent; `ROAD_UNREACHABLE` when blocked.

    Layer k of a 0-1 breadth-first search: every square reachable from the first edge
    with at most k empty squares on the way (the player's road tops cost nothing).
    """
    var own = state.tops[player] & ~state.walls
    var empty = state.board_mask & ~state._occupied()
    var best = ROAD_UNREACHABLE
    for direction in range(2):
        var source = state.left_edge if direction == 0 else state.bottom_edge
        var target = state.right_edge if direction == 0 else state.top_edge
        var reach = _grow_within(state, source & own, own)
        var placements = 0
        while placements < best:
            if (reach & target) != 0:
                best = placements
                break
            var frontier = ((_expand(state, reach) | source) & empty) & ~reach
            if frontier == 0:
                break
            reach = _grow_within(state, reach | frontier, own | reach | frontier)
            placements += 1
    return best


def road_threat_squares(state: TakState, player: Int) -> UInt64:
    """The empty squares where one placement of `player`'s flat (or capstone) completes a road."""
    var own = state.tops[player] & ~state.walls
    var empty = state.board_mask & ~state._occupied()
    var threats: UInt64 = 0
    for direction in range(2):
        var source = state.left_edge if direction == 0 else state.bottom_edge
        var target = state.right_edge if direction == 0 else state.top_edge
        var from_source = _grow_within(state, source & own, own)
        var from_target = _grow_within(state, target & own, own)
        threats |= empty & (_expand(state, from_source) | source) & (_expand(state, from_target) | target)
    return threats


@fieldwise_init
struct TakRoadTerms(Copyable, Movable):
    """One player's terms of the road evaluation (see the module docstring); `total()` is
    the sum of the scored ones (`road_distance` and `threats` are what `road` and the
    threat adjustment are made from)."""

    var flats: Int
    var centre: Int
    var road_distance: Int
    var road: Int
    var threats: Int
    var stacks: Int
    var reserves: Int
    var capstone: Int

    def total(self) -> Int:
        return self.flats + self.centre + self.road + self.stacks + self.reserves + self.capstone


def road_evaluation_terms(state: TakState, player: Int) -> TakRoadTerms:
    """`player`'s terms of the road evaluation in `state`."""
    var centre = 0
    var flats = state.tops[player] & ~(state.walls | state.caps)
    while flats != 0:
        var square = Int(count_trailing_zeros(flats))
        flats &= flats - 1
        centre += CENTRE_FLAT_WEIGHT * centrality(state, square)
    var distance = road_distance(state, player)
    var road = 0
    if distance < state.size:
        road = ROAD_DISTANCE_WEIGHT * (state.size - distance) * (state.size - distance)
    var threats = Int(pop_count(road_threat_squares(state, player)))
    return TakRoadTerms(
        flat_term(state, player),
        centre,
        distance,
        road,
        threats,
        stack_term(state, player),
        RESERVE_WEIGHT * state.stones_in_reserve(player),
        capstone_term(state, player),
    )


def road_evaluation(state: TakState) -> Int:
    """The road evaluation of `state` for the side to move (module docstring)."""
    var me = state.to_move()
    if state.ply() >= 2 and road_threat_squares(state, me) != 0:
        return ROAD_IN_ONE_SCORE
    var mine = road_evaluation_terms(state, me)
    var theirs = road_evaluation_terms(state, 1 - me)
    var score = mine.total() - theirs.total()
    if theirs.threats >= 2:
        score -= DOUBLE_THREAT_WEIGHT
    elif theirs.threats == 1:
        score -= SINGLE_THREAT_WEIGHT
    return score


def tak_order_key(state: TakState, action: Int) -> Int:
    """The move-ordering key of the module docstring, higher first."""
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


@fieldwise_init
struct TakSimpleEvaluation(PositionEvaluation):
    """The simple evaluation (`alphabeta-simple:D`), for `AlphaBetaSearch[TakSimpleEvaluation]`."""

    comptime GameType = TakState

    def evaluate(self, state: TakState) -> Int:
        var me = state.to_move()
        return simple_evaluation_terms(state, me).total() - simple_evaluation_terms(state, 1 - me).total()

    def order_key(self, state: TakState, action: Int) -> Int:
        return tak_order_key(state, action)


@fieldwise_init
struct TakRoadEvaluation(PositionEvaluation):
    """The road evaluation (`alphabeta:D`), for `AlphaBetaSearch[TakRoadEvaluation]`."""

    comptime GameType = TakState

    def evaluate(self, state: TakState) -> Int:
        return road_evaluation(state)

    def order_key(self, state: TakState, action: Int) -> Int:
        return tak_order_key(state, action)
