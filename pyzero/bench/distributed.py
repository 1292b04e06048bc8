"""`pyzero bench distributed CONFIG`: self-play positions per second in one process and in
Ray actors (1, 2, ... of them), with the same config, in one report.

Self-play alone (no learner), so the numbers are the pipelines' and Ray's overhead, not
the learner's share of the CPU. Each variant plays `warmup_seconds` unmeasured (actors
start, engines load, the first batches), then `seconds` measured. The single-process run
counts the engine's `positions` counter over the window; the fleet counts the same counter
as its actors report it with each call's result, from the first result after the warm-up
to the last one, over the wall time between them (so the time a call's result spends
travelling back to the driver is in the measurement, as it is in a run).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

from pyzero.config import RunConfig, make_game_from_config
from pyzero.distributed.cluster import LOCAL, check_resources, connect
from pyzero.distributed.fleet import ActorFleet
from pyzero.inference import make_backend
from pyzero.model import build_model
from pyzero.selfplay import SelfPlay, SelfPlayOptions


@dataclass
class SelfPlayRate:
    variant: str  # "single process (first)", "ray, N actors", "single process (last)"
    actors: int  # 0 for the single process
    positions: float
    seconds: float
    positions_per_second: float
    ratio_to_single_process: float = 1.0  # to the mean of the two single-process runs


def measure_single_process(config: RunConfig, seconds: float, warmup_seconds: float) -> SelfPlayRate:
    game = make_game_from_config(config)
    backend = make_backend(build_model(config, game).eval(), config.inference)
    selfplay = SelfPlay(game, [backend], SelfPlayOptions.from_config(config, seed=1))
    with selfplay:
        time.sleep(warmup_seconds)
        selfplay.take_finished()
        before, started = selfplay.counters()["positions"], time.monotonic()
        time.sleep(seconds)
        after, elapsed = selfplay.counters()["positions"], time.monotonic() - started
    return SelfPlayRate("single process", 0, after - before, elapsed, (after - before) / elapsed)


def measure_fleet(config: RunConfig, actors: int, seconds: float, warmup_seconds: float) -> SelfPlayRate:
    config = config.model_copy(deep=True)
    config.distributed.actors = actors
    check_resources(config.distributed)
    game = make_game_from_config(config)
    fleet = ActorFleet(config, run_seed=1, initial_state_dict=copy.deepcopy(build_model(config, game).state_dict()))
    try:
        fleet.start()
        warm_until = time.monotonic() + warmup_seconds
        while time.monotonic() < warm_until:
            fleet.take_finished()
            time.sleep(0.01)
        first = _next_result(fleet)
        measure_until = first[0] + seconds
        last = first
        while last[0] < measure_until:
            last = _next_result(fleet)
    finally:
        fleet.stop()
    elapsed = last[0] - first[0]
    return SelfPlayRate(f"ray, {actors} actor{'s' if actors > 1 else ''}", actors, last[1] - first[1], elapsed,
                        (last[1] - first[1]) / elapsed)


def _next_result(fleet: ActorFleet) -> tuple[float, float]:
    """(when, positions so far) at the next call result any actor returns."""
    seen = sum(actor.games for actor in fleet.actors), fleet.counters()["positions"]
    while True:
        fleet.take_finished()
        positions = fleet.counters()["positions"]
        if positions != seen[1]:
            return time.monotonic(), positions
        time.sleep(0.002)


def run_distributed_benchmark(config: RunConfig, actor_counts: tuple[int, ...] = (1, 2), seconds: float = 20.0,
                              warmup_seconds: float = 5.0, address: str = LOCAL) -> list[SelfPlayRate]:
    """The single-process rate before and after the fleet's with each actor count (see
    the module); ratios are to the mean of the two single-process runs, so a load that
    changes on a shared machine during the benchmark shows as their difference."""
    before = measure_single_process(config, seconds, warmup_seconds)
    before.variant = "single process (first)"
    connect(address, config.distributed)
    fleets = [measure_fleet(config, actors, seconds, warmup_seconds) for actors in actor_counts]
    after = measure_single_process(config, seconds, warmup_seconds)
    after.variant = "single process (last)"
    single = (before.positions_per_second + after.positions_per_second) / 2
    for rate in [before, *fleets, after]:
        rate.ratio_to_single_process = rate.positions_per_second / single
    return [before, *fleets, after]
