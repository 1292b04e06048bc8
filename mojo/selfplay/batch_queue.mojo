"""The batch queue between the workers and the network threads: batch buffers that workers
fill slot by slot and a network thread evaluates whole, and one inbox per worker through
which the results come back as slot indices.

Buffers per network cycle FREE -> FILLING -> EVALUATING -> RESULTS -> FREE; with two or
more, one is evaluated while the next fills. Every shared counter is an atomic 64-bit
word in one never-resized array (`words`), so threads share it by address.

    words: GLOBAL_WORDS global words (flags and counters, below)
           | the filling buffer per network
           | BUFFER_WORDS per network and buffer
           | (game, request) per batch slot
           | per worker inbox: head, tail, `inbox_capacity` slot indices
"""

from std.time import perf_counter_ns

from mojo.selfplay.atomics import (
    atomic_load,
    atomic_store,
    atomic_add,
    atomic_compare_exchange,
    sleep_microseconds,
    yield_thread,
)

comptime BUFFER_FREE = 0
comptime BUFFER_FILLING = 1
comptime BUFFER_EVALUATING = 2
comptime BUFFER_RESULTS = 3
comptime BUFFER_RESETTING = 4  # taken by a worker, counters being reset: invisible to the network
comptime BUFFER_SEALING = 5  # taken by one network thread (of several per network): the others pass it by

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
comptime W_IDLE_PRIORITY_WORKERS = 18  # running workers under the idle scheduling policy (selfplay.worker_priority)
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
struct BufferAddresses(Copyable, Movable):
    """Addresses of the Python-owned tensors (float32, contiguous)."""

    var inputs: Int  # [networks, buffers, batch, C * H * W]
    var logits: Int  # [networks, buffers, batch, num_actions]
    var values: Int  # [networks, buffers, batch]


