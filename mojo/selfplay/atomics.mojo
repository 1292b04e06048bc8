"""Atomic operations on 64-bit words of a shared, never-resized word array, and the
pthread and sleep helpers the pipeline uses (no Python, no GIL)."""

from std.atomic import Atomic, Ordering
from std.ffi import external_call, c_int


@always_inline
def word_pointer(address: Int) -> Pointer[Int64, MutAnyOrigin]:
    return Pointer[Int64, MutAnyOrigin](unsafe_from_address=address)


@always_inline
def atomic_load(address: Int) -> Int:
    return Int(Atomic[Int64].load[ordering=Ordering.ACQUIRE](word_pointer(address)))


@always_inline
def atomic_store(address: Int, value: Int):
    Atomic[Int64].store[ordering=Ordering.RELEASE](word_pointer(address), Int64(value))


@always_inline
def atomic_add(address: Int, amount: Int) -> Int:
    """Adds `amount`; returns the value before."""
    return Int(Atomic[Int64].fetch_add[ordering=Ordering.SEQUENTIAL](word_pointer(address), Int64(amount)))


@always_inline
def atomic_compare_exchange(address: Int, expected: Int, desired: Int) -> Bool:
    var expected_word = Int64(expected)
    return Atomic[Int64].compare_exchange(word_pointer(address), expected_word, Int64(desired))


def spawn_thread(entry: def(Int) thin abi("C") -> Int, argument: Int) raises -> UInt64:
    var thread_id: UInt64 = 0
    var status = external_call["pthread_create", c_int](Int(Pointer(to=thread_id)), 0, entry, argument)
    if status != 0:
        raise Error(String("pthread_create failed with status ", status))
    return thread_id


def join_thread(thread_id: UInt64):
    _ = external_call["pthread_join", c_int](thread_id, 0)


comptime SCHED_IDLE = 5  # Linux's scheduling policy for threads that run only on otherwise idle cores


def lower_to_idle_priority() -> Bool:
    """Puts the calling thread under Linux's SCHED_IDLE policy: it runs on a core only
    while no ordinary thread wants it, and an ordinary thread that wakes takes the core
    back at once. False where the system refuses (not Linux: SCHED_IDLE is Linux's own
    policy number, which other systems reject as invalid)."""
    var parameter = List[Int32](length=4, fill=0)  # struct sched_param: sched_priority 0 (and room to spare)
    var thread = external_call["pthread_self", UInt64]()
    return external_call["pthread_setschedparam", c_int](thread, c_int(SCHED_IDLE), Int(parameter.unsafe_ptr())) == 0


def sleep_microseconds(microseconds: Int):
    _ = external_call["usleep", c_int](UInt32(microseconds))


def yield_thread():
    _ = external_call["sched_yield", c_int]()
