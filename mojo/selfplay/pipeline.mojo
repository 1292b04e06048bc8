"""The self-play pipeline: W worker threads advance G concurrent games' searches; the
positions to evaluate go straight into shared batch buffers; one network thread per
network (Python) evaluates whole buffers; results come back to the workers as integers.

    worker w owns games g with g % W == w (a game's search is touched by one thread only)

    worker: collect a search batch -> cache hits answered at once -> for each miss:
            claim a slot (atomic) in the network's filling buffer, encode the position
            straight into inputs[n, k, slot], note (game, request) for the slot, count it
            written. A worker that finds no free buffer keeps the rest "unsent" and comes
            back to them: it never blocks while holding results it owes.
    network thread (Python, GIL released while waiting): `wait_for_batch(n)` seals the
            oldest filling buffer that is full, or has waited `timeout_microseconds`,
            waits for its writers, and hands (k, count) over; the model writes
            logits[n, k, :count], values[n, k, :count]; `batch_done(n, k, version)` records
            the cache's weights version read before the model ran (the results are
            cached only if that is still current) and pushes every slot's index (an
            integer) into its game's worker's inbox.
    worker: pops slot indices, feeds the evaluation into the search (and the cache); the
            last reader of a buffer frees it. A game whose batch is complete backs up and
            collects its next batch, or plays its move when its search is done.

Buffers per network cycle FREE -> FILLING -> EVALUATING -> RESULTS -> FREE; with two or
more, one is evaluated while the next fills. Every shared counter is an atomic 64-bit
word in one never-resized array (`words`), so threads share it by address.

Stopping: `drain` lets every in-flight evaluation come back and be backed up, then the
workers park their games between batches and exit; a later start resumes the same games.
`abort` (after a failure) exits at once; the next start begins fresh games.
"""

from std.time import perf_counter_ns

from mojo.game import Game, GameOptions, FloatBuffer, DRAW
from mojo.search.gumbel import GumbelSearch, GumbelConfig
from mojo.search.tree import NO_NODE
from mojo.search.random import SplitMix64
from mojo.cache.evaluation_cache import EvaluationCache
from mojo.selfplay.atomics import (
    atomic_load,
    atomic_store,
    atomic_add,
    atomic_compare_exchange,
    spawn_thread,
    join_thread,
    sleep_microseconds,
    yield_thread,
)

comptime BUFFER_FREE = 0
comptime BUFFER_FILLING = 1
comptime BUFFER_EVALUATING = 2
comptime BUFFER_RESULTS = 3
comptime BUFFER_RESETTING = 4  # taken by a worker, counters being reset: invisible to the network

comptime NO_BUFFER = -1
comptime ACQUIRING_BUFFER = -2
comptime SEALED = 1 << 40  # added to a buffer's claim counter: later claims overflow

comptime WAIT_STOPPED = -1
comptime WAIT_TIMED_OUT = -2

# Global words.
comptime W_STOP = 0  # abort: workers exit at once
comptime W_DRAIN = 1  # finish in-flight evaluations, then exit
comptime W_RESERVED = 2  # free slot (global words keep their numbers)
comptime W_OUTSTANDING = 3  # requests placed in buffers whose results are not yet received
comptime W_RUNNING_WORKERS = 4
comptime W_NEXT_GAME_ID = 5
comptime W_FINISHED_LOCK = 6
comptime W_EVALUATIONS = 7  # positions sent to a network
comptime W_BATCHES = 8
comptime W_CACHE_LOOKUPS = 9
comptime W_CACHE_HITS = 10
comptime W_GAMES_FINISHED = 11
comptime W_POSITIONS = 12  # moves played
comptime W_SIMULATIONS = 13
comptime W_WORKER_IDLE_NS = 14
comptime W_NETWORK_WAIT_NS = 15
comptime W_BUFFER_FULL_WAITS = 16  # times a worker found no free buffer
comptime W_UNSENT = 17  # requests waiting for a free buffer
comptime GLOBAL_WORDS = 24

# Per buffer words.
comptime B_STATE = 0
comptime B_CLAIMED = 1
comptime B_WRITTEN = 2
comptime B_CONSUMED = 3
comptime B_ITEMS = 4
comptime B_FILL_START_NS = 5
comptime B_VERSION = 6  # the cache's weights version read before the batch was evaluated
comptime BUFFER_WORDS = 7


