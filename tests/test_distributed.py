"""Distributed self-play on a local Ray cluster of two simulated nodes (pyzero/distributed/).

One cluster for the module (Ray starts slowly on two shared cores): a head and a worker
node with one CPU each, so the two actors (one CPU each) land one per node. The truths
checked are independent of the fleet's own bookkeeping: the replay shards read back from
disk, every game replayed move by move with the game's rules, the ids and seeds of the
games, the checkpoints on disk.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="the test extra installs ray (pip install -e '.[test]')")

from pyzero.distributed.driver import DistributedTrainer  # noqa: E402
from pyzero.distributed.errors import DistributedError  # noqa: E402
from pyzero.games import make  # noqa: E402
from pyzero.model import load_latest_checkpoint  # noqa: E402
from pyzero.records import FinishedGames  # noqa: E402
from pyzero.replay import ReplayBuffer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_training import (REPOSITORY, TINY, pyzero_train, stop_with_sigterm_once_games_are_on_disk,  # noqa: E402
                           tiny_config)

# Two actors, short calls, a window that keeps every game (so the disk holds all of them).
DISTRIBUTED = {"distributed.actors": 2, "distributed.cpus_per_actor": 1, "distributed.collect_seconds": 0.5,
               "distributed.startup_timeout_seconds": 180, "replay.window_positions": 10**7,
               "inference.backend": "torch"}  # no ONNX export in each actor: a quicker start


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    local_cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    local_cluster.add_node(num_cpus=1)
    ray.init(address=local_cluster.address, logging_level="WARNING")
    local_cluster.wait_for_nodes()
    yield local_cluster
    ray.shutdown()
    local_cluster.shutdown()
    # Leave Ctrl-C as the next modules expect it. Once, in a full run, both Ctrl-C tests of
    # test_selfplay.py failed after this module (an in-process SIGINT raised nothing, and a
    # child process ignored one), as if SIGINT were blocked or taken over at the C level;
    # it did not happen again with the signal state probed after every test. Unblocking it
    # and reinstalling Python's own handler (a fresh sigaction) undoes either.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)


def distributed_config(run_dir, **more):
    return tiny_config(run_dir, **{**DISTRIBUTED, **more})


def games_on_disk(run_dir: Path) -> FinishedGames:
    """Every game of the run's replay shards, read back from disk by a fresh buffer."""
    replay = ReplayBuffer(make("tictactoe"), 10**9, run_dir / "replay")
    return FinishedGames.concatenate(replay._chunks)


def assert_whole_and_unique(games: FinishedGames) -> None:
    """Each game replays legally from its start to an end with its recorded winner, and no
    game (seed, game id) is there twice."""
    game = make("tictactoe")
    keys = set(zip(games.seeds.tolist(), games.game_ids.tolist()))
    assert len(keys) == len(games), "a game reached the replay buffer twice"
    assert (games.seeds >= 0).all() and (games.actor_ids >= 0).all()
    for index in range(len(games)):
        record = games.game(index)
        state = game.from_position(record["start_position"])
        for action in record["actions"]:
            assert not state.is_terminal()
            state.play(state.action_to_move(int(action)))
        assert state.is_terminal(), f"game {index} is torn: it stops before the end"
        assert state.winner() == record["winner"] or (state.winner() is None and record["winner"] == -1)


def test_actor_seeds_differ_across_actors_restarts_and_runs():
    from pyzero.distributed.seeds import actor_selfplay_seed

    seeds = {actor_selfplay_seed(run_seed, actor, incarnation)
             for run_seed in (1_000_004, 1_000_005) for actor in range(100) for incarnation in (0, 12345, 777)}
    assert len(seeds) == 2 * 100 * 3
    assert all(0 <= seed < 2**62 for seed in seeds)
    assert actor_selfplay_seed(1_000_004, 3) == actor_selfplay_seed(1_000_004, 3, 0)  # a first life is reproducible


