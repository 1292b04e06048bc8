"""The main job: self-play and learning running together, checkpointed and resumable.

Self-play runs in its own threads (Mojo workers and the network thread) from the moment
the run starts; this thread drains finished games into the replay buffer, trains whenever
the replay ratio allows (samples trained <= ratio x positions generated), publishes new
weights to self-play every `publish_interval` steps without stopping it, checkpoints every
`checkpoint.interval_steps` steps and on Ctrl-C, and evaluates every
`evaluation.interval_steps` steps. Killing the process at any moment loses only the
learner steps since the last checkpoint: the replay shards on disk are always whole.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import yaml

from pyzero.config import ConfigError, RunConfig, make_game_from_config
from pyzero.inference import make_backend
from pyzero.model import (CheckpointError, build_model, list_checkpoints, load_latest_checkpoint, load_weights_into,
                          model_weights, remove_interrupted_writes, save_checkpoint)
from pyzero.players.alphabeta import AlphaBetaPlayer
from pyzero.replay import ReplayBuffer
from pyzero.selfplay import SelfPlay, SelfPlayOptions
from pyzero.training.dashboard import TrainingView
from pyzero.training.evaluation import (
    MatchResult,
    RandomPlayer,
    RolloutMctsPlayer,
    losses_against_minimax,
    network_player,
    play_match,
)
from pyzero.training.learner import Distillation, Learner, NonFiniteTrainingError
from pyzero.training.run_directory import archive, choose_start, write_config_snapshot
from pyzero.training.upgrade import (OldRun, UpgradeRecord, grow_from_teacher, inspect_old_run, joined_batches,
                                     load_teacher, random_play_batch, read_record, start_from_network, take_over)
from pyzero.training.wandb_logger import WandbLogger, require_wandb

log = logging.getLogger("pyzero.train")

# Finished games move to the replay buffer at most this often: each move is a shard on disk
# and a rebuild of the sampling index, so draining on every loop turn (a few games each)
# left thousands of tiny shards and spent the learner's time (and the GIL the network
# thread needs) re-indexing. Games wait in the engine meanwhile; nothing is lost.
_DRAIN_INTERVAL_SECONDS = 1.0


@dataclass
class RunCounters:
    """What a checkpoint records besides weights and optimiser."""

    samples_trained: int = 0
    positions_generated: int = 0  # over the whole run (the replay keeps only a window)
    games_generated: int = 0
    selfplay_starts: int = 0  # each start gets fresh game seeds
    elapsed_seconds: float = 0.0
    # CPU time (user + system) of the training process over the run, every thread of it
    # (self-play's Mojo workers, inference, the learner); not that of Ray actors.
    cpu_seconds: float = 0.0
    evaluations: list[dict] = field(default_factory=list)


class Trainer:
    def __init__(self, config: RunConfig, resume: bool = False, restart: bool = False, dashboard: bool = True,
                 ask=None):
        self.config = config
        self.directory = config.run_directory()
        # The game first: a config whose game options are wrong must not leave a run
        # directory behind (it did: runs/<name>/config.yaml of a run that never started).
        self.game = make_game_from_config(config)
        if "alphabeta" in config.evaluation.opponents and self.game.name != "tak":
            raise ConfigError(f"{config.path}: key 'evaluation.opponents': the alphabeta opponent plays Tak only, "
                              f"not {self.game.name}")
        require_wandb(config)
        mode = choose_start(self.directory, config, resume, restart, ask)
        # An upgrade (upgrade.from_run) reads and checks the old run before anything is
        # written, so a mismatch leaves no run directory behind.
        old_run = self._old_run_to_take_over(mode)
        if mode == "restart":
            archived = archive(self.directory)
            log.info("archived the previous run to %s", archived)
        self.mode = mode
        self.upgrade: UpgradeRecord | None = None
        if old_run is not None:
            # Written before the copies: it marks the directory as this upgrade's, so a
            # take-over cut short is redone on the next start (_started_as_upgrade).
            write_config_snapshot(self.directory, config)
            self.upgrade = take_over(old_run, self.directory)
            log.info("took over %d replay shards and the counters of %s (step %s)", len(self.upgrade.shards),
                     old_run.directory, self.upgrade.from_step)
        elif config.upgrade.from_run:
            self.upgrade = read_record(self.directory)
        torch.manual_seed(config.training.seed)
        self.model = build_model(config, self.game)
        self.learner = Learner(self.model, config.optimizer, config.training)
        self.counters = RunCounters(**(self.upgrade.taken_over_counters() if self.upgrade else {}))
        self.rng = np.random.default_rng(config.training.seed)
        self.dashboard = dashboard
        self.previous_model: torch.nn.Module | None = None
        self._cpu_clock: tuple[float, float] | None = None  # (process_time at the run's start, cpu_seconds then)
        restored = mode == "resume" and self._restore()
        if not restored and self.upgrade is not None and config.upgrade.initialize == "grown":
            # A run at step 0 starts as the old network grown to this size.
            grow_from_teacher(config, self.directory, self.model)
        if not restored and config.upgrade.from_network:
            log.info("starting from the weights of %s", start_from_network(config, self.model))
        self.replay = ReplayBuffer(self.game, config.replay.window_positions, self.directory / "replay",
                                   value_discount=config.training.value_discount, warn=log.warning,
                                   window_start_positions=config.replay.window_start_positions,
                                   positions_generated=self.counters.positions_generated)
        # Shards older than the window are gone from disk: the run's totals come from the checkpoint.
        self.replay.total_positions = max(self.replay.total_positions, self.counters.positions_generated)
        self.replay.total_games = max(self.replay.total_games, self.counters.games_generated)
        # Last: a resume that fails while reading its checkpoint or replay leaves the run's
        # config.yaml as it was (a failed command changes no file of the run).
        write_config_snapshot(self.directory, config)

    def _old_run_to_take_over(self, mode: str) -> OldRun | None:
        """The old run to take over now: for a new run with `upgrade.from_run`, or one whose
        take-over was cut short (no upgrade/source.json yet). None otherwise."""
        if not self.config.upgrade.from_run:
            return None
        if mode == "resume" and read_record(self.directory) is not None:
            return None  # taken over already: the run needs nothing from the old one any more
        if mode == "resume" and not _started_as_upgrade(self.directory, self.config.upgrade.from_run):
            # Its own shards and checkpoints would mix with (or be overwritten by) the copies.
            raise ConfigError(f"{self.config.location('upgrade', 'from_run')}: key 'upgrade.from_run': "
                              f"{self.directory} holds a run that did not start as an upgrade of "
                              f"{self.config.upgrade.from_run}; use another run_dir, or --restart to archive it")
        return inspect_old_run(self.config, self.game)

    # -- checkpoints -------------------------------------------------------------------------
    def _restore(self) -> bool:
        """Loads the latest checkpoint; False when there is none yet (the run starts at step 0)."""
        directory = self.directory / "checkpoints"
        remove_interrupted_writes(directory)
        found = load_latest_checkpoint(directory, warn=log.warning)
        if found is None:
            if list_checkpoints(directory):
                raise CheckpointError(f"{directory}: no checkpoint there verifies (see the warnings above), so "
                                      "resuming would start from step 0 with fresh weights; use --restart to "
                                      "archive this run and start over")
            log.info("no checkpoint in %s yet: starting from step 0 (replay kept)", self.directory)
            return False
        path, payload = found
        try:
            load_weights_into(self.model, model_weights(payload, str(path)), str(path))
            self.learner.load_state_dict(payload["learner"])
            counters = RunCounters(**payload["counters"])
            python_state = payload["rng"]["python"]
            random.setstate((python_state[0], tuple(python_state[1]), python_state[2]))
            self.rng.bit_generator.state = payload["rng"]["numpy"]
            torch.set_rng_state(payload["rng"]["torch"])
            if payload.get("previous_model") is not None:
                self.previous_model = build_model(self.config, self.game)
                load_weights_into(self.previous_model, payload["previous_model"], f"{path} (previous_model)")
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as error:
            raise CheckpointError(f"{path}: not a checkpoint this run can resume from "
                                  f"({type(error).__name__}: {error})") from None
        self.counters = counters
        log.info("resumed from %s (step %d)", path.name, self.learner.step)
        return True

    def save_checkpoint(self) -> Path:
        broken = [name for name, tensor in self.model.state_dict().items()
                  if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
        if broken:
            raise NonFiniteTrainingError(f"the network's weights are not finite ({', '.join(broken[:3])}): "
                                         "no checkpoint written; the last one on disk is the last finite network")
        self.counters.positions_generated = self.replay.total_positions
        self.counters.games_generated = self.replay.total_games
        if self._cpu_clock is not None:
            started, before = self._cpu_clock
            self.counters.cpu_seconds = before + (time.process_time() - started)
        payload = dict(learner=self.learner.state_dict(), counters=asdict(self.counters),
                       rng=dict(python=random.getstate(), numpy=self.rng.bit_generator.state,
                                torch=torch.get_rng_state()),
                       previous_model=self.previous_model.state_dict() if self.previous_model is not None else None,
                       config=self.config.snapshot())
        return save_checkpoint(self.directory / "checkpoints", self.learner.step, payload,
                               self.config.checkpoint.keep_last)

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self) -> dict:
        section = self.config.evaluation
        current = copy.deepcopy(self.model).cpu().eval()
        player = network_player(self.config, self.game, current)
        results: list[MatchResult] = []
        seed = self.learner.step
        for opponent_name in section.opponents:
            if opponent_name == "random":
                opponent = RandomPlayer()
            elif opponent_name == "mcts":
                opponent = RolloutMctsPlayer(section.rollout_simulations)
            elif opponent_name == "alphabeta":
                # A fixed seed: the yardstick plays the same way at every evaluation.
                opponent = AlphaBetaPlayer(section.alphabeta_depth, seed=0, evaluation=section.alphabeta_evaluation)
            elif self.previous_model is not None:
                opponent = network_player(self.config, self.game, self.previous_model, name="previous")
            else:
                continue
            results.append(play_match(self.game, player, opponent, section.games, seed=seed,
                                      max_game_plies=section.ply_cap(self.config.selfplay)))
        report = {"step": self.learner.step, **{f"vs {r.opponent}": round(r.score, 3) for r in results},
                  "results": [asdict(r) for r in results]}
        if self.game.name == "tictactoe":
            lost, examined = losses_against_minimax(self.game, player)
            report["losses vs minimax"] = lost
            report["minimax lines"] = examined
        self.previous_model = current
        self.counters.evaluations.append(report)
        with open(self.directory / "evaluations.jsonl", "a") as handle:
            handle.write(json.dumps(report) + "\n")
        return report

    # -- the loop -----------------------------------------------------------------------------------
    def run(self, max_seconds: float | None = None, max_steps: int | None = None,
            stop_when: Callable[[], bool] | None = None) -> dict:
        """Runs until `training.steps` (or `max_steps`), `max_seconds`, or `stop_when()`
        turns true (checked every loop turn; for tests and tools that end a run on an event)."""
        config = self.config
        total_steps = min(config.training.steps, max_steps) if max_steps else config.training.steps
        self.counters.selfplay_starts += 1
        seed = config.training.seed * 1_000_003 + self.counters.selfplay_starts
        selfplay = self._make_selfplay(seed)
        started = time.monotonic()
        elapsed_before = self.counters.elapsed_seconds
        self._cpu_clock = (time.process_time(), self.counters.cpu_seconds)
        last_view = 0.0
        last_drain = 0.0
        losses = None
        interrupted = False
        wandb = WandbLogger(config, self.directory) if config.metrics.wandb else None
        view = TrainingView(self.dashboard, self.directory / "tensorboard", wandb=wandb)
        try:
            with view:
                pretrain_until = min(total_steps, config.upgrade.pretrain_steps) if self.upgrade else 0
                if self.learner.step < pretrain_until:
                    self._pretrain(pretrain_until, view, started, elapsed_before, max_seconds)
                    # Self-play starts with the pretrained network, not the untrained one it was built with.
                    selfplay.publish_weights(self.model.state_dict())
                last_counts = (time.monotonic(), selfplay.counters(), self.learner.step)
                out_of_time = max_seconds is not None and time.monotonic() - started >= max_seconds
                if self.learner.step < total_steps and not out_of_time:
                    selfplay.start()  # inside the try: a Ctrl-C that lands during start still stops and saves
                if config.training.cpu_threads:  # after start: self-play sets torch's threads for its inference
                    torch.set_num_threads(config.training.cpu_threads)
                while self.learner.step < total_steps:
                    if max_seconds is not None and time.monotonic() - started >= max_seconds:
                        break
                    if stop_when is not None and stop_when():
                        break
                    selfplay.check()
                    if time.monotonic() - last_drain >= _DRAIN_INTERVAL_SECONDS:
                        last_drain = time.monotonic()
                        finished = selfplay.take_finished()
                        if len(finished):
                            self.replay.add(finished)
                    budget = config.training.replay_ratio * self.replay.total_positions
                    ready = self.replay.positions >= config.replay.min_positions
                    if ready and self.counters.samples_trained + config.training.batch_size <= budget:
                        batch = self.replay.sample(config.training.batch_size, self.rng, config.replay.symmetries,
                                                   opponent_policy=self.learner.trains_opponent_policy)
                        losses = self.learner.train_step(batch)
                        self.counters.samples_trained += config.training.batch_size
                        if losses.skipped:
                            log.warning("skipped a batch whose loss or gradient is not finite (policy loss %s, "
                                        "value loss %s); %d skipped so far", losses.policy, losses.value,
                                        self.learner.skipped_steps)
                            continue
                        step = self.learner.step
                        if step % config.training.publish_interval == 0:
                            selfplay.publish_weights(self.model.state_dict())
                        if step % config.checkpoint.interval_steps == 0:
                            self.counters.elapsed_seconds = elapsed_before + (time.monotonic() - started)
                            self.save_checkpoint()
                        if config.evaluation.games > 0 and step % config.evaluation.interval_steps == 0:
                            report = self.evaluate()
                            view.update({"last evaluation": _summary(report)}, step)
                    else:
                        time.sleep(0.005)
                    now = time.monotonic()
                    if now - last_view >= 0.5:
                        last_view = now
                        metrics = self._metrics(selfplay, losses, last_counts, now, started, elapsed_before)
                        last_counts = (now, selfplay.counters(), self.learner.step)
                        view.update(metrics, self.learner.step)
                # The last step's numbers, whatever the refresh interval left out (a short run had none).
                now = time.monotonic()
                view.update(self._metrics(selfplay, losses, last_counts, now, started, elapsed_before),
                            self.learner.step)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: saving a checkpoint and stopping self-play")
        finally:
            self.counters.elapsed_seconds = elapsed_before + (time.monotonic() - started)
            selfplay.stop()
            remaining = selfplay.take_finished()
            if len(remaining):
                self.replay.add(remaining)
            self.save_checkpoint()
        summary = {"step": self.learner.step, "samples trained": self.counters.samples_trained,
                   "replay positions": self.replay.positions, "positions generated": self.replay.total_positions,
                   "games generated": self.replay.total_games, "seconds": self.counters.elapsed_seconds,
                   "interrupted": interrupted,
                   "last evaluation": self.counters.evaluations[-1] if self.counters.evaluations else None}
        if interrupted:
            raise KeyboardInterrupt
        return summary

    def _make_selfplay(self, seed: int) -> SelfPlay:
        """Where the run's games come from: the self-play pipeline in this process, with a
        copy of the current network. Distributed training (pyzero/distributed/) returns a
        fleet of Ray actors with the same face (start, check, take_finished,
        publish_weights, counters, stop)."""
        backend = make_backend(copy.deepcopy(self.model).eval(), self.config.inference)
        return SelfPlay(self.game, [backend], SelfPlayOptions.from_config(self.config, seed))

    def _pretrain(self, until: int, view: TrainingView, started: float, elapsed_before: float,
                  max_seconds: float | None) -> None:
        """An upgraded run's first phase: learner steps on the taken-over replay buffer, with
        self-play not yet started (distilled from the old network where configured). These
        samples are not counted against the replay ratio: they use no new positions."""
        config = self.config
        if self.replay.positions == 0:
            log.warning("the taken-over replay buffer is empty: no pretraining, self-play starts now")
            return
        distillation = None
        upgrade = config.upgrade
        random_rows = min(round(upgrade.distill_random_fraction * config.training.batch_size),
                          config.training.batch_size - 1)  # at least one buffer position
        if upgrade.distill_policy_weight > 0 or upgrade.distill_value_weight > 0 or random_rows > 0:
            teacher = load_teacher(config, self.directory, self.game, self.learner.device)
            distillation = Distillation(teacher, config.upgrade.distill_policy_weight,
                                        config.upgrade.distill_value_weight)
        log.info("pretraining on the taken-over replay buffer (%d positions) up to step %d%s", self.replay.positions,
                 until, " with distillation" if distillation else "")
        last_view = 0.0
        while self.learner.step < until:
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                return
            batch = self.replay.sample(config.training.batch_size - random_rows, self.rng, config.replay.symmetries,
                                       opponent_policy=self.learner.trains_opponent_policy)
            if random_rows:
                batch = joined_batches(batch, random_play_batch(self.game, random_rows,
                                                                upgrade.random_position_plies, self.rng))
            losses = self.learner.train_step(batch, distillation)
            if losses.skipped:
                log.warning("skipped a pretraining batch whose loss or gradient is not finite; %d skipped so far",
                            self.learner.skipped_steps)
                continue
            step = self.learner.step
            if step % config.checkpoint.interval_steps == 0:
                self.counters.elapsed_seconds = elapsed_before + (time.monotonic() - started)
                self.save_checkpoint()
            if time.monotonic() - last_view >= 0.5 or step == until:
                last_view = time.monotonic()
                view.update({"step": step, "replay positions": self.replay.positions,
                             "learning rate": self.learner.scheduler.get_last_lr()[0],
                             "policy loss": losses.policy, "value loss": losses.value,
                             "target entropy": losses.policy_entropy,
                             "elapsed": f"{elapsed_before + time.monotonic() - started:,.0f} s",
                             "phase": f"pretraining to step {until}"}, step)

    def _metrics(self, selfplay, losses, last_counts, now, started, elapsed_before) -> dict:
        then, before, step_before = last_counts
        counters = selfplay.counters()
        span = max(now - then, 1e-9)
        evaluations = counters["evaluations"] - before["evaluations"]
        batches = counters["batches"] - before["batches"]
        metrics = {
            "games/s": (counters["games_finished"] - before["games_finished"]) / span,
            "positions/s": (counters["positions"] - before["positions"]) / span,
            "evaluations/s": evaluations / span,
            "batch fill": evaluations / max(batches * self.config.selfplay.batch_size, 1),
            "cache hit rate": counters["cache_hits"] / max(counters["cache_lookups"], 1),
            "games finished": self.replay.total_games, "positions": self.replay.total_positions,
            "outstanding": counters["outstanding"], "unsent": counters["unsent"],
            "worker idle": (counters["worker_idle_seconds"] - before["worker_idle_seconds"])
            / (span * self.config.selfplay.workers),
            "network wait": (counters["network_wait_seconds"] - before["network_wait_seconds"]) / span,
            "step": self.learner.step, "steps/s": (self.learner.step - step_before) / span,
            "samples trained": self.counters.samples_trained, "replay positions": self.replay.positions,
            "learning rate": self.learner.scheduler.get_last_lr()[0],
            "elapsed": f"{elapsed_before + now - started:,.0f} s", "phase": "self-play and training",
            "next checkpoint in": f"{self.config.checkpoint.interval_steps - self.learner.step % self.config.checkpoint.interval_steps} steps",
        }
        if losses is not None:
            metrics.update({"policy loss": losses.policy, "value loss": losses.value,
                            "target entropy": losses.policy_entropy})
            if self.learner.trains_opponent_policy:
                metrics["opponent policy loss"] = losses.opponent_policy
        return metrics


def _started_as_upgrade(directory: Path, from_run: str) -> bool:
    """Whether the run in `directory` was started (its config.yaml written) as an upgrade
    of `from_run`: only then may a take-over cut short be redone there."""
    snapshot_file = directory / "config.yaml"
    if not snapshot_file.exists():
        return not list_checkpoints(directory / "checkpoints") and not (directory / "replay").exists()
    snapshot = yaml.safe_load(snapshot_file.read_text()) or {}
    return (snapshot.get("upgrade") or {}).get("from_run") == from_run


def _summary(report: dict) -> str:
    parts = [f"{key} {value}" for key, value in report.items() if key.startswith("vs ") or key == "losses vs minimax"]
    return f"step {report['step']}: " + ", ".join(parts)
