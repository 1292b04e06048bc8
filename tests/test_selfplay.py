"""The self-play pipeline: same games as the single-threaded search, legal games,
stop and restart, failures raised in Python, two networks in separate batches."""

import os
import sys
import threading
import time

import numpy as np
import pytest
import torch

from pyzero.games import make
from pyzero.inference import SearchEvaluator, TorchBackend
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.search import GumbelOptions, GumbelSearcher
from pyzero.selfplay import PipelineError, SelfPlay, SelfPlayOptions, selfplay_search_seed


def replay_with_single_threaded_search(game, networks, options, game_id, length, start=None):
    """The game `game_id` (up to `length` plies, or its end) as plain GumbelSearcher calls
    with the pipeline's seeds; from ply `options.noise_plies` on, searches without Gumbel
    noise (a fresh searcher per ply then: the reference cannot change a kept tree's noise)."""
    assert options.noise_plies < 0 or not options.tree_reuse
    state = start.copy() if start is not None else game.new()
    searcher = None
    actions, targets = [], []
    while len(actions) < length and not state.is_terminal():
        network = 0 if len(networks) == 1 else (game_id + state.to_move()) % 2
        if searcher is None or len(networks) == 2 or not options.tree_reuse:
            noisy = options.noise_plies < 0 or state.ply < options.noise_plies
            gumbel = options.gumbel if noisy else options.gumbel.model_copy(update={"gumbel_scale": 0.0})
            searcher = GumbelSearcher(state, gumbel)
        seed = selfplay_search_seed(options.seed, game_id, state.ply)
        full = is_full_search(seed, options.full_search_fraction)
        simulations = options.simulations if full else options.fast_simulations
        result = searcher.run(simulations, SearchEvaluator(TorchBackend(networks[network])), seed=seed)
        actions.append(result.chosen_action)
        targets.append(result.policy_target if full else np.zeros(0, np.float32))
        searcher.advance(result.chosen_action)
        state.apply_action(result.chosen_action)
    return actions, targets, state


def is_full_search(search_seed: int, full_search_fraction: float) -> bool:
    """Playout cap randomization's coin, written again from its definition (splitmix64,
    Steele, Lea and Flood 2014): one draw of a generator seeded with the search seed xor a
    constant, full when the uniform (0, 1) float is below the fraction."""
    mask = (1 << 64) - 1
    z = ((search_seed ^ 0x2545F4914F6CDD1D) + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return ((z >> 11) + 0.5) / 2.0 ** 53 < full_search_fraction


def check_games_are_legal(game, finished, start_of=None):
    for index in range(len(finished)):
        record = finished.game(index)
        state = start_of(record["game_id"]).copy() if start_of else game.new()
        # The record says where the game started (before any random opening) and who moved.
        assert record["start_position"] == state.position() and record["start_ply"] == state.ply
        for ply, (action, count) in enumerate(zip(record["actions"], record["policy_counts"])):
            # A random opening's plies carry no policy entries; every searched ply has one per legal move.
            assert count == (0 if ply < record["opening_plies"] else len(state.legal_actions()))
            assert record["movers"][ply] == state.to_move()
            state.apply_action(int(action))  # raises if illegal
        assert state.is_terminal()
        assert state.winner() == record["winner"]
        assert np.all(np.abs(record["root_values"]) <= 1.0001)
        targets = record["policy_targets"].astype(np.float32)
        offsets = np.concatenate([[0], np.cumsum(record["policy_counts"])])
        sums = np.add.reduceat(targets, offsets[record["opening_plies"]:-1])
        np.testing.assert_allclose(sums, 1.0, atol=5e-3)


@pytest.mark.parametrize("game_name,workers,network_threads", [("tictactoe", 1, 1), ("connect4", 2, 1),
                                                                 ("connect4", 1, 2), ("connect4", 2, 3)])
def test_pipeline_plays_the_same_games_as_the_single_threaded_search(game_name, workers, network_threads):
    game = make(game_name)
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=3)
    options = SelfPlayOptions(games=12, workers=workers, batch_size=8, simulations=24, seed=7,
                              gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0,
                              buffers=network_threads + 1, network_threads=network_threads)
    finished = SelfPlay(game, [TorchBackend(network)], options).run(games=12)
    assert len(finished) >= 12
    check_games_are_legal(game, finished)
    for index in range(6):
        record = finished.game(index)
        actions, targets, final = replay_with_single_threaded_search(
            game, [network], options, record["game_id"], len(record["actions"]))
        assert actions == record["actions"].tolist(), f"game {record['game_id']}"
        np.testing.assert_allclose(np.concatenate(targets), record["policy_targets"].astype(np.float32), atol=1e-3)
        assert final.winner() == record["winner"]


