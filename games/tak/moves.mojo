"""Tak move generation and application: legal actions, their count, legality, playing one.

Stack moves are generated from rays: the free squares before a blocker or the edge (and
whether the blocker is a wall a lone capstone can flatten), with the counts of drop
patterns per (carry, free squares) precomputed in two tables. The action indices are laid
out in `actions.mojo`; `TakState`'s `Game` methods call the functions here.
"""

from std.bit import pop_count, count_trailing_zeros
from mojo.zobrist import zobrist_key
from games.tak.board import (
    MAX_SIZE,
    PIECE_FLAT,
    PIECE_WALL,
    PIECE_CAP,
    DIRECTION_UP,
    DIRECTION_DOWN,
    DIRECTION_RIGHT,
    ZOBRIST_WALL,
    ZOBRIST_CAP,
    ZOBRIST_SIDE,
    ZOBRIST_STONES,
    ZOBRIST_CAPS,
    ZOBRIST_REVERSIBLE,
    _bit,
    _piece_key,
)
from games.tak.actions import _pattern_carry, _pattern_cuts
from games.tak.results import END_NONE, update_result
from games.tak.state import TakState


def _make_spread_table(flatten: Bool) -> SIMD[DType.uint16, 128]:
    """Counts drop patterns by (carry limit k, free squares r), entry k * 8 + r.

    Without `flatten`: patterns of carry 1..k over at most r squares. With `flatten`: the
    patterns that cover r free squares and then drop exactly one piece on a wall.
    """
    var table = SIMD[DType.uint16, 128](0)
    for k in range(MAX_SIZE + 1):
        for r in range(MAX_SIZE):
            var total = 0
            for c in range(1, k + 1):
                for cuts in range(1 << (c - 1)):
                    var parts = pop_count(cuts) + 1
                    if flatten:
                        if parts == r + 1 and (c == 1 or ((cuts >> (c - 2)) & 1) == 1):
                            total += 1
                    elif parts <= r:
                        total += 1
            table[k * 8 + r] = UInt16(total)
    return table


comptime NORMAL_SPREADS = _make_spread_table(False)
comptime FLATTEN_SPREADS = _make_spread_table(True)


# ---------------------------------------------------------------------- move generation


@always_inline
def _edge_distance(state: TakState, square: Int, direction: Int) -> Int:
    var row = square // state.size
    var column = square - row * state.size
    if direction == DIRECTION_UP:
        return state.size - 1 - row
    if direction == DIRECTION_DOWN:
        return row
    if direction == DIRECTION_RIGHT:
        return state.size - 1 - column
    return column


@always_inline
def _step(state: TakState, direction: Int) -> Int:
    if direction == DIRECTION_UP:
        return state.size
    if direction == DIRECTION_DOWN:
        return -state.size
    if direction == DIRECTION_RIGHT:
        return 1
    return -1


@always_inline
def _ray(state: TakState, square: Int, direction: Int, blockers: UInt64) -> Int:
    """Free squares r before a blocker or the edge, plus 16 when the blocker is a wall."""
    var steps = _edge_distance(state, square, direction)
    var delta = _step(state, direction)
    var current = square
    var free = 0
    while free < steps:
        current += delta
        var bit = _bit(current)
        if (blockers & bit) != 0:
            if (state.walls & bit) != 0:
                return free | 16
            return free
        free += 1
    return free


def _placement_count(state: TakState) -> Int:
    var empty = Int(pop_count(state.board_mask & ~state._occupied()))
    if state._in_opening():
        return empty
    var me = state.to_move()
    var total = 0
    if state.stones_left[me] > 0:
        total += 2 * empty
    if state.caps_left[me] > 0:
        total += empty
    return total


def count_legal_actions(state: TakState) -> Int:
    if state.end_reason != END_NONE:
        return 0
    var total = _placement_count(state)
    if state._in_opening():
        return total
    var normal = materialize[NORMAL_SPREADS]()
    var flatten = materialize[FLATTEN_SPREADS]()
    var blockers = state.walls | state.caps
    var mine = state.tops[state.to_move()]
    while mine != 0:
        var square = Int(count_trailing_zeros(mine))
        mine &= mine - 1
        var carry = min(Int(state.heights[square]), state.size)
        var is_cap = (state.caps & _bit(square)) != 0
        for direction in range(4):
            var ray = _ray(state, square, direction, blockers)
            var free = ray & 15
            total += Int(normal[carry * 8 + free])
            if is_cap and ray >= 16:
                total += Int(flatten[carry * 8 + free])
    return total


