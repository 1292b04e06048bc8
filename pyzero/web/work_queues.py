"""The threads `pyzero serve` does slow work on, so the event loop never waits for it.

Three kinds of slow work, each on its own threads, so one kind cannot starve another:

- searches: each served engine has one worker thread (`ServedEngine.searches`). Its
  network and cache serve one search at a time anyway, so a tab's engine move or
  analysis round waits in that engine's queue only, behind the searches of the tabs
  playing the same game, and never holds a thread that another game's tab, the event
  loop, or a new tab's greeting needs.
- loading: building an engine and reading a pasted game (a 64 KB PTN takes a while),
  on a small pool of their own.
- the run's report (`/api/run` reads TensorBoard's files), on another.

Every queue is bounded: past `max_waiting` jobs a new one is refused with
`WorkQueueFullError` (the page shows its text) rather than queued without end. A job
not yet started is dropped when its future is cancelled.

The threads are daemon threads that end after a while without work, so an engine
dropped from the provider's cache leaves no thread behind and an idle worker does not
hold up the interpreter's exit. A job still running at exit is waited for (at most
`EXIT_WAIT_SECONDS`; a stopped tab's search ends at its next batch): a daemon thread
cut off inside the engine's native search aborts the whole process.
"""

from __future__ import annotations

import asyncio
import atexit
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

from pyzero.errors import PyzeroFailure

Result = TypeVar("Result")
# A worker thread without a job for this long ends; the next job starts another.
IDLE_WORKER_SECONDS = 30.0
# How long the interpreter's exit waits for jobs still running (see the module docstring).
EXIT_WAIT_SECONDS = 60.0

_running_jobs = 0  # in every queue, guarded by _running_changed
_running_changed = threading.Condition()


class WorkQueueFullError(PyzeroFailure):
    """A queue holds as many jobs as it may; the text says which, for the page."""


class BoundedWorkQueue:
    """Up to `workers` threads running jobs in the order given, with at most
    `max_waiting` jobs queued or running at once."""

    def __init__(self, name: str, workers: int, max_waiting: int):
        self.name = name
        self.workers = workers
        self.max_waiting = max_waiting
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0  # jobs queued or running (a cancelled queued job counts no more)
        self._live_workers = 0

    @property
    def pending(self) -> int:
        """Jobs queued or running now."""
        return self._pending

    def submit(self, function: Callable[..., Result], *arguments: Any) -> Future:
        """Queues `function(*arguments)` and returns its future; raises
        `WorkQueueFullError` when `max_waiting` jobs are queued or running already."""
        future: Future = Future()
        with self._lock:
            if self._pending >= self.max_waiting:
                raise WorkQueueFullError(f"the server is busy: {self._pending} {self.name} jobs are waiting; "
                                         f"try again in a moment")
            self._pending += 1
            self._jobs.put((future, function, arguments))
            # A job more than the live workers can be running: one more worker, if allowed.
            if self._pending > self._live_workers and self._live_workers < self.workers:
                self._live_workers += 1
                threading.Thread(target=self._work, name=f"pyzero-web-{self.name}", daemon=True).start()
        future.add_done_callback(self._job_done)  # called at once when a queued job is cancelled
        return future

    async def run(self, function: Callable[..., Result], *arguments: Any) -> Result:
        """`function(*arguments)` on this queue's threads, awaited. Cancelling the await
        drops the job if it has not started; a started one runs to its end, unheard."""
        return await asyncio.wrap_future(self.submit(function, *arguments))

    def _work(self) -> None:
        while True:
            try:
                future, function, arguments = self._jobs.get(timeout=IDLE_WORKER_SECONDS)
            except queue.Empty:
                with self._lock:  # jobs are put under this lock: none can slip in unserved
                    if self._jobs.empty():
                        self._live_workers -= 1
                        return
                continue
            if not future.set_running_or_notify_cancel():  # cancelled while queued: dropped
                continue
            _count_running(+1)
            try:
                result = function(*arguments)
            except BaseException as error:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(error)
            else:
                future.set_result(result)
            finally:
                _count_running(-1)

    def _job_done(self, future: Future) -> None:
        with self._lock:
            self._pending -= 1


def _count_running(change: int) -> None:
    global _running_jobs
    with _running_changed:
        _running_jobs += change
        _running_changed.notify_all()


@atexit.register
def _wait_for_running_jobs(seconds: float = EXIT_WAIT_SECONDS) -> None:
    """At the interpreter's exit: waits (a while at most) for the jobs still running."""
    deadline = time.monotonic() + seconds
    with _running_changed:
        while _running_jobs > 0 and time.monotonic() < deadline:
            _running_changed.wait(timeout=max(0.0, deadline - time.monotonic()))