def test_playout_cap_randomization_records_policy_targets_of_full_searches_only():
    """Each move is a full search (24 simulations, its policy a target) or a fast one (4,
    played, no policy entries), as the coin drawn from its search seed says; the games are
    those of the single-threaded search run with the same simulations per ply."""
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=5)
    options = SelfPlayOptions(games=8, batch_size=8, simulations=24, seed=3, full_search_fraction=0.25,
                              fast_simulations=4, gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    selfplay = SelfPlay(game, [TorchBackend(network)], options)
    finished = selfplay.run(games=8)
    fast_plies = full_plies = 0
    for index in range(4):
        record = finished.game(index)
        counts = record["policy_counts"]
        actions, targets, final = replay_with_single_threaded_search(
            game, [network], options, record["game_id"], len(record["actions"]))
        assert actions == record["actions"].tolist(), f"game {record['game_id']}"
        assert counts.tolist() == [len(target) for target in targets]
        np.testing.assert_allclose(np.concatenate(targets), record["policy_targets"].astype(np.float32), atol=1e-3)
        assert final.winner() == record["winner"]
        fast_plies += int((counts == 0).sum())
        full_plies += int((counts > 0).sum())
    assert fast_plies > 0 and full_plies > 0
    # 24 simulations for a full search, 4 for a fast one (the counter adds each search's own).
    assert selfplay.counters()["simulations"] >= 4 * fast_plies + 24 * full_plies


def test_stop_mid_run_and_start_again():
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=1)
    selfplay = SelfPlay(game, [TorchBackend(network)], SelfPlayOptions(games=16, batch_size=16, simulations=16, cache_entries=0))
    selfplay.start()
    first = selfplay.run(games=5)
    selfplay.stop()
    counters = selfplay.counters()
    assert counters["outstanding"] == 0 and counters["unsent"] == 0 and counters["running_workers"] == 0
    second = selfplay.run(games=20)  # the same games go on from where they were parked
    finished = [first, second, selfplay.take_finished()]
    ids = np.concatenate([part.game_ids for part in finished])
    assert len(ids) == len(set(ids.tolist())) >= 25
    for part in finished:
        check_games_are_legal(game, part)


class FailingBackend(TorchBackend):
    def __init__(self, network, fail_after):
        super().__init__(network)
        self.batches = 0
        self.fail_after = fail_after

    def evaluate_into(self, inputs, logits_out, values_out):
        self.batches += 1
        if self.batches > self.fail_after:
            raise RuntimeError("CUDA out of memory (simulated)")
        super().evaluate_into(inputs, logits_out, values_out)


def test_a_failing_network_raises_in_python_and_stops_everything():
    game = make("connect4")
    backend = FailingBackend(ExactTestNetwork(NetworkShape.of_game(game)), fail_after=5)
    selfplay = SelfPlay(game, [backend], SelfPlayOptions(games=8, batch_size=8, cache_entries=0))
    with pytest.raises(PipelineError, match="CUDA out of memory"):
        selfplay.run(seconds=30)
    assert not selfplay._raw.is_running()
    assert selfplay.counters()["running_workers"] == 0
    # After a failure the pipeline starts over with fresh games.
    backend.fail_after = 10**9
    assert len(selfplay.run(games=3)) >= 3


