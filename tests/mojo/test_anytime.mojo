"""The time-limited search driver (mojo/search/anytime.mojo) with a clock that moves only
when a batch is evaluated: every stopping point is exact, whatever the machine's load.

Unit: 1 ms = 1_000_000 ns. With a budget T and batches that take d each, the driver reads
the time at the top of each loop and stops once now + 1.5 d >= T, so after k batches
(now = k d) it stops at the first k >= T / d - 1.5; it always runs the first batch (the
root's evaluation).
"""

from std.atomic import Atomic
from std.testing import assert_equal, assert_true, assert_false, TestSuite

from mojo.game import Game, GameOptions
from mojo.search.anytime import AnytimeLimits, AnytimeOutcome, Clock, MonotonicClock, run_anytime
from mojo.search.core import SearchCore
from mojo.search.evaluators import BatchEvaluator, UniformEvaluator
from mojo.search.gumbel import GumbelSearch, GumbelConfig
from mojo.search.gumbel_formulas import SigmaParameters
from games.connect4 import Connect4
from games.tictactoe import TicTacToe

comptime MS = 1_000_000  # nanoseconds
comptime NO_LIMIT = 0  # max_simulations: none
comptime NO_STOP_WORD = 0


struct ManualClock(Clock, Movable):
    """A test clock: it reads a word in memory that only the test's evaluator moves.

    The evaluator writes the word through its address, not through this struct: the
    driver holds the clock as a `mut` argument, and the compiler may assume that nothing
    else changes an argument's own fields while the driver runs."""

    var word: List[Int64]

    def __init__(out self):
        self.word = List[Int64](length=1, fill=0)

    def address(self) -> Int:
        return Int(self.word.unsafe_ptr())

    def now_ns(mut self) -> Int:
        return _time_at(self.address())


def _time_at(address: Int) -> Int:
    return Int(Atomic[Int64].load(Pointer[Int64, MutAnyOrigin](unsafe_from_address=address)))


def _advance_time_at(address: Int, nanoseconds: Int):
    _ = Atomic[Int64].fetch_add(Pointer[Int64, MutAnyOrigin](unsafe_from_address=address), Int64(nanoseconds))


struct ScriptedEvaluator(BatchEvaluator, Movable):
    """Answers with fixed logits (uniform when empty) and value 0, advances the clock by
    the batch's scripted duration, sets the stop word during one chosen batch, and records
    what each batch held."""

    var time_address: Int  # the ManualClock's word
    var durations: List[Int]  # ns per batch, by batch number; the last one repeats
    var logits: List[Float32]  # per action; empty: uniform priors
    var stop_address: Int
    var stop_during_batch: Int  # 1-based batch that sets the stop word; 0: never
    var batch_start_ns: List[Int]
    var batch_simulations: List[Int]
    var root_child_requests: List[Int]  # actions of requested root children, in order

    def __init__(out self, clock: ManualClock, var durations: List[Int]):
        self.time_address = clock.address()
        self.durations = durations^
        self.logits = List[Float32]()
        self.stop_address = 0
        self.stop_during_batch = 0
        self.batch_start_ns = List[Int]()
        self.batch_simulations = List[Int]()
        self.root_child_requests = List[Int]()

    def batches(self) -> Int:
        return len(self.batch_start_ns)

    def answer_batch[G: Game](mut self, mut core: SearchCore[G]) raises:
        var batch = len(self.batch_start_ns)
        self.batch_start_ns.append(_time_at(self.time_address))
        self.batch_simulations.append(len(core.simulation_leaves))
        for index in range(core.num_requests()):
            var node = core.request_node(index)
            if node != 0 and Int(core.tree.parent[node]) == 0:
                self.root_child_requests.append(Int(core.tree.action[node]))
            if len(self.logits) == 0:
                core.receive_uniform(index, 0)
            else:
                var logits = Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(self.logits.unsafe_ptr()))
                core.receive(index, logits, 0)
        _advance_time_at(self.time_address, self.durations[min(batch, len(self.durations) - 1)])
        if batch + 1 == self.stop_during_batch:
            Pointer[Int64, MutAnyOrigin](unsafe_from_address=self.stop_address)[] = 1


