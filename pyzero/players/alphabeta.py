"""The alpha-beta yardstick: iterative-deepening negamax with a transposition table and
one of Tak's hand-written evaluations, searched in the engine (mojo/search/alphabeta.mojo,
games/tak/evaluation.mojo). Deterministic: the same position, limits and seed give the
same move (ties are broken by a seeded order).

Two evaluations: `road` (the default, `alphabeta:D`: flats with komi, the distance to a
road and road threats, stack control, capstone, reserves) and `simple` (`alphabeta-simple:D`:
the first yardstick, a road span instead of the distance; figures measured before the road
evaluation existed name it `alphabeta:D`)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from pyzero.native import load_native
from pyzero.games import State

TakEvaluationName = Literal["road", "simple"]
EVALUATION_NUMBERS = {"simple": 0, "road": 1}
"""The engine's numbers of the evaluations (games/tak/evaluation.mojo)."""
SPEC_PREFIXES = {"road": "alphabeta", "simple": "alphabeta-simple"}


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


def _evaluation_number(evaluation: str) -> int:
    if evaluation not in EVALUATION_NUMBERS:
        raise ValueError(f"unknown Tak evaluation {evaluation!r}: expected one of {sorted(EVALUATION_NUMBERS)}")
    return EVALUATION_NUMBERS[evaluation]


def alphabeta_search(state: State, depth: int, seconds: float = 0.0, seed: int = 0,
                     evaluation: TakEvaluationName = "road") -> AlphaBetaResult:
    """Searches a Tak position to `depth` plies or `seconds` (0: no time limit) with the
    named evaluation."""
    if state.game.name != "tak":
        raise ValueError(f"alpha-beta has an evaluation for tak only, not {state.game.name}")
    if state.is_terminal():
        raise ValueError(f"cannot search a finished game ({state.result()})")
    if depth < 1:
        raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
    number = _evaluation_number(evaluation)
    raw = load_native().tak_alphabeta(state._raw, int(depth), float(seconds), int(seed) & ((1 << 63) - 1), number)
    action = int(raw["best_action"])
    return AlphaBetaResult(move=state.action_to_move(action), action=action, score=int(raw["score"]),
                           depth_reached=int(raw["depth_reached"]), nodes=int(raw["nodes"]),
                           root_moves=int(raw["root_moves"]), seconds=float(raw["seconds"]),
                           timed_out=bool(raw["timed_out"]))


def tak_evaluation_terms(state: State, evaluation: TakEvaluationName = "road") -> dict:
    """The named evaluation's terms per player and its score for the side to move (for tests)."""
    return dict(load_native().tak_evaluation_terms(state._raw, _evaluation_number(evaluation)))


@dataclass(frozen=True)
class AlphaBetaSpec:
    """A parsed `alphabeta[-simple]:DEPTH[:SECONDS]`."""

    evaluation: TakEvaluationName
    depth: int
    seconds: float
    """Per move; 0: no time limit."""

    @property
    def name(self) -> str:
        return alphabeta_name(self.evaluation, self.depth, self.seconds)


def alphabeta_name(evaluation: str, depth: int, seconds: float = 0.0) -> str:
    """The spec that names this yardstick: alphabeta:3, alphabeta-simple:4:0.5."""
    return f"{SPEC_PREFIXES[evaluation]}:{depth}" + (f":{seconds:g}" if seconds else "")


class AlphaBetaPlayer:
    """`choose` searches to `depth` (and at most `seconds` per move when > 0) with the
    named evaluation. With a `seed`, every move uses it; without, each move draws its
    seed from the game's rng."""

    def __init__(self, depth: int, seconds: float = 0.0, seed: int | None = None,
                 evaluation: TakEvaluationName = "road"):
        if depth < 1:
            raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
        _evaluation_number(evaluation)
        self.depth = depth
        self.seconds = seconds
        self.seed = seed
        self.evaluation = evaluation
        self.name = alphabeta_name(evaluation, depth)

    def choose(self, state: State, rng: random.Random) -> str:
        seed = self.seed if self.seed is not None else rng.randrange(1 << 30)
        return alphabeta_search(state, self.depth, self.seconds, seed, self.evaluation).move


ALPHABETA_SPEC = re.compile(r"alphabeta(-simple)?:(\d+)(?::(\d+(?:\.\d*)?|\.\d+))?")
ALPHABETA_FORM = ("expected alphabeta:DEPTH[:SECONDS] or alphabeta-simple:DEPTH[:SECONDS], e.g. alphabeta:3 or "
                  "alphabeta:4:0.5")


def parse_alphabeta_spec(text: str) -> AlphaBetaSpec:
    """The evaluation, depth and seconds per move (0 for none) of
    `alphabeta[-simple]:DEPTH[:SECONDS]`; ValueError naming the expected form otherwise."""
    match = ALPHABETA_SPEC.fullmatch(text.strip())
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"{text!r}: {ALPHABETA_FORM}")
    return AlphaBetaSpec("simple" if match.group(1) else "road", int(match.group(2)), float(match.group(3) or 0.0))


class AlphaBetaEngine:
    """The yardstick behind the interface the TEI server drives (`analyse`, `game`,
    `name`, `limits`), so `pyzero tei CONFIG --player alphabeta:3` is a Tak engine a GUI
    or a tournament runner can play against.

    A search goes to `depth` plies; the GUI's clock or movetime cuts it short (at the last
    depth completed), and `seconds` caps every move. `go nodes` does not apply (no
    simulations here), and `stop` takes effect when the depth or the time ends."""

    checkpoint = None  # no network

    def __init__(self, game, depth: int, seconds: float = 0.0, seed: int = 0,
                 evaluation: TakEvaluationName = "road"):
        if game.name != "tak":
            raise ValueError(f"alpha-beta has an evaluation for tak only, not {game.name}")
        if depth < 1:
            raise ValueError(f"alpha-beta depth must be at least 1, got {depth}")
        _evaluation_number(evaluation)
        self.game = game
        self.depth = depth
        self.seconds = seconds
        self.seed = seed
        self.evaluation = evaluation
        self.name = alphabeta_name(evaluation, depth, seconds)
        from pyzero.players.network_player import SearchLimits

        self.limits = SearchLimits(simulations=None, seconds=seconds or 3600.0)

    def for_game(self, game) -> AlphaBetaEngine:
        """The same yardstick for another Tak game (size, komi)."""
        return AlphaBetaEngine(game, self.depth, self.seconds, self.seed, self.evaluation)

    def analyse(self, state: State, limits=None, stop=None, history=()) -> AlphaBetaResult:
        """`history` is accepted for the engine interface and not used: the yardstick plays
        Tak, which has no repetition rule."""
        budgets = [seconds for seconds in (self.seconds, getattr(limits, "seconds", None)) if seconds]
        return alphabeta_search(state, self.depth, min(budgets) if budgets else 0.0, self.seed, self.evaluation)