@fieldwise_init
struct PipelineConfig(Copyable, Movable):
    var games: Int
    var workers: Int
    var batch_size: Int
    var buffers_per_network: Int
    var networks: Int  # 1 for self-play; 2 for matches (game g's first player uses network g % 2)
    var timeout_microseconds: Int
    var simulations: Int
    var seed: Int
    var max_game_plies: Int  # 0: no cap; else a game reaching it ends as a draw
    var noise_plies: Int
    """Plies whose move is sampled with the Gumbel noise, counted as the position's ply
    (from the game's empty board, also when a game starts from an opening); from then on
    the search runs with gumbel_scale 0 and plays its best move. -1: every ply.
    AlphaZero's opening temperature: the openings stay varied, while the rest of the game
    is played well enough that its outcome is a usable value target."""
    var random_opening_plies: Int
    """Self-play only: each game opens with k uniformly random legal moves, k drawn
    uniformly from 0..random_opening_plies (stopping short of a finished position). Those
    plies are recorded without a policy target and are not trained on; they widen the
    positions self-play reaches once its own play has sharpened (KataGo's random openings).
    0: every game starts from the initial position."""
    var cache_entries: Int  # 0: no cache
    var max_policy_length: Int
    var tree_reuse: Bool
    var gumbel: GumbelConfig


@fieldwise_init
struct BufferAddresses(Copyable, Movable):
    """Addresses of the Python-owned tensors (float32, contiguous)."""

    var inputs: Int  # [networks, buffers, batch, C * H * W]
    var logits: Int  # [networks, buffers, batch, num_actions]
    var values: Int  # [networks, buffers, batch]


struct FinishedGame(Copyable, Movable):
    """A finished game as it is handed to Python: where it started, moves, targets, root
    values, outcome. `actions` are played from `start_position` (the opening the game was
    given, before any random opening plies), so a replay needs no assumption about it."""

    var game_id: Int
    var winner: Int  # 0, 1 or DRAW
    var opening_plies: Int  # leading actions played at random (no search, no policy target)
    var start_position: String  # the start in the game's position notation (`Game.position`)
    var start_ply: Int  # the start's `ply()`: the ply the first action is played at
    var movers: List[Int8]  # per action: the side to move where it was played (0 or 1)
    var actions: List[Int32]
    var root_values: List[Float32]  # search value of the root, for the side to move
    var policy_counts: List[Int32]  # legal actions per ply (entries in the arrays below)
    var policy_actions: List[Int32]
    var policy_targets: List[Float16]  # the improved policy, over the legal actions

    def __init__(out self):
        self.game_id = -1
        self.winner = DRAW
        self.opening_plies = 0
        self.start_position = String()
        self.start_ply = 0
        self.movers = List[Int8]()
        self.actions = List[Int32]()
        self.root_values = List[Float32]()
        self.policy_counts = List[Int32]()
        self.policy_actions = List[Int32]()
        self.policy_targets = List[Float16]()


struct GameSlot[G: Game](Movable):
    var search: GumbelSearch[Self.G]
    var record: FinishedGame
    var searching: Bool  # a search has been started at the current root
    var outstanding: Int  # requests of the current batch awaiting results
    var unsent: List[Int]  # requests of the current batch not yet placed in a buffer

    def __init__(out self, var root: Self.G, config: GumbelConfig):
        self.search = GumbelSearch[Self.G](root^, config)
        self.record = FinishedGame()
        self.searching = False
        self.outstanding = 0
        self.unsent = List[Int]()