def test_two_networks_are_batched_separately():
    game = make("tictactoe")
    shape = NetworkShape.of_game(game)
    networks = [ExactTestNetwork(shape, seed=11), ExactTestNetwork(shape, seed=12)]

    class CountingBackend(TorchBackend):
        def __init__(self, network):
            super().__init__(network)
            self.positions = []

        def evaluate_into(self, inputs, logits_out, values_out):
            self.positions.append(inputs.clone())
            super().evaluate_into(inputs, logits_out, values_out)

    backends = [CountingBackend(network) for network in networks]
    options = SelfPlayOptions(games=6, batch_size=8, simulations=16, seed=3, gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    finished = SelfPlay(game, backends, options).run(games=6)
    check_games_are_legal(game, finished)
    assert all(len(backend.positions) > 0 for backend in backends)
    for index in range(4):
        record = finished.game(index)
        actions, _, _ = replay_with_single_threaded_search(game, networks, options, record["game_id"], len(record["actions"]))
        assert actions == record["actions"].tolist()


def test_network_threads_evaluate_batches_at_once_and_each_batch_once():
    """Two network threads per network: batches overlap in time (what they are for), and
    every evaluation the workers asked for is made exactly once (a buffer taken by both
    threads would be evaluated twice and routed twice)."""
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=4)

    class OverlapBackend(TorchBackend):
        def __init__(self):
            super().__init__(network)
            self.lock = threading.Lock()
            self.inside = self.most_inside = self.evaluated = 0

        def evaluate_into(self, inputs, logits_out, values_out):
            with self.lock:
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
                self.evaluated += len(inputs)
            time.sleep(0.002)  # a network that takes time, as a real one does
            super().evaluate_into(inputs, logits_out, values_out)
            with self.lock:
                self.inside -= 1

    backend = OverlapBackend()
    options = SelfPlayOptions(games=32, batch_size=8, simulations=16, seed=2, buffers=3, network_threads=2,
                              gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    selfplay = SelfPlay(game, [backend], options)
    finished = selfplay.run(games=8)
    check_games_are_legal(game, finished)
    assert backend.most_inside == 2
    assert backend.evaluated == selfplay.counters()["evaluations"]
    assert len({thread.name for thread in threading.enumerate() if thread.name.startswith("pyzero-network")}) == 0


def test_network_threads_need_a_buffer_left_to_fill():
    from pyzero.config import RunConfig

    with pytest.raises(ValueError, match=r"selfplay.buffers \(2\) must be more than selfplay.network_threads \(2\)"):
        RunConfig.model_validate({"game": {"name": "connect4"}, "selfplay": {"network_threads": 2}})
    assert RunConfig.model_validate({"game": {"name": "connect4"},
                                     "selfplay": {"network_threads": 2, "buffers": 3}}).selfplay.network_threads == 2


def test_match_games_start_from_openings_with_colours_alternating():
    game = make("connect4")
    networks = [ExactTestNetwork(NetworkShape.of_game(game), seed=seed) for seed in (1, 2)]
    openings = [game.play_moves(moves) for moves in ("4", "4 3", "1 7 2")]  # odd and even plies
    options = SelfPlayOptions(games=6, batch_size=8, simulations=16, seed=5, gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    selfplay = SelfPlay(game, [TorchBackend(network) for network in networks], options)
    selfplay.set_openings(openings)
    finished = selfplay.run(games=12)
    start_of = lambda game_id: openings[selfplay.opening_of(game_id)]
    assert [selfplay.opening_of(g) for g in range(6)] == [0, 0, 1, 1, 2, 2]
    check_games_are_legal(game, finished, start_of)
    # Same games as the single-threaded search from the same opening, with network
    # (game_id + side to move) % 2 choosing each move: each opening once per colour.
    for index in range(len(finished)):
        record = finished.game(index)
        actions, _, _ = replay_with_single_threaded_search(game, networks, options, record["game_id"],
                                                           len(record["actions"]), start_of(record["game_id"]))
        assert actions == record["actions"].tolist()
    with pytest.raises(ValueError, match="finished"):
        selfplay.set_openings([game.play_moves("1 2 1 2 1 2 1")])


def test_new_weights_reach_the_network_without_stopping():
    game = make("connect4")
    shape = NetworkShape.of_game(game)
    first, second = ExactTestNetwork(shape, seed=1), ExactTestNetwork(shape, seed=2)
    backend = TorchBackend(first)
    planes = torch.from_numpy(np.stack([game.play_moves("4 4 3").encode(), game.new().encode()]))
    logits, values = torch.empty(2, game.num_actions), torch.empty(2)
    selfplay = SelfPlay(game, [backend], SelfPlayOptions(games=8, batch_size=8, simulations=8, cache_entries=0))
    selfplay.start()
    selfplay.run(games=2)
    backend.load_state_dict(second.state_dict())  # while self-play runs
    before = selfplay.counters()["evaluations"]
    selfplay.run(games=2)
    assert selfplay.counters()["evaluations"] > before
    selfplay.stop()
    backend.evaluate_into(planes, logits, values)
    expected_logits, expected_values = second(planes)
    torch.testing.assert_close(logits, expected_logits)
    torch.testing.assert_close(values, expected_values)


def test_ctrl_c_stops_cleanly_with_every_thread_joined(tmp_path):
    import signal
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "import threading\n"
        "from pyzero.games import make\n"
        "from pyzero.inference import TorchBackend\n"
        "from pyzero.model import ExactTestNetwork, NetworkShape\n"
        "from pyzero.selfplay import SelfPlay, SelfPlayOptions\n"
        "game = make('connect4')\n"
        "selfplay = SelfPlay(game, [TorchBackend(ExactTestNetwork(NetworkShape.of_game(game)))],\n"
        "                    SelfPlayOptions(games=32, batch_size=16, simulations=32, cache_entries=0))\n"
        "print('running', flush=True)\n"
        "try:\n"
        "    selfplay.run(seconds=120)\n"
        "except KeyboardInterrupt:\n"
        "    counters = selfplay.counters()\n"
        "    alive = [t.name for t in threading.enumerate() if t.name.startswith('pyzero')]\n"
        "    print('interrupted', counters['running_workers'], counters['outstanding'], alive, flush=True)\n"
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "running"
    import time
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert output.strip() == "interrupted 0 0 []"


def test_noise_stops_after_noise_plies():
    """With noise_plies = 3 the pipeline plays the games of a search whose Gumbel scale is
    1 for plies 0-2 and 0 after; and they are not the games of noise at every ply."""
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=5)
    options = SelfPlayOptions(games=8, batch_size=8, simulations=16, seed=11, tree_reuse=False, noise_plies=3,
                              gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    finished = SelfPlay(game, [TorchBackend(network)], options).run(games=8)
    check_games_are_legal(game, finished)
    differs_from_noise_everywhere = 0
    for index in range(4):
        record = finished.game(index)
        played = record["actions"].tolist()
        replayed, _, _ = replay_with_single_threaded_search(game, [network], options, record["game_id"], len(played))
        assert played == replayed
        everywhere, _, _ = replay_with_single_threaded_search(
            game, [network], options.model_copy(update={"noise_plies": -1}), record["game_id"], len(played))
        differs_from_noise_everywhere += played != everywhere
    assert differs_from_noise_everywhere > 0


MASK64 = (1 << 64) - 1


def splitmix64_stream(seed):
    """Steele, Lea and Flood's splitmix64, written again in Python (the reference generator)."""
    state = seed & MASK64
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def reference_random_opening(game, run_seed, game_id, max_plies):
    """The opening the pipeline's rule asks for, computed in Python: k uniform in
    0..max_plies, then k uniform legal moves, stopping before a move that ends the game."""
    seed = ((run_seed * 0xD6E8FEB86659FD93) & MASK64) ^ ((game_id * 0xA0761D6478BD642F) & MASK64) ^ 0x5851F42D4C957F2D
    numbers = splitmix64_stream(seed)
    plies = next(numbers) % (max_plies + 1)
    state, actions = game.new(), []
    for _ in range(plies):
        legal = state.legal_actions()
        action = int(legal[next(numbers) % len(legal)])
        after = state.copy()
        after.apply_action(action)
        if after.is_terminal():
            break
        state = after
        actions.append(action)
    return actions, state


@pytest.mark.parametrize("game_name,max_plies", [("tictactoe", 8), ("connect4", 6)])
def test_random_openings_then_the_searched_game(game_name, max_plies):
    """Each game's leading plies are the random opening a Python reimplementation of the
    rule derives from the run seed and game id; they carry no policy target; from the
    opening's end the game is the single-threaded search's game from that position."""
    game = make(game_name)
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=4)
    options = SelfPlayOptions(games=16, batch_size=8, simulations=16, seed=9, random_opening_plies=max_plies,
                              gumbel=GumbelOptions(max_considered_actions=4), cache_entries=0)
    finished = SelfPlay(game, [TorchBackend(network)], options).run(games=16)
    check_games_are_legal(game, finished)
    opening_lengths = set()
    for index in range(len(finished)):
        record = finished.game(index)
        opening, start = reference_random_opening(game, options.seed, record["game_id"], max_plies)
        played = record["actions"].tolist()
        assert record["opening_plies"] == len(opening)
        assert played[:len(opening)] == opening
        assert np.all(record["root_values"][:len(opening)] == 0)
        opening_lengths.add(len(opening))
        if index < 6:
            replayed, _, final = replay_with_single_threaded_search(
                game, [network], options, record["game_id"], len(played) - len(opening), start=start)
            assert played[len(opening):] == replayed, f"game {record['game_id']}"
            assert final.winner() == record["winner"]
    assert len(opening_lengths) >= 3  # the length itself is random, not always the maximum


def test_ctrl_c_while_starting_stops_every_thread():
    """A Ctrl-C that lands half-way through `start` (here: right after the Mojo workers
    are spawned, before the network thread) still ends with every thread stopped. Before
    the fix such an interrupt left workers running, and the interpreter aborted at exit."""
    import signal
    import threading

    game = make("connect4")
    selfplay = SelfPlay(game, [TorchBackend(ExactTestNetwork(NetworkShape.of_game(game)))],
                        SelfPlayOptions(games=16, batch_size=8, simulations=16, cache_entries=0))

    class InterruptAfterStart:
        def __init__(self, raw):
            self._wrapped = raw

        def start(self):
            self._wrapped.start()
            signal.raise_signal(signal.SIGINT)

        def __getattr__(self, name):
            return getattr(self._wrapped, name)

    raw = selfplay._raw
    selfplay._raw = InterruptAfterStart(raw)
    with pytest.raises(KeyboardInterrupt):
        selfplay.run(seconds=30)
    counters = dict(raw.counters())
    assert counters["running_workers"] == 0 and counters["outstanding"] == 0
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("pyzero")]
    selfplay._raw = raw
    assert len(selfplay.run(games=2)) >= 2  # and it can start again


