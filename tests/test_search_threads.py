"""A search called from Python leaves the GIL to other Python threads while it walks the
tree (a TEI reader must see `stop` while a search runs on another thread), takes it back
for a Python evaluator's call, and brings that evaluator's errors back as exceptions.

What is compared is how often a Python thread that sleeps 5 ms at a time gets to run (a
thread waking from a wait, like a reader woken by a line, needs the GIL to go on), beside
a search against beside a `time.sleep`, as a ratio measured in the same test. When the
search only let go of the GIL for an instant between batches, such a thread waited up to
4 s for it (CPython never forces a switch while the holder keeps releasing and retaking).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from pyzero.games import make
from pyzero.search import EvaluationCache, GumbelOptions, GumbelSearcher, PuctOptions, PuctSearcher

NAP_SECONDS = 0.005
# Beside a search that leaves the GIL the sleeping thread wakes about as often as beside
# `time.sleep` (ratio near 1); the old loops gave it a few percent, or nothing at all.
LEAST_WAKEUP_RATIO = 0.3


def wakeups_per_second_beside(work) -> float:
    """How many 5 ms naps per second a Python thread completes while `work()` runs here."""
    done = threading.Event()
    counts: list[int] = []

    def nap() -> None:
        naps = 0
        while not done.is_set():
            time.sleep(NAP_SECONDS)
            naps += 1
        counts.append(naps)

    sleeper = threading.Thread(target=nap)
    sleeper.start()
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    done.set()
    sleeper.join()
    return counts[0] / elapsed


def wakeup_ratio_beside(search) -> float:
    return wakeups_per_second_beside(search) / wakeups_per_second_beside(lambda: time.sleep(0.4))


@pytest.mark.parametrize("search_name", ["gumbel run", "gumbel run_for", "puct run"])
def test_other_python_threads_run_while_a_search_walks_the_tree(search_name):
    state = make("connect4").new()
    # The uniform evaluator is Mojo: no Python runs in this thread during the search.
    searches = {
        "gumbel run": lambda: GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0)).run(200_000, "uniform"),
        "gumbel run_for": lambda: GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0)).run_for(0.4, "uniform"),
        "puct run": lambda: PuctSearcher(state, PuctOptions(dirichlet_fraction=0.0)).run(200_000, "uniform"),
    }
    ratio = wakeup_ratio_beside(searches[search_name])
    assert ratio >= LEAST_WAKEUP_RATIO, f"a sleeping thread woke {ratio:.3f} times as often beside the search"


def test_a_cache_answered_search_still_leaves_the_gil():
    """The case that delayed TEI's `stop` by seconds: the cache answers (nearly) every
    leaf, so the Python evaluator is (nearly) never called and the old loop only dropped
    the GIL for an instant between batches, which the sleeping thread rarely won."""
    game = make("tictactoe")
    calls = []

    def evaluator(planes, legal):
        calls.append(len(planes))
        return np.zeros(legal.shape, dtype=np.float32), np.zeros(len(planes), dtype=np.float32)

    cache = EvaluationCache(1 << 13, max_policy_length=game.num_actions)
    GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run(100_000, evaluator, cache=cache)
    assert sum(calls) <= 5478  # TicTacToe's legal positions, each evaluated at most once
    warm = len(calls)

    results = []
    ratio = wakeup_ratio_beside(lambda: results.append(
        GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run_for(0.4, evaluator, cache=cache)))
    # Nearly every batch of the timed search was answered without calling Python.
    assert len(calls) - warm <= results[0].batches // 20, (len(calls) - warm, results[0].batches)
    assert ratio >= LEAST_WAKEUP_RATIO, f"a sleeping thread woke {ratio:.3f} times as often beside the search"


@pytest.mark.parametrize("with_cache", [False, True])
def test_an_evaluator_error_comes_back_as_an_exception(with_cache):
    game = make("connect4")
    batches = []

    def failing_evaluator(planes, legal):
        batches.append(len(planes))
        if len(batches) == 3:
            raise RuntimeError("the network fell over")
        return np.zeros(legal.shape, dtype=np.float32), np.zeros(len(planes), dtype=np.float32)

    cache = EvaluationCache(1 << 10, max_policy_length=game.num_actions) if with_cache else None
    with pytest.raises(Exception, match="the network fell over"):
        GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run(200, failing_evaluator, cache=cache)
    batches.clear()
    with pytest.raises(Exception, match="the network fell over"):
        GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run_for(30.0, failing_evaluator, cache=cache)
    # The interpreter is intact (the GIL is held again): a search after the errors works.
    result = GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run(32, "uniform")
    assert result.root_visits == 33  # the root's own evaluation counts as a visit
