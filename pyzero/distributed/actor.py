"""The self-play actor: today's pipeline in a Ray worker process, with its own backend.

A plain class; the fleet makes it a Ray actor (`ray.remote(SelfPlayActor).options(...)`)
with the resources and `max_restarts` of the config's `distributed` section. Ray runs one
call at a time on it. Each `play` call

1. swaps in new weights if the driver has published a version this actor has not
   applied yet: the call carries the version number and the object reference of
   `ray.put` (inside a list, so Ray does not fetch it for every call); only a new version
   is fetched, once, from the object store of the actor's node;
2. resumes the pipeline, plays `seconds`, parks it again (`SelfPlay.run`): the games in
   progress stay in the engine and continue in the next call;
3. returns the games finished meanwhile in one piece (`FinishedGames`, numpy arrays),
   tagged with the actor, the weights version and the seed.

Between calls the pipeline is parked. That is the backpressure: the driver keeps at most
`max_inflight_per_actor` calls queued, and only queues another when it has taken a
result, so an actor whose driver falls behind stops playing rather than piling games up
in its memory or in the object store.
"""

from __future__ import annotations

import os
import secrets
import time
import warnings
from dataclasses import dataclass

from pyzero.config import RunConfig, make_game_from_config, validate_config
from pyzero.distributed.seeds import actor_selfplay_seed
from pyzero.inference import make_backend
from pyzero.model import build_model
from pyzero.records import FinishedGames
from pyzero.selfplay import SelfPlay, SelfPlayOptions

_POLL_SECONDS = 0.1


@dataclass
class PlayResult:
    """What one `play` call sends back to the driver."""

    actor_index: int
    incarnation: int  # 0 in the actor's first life; random after each restart
    seed: int  # the self-play seed of this incarnation (every game's `seeds` entry)
    weights_version: int  # the version the games finished with (every game's `weights_versions`)
    games: FinishedGames
    counters: dict[str, float]  # the pipeline's counters, cumulative over this incarnation
    seconds_played: float
    node_id: str
    process_id: int


class SelfPlayActor:
    """One self-play pipeline on one node (see the module docstring)."""

    def __init__(self, config_snapshot: dict, actor_index: int, run_seed: int):
        import ray

        config: RunConfig = validate_config(config_snapshot)
        self.actor_index = actor_index
        context = ray.get_runtime_context()
        # Ray runs __init__ again, with the same arguments, when it restarts the actor: a
        # fresh random incarnation keeps the restarted actor from replaying its first
        # life's games (same seed, game ids from 0 again).
        with warnings.catch_warnings():  # Ray's own property reads a deprecated one of its own
            warnings.simplefilter("ignore", DeprecationWarning)
            reconstructed = context.was_current_actor_reconstructed
        self.incarnation = secrets.randbits(31) | 1 if reconstructed else 0
        self.seed = actor_selfplay_seed(run_seed, actor_index, self.incarnation)
        self.node_id = context.get_node_id()
        game = make_game_from_config(config)
        # The network's weights arrive with the first call; until then nothing is played.
        backend = make_backend(build_model(config, game).eval(), config.inference)
        self.selfplay = SelfPlay(game, [backend], SelfPlayOptions.from_config(config, self.seed))
        self.weights_version = -1

    def describe(self) -> dict:
        """Who and where this actor is (the driver's readiness check and its log)."""
        return {"actor": self.actor_index, "incarnation": self.incarnation, "seed": self.seed,
                "node": self.node_id, "pid": os.getpid()}

    def play(self, weights_version: int, weights_reference: list, seconds: float) -> PlayResult:
        """Applies the weights of `weights_version` if new (`weights_reference`: a list with
        the one object reference of that version), plays `seconds`, returns the games
        finished meanwhile."""
        if weights_version != self.weights_version:
            import ray

            state_dict = ray.get(weights_reference[0])
            self.selfplay.publish_weights(state_dict)
            self.weights_version = weights_version
        started = time.monotonic()
        # Polling the pipeline less often than SelfPlay.run's default leaves the GIL to the
        # network thread (the games are drained at the end of the call anyway).
        games = self.selfplay.run(seconds=seconds, poll=min(_POLL_SECONDS, seconds))
        games.actor_ids[:] = self.actor_index
        games.weights_versions[:] = self.weights_version
        return PlayResult(self.actor_index, self.incarnation, self.seed, self.weights_version, games,
                          self.selfplay.counters(), time.monotonic() - started, self.node_id, os.getpid())

    def counters(self) -> dict[str, float]:
        """The pipeline's counters now (between calls too: a parked pipeline's stand still)."""
        return self.selfplay.counters()