def _config() -> GumbelConfig:
    var config = GumbelConfig(16, 1.0, SigmaParameters(50.0, 0.1, True), 1)  # mctx's values; the engine has no defaults
    config.gumbel_scale = 0  # no noise: the order of the moves is decided by priors and ties
    return config^


def _connect4() raises -> GumbelSearch[Connect4]:
    var options = GameOptions()
    return GumbelSearch[Connect4](Connect4.create(options), _config())


def _every_batch(duration_ns: Int) -> List[Int]:
    var durations = List[Int]()
    durations.append(duration_ns)
    return durations^


def _limits(
    seconds: Float64,
    max_simulations: Int = NO_LIMIT,
    survey_fraction: Float64 = 0.1,
    survey_batch: Int = 8,
    stop_address: Int = NO_STOP_WORD,
) -> AnytimeLimits:
    return AnytimeLimits(seconds, max_simulations, survey_fraction, survey_batch, stop_address)


# ------------------------------------------------------------------ the deadline
def test_stops_before_the_batch_that_would_overrun() raises:
    # T = 1 s, d = 100 ms: after 8 batches now = 800 ms and 800 + 150 < 1000, so batch 9
    # runs; after it now = 900 ms and 900 + 150 >= 1000: the 10th batch would overrun.
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = ScriptedEvaluator(clock, _every_batch(100 * MS))
    var outcome = run_anytime(search, _limits(1.0), 0, evaluator, clock)
    assert_equal(outcome.batches, 9)
    assert_equal(evaluator.batches(), 9)
    assert_equal(clock.now_ns(), 900 * MS)
    assert_equal(outcome.seconds, 0.9)


def test_never_overruns_a_budget_longer_than_a_batch() raises:
    # For any d <= T: it stops at the first k with (k + 1.5) d >= T, so k d <= T, and it
    # did not stop earlier, so (k - 1 + 1.5) d < T whenever k > 1.
    var budget = 1000 * MS
    for duration_ms in [7, 10, 13, 25, 30, 70, 99, 100, 333, 500, 1000]:
        var duration = duration_ms * MS
        var search = _connect4()
        var clock = ManualClock()
        var evaluator = ScriptedEvaluator(clock, _every_batch(duration))
        var outcome = run_anytime(search, _limits(1.0), 0, evaluator, clock)
        var k = outcome.batches
        assert_equal(clock.now_ns(), k * duration)
        assert_true(k * duration <= budget, String("overran with d = ", duration_ms, " ms"))
        assert_true(2 * k * duration + 3 * duration >= 2 * budget, String("stopped too early, d = ", duration_ms))
        if k > 1:
            assert_true(2 * (k - 1) * duration + 3 * duration < 2 * budget, String("late stop, d = ", duration_ms))
        if duration_ms == 70:  # k >= 1000 / 70 - 1.5 = 12.8: 13 batches, 910 ms
            assert_equal(k, 13)
        if duration_ms == 500:  # k >= 0.5: the first batch only
            assert_equal(k, 1)


def test_one_slow_batch_does_not_end_the_search_early() raises:
    # d = 10 ms, but batch 3 takes 200 ms. After it, last = 200 ms and the average is
    # 0.75 * 10 + 0.25 * 200 = 57.5 ms: the prediction uses the smaller, 1.5 * 57.5 =
    # 86.25 ms, and from batch 4 on last = 10 ms again. After k >= 3 batches now = (k + 19)
    # x 10 ms, so it stops at the first k with k + 19 + 1.5 >= 100: k = 80, at 990 ms,
    # the same time as with no slow batch (99 batches of 10 ms).
    for slow_batch in [0, 2]:  # the first batch (a network's first call), or batch 3
        var durations = List[Int]()
        for batch in range(slow_batch + 2):
            durations.append(200 * MS if batch == slow_batch else 10 * MS)
        var search = _connect4()
        var clock = ManualClock()
        var evaluator = ScriptedEvaluator(clock, durations^)
        var outcome = run_anytime(search, _limits(1.0), 0, evaluator, clock)
        assert_equal(outcome.batches, 80)
        assert_equal(clock.now_ns(), 990 * MS)
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = ScriptedEvaluator(clock, _every_batch(10 * MS))
    assert_equal(run_anytime(search, _limits(1.0), 0, evaluator, clock).batches, 99)
    assert_equal(clock.now_ns(), 990 * MS)