def test_games_from_two_actors_on_two_nodes_reach_the_replay_buffer_tagged(cluster, tmp_path):
    run_dir = tmp_path / "run"
    # 200 steps span many of the actors' one-second calls even on a fast machine, so games
    # played with published weights come back (60 steps once fit inside the first call).
    trainer = DistributedTrainer(distributed_config(run_dir, **{"training.steps": 200}), dashboard=False)
    summary = trainer.run()
    assert summary["step"] == 200
    games = games_on_disk(run_dir)
    assert len(games) == summary["games generated"] == sum(actor.games for actor in trainer.fleet.actors) > 0
    assert set(games.actor_ids.tolist()) == {0, 1}
    # Every game carries a version the driver published: the learner step of a publish.
    versions = set(games.weights_versions.tolist())
    assert versions <= set(range(0, 201, TINY["training.publish_interval"])), versions
    assert max(versions) > 0, "no game was played with weights published during the run"
    # One seed per actor (neither restarted), and the two differ: the actor id is mixed in.
    seeds = {actor: set(games.seeds[games.actor_ids == actor].tolist()) for actor in (0, 1)}
    assert len(seeds[0]) == len(seeds[1]) == 1 and seeds[0] != seeds[1]
    assert_whole_and_unique(games)
    # The per-actor counters reach TensorBoard.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard")).Reload()
    tags = set(events.Tags()["scalars"])
    for actor in (0, 1):
        assert {f"actor_{actor}_alive", f"actor_{actor}_restarts", f"actor_{actor}_positions_per_s",
                f"actor_{actor}_weights_lag"} <= tags, tags
    assert events.Scalars("actors_alive")[-1].value == 2
    assert events.Scalars("positions_per_s")[-1].value > 0  # the actors' rates, from their last calls


def test_two_actors_train_tictactoe_to_perfect_play(cluster, tmp_path):
    """The single-process learning test (test_training.py) with its games from two actors
    on two nodes: the shipped config's 3000 steps, then no loss against minimax along any
    line of optimal replies.

    The check searches 64 simulations a move, not the config's 32: once, with another
    process busy on the two cores, the network at 32 lost 2 lines (why load matters is
    not understood; searching deeper gives the check a margin). Untrained networks at 64
    lose 25 to 73 lines (three seeds, measured), so the check still needs the learning."""
    from pyzero.config import load_config

    config = load_config(REPOSITORY / "configs/tictactoe.yaml", {
        **DISTRIBUTED, "run_dir": str(tmp_path / "run"), "evaluation.interval_steps": 3000,
        "evaluation.opponents": ["random"], "replay.window_positions": 20000, "evaluation.simulations": 64})
    trainer = DistributedTrainer(config, dashboard=False)
    summary = trainer.run()
    assert summary["step"] == 3000
    assert {actor.index for actor in trainer.fleet.actors if actor.games > 0} == {0, 1}
    evaluation = summary["last evaluation"]
    assert evaluation["losses vs minimax"] == 0, evaluation
    assert evaluation["vs random"] >= 0.9


def test_killing_an_actor_mid_run_restarts_it_and_duplicates_nothing(cluster, tmp_path):
    run_dir = tmp_path / "run"
    trainer = DistributedTrainer(distributed_config(run_dir, **{"training.steps": 10**6}), dashboard=False)
    killed = threading.Event()
    restarted_games = threading.Event()

    def kill_actor_zero_once_it_has_played():
        while trainer.fleet is None or trainer.fleet.actors[0].games == 0:
            time.sleep(0.1)
        actor = trainer.fleet.actors[0]
        ray.kill(actor.handle, no_restart=False)  # as a crash: Ray restarts it (max_restarts)
        killed.set()
        while actor.incarnation == 0 or actor.games == 0:
            time.sleep(0.1)
        restarted_games.set()

    watcher = threading.Thread(target=kill_actor_zero_once_it_has_played, daemon=True)
    watcher.start()
    trainer.run(max_seconds=45, stop_when=restarted_games.is_set)
    assert killed.is_set() and restarted_games.is_set(), "the killed actor did not come back with games"
    actor = trainer.fleet.actors[0]
    assert actor.restarts == 1 and actor.alive
    games = games_on_disk(run_dir)
    assert len(games) == trainer.replay.total_games
    seeds_of_actor_zero = set(games.seeds[games.actor_ids == 0].tolist())
    assert len(seeds_of_actor_zero) == 2, "the restarted actor plays under a new seed"
    assert set(games.actor_ids.tolist()) == {0, 1}
    assert_whole_and_unique(games)