struct SelfPlayPipeline[G: Game](Movable):
    var config: PipelineConfig
    var buffers: BufferAddresses
    var initial: List[Self.G]  # the openings games start from (one: the usual start)
    var slots: List[GameSlot[Self.G]]
    var words: List[Int64]
    var words_address: Int
    var filling_offset: Int  # per network
    var buffer_offset: Int  # per network and buffer
    var slot_offset: Int  # per batch slot: game, request
    var inbox_offset: Int  # per worker: head, tail, capacity entries
    var inbox_capacity: Int
    var input_size: Int
    var num_actions: Int
    var caches: List[EvaluationCache]
    var finished: List[FinishedGame]
    var staged: List[FinishedGame]  # taken from `finished`, not yet copied out to Python
    var thread_ids: List[UInt64]
    var worker_arguments: List[Int]  # (pipeline address, worker) pairs, kept alive for the threads
    var needs_fresh_games: Bool

    def __init__(out self, var initial: Self.G, config: PipelineConfig, buffers: BufferAddresses) raises:
        if config.games < 1 or config.workers < 1 or config.batch_size < 1:
            raise Error("games, workers and batch_size must be at least 1")
        if config.buffers_per_network < 2:
            raise Error("buffers_per_network must be at least 2 (one evaluated while the next fills)")
        if config.networks < 1 or config.networks > 2:
            raise Error("networks must be 1 (self-play) or 2 (matches)")
        if config.random_opening_plies < 0:
            raise Error("random_opening_plies must be at least 0")
        if config.random_opening_plies > 0 and config.networks != 1:
            raise Error("random openings are for self-play (one network); matches take explicit openings")
        self.config = config.copy()
        self.buffers = buffers.copy()
        self.input_size = initial.input_shape().size()
        self.num_actions = initial.num_actions()
        self.initial = List[Self.G]()
        self.initial.append(initial^)
        self.slots = List[GameSlot[Self.G]]()
        var total_buffers = config.networks * config.buffers_per_network
        var total_slots = total_buffers * config.batch_size
        self.inbox_capacity = total_slots + 1
        self.filling_offset = GLOBAL_WORDS
        self.buffer_offset = self.filling_offset + config.networks
        self.slot_offset = self.buffer_offset + total_buffers * BUFFER_WORDS
        self.inbox_offset = self.slot_offset + 2 * total_slots
        var word_count = self.inbox_offset + config.workers * (2 + self.inbox_capacity)
        self.words = List[Int64](length=word_count, fill=0)
        self.words_address = Int(self.words.unsafe_ptr())
        self.caches = List[EvaluationCache]()
        if config.cache_entries > 0:
            self.caches.append(EvaluationCache(config.cache_entries, config.max_policy_length))
        self.finished = List[FinishedGame]()
        self.staged = List[FinishedGame]()
        self.thread_ids = List[UInt64]()
        self.worker_arguments = List[Int]()
        self.needs_fresh_games = False
        for network in range(config.networks):
            atomic_store(self._filling(network), NO_BUFFER)
        self._fresh_games()

    # ------------------------------------------------------------------ word addresses
    @always_inline
    def _global(self, index: Int) -> Int:
        return self.words_address + index * 8

    @always_inline
    def _filling(self, network: Int) -> Int:
        return self.words_address + (self.filling_offset + network) * 8

    @always_inline
    def _buffer_word(self, network: Int, buffer: Int, field: Int) -> Int:
        var index = network * self.config.buffers_per_network + buffer
        return self.words_address + (self.buffer_offset + index * BUFFER_WORDS + field) * 8

    @always_inline
    def _slot_index(self, network: Int, buffer: Int, slot: Int) -> Int:
        return (network * self.config.buffers_per_network + buffer) * self.config.batch_size + slot

    @always_inline
    def _slot_word(self, slot_index: Int, field: Int) -> Int:
        return self.words_address + (self.slot_offset + 2 * slot_index + field) * 8

    @always_inline
    def _inbox_word(self, worker: Int, index: Int) -> Int:
        return self.words_address + (self.inbox_offset + worker * (2 + self.inbox_capacity) + index) * 8

    def _cache(self) -> Pointer[EvaluationCache, MutAnyOrigin]:
        """The shared evaluation cache (only when `caches` is not empty)."""
        return Pointer[EvaluationCache, MutAnyOrigin](unsafe_from_address=Int(self.caches.unsafe_ptr()))

    def counter(self, index: Int) -> Int:
        return atomic_load(self._global(index))

    # ------------------------------------------------------------------ games
    def _fresh_games(mut self):
        self.slots.clear()
        for _ in range(self.config.games):
            self.slots.append(GameSlot[Self.G](self.initial[0].copy(), self.config.gumbel))
        for game in range(self.config.games):
            self._start_new_game(game)
        self.needs_fresh_games = False

    def set_openings(mut self, var openings: List[Self.G]) raises:
        """Games start from these positions instead of the initial one: game g from
        opening g % n, or with two networks from opening (g // 2) % n, so each opening is
        played once with each network moving first. Only while stopped; the games in
        progress are dropped and the new ones are numbered from 0."""
        if len(self.thread_ids) > 0:
            raise Error("openings can only be set while the pipeline is stopped")
        if len(openings) == 0:
            raise Error("at least one opening is needed")
        self.initial = openings^
        atomic_store(self._global(W_NEXT_GAME_ID), 0)
        self._fresh_games()
        self._reset_buffers()

    def opening_of(self, game_id: Int) -> Int:
        """Which opening game `game_id` starts from."""
        var pairs = game_id // 2 if self.config.networks == 2 else game_id
        return pairs % len(self.initial)

    def _start_new_game(mut self, game: Int):
        ref slot = self.slots[game]
        slot.record = FinishedGame()
        slot.record.game_id = atomic_add(self._global(W_NEXT_GAME_ID), 1)
        var root = self.initial[self.opening_of(slot.record.game_id)].copy()
        slot.record.start_position = root.position()
        slot.record.start_ply = root.ply()
        if self.config.random_opening_plies > 0:
            play_random_opening(root, slot.record, opening_seed(self.config.seed, slot.record.game_id),
                                self.config.random_opening_plies)
        slot.search.set_root(root^)
        slot.searching = False
        slot.outstanding = 0
        slot.unsent.clear()

    def _network_for(self, game: Int) -> Int:
        if self.config.networks == 1:
            return 0
        var to_move = self.slots[game].search.core.root_state()[].to_move()
        return (self.slots[game].record.game_id + to_move) % 2

    def _search_seed(self, game: Int) -> UInt64:
        """Depends on the run seed, the game's id and its ply: the same game whatever the
        thread or batch timing (the single-threaded reference uses the same formula)."""
        ref slot = self.slots[game]
        return search_seed(self.config.seed, slot.record.game_id, slot.search.core.root_state()[].ply())

    def _gumbel_scale(self, game: Int) -> Float32:
        """The configured noise scale while the game is within its noisy plies, else 0."""
        var noise_plies = self.config.noise_plies
        if noise_plies >= 0 and self.slots[game].search.core.root_state()[].ply() >= noise_plies:
            return 0.0
        return self.config.gumbel.gumbel_scale

    # ------------------------------------------------------------------ buffers (workers)
    def _try_claim(mut self, network: Int) -> Int:
        """A slot index in the network's filling buffer, or -1 if none is free right now."""
        var filling = self._filling(network)
        for _ in range(64):
            var buffer = atomic_load(filling)
            if buffer == ACQUIRING_BUFFER:
                yield_thread()
                continue
            if buffer == NO_BUFFER:
                if not atomic_compare_exchange(filling, NO_BUFFER, ACQUIRING_BUFFER):
                    continue
                buffer = -1
                for candidate in range(self.config.buffers_per_network):
                    var state_word = self._buffer_word(network, candidate, B_STATE)
                    if atomic_compare_exchange(state_word, BUFFER_FREE, BUFFER_RESETTING):
                        buffer = candidate
                        break
                if buffer < 0:
                    atomic_store(filling, NO_BUFFER)
                    return -1
                # The network thread ignores the buffer until it is FILLING again, so it
                # never seals one whose counters still hold the previous cycle's values.
                # The claim counter is reset last: a late claimer of the previous cycle
                # sees the sealed count until then and fails instead of writing into the void.
                atomic_store(self._buffer_word(network, buffer, B_WRITTEN), 0)
                atomic_store(self._buffer_word(network, buffer, B_CONSUMED), 0)
                atomic_store(self._buffer_word(network, buffer, B_ITEMS), 0)
                atomic_store(self._buffer_word(network, buffer, B_FILL_START_NS), Int(perf_counter_ns()))
                atomic_store(self._buffer_word(network, buffer, B_CLAIMED), 0)
                atomic_store(self._buffer_word(network, buffer, B_STATE), BUFFER_FILLING)
                atomic_store(filling, buffer)
            var slot = atomic_add(self._buffer_word(network, buffer, B_CLAIMED), 1)
            if slot < self.config.batch_size:
                return self._slot_index(network, buffer, slot)
            # Full or sealed: detach it so that the next claimer takes a fresh buffer.
            _ = atomic_compare_exchange(filling, buffer, NO_BUFFER)
        return -1

    def _send_unsent(mut self, game: Int) -> Bool:
        """Places the game's unsent requests in buffers; True when all are placed."""
        var network = self._network_for(game)
        while len(self.slots[game].unsent) > 0:
            var slot_index = self._try_claim(network)
            if slot_index < 0:
                _ = atomic_add(self._global(W_BUFFER_FULL_WAITS), 1)
                return False
            var request = self.slots[game].unsent.pop()
            ref state = self.slots[game].search.core.request_state(request)[]
            state.encode(FloatBuffer(unsafe_from_address=self.buffers.inputs + slot_index * self.input_size * 4))
            atomic_store(self._slot_word(slot_index, 0), game)
            atomic_store(self._slot_word(slot_index, 1), request)
            self.slots[game].outstanding += 1
            _ = atomic_add(self._global(W_OUTSTANDING), 1)
            _ = atomic_add(self._global(W_UNSENT), -1)
            var buffer_index = slot_index // self.config.batch_size
            var buffer = buffer_index % self.config.buffers_per_network
            _ = atomic_add(self._buffer_word(network, buffer, B_WRITTEN), 1)
        return True

    # ------------------------------------------------------------------ buffers (network)
    def wait_for_batch(mut self, network: Int, wait_microseconds: Int) -> Int:
        """Blocks until a buffer of `network` is ready and returns its index (its count is
        `batch_count`), or WAIT_STOPPED when the run has ended, or WAIT_TIMED_OUT."""
        var started = Int(perf_counter_ns())
        var timeout_ns = self.config.timeout_microseconds * 1000
        while True:
            if self.counter(W_STOP) != 0:
                return WAIT_STOPPED
            var draining = self.counter(W_DRAIN) != 0
            var now = Int(perf_counter_ns())
            var chosen = -1
            var chosen_start = 0
            for buffer in range(self.config.buffers_per_network):
                if atomic_load(self._buffer_word(network, buffer, B_STATE)) != BUFFER_FILLING:
                    continue
                var claimed = atomic_load(self._buffer_word(network, buffer, B_CLAIMED))
                if claimed == 0:
                    continue
                var fill_start = atomic_load(self._buffer_word(network, buffer, B_FILL_START_NS))
                var ready = claimed >= self.config.batch_size or draining or now - fill_start >= timeout_ns
                if ready and (chosen < 0 or fill_start < chosen_start):
                    chosen = buffer
                    chosen_start = fill_start
            if chosen >= 0:
                var before = atomic_add(self._buffer_word(network, chosen, B_CLAIMED), SEALED)
                var items = min(before, self.config.batch_size)
                _ = atomic_compare_exchange(self._filling(network), chosen, NO_BUFFER)
                while atomic_load(self._buffer_word(network, chosen, B_WRITTEN)) < items:
                    yield_thread()
                atomic_store(self._buffer_word(network, chosen, B_ITEMS), items)
                atomic_store(self._buffer_word(network, chosen, B_STATE), BUFFER_EVALUATING)
                _ = atomic_add(self._global(W_NETWORK_WAIT_NS), Int(perf_counter_ns()) - started)
                return chosen
            if draining and self.counter(W_RUNNING_WORKERS) == 0:
                return WAIT_STOPPED
            if now - started >= wait_microseconds * 1000:
                _ = atomic_add(self._global(W_NETWORK_WAIT_NS), now - started)
                return WAIT_TIMED_OUT
            sleep_microseconds(20)

    def batch_count(self, network: Int, buffer: Int) -> Int:
        return atomic_load(self._buffer_word(network, buffer, B_ITEMS))

    def weights_version(self) -> Int:
        """The cache's current weights version (0 without a cache)."""
        if len(self.caches) == 0:
            return 0
        return Int(self._cache()[].version())

    def advance_weights_version(mut self) -> Int:
        """New weights were handed to the backend: the cache's entries of older weights
        become misses, and results of batches evaluated before this are not cached."""
        if len(self.caches) == 0:
            return 0
        return Int(self._cache()[].advance_version())

    def batch_done(mut self, network: Int, buffer: Int, version: Int):
        """The network has written this buffer's outputs, computed with weights of
        `version` (`weights_version()` read before the model ran): route each slot to
        its worker."""
        atomic_store(self._buffer_word(network, buffer, B_VERSION), version)
        var items = self.batch_count(network, buffer)
        _ = atomic_add(self._global(W_BATCHES), 1)
        _ = atomic_add(self._global(W_EVALUATIONS), items)
        atomic_store(self._buffer_word(network, buffer, B_STATE), BUFFER_RESULTS)
        for slot in range(items):
            var slot_index = self._slot_index(network, buffer, slot)
            var game = atomic_load(self._slot_word(slot_index, 0))
            var worker = game % self.config.workers
            var tail = atomic_load(self._inbox_word(worker, 1))
            atomic_store(self._inbox_word(worker, 2 + tail % self.inbox_capacity), slot_index)
            atomic_store(self._inbox_word(worker, 1), tail + 1)

    # ------------------------------------------------------------------ workers
    def _process_inbox(mut self, worker: Int, mut ready: List[Int], mut priors: List[Float32]) -> Int:
        """Feeds the worker's arrived evaluations into their searches (`priors`: scratch)."""
        var head = atomic_load(self._inbox_word(worker, 0))
        var tail = atomic_load(self._inbox_word(worker, 1))
        var processed = 0
        while head < tail:
            var slot_index = atomic_load(self._inbox_word(worker, 2 + head % self.inbox_capacity))
            head += 1
            processed += 1
            var game = atomic_load(self._slot_word(slot_index, 0))
            var request = atomic_load(self._slot_word(slot_index, 1))
            var logits = FloatBuffer(unsafe_from_address=self.buffers.logits + slot_index * self.num_actions * 4)
            var value = FloatBuffer(unsafe_from_address=self.buffers.values + slot_index * 4)[]
            ref core = self.slots[game].search.core
            core.receive(request, logits, value)
            var buffer_index = slot_index // self.config.batch_size
            var network = buffer_index // self.config.buffers_per_network
            var buffer = buffer_index % self.config.buffers_per_network
            if len(self.caches) > 0:
                # Tagged with the version the batch was evaluated with, not the current
                # one: results of old weights that arrive after new ones were published
                # are dropped.
                var version = UInt64(atomic_load(self._buffer_word(network, buffer, B_VERSION)))
                core.store_in_cache(self._cache(), request, priors, version)
            var items = self.batch_count(network, buffer)
            if atomic_add(self._buffer_word(network, buffer, B_CONSUMED), 1) + 1 == items:
                atomic_store(self._buffer_word(network, buffer, B_STATE), BUFFER_FREE)
            _ = atomic_add(self._global(W_OUTSTANDING), -1)
            self.slots[game].outstanding -= 1
            if self.slots[game].outstanding == 0 and len(self.slots[game].unsent) == 0:
                self.slots[game].search.core.backup()
                ready.append(game)
        atomic_store(self._inbox_word(worker, 0), head)
        return processed

    def _advance(mut self, game: Int, mut blocked: List[Int], mut parked: List[Int], mut priors: List[Float32]):
        """Runs the game's search until it waits for evaluations (or parks it when draining)."""
        while True:
            if self.counter(W_DRAIN) != 0 or self.counter(W_STOP) != 0:
                parked.append(game)
                return
            if not self.slots[game].searching:
                var seed = self._search_seed(game)
                self.slots[game].search.config.gumbel_scale = self._gumbel_scale(game)
                self.slots[game].search.start(self.config.simulations, seed)
                self.slots[game].searching = True
            if self.slots[game].search.collect():
                ref core = self.slots[game].search.core
                for request in range(core.num_requests()):
                    if len(self.caches) > 0:
                        _ = atomic_add(self._global(W_CACHE_LOOKUPS), 1)
                        if core.answer_from_cache(self._cache(), request, priors):
                            _ = atomic_add(self._global(W_CACHE_HITS), 1)
                            continue
                    self.slots[game].unsent.append(request)
                    _ = atomic_add(self._global(W_UNSENT), 1)
                if len(self.slots[game].unsent) > 0:
                    if not self._send_unsent(game):
                        blocked.append(game)
                    return
                self.slots[game].search.core.backup()
                continue
            self._finish_move(game)

    def _finish_move(mut self, game: Int):
        ref slot = self.slots[game]
        ref search = slot.search
        var simulations = Int(search.core.tree.visit_count[0]) - 1
        _ = atomic_add(self._global(W_SIMULATIONS), max(simulations, 0))
        var policy = search.improved_policy()
        var start = search.core.tree.children_start(0)
        slot.record.policy_counts.append(Int32(len(policy)))
        for index in range(len(policy)):
            slot.record.policy_actions.append(search.core.tree.action[start + index])
            slot.record.policy_targets.append(Float16(policy[index]))
        var action = search.chosen_action()
        slot.record.movers.append(Int8(search.core.root_state()[].to_move()))
        slot.record.actions.append(Int32(action))
        slot.record.root_values.append(search.core.tree.mean_value(0))
        _ = atomic_add(self._global(W_POSITIONS), 1)
        if self.config.tree_reuse and self.config.networks == 1:
            search.advance(action)
        else:
            var next_root = search.core.root_state()[].copy()
            next_root.apply(action)
            search.set_root(next_root^)
        slot.searching = False
        ref position = search.core.root_state()[]
        var capped = self.config.max_game_plies > 0 and len(slot.record.actions) >= self.config.max_game_plies
        if position.is_terminal() or capped:
            slot.record.winner = position.winner() if position.is_terminal() else DRAW
            self._store_finished(game)
            self._start_new_game(game)

    def _store_finished(mut self, game: Int):
        var lock = self._global(W_FINISHED_LOCK)
        while not atomic_compare_exchange(lock, 0, 1):
            yield_thread()
        self.finished.append(self.slots[game].record.copy())
        atomic_store(lock, 0)
        _ = atomic_add(self._global(W_GAMES_FINISHED), 1)

    def stage_finished(mut self):
        """Moves the games finished so far behind any already staged (thread-safe against
        the workers). Staged games wait there until `take_staged`, so a hand-over to Python
        that is interrupted half-way loses nothing."""
        var lock = self._global(W_FINISHED_LOCK)
        while not atomic_compare_exchange(lock, 0, 1):
            yield_thread()
        var games = self.finished^
        self.finished = List[FinishedGame]()
        atomic_store(lock, 0)
        for game in games:
            self.staged.append(game.copy())

    def take_staged(mut self) -> List[FinishedGame]:
        var games = self.staged^
        self.staged = List[FinishedGame]()
        return games^

    def run_worker(mut self, worker: Int):
        """A worker thread's life: until stopped, or drained with nothing in flight."""
        var ready = List[Int]()
        var blocked = List[Int]()
        var parked = List[Int]()
        # Scratch for cache priors, allocated once per worker rather than per call.
        var priors = List[Float32](length=max(self.config.max_policy_length, 1) + 1, fill=0)
        for game in range(worker, self.config.games, self.config.workers):
            ref slot = self.slots[game]
            if slot.outstanding == 0 and len(slot.unsent) == 0:
                ready.append(game)
            elif len(slot.unsent) > 0:
                blocked.append(game)
        var idle_sleep = 20
        while self.counter(W_STOP) == 0:
            var progress = self._process_inbox(worker, ready, priors)
            # Games waiting for a free buffer, oldest first; once one fails there is no
            # free buffer, so the rest wait too (retrying them would only burn a core the
            # network needs).
            var still_blocked = List[Int]()
            var buffers_available = True
            for game in blocked:
                if buffers_available and self._send_unsent(game):
                    progress += 1
                else:
                    buffers_available = False
                    still_blocked.append(game)
            blocked = still_blocked^
            while len(ready) > 0:
                var game = ready.pop()
                self._advance(game, blocked, parked, priors)
                progress += 1
            if self.counter(W_DRAIN) != 0 and len(blocked) == 0 and self._worker_has_nothing_in_flight(worker):
                break
            if progress == 0:
                # Back off while idle (20 us doubling to 1 ms): an idle worker that wakes
                # often preempts the network's own threads on a busy CPU.
                var idle_started = Int(perf_counter_ns())
                sleep_microseconds(idle_sleep)
                idle_sleep = min(idle_sleep * 2, 1000)
                _ = atomic_add(self._global(W_WORKER_IDLE_NS), Int(perf_counter_ns()) - idle_started)
            else:
                idle_sleep = 20
        _ = atomic_add(self._global(W_RUNNING_WORKERS), -1)

    def _worker_has_nothing_in_flight(self, worker: Int) -> Bool:
        for game in range(worker, self.config.games, self.config.workers):
            if self.slots[game].outstanding > 0:
                return False
        return True

    # ------------------------------------------------------------------ lifecycle
    def start(mut self) raises:
        if len(self.thread_ids) > 0:
            raise Error("the pipeline is already running")
        if self.needs_fresh_games:
            self._fresh_games()
            self._reset_buffers()
        atomic_store(self._global(W_STOP), 0)
        atomic_store(self._global(W_DRAIN), 0)
        atomic_store(self._global(W_RUNNING_WORKERS), self.config.workers)
        self.worker_arguments.clear()
        for worker in range(self.config.workers):
            self.worker_arguments.append(Int(Pointer(to=self)))
            self.worker_arguments.append(worker)
        var arguments_address = Int(self.worker_arguments.unsafe_ptr())
        for worker in range(self.config.workers):
            self.thread_ids.append(spawn_thread(_worker_entry[Self.G], arguments_address + 16 * worker))

    def request_drain(mut self):
        atomic_store(self._global(W_DRAIN), 1)

    def request_abort(mut self):
        atomic_store(self._global(W_STOP), 1)
        self.needs_fresh_games = True

    def join(mut self):
        """Waits for the workers (call after `request_drain` or `request_abort`)."""
        for thread_id in self.thread_ids:
            join_thread(thread_id)
        self.thread_ids.clear()
        if self.counter(W_STOP) != 0:
            self.needs_fresh_games = True

    def is_running(self) -> Bool:
        return len(self.thread_ids) > 0

    def _reset_buffers(mut self):
        for network in range(self.config.networks):
            atomic_store(self._filling(network), NO_BUFFER)
            for buffer in range(self.config.buffers_per_network):
                for field in range(BUFFER_WORDS):
                    atomic_store(self._buffer_word(network, buffer, field), 0)
        for worker in range(self.config.workers):
            atomic_store(self._inbox_word(worker, 0), 0)
            atomic_store(self._inbox_word(worker, 1), 0)
        atomic_store(self._global(W_OUTSTANDING), 0)
        atomic_store(self._global(W_UNSENT), 0)


