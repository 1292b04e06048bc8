"""A bounded, thread-safe cache of network evaluations keyed by 64-bit Zobrist hashes.

This is the search's NN cache (lc0's NNCache, KataGo's NNCacheTable): before a position is
sent to the network the search looks up `state.hash()`; on a hit it takes the stored value
and priors and skips the evaluation, on a miss it inserts what the network returned.

What is stored
--------------
Per entry: the full 64-bit key, the value (Float32, bit exact, for the side to move), and
the policy over the position's legal actions in the order `legal_actions` lists them (the
search's child order), with its length; per set, the weights version its entries were
computed with (see "Weights versions" below). The policy holds PROBABILITIES (priors after the
softmax over the legal actions), not logits: the search keeps priors, a hit writes them
straight into the children, and probabilities need no reference point.

Each probability is stored as an IEEE Float16 (round to nearest even). Float16 rather than
a UInt16 fixed-point code because its error is relative: Gumbel search and the policy
targets use log(prior) and prior * exp(sigma(q)), so small priors must keep their digits,
and 16-bit fixed point would turn every prior below 7.6e-6 into 0 (log = -inf). Round-trip error
for a probability p in [0, 1]:
  - p >= 6.1e-5 (Float16 normal): |error| <= 2**-11 * p (relative 4.9e-4), so at most
    2.4e-4 absolute (p in [0.5, 1]);
  - p < 6.1e-5 (subnormal): |error| <= 2**-25 = 3.0e-8 absolute; p < 3.0e-8 reads back 0.
The priors read back therefore agree with the stored ones to 2.5e-4 and sum to 1 within
about 5e-4; they are returned as stored, not renormalized. Multiples of 1/1024 are exact.

Layout and replacement
----------------------
One allocation at construction, never grown: `num_sets` sets of CACHE_WAYS = 4 entries
(capacity rounded up to a multiple of 4). A key's set is the high part of
splitmix64(key) * num_sets (the key is mixed again, so even small or structured keys
spread). Every set is one contiguous run of 64-bit words, padded to whole cache lines:

    [sequence, cursor, version, key x4, meta x4, policy of way 0, ..., policy of way 3]

meta = bit 63 occupied | bits 32..47 policy length | bits 0..31 value (Float32 bits); the
occupied bit (not key 0) marks a used entry, so key 0 is a valid key. A policy takes
ceil(max_policy_length / 4) words of four Float16 each. Memory per entry, set header and
padding included, is 8 * round_up(11 + 4 * ceil(L / 4), 8) / 4 bytes for
L = max_policy_length, about 2 L + 20: 48 bytes for L <= 12 (TicTacToe, Connect4), 160
for L = 64, 752 for L = 362, 4128 for L = 2048 (`bytes_per_entry()`, `memory_bytes()`).
(10 + 4k is never a multiple of 8, so 11 + 4k rounds up to the same multiple: the set's
version word costs no memory at any L.)

Insert: if the key is in its set, the entry is overwritten in place (an update); else the
first free way is used; else the way under the set's round-robin cursor is evicted (a
replacement) and the cursor advances. Ways fill in order and there is no deletion, so
this is exact FIFO (first-in first-out) eviction per set; lookups never reorder it, which
keeps lookups free of writes to shared memory. A policy longer than max_policy_length is
not stored (counted as `rejected`). `clear()` empties every set.

Weights versions
----------------
An entry is only valid for the weights that computed it, and a pipeline has evaluations of
the old weights in flight when new ones are published: results that come back after the
swap must not be served. So the cache holds a current weights `version()` (an atomic
64-bit word, 0 at construction) and every set records the version its entries were
computed with:
  - `advance_version()` (new weights published) makes every entry stored so far a miss,
    in O(1): nothing is erased then; a set is emptied by the first insert of the new
    version that reaches it (its ways become free, its cursor restarts).
  - `insert(..., version)` takes the version of the weights the evaluation actually ran
    with (not the one current when the result arrives: that is the race). If it is not
    the current version the insert stores nothing and counts as `stale`. An insert of a
    version other than the set's empties the set first (in the same locked write), so a
    set only ever holds entries of the version it records; the staleness is checked
    again under the lock, so that version never goes back (a late insert cannot wipe
    newer entries) and is never newer than the current one.
  - `lookup` reads the current version once, first, and hits only a set whose version
    equals it. A lookup that starts after `advance_version` returned can therefore never
    return an entry of older weights, whenever that entry was inserted (a lookup racing
    with the advance may still return one of the version it read at its start).
A caller that does not know exactly which weights ran may pass an older version than the
true one (the entry is dropped or expires early), never a newer one.

Concurrency: a seqlock per set
------------------------------
Each set's first word is a sequence number: even = stable, odd = a writer is inside.
  - Writers (`insert`, `clear`) take the set by compare-and-swap of the sequence from
    even s to s + 1 (acquire; spinning, with sched_yield after a while), issue a release
    fence, write, and publish s + 2 with a release store. Writers of one set exclude
    each other; writers of different sets never touch the same line.
  - Readers (`lookup`) never write the set: they load the sequence (acquire), read the
    keys, meta and policy words, issue an acquire fence and load the sequence again. The
    copy counts as a hit only if both loads saw the same even number, i.e. no writer
    touched the set in between; otherwise they retry (up to 64 times, then report a
    miss, so a lookup never blocks on a preempted writer). A hit therefore always
    returns the key, value, length and policy of one single insert: no torn reads.
  - Every shared word is accessed with atomic loads and stores (relaxed inside the
    sequence brackets), so the protocol is data-race free in the C++/LLVM memory model
    (Boehm, "Can seqlocks get along with programming language memory models?", 2012).

Thread-safety contract: after construction, `lookup`, `insert`, `clear`, `version`,
`advance_version`, `stats`, `reset_counters`, `count_entries` and `set_index` may be
called concurrently from any
number of threads on one shared instance, e.g. through a
`Pointer[EvaluationCache, MutAnyOrigin]`; they all take `self` read-only and mutate the
cache's buffers through atomics. Constructing, moving and destroying the cache need
exclusive access (no thread may still use it). On a miss the contents of `policy_out`
are unspecified (a failed attempt may have written into it); on a hit exactly
`expected_length` floats are written. A `clear` concurrent with an insert may or may
not remove that insert. A full 64-bit key equality is trusted: two different positions
with the same Zobrist hash (probability about n**2 / 2**65) would share an entry.

Counters (hits, misses, inserts, updates, replacements, rejected, stale) are atomic 64-bit
counts kept in 64 stripes of one cache line each, the stripe chosen by the calling
thread's id, so threads do not contend on one counter line. The current version has a
line of its own after them (read by every call, written only by `advance_version`). `stats()` sums the stripes
with atomic loads: exact once the threads are quiet, and while they run a sum of values
each read atomically (not a single snapshot of all counters). `lookups` = hits + misses.
"""

