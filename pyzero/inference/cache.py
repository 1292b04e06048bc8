"""The evaluation cache's Python face: the engine's bounded, thread-safe cache of network
answers keyed by Zobrist hash (mojo/cache/evaluation_cache.mojo).

The searches look positions up in it before they ask a backend and store what the backend
answered; `CachedInference` puts one around a backend.
"""

from __future__ import annotations

from pyzero.native import load_native


class EvaluationCache:
    """The engine's bounded, thread-safe evaluation cache, keyed by Zobrist hash.

    `entries` is the capacity; `max_policy_length` bounds the number of legal moves of a
    stored position (longer ones are not stored) and sizes every entry: the cache takes
    about `entries * (2 * max_policy_length + 20)` bytes, all allocated here
    (`memory_bytes(entries, max_policy_length)` says exactly). Priors are kept as Float16
    (relative error below 5e-4), values exactly. Call `new_weights` when the network's
    weights change.
    """

    def __init__(self, entries: int = 1 << 16, max_policy_length: int = 512):
        self._raw = load_native().EvaluationCache.new(entries, max_policy_length)

    @staticmethod
    def memory_bytes(entries: int, max_policy_length: int) -> int:
        """Bytes of entry storage a cache of this size allocates (counters aside), by
        mojo/cache's layout: sets of 4 entries, each set 8 * round_up(10 + 4 *
        ceil(L / 4), 8) bytes for L = max_policy_length (about 2 L + 20 an entry)."""
        sets = -(-entries // 4)
        words = 10 + 4 * (-(-max_policy_length // 4))
        return sets * 8 * (-(-words // 8) * 8)

    def stats(self) -> dict[str, float]:
        """lookups, hits, misses, inserts, replacements, rejected, stale, hit_rate, capacity,
        memory_bytes (stale: results not stored because new weights came while they were
        evaluated)."""
        return dict(self._raw.stats())

    def clear(self) -> None:
        self._raw.clear()

    def new_weights(self) -> int:
        """The network's weights have changed: from now on nothing evaluated with the old
        ones is served, also not the results of a batch being evaluated right now (a
        search stores them only if no new weights came since it called its evaluator).
        Costs O(1); old entries are overwritten as new ones arrive. Returns the new
        weights version."""
        return self._raw.advance_version()
