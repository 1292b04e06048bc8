"""A backend as the searches see it, with the evaluation cache wrapped around it.

The Mojo searches called from Python ask for evaluations of leaf batches through a
callable `f(planes[B,C,H,W] float32, legal[B,A] bool) -> (logits[B,A], values[B])`, and
look positions up in an `EvaluationCache` first. `SearchEvaluator` is that callable for
any backend (so play, TEI, the arena and the training evaluation run on the config's
device and backend, as self-play does); `CachedInference` pairs it with a cache that is
sized from the config and allocated only at the first search.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from pyzero.config import InferenceSection
from pyzero.inference.cache import EvaluationCache


class SearchEvaluator:
    """`backend.evaluate_into` as a search evaluator: host buffers kept across calls
    (pinned when the backend wants it), grown to the largest batch seen.

    The buffers are per thread: the graph search calls one evaluator from several threads,
    and a backend that lets go of the GIL while it runs (ONNX Runtime, torch's kernels)
    let another thread's batch overwrite or resize them mid-call (a 7-row batch read
    8-row outputs)."""

    def __init__(self, backend):
        self.backend = backend
        self._local = threading.local()

    def _buffers(self, batch: int, input_shape: tuple[int, ...], actions: int):
        local = self._local
        inputs = getattr(local, "inputs", None)
        if inputs is None or inputs.shape[0] < batch or inputs.shape[1:] != input_shape \
                or local.logits.shape[1] != actions:
            pin = bool(self.backend.pin_memory)
            local.inputs = torch.empty((batch, *input_shape), dtype=torch.float32, pin_memory=pin)
            local.logits = torch.empty((batch, actions), dtype=torch.float32, pin_memory=pin)
            local.values = torch.empty((batch,), dtype=torch.float32, pin_memory=pin)
        return local.inputs[:batch], local.logits[:batch], local.values[:batch]

    def __call__(self, planes: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = planes.shape[0]
        inputs, logits, values = self._buffers(batch, tuple(planes.shape[1:]), legal.shape[1])
        inputs.copy_(torch.from_numpy(planes))
        self.backend.evaluate_into(inputs, logits, values)
        return logits.numpy(), values.numpy()


class CachedInference:
    """One network for searches: a backend, its search evaluator and an evaluation cache.

    The cache takes `inference.cache_entries` entries of `inference.max_policy_length`
    priors (see `EvaluationCache.memory_bytes`) and is allocated at the first search, so an
    engine that is made but never searches costs no cache memory. `load_state_dict` swaps
    the weights and retires every cached answer of the old ones (`new_weights`)."""

    def __init__(self, backend, options: InferenceSection | None = None):
        self.backend = backend
        self.options = options or backend.options
        self.evaluator = SearchEvaluator(backend)
        self._cache: EvaluationCache | None = None

    @property
    def cache(self) -> EvaluationCache | None:
        """The cache, allocated now if this is its first use; None when `cache_entries` is 0."""
        if self._cache is None and self.options.cache_entries > 0:
            self._cache = EvaluationCache(self.options.cache_entries, self.options.max_policy_length)
        return self._cache

    @property
    def cache_allocated(self) -> bool:
        return self._cache is not None

    def resize_cache(self, entries: int) -> None:
        """A cache of `entries` (0: none) from the next search on; the old one is dropped."""
        if entries != self.options.cache_entries:
            self.options = self.options.model_copy(update={"cache_entries": entries})
            self._cache = None

    def load_state_dict(self, state: dict) -> None:
        self.backend.load_state_dict(state)
        if self._cache is not None:
            self._cache.new_weights()