from std.atomic import Atomic, Ordering, fence
from std.ffi import external_call, c_int
from std.memory import bitcast

from mojo.zobrist import splitmix64_finalize

comptime CACHE_WAYS = 4
"""Entries per set (set associativity)."""
comptime MAX_STORABLE_POLICY_LENGTH = 0xFFFF
"""The largest `max_policy_length` (the length field of an entry has 16 bits)."""

comptime _WORD_BYTES = 8
comptime _LINE_WORDS = 8  # 64-byte cache lines
comptime _SEQUENCE = 0
comptime _CURSOR = 1
comptime _VERSION = 2  # the weights version of the set's entries
comptime _KEYS = 3
comptime _METAS = _KEYS + CACHE_WAYS
comptime _HEADER_WORDS = _METAS + CACHE_WAYS
comptime _HALVES_PER_WORD = 4
comptime _OCCUPIED: UInt64 = 1 << 63
comptime _READ_ATTEMPTS = 64
comptime _SPINS_BEFORE_YIELD = 64

comptime _COUNTER_STRIPES = 64
comptime _HITS = 0
comptime _MISSES = 1
comptime _INSERTS = 2
comptime _UPDATES = 3
comptime _REPLACEMENTS = 4
comptime _REJECTED = 5
comptime _STALE = 6


