"""The evaluation cache inside the search loop: cached positions skip the evaluator."""

import numpy as np
import pytest

from pyzero.games import make
from pyzero.search import EvaluationCache, GumbelSearcher, gumbel_search, puct_search


def counting_uniform_evaluator(calls):
    def evaluate(planes, legal):
        calls.append(len(planes))
        return np.zeros(legal.shape, np.float32), np.linspace(-0.5, 0.5, len(planes)).astype(np.float32)
    return evaluate


def test_a_repeated_search_is_answered_from_the_cache():
    state = make("connect4").play_moves("4 3")
    cache = EvaluationCache(entries=4096, max_policy_length=7)
    first_calls, second_calls = [], []
    first = gumbel_search(state, 100, counting_uniform_evaluator(first_calls), seed=5, cache=cache)
    after_first = cache.stats()
    assert after_first["hits"] == 0 and after_first["inserts"] == sum(first_calls) > 0
    second = gumbel_search(state, 100, counting_uniform_evaluator(second_calls), seed=5, cache=cache)
    after_second = cache.stats()
    assert sum(second_calls) == 0  # every position of the same search was cached
    assert after_second["hits"] == sum(first_calls)
    # Equal priors survive Float16 storage exactly relative to each other: same search.
    np.testing.assert_array_equal(first.visits, second.visits)
    assert first.chosen_action == second.chosen_action
    assert after_second["lookups"] == after_second["hits"] + after_second["misses"]


def test_cache_hits_across_transpositions_and_moves():
    state = make("tictactoe").new()
    cache = EvaluationCache(entries=1 << 12, max_policy_length=9)
    searcher = GumbelSearcher(state)
    calls = []
    searcher.run(200, counting_uniform_evaluator(calls), seed=1, cache=cache)
    stats = cache.stats()
    # TicTacToe transposes heavily: different tree nodes share positions.
    assert stats["hits"] > 0
    assert sum(calls) == stats["misses"]


def test_puct_uses_the_cache_too_and_clear_empties_it():
    state = make("connect4").new()
    cache = EvaluationCache(entries=1 << 12, max_policy_length=7)
    puct_search(state, 64, "uniform", seed=0, cache=cache)
    puct_search(state, 64, "uniform", seed=0, cache=cache)
    assert cache.stats()["hits"] > 0
    cache.clear()
    calls = []
    puct_search(state, 8, counting_uniform_evaluator(calls), seed=0, cache=cache)
    assert sum(calls) > 0


def test_long_policies_are_not_stored():
    state = make("tak", size=5).new()  # 25 legal moves at the start
    cache = EvaluationCache(entries=64, max_policy_length=8)
    gumbel_search(state, 16, "uniform", seed=0, cache=cache)
    assert cache.stats()["inserts"] == 0


def test_results_of_a_batch_evaluated_while_new_weights_arrive_are_not_cached():
    # The evaluator of the old weights (value +0.9) is called; during its call new
    # weights (-0.9) are published. Its results reach the search afterwards: the search
    # uses them, but the cache must not keep them for later searches.
    state = make("connect4").play_moves("4 3")
    cache = EvaluationCache(entries=4096, max_policy_length=7)
    weights = {"value": 0.9}

    def evaluate(planes, legal):
        value = weights["value"]
        if value > 0:
            weights["value"] = -0.9
            cache.new_weights()  # published while this batch is being evaluated
        return np.zeros(legal.shape, np.float32), np.full(len(planes), value, np.float32)

    first = gumbel_search(state, 1, evaluate, seed=0, cache=cache)  # the first batch: the root
    assert first.network_value == pytest.approx(0.9)
    assert cache.stats()["stale"] == 1  # the root's result was not stored
    second = gumbel_search(state, 1, evaluate, seed=0, cache=cache)
    assert second.network_value == pytest.approx(-0.9)  # evaluated again, with the new weights
    hits = cache.stats()["hits"]
    third = gumbel_search(state, 1, evaluate, seed=0, cache=cache)
    assert third.network_value == pytest.approx(-0.9) and cache.stats()["hits"] > hits  # now from the cache
