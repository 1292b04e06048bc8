"""The worker threads' loop. Worker w owns games g with g % W == w (a game's search is
touched by one thread only): it feeds arrived evaluations into their searches, places
their requests in the batch queue, and plays their moves when a search is done."""

from std.time import perf_counter_ns

from mojo.game import Game, FloatBuffer, DRAW
from mojo.selfplay.atomics import atomic_add, sleep_microseconds, lower_to_idle_priority
from mojo.selfplay.batch_queue import (
    W_STOP,
    W_DRAIN,
    W_RUNNING_WORKERS,
    W_CACHE_LOOKUPS,
    W_CACHE_HITS,
    W_POSITIONS,
    W_SIMULATIONS,
    W_WORKER_IDLE_NS,
    W_BUFFER_FULL_WAITS,
    W_UNSENT,
    W_IDLE_PRIORITY_WORKERS,
)
from mojo.selfplay.pipeline import SelfPlayPipeline
from mojo.selfplay.game_slot import is_full_search


comptime NORMAL_SLEEP_CAP_MICROSECONDS = 1000
comptime IDLE_PRIORITY_SLEEP_CAP_MICROSECONDS = 80


def run_worker[G: Game](mut pipeline: SelfPlayPipeline[G], worker: Int):
    """A worker thread's life: until stopped, or drained with nothing in flight."""
    var idle_priority = pipeline.config.idle_priority_workers and lower_to_idle_priority()
    if idle_priority:
        _ = atomic_add(pipeline.queue.global_word(W_IDLE_PRIORITY_WORKERS), 1)
    var ready = List[Int]()
    var blocked = List[Int]()
    var parked = List[Int]()
    # Scratch for cache priors, allocated once per worker rather than per call.
    var priors = List[Float32](length=max(pipeline.config.max_policy_length, 1) + 1, fill=0)
    for game in range(worker, pipeline.config.games, pipeline.config.workers):
        ref slot = pipeline.slots[game]
        if slot.outstanding == 0 and len(slot.unsent) == 0:
            ready.append(game)
        elif len(slot.unsent) > 0:
            blocked.append(game)
    # Back off while idle (20 us doubling to the cap). A worker at normal priority that
    # wakes often preempts the network's own threads on a busy CPU, so it backs off to
    # 1 ms; one under the idle policy never preempts them (it wakes only onto a free
    # core), and there a long sleep only makes it late for the batch that came back
    # meanwhile, while the network thread goes on to wait for the next (up to a whole
    # batch late: Connect4's take about 4.5 ms on 2 cores).
    var idle_sleep_cap = IDLE_PRIORITY_SLEEP_CAP_MICROSECONDS if idle_priority else NORMAL_SLEEP_CAP_MICROSECONDS
    var idle_sleep = 20
    while pipeline.counter(W_STOP) == 0:
        var progress = _process_inbox(pipeline, worker, ready, priors)
        # Games waiting for a free buffer, oldest first; once one fails there is no
        # free buffer, so the rest wait too (retrying them would only burn a core the
        # network needs).
        var still_blocked = List[Int]()
        var buffers_available = True
        for game in blocked:
            if buffers_available and _send_unsent(pipeline, game):
                progress += 1
            else:
                buffers_available = False
                still_blocked.append(game)
        blocked = still_blocked^
        while len(ready) > 0:
            var game = ready.pop()
            _advance(pipeline, game, blocked, parked, priors)
            progress += 1
        if pipeline.counter(W_DRAIN) != 0 and len(blocked) == 0 and _worker_has_nothing_in_flight(pipeline, worker):
            break
        if progress == 0:
            var idle_started = Int(perf_counter_ns())
            sleep_microseconds(idle_sleep)
            idle_sleep = min(idle_sleep * 2, idle_sleep_cap)
            _ = atomic_add(pipeline.queue.global_word(W_WORKER_IDLE_NS), Int(perf_counter_ns()) - idle_started)
        else:
            idle_sleep = 20
    if idle_priority:
        _ = atomic_add(pipeline.queue.global_word(W_IDLE_PRIORITY_WORKERS), -1)
    _ = atomic_add(pipeline.queue.global_word(W_RUNNING_WORKERS), -1)


def worker_entry[G: Game](argument: Int) abi("C") -> Int:
    """The thread entry: `argument` is the address of a (pipeline address, worker) pair."""
    var words = Pointer[Int, MutAnyOrigin](unsafe_from_address=argument)
    var pipeline = Pointer[SelfPlayPipeline[G], MutAnyOrigin](unsafe_from_address=words[])
    var worker = words[unsafe_offset=1]
    run_worker(pipeline[], worker)
    return 0


def _worker_has_nothing_in_flight[G: Game](pipeline: SelfPlayPipeline[G], worker: Int) -> Bool:
    for game in range(worker, pipeline.config.games, pipeline.config.workers):
        if pipeline.slots[game].outstanding > 0:
            return False
    return True


