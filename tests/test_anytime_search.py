"""Anytime sequential halving (time-limited Gumbel search): the visit schedule against
hand-derived counts, the survey in prior order, and the clock.

The clock is read inside the Mojo driver, so no fake clock can be handed to it from here.
Its rules are tested instead with evaluators whose batches take known times, chosen so
that each test has a tenth of a second or more of slack for a busy machine (the stop rule
against hand-derived batch counts, the stop word with no clock at all); the tests that
time a whole search check only what a loaded machine cannot break (a search is never
shorter than most of its budget) and give the upper bound half a second to spare."""

import time

import numpy as np
import pytest
import torch

from pyzero.games import make
from pyzero.model import NetworkShape, ResNet
from pyzero.search import GumbelOptions, GumbelSearcher

NO_TIME_LIMIT = 1000.0  # seconds; these searches stop at max_simulations instead
# What a busy 2-core machine may add to a timed search beyond its budget (scheduling, a
# slow batch); the search's own rule aims to end before the budget.
LOADED_MACHINE_SLACK_S = 0.5


def anytime_visits(game, state, simulations, evaluator="uniform", **options):
    searcher = GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0, **options))
    result = searcher.run_for(NO_TIME_LIMIT, evaluator, max_simulations=simulations, survey_batch=64)
    return result


def test_schedule_with_four_candidates_matches_hand_count():
    # Connect4's 7 moves, uniform evaluator: every score ties, so ranks follow child order.
    # Survey: 1 each (7). Each pass over m = 4: phase (4 moves x 1) then (2 moves x 2) = 8.
    # 7 + 3 passes = 31 simulations: moves 0,1 get 1 + 3 * (1 + 2); moves 2,3 get 1 + 3 * 1.
    result = anytime_visits(None, make("connect4").new(), 31, max_considered_actions=4)
    assert result.phase_visits.tolist() == [10, 10, 4, 4, 1, 1, 1]
    assert result.root_visits == 1 + 31


def test_schedule_halves_odd_counts_upwards():
    # m = 16 > 7 moves: a pass is (7 x 1), (4 x 2), (2 x 4) = 23 simulations.
    result = anytime_visits(None, make("connect4").new(), 7 + 23)
    assert result.phase_visits.tolist() == [1 + 1 + 2 + 4] * 2 + [1 + 1 + 2] * 2 + [1 + 1] * 3


def test_survey_visits_moves_in_prior_order():
    game = make("connect4")
    preference = np.array([0.0, 3.0, 1.0, 6.0, 2.0, 5.0, 4.0], dtype=np.float32)  # column logits

    def evaluator(planes, legal):
        return np.tile(preference, (len(planes), 1)), np.zeros(len(planes), np.float32)

    searcher = GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0))
    result = searcher.run_for(NO_TIME_LIMIT, evaluator, max_simulations=3, survey_batch=1)
    visited = {result.moves[i] for i in np.flatnonzero(result.phase_visits)}
    top_three = {str(column + 1) for column in np.argsort(-preference)[:3]}
    assert visited == top_three


def test_without_survey_only_the_best_m_moves_are_searched():
    # survey_fraction 0: halving starts at once over the m best moves by prior.
    state = make("tak", size=5).new()
    searcher = GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0, max_considered_actions=4))
    result = searcher.run_for(NO_TIME_LIMIT, "uniform", max_simulations=40, survey_fraction=0.0)
    assert np.count_nonzero(result.phase_visits) == 4
    assert result.phase_visits.sum() == 40
    assert result.surveyed_every_move is False


def test_finds_an_immediate_win():
    game = make("connect4")
    state = game.play_moves("1 2 1 2 1 2")  # first player wins with 1
    result = GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0)).run_for(0.2, ("rollout", 4))
    assert result.chosen_move == "1"


@pytest.mark.parametrize("seconds", [0.25, 0.5])
def test_returns_on_time_and_uses_most_of_it_with_a_network(seconds):
    game = make("connect4")
    torch.set_num_threads(1)  # small batches; several threads on a busy machine are slower
    torch.manual_seed(0)
    model = ResNet(NetworkShape.of_game(game), blocks=2, channels=16).eval()

    def evaluator(planes, legal):
        with torch.inference_mode():
            logits, values = model(torch.from_numpy(planes))
        return logits.numpy(), values.numpy()

    searcher = GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0))
    started = time.perf_counter()
    result = searcher.run_for(seconds, evaluator)
    elapsed = time.perf_counter() - started
    assert 0.7 * seconds <= elapsed <= seconds + LOADED_MACHINE_SLACK_S
    assert result.seconds <= elapsed
    assert result.batches > 1 and result.root_visits > 10


def sleeping_evaluator(batch_seconds, calls):
    """A uniform Connect4 evaluator whose `n`-th call (from 1) sleeps `batch_seconds(n)`."""

    def evaluator(planes, legal):
        calls.append(len(planes))
        time.sleep(batch_seconds(len(calls)))
        return np.zeros((len(planes), 7), np.float32), np.zeros(len(planes), np.float32)

    return evaluator