def test_a_solved_position_still_stops_on_time() raises:
    # TicTacToe a1 b2 a2 a3 c1 b1 b3 (squares 0 4 3 6 2 1 7): soon every simulation ends
    # in a finished game and batches come without requests; the clock is read anyway.
    var options = GameOptions()
    var state = TicTacToe.create(options)
    for square in [0, 4, 3, 6, 2, 1, 7]:
        state.apply(square)
    var search = GumbelSearch[TicTacToe](state^, _config())
    var clock = ManualClock()
    var evaluator = ScriptedEvaluator(clock, _every_batch(100 * MS))
    var outcome = run_anytime(search, _limits(1.0), 0, evaluator, clock)
    assert_equal(outcome.batches, 9)
    assert_equal(outcome.seconds, 0.9)
    assert_true(evaluator.batch_simulations[8] == 0)  # a batch of finished games only
    assert_true(Int(search.core.tree.visit_count[0]) > 100)


# ------------------------------------------------------------------ the survey
def _preferring_evaluator(clock: ManualClock, duration: Int) -> ScriptedEvaluator:
    """Connect4 column logits 0 3 1 6 2 5 4: prior order 3 5 6 1 4 2 0."""
    var evaluator = ScriptedEvaluator(clock, _every_batch(duration))
    for logit in [0.0, 3.0, 1.0, 6.0, 2.0, 5.0, 4.0]:
        evaluator.logits.append(Float32(logit))
    return evaluator^


def test_survey_visits_every_move_once_in_prior_order_within_its_share() raises:
    # T = 1 s, survey share 0.5 (500 ms), one move per batch, 50 ms per batch: batch 1
    # evaluates the root at 0 ms, batches 2..8 survey the 7 moves at 50..350 ms, and
    # batch 9 (400 ms) is the first round of halving over all 7 moves (m = 16 > 7).
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = _preferring_evaluator(clock, 50 * MS)
    var outcome = run_anytime(search, _limits(1.0, survey_fraction=0.5, survey_batch=1), 0, evaluator, clock)
    assert_true(outcome.surveyed_every_move)
    assert_equal(outcome.batches, 19)  # k >= 1000 / 50 - 1.5
    var expected = [3, 5, 6, 1, 4, 2, 0]
    for index in range(7):
        assert_equal(evaluator.root_child_requests[index], expected[index])
    for batch in range(1, 8):
        assert_equal(evaluator.batch_simulations[batch], 1)
        assert_true(evaluator.batch_start_ns[batch] < 500 * MS)
    assert_equal(evaluator.batch_simulations[8], 7)
    assert_equal(len(evaluator.root_child_requests), 7)  # no move was requested twice


def test_survey_ends_when_its_share_of_the_time_is_up() raises:
    # Survey share 0.25 of 1 s = 250 ms, 100 ms per batch: batches 2 and 3 (at 100 and
    # 200 ms) survey the two best moves; at 300 ms the survey is over, and batch 4 is a
    # round of halving over all 7 moves.
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = _preferring_evaluator(clock, 100 * MS)
    var outcome = run_anytime(search, _limits(1.0, survey_fraction=0.25, survey_batch=1), 0, evaluator, clock)
    assert_false(outcome.surveyed_every_move)
    assert_equal(outcome.batches, 9)
    assert_equal(evaluator.root_child_requests[0], 3)
    assert_equal(evaluator.root_child_requests[1], 5)
    assert_equal(evaluator.batch_simulations[1], 1)
    assert_equal(evaluator.batch_simulations[2], 1)
    assert_equal(evaluator.batch_simulations[3], 7)
    assert_equal(search.survey_next, 2)