def legal_actions(state: TakState, mut actions: List[Int]):
    actions.clear()
    if state.end_reason != END_NONE:
        return
    var empty = state.board_mask & ~state._occupied()
    var area = state.area
    if state._in_opening():
        var bits = empty
        while bits != 0:
            actions.append(Int(count_trailing_zeros(bits)))
            bits &= bits - 1
        return
    var me = state.to_move()
    if state.stones_left[me] > 0:
        for piece in range(2):
            var bits = empty
            while bits != 0:
                actions.append(piece * area + Int(count_trailing_zeros(bits)))
                bits &= bits - 1
    if state.caps_left[me] > 0:
        var bits = empty
        while bits != 0:
            actions.append(2 * area + Int(count_trailing_zeros(bits)))
            bits &= bits - 1
    var patterns_per = (1 << state.size) - 1
    var move_base = 3 * area
    var blockers = state.walls | state.caps
    var mine = state.tops[me]
    while mine != 0:
        var square = Int(count_trailing_zeros(mine))
        mine &= mine - 1
        var carry = min(Int(state.heights[square]), state.size)
        var is_cap = (state.caps & _bit(square)) != 0
        for direction in range(4):
            var ray = _ray(state, square, direction, blockers)
            var free = ray & 15
            var can_flatten = is_cap and ray >= 16
            var base = move_base + (square * 4 + direction) * patterns_per
            if free >= carry and not can_flatten:
                # Every pattern of carry 1..carry fits: one contiguous block.
                for pattern in range((1 << carry) - 1):
                    actions.append(base + pattern)
                continue
            if free == 0 and not can_flatten:
                continue
            for c in range(1, carry + 1):
                var first = (1 << (c - 1)) - 1
                var count = 1 << (c - 1)
                if c <= free and not can_flatten:
                    for cuts in range(count):
                        actions.append(base + first + cuts)
                    continue
                for cuts in range(count):
                    var parts = Int(pop_count(cuts)) + 1
                    if parts <= free:
                        actions.append(base + first + cuts)
                    elif can_flatten and parts == free + 1 and (c == 1 or ((cuts >> (c - 2)) & 1) == 1):
                        actions.append(base + first + cuts)


def is_legal(state: TakState, action: Int) -> Bool:
    if state.end_reason != END_NONE or action < 0 or action >= state.num_actions():
        return False
    var area = state.area
    var me = state.to_move()
    if action < 3 * area:
        var piece = action // area
        var square = action - piece * area
        if (state._occupied() & _bit(square)) != 0:
            return False
        if state._in_opening():
            return piece == PIECE_FLAT and state.stones_left[1 - me] > 0
        if piece == PIECE_CAP:
            return state.caps_left[me] > 0
        return state.stones_left[me] > 0
    if state._in_opening():
        return False
    var patterns_per = (1 << state.size) - 1
    var rest = action - 3 * area
    var pattern = rest % patterns_per
    var square_direction = rest // patterns_per
    var direction = square_direction & 3
    var square = square_direction >> 2
    if (state.tops[me] & _bit(square)) == 0:
        return False
    var carry = _pattern_carry(pattern)
    if carry > Int(state.heights[square]) or carry > state.size:
        return False
    var cuts = _pattern_cuts(pattern, carry)
    var parts = Int(pop_count(cuts)) + 1
    var ray = _ray(state, square, direction, state.walls | state.caps)
    var free = ray & 15
    if parts <= free:
        return True
    var is_cap = (state.caps & _bit(square)) != 0
    return is_cap and ray >= 16 and parts == free + 1 and (carry == 1 or ((cuts >> (carry - 2)) & 1) == 1)


# ---------------------------------------------------------------------- applying moves


@always_inline
def _set_reserve_stones(mut state: TakState, player: Int, value: Int):
    state.hash_value ^= zobrist_key(ZOBRIST_STONES, player * 256 + state.stones_left[player])
    state.stones_left[player] = value
    state.hash_value ^= zobrist_key(ZOBRIST_STONES, player * 256 + value)


@always_inline
def _set_reserve_caps(mut state: TakState, player: Int, value: Int):
    state.hash_value ^= zobrist_key(ZOBRIST_CAPS, player * 256 + state.caps_left[player])
    state.caps_left[player] = value
    state.hash_value ^= zobrist_key(ZOBRIST_CAPS, player * 256 + value)


