"""The inference layer: backends behind one interface (`backend.py`), the evaluation cache
(`cache.py`) and the wrapper that gives a backend a cache and a search evaluator
(`evaluator.py`). Above the model layer (it runs a model it is given), below search and
self-play.

    backend = make_backend(model, config.inference)          # torch or onnxruntime, on its device
    inference = CachedInference(backend)                     # + cache, + search evaluator
    searcher.run(200, inference.evaluator, seed, inference.cache)
"""

from __future__ import annotations

import torch

from pyzero.config import InferenceSection
from pyzero.inference.backend import (InferenceBackend, MissingBackendError, configure_cpu_threads,
                                      configure_search_threads)
from pyzero.inference.cache import EvaluationCache
from pyzero.inference.evaluator import CachedInference, SearchEvaluator
from pyzero.inference.torch_backend import TorchBackend

BACKEND_NAMES = ("torch", "onnxruntime")


def make_backend(model: torch.nn.Module, options: InferenceSection | None = None):
    """The backend `options.backend` names for `model` on `options.device`. Another backend
    (TensorRT, ...) is a class with the interface of backend.py, a branch here and a name
    in the schema's `inference.backend`."""
    options = options or InferenceSection()
    if options.backend == "torch":
        return TorchBackend(model, options)
    if options.backend == "onnxruntime":
        from pyzero.inference.onnx_backend import MISSING_PACKAGES, OnnxRuntimeBackend, onnxruntime_available

        if not onnxruntime_available():
            raise MissingBackendError(MISSING_PACKAGES)
        return OnnxRuntimeBackend(model, options)
    raise ValueError(f"unknown inference backend {options.backend!r} ({', '.join(BACKEND_NAMES)})")


def installed_backends() -> tuple[str, ...]:
    """The backend names whose packages are installed here (torch always is)."""
    from pyzero.inference.onnx_backend import onnxruntime_available

    return tuple(name for name in BACKEND_NAMES if name != "onnxruntime" or onnxruntime_available())


def make_inference(model: torch.nn.Module, options: InferenceSection | None = None,
                   search_threads: bool = False) -> CachedInference:
    """A model behind the configured backend with the configured cache: what an engine
    that searches one position at a time evaluates with. `search_threads` also sets torch's
    (process-wide) CPU threads for such searches (`configure_search_threads`): right for
    play, TEI and the arena, wrong inside a training run, whose learner wants its cores."""
    backend = make_backend(model, options)
    if search_threads:
        configure_search_threads(backend)
    return CachedInference(backend, options)


__all__ = [
    "BACKEND_NAMES", "CachedInference", "EvaluationCache", "InferenceBackend", "MissingBackendError", "SearchEvaluator",
    "TorchBackend", "configure_cpu_threads", "configure_search_threads", "installed_backends", "make_backend", "make_inference",
]
