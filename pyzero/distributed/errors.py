"""The failures of distributed self-play, reported like every other system failure."""

from __future__ import annotations

from pyzero.errors import PyzeroFailure


class DistributedError(PyzeroFailure):
    """The cluster cannot be reached, lacks the resources the actors ask for, or every
    self-play actor is gone; the message says which and what to do."""
