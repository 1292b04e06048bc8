"""Analysis for the page: a search on one position that reports its top moves while it runs.

The search runs in rounds of growing length on one `GumbelSearcher`, so the tree (and
the visits) grow from round to round; after each round the root's moves go to `publish`
(visits, Q, prior, the engine's policy and each move's principal variation). Each round
is one job on the engine's search worker (`ServedEngine.searches`), queued behind the
other tabs' engine moves and rounds for that engine, so an analysis shares the engine
with them round by round instead of holding it. Cancelling `stream_analysis` drops a
round still queued and ends a running one at its next batch (a `SearchStop` word the
search reads without the GIL); an analysis ends by itself after
`LONGEST_ANALYSIS_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from pyzero.games import State
from pyzero.search import GumbelSearcher, SearchResult, SearchStop
from pyzero.web.served_players import ServedEngine
from pyzero.web.work_queues import WorkQueueFullError

FIRST_ROUND_SECONDS = 0.15
ROUND_GROWTH = 1.5
LONGEST_ROUND_SECONDS = 1.0  # bounds how stale the page's view gets, and how long stop takes
LONGEST_ANALYSIS_SECONDS = 300.0  # a forgotten analysis ends by itself (the tree only grows)
TOP_MOVES = 10
PV_LENGTH = 8

logger = logging.getLogger(__name__)


def analysis_rows(result: SearchResult, searcher: GumbelSearcher, top: int = TOP_MOVES) -> list[dict[str, Any]]:
    """The root's moves, most visited first, with visits, Q, prior, policy and PV."""
    order = sorted(range(len(result.moves)),
                   key=lambda index: (-int(result.visits[index]), -float(result.policy_target[index]),
                                      -float(result.priors[index])))
    rows = []
    for index in order[:top]:
        visits = int(result.visits[index])
        move = result.moves[index]
        rows.append({"move": move, "visits": visits, "q": float(result.q[index]) if visits else None,
                     "prior": float(result.priors[index]), "policy": float(result.policy_target[index]),
                     "pv": searcher.principal_variation(int(result.actions[index]), PV_LENGTH) if visits else [move],
                     "chosen": move == result.chosen_move})
    return rows


class Analysis:
    """The analysis of one position with `served`'s engine: its tree, its round length,
    its stop word and the report of its last round.

    `search_round` runs on the engine's search worker, one round at a time (the tab's
    `stream_analysis` queues the next round only when the last one has come back), so the
    searcher is only ever used by one thread at once."""

    def __init__(self, served: ServedEngine, state: State):
        self.served = served
        self.state = state.copy()
        self.stop_word = SearchStop()
        self.started = time.monotonic()
        self.round_seconds = FIRST_ROUND_SECONDS
        self.searcher: GumbelSearcher | None = None
        self.last_report: dict[str, Any] = {"running": True, "rows": [], "visits": 0, "seconds": 0.0,
                                            "value": None, "position": self.state.position(), "error": None}

    def stop(self) -> None:
        """Ends the running round at its next batch; no round starts after it."""
        self.stop_word.set()

    def is_finished(self) -> bool:
        return self.stop_word.is_set() or time.monotonic() - self.started >= LONGEST_ANALYSIS_SECONDS

    def search_round(self) -> dict[str, Any]:
        """One more round (on the engine's search worker, with the engine's lock): the report."""
        engine = self.served.engine
        if self.searcher is None:
            self.searcher = GumbelSearcher(self.state, engine.gumbel)
        with self.served.lock:  # the network and its cache: one search at a time
            result = self.searcher.run_for(self.round_seconds, engine.evaluator(), engine.seed, engine.cache,
                                           stop=self.stop_word, survey_fraction=engine.survey_fraction)
        self.round_seconds = min(self.round_seconds * ROUND_GROWTH, LONGEST_ROUND_SECONDS)
        return {**self.last_report, "rows": analysis_rows(result, self.searcher), "visits": int(result.root_visits),
                "seconds": time.monotonic() - self.started, "value": float(result.root_value)}

    def final_report(self, error: str | None = None) -> dict[str, Any]:
        """The last round's report, saying the analysis is over (and why, on an error)."""
        return {**self.last_report, "running": False, "error": error}


async def stream_analysis(analysis: Analysis, publish: Callable[[dict[str, Any]], None]) -> None:
    """Runs `analysis` round after round on its engine's search worker, publishing each
    round's report, until it is finished or this coroutine is cancelled; the last report
    published has "running": False (and "error" when the search failed or the engine's
    queue was full)."""
    error = None
    try:
        while not analysis.is_finished():
            report = await analysis.served.searches.run(analysis.search_round)
            analysis.last_report = report
            if not analysis.is_finished():
                publish(report)
    except asyncio.CancelledError:
        analysis.stop()  # a round still running ends at its next batch; a queued one is dropped
        publish(analysis.final_report())
        raise
    except WorkQueueFullError as busy:
        error = str(busy)
    except Exception as failure:  # noqa: BLE001 - the page hears of it; the log keeps the traceback
        logger.exception("analysis failed")
        error = f"analysis failed: {failure}"
    publish(analysis.final_report(error))
