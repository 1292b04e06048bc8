"""Analysis for the page: a search on one position that reports its top moves while it runs.

The search runs on a thread in rounds of growing length on one `GumbelSearcher`, so the
tree (and the visits) grow from round to round; after each round the root's moves go to
`publish` (visits, Q, prior, the engine's policy and each move's principal variation).
`stop()` ends the running round at its next batch (a `SearchStop` word the search reads
without the GIL) and no round starts after it. Each round holds the engine's lock (the
network and its cache serve one search at a time), so other tabs' moves slip in between
rounds.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from pyzero.games import State
from pyzero.search import GumbelSearcher, SearchResult, SearchStop
from pyzero.web.engines import ServedEngine

FIRST_ROUND_SECONDS = 0.15
ROUND_GROWTH = 1.5
LONGEST_ROUND_SECONDS = 1.0  # bounds how stale the page's view gets, and how long stop takes
LONGEST_ANALYSIS_SECONDS = 600.0  # a forgotten analysis ends by itself (the tree only grows)
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


class AnalysisJob(threading.Thread):
    """Searches `state` with `served`'s engine until `stop()`, publishing after each round.

    `publish(report)` is called on this thread with {"running", "rows", "visits",
    "seconds", "value", "position", "error"}; the last report has "running": False."""

    def __init__(self, served: ServedEngine, state: State, publish: Callable[[dict[str, Any]], None]):
        super().__init__(name="pyzero-web-analysis", daemon=True)
        self.served = served
        self.state = state.copy()
        self.publish = publish
        self.stop_word = SearchStop()
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.stop_word.set()

    def run(self) -> None:
        engine = self.served.engine
        started = time.monotonic()
        report: dict[str, Any] = {"running": True, "rows": [], "visits": 0, "seconds": 0.0, "value": None,
                                  "position": self.state.position(), "error": None}
        try:
            searcher = GumbelSearcher(self.state, engine.gumbel)  # this thread's alone: no lock needed
            round_seconds = FIRST_ROUND_SECONDS
            while not self._stopping.is_set():
                # The lock guards the network and its cache; taken per round, so another
                # tab's engine move waits one round at most, not the whole analysis.
                with self.served.lock:
                    result = searcher.run_for(round_seconds, engine.evaluator(), engine.seed, engine.cache,
                                              stop=self.stop_word, survey_fraction=engine.survey_fraction)
                elapsed = time.monotonic() - started
                report.update(rows=analysis_rows(result, searcher), visits=int(result.root_visits),
                              seconds=elapsed, value=float(result.root_value))
                if elapsed >= LONGEST_ANALYSIS_SECONDS:
                    break
                if not self._stopping.is_set():
                    self.publish(dict(report))
                round_seconds = min(round_seconds * ROUND_GROWTH, LONGEST_ROUND_SECONDS)
        except Exception as error:  # noqa: BLE001 - the page hears of it; the log keeps the traceback
            logger.exception("analysis failed")
            report["error"] = f"analysis failed: {error}"
        report["running"] = False
        self.publish(report)
