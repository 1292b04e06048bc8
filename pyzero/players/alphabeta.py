"""The alpha-beta yardstick: iterative-deepening negamax with a transposition table and
Tak's hand-written evaluation, searched in the engine (mojo/search/alphabeta.mojo,
games/tak/evaluation.mojo). Deterministic: the same position, limits and seed give the
same move (ties are broken by a seeded order)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pyzero.native import load_native
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

    @property
    def chosen_move(self) -> str:
        return self.move

    @property
    def complete(self) -> bool:
        """Searched to its full depth (a longer search of this position would say the same)."""
        return not self.timed_out


def alphabeta_search(state: State, depth: int, seconds: float = 0.0, seed: int = 0) -> AlphaBetaResult:
    """Searches a Tak position to `depth` plies or `seconds` (0: no time limit)."""
    if state.game.name != "tak":
        raise ValueError(f"alpha-beta has an evaluation for tak only, not {state.game.name}")
    if state.is_terminal():
        raise ValueError(f"cannot search a finished game ({state.result()})")
    if depth < 1:
        raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
    raw = load_native().tak_alphabeta(state._raw, int(depth), float(seconds), int(seed) & ((1 << 63) - 1))
    action = int(raw["best_action"])
    return AlphaBetaResult(move=state.action_to_move(action), action=action, score=int(raw["score"]),
                           depth_reached=int(raw["depth_reached"]), nodes=int(raw["nodes"]),
                           root_moves=int(raw["root_moves"]), seconds=float(raw["seconds"]),
                           timed_out=bool(raw["timed_out"]))


def tak_evaluation_terms(state: State) -> dict:
    """The evaluation's terms per player and its score for the side to move (for tests)."""
    return dict(load_native().tak_evaluation_terms(state._raw))


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


ALPHABETA_SPEC = re.compile(r"alphabeta:(\d+)(?::(\d+(?:\.\d*)?|\.\d+))?")


def parse_alphabeta_spec(text: str) -> tuple[int, float]:
    """(depth, seconds per move, 0 for none) of `alphabeta:DEPTH[:SECONDS]`; ValueError
    naming the expected form otherwise."""
    match = ALPHABETA_SPEC.fullmatch(text.strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"{text!r}: expected alphabeta:DEPTH or alphabeta:DEPTH:SECONDS, e.g. alphabeta:3 or "
                         "alphabeta:4:0.5")
    return int(match.group(1)), float(match.group(2) or 0.0)


class AlphaBetaEngine:
    """The yardstick behind the interface the TEI server drives (`analyse`, `game`,
    `name`, `limits`), so `pyzero tei CONFIG --player alphabeta:3` is a Tak engine a GUI
    or a tournament runner can play against.

    A search goes to `depth` plies; the GUI's clock or movetime cuts it short (at the last
    depth completed), and `seconds` caps every move. `go nodes` does not apply (no
    simulations here), and `stop` takes effect when the depth or the time ends."""

    checkpoint = None  # no network

    def __init__(self, game, depth: int, seconds: float = 0.0, seed: int = 0):
        if game.name != "tak":
            raise ValueError(f"alpha-beta has an evaluation for tak only, not {game.name}")
        if depth < 1:
            raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
        self.game = game
        self.depth = depth
        self.seconds = seconds
        self.seed = seed
        self.name = f"alphabeta:{depth}" + (f":{seconds:g}" if seconds else "")
        from pyzero.players.network_player import SearchLimits

        self.limits = SearchLimits(simulations=None, seconds=seconds or 3600.0)

    def for_game(self, game) -> AlphaBetaEngine:
        """The same yardstick for another Tak game (size, komi)."""
        return AlphaBetaEngine(game, self.depth, self.seconds, self.seed)

    def analyse(self, state: State, limits=None, stop=None, history=()) -> AlphaBetaResult:
        """`history` is accepted for the engine interface and not used: the yardstick plays
        Tak, which has no repetition rule."""
        budgets = [seconds for seconds in (self.seconds, getattr(limits, "seconds", None)) if seconds]
        return alphabeta_search(state, self.depth, min(budgets) if budgets else 0.0, self.seed)
