"""The driver of a time-limited (anytime) Gumbel search: it runs the search's batches
until its time is up, another thread stops it, or it reaches its simulation limit.

    var outcome = run_anytime(search, limits, seed, evaluator, clock)

The search (`GumbelSearch.start_anytime`, see gumbel.mojo) first surveys the root, one
simulation per legal move in prior order; the driver ends the survey when its share of
the time (`survey_fraction`) is up, and sequential-halving passes deepen the search from
then on. The driver stops

- before a batch predicted to end past the deadline: the prediction is 1.5 x the smaller
  of the last batch's duration and a moving average of them (weight 1/4 on the newest),
  so one slow batch (the network's first call, a page fault, another process) does not
  end the search early;
- at the next batch once the stop word (an Int64 another thread sets; address 0: none)
  is nonzero;
- when the search has started `max_simulations` simulations.

It always runs at least one batch (the root's evaluation), whatever the clock and the
stop word say.

The clock is a parameter (`Clock`): `MonotonicClock` reads the monotonic time, and a test
clock that only moves when the test says so makes every stopping point exact. Times are
whole nanoseconds, so a test clock's arithmetic has no rounding. The evaluator is a
parameter too (`BatchEvaluator` in evaluators.mojo).
"""

from std.atomic import Atomic, Ordering
from std.time import perf_counter_ns

from mojo.game import Game
from mojo.search.gumbel import GumbelSearch
from mojo.search.evaluators import BatchEvaluator


trait Clock:
    """A source of time for the driver: nanoseconds from any fixed origin, never
    decreasing."""

    def now_ns(mut self) -> Int:
        """The current time in nanoseconds."""
        ...


struct MonotonicClock(Clock, Movable):
    """The production clock: the monotonic time (`perf_counter_ns`)."""

    def __init__(out self):
        pass

    def now_ns(mut self) -> Int:
        """The current monotonic time in nanoseconds."""
        return Int(perf_counter_ns())


@fieldwise_init
struct AnytimeLimits(Copyable, Movable):
    """When a time-limited search stops, and how it spends its survey."""

    var seconds: Float64
    """The time budget."""
    var max_simulations: Int
    """At most this many simulations; 0 or less: no limit."""
    var survey_fraction: Float64
    """The survey of the root's moves ends once this share of `seconds` has passed."""
    var survey_batch: Int
    """Root moves surveyed per evaluation batch."""
    var stop_address: Int
    """The address of an Int64 word another thread sets to stop the search; 0: none."""


@fieldwise_init
struct AnytimeOutcome(Copyable, Movable):
    """What a time-limited search reports besides its tree."""

    var batches: Int
    """Evaluation batches run (`collect` calls that returned True)."""
    var seconds: Float64
    """Time used, by the driver's clock."""
    var surveyed_every_move: Bool
    """Whether the survey reached every legal root move."""


def stop_requested(stop_address: Int) -> Bool:
    """Whether the stop word at `stop_address` is set (never, for address 0)."""
    if stop_address == 0:
        return False
    var word = Pointer[Int64, MutAnyOrigin](unsafe_from_address=stop_address)
    return Atomic[Int64].load[ordering=Ordering.ACQUIRE](word) != 0


def run_anytime[G: Game, E: BatchEvaluator, C: Clock](
    mut search: GumbelSearch[G], limits: AnytimeLimits, seed: UInt64, mut evaluator: E, mut clock: C
) raises -> AnytimeOutcome:
    """Runs a time-limited anytime search from the search's current root (its tree is
    kept: call after `set_root` or `advance`). See the module docstring for when it
    stops. Touches no Python object itself (the bindings run it without the GIL)."""
    var max_simulations = limits.max_simulations
    if max_simulations <= 0:
        max_simulations = Int(Int32.MAX)
    search.start_anytime(max_simulations, seed, limits.survey_batch)
    var started = clock.now_ns()
    var deadline = started + Int(limits.seconds * 1e9)
    var survey_deadline = started + Int(limits.seconds * limits.survey_fraction * 1e9)
    var average_batch = 0.0
    var last_batch = 0.0
    var batches = 0
    while True:
        var now = clock.now_ns()
        if now >= survey_deadline:
            search.finish_survey()
        if batches > 0 and Float64(now) + 1.5 * min(average_batch, last_batch) >= Float64(deadline):
            break
        if batches > 0 and stop_requested(limits.stop_address):
            break
        if not search.collect():
            break
        evaluator.answer_batch(search.core)
        search.core.backup()
        var duration = Float64(clock.now_ns() - now)
        last_batch = duration
        average_batch = duration if batches == 0 else 0.75 * average_batch + 0.25 * duration
        batches += 1
    var surveyed = search.survey_next >= len(search.survey_order)
    return AnytimeOutcome(batches, Float64(clock.now_ns() - started) / 1e9, surveyed)
