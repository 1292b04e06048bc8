"""Self-play seeds for actors: the run's seed mixed with the actor's index (and, for an
actor Ray restarted, a fresh random number), so no two actors, and no actor before and
after a restart, play the same games."""

from __future__ import annotations

import numpy as np

# The engine takes a signed 64-bit seed: keep it positive.
_SEED_BITS = 62


def actor_selfplay_seed(run_seed: int, actor_index: int, incarnation: int = 0) -> int:
    """A seed for actor `actor_index`'s self-play, from the run's self-play seed.

    `incarnation` is 0 for an actor's first life (so a run is reproducible) and a random
    number after Ray restarts it: a restarted actor numbers its games from 0 again, and
    with the same seed it would replay (and duplicate) the games of its first life."""
    sequence = np.random.SeedSequence([run_seed & (2**63 - 1), actor_index, incarnation])
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(64 - _SEED_BITS))