def _process_inbox[G: Game](
    mut pipeline: SelfPlayPipeline[G], worker: Int, mut ready: List[Int], mut priors: List[Float32]
) -> Int:
    """Feeds the worker's arrived evaluations into their searches (`priors`: scratch)."""
    ref queue = pipeline.queue
    var head = queue.inbox_head(worker)
    var tail = queue.inbox_tail(worker)
    var processed = 0
    while head < tail:
        var slot_index = queue.inbox_entry(worker, head)
        head += 1
        processed += 1
        var game = queue.slot_game(slot_index)
        var request = queue.slot_request(slot_index)
        var logits = FloatBuffer(unsafe_from_address=pipeline.buffers.logits + slot_index * pipeline.num_actions * 4)
        var value = FloatBuffer(unsafe_from_address=pipeline.buffers.values + slot_index * 4)[]
        ref core = pipeline.slots[game].search.core
        core.receive(request, logits, value)
        if len(pipeline.caches) > 0:
            # Tagged with the version the batch was evaluated with, not the current
            # one: results of old weights that arrive after new ones were published
            # are dropped.
            var version = queue.slot_version(slot_index)
            core.store_in_cache(pipeline._cache(), request, priors, version)
        queue.consume(slot_index)
        pipeline.slots[game].outstanding -= 1
        if pipeline.slots[game].outstanding == 0 and len(pipeline.slots[game].unsent) == 0:
            pipeline.slots[game].search.core.backup()
            ready.append(game)
    queue.set_inbox_head(worker, head)
    return processed


def _advance[G: Game](
    mut pipeline: SelfPlayPipeline[G],
    game: Int,
    mut blocked: List[Int],
    mut parked: List[Int],
    mut priors: List[Float32],
):
    """Runs the game's search until it waits for evaluations (or parks it when draining)."""
    while True:
        if pipeline.counter(W_DRAIN) != 0 or pipeline.counter(W_STOP) != 0:
            parked.append(game)
            return
        if not pipeline.slots[game].searching:
            var seed = pipeline.slots[game].search_seed(pipeline.config.seed)
            pipeline.slots[game].search.config.gumbel_scale = pipeline.slots[game].gumbel_scale(
                pipeline.config.noise_plies, pipeline.config.gumbel.gumbel_scale
            )
            var full = is_full_search(seed, pipeline.config.full_search_fraction)
            pipeline.slots[game].full_search = full
            var simulations = pipeline.config.simulations if full else pipeline.config.fast_simulations
            pipeline.slots[game].search.start(simulations, seed)
            pipeline.slots[game].searching = True
        if pipeline.slots[game].search.collect():
            ref core = pipeline.slots[game].search.core
            for request in range(core.num_requests()):
                if len(pipeline.caches) > 0:
                    _ = atomic_add(pipeline.queue.global_word(W_CACHE_LOOKUPS), 1)
                    if core.answer_from_cache(pipeline._cache(), request, priors):
                        _ = atomic_add(pipeline.queue.global_word(W_CACHE_HITS), 1)
                        continue
                pipeline.slots[game].unsent.append(request)
                _ = atomic_add(pipeline.queue.global_word(W_UNSENT), 1)
            if len(pipeline.slots[game].unsent) > 0:
                if not _send_unsent(pipeline, game):
                    blocked.append(game)
                return
            pipeline.slots[game].search.core.backup()
            continue
        _finish_move(pipeline, game)


def _send_unsent[G: Game](mut pipeline: SelfPlayPipeline[G], game: Int) -> Bool:
    """Places the game's unsent requests in buffers; True when all are placed."""
    var network = pipeline.slots[game].network(pipeline.config.networks)
    while len(pipeline.slots[game].unsent) > 0:
        var slot_index = pipeline.queue.try_claim(network)
        if slot_index < 0:
            _ = atomic_add(pipeline.queue.global_word(W_BUFFER_FULL_WAITS), 1)
            return False
        var request = pipeline.slots[game].unsent.pop()
        ref state = pipeline.slots[game].search.core.request_state(request)[]
        state.encode(FloatBuffer(unsafe_from_address=pipeline.buffers.inputs + slot_index * pipeline.input_size * 4))
        pipeline.slots[game].outstanding += 1
        pipeline.queue.mark_written(network, slot_index, game, request)
    return True


def _finish_move[G: Game](mut pipeline: SelfPlayPipeline[G], game: Int):
    ref slot = pipeline.slots[game]
    ref search = slot.search
    var simulations = Int(search.core.tree.visit_count[0]) - 1
    _ = atomic_add(pipeline.queue.global_word(W_SIMULATIONS), max(simulations, 0))
    if slot.full_search:
        var policy = search.improved_policy()
        var start = search.core.tree.children_start(0)
        slot.record.policy_counts.append(Int32(len(policy)))
        for index in range(len(policy)):
            slot.record.policy_actions.append(search.core.tree.action[start + index])
            slot.record.policy_targets.append(Float16(policy[index]))
    else:
        slot.record.policy_counts.append(0)  # a fast search: played and valued, no policy target
    var action = search.chosen_action()
    slot.record.movers.append(Int8(search.core.root_state()[].to_move()))
    slot.record.actions.append(Int32(action))
    slot.record.root_values.append(search.core.tree.mean_value(0))
    _ = atomic_add(pipeline.queue.global_word(W_POSITIONS), 1)
    if pipeline.config.tree_reuse and pipeline.config.networks == 1:
        search.advance(action)
    else:
        var next_root = search.core.root_state()[].copy()
        next_root.apply(action)
        search.set_root(next_root^)
    slot.searching = False
    var position_key = search.core.root_state()[].hash()
    var repeated = slot.repeated_for_draw(position_key, search.core.root_state()[].repetitions_for_draw())
    ref position = search.core.root_state()[]
    var capped = pipeline.config.max_game_plies > 0 and len(slot.record.actions) >= pipeline.config.max_game_plies
    if position.is_terminal() or capped or repeated:
        slot.record.winner = position.winner() if position.is_terminal() else DRAW
        pipeline.store_finished(game)
        pipeline.start_new_game(game)
