"""The driver's side of distributed self-play: the actors, their calls, their failures.

`ActorFleet` has the face of `SelfPlay` that the trainer drives (start, check,
take_finished, publish_weights, counters, stop), so the learner loop is the same one.

Weights: `publish_weights` puts the state dict into the object store once per version
(`ray.put`) and every later call to every actor carries that one reference; an actor
fetches it only when the version is new to it. The version is the learner step at which
it was published, so "weights lag" is measured in learner steps.

Backpressure: each actor has at most `max_inflight_per_actor` `play` calls queued, and a
new one is queued only after the driver took a finished one's games. When the driver
falls behind (it takes results between learner steps; a long step, an evaluation or a
checkpoint holds them), the results waiting in the object store are bounded (actors x
in-flight x one call's games) and the actors, having no call queued, park their
pipelines: self-play waits for the driver instead of growing memory, and nothing is
dropped. (A learner that merely trains slower than `replay_ratio` asks still takes the
results: the games keep coming and fewer samples are trained per position, as in a
single-process run.)

Failures: an exception inside an actor comes back with the actor's traceback; it is
logged, and the actor is killed so that Ray restarts it (`max_restarts`). A dead actor
(its process killed, its node gone) fails its queued calls; Ray restarts it and the fleet
queues calls again. A restarted actor plays new games (a new seed); it loses only what
it had not returned: its unfinished games and at most the calls in flight (each
`collect_seconds` of play). A call that does not answer within `call_timeout_seconds` (a
stuck actor) gets the actor killed and restarted. An actor that has used up its restarts
is dropped and the log says the run goes on with fewer; with none left the run fails.
Results are taken whole or not at all, so the replay buffer never sees a torn game.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from pyzero.config import RunConfig
from pyzero.distributed.actor import PlayResult, SelfPlayActor
from pyzero.distributed.errors import DistributedError
from pyzero.records import FinishedGames

log = logging.getLogger("pyzero.distributed")

# How often `check` asks Ray which calls have answered (the trainer calls it every turn).
_POLL_INTERVAL_SECONDS = 0.02
# While an actor is dead or restarting, Ray fails the calls sent to it at once: the driver
# waits this long after each such failure before queueing calls on it again.
_RESTART_SETTLE_SECONDS = 1.0
# Extra time for the last calls to come back when stopping (beyond one call's play).
_STOP_GRACE_SECONDS = 30.0

# The dashboard's self-play rates and the pipeline counters they come from.
_RATES = {"games/s": "games_finished", "positions/s": "positions", "evaluations/s": "evaluations"}


@dataclass
class InflightCall:
    reference: object  # the ObjectRef of a `play` call
    submitted_at: float


@dataclass
class ActorRecord:
    """What the driver knows about one actor."""

    index: int
    handle: object
    calls: list[InflightCall] = field(default_factory=list)
    alive: bool = True  # False once it has used up its restarts
    restarts: int = 0  # new lives seen (a result from a restarted incarnation)
    unavailable_since: float = -2e9  # when it was last seen dead or restarting
    last_result_at: float = -1e9  # when its last call's games came back
    node_id: str = ""  # the Ray node its last result came from
    incarnation: int = 0
    games: int = 0
    positions: int = 0
    last_weights_version: int = -1
    positions_per_second: float = 0.0
    rates: dict[str, float] = field(default_factory=dict)  # over its last call (see ActorFleet.rates)
    counters: dict[str, float] = field(default_factory=dict)  # the current incarnation's
    counters_before: dict[str, float] = field(default_factory=dict)  # earlier incarnations', summed


class ActorFleet:
    """`distributed.actors` self-play actors on the connected Ray cluster (see the module)."""

    def __init__(self, config: RunConfig, run_seed: int, initial_state_dict: dict,
                 current_step: Callable[[], int] = lambda: 0, actor_class: type = SelfPlayActor):
        """`current_step`: the learner's step (each published version is numbered with it);
        `actor_class`: SelfPlayActor or a subclass (tests inject failures with one)."""
        import ray

        self.config = config
        self.section = config.distributed
        self.current_step = current_step
        remote_actor = ray.remote(actor_class)
        snapshot = config.snapshot()
        self.actors = [
            ActorRecord(index, remote_actor.options(
                num_cpus=self.section.cpus_per_actor, num_gpus=self.section.gpus_per_actor,
                max_restarts=self.section.max_restarts, max_task_retries=0,
                name=None).remote(snapshot, index, run_seed))
            for index in range(self.section.actors)]
        self.weights_version = -1
        self.weights_reference = None
        self.publish_weights(initial_state_dict)
        self.running = False
        self._finished: list[FinishedGames] = []
        self._last_poll = 0.0
        self._wait_until_ready()

    # -- start-up ----------------------------------------------------------------------------
    def _wait_until_ready(self) -> None:
        """Every actor built (engine loaded, backend made) within the start-up timeout, or a
        clear error: an actor no node can place would otherwise wait forever."""
        import ray

        pending = {actor.handle.describe.remote(): actor for actor in self.actors}
        driver_node = ray.get_runtime_context().get_node_id()
        self.actors_on_driver_node = 0
        deadline = time.monotonic() + self.section.startup_timeout_seconds
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=max(deadline - time.monotonic(), 0))
            if not ready:
                self.shutdown()
                raise DistributedError(
                    f"{len(pending)} of {len(self.actors)} self-play actors were not ready after "
                    f"{self.section.startup_timeout_seconds:g} s (distributed.startup_timeout_seconds): does a "
                    f"node have {self.section.cpus_per_actor:g} CPUs and {self.section.gpus_per_actor:g} GPUs "
                    f"free for each? The cluster has {ray.available_resources()} available")
            actor = pending.pop(ready[0])
            try:
                description = ray.get(ready[0])
            except Exception as error:  # noqa: BLE001 - the actor's own traceback, for the user
                self.shutdown()
                raise DistributedError(f"self-play actor {actor.index} failed to start:\n{error}") from None
            self.actors_on_driver_node += description["node"] == driver_node
            log.info("self-play actor %d ready on node %s (pid %d, seed %d)", description["actor"],
                     description["node"][:12], description["pid"], description["seed"])

    # -- the SelfPlay face ------------------------------------------------------------------
    def publish_weights(self, state_dict: dict, network: int = 0) -> None:
        """A new weights version: one object in the object store, one reference for all."""
        import ray

        cpu_state = {name: tensor.detach().cpu() for name, tensor in state_dict.items()}
        self.weights_version = max(self.current_step(), self.weights_version + 1)
        self.weights_reference = ray.put(cpu_state)

    def start(self) -> None:
        self.running = True
        for actor in self.actors:
            self._fill(actor)

    def check(self) -> None:
        """Takes the answered calls' games, handles failures, queues new calls; raises
        when no actor is left."""
        now = time.monotonic()
        if now - self._last_poll < _POLL_INTERVAL_SECONDS:
            return
        self._last_poll = now
        self._collect(timeout=0)

    def take_finished(self) -> FinishedGames:
        """Every game the actors returned since the last call (possibly none)."""
        self._collect(timeout=0)
        parts, self._finished = self._finished, []
        return FinishedGames.concatenate(parts) if parts else _no_games()

    def stop(self) -> None:
        """Queues no more calls, takes the games of those in flight (waiting at most one
        call's play plus a grace), then ends the actors."""
        if self.running:
            self.running = False
            deadline = time.monotonic() + self.section.collect_seconds + _STOP_GRACE_SECONDS
            # An actor Ray is restarting (its node gone, say) may not answer for a long while:
            # only the serving actors' calls are waited for.
            while any(actor.calls and actor.unavailable_since <= actor.last_result_at for actor in self.actors) \
                    and time.monotonic() < deadline:
                self._collect(timeout=min(0.5, max(deadline - time.monotonic(), 0)))
        self.shutdown()

    def shutdown(self) -> None:
        """Ends every actor for good (their queued calls are dropped)."""
        import ray

        for actor in self.actors:
            actor.calls = []
            try:
                ray.kill(actor.handle, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass

    def counters(self) -> dict[str, float]:
        """The pipelines' counters summed over actors and their incarnations (so rates
        stay right across a restart)."""
        total: dict[str, float] = {}
        for actor in self.actors:
            for source in (actor.counters_before, actor.counters):
                for key, value in source.items():
                    total[key] = total.get(key, 0.0) + value
        for key in ("evaluations", "batches", "games_finished", "positions", "cache_hits", "cache_lookups",
                    "outstanding", "unsent", "worker_idle_seconds", "network_wait_seconds"):
            total.setdefault(key, 0.0)
        # Instantaneous, not cumulative: only the current incarnations count.
        for key in ("outstanding", "unsent"):
            total[key] = sum(actor.counters.get(key, 0.0) for actor in self.actors)
        return total

    def rates(self) -> dict[str, float]:
        """Games, positions and evaluations per second of the serving actors, each from its
        last call (results come once per call: rates over the driver's short refresh
        windows would read 0 between two of them)."""
        serving = [actor for actor in self.actors if actor.alive and actor.unavailable_since <= actor.last_result_at]
        return {name: sum(actor.rates.get(name, 0.0) for actor in serving) for name in _RATES}

    def actor_metrics(self) -> dict[str, float]:
        """Per actor, for the dashboard and TensorBoard: alive, restarts, positions/s, weights lag."""
        metrics: dict[str, float] = {"actors alive": sum(actor.alive for actor in self.actors),
                                     "actor restarts": sum(actor.restarts for actor in self.actors)}
        for actor in self.actors:
            prefix = f"actor {actor.index}"
            metrics[f"{prefix} alive"] = int(actor.alive)
            metrics[f"{prefix} restarts"] = actor.restarts
            metrics[f"{prefix} positions/s"] = actor.positions_per_second
            lag = self.weights_version - actor.last_weights_version if actor.last_weights_version >= 0 else -1
            metrics[f"{prefix} weights lag"] = lag
        return metrics

    # -- calls -----------------------------------------------------------------------------
    def _fill(self, actor: ActorRecord) -> None:
        """Queues `play` calls on a live actor up to the in-flight bound."""
        if not self.running or not actor.alive:
            return
        if time.monotonic() - actor.unavailable_since < _RESTART_SETTLE_SECONDS:
            return  # queued by a later poll (`_collect` refills every actor)
        while len(actor.calls) < self.section.max_inflight_per_actor:
            # The reference goes inside a list: Ray would otherwise fetch the weights for
            # every call; the actor fetches them only for a version new to it.
            reference = actor.handle.play.remote(self.weights_version, [self.weights_reference],
                                                 self.section.collect_seconds)
            actor.calls.append(InflightCall(reference, time.monotonic()))

    def _collect(self, timeout: float) -> None:
        import ray

        for actor in self.actors:
            self._fill(actor)  # an actor left without calls after a death gets them here
        owners = {call.reference: (actor, call) for actor in self.actors for call in actor.calls}
        if not owners:
            return
        references = [call.reference for actor in self.actors for call in actor.calls]
        ready, _ = ray.wait(references, num_returns=len(references), timeout=timeout)
        for reference in ready:
            actor, call = owners[reference]
            if call not in actor.calls:
                continue  # the actor was given up meanwhile
            actor.calls.remove(call)
            try:
                result: PlayResult = ray.get(reference)
            except ray.exceptions.ActorUnavailableError as error:
                self._actor_unavailable(actor, call, error)
            except ray.exceptions.RayActorError as error:  # ActorDiedError: no restart left
                self._actor_gone(actor, error)
            except ray.exceptions.RayTaskError as error:
                self._actor_failed(actor, error)
            else:
                self._accept(actor, result)
            self._fill(actor)
        self._probe_health()
        if not any(actor.alive for actor in self.actors):
            raise DistributedError("every self-play actor is gone (each used up distributed.max_restarts "
                                   f"= {self.section.max_restarts}); see the log for their errors")

    def _accept(self, actor: ActorRecord, result: PlayResult) -> None:
        if result.incarnation != actor.incarnation:
            # A new life (Ray restarted the actor): the old one's counters stay in the totals.
            actor.restarts += 1
            log.info("self-play actor %d is back (restart %d, new seed %d)", actor.index, actor.restarts, result.seed)
            for key, value in actor.counters.items():
                actor.counters_before[key] = actor.counters_before.get(key, 0.0) + value
            actor.incarnation = result.incarnation
            actor.counters = {}
        before = actor.counters
        actor.counters = dict(result.counters)
        span = max(result.seconds_played, 1e-9)
        actor.rates = {name: (actor.counters.get(key, 0.0) - before.get(key, 0.0)) / span
                       for name, key in _RATES.items()}
        actor.positions_per_second = actor.rates["positions/s"]
        actor.last_weights_version = result.weights_version
        actor.last_result_at = time.monotonic()
        actor.node_id = result.node_id
        actor.games += len(result.games)
        actor.positions += int(result.games.lengths.sum())
        if len(result.games):
            self._finished.append(result.games)

    def _actor_failed(self, actor: ActorRecord, error: Exception) -> None:
        """An exception inside the actor: its traceback goes to the log; the actor is killed
        so that Ray restarts it with a fresh pipeline (it counts against max_restarts)."""
        import ray

        log.error("self-play actor %d failed; restarting it. The actor's error:\n%s", actor.index, error)
        ray.kill(actor.handle, no_restart=False)
        actor.unavailable_since = time.monotonic()

    def _actor_unavailable(self, actor: ActorRecord, call: InflightCall, error: Exception) -> None:
        """The actor's process (or node) died and Ray is restarting it, or it is restarting:
        the calls it had are lost (their games were never taken); new calls wait a moment."""
        if actor.unavailable_since <= actor.last_result_at:  # the first failure of this outage
            serving = sum(other.alive and other.unavailable_since <= other.last_result_at
                          for other in self.actors if other is not actor)
            log.warning("self-play actor %d is unavailable (%s): Ray restarts it where a node has room; its calls "
                        "in flight are lost; meanwhile %d of %d actors play", actor.index, _first_line(error),
                        serving, len(self.actors))
        actor.unavailable_since = time.monotonic()

    def _actor_gone(self, actor: ActorRecord, error: Exception) -> None:
        """Ray will not restart the actor (its restarts are used up, or its start failed)."""
        if not actor.alive:
            return
        actor.alive = False
        actor.calls = []
        alive = sum(other.alive for other in self.actors)
        log.warning("self-play actor %d is gone for good (%s); the run goes on with %d of %d actors", actor.index,
                    _first_line(error), alive, len(self.actors))

    def _probe_health(self) -> None:
        """Kills (for Ray to restart) an actor whose oldest call is overdue: stuck."""
        import ray

        now = time.monotonic()
        for actor in self.actors:
            if actor.alive and actor.calls and now - actor.calls[0].submitted_at > self.section.call_timeout_seconds:
                log.error("self-play actor %d has not answered in %.0f s (distributed.call_timeout_seconds): "
                          "killing it so that Ray restarts it", actor.index, now - actor.calls[0].submitted_at)
                ray.kill(actor.handle, no_restart=False)
                for call in actor.calls:
                    call.submitted_at = now  # its calls now fail with the kill, not time out again


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _no_games() -> FinishedGames:
    empty_int = np.empty(0, np.int32)
    return FinishedGames(np.empty(0, np.int64), np.empty(0, np.int8), empty_int, empty_int, np.empty(0, np.float32),
                         empty_int, empty_int, np.empty(0, np.float16), empty_int, np.empty(0, np.str_), empty_int,
                         np.empty(0, np.int8))