def test_an_error_inside_an_actor_is_logged_with_its_traceback_and_a_stuck_actor_is_found(cluster, tmp_path,
                                                                                         caplog):
    """Actor 0 raises in its second call, actor 1 hangs in its second call (both in their
    first life only): the driver logs actor 0's traceback, its health probe finds actor 1
    overdue, and Ray restarts both."""
    from pyzero.distributed.actor import SelfPlayActor

    class FailsOnceActor(SelfPlayActor):
        """Defined here: Ray ships it by value."""

        calls = 0

        def play(self, *arguments):
            self.calls += 1
            if self.incarnation == 0 and self.calls == 2:
                if self.actor_index == 0:
                    raise RuntimeError("injected failure inside the actor")
                time.sleep(120)  # stuck
            return super().play(*arguments)

    config = distributed_config(tmp_path / "run", **{"training.steps": 10**6, "distributed.call_timeout_seconds": 8})
    trainer = DistributedTrainer(config, dashboard=False)
    trainer.actor_class = FailsOnceActor
    back = lambda: trainer.fleet is not None and all(
        actor.restarts == 1 and actor.games > 0 and actor.incarnation != 0 for actor in trainer.fleet.actors)
    with caplog.at_level("ERROR", logger="pyzero.distributed"):
        trainer.run(max_seconds=60, stop_when=back)
    assert back(), "the failed and the stuck actor did not both come back with games"
    errors = "\n".join(record.getMessage() for record in caplog.records if record.levelname == "ERROR")
    assert "self-play actor 0 failed" in errors
    # The actor's traceback (Ray's formatting): the frame that raised, its line, the error.
    assert 'test_distributed.py", line' in errors and "in play" in errors
    assert "RuntimeError: injected failure inside the actor" in errors
    assert "self-play actor 1 has not answered in" in errors
    assert_whole_and_unique(games_on_disk(tmp_path / "run"))


def test_an_actor_that_cannot_start_is_a_clear_error_with_its_traceback(cluster, tmp_path):
    config = distributed_config(tmp_path / "run", **{"inference.device": "cuda:7"})  # no such device here
    with pytest.raises(DistributedError, match='(?s)self-play actor . failed to start.*File ".*line'):
        DistributedTrainer(config, dashboard=False).run(max_steps=1)


def test_a_driver_that_stops_taking_results_parks_the_actors(cluster, tmp_path):
    """Backpressure: with the driver not taking results, each actor finishes the calls
    queued (max_inflight_per_actor), then plays no more: its positions counter stands
    still and no more than that many results wait in the object store."""
    from pyzero.distributed.fleet import ActorFleet
    from pyzero.model import build_model

    config = distributed_config(tmp_path / "run", **{"distributed.actors": 1,
                                                     "distributed.max_inflight_per_actor": 2})
    fleet = ActorFleet(config, 7, build_model(config, make("tictactoe")).state_dict())
    try:
        fleet.start()
        actor = fleet.actors[0]
        calls = [call.reference for call in actor.calls]
        assert len(calls) == 2
        # Not polling: both queued calls finish, and nothing else is queued.
        ready, _ = ray.wait(calls, num_returns=2, timeout=60)
        assert len(ready) == 2
        first = ray.get(actor.handle.counters.remote())["positions"]
        time.sleep(1.0)
        assert ray.get(actor.handle.counters.remote())["positions"] == first, "a parked actor kept playing"
        games = fleet.take_finished()  # taking the results queues new calls: play resumes
        assert len(games) > 0 and len(actor.calls) == 2
        ray.wait([call.reference for call in actor.calls], num_returns=1, timeout=60)
        assert ray.get(actor.handle.counters.remote())["positions"] > first
    finally:
        fleet.stop()


def test_sigkill_of_the_driver_then_resume_loses_only_learner_steps(cluster, tmp_path):
    run_dir = tmp_path / "run"
    command = pyzero_train(run_dir, "--ray", cluster.address,
                           **{**DISTRIBUTED, "training.steps": 100000, "checkpoint.interval_steps": 10})
    process = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = run_dir / "checkpoints"
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and len(list(checkpoints.glob("step-*.safetensors"))) < 2 and process.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(checkpoints.glob("step-*.safetensors")), "no checkpoint was written before the kill"
    _, latest = load_latest_checkpoint(checkpoints)
    step = latest["learner"]["step"]
    before = games_on_disk(run_dir)
    assert len(before) > 0
    resumed = DistributedTrainer(distributed_config(run_dir, **{"training.steps": step + 10}), dashboard=False)
    assert resumed.mode == "resume" and resumed.learner.step == step
    assert resumed.replay.total_games >= len(before)  # every shard on disk is back in the buffer
    summary = resumed.run()
    assert summary["step"] == step + 10
    after = games_on_disk(run_dir)
    assert len(after) > len(before)
    assert_whole_and_unique(after)  # the resumed actors play under new seeds: nothing twice