class ConstantNetwork(torch.nn.Module):
    """Uniform logits, and one value for every position: its only weight."""

    def __init__(self, num_actions, value):
        super().__init__()
        self.num_actions = num_actions
        self.value = torch.nn.Parameter(torch.tensor(float(value)))

    def forward(self, planes):
        return torch.zeros(len(planes), self.num_actions), self.value.expand(len(planes))


class HoldingBackend(TorchBackend):
    """Evaluates its first batch, then holds the results (not yet handed back to the
    workers) until `release` is set: a batch of the old weights in flight."""

    def __init__(self, model):
        super().__init__(model)
        self.holding, self.release = threading.Event(), threading.Event()

    def evaluate_into(self, inputs, logits_out, values_out):
        super().evaluate_into(inputs, logits_out, values_out)
        if not self.holding.is_set():
            self.holding.set()
            if not self.release.wait(60):
                raise RuntimeError("the test never released the batch")


def test_results_of_old_weights_in_flight_never_answer_from_the_cache_after_new_weights():
    # Old weights value every position +0.9, new ones -0.9. The first batch (the opening
    # position) is evaluated with the old weights and held while new weights are
    # published; only then do its results reach the workers, which store what they get.
    game = make("tictactoe")
    backend = HoldingBackend(ConstantNetwork(game.num_actions, 0.9))
    options = SelfPlayOptions(games=1, batch_size=4, simulations=8, cache_entries=1 << 14, max_policy_length=9)
    selfplay = SelfPlay(game, [backend], options)
    selfplay.start()
    try:
        assert backend.holding.wait(60)
        selfplay.publish_weights(ConstantNetwork(game.num_actions, -0.9).state_dict())
        backend.release.set()
    finally:
        selfplay.stop()  # every evaluation in flight has come back and been stored (or not)
    # The old weights' +0.9 was not kept (the game may have come back to the opening
    # position under the new weights before it was parked).
    assert selfplay.cached_value(game.new()) in (None, pytest.approx(-0.9))
    # Later games start from the same position: the search must evaluate it with the new
    # weights (a stale +0.9 would answer every later lookup instead).
    selfplay.run(games=2)
    assert selfplay.cached_value(game.new()) == pytest.approx(-0.9)