@always_inline
def _word_pointer(address: Int) -> Pointer[UInt64, MutAnyOrigin]:
    return Pointer[UInt64, MutAnyOrigin](unsafe_from_address=address)


@always_inline
def _load_relaxed(pointer: Pointer[UInt64, MutAnyOrigin]) -> UInt64:
    return Atomic[UInt64].load[ordering=Ordering.RELAXED](pointer)


@always_inline
def _store_relaxed(pointer: Pointer[UInt64, MutAnyOrigin], value: UInt64):
    Atomic[UInt64].store[ordering=Ordering.RELAXED](pointer, value)


@always_inline
def _aligned_base(address: Int) -> Int:
    """The first cache-line boundary at or after `address`."""
    var line = _LINE_WORDS * _WORD_BYTES
    return (address + line - 1) // line * line


@always_inline
def _thread_stripe() -> Int:
    """A counter stripe for the calling thread: mixed bits of its pthread id."""
    var thread = external_call["pthread_self", UInt64]()
    return Int(splitmix64_finalize(thread) >> 58)  # 64 stripes


@fieldwise_init
struct CacheLookup(Copyable, Movable, Writable):
    """The answer of `EvaluationCache.lookup`: `found`, and the stored value when found."""

    var found: Bool
    var value: Float32


@fieldwise_init
struct CacheStats(Copyable, Movable, Writable):
    """Counter totals of an `EvaluationCache` (see `EvaluationCache.stats`)."""

    var lookups: Int
    """Calls to `lookup` (= hits + misses)."""
    var hits: Int
    var misses: Int
    """Lookups that found no entry of that key with the expected length (or gave up)."""
    var inserts: Int
    """Calls to `insert` that stored their entry (free way, update or replacement)."""
    var updates: Int
    """Inserts that overwrote an entry of the same key."""
    var replacements: Int
    """Inserts that evicted an entry of a different key."""
    var rejected: Int
    """Inserts not stored because the policy was longer than `max_policy_length`."""
    var stale: Int
    """Inserts not stored because they carried a weights version that was not current."""

    def hit_rate(self) -> Float64:
        """Hits / lookups, 0 before any lookup."""
        if self.lookups == 0:
            return 0.0
        return Float64(self.hits) / Float64(self.lookups)


