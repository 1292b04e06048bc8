"""Running the Mojo search from Python, for tests, analysis and baselines.

    result = gumbel_search(state, simulations=200, evaluator="uniform", seed=0)
    result.chosen_move, result.policy_target, result.visits, result.q
    result = puct_search(state, simulations=800, evaluator=("rollout", 1), temperature=0)

Evaluators: "uniform" (equal priors, value 0), ("rollout", n) (n random playouts per
leaf), ("minimax", depth) (exact negamax within depth plies), or a Python callable
`f(planes[B,C,H,W] float32, legal[B,A] bool) -> (logits[B,A], values[B])` called once
per batch of leaves. Values are from the side to move at the evaluated position.
The search itself, the tree and the batching all run in Mojo; Python sees one call per
search and one per evaluation batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from pyzero.config import GraphSection, GumbelSection, PuctSection, SearchSection
from pyzero.native import load_native
from pyzero.games import State
from pyzero.inference.cache import EvaluationCache  # noqa: F401 (the searches' cache, re-exported)

EvaluatorSpec = str | tuple[str, int] | Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]


# The search options are the config schema's sections themselves (pyzero/config.py): one
# definition with its defaults, types and ranges, whether they come from a YAML file or
# from code (`GumbelOptions(max_considered_actions=4)`); the engine takes every field.
GumbelOptions = GumbelSection
PuctOptions = PuctSection
GraphOptions = GraphSection


@dataclass
class SearchResult:
    """The root after a search; arrays are over the legal actions in `actions` order."""

    actions: np.ndarray
    moves: list[str]
    priors: np.ndarray  # the evaluator's priors at the root (before any noise)
    visits: np.ndarray  # all the visits the tree holds (after reuse: more than this search's)
    q: np.ndarray  # from the root's side to move; 0 where unvisited
    policy_target: np.ndarray  # Gumbel: improved policy; PUCT: visit distribution
    chosen_action: int
    chosen_move: str
    root_value: float
    network_value: float
    root_visits: int
    tree_size: int
    evaluations: int  # leaf evaluations requested (the search's lifetime)
    duplicate_leaves: int  # simulations that shared a pending leaf's evaluation (lifetime)
    terminal_leaves: int  # simulations that ended in a finished game (lifetime)
    batches: int
    num_actions: int = field(repr=False, default=0)
    principal_variation: list[str] | None = None  # graph search: the most visited line, chosen move first
    seconds: float | None = None  # time-limited searches: the wall time used
    surveyed_every_move: bool | None = None  # time-limited searches: the survey finished
    extras: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    # Gumbel: sigma(completed Q), the Gumbel noise, this search's visits; PUCT: noisy priors.
    @property
    def improved_policy(self) -> np.ndarray:
        return self.policy_target

    @property
    def sigma(self) -> np.ndarray:
        return self.extras["sigma"]

    @property
    def gumbel(self) -> np.ndarray:
        return self.extras["gumbel"]

    @property
    def phase_visits(self) -> np.ndarray:
        return self.extras["phase_visits"]

    @property
    def noisy_priors(self) -> np.ndarray:
        return self.extras["noisy_priors"]

    def dense(self, values: np.ndarray) -> np.ndarray:
        """`values` spread over the whole action space (0 at illegal actions)."""
        out = np.zeros(self.num_actions, dtype=np.float32)
        out[self.actions] = values
        return out


def _evaluator_arguments(evaluator: EvaluatorSpec) -> tuple[str, Any]:
    if callable(evaluator):
        return "python", evaluator
    if isinstance(evaluator, str):
        return evaluator, 0
    kind, argument = evaluator
    return kind, int(argument)


class SearchStop:
    """A flag another thread sets to end a time-limited search at its next batch (the
    search reads the word atomically, without the GIL). Reusable after `clear`."""

    def __init__(self):
        self._word = np.zeros(1, dtype=np.int64)

    def set(self) -> None:
        self._word[0] = 1

    def clear(self) -> None:
        self._word[0] = 0

    def is_set(self) -> bool:
        return bool(self._word[0])

    @property
    def address(self) -> int:
        return self._word.ctypes.data


_EXTRA_ARRAYS = {"sigma": np.float32, "gumbel": np.float32, "phase_visits": np.int64, "noisy_priors": np.float32}


class _Searcher:
    """A search tree kept across moves: `run` searches, `advance` keeps the played subtree.

    A search runs without the GIL (a Python evaluator takes it for its calls), so other
    Python threads go on meanwhile; one searcher takes one call at a time, though: do not
    share it between threads. An `EvaluationCache` may be shared."""

    engine_suffix = ""

    def __init__(self, state: State, options: Any):
        if state.is_terminal():
            raise ValueError(f"cannot search a finished game ({state.result()})")
        self.options = options
        self.state = state.copy()
        type_name = type(state._raw).__name__.replace("State", self.engine_suffix)
        self._raw = getattr(load_native(), type_name).new(state._raw, options.model_dump())

    def run(
        self,
        simulations: int,
        evaluator: EvaluatorSpec = "uniform",
        seed: int = 0,
        cache: EvaluationCache | None = None,
    ) -> SearchResult:
        """Searches `simulations` more simulations from the root (the tree is kept).

        With a `cache`, each batch's positions are looked up first and only the misses go
        to the evaluator; its answers are stored for later batches and searches.
        """
        if simulations < 0:
            raise ValueError(f"simulations must be >= 0, got {simulations}")
        kind, argument = _evaluator_arguments(evaluator)
        batches = self._raw.run(simulations, seed, kind, argument, cache._raw if cache is not None else None)
        return self._result(batches)

    def _result(self, batches: int) -> SearchResult:
        raw = self._raw.result()
        chosen = raw["chosen_action"]
        return SearchResult(
            actions=np.array(raw["actions"], dtype=np.int64),
            moves=[self.state.action_to_move(a) for a in raw["actions"]],
            priors=np.array(raw["priors"], dtype=np.float32),
            visits=np.array(raw["visits"], dtype=np.int64),
            q=np.array(raw["q"], dtype=np.float32),
            policy_target=np.array(raw["policy_target"], dtype=np.float32),
            chosen_action=chosen,
            chosen_move=self.state.action_to_move(chosen),
            root_value=raw["root_value"],
            network_value=raw["network_value"],
            root_visits=raw["root_visits"],
            tree_size=raw["tree_size"],
            evaluations=raw["evaluations"],
            duplicate_leaves=raw["duplicate_leaves"],
            terminal_leaves=raw["terminal_leaves"],
            batches=batches,
            num_actions=self.state.game.num_actions,
            extras={key: np.array(raw[key], dtype=dtype) for key, dtype in _EXTRA_ARRAYS.items() if key in raw},
        )

    def run_for(self, seconds: float, evaluator: EvaluatorSpec = "uniform", seed: int = 0,
                cache: EvaluationCache | None = None, max_simulations: int | None = None,
                survey_fraction: float = SearchSection.model_fields["survey_fraction"].default, survey_batch: int = 8, stop: SearchStop | None = None
                ) -> SearchResult:
        """A time-limited search: anytime sequential halving at the root (Gumbel only).

        The first `survey_fraction` of the time visits every legal root move once, in
        prior order (`survey_batch` moves per evaluation batch); then passes of sequential
        halving over the best `max_considered_actions` moves deepen the search until the
        time is up. It stops before a batch that would end past `seconds` (predicting a
        batch by the slowest so far), so it returns on time and uses most of it.
        `max_simulations` also stops it (for tests and hybrid limits), and so does `stop`
        when another thread sets it (after at least the root's evaluation).
        """
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        if not 0 <= survey_fraction < 1:
            raise ValueError(f"survey_fraction must be within [0, 1), got {survey_fraction}")
        if not hasattr(self._raw, "run_anytime"):
            raise TypeError(f"{type(self).__name__} has no time-limited mode (use GumbelSearcher)")
        kind, argument = _evaluator_arguments(evaluator)
        limits = {"seconds": float(seconds), "max_simulations": int(max_simulations or 0),
                  "survey_fraction": float(survey_fraction), "survey_batch": int(survey_batch),
                  "stop_address": stop.address if stop is not None else 0}
        batches, used, surveyed = self._raw.run_anytime(limits, seed, kind, argument,
                                                        cache._raw if cache is not None else None)
        result = self._result(batches)
        result.seconds = used
        result.surveyed_every_move = surveyed
        return result

    def advance(self, move: str | int) -> None:
        """Plays a move (notation or action index) at the root, keeping its subtree."""
        action = move if isinstance(move, int) else self.state.move_to_action(move)
        self.state.apply_action(action)
        self._raw.advance(action)

    def subtree_statistics(self, action: int = -1) -> list[tuple[int, int, float]]:
        """(action, visits, value sum) of each node under root child `action`, breadth-first."""
        return [tuple(row) for row in self._raw.subtree_statistics(action)]


class GumbelSearcher(_Searcher):
    """Gumbel MCTS with sequential halving (the self-play search)."""

    engine_suffix = "GumbelSearch"

    def __init__(self, state: State, options: GumbelOptions | None = None, **option_values: Any):
        super().__init__(state, options or GumbelOptions(**option_values))

    def principal_variation(self, move: str | int, max_length: int = 8) -> list[str]:
        """The line in notation that starts with the root move `move` and then follows the
        most visited child at each ply (the engine's expected continuation), at most
        `max_length` moves; empty when `move` has not been searched."""
        action = move if isinstance(move, int) else self.state.move_to_action(move)
        state = self.state.copy()
        line = []
        for line_action in self._raw.principal_variation(action, max_length):
            line.append(state.action_to_move(line_action))
            state.apply_action(line_action)
        return line


class PuctSearcher(_Searcher):
    """AlphaZero's PUCT with Dirichlet root noise and virtual-loss batching."""

    engine_suffix = "PuctSearch"

    def __init__(self, state: State, options: PuctOptions | None = None, **option_values: Any):
        super().__init__(state, options or PuctOptions(**option_values))


class GraphSearcher(_Searcher):
    """Monte-Carlo graph search (mojo/search/graph/): one node per position key, PUCT
    selection over edges (at the root optionally anytime sequential halving,
    `graph.root`), KataGo's idempotent value update, repetitions scored on the playout's
    edge. For live play; self-play keeps the tree searches.

    `history`: the positions played before `state`, as `State`s or keys (oldest first),
    so that returning to one of them inside the search counts as a repetition. `advance`
    adds the position it leaves to the history.
    """

    engine_suffix = "GraphSearch"

    def __init__(self, state: State, options: PuctOptions | None = None, graph: GraphOptions | None = None,
                 history: list[State | int] = (), gumbel: GumbelOptions | None = None,
                 survey_fraction: float = SearchSection.model_fields["survey_fraction"].default, **puct_values: Any):
        if state.is_terminal():
            raise ValueError(f"cannot search a finished game ({state.result()})")
        if not 0 <= survey_fraction < 1:
            raise ValueError(f"survey_fraction must be within [0, 1), got {survey_fraction}")
        self.options = options or PuctOptions(**puct_values)
        self.graph_options = graph or GraphOptions()
        # graph.root "halving" ranks the root's moves with these (m and sigma's parameters)
        # and surveys them for `survey_fraction` of the budget first.
        self.gumbel_options = gumbel or GumbelOptions()
        self.survey_fraction = float(survey_fraction)
        self.state = state.copy()
        keys = [entry if isinstance(entry, int) else entry.hash() for entry in history]
        type_name = type(state._raw).__name__.replace("State", self.engine_suffix)
        self._raw = getattr(load_native(), type_name).new(state._raw, self.options.model_dump(),
                                                         self.graph_options.model_dump(),
                                                         self.gumbel_options.model_dump(), keys)
        # The engine's counters run over the searcher's lifetime (the graph is kept across
        # searches); these are their values when the last search ended, for per-search counts.
        self._lifetime_counts = {"evaluations": 0, "transposition_links": 0}

    def run(self, simulations: int, evaluator: EvaluatorSpec = "uniform", seed: int = 0,
            cache: EvaluationCache | None = None) -> SearchResult:
        """Searches `simulations` more playouts from the root (the graph is kept). The
        graph shares evaluations between transpositions within a search; a `cache` (shared
        by the threads, and across searches and engines) answers positions seen before."""
        if simulations < 0:
            raise ValueError(f"simulations must be >= 0, got {simulations}")
        return self._run(simulations, evaluator, seed, cache, seconds=0.0, stop=None)

    def run_for(self, seconds: float, evaluator: EvaluatorSpec = "uniform", seed: int = 0,
                cache: EvaluationCache | None = None, max_simulations: int | None = None,
                stop: SearchStop | None = None) -> SearchResult:
        """A time-limited search: playouts until `seconds` have passed, `stop` is set by
        another thread or `max_simulations` playouts have run, checked between batches
        (after at least the root's evaluation and one batch). Threads stop at their next
        batch."""
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        started = time.perf_counter()
        result = self._run(max_simulations or 2**31 - 1, evaluator, seed, cache, seconds=float(seconds), stop=stop)
        result.seconds = time.perf_counter() - started
        return result

    def _run(self, simulations: int, evaluator: EvaluatorSpec, seed: int, cache: EvaluationCache | None,
             seconds: float, stop: SearchStop | None) -> SearchResult:
        kind, argument = _evaluator_arguments(evaluator)
        limits = {"seconds": seconds, "stop_address": stop.address if stop is not None else 0,
                  "survey_fraction": self.survey_fraction}
        batches = self._raw.run(simulations, seed, kind, argument, limits, cache._raw if cache is not None else None)
        result = self._result(batches)
        raw = self._raw.result()
        for key in ("edges", "catch_ups", "repetitions", "transposition_links", "dropped_playouts", "full",
                    "collisions"):
            result.extras[key] = np.array(raw[key], dtype=np.int64)
        result.extras["principal_variation"] = np.array(raw.get("principal_variation", []), dtype=np.int64)
        # This search's own counts (TEI/UCI info lines report them per search).
        lifetime = {"evaluations": result.evaluations, "transposition_links": int(raw["transposition_links"])}
        for key, value in lifetime.items():
            result.extras[f"search_{key}"] = np.array(value - self._lifetime_counts[key], dtype=np.int64)
        self._lifetime_counts = lifetime
        result.principal_variation = self._variation_moves(result)
        return result

    def _variation_moves(self, result: SearchResult) -> list[str]:
        """The principal variation in notation; it starts with the chosen move (on a tie of
        visits the played move and the most visited edge may differ: then just that move)."""
        actions = result.extras["principal_variation"].tolist()
        if not actions or actions[0] != result.chosen_action:
            return [result.chosen_move]
        state, moves = self.state.copy(), []
        for action in actions:
            if state.is_terminal() or action not in state.legal_actions():
                break
            moves.append(state.action_to_move(action))
            state.apply_action(action)
        return moves

    def line_to(self, state: State, max_plies: int = 2) -> list[int] | None:
        """The actions that lead from the root to `state` along the graph's edges (at most
        `max_plies`; [] when `state` is the root), or None: then a new searcher is needed.
        Checked by replaying the line, so a hash collision never passes for a match."""
        line = self._raw.find_line(state.hash(), max_plies)
        if line is None:
            return None
        replay = self.state.copy()
        for action in line:
            replay.apply_action(action)
        return list(line) if replay.position() == state.position() else None

    def graph_arrays(self) -> dict[str, np.ndarray]:
        """Every node and edge of the graph (see GraphSearchBox.graph_arrays), as arrays."""
        raw = self._raw.graph_arrays()
        arrays = {key: np.array(values) for key, values in dict(raw).items() if key != "root"}
        arrays["key"] = np.array(raw["key"], dtype=np.uint64)
        arrays["root"] = int(raw["root"])
        return arrays


def graph_search(state: State, simulations: int, evaluator: EvaluatorSpec = "uniform", seed: int = 0,
                 graph: GraphOptions | None = None, **puct_options: Any) -> SearchResult:
    """One graph search from `state` with a fresh graph."""
    return GraphSearcher(state, PuctOptions(**puct_options), graph).run(simulations, evaluator, seed)


def gumbel_search(
    state: State,
    simulations: int,
    evaluator: EvaluatorSpec = "uniform",
    seed: int = 0,
    cache: EvaluationCache | None = None,
    **options: Any,
) -> SearchResult:
    """One Gumbel MCTS search from `state` with a fresh tree."""
    return GumbelSearcher(state, GumbelOptions(**options)).run(simulations, evaluator, seed, cache)


def puct_search(
    state: State,
    simulations: int,
    evaluator: EvaluatorSpec = "uniform",
    seed: int = 0,
    cache: EvaluationCache | None = None,
    **options: Any,
) -> SearchResult:
    """One PUCT search from `state` with a fresh tree."""
    return PuctSearcher(state, PuctOptions(**options)).run(simulations, evaluator, seed, cache)


def considered_visit_sequence(max_considered_actions: int, simulations: int) -> list[int]:
    """mctx's `get_sequence_of_considered_visits` (the root's visit schedule)."""
    return load_native().considered_visit_sequence(max_considered_actions, simulations)


def gumbel_formulas(node: dict[str, Any], c_visit=50.0, c_scale=0.1, rescale=True) -> dict[str, Any]:
    """The engine's Gumbel formulas on one node (for tests against a reference)."""
    return load_native().gumbel_formulas(node, {"c_visit": c_visit, "c_scale": c_scale, "rescale": rescale})
