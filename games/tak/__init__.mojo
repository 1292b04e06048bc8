"""Tak (sizes 3x3 to 8x8) as a `Game`: rules, move generation, hashing, encoding, notation.

Rules follow shared/tak/RULES.md: swap opening decided by the ply number (plies 1 and 2
place the opponent's flat), flats / walls / capstones, stack moves up to the carry limit
(= board size), a lone capstone flattening a wall as the last single piece dropped, road
wins (the mover wins when one move completes roads for both players: "dragon clause"),
flat wins when the board is full or a player has no stones AND no capstones left (komi in
half-flats added to the second player's count), and an optional reversible-ply draw.

One file per concept:
- `board.mojo`: sizes, pieces, directions, square and stack layout, bitboard and Zobrist
  helpers, the stone and capstone counts per board size.
- `state.mojo`: `TakState` (fields, options, stack accessors, hashing, symmetries) and its
  `Game` methods, which call the files below.
- `actions.mojo`: the action index layout (placements, stack moves, drop patterns) and its
  image under a board symmetry.
- `moves.mojo`: legal move generation, counting, legality, applying a move.
- `results.mojo`: roads, flat wins, the reversible-ply draw, the result text.
- `encoding.mojo`: the network input planes.
- `ptn.mojo`: moves in PTN (format and parse).
- `tps.mojo`: positions in TPS (format and parse) and the board drawing.

Names with a leading underscore are shared between these files but are not part of the
package's interface; this file re-exports the rest.
"""

from games.tak.board import (
    MIN_SIZE,
    MAX_SIZE,
    MAX_SQUARES,
    MAX_FLATS,
    MAX_CAPS,
    MAX_REVERSIBLE_PLY_LIMIT,
    PIECE_FLAT,
    PIECE_WALL,
    PIECE_CAP,
    DIRECTION_UP,
    DIRECTION_DOWN,
    DIRECTION_RIGHT,
    DIRECTION_LEFT,
    ZOBRIST_PIECE,
    ZOBRIST_WALL,
    ZOBRIST_CAP,
    ZOBRIST_SIDE,
    ZOBRIST_STONES,
    ZOBRIST_CAPS,
    ZOBRIST_REVERSIBLE,
    default_stones,
    default_caps,
)
from games.tak.actions import symmetry_direction
from games.tak.moves import NORMAL_SPREADS, FLATTEN_SPREADS
from games.tak.results import END_NONE, END_ROAD, END_FLATS, END_REVERSIBLE
from games.tak.encoding import (
    VIEW_DEPTH,
    NUM_PLANES,
    PLANE_TOPS,
    PLANE_UNDER,
    PLANE_DEEP,
    PLANE_RESERVES,
    PLANE_SIDE,
    PLANE_KOMI,
    PLANE_OPENING,
    PLANE_REVERSIBLE,
)
from games.tak.state import TakState