def test_sigterm_of_the_driver_saves_a_checkpoint_and_keeps_every_game(cluster, tmp_path):
    # ray.init gives a driver its own SIGTERM handler (a bare sys.exit); `pyzero train`
    # replaces it so SIGTERM stops like Ctrl-C: actors stopped, their games taken, a checkpoint.
    run_dir = tmp_path / "run"
    command = pyzero_train(run_dir, "--ray", cluster.address,
                           **{**DISTRIBUTED, "training.steps": 100000, "checkpoint.interval_steps": 10**6})
    returncode, output = stop_with_sigterm_once_games_are_on_disk(command, run_dir)
    assert returncode == 130, output
    assert "a checkpoint was saved" in output
    _, latest = load_latest_checkpoint(run_dir / "checkpoints")
    games = games_on_disk(run_dir)
    assert latest["counters"]["games_generated"] == len(games) > 0
    assert_whole_and_unique(games)


def test_a_cluster_without_the_requested_resources_is_a_clear_error(cluster, tmp_path):
    started = time.monotonic()
    with pytest.raises(DistributedError, match="lacks the resources.*GPU"):
        DistributedTrainer(distributed_config(tmp_path / "run", **{"distributed.gpus_per_actor": 0.5}),
                           dashboard=False)
    with pytest.raises(DistributedError, match="3 actors x 1 CPU = 3 CPU, the cluster has 2"):
        DistributedTrainer(distributed_config(tmp_path / "run", **{"distributed.actors": 3}), dashboard=False)
    assert time.monotonic() - started < 10
    assert not (tmp_path / "run").exists()


def test_a_bad_address_is_a_clear_error_not_a_hang(tmp_path):
    started = time.monotonic()
    result = subprocess.run(pyzero_train(tmp_path / "run", "--ray", "127.0.0.1:1",
                                         **{"distributed.connect_timeout_seconds": 2}),
                            cwd=REPOSITORY, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in result.stderr
    assert time.monotonic() - started < 60
    assert not (tmp_path / "run").exists()


def test_removing_a_node_the_run_goes_on_with_fewer_actors_and_says_so(cluster, tmp_path, caplog):
    """The worker node dies (its processes killed): its actor cannot come back (no other
    node has a free CPU), the log says the run goes on with 1 of 2 actors, and the other
    actor's games keep reaching the replay buffer. Last in the module: it changes the cluster."""
    driver_raylet = ray._private.worker.global_worker.node._raylet_socket_name
    removable = [node for node in cluster.worker_nodes if node._raylet_socket_name != driver_raylet]
    assert removable, "the test driver is attached to the only worker node"
    worker = removable[0]
    trainer = DistributedTrainer(distributed_config(tmp_path / "run", **{"training.steps": 10**6}), dashboard=False)
    state = {}

    def remove_the_worker_node():
        while trainer.fleet is None or not all(actor.games and actor.node_id for actor in trainer.fleet.actors):
            time.sleep(0.1)
        [state["lost"]] = [actor for actor in trainer.fleet.actors if actor.node_id == worker.node_id]
        [state["kept"]] = [actor for actor in trainer.fleet.actors if actor.node_id != worker.node_id]
        cluster.remove_node(worker, allow_graceful=False)
        state["kept games at removal"] = state["kept"].games
        state["removed"] = True

    def said_so() -> bool:
        return any("meanwhile 1 of 2 actors play" in record.getMessage() for record in caplog.records)

    went_on = lambda: "removed" in state and said_so() and state["kept"].games > state["kept games at removal"] + 50
    threading.Thread(target=remove_the_worker_node, daemon=True).start()
    with caplog.at_level("WARNING", logger="pyzero.distributed"):
        trainer.run(max_seconds=60, stop_when=went_on)
    assert went_on(), "the run did not go on with the remaining actor, or did not say so"
    assert any(f"self-play actor {state['lost'].index} is unavailable" in record.getMessage()
               for record in caplog.records)
    games = games_on_disk(tmp_path / "run")
    assert (games.actor_ids == state["kept"].index).sum() == state["kept"].games
    assert_whole_and_unique(games)