def test_stops_before_a_batch_predicted_to_end_past_the_deadline():
    # The rule: before each batch, stop if now + 1.5 x (the shorter of the last batch and
    # the batches' moving average) reaches the deadline. Batches of 0.4 s, deadline 1.4 s:
    # after one batch 0.4 + 0.6 < 1.4, go on; after two 0.8 + 0.6 >= 1.4, stop. Two
    # batches, whatever a busy machine adds to the sleeps (the first may take up to 0.56 s).
    # Stopping only at the deadline would run four batches (to 1.6 s), a 1 x prediction three.
    calls = []
    searcher = GumbelSearcher(make("connect4").new(), GumbelOptions(gumbel_scale=0.0))
    result = searcher.run_for(1.4, sleeping_evaluator(lambda n: 0.4, calls))
    assert result.batches == len(calls) == 2
    assert 0.8 <= result.seconds < 1.4


def test_one_slow_batch_does_not_end_the_search_early():
    # The root's batch 20 ms, the second 0.5 s (a page fault, another process), then 20 ms
    # each, deadline 1 s. After the slow one the average is 0.75 x 0.02 + 0.25 x 0.5 =
    # 0.14 s: 0.52 + 1.5 x 0.14 = 0.73 < 1, so it goes on (the last batch alone would have
    # predicted 0.52 + 0.75 >= 1 and stopped) and uses most of the second.
    calls = []
    searcher = GumbelSearcher(make("connect4").new(), GumbelOptions(gumbel_scale=0.0))
    result = searcher.run_for(1.0, sleeping_evaluator(lambda n: 0.5 if n == 2 else 0.02, calls))
    assert result.batches == len(calls) > 2
    assert 0.7 <= result.seconds < 1.0 + LOADED_MACHINE_SLACK_S


def test_the_stop_word_ends_the_search_after_the_batch_that_set_it():
    # No clock involved: the evaluator sets the word during the third batch; the search
    # reads it before the next one (its deadline is 30 s away).
    from pyzero.search import SearchStop

    stop, calls = SearchStop(), []

    def evaluator(planes, legal):
        calls.append(len(planes))
        if len(calls) == 3:
            stop.set()
        return np.zeros((len(planes), 7), np.float32), np.zeros(len(planes), np.float32)

    result = GumbelSearcher(make("connect4").new(), GumbelOptions(gumbel_scale=0.0)).run_for(
        30.0, evaluator, stop=stop)
    assert result.batches == len(calls) == 3
    assert result.seconds < 30.0


def test_a_solved_position_returns_on_time():
    # Every simulation ends in a finished game: no evaluation batch, yet the clock is read.
    state = make("tictactoe").play_moves("a1 b2 a2 a3 c1 b1 b3")
    started = time.perf_counter()
    result = GumbelSearcher(state, GumbelOptions(gumbel_scale=0.0)).run_for(0.2, "uniform")
    elapsed = time.perf_counter() - started
    assert 0.14 <= elapsed <= 0.2 + LOADED_MACHINE_SLACK_S  # without the clock it would not stop
    assert result.root_visits > 100


def test_rejects_bad_limits():
    searcher = GumbelSearcher(make("connect4").new())
    with pytest.raises(ValueError, match="seconds"):
        searcher.run_for(0.0)
    with pytest.raises(ValueError, match="survey_fraction"):
        searcher.run_for(0.1, survey_fraction=1.0)


def test_network_engine_plays_on_time_with_the_configured_survey():
    from pyzero.players.network_player import NetworkPlayer, SearchLimits

    game = make("tak", size=5)
    torch.manual_seed(1)
    model = ResNet(NetworkShape.of_game(game), blocks=1, channels=8)
    engine = NetworkPlayer(game, model, GumbelOptions(gumbel_scale=0.0), survey_fraction=0.5)
    state = game.play_moves("a1 e5 c3")
    started = time.perf_counter()
    result = engine.analyse(state, SearchLimits(seconds=0.3))
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed <= 0.3 + LOADED_MACHINE_SLACK_S
    assert result.surveyed_every_move  # half of 0.3 s covers Tak 5x5's few dozen moves
    assert result.chosen_move in state.legal_moves()


def test_another_thread_can_stop_a_timed_search():
    import threading

    from pyzero.search import SearchStop

    stop = SearchStop()
    timer = threading.Timer(0.2, stop.set)
    game = make("connect4")
    torch.set_num_threads(1)
    model = ResNet(NetworkShape.of_game(game), blocks=1, channels=8).eval()

    def evaluator(planes, legal):  # Python code: the timer thread gets the GIL meanwhile
        with torch.inference_mode():
            logits, values = model(torch.from_numpy(planes))
        return logits.numpy(), values.numpy()

    started = time.perf_counter()
    timer.start()
    result = GumbelSearcher(game.new(), GumbelOptions(gumbel_scale=0.0)).run_for(30.0, evaluator, stop=stop)
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed <= 0.2 + LOADED_MACHINE_SLACK_S  # not the 30 s
    assert stop.is_set() and result.root_visits > 1
