"""The learner as a Ray driver: the ordinary trainer, with its games from actors."""

from __future__ import annotations

import logging

import torch

from pyzero.config import RunConfig
from pyzero.distributed.actor import SelfPlayActor
from pyzero.distributed.cluster import LOCAL, check_resources, connect
from pyzero.distributed.fleet import ActorFleet
from pyzero.inference import usable_cores
from pyzero.training.trainer import Trainer

log = logging.getLogger("pyzero.distributed")


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
        threads = self.config.training.cpu_threads or learner_threads(
            usable_cores(), self.fleet.actors_on_driver_node, self.config.distributed.cpus_per_actor)
        torch.set_num_threads(threads)
        log.info("learner: %d torch threads (%d actors on this node)", threads, self.fleet.actors_on_driver_node)
        return self.fleet

    def _metrics(self, selfplay, losses, last_counts, now, started, elapsed_before) -> dict:
        metrics = super()._metrics(selfplay, losses, last_counts, now, started, elapsed_before)
        metrics.update(selfplay.rates())
        metrics.update(selfplay.actor_metrics())
        return metrics


def learner_threads(cores: int, actors_here: int, cpus_per_actor: float) -> int:
    """Torch threads for the driver's learner: the cores its node's actors leave. Torch
    would take every core, and its threads spin against busy actors
    (docs/measurements/distributed.md)."""
    return max(1, cores - int(round(actors_here * cpus_per_actor)))
