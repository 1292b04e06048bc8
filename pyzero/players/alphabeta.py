"""The alpha-beta yardstick: iterative-deepening negamax with a transposition table and
Tak's hand-written evaluation, searched in the engine (mojo/search/alphabeta.mojo,
games/tak/evaluation.mojo). Deterministic: the same position, limits and seed give the
same move (ties are broken by a seeded order)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pyzero.engine_build import load_engine
from pyzero.games import State


@dataclass(frozen=True)
class AlphaBetaResult:
    move: str
    action: int
    score: int
    """Centi-flats for the side to move; beyond +-990000 a forced win or loss."""
    depth_reached: int
    nodes: int
    root_moves: int
    """Root moves searched by the last completed depth (every legal move)."""
    seconds: float
    timed_out: bool


def alphabeta_search(state: State, depth: int, seconds: float = 0.0, seed: int = 0) -> AlphaBetaResult:
    """Searches a Tak position to `depth` plies or `seconds` (0: no time limit)."""
    if state.game.name != "tak":
        raise ValueError(f"alpha-beta has an evaluation for tak only, not {state.game.name}")
    if state.is_terminal():
        raise ValueError(f"cannot search a finished game ({state.result()})")
    if depth < 1:
        raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
    raw = load_engine().tak_alphabeta(state._raw, int(depth), float(seconds), int(seed) & ((1 << 63) - 1))
    action = int(raw["best_action"])
    return AlphaBetaResult(move=state.action_to_move(action), action=action, score=int(raw["score"]),
                           depth_reached=int(raw["depth_reached"]), nodes=int(raw["nodes"]),
                           root_moves=int(raw["root_moves"]), seconds=float(raw["seconds"]),
                           timed_out=bool(raw["timed_out"]))


def tak_evaluation_terms(state: State) -> dict:
    """The evaluation's terms per player and its score for the side to move (for tests)."""
    return dict(load_engine().tak_evaluation_terms(state._raw))


class AlphaBetaPlayer:
    """`choose` searches to `depth` (and at most `seconds` per move when > 0). With a
    `seed`, every move uses it; without, each move draws its seed from the game's rng."""

    def __init__(self, depth: int, seconds: float = 0.0, seed: int | None = None):
        if depth < 1:
            raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
        self.depth = depth
        self.seconds = seconds
        self.seed = seed
        self.name = f"alphabeta:{depth}"

    def choose(self, state: State, rng: random.Random) -> str:
        seed = self.seed if self.seed is not None else rng.randrange(1 << 30)
        return alphabeta_search(state, self.depth, self.seconds, seed).move
