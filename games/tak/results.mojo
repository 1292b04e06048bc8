"""How a Tak game ends: roads, flat wins, the reversible-ply draw, and the result text.

Road wins: a player's flats and capstones connect two opposite edges; the mover wins when
one move completes roads for both players ("dragon clause"). Flat wins: when the board is
full or a player has no stones AND no capstones left, the player with more flats on top
wins (komi in half-flats added to the second player's count). With a reversible-ply limit,
the game is drawn after that many consecutive plies without a placement.
"""

from mojo.game import DRAW
from games.tak.state import TakState

comptime END_NONE = 0
comptime END_ROAD = 1
comptime END_FLATS = 2
comptime END_REVERSIBLE = 3


def result_string(state: TakState) -> String:
    if state.end_reason == END_NONE:
        return ""
    if state.winner_value == DRAW:
        return "1/2-1/2"
    if state.end_reason == END_ROAD:
        return "R-0" if state.winner_value == 0 else "0-R"
    return "F-0" if state.winner_value == 0 else "0-F"


def end_reason_name(state: TakState) -> String:
    """Why the game ended: `road`, `flats`, `reversible`, or empty while it goes on."""
    if state.end_reason == END_ROAD:
        return "road"
    if state.end_reason == END_FLATS:
        return "flats"
    if state.end_reason == END_REVERSIBLE:
        return "reversible"
    return ""


@always_inline
def _expand(state: TakState, bits: UInt64) -> UInt64:
    var spread = bits | (bits << UInt64(state.size)) | (bits >> UInt64(state.size))
    spread |= (bits & ~state.right_edge) << 1
    spread |= (bits & ~state.left_edge) >> 1
    return spread & state.board_mask


def has_road(state: TakState, player: Int) -> Bool:
    """Whether `player`'s flats and capstones connect two opposite edges."""
    var road = state.tops[player] & ~state.walls
    if road == 0:
        return False
    # Left to right.
    if (road & state.left_edge) != 0 and (road & state.right_edge) != 0:
        var reach = road & state.left_edge
        while True:
            var grown = _expand(state, reach) & road
            if (grown & state.right_edge) != 0:
                return True
            if grown == reach:
                break
            reach = grown
    # Bottom to top.
    if (road & state.bottom_edge) != 0 and (road & state.top_edge) != 0:
        var reach = road & state.bottom_edge
        while True:
            var grown = _expand(state, reach) & road
            if (grown & state.top_edge) != 0:
                return True
            if grown == reach:
                break
            reach = grown
    return False


def _flat_result(mut state: TakState):
    var difference = 2 * (state.top_flat_count(0) - state.top_flat_count(1)) - state.half_komi
    state.end_reason = END_FLATS
    if difference > 0:
        state.winner_value = 0
    elif difference < 0:
        state.winner_value = 1
    else:
        state.winner_value = DRAW


def update_result(mut state: TakState, mover: Int, road_owner: Int):
    """Decides whether the game ended after `mover`'s ply (roads, flats, reversible).

    `road_owner` is the only player who can have a new road after a placement, -1 when
    none can, -2 after a spread (both can: the mover wins a double road).
    """
    if road_owner >= 0:
        if has_road(state, road_owner):
            state.end_reason = END_ROAD
            state.winner_value = road_owner
            return
    elif road_owner == -2:
        var mine = has_road(state, mover)
        if mine:
            state.end_reason = END_ROAD
            state.winner_value = mover
            return
        if has_road(state, 1 - mover):
            state.end_reason = END_ROAD
            state.winner_value = 1 - mover
            return
    if (
        state._occupied() == state.board_mask
        or (state.stones_left[0] == 0 and state.caps_left[0] == 0)
        or (state.stones_left[1] == 0 and state.caps_left[1] == 0)
    ):
        _flat_result(state)
        return
    if state.reversible_limit > 0 and state.reversible_plies >= state.reversible_limit:
        state.end_reason = END_REVERSIBLE
        state.winner_value = DRAW


def settle_loaded_position(mut state: TakState):
    """Sets the result of a position loaded from TPS (no history: the last mover wins a double road)."""
    var last_mover = 1 - state.to_move()
    if has_road(state, last_mover):
        state.end_reason = END_ROAD
        state.winner_value = last_mover
        return
    if has_road(state, 1 - last_mover):
        state.end_reason = END_ROAD
        state.winner_value = 1 - last_mover
        return
    if (
        state._occupied() == state.board_mask
        or (state.stones_left[0] == 0 and state.caps_left[0] == 0)
        or (state.stones_left[1] == 0 and state.caps_left[1] == 0)
    ):
        _flat_result(state)
