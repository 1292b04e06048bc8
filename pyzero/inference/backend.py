"""The one interface every inference backend has (as lc0's backends have one).

A backend runs one network on one device. Its whole surface is:

    backend.evaluate_into(inputs, logits_out, values_out)   # one batch, outputs in place
    backend.load_state_dict(state)                          # new weights, before the next batch
    backend.name, backend.device, backend.pin_memory, backend.options

`inputs` is float32 `[B, C, H, W]` on the host (pinned when `pin_memory`), `logits_out`
float32 `[B, A]` and `values_out` float32 `[B]` (from the side to move, in (-1, 1)). Self-play
hands it slices of its batch buffers; searches from Python reach it through
`SearchEvaluator`, and the evaluation cache wraps it in `CachedInference`, so every
command evaluates the same way and `inference.device: cuda` moves them all to the GPU.
Options are the config's `inference` section (`InferenceSection`), defined once there.
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import torch

from pyzero.config import InferenceSection
from pyzero.errors import PyzeroFailure


class MissingBackendError(PyzeroFailure):
    """The configured backend cannot run here (a package or a device provider is missing);
    the message says what to install."""


@runtime_checkable
class InferenceBackend(Protocol):
    """What the pipeline, the searches and the cache wrapper need from a backend."""

    name: str  # what inference.backend calls it: "torch", "onnxruntime"
    options: InferenceSection
    device: torch.device

    @property
    def pin_memory(self) -> bool: ...

    def evaluate_into(self, inputs: torch.Tensor, logits_out: torch.Tensor, values_out: torch.Tensor) -> None: ...

    def load_state_dict(self, state: dict) -> None: ...


def configure_cpu_threads(backends, search_workers: int, network_threads: int = 1) -> int:
    """Sets torch's (and ONNX Runtime's) intra-op threads for CPU inference beside
    `search_workers` Mojo workers.

    Torch's threads wait on each other whenever a worker takes a core, so torch (CPU
    inference with the torch backend, and the learner beside it) gets the cores the
    workers leave, unless the config's `inference.cpu_threads` says otherwise
    (docs/measurements/selfplay.md).

    ONNX Runtime has its own pool, whose threads can sleep when idle instead of spinning
    (`inference.thread_spinning: false`, the default): then it gets every core, and an
    idle one goes to the worker or the learner. Returns torch's thread count.

    With `network_threads` (selfplay.network_threads) threads evaluating batches at once,
    each batch gets its share: the cores divided among them (at least one each).
    """
    cpu_backends = [backend for backend in backends if backend.device.type == "cpu"]
    if not cpu_backends:
        return torch.get_num_threads()
    cores = usable_cores()
    explicit = [backend.options.cpu_threads for backend in cpu_backends if backend.options.cpu_threads > 0]
    shares = max(1, network_threads)
    threads = explicit[0] if explicit else max(1, (cores - search_workers) // shares)
    torch.set_num_threads(threads)
    for backend in cpu_backends:
        sleeps_when_idle = not backend.options.thread_spinning
        _set_backend_threads(backend, max(1, cores // shares) if sleeps_when_idle and not explicit else threads)
    return threads


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, or fewer where OMP_NUM_THREADS says
    so (Ray sets it to an actor's `num_cpus`, so an actor does not take the whole node)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(limit)) if limit.isdigit() and int(limit) > 0 else cores)


def _set_backend_threads(backend, threads: int) -> None:
    """Backends with their own thread pool (ONNX Runtime) take the count torch gets."""
    set_cpu_threads = getattr(backend, "set_cpu_threads", None)
    if set_cpu_threads is not None:
        set_cpu_threads(threads)


def configure_search_threads(backend) -> None:
    """Torch threads for one search at a time (play, TEI, the arena, evaluation matches).

    Those searches send small batches (a survey batch, m leaves): one PyTorch thread is
    fastest for them: several OpenMP threads on a busy machine wait on each other for far
    longer than the batch takes. Process-wide; `inference.cpu_threads` wins."""
    if backend.device.type == "cpu":
        torch.set_num_threads(backend.options.cpu_threads or 1)
        _set_backend_threads(backend, backend.options.cpu_threads or 1)
