"""The self-play pipeline: W worker threads advance G concurrent games' searches; the
positions to evaluate go straight into shared batch buffers; one or more network threads
per network (Python, `selfplay.network_threads`) evaluate whole buffers, each its own;
results come back to the workers as integers.

    worker w owns games g with g % W == w (a game's search is touched by one thread only)

    worker: collect a search batch -> cache hits answered at once -> for each miss:
            claim a slot (atomic) in the network's filling buffer, encode the position
            straight into inputs[n, k, slot], note (game, request) for the slot, count it
            written. A worker that finds no free buffer keeps the rest "unsent" and comes
            back to them: it never blocks while holding results it owes.
    network thread (Python, GIL released while waiting): `wait_for_batch(n)` takes (one
            exchange of its state, so two threads never take the same) and seals the
            oldest filling buffer that is full, or has waited `timeout_microseconds`,
            waits for its writers, and hands (k, count) over; the model writes
            logits[n, k, :count], values[n, k, :count]; `batch_done(n, k, version)` records
            the cache's weights version read before the model ran (the results are
            cached only if that is still current) and pushes every slot's index (an
            integer) into its game's worker's inbox.
    worker: pops slot indices, feeds the evaluation into the search (and the cache); the
            last reader of a buffer frees it. A game whose batch is complete backs up and
            collects its next batch, or plays its move when its search is done.

The parts: `batch_queue.mojo` (the buffers, their states and the inboxes, all in shared
atomic words), `game_slot.mojo` (one game's search and record), `workers.mojo` (the
worker threads' loop); this file owns them, starts and stops the workers, and hands the
finished games over.

Stopping: `drain` lets every in-flight evaluation come back and be backed up, then the
workers park their games between batches and exit; a later start resumes the same games.
`abort` (after a failure) exits at once; the next start begins fresh games.
"""

from mojo.game import Game
from mojo.search.gumbel import GumbelConfig
from mojo.cache.evaluation_cache import EvaluationCache
from mojo.selfplay.atomics import (
    atomic_store,
    atomic_add,
    atomic_compare_exchange,
    spawn_thread,
    join_thread,
    yield_thread,
)
from mojo.selfplay.batch_queue import (
    BatchQueue,
    BufferAddresses,
    W_STOP,
    W_DRAIN,
    W_RUNNING_WORKERS,
    W_NEXT_GAME_ID,
    W_FINISHED_LOCK,
    W_GAMES_FINISHED,
)
from mojo.selfplay.game_slot import GameSlot, FinishedGame
from mojo.selfplay.workers import worker_entry


@fieldwise_init
struct PipelineConfig(Copyable, Movable):
    var games: Int
    var workers: Int
    var batch_size: Int
    var buffers_per_network: Int
    var networks: Int  # 1 for self-play; 2 for matches (game g's first player uses network g % 2)
    var timeout_microseconds: Int
    var simulations: Int
    var full_search_fraction: Float64
    """Playout cap randomization (KataGo): each move gets a full search of `simulations`
    with this probability, drawn from the move's search seed; the others get a fast search
    of `fast_simulations`, are played, and are recorded with no policy target (their
    positions train the value only). 1: every move is a full search."""
    var fast_simulations: Int
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
    var idle_priority_workers: Bool
    """Workers run under the idle scheduling policy (`lower_to_idle_priority`): on a CPU
    the network's own threads keep their cores and a worker takes what they leave (the
    cores are idle whenever ONNX Runtime's threads wait between operators)."""
    var gumbel: GumbelConfig


