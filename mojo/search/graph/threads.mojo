"""Many threads on one graph search: each thread walks playouts into its own batch, has
it evaluated outside the lock, and backs it up.

One spin lock guards the graph: selection, expansion and backup of a batch happen while
holding it, so a node is expanded by exactly one thread (the first playout to reach it
turns it PENDING; later ones, from any thread, stop there as shared leaves) and the
graph's buffers may grow. What runs in parallel is the expensive part, the evaluation
(the network, rollouts), which touches only the thread's own batch. In-flight playouts
count as visits that lost `virtual_loss` in selection (PuctSearch's rule), so threads
spread over the graph; every in-flight count is taken back at backup, and after the last
thread is joined the graph is refreshed (value_update.refresh_all_values).

A playout that reaches a node another thread is evaluating (a collision) is taken back
and not counted: completing it would add a visit that knows nothing yet, and when an
evaluation is slow (a busy machine) the other threads would spend the whole budget on
such visits. A thread whose every playout collided yields and tries again.

A finer-grained scheme (atomic counters on edges, a lock per node expansion) is the next
step if the lock shows in profiles; the behaviour tested here would not change.
"""

from std.atomic import Atomic, Ordering
from std.ffi import external_call, c_int

from mojo.game import Game
from mojo.search.graph.puct_graph import GraphSearch
from mojo.search.graph.playout_batch import PlayoutBatch, GraphLeafEvaluator


struct SpinLock(Movable):
    """A test-and-set lock on one word; waiting threads yield the processor."""

    var word: List[Int64]  # one word at a stable address

    def __init__(out self):
        self.word = List[Int64](length=1, fill=0)

    def _pointer(self) -> Pointer[Int64, MutAnyOrigin]:
        return Pointer[Int64, MutAnyOrigin](unsafe_from_address=Int(self.word.unsafe_ptr()))

    def acquire(self):
        while True:
            var expected = Int64(0)
            if Atomic[Int64].compare_exchange(self._pointer(), expected, Int64(1)):
                return
            _ = external_call["sched_yield", c_int]()

    def release(self):
        Atomic[Int64].store[ordering=Ordering.RELEASE](self._pointer(), Int64(0))


struct GraphWorker[G: Game, E: GraphLeafEvaluator](Movable):
    """One thread's share of a search: its batch, its evaluator, and its error if any."""

    var search_address: Int
    var lock_address: Int
    var batch: PlayoutBatch[Self.G]
    var evaluator: Self.E
    var batches: Int  # batches this thread had evaluated
    var failed: Bool
    var error: String

    def __init__(out self, search_address: Int, lock_address: Int, history: List[UInt64], var evaluator: Self.E):
        self.search_address = search_address
        self.lock_address = lock_address
        self.batch = PlayoutBatch[Self.G](history, take_back_collisions=True)
        self.evaluator = evaluator^
        self.batches = 0
        self.failed = False
        self.error = String()


def work_on_search[G: Game, E: GraphLeafEvaluator](mut worker: GraphWorker[G, E]) raises:
    """The thread's loop: claim up to `leaves_per_batch` playouts and walk them, evaluate
    the batch without the lock, back it up; until the search has started every playout
    or the graph is full."""
    var search = Pointer[GraphSearch[G], MutAnyOrigin](unsafe_from_address=worker.search_address)
    var lock = Pointer[SpinLock, MutAnyOrigin](unsafe_from_address=worker.lock_address)
    while True:
        lock[].acquire()
        if (
            search[].simulations_started >= search[].num_simulations
            or search[].full
            or search[].stopping
            or search[].out_of_time()
        ):
            lock[].release()
            return
        var count = min(max(search[].puct.leaves_per_batch, 1), search[].num_simulations - search[].simulations_started)
        var walked = 0
        for _ in range(count):
            if search[].playout(worker.batch):
                walked += 1
        search[].simulations_started += walked
        if walked == 0:  # every playout collided: let the evaluating threads finish
            lock[].release()
            _ = external_call["sched_yield", c_int]()
            continue
        if worker.batch.num_requests() == 0:
            search[].backup(worker.batch)
            lock[].release()
            continue
        lock[].release()
        worker.batches += 1
        try:
            worker.evaluator.answer(worker.batch)
        except error:
            # Take the batch back (no in-flight count is left) and stop the other threads.
            lock[].acquire()
            search[].abandon(worker.batch)
            search[].stopping = True
            lock[].release()
            raise error^
        lock[].acquire()
        search[].apply_answers(worker.batch)
        search[].backup(worker.batch)
        lock[].release()


def _worker_thread[G: Game, E: GraphLeafEvaluator](argument: Int) abi("C") -> Int:
    var worker = Pointer[GraphWorker[G, E], MutAnyOrigin](unsafe_from_address=argument)
    try:
        work_on_search(worker[])
    except error:
        worker[].failed = True
        worker[].error = String(error)
    return 0


def run_threads[G: Game, E: GraphLeafEvaluator](
    mut search: GraphSearch[G],
    var evaluators: List[E],
    num_simulations: Int,
    seed: UInt64,
    seconds: Float64,
    stop_address: Int,
    survey_fraction: Float64,
) raises -> Int:
    """A search of `num_simulations` playouts by `len(evaluators)` threads, one evaluator
    each (the first also evaluates the root), ending early after `seconds` (0: no limit)
    or when the stop word is set (GraphSearch.set_limits; `survey_fraction`: root halving's
    survey share). Returns the number of batches
    evaluated. Touches no Python object itself (a Python evaluator takes the GIL)."""
    search.start(num_simulations, seed)
    search.set_limits(seconds, stop_address, survey_fraction)
    var batches = 0
    var root_batch = search.batch()
    if search.prepare_root(root_batch[]):
        try:
            evaluators[0].answer(root_batch[])
        except error:
            search.abandon(root_batch[])
            raise error^
        search.apply_answers(root_batch[])
        search.backup(root_batch[])
        _ = search.prepare_root(root_batch[])
        batches += 1
    if not search.root_is_searchable():
        return batches
    var lock = SpinLock()
    var search_address = Int(Pointer(to=search))
    var lock_address = Int(Pointer(to=lock))
    var workers = List[GraphWorker[G, E]]()
    while len(evaluators) > 0:
        workers.append(GraphWorker[G, E](search_address, lock_address, search.history, evaluators.pop(0)))
    var thread_ids = List[UInt64](length=len(workers), fill=0)
    var started = 0
    var create_status: c_int = 0
    while started < len(workers):
        create_status = external_call["pthread_create", c_int](
            Int(thread_ids.unsafe_ptr().unsafe_offset(started)), 0, _worker_thread[G, E], Int(workers.unsafe_ptr().unsafe_offset(started))
        )
        if create_status != 0:
            lock.acquire()
            search.stopping = True  # the threads already running stop at their next batch
            lock.release()
            break
        started += 1
    for index in range(started):
        _ = external_call["pthread_join", c_int](thread_ids[index], 0)
    search.finish()
    if create_status != 0:
        raise Error(String("pthread_create failed with status ", create_status))
    for index in range(len(workers)):
        batches += workers[index].batches
        if workers[index].failed:
            raise Error(workers[index].error)
    _ = workers^
    _ = lock^
    return batches
