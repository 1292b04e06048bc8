"""The learner as a Ray driver: the ordinary trainer, with its games from actors."""

from __future__ import annotations

from pyzero.config import RunConfig
from pyzero.distributed.actor import SelfPlayActor
from pyzero.distributed.cluster import LOCAL, check_resources, connect
from pyzero.distributed.fleet import ActorFleet
from pyzero.training.trainer import Trainer


class DistributedTrainer(Trainer):
    """`Trainer` whose self-play runs in `distributed.actors` Ray actors. Everything else
    (the learner, the replay buffer and its shards, checkpoints, resume, evaluation, the
    dashboard) is the trainer's, on the driver's machine."""

    actor_class: type = SelfPlayActor  # a subclass in tests that inject failures

    def __init__(self, config: RunConfig, address: str = LOCAL, **options):
        # Connect (and check resources) before the run directory is touched: a bad address
        # leaves nothing behind.
        connect(address, config.distributed)
        check_resources(config.distributed)
        super().__init__(config, **options)
        self.fleet: ActorFleet | None = None

    def _make_selfplay(self, seed: int) -> ActorFleet:
        self.fleet = ActorFleet(self.config, seed, self.model.state_dict(), current_step=lambda: self.learner.step,
                                actor_class=self.actor_class)
        return self.fleet

    def _metrics(self, selfplay, losses, last_counts, now, started, elapsed_before) -> dict:
        metrics = super()._metrics(selfplay, losses, last_counts, now, started, elapsed_before)
        metrics.update(selfplay.rates())
        metrics.update(selfplay.actor_metrics())
        return metrics