def thread_scheduling_policies() -> list[int]:
    """The kernel's scheduling policy of each thread of this process: field 41 (`policy`)
    of /proc/self/task/TID/stat, 0 for SCHED_OTHER, 5 for SCHED_IDLE (proc(5))."""
    policies = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # fields 3.. (the name may hold spaces)
        except FileNotFoundError:  # the thread ended between listing and reading
            continue
        policies.append(int(fields[41 - 3]))
    return policies


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE and /proc are Linux's")
@pytest.mark.parametrize("priority,lowered", [("idle", 2), ("normal", 0)])
def test_worker_priority_puts_exactly_the_workers_under_the_idle_policy(priority, lowered):
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=3)
    options = SelfPlayOptions(games=16, workers=2, batch_size=8, simulations=8, seed=1, worker_priority=priority)
    before = thread_scheduling_policies()
    assert 5 not in before
    selfplay = SelfPlay(game, [TorchBackend(network)], options)
    selfplay.start()
    try:
        deadline = time.monotonic() + 30
        while selfplay.counters()["positions"] < 16 and time.monotonic() < deadline:
            time.sleep(0.01)
        running = thread_scheduling_policies()
        counted = selfplay.counters()["idle_priority_workers"]
    finally:
        selfplay.stop()
    # The kernel's view: the two workers, and no other thread (the network thread, this one).
    assert running.count(5) == lowered and counted == lowered
    assert len(running) - running.count(5) >= len(before)
    assert thread_scheduling_policies().count(5) == 0  # the workers have exited
    assert selfplay.counters()["idle_priority_workers"] == 0