def search_seed(run_seed: Int, game_id: Int, ply: Int) -> UInt64:
    """The Gumbel-noise seed of one search of a game (63 bits, so Python ints carry it)."""
    var mixed = UInt64(run_seed) * 0x9E3779B97F4A7C15 ^ UInt64(game_id) * 0xBF58476D1CE4E5B9 ^ UInt64(ply) * 0x94D049BB133111EB
    return mixed & 0x7FFFFFFFFFFFFFFF


def play_random_opening[G: Game](mut state: G, mut record: FinishedGame, seed: UInt64, max_plies: Int):
    """Plays a random opening on `state` and records it in `record`: k uniform legal
    moves, k uniform in 0..max_plies, all drawn from one generator seeded with `seed`
    (so a game's opening depends on its id, not on threads or timing). A move that would
    finish the game ends the opening before it is played: the search plays on from there.
    Opening plies get root value 0 and no policy entries; `record.opening_plies` counts them."""
    var rng = SplitMix64(seed)
    var plies = rng.next_below(max_plies + 1)
    var legal = List[Int]()
    for _ in range(plies):
        legal.clear()
        state.legal_actions(legal)
        var action = legal[rng.next_below(len(legal))]
        var next_state = state.copy()
        next_state.apply(action)
        if next_state.is_terminal():
            break
        record.movers.append(Int8(state.to_move()))
        state = next_state^
        record.actions.append(Int32(action))
        record.root_values.append(0.0)
        record.policy_counts.append(0)
        record.opening_plies += 1


def opening_seed(run_seed: Int, game_id: Int) -> UInt64:
    """The seed of one self-play game's random opening (distinct from its search seeds,
    which mix in the ply with another constant)."""
    return UInt64(run_seed) * 0xD6E8FEB86659FD93 ^ UInt64(game_id) * 0xA0761D6478BD642F ^ 0x5851F42D4C957F2D


def _worker_entry[G: Game](argument: Int) abi("C") -> Int:
    var words = Pointer[Int, MutAnyOrigin](unsafe_from_address=argument)
    var pipeline = Pointer[SelfPlayPipeline[G], MutAnyOrigin](unsafe_from_address=words[])
    var worker = words[unsafe_offset=1]
    pipeline[].run_worker(worker)
    return 0
