"""One `go`: turning its limits into a search plan, and running the search on a thread
so the server keeps answering `isready` and can take `stop` meanwhile.

A bounded search is one `NetworkPlayer.analyse` call; a timed one ends at its next batch
when `stop` arrives (a `SearchStop` word the search reads), a simulations-only one
(`go nodes`) runs to its end. `go infinite` searches in rounds of growing length (each a
fresh search, the evaluation cache carrying over) and reports each round; `stop` ends the
current round at its next batch.
Every search ends with exactly one `bestmove` line, `bestmove (none)` after an error.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from pyzero.games import State
from pyzero.players.alphabeta import AlphaBetaResult
from pyzero.players.network_player import NetworkPlayer, SearchLimits
from pyzero.players.time_manager import DEFAULT_SETTINGS, TimeManagerSettings, clock_budget_ms, movetime_budget_ms
from pyzero.search import SearchResult, SearchStop
from pyzero.protocols.commands import NO_MOVE, GoRequest, TeiCommandError, format_info

# `go infinite` rounds: seconds of the first round, growth per round, longest round.
# The longest round bounds how long `stop` can take to answer.
INFINITE_FIRST_ROUND_SECONDS = 0.25
INFINITE_ROUND_GROWTH = 2.0
INFINITE_LONGEST_ROUND_SECONDS = 4.0


@dataclass(frozen=True)
class SearchPlan:
    """What one `go` searches: seconds and/or simulations, or rounds until `stop`."""

    seconds: float | None = None
    simulations: int | None = None
    infinite: bool = False

    def limits(self, seconds: float | None = None) -> SearchLimits:
        return SearchLimits(simulations=self.simulations, seconds=seconds if seconds is not None else self.seconds)


def plan_search(request: GoRequest, state: State, board_size: int, default_simulations: int,
                settings: TimeManagerSettings = DEFAULT_SETTINGS) -> SearchPlan:
    """The plan for `request` in `state`: the side to move's clock (`wtime`/`btime`,
    `winc`/`binc`, `movestogo`) and `movetime` each give a budget (the smaller wins),
    `nodes` caps the simulations, `infinite` searches until `stop`; a bare `go` searches
    `default_simulations` (the config's evaluation simulations)."""
    if request.infinite:
        return SearchPlan(simulations=request.nodes, infinite=True)
    budgets_ms: list[float] = []
    if request.has_clock():
        white_to_move = state.to_move() == 0
        remaining_ms = request.white_time_ms if white_to_move else request.black_time_ms
        if remaining_ms is None:
            missing = "wtime" if white_to_move else "btime"
            raise TeiCommandError(f"go: {missing} is missing, and it is {'White' if white_to_move else 'Black'}'s move")
        increment_ms = request.white_increment_ms if white_to_move else request.black_increment_ms
        budgets_ms.append(clock_budget_ms(remaining_ms, increment_ms, state.ply, board_size, request.moves_to_go,
                                          settings))
    if request.movetime_ms is not None:
        budgets_ms.append(movetime_budget_ms(request.movetime_ms, settings))
    if budgets_ms:
        return SearchPlan(seconds=min(budgets_ms) / 1000.0, simulations=request.nodes)
    return SearchPlan(simulations=request.nodes if request.nodes is not None else default_simulations)


def info_line(result, elapsed_seconds: float) -> str:
    """The `info` line of a finished search: simulations as nodes, the chosen move's Q
    (the root's value if it was never visited) as the score, and as pv the search's
    principal variation (the graph search's) or else the chosen move. For the alpha-beta
    yardstick: its nodes, its depth and its score (centi-flats)."""
    if isinstance(result, AlphaBetaResult):
        return format_info(result.nodes, 0.0, elapsed_seconds * 1000.0, [result.move], depth=result.depth_reached,
                           centipawns=result.score)
    chosen = result.moves.index(result.chosen_move)
    value = float(result.q[chosen]) if result.visits[chosen] > 0 else float(result.root_value)
    return format_info(int(result.root_visits), value, elapsed_seconds * 1000.0,
                       result.principal_variation or [result.chosen_move])


def multipv_lines(result, elapsed_seconds: float, lines: int) -> list[str]:
    """`lines` info lines ranked `multipv 1..`: the chosen move first (with the principal
    variation), then the root's other moves by visits (then value), each with its Q."""
    chosen = result.moves.index(result.chosen_move)
    others = sorted((index for index in range(len(result.moves)) if index != chosen),
                    key=lambda index: (-int(result.visits[index]), -float(result.q[index])))
    reported = []
    for rank, index in enumerate([chosen] + others[:lines - 1], start=1):
        value = float(result.q[index]) if result.visits[index] > 0 else float(result.root_value)
        line = (result.principal_variation or [result.chosen_move]) if index == chosen else [result.moves[index]]
        reported.append(format_info(int(result.root_visits), value, elapsed_seconds * 1000.0, line, multipv=rank))
    return reported


def statistics_line(result) -> str | None:
    """The graph search's counts for one search, as an `info string` line (the standard
    info line has no words for them): network evaluations requested, transposition hits
    (first traversals of an edge that found the position already in the graph, each an
    evaluation saved) and the hits' share of hits plus evaluations. None for other searches."""
    if "search_transposition_links" not in getattr(result, "extras", {}):
        return None
    evaluations = int(result.extras["search_evaluations"])
    hits = int(result.extras["search_transposition_links"])
    share = 100.0 * hits / (hits + evaluations) if hits + evaluations else 0.0
    return f"info string evaluations {evaluations} transpositions {hits} saved {share:.1f}%"


def emit_search_report(emit: Callable[[str], None], result, elapsed_seconds: float, multipv: int = 1) -> None:
    """The statistics line (graph search only), then the info line the client reads (one
    per line of analysis when `multipv` is more than 1)."""
    statistics = statistics_line(result)
    if statistics is not None:
        emit(statistics)
    if multipv > 1 and not isinstance(result, AlphaBetaResult):
        for line in multipv_lines(result, elapsed_seconds, multipv):
            emit(line)
    else:
        emit(info_line(result, elapsed_seconds))


class SearchJob(threading.Thread):
    """Runs `plan` from `state` with `engine`, writing `info` and `bestmove` via `emit`."""

    def __init__(self, engine: NetworkPlayer, state: State, plan: SearchPlan, emit: Callable[[str], None],
                 history: tuple[int, ...] = (), multipv: int = 1):
        """`history`: keys of the positions played before `state` (for repetitions);
        `multipv`: lines of analysis per report (the MultiPV option)."""
        super().__init__(name="tei-search", daemon=True)
        self.multipv = multipv
        self.engine = engine
        self.state = state.copy()
        self.history = history
        self.plan = plan
        self.emit = emit
        self.stop_requested = threading.Event()
        self.search_stop = SearchStop()  # read by the search itself, between batches

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.search_stop.set()

    def run(self) -> None:
        started = time.monotonic()
        try:
            result = self._search_rounds() if self.plan.infinite else self.engine.analyse(
                self.state, self.plan.limits(), self.search_stop, history=self.history)
            if not self.plan.infinite:
                emit_search_report(self.emit, result, time.monotonic() - started, self.multipv)
            self.emit(f"bestmove {result.chosen_move}")
        except Exception as error:  # a GUI must get its bestmove line whatever went wrong
            traceback.print_exc(file=sys.stderr)
            self.emit(f"info string error: the search failed: {type(error).__name__}: {error}")
            self.emit(f"bestmove {NO_MOVE}")

    def _search_rounds(self) -> SearchResult:
        """Rounds until `stop`; each round's info line reports that round alone."""
        round_seconds = INFINITE_FIRST_ROUND_SECONDS
        while True:
            round_started = time.monotonic()
            result = self.engine.analyse(self.state, self.plan.limits(seconds=round_seconds), self.search_stop,
                                         history=self.history)
            emit_search_report(self.emit, result, time.monotonic() - round_started, self.multipv)
            if self.stop_requested.is_set():
                return result
            if getattr(result, "complete", False):  # searched to its end (alpha-beta's depth): wait for stop
                self.stop_requested.wait()
                return result
            round_seconds = min(round_seconds * INFINITE_ROUND_GROWTH, INFINITE_LONGEST_ROUND_SECONDS)