struct BatchQueue(Movable):
    """The shared words and the protocol on them. Every method works through atomics on
    `words`, so the workers and the network threads call it at the same time."""

    var networks: Int
    var buffers_per_network: Int
    var batch_size: Int
    var workers: Int
    var timeout_microseconds: Int
    var words: List[Int64]
    var words_address: Int
    var filling_offset: Int  # per network
    var buffer_offset: Int  # per network and buffer
    var slot_offset: Int  # per batch slot: game, request
    var inbox_offset: Int  # per worker: head, tail, capacity entries
    var inbox_capacity: Int

    def __init__(
        out self, networks: Int, buffers_per_network: Int, batch_size: Int, workers: Int, timeout_microseconds: Int
    ):
        self.networks = networks
        self.buffers_per_network = buffers_per_network
        self.batch_size = batch_size
        self.workers = workers
        self.timeout_microseconds = timeout_microseconds
        var total_buffers = networks * buffers_per_network
        var total_slots = total_buffers * batch_size
        self.inbox_capacity = total_slots + 1
        self.filling_offset = GLOBAL_WORDS
        self.buffer_offset = self.filling_offset + networks
        self.slot_offset = self.buffer_offset + total_buffers * BUFFER_WORDS
        self.inbox_offset = self.slot_offset + 2 * total_slots
        var word_count = self.inbox_offset + workers * (2 + self.inbox_capacity)
        self.words = List[Int64](length=word_count, fill=0)
        self.words_address = Int(self.words.unsafe_ptr())
        for network in range(networks):
            atomic_store(self.filling(network), NO_BUFFER)

    # ------------------------------------------------------------------ word addresses
    @always_inline
    def global_word(self, index: Int) -> Int:
        return self.words_address + index * 8

    @always_inline
    def filling(self, network: Int) -> Int:
        return self.words_address + (self.filling_offset + network) * 8

    @always_inline
    def buffer_word(self, network: Int, buffer: Int, field: Int) -> Int:
        var index = network * self.buffers_per_network + buffer
        return self.words_address + (self.buffer_offset + index * BUFFER_WORDS + field) * 8

    @always_inline
    def slot_index(self, network: Int, buffer: Int, slot: Int) -> Int:
        return (network * self.buffers_per_network + buffer) * self.batch_size + slot

    @always_inline
    def slot_word(self, slot_index: Int, field: Int) -> Int:
        return self.words_address + (self.slot_offset + 2 * slot_index + field) * 8

    @always_inline
    def inbox_word(self, worker: Int, index: Int) -> Int:
        return self.words_address + (self.inbox_offset + worker * (2 + self.inbox_capacity) + index) * 8

    def counter(self, index: Int) -> Int:
        return atomic_load(self.global_word(index))

    # ------------------------------------------------------------------ buffers (workers)
    def try_claim(self, network: Int) -> Int:
        """A slot index in the network's filling buffer, or -1 if none is free right now."""
        var filling = self.filling(network)
        for _ in range(64):
            var buffer = atomic_load(filling)
            if buffer == ACQUIRING_BUFFER:
                yield_thread()
                continue
            if buffer == NO_BUFFER:
                if not atomic_compare_exchange(filling, NO_BUFFER, ACQUIRING_BUFFER):
                    continue
                buffer = -1
                for candidate in range(self.buffers_per_network):
                    var state_word = self.buffer_word(network, candidate, B_STATE)
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
                atomic_store(self.buffer_word(network, buffer, B_WRITTEN), 0)
                atomic_store(self.buffer_word(network, buffer, B_CONSUMED), 0)
                atomic_store(self.buffer_word(network, buffer, B_ITEMS), 0)
                atomic_store(self.buffer_word(network, buffer, B_FILL_START_NS), Int(perf_counter_ns()))
                atomic_store(self.buffer_word(network, buffer, B_CLAIMED), 0)
                atomic_store(self.buffer_word(network, buffer, B_STATE), BUFFER_FILLING)
                atomic_store(filling, buffer)
            var slot = atomic_add(self.buffer_word(network, buffer, B_CLAIMED), 1)
            if slot < self.batch_size:
                return self.slot_index(network, buffer, slot)
            # Full or sealed: detach it so that the next claimer takes a fresh buffer.
            _ = atomic_compare_exchange(filling, buffer, NO_BUFFER)
        return -1

    def mark_written(self, network: Int, slot_index: Int, game: Int, request: Int):
        """The claimed slot's input is encoded: notes (game, request) for the slot and counts
        it written (one more outstanding request, one fewer unsent)."""
        atomic_store(self.slot_word(slot_index, 0), game)
        atomic_store(self.slot_word(slot_index, 1), request)
        _ = atomic_add(self.global_word(W_OUTSTANDING), 1)
        _ = atomic_add(self.global_word(W_UNSENT), -1)
        var buffer_index = slot_index // self.batch_size
        var buffer = buffer_index % self.buffers_per_network
        _ = atomic_add(self.buffer_word(network, buffer, B_WRITTEN), 1)

    # ------------------------------------------------------------------ inboxes (workers)
    def inbox_head(self, worker: Int) -> Int:
        return atomic_load(self.inbox_word(worker, 0))

    def inbox_tail(self, worker: Int) -> Int:
        return atomic_load(self.inbox_word(worker, 1))

    def inbox_entry(self, worker: Int, position: Int) -> Int:
        """The slot index at `position` (head <= position < tail) of the worker's inbox."""
        return atomic_load(self.inbox_word(worker, 2 + position % self.inbox_capacity))

    def set_inbox_head(self, worker: Int, head: Int):
        atomic_store(self.inbox_word(worker, 0), head)

    def slot_game(self, slot_index: Int) -> Int:
        return atomic_load(self.slot_word(slot_index, 0))

    def slot_request(self, slot_index: Int) -> Int:
        return atomic_load(self.slot_word(slot_index, 1))

    def slot_version(self, slot_index: Int) -> UInt64:
        """The weights version the slot's batch was evaluated with (`batch_done`)."""
        var buffer_index = slot_index // self.batch_size
        var network = buffer_index // self.buffers_per_network
        var buffer = buffer_index % self.buffers_per_network
        return UInt64(atomic_load(self.buffer_word(network, buffer, B_VERSION)))

    def consume(self, slot_index: Int):
        """The slot's result has been read: the last reader of a buffer frees it."""
        var buffer_index = slot_index // self.batch_size
        var network = buffer_index // self.buffers_per_network
        var buffer = buffer_index % self.buffers_per_network
        var items = self.batch_count(network, buffer)
        if atomic_add(self.buffer_word(network, buffer, B_CONSUMED), 1) + 1 == items:
            atomic_store(self.buffer_word(network, buffer, B_STATE), BUFFER_FREE)
        _ = atomic_add(self.global_word(W_OUTSTANDING), -1)

    # ------------------------------------------------------------------ buffers (network)
    def wait_for_batch(self, network: Int, wait_microseconds: Int) -> Int:
        """Blocks until a buffer of `network` is ready and returns its index (its count is
        `batch_count`), or WAIT_STOPPED when the run has ended, or WAIT_TIMED_OUT."""
        var started = Int(perf_counter_ns())
        var timeout_ns = self.timeout_microseconds * 1000
        while True:
            if self.counter(W_STOP) != 0:
                return WAIT_STOPPED
            var draining = self.counter(W_DRAIN) != 0
            var now = Int(perf_counter_ns())
            var chosen = -1
            var chosen_start = 0
            for buffer in range(self.buffers_per_network):
                if atomic_load(self.buffer_word(network, buffer, B_STATE)) != BUFFER_FILLING:
                    continue
                var claimed = atomic_load(self.buffer_word(network, buffer, B_CLAIMED))
                if claimed == 0:
                    continue
                var fill_start = atomic_load(self.buffer_word(network, buffer, B_FILL_START_NS))
                var ready = claimed >= self.batch_size or draining or now - fill_start >= timeout_ns
                if ready and (chosen < 0 or fill_start < chosen_start):
                    chosen = buffer
                    chosen_start = fill_start
            # With several network threads per network (selfplay.network_threads) two may
            # choose the same buffer: the one whose exchange succeeds seals it, the other
            # looks again.
            if chosen >= 0 and atomic_compare_exchange(
                self.buffer_word(network, chosen, B_STATE), BUFFER_FILLING, BUFFER_SEALING
            ):
                var before = atomic_add(self.buffer_word(network, chosen, B_CLAIMED), SEALED)
                var items = min(before, self.batch_size)
                _ = atomic_compare_exchange(self.filling(network), chosen, NO_BUFFER)
                while atomic_load(self.buffer_word(network, chosen, B_WRITTEN)) < items:
                    yield_thread()
                atomic_store(self.buffer_word(network, chosen, B_ITEMS), items)
                atomic_store(self.buffer_word(network, chosen, B_STATE), BUFFER_EVALUATING)
                _ = atomic_add(self.global_word(W_NETWORK_WAIT_NS), Int(perf_counter_ns()) - started)
                return chosen
            if chosen >= 0:
                continue  # lost the buffer to another network thread: there may be another
            if draining and self.counter(W_RUNNING_WORKERS) == 0:
                return WAIT_STOPPED
            if now - started >= wait_microseconds * 1000:
                _ = atomic_add(self.global_word(W_NETWORK_WAIT_NS), now - started)
                return WAIT_TIMED_OUT
            sleep_microseconds(20)

    def batch_count(self, network: Int, buffer: Int) -> Int:
        return atomic_load(self.buffer_word(network, buffer, B_ITEMS))

    def batch_done(self, network: Int, buffer: Int, version: Int):
        """The network has written this buffer's outputs, computed with weights of
        `version` (`weights_version()` read before the model ran): route each slot to
        its worker."""
        atomic_store(self.buffer_word(network, buffer, B_VERSION), version)
        var items = self.batch_count(network, buffer)
        _ = atomic_add(self.global_word(W_BATCHES), 1)
        _ = atomic_add(self.global_word(W_EVALUATIONS), items)
        atomic_store(self.buffer_word(network, buffer, B_STATE), BUFFER_RESULTS)
        for slot in range(items):
            var slot_index = self.slot_index(network, buffer, slot)
            var game = atomic_load(self.slot_word(slot_index, 0))
            var worker = game % self.workers
            var tail = atomic_load(self.inbox_word(worker, 1))
            atomic_store(self.inbox_word(worker, 2 + tail % self.inbox_capacity), slot_index)
            atomic_store(self.inbox_word(worker, 1), tail + 1)

    # ------------------------------------------------------------------ lifecycle
    def reset(self):
        """Every buffer free, every inbox empty, nothing outstanding or unsent (only while
        no worker runs)."""
        for network in range(self.networks):
            atomic_store(self.filling(network), NO_BUFFER)
            for buffer in range(self.buffers_per_network):
                for field in range(BUFFER_WORDS):
                    atomic_store(self.buffer_word(network, buffer, field), 0)
        for worker in range(self.workers):
            atomic_store(self.inbox_word(worker, 0), 0)
            atomic_store(self.inbox_word(worker, 1), 0)
        atomic_store(self.global_word(W_OUTSTANDING), 0)
        atomic_store(self.global_word(W_UNSENT), 0)