struct EvaluationCache(Movable):
    """A fixed-size, set-associative, seqlocked cache of (value, priors) by Zobrist key.

    See the module docstring for the storage format, replacement policy and the
    thread-safety contract. Typical use inside a search worker:

        var version = cache[].version()  # before the network is called
        var hit = cache[].lookup(state.hash(), priors_out, num_legal)
        if not hit.found:
            ... evaluate, softmax over the legal actions ...
            _ = cache[].insert(state.hash(), priors, num_legal, value, version)
    """

    var _sets_allocation: Int  # calloc's address (freed by __del__); see __init__ for why calloc
    var _sets_allocated_words: Int
    var _counters_buffer: List[UInt64]
    var _sets: Int  # address of set 0 (cache-line aligned)
    var _counters: Int  # address of counter stripe 0 (cache-line aligned)
    var _num_sets: Int
    var _set_words: Int
    var _max_policy_length: Int

    def __init__(out self, capacity_entries: Int, max_policy_length: Int) raises:
        """Allocates room for `capacity_entries` entries (rounded up to a multiple of
        CACHE_WAYS) of policies up to `max_policy_length` actions.

        The sets come from calloc, not a zero-filled List: for a large cache the C library
        maps fresh zero pages that the OS backs only when first written, so a cache costs
        resident memory (and time) for the sets a search actually fills. A TEI engine's
        first 300 ms move allocated 136 MB of cache and spent ~0.1-0.2 s zero-filling it."""
        if capacity_entries < 1:
            raise Error("EvaluationCache: capacity_entries must be at least 1")
        if max_policy_length < 0 or max_policy_length > MAX_STORABLE_POLICY_LENGTH:
            raise Error("EvaluationCache: max_policy_length must be in [0, 65535]")
        self._max_policy_length = max_policy_length
        self._num_sets = (capacity_entries + CACHE_WAYS - 1) // CACHE_WAYS
        var policy_words = (max_policy_length + _HALVES_PER_WORD - 1) // _HALVES_PER_WORD
        var words = _HEADER_WORDS + CACHE_WAYS * policy_words
        self._set_words = (words + _LINE_WORDS - 1) // _LINE_WORDS * _LINE_WORDS
        self._sets_allocated_words = self._num_sets * self._set_words + _LINE_WORDS
        self._sets_allocation = external_call["calloc", Int](self._sets_allocated_words, _WORD_BYTES)
        if self._sets_allocation == 0:
            raise Error(String("EvaluationCache: cannot allocate ", self._sets_allocated_words * _WORD_BYTES, " bytes"))
        # The counter stripes, then a line holding the current weights version.
        self._counters_buffer = List[UInt64](length=(_COUNTER_STRIPES + 1) * _LINE_WORDS + _LINE_WORDS, fill=0)
        self._sets = _aligned_base(self._sets_allocation)
        self._counters = _aligned_base(Int(self._counters_buffer.unsafe_ptr()))

    def __init__(out self, *, deinit take: Self):
        self._sets_allocation = take._sets_allocation
        self._sets_allocated_words = take._sets_allocated_words
        self._counters_buffer = take._counters_buffer^
        self._sets = take._sets
        self._counters = take._counters
        self._num_sets = take._num_sets
        self._set_words = take._set_words
        self._max_policy_length = take._max_policy_length

    def __del__(deinit self):
        external_call["free", NoneType](self._sets_allocation)

    # ------------------------------------------------------------------ geometry
    def capacity(self) -> Int:
        """The number of entries the cache can hold."""
        return self._num_sets * CACHE_WAYS

    def num_sets(self) -> Int:
        return self._num_sets

    def max_policy_length(self) -> Int:
        return self._max_policy_length

    def memory_bytes(self) -> Int:
        """Bytes allocated for entries and counters (fixed for the cache's lifetime)."""
        return (self._sets_allocated_words + len(self._counters_buffer)) * _WORD_BYTES

    def bytes_per_entry(self) -> Int:
        """Entry storage per entry, set header and padding included."""
        return self._set_words * _WORD_BYTES // CACHE_WAYS

    @always_inline
    def set_index(self, key: UInt64) -> Int:
        """The set that holds `key`: high word of splitmix64(key) * num_sets."""
        var mixed = UInt128(splitmix64_finalize(key))
        return Int((mixed * UInt128(self._num_sets)) >> 64)

    @always_inline
    def _set_pointer(self, set: Int) -> Pointer[UInt64, MutAnyOrigin]:
        return _word_pointer(self._sets + set * self._set_words * _WORD_BYTES)

    @always_inline
    def _version_pointer(self) -> Pointer[UInt64, MutAnyOrigin]:
        return _word_pointer(self._counters + _COUNTER_STRIPES * _LINE_WORDS * _WORD_BYTES)

    @always_inline
    def _count(self, stripe: Int, counter: Int, amount: UInt64 = 1):
        var pointer = _word_pointer(self._counters + (stripe * _LINE_WORDS + counter) * _WORD_BYTES)
        _ = Atomic[UInt64].fetch_add[ordering=Ordering.RELAXED](pointer, amount)

    # ------------------------------------------------------------------ seqlock
    @always_inline
    def _lock_set(self, set_pointer: Pointer[UInt64, MutAnyOrigin]) -> UInt64:
        """Takes the set for writing; returns the (odd) sequence number now held."""
        var spins = 0
        while True:
            var sequence = _load_relaxed(set_pointer)
            if sequence & 1 == 0:
                var expected = sequence
                if Atomic[UInt64].compare_exchange[
                    success_ordering=Ordering.ACQUIRE, failure_ordering=Ordering.RELAXED
                ](set_pointer, expected, sequence + 1):
                    # Orders the odd sequence before every data store that follows, so a
                    # reader that sees any new data also sees the sequence change.
                    fence[Ordering.RELEASE]()
                    return sequence + 1
            spins += 1
            if spins >= _SPINS_BEFORE_YIELD:
                spins = 0
                _ = external_call["sched_yield", c_int]()

    @always_inline
    def _unlock_set(self, set_pointer: Pointer[UInt64, MutAnyOrigin], held: UInt64):
        Atomic[UInt64].store[ordering=Ordering.RELEASE](set_pointer, held + 1)

    # ------------------------------------------------------------------ weights versions
    @always_inline
    def version(self) -> UInt64:
        """The current weights version: lookups hit only entries inserted with it."""
        return Atomic[UInt64].load[ordering=Ordering.ACQUIRE](self._version_pointer())

    def advance_version(self) -> UInt64:
        """New weights: every entry stored so far becomes a miss, and inserts that carry
        an older version are dropped from now on. Returns the new version. O(1): the sets
        are emptied lazily, by the next insert into each."""
        return Atomic[UInt64].fetch_add[ordering=Ordering.SEQUENTIAL](self._version_pointer(), 1) + 1

    # ------------------------------------------------------------------ operations
    def lookup(self, key: UInt64, policy_out: Pointer[Float32, MutAnyOrigin], expected_length: Int) -> CacheLookup:
        """Finds `key`; on a hit writes its `expected_length` priors to `policy_out` and
        returns (True, value). Counts as a hit only if the entry was computed with the
        current weights version and its policy length equals `expected_length` (a
        different length means a different position); on a miss returns (False, 0) and
        `policy_out` is unspecified."""
        var stripe = _thread_stripe()
        var current = self.version()
        if expected_length < 0 or expected_length > self._max_policy_length:
            self._count(stripe, _MISSES)
            return CacheLookup(False, 0)
        var set_pointer = self._set_pointer(self.set_index(key))
        var words = (expected_length + _HALVES_PER_WORD - 1) // _HALVES_PER_WORD
        var full_words = expected_length // _HALVES_PER_WORD
        for _ in range(_READ_ATTEMPTS):
            var before = Atomic[UInt64].load[ordering=Ordering.ACQUIRE](set_pointer)
            if before & 1 != 0:
                continue  # a writer is inside: try again
            # Entries of older weights (a set not yet emptied since the last advance):
            # a miss whether or not a writer raced us.
            if _load_relaxed(set_pointer.unsafe_offset(_VERSION)) != current:
                break
            var way = -1
            var meta: UInt64 = 0
            for candidate in range(CACHE_WAYS):
                if _load_relaxed(set_pointer.unsafe_offset(_KEYS + candidate)) == key:
                    meta = _load_relaxed(set_pointer.unsafe_offset(_METAS + candidate))
                    if meta & _OCCUPIED != 0:
                        way = candidate
                        break
            # Not there, or another length: a miss whether or not a writer raced us.
            if way < 0 or Int((meta >> 32) & 0xFFFF) != expected_length:
                break
            var policy = set_pointer.unsafe_offset(_HEADER_WORDS + way * self._policy_words())
            for word in range(full_words):
                var halves = bitcast[DType.float16, 4](_load_relaxed(policy.unsafe_offset(word)))
                var floats = halves.cast[DType.float32]()
                comptime for lane in range(_HALVES_PER_WORD):
                    policy_out[unsafe_offset=word * _HALVES_PER_WORD + lane] = floats[lane]
            if words > full_words:
                var halves = bitcast[DType.float16, 4](_load_relaxed(policy.unsafe_offset(full_words)))
                var floats = halves.cast[DType.float32]()
                for lane in range(expected_length - full_words * _HALVES_PER_WORD):
                    policy_out[unsafe_offset=full_words * _HALVES_PER_WORD + lane] = floats[lane]
            # Orders the data loads above before the sequence re-check below.
            fence[Ordering.ACQUIRE]()
            if _load_relaxed(set_pointer) == before:
                self._count(stripe, _HITS)
                return CacheLookup(True, bitcast[DType.float32](UInt32(meta & 0xFFFFFFFF)))
        self._count(stripe, _MISSES)
        return CacheLookup(False, 0)

    def insert(
        self, key: UInt64, policy: Pointer[Float32, MutAnyOrigin], length: Int, value: Float32, version: UInt64
    ) -> Bool:
        """Stores `value` and the `length` priors at `policy` under `key` (replacing an
        entry of the same key, else filling a free way, else evicting the set's oldest
        entry), computed with the weights of `version` (read from `version()` before the
        network ran). Returns False, storing nothing, if `length` is negative or longer
        than `max_policy_length` (`rejected`), or if `version` is not the current one
        (`stale`: new weights were published while this was evaluated)."""
        var stripe = _thread_stripe()
        if length < 0 or length > self._max_policy_length:
            self._count(stripe, _REJECTED)
            return False
        if version != self.version():
            self._count(stripe, _STALE)
            return False
        var meta = _OCCUPIED | (UInt64(length) << 32) | UInt64(bitcast[DType.uint32](value))
        var set_pointer = self._set_pointer(self.set_index(key))
        var held = self._lock_set(set_pointer)
        # Again under the lock: an advance since the check above must not let this
        # entry in, nor let it reset a set that already holds newer entries.
        if version != self.version():
            self._unlock_set(set_pointer, held)
            self._count(stripe, _STALE)
            return False
        if _load_relaxed(set_pointer.unsafe_offset(_VERSION)) != version:
            # The set holds entries of older weights: empty it, now for this version.
            _store_relaxed(set_pointer.unsafe_offset(_CURSOR), 0)
            for old in range(CACHE_WAYS):
                _store_relaxed(set_pointer.unsafe_offset(_METAS + old), 0)
                _store_relaxed(set_pointer.unsafe_offset(_KEYS + old), 0)
            _store_relaxed(set_pointer.unsafe_offset(_VERSION), version)
        var way = -1
        var free = -1
        for candidate in range(CACHE_WAYS):
            var occupied = _load_relaxed(set_pointer.unsafe_offset(_METAS + candidate)) & _OCCUPIED != 0
            if not occupied:
                if free < 0:
                    free = candidate
            elif _load_relaxed(set_pointer.unsafe_offset(_KEYS + candidate)) == key:
                way = candidate
                break
        var counter = _INSERTS
        if way >= 0:
            counter = _UPDATES
        elif free >= 0:
            way = free
        else:
            var cursor = _load_relaxed(set_pointer.unsafe_offset(_CURSOR))
            way = Int(cursor % UInt64(CACHE_WAYS))
            _store_relaxed(set_pointer.unsafe_offset(_CURSOR), cursor + 1)
            counter = _REPLACEMENTS
        _store_relaxed(set_pointer.unsafe_offset(_KEYS + way), key)
        _store_relaxed(set_pointer.unsafe_offset(_METAS + way), meta)
        var destination = set_pointer.unsafe_offset(_HEADER_WORDS + way * self._policy_words())
        var full_words = length // _HALVES_PER_WORD
        for word in range(full_words):
            var floats = SIMD[DType.float32, 4](
                policy[unsafe_offset=word * 4],
                policy[unsafe_offset=word * 4 + 1],
                policy[unsafe_offset=word * 4 + 2],
                policy[unsafe_offset=word * 4 + 3],
            )
            _store_relaxed(destination.unsafe_offset(word), bitcast[DType.uint64, 1](floats.cast[DType.float16]()))
        var tail = length - full_words * _HALVES_PER_WORD
        if tail > 0:
            var floats = SIMD[DType.float32, 4](0)
            for lane in range(tail):
                floats[lane] = policy[unsafe_offset=full_words * _HALVES_PER_WORD + lane]
            _store_relaxed(
                destination.unsafe_offset(full_words), bitcast[DType.uint64, 1](floats.cast[DType.float16]())
            )
        self._unlock_set(set_pointer, held)
        self._count(stripe, _INSERTS)
        if counter != _INSERTS:
            self._count(stripe, counter)
        return True

    def insert(self, key: UInt64, policy: List[Float32], value: Float32, version: UInt64) -> Bool:
        """`insert` of a whole list of priors."""
        return self.insert(
            key,
            Pointer[Float32, MutAnyOrigin](unsafe_from_address=Int(policy.unsafe_ptr())),
            len(policy),
            value,
            version,
        )

    def clear(self):
        """Empties every set (counters and the version are kept: see `reset_counters`).
        Safe to call while other threads use the cache; inserts racing with it may
        survive. New weights need `advance_version`, not this."""
        for set in range(self._num_sets):
            var set_pointer = self._set_pointer(set)
            var held = self._lock_set(set_pointer)
            _store_relaxed(set_pointer.unsafe_offset(_CURSOR), 0)
            for way in range(CACHE_WAYS):
                _store_relaxed(set_pointer.unsafe_offset(_METAS + way), 0)
                _store_relaxed(set_pointer.unsafe_offset(_KEYS + way), 0)
            self._unlock_set(set_pointer, held)

    def count_entries(self) -> Int:
        """Entries a lookup could hit: occupied, of the current version (a scan of the
        whole cache; approximate while others write)."""
        var current = self.version()
        var count = 0
        for set in range(self._num_sets):
            var set_pointer = self._set_pointer(set)
            if _load_relaxed(set_pointer.unsafe_offset(_VERSION)) != current:
                continue
            for way in range(CACHE_WAYS):
                if _load_relaxed(set_pointer.unsafe_offset(_METAS + way)) & _OCCUPIED != 0:
                    count += 1
        return count

    # ------------------------------------------------------------------ counters
    def _counter_total(self, counter: Int) -> Int:
        var total: UInt64 = 0
        for stripe in range(_COUNTER_STRIPES):
            total += _load_relaxed(_word_pointer(self._counters + (stripe * _LINE_WORDS + counter) * _WORD_BYTES))
        return Int(total)

    def stats(self) -> CacheStats:
        """The counters summed over their stripes (each word read atomically)."""
        var hits = self._counter_total(_HITS)
        var misses = self._counter_total(_MISSES)
        return CacheStats(
            lookups=hits + misses,
            hits=hits,
            misses=misses,
            inserts=self._counter_total(_INSERTS),
            updates=self._counter_total(_UPDATES),
            replacements=self._counter_total(_REPLACEMENTS),
            rejected=self._counter_total(_REJECTED),
            stale=self._counter_total(_STALE),
        )

    def hit_rate(self) -> Float64:
        """Hits / lookups since the last `reset_counters` (0 before any lookup)."""
        return self.stats().hit_rate()

    def reset_counters(self):
        """Sets every counter to 0 (increments racing with it may be lost)."""
        for index in range(_COUNTER_STRIPES * _LINE_WORDS):
            _store_relaxed(_word_pointer(self._counters + index * _WORD_BYTES), 0)

    @always_inline
    def _policy_words(self) -> Int:
        return (self._max_policy_length + _HALVES_PER_WORD - 1) // _HALVES_PER_WORD