def apply(mut state: TakState, action: Int):
    var area = state.area
    var me = state.to_move()
    var old_bucket = state._reversible_bucket()
    var road_owner = -2  # -2: a spread (check both players), -1: no road possible.
    if action < 3 * area:
        var piece = action // area
        var square = action - piece * area
        var owner = me
        if state._in_opening():
            owner = 1 - me
            piece = PIECE_FLAT
        var bit = _bit(square)
        state.stacks[square] = UInt64(owner)
        state.heights[square] = 1
        state.tops[owner] |= bit
        state.hash_value ^= _piece_key(square, 0, owner)
        if piece == PIECE_CAP:
            state.caps |= bit
            state.hash_value ^= zobrist_key(ZOBRIST_CAP, square)
            _set_reserve_caps(state, owner, state.caps_left[owner] - 1)
        else:
            if piece == PIECE_WALL:
                state.walls |= bit
                state.hash_value ^= zobrist_key(ZOBRIST_WALL, square)
            _set_reserve_stones(state, owner, state.stones_left[owner] - 1)
        state.reversible_plies = 0
        # Only the placed piece's owner can get a road, and a wall makes none.
        road_owner = owner if piece != PIECE_WALL else -1
    else:
        _apply_spread(state, action - 3 * area, me)
        state.reversible_plies += 1
    state.ply_count += 1
    state.hash_value ^= zobrist_key(ZOBRIST_SIDE, 0)
    var new_bucket = state._reversible_bucket()
    if new_bucket != old_bucket:
        if old_bucket != 0:
            state.hash_value ^= zobrist_key(ZOBRIST_REVERSIBLE, old_bucket)
        if new_bucket != 0:
            state.hash_value ^= zobrist_key(ZOBRIST_REVERSIBLE, new_bucket)
    update_result(state, me, road_owner)


def _apply_spread(mut state: TakState, move: Int, me: Int):
    var patterns_per = (1 << state.size) - 1
    var pattern = move % patterns_per
    var square_direction = move // patterns_per
    var direction = square_direction & 3
    var source = square_direction >> 2
    var carry = _pattern_carry(pattern)
    var cuts = _pattern_cuts(pattern, carry)
    var delta = _step(state, direction)
    var source_bit = _bit(source)
    var height = Int(state.heights[source])
    var remaining = height - carry
    var source_stack = state._stack(source)
    var carried = source_stack >> UInt128(remaining)
    # The type of the moving top piece (flat 0 / wall 1 / cap 2) travels to the end.
    var top_type = PIECE_FLAT
    if (state.walls & source_bit) != 0:
        top_type = PIECE_WALL
        state.walls &= ~source_bit
        state.hash_value ^= zobrist_key(ZOBRIST_WALL, source)
    elif (state.caps & source_bit) != 0:
        top_type = PIECE_CAP
        state.caps &= ~source_bit
        state.hash_value ^= zobrist_key(ZOBRIST_CAP, source)
    var h = state.hash_value
    for i in range(carry):
        h ^= _piece_key(source, remaining + i, Int((carried >> UInt128(i)) & 1))
    if remaining == 0:
        state._set_stack(source, 0)
        state.tops[0] &= ~source_bit
        state.tops[1] &= ~source_bit
    else:
        source_stack &= (UInt128(1) << UInt128(remaining)) - 1
        state._set_stack(source, source_stack)
        var colour = Int((source_stack >> UInt128(remaining - 1)) & 1)
        state.tops[colour] |= source_bit
        state.tops[1 - colour] &= ~source_bit
    state.heights[source] = UInt8(remaining)
    var current = source + delta
    for i in range(carry):
        var level = Int(state.heights[current])
        var colour = Int((carried >> UInt128(i)) & 1)
        if level < 64:
            state.stacks[current] |= UInt64(colour) << UInt64(level)
        elif colour == 1:
            state._set_stack(current, state._stack(current) | (UInt128(1) << UInt128(level)))
        state.heights[current] = UInt8(level + 1)
        h ^= _piece_key(current, level, colour)
        if i == carry - 1 or ((cuts >> i) & 1) == 1:
            # Last piece on this square: it is the new top.
            var bit = _bit(current)
            state.tops[colour] |= bit
            state.tops[1 - colour] &= ~bit
            current += delta
    var last = current - delta
    var last_bit = _bit(last)
    if (state.walls & last_bit) != 0:
        # A lone capstone flattens the wall (the piece keeps its colour bit).
        state.walls &= ~last_bit
        h ^= zobrist_key(ZOBRIST_WALL, last)
    if top_type == PIECE_WALL:
        state.walls |= last_bit
        h ^= zobrist_key(ZOBRIST_WALL, last)
    elif top_type == PIECE_CAP:
        state.caps |= last_bit
        h ^= zobrist_key(ZOBRIST_CAP, last)
    state.hash_value = h