def test_without_a_survey_share_halving_starts_at_once() raises:
    # survey_fraction 0: the survey deadline is the start, so batch 2 is already halving.
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = _preferring_evaluator(clock, 100 * MS)
    var outcome = run_anytime(search, _limits(1.0, survey_fraction=0.0, survey_batch=1), 0, evaluator, clock)
    assert_false(outcome.surveyed_every_move)
    assert_equal(search.survey_next, 0)
    assert_equal(evaluator.batch_simulations[1], 7)


# ------------------------------------------------------------------ stop word and simulations
def test_a_stop_word_set_before_a_batch_ends_the_search_there() raises:
    var word = List[Int64](length=1, fill=0)
    var address = Int(word.unsafe_ptr())
    # Set during batch 3: batch 4 does not start.
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = ScriptedEvaluator(clock, _every_batch(100 * MS))
    evaluator.stop_address = address
    evaluator.stop_during_batch = 3
    var outcome = run_anytime(search, _limits(1000.0, stop_address=address), 0, evaluator, clock)
    assert_equal(outcome.batches, 3)
    assert_equal(outcome.seconds, 0.3)
    # Already set at the start: only the root's evaluation runs.
    var search_again = _connect4()
    var clock_again = ManualClock()
    var evaluator_again = ScriptedEvaluator(clock_again, _every_batch(100 * MS))
    outcome = run_anytime(search_again, _limits(1000.0, stop_address=address), 0, evaluator_again, clock_again)
    assert_equal(outcome.batches, 1)
    assert_equal(Int(search_again.core.tree.visit_count[0]), 1)
    _ = word^


def test_max_simulations_stops_the_search() raises:
    # Uniform priors, value 0: every score ties and ranks follow child order. Survey of
    # all 7 moves in one batch (survey_batch 8), then a pass over the 7: (7 x 1), (4 x 2),
    # (2 x 4) with one round per batch.
    # 10 simulations: the survey (7), then 3 of the first round: 3 batches with the root's.
    var search = _connect4()
    var clock = ManualClock()
    var evaluator = ScriptedEvaluator(clock, _every_batch(100 * MS))
    var outcome = run_anytime(search, _limits(1000.0, max_simulations=10), 0, evaluator, clock)
    assert_equal(outcome.batches, 3)
    assert_equal(outcome.seconds, 0.3)
    assert_true(outcome.surveyed_every_move)
    assert_equal(Int(search.core.tree.visit_count[0]), 11)
    var expected_10 = [2, 2, 2, 1, 1, 1, 1]
    for index in range(7):
        assert_equal(search.phase_visits[index], expected_10[index])
    # 30 simulations: 1 (root) + 1 (survey) + 1 + 2 + 4 batches.
    var search_30 = _connect4()
    var clock_30 = ManualClock()
    var evaluator_30 = ScriptedEvaluator(clock_30, _every_batch(100 * MS))
    outcome = run_anytime(search_30, _limits(1000.0, max_simulations=30), 0, evaluator_30, clock_30)
    assert_equal(outcome.batches, 9)
    assert_equal(Int(search_30.core.tree.visit_count[0]), 31)
    var expected_30 = [8, 8, 4, 4, 2, 2, 2]
    for index in range(7):
        assert_equal(search_30.phase_visits[index], expected_30[index])


def test_runs_with_the_uniform_evaluator_and_the_monotonic_clock() raises:
    # The production pair, with a budget that only a stalled machine would reach: the
    # simulations stop it, and it reports no more time than passed around the call.
    var search = _connect4()
    var evaluator = UniformEvaluator()
    var clock = MonotonicClock()
    var before = clock.now_ns()
    var outcome = run_anytime(search, _limits(60.0, max_simulations=200), 0, evaluator, clock)
    var elapsed = Float64(clock.now_ns() - before) / 1e9
    assert_equal(Int(search.core.tree.visit_count[0]), 201)
    assert_true(outcome.batches > 1)
    assert_true(outcome.seconds > 0 and outcome.seconds <= elapsed)


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
