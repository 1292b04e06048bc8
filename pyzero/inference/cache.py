"""The evaluation cache's Python face: the engine's bounded, thread-safe cache of network
answers keyed by Zobrist hash (mojo/cache/evaluation_cache.mojo).

The searches look positions up in it before they ask a backend and store what the backend
answered; `CachedInference` puts one around a backend.
"""

from __future__ import annotations

from pyzero.config import cache_bytes_per_entry
from pyzero.engine_build import load_engine


class EvaluationCache:
    """The engine's bounded, thread-safe evaluation cache, keyed by Zobrist hash.

    `entries` is the capacity; `max_policy_length` bounds the number of legal moves of a
    stored position (longer ones are not stored) and sizes every entry: the cache takes
    about `entries * (2 * max_policy_length + 20)` bytes, all allocated here
    (`memory_bytes(entries, max_policy_length)` says exactly). Priors are kept as Float16
    (relative error below 5e-4), values exactly. Clear it when the network's weights change.
    """

    def __init__(self, entries: int = 1 << 16, max_policy_length: int = 512):
        self._raw = load_engine().EvaluationCache.new(entries, max_policy_length)

    @staticmethod
    def memory_bytes(entries: int, max_policy_length: int) -> int:
        """Bytes of entry storage a cache of this size allocates (counters aside)."""
        rounded = -(-entries // 4) * 4
        return rounded * cache_bytes_per_entry(max_policy_length)

    def stats(self) -> dict[str, float]:
        """lookups, hits, misses, inserts, replacements, rejected, hit_rate, capacity, memory_bytes."""
        return dict(self._raw.stats())

    def clear(self) -> None:
        self._raw.clear()