struct SelfPlayPipeline[G: Game](Movable):
    var config: PipelineConfig
    var buffers: BufferAddresses
    var initial: List[Self.G]  # the openings games start from (one: the usual start)
    var slots: List[GameSlot[Self.G]]
    var queue: BatchQueue
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
        if config.full_search_fraction <= 0.0 or config.full_search_fraction > 1.0:
            raise Error("full_search_fraction must be above 0 and at most 1")
        if config.full_search_fraction < 1.0 and config.fast_simulations < 1:
            raise Error("fast_simulations must be at least 1 when some searches are fast")
        if config.random_opening_plies > 0 and config.networks != 1:
            raise Error("random openings are for self-play (one network); matches take explicit openings")
        self.config = config.copy()
        self.buffers = buffers.copy()
        self.input_size = initial.input_shape().size()
        self.num_actions = initial.num_actions()
        self.initial = List[Self.G]()
        self.initial.append(initial^)
        self.slots = List[GameSlot[Self.G]]()
        self.queue = BatchQueue(
            config.networks, config.buffers_per_network, config.batch_size, config.workers, config.timeout_microseconds
        )
        self.caches = List[EvaluationCache]()
        if config.cache_entries > 0:
            self.caches.append(EvaluationCache(config.cache_entries, config.max_policy_length))
        self.finished = List[FinishedGame]()
        self.staged = List[FinishedGame]()
        self.thread_ids = List[UInt64]()
        self.worker_arguments = List[Int]()
        self.needs_fresh_games = False
        self._fresh_games()

    def _cache(self) -> Pointer[EvaluationCache, MutAnyOrigin]:
        """The shared evaluation cache (only when `caches` is not empty)."""
        return Pointer[EvaluationCache, MutAnyOrigin](unsafe_from_address=Int(self.caches.unsafe_ptr()))

    def counter(self, index: Int) -> Int:
        return self.queue.counter(index)

    # ------------------------------------------------------------------ games
    def _fresh_games(mut self):
        self.slots.clear()
        for _ in range(self.config.games):
            self.slots.append(GameSlot[Self.G](self.initial[0].copy(), self.config.gumbel))
        for game in range(self.config.games):
            self.start_new_game(game)
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
        atomic_store(self.queue.global_word(W_NEXT_GAME_ID), 0)
        self._fresh_games()
        self.queue.reset()

    def opening_of(self, game_id: Int) -> Int:
        """Which opening game `game_id` starts from."""
        var pairs = game_id // 2 if self.config.networks == 2 else game_id
        return pairs % len(self.initial)

    def start_new_game(mut self, game: Int):
        """Slot `game` starts the next game (numbered in start order) from its opening."""
        var game_id = atomic_add(self.queue.global_word(W_NEXT_GAME_ID), 1)
        var root = self.initial[self.opening_of(game_id)].copy()
        self.slots[game].start_game(game_id, root^, self.config.random_opening_plies, self.config.seed)

    # ------------------------------------------------------------------ buffers (network)
    def wait_for_batch(mut self, network: Int, wait_microseconds: Int) -> Int:
        """Blocks until a buffer of `network` is ready and returns its index (its count is
        `batch_count`), or WAIT_STOPPED when the run has ended, or WAIT_TIMED_OUT."""
        return self.queue.wait_for_batch(network, wait_microseconds)

    def batch_count(self, network: Int, buffer: Int) -> Int:
        return self.queue.batch_count(network, buffer)

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
        self.queue.batch_done(network, buffer, version)

    # ------------------------------------------------------------------ finished games
    def store_finished(mut self, game: Int):
        """Appends slot `game`'s record to `finished` (called by its worker)."""
        var lock = self.queue.global_word(W_FINISHED_LOCK)
        while not atomic_compare_exchange(lock, 0, 1):
            yield_thread()
        self.finished.append(self.slots[game].record.copy())
        atomic_store(lock, 0)
        _ = atomic_add(self.queue.global_word(W_GAMES_FINISHED), 1)

    def stage_finished(mut self):
        """Moves the games finished so far behind any already staged (thread-safe against
        the workers). Staged games wait there until `take_staged`, so a hand-over to Python
        that is interrupted half-way loses nothing."""
        var lock = self.queue.global_word(W_FINISHED_LOCK)
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

    # ------------------------------------------------------------------ lifecycle
    def start(mut self) raises:
        if len(self.thread_ids) > 0:
            raise Error("the pipeline is already running")
        if self.needs_fresh_games:
            self._fresh_games()
            self.queue.reset()
        atomic_store(self.queue.global_word(W_STOP), 0)
        atomic_store(self.queue.global_word(W_DRAIN), 0)
        atomic_store(self.queue.global_word(W_RUNNING_WORKERS), self.config.workers)
        self.worker_arguments.clear()
        for worker in range(self.config.workers):
            self.worker_arguments.append(Int(Pointer(to=self)))
            self.worker_arguments.append(worker)
        var arguments_address = Int(self.worker_arguments.unsafe_ptr())
        for worker in range(self.config.workers):
            self.thread_ids.append(spawn_thread(worker_entry[Self.G], arguments_address + 16 * worker))

    def request_drain(mut self):
        atomic_store(self.queue.global_word(W_DRAIN), 1)

    def request_abort(mut self):
        atomic_store(self.queue.global_word(W_STOP), 1)
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
