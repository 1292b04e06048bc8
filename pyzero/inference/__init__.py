"""The inference layer: backends behind one interface (`backend.py`), the evaluation cache
(`cache.py`) and the wrapper that gives a backend a cache and a search evaluator
(`evaluator.py`). Above the model layer (it runs a model it is given), below search and
self-play.

    backend = make_backend(model, config.inference)          # auto, torch or onnxruntime, on its device
    inference = CachedInference(backend)                     # + cache, + search evaluator
    searcher.run(200, inference.evaluator, seed, inference.cache)
"""

from __future__ import annotations

import torch

from pyzero.config import InferenceSection, compile_enabled
from pyzero.inference.backend import (InferenceBackend, MissingBackendError, configure_cpu_threads,
                                      configure_search_threads, usable_cores)
from pyzero.inference.cache import EvaluationCache
from pyzero.inference.evaluator import CachedInference, SearchEvaluator
from pyzero.inference.torch_backend import TorchBackend

import logging

LOG = logging.getLogger(__name__)

BACKEND_NAMES = ("torch", "onnxruntime")  # what `auto` chooses among


def resolve_backend_name(options: InferenceSection) -> str:
    """The backend `options.backend` stands for: itself, or for `auto` the one this table
    says is fastest on `options.device` among those installed.

    - cpu: onnxruntime where installed: faster than PyTorch eager on a CPU, most of all
      for the small batches of one search at a time, where torch's per-operator overhead
      dominates (docs/measurements/selfplay.md; `pyzero bench CONFIG --json` reports every
      backend side by side, rerun it to keep this table honest).
    - cuda (and anything else): torch.
    - `compile: true` asks for torch.compile, which only the torch backend does (`auto`
      compiles on CUDA only, where torch is chosen anyway).
    """
    if options.backend != "auto":
        return options.backend
    if compile_enabled(options.compile, options.device) or torch.device(options.device).type != "cpu":
        return "torch"
    return "onnxruntime" if "onnxruntime" in installed_backends() else "torch"


def make_backend(model: torch.nn.Module, options: InferenceSection | None = None):
    """The backend `options.backend` names (`resolve_backend_name` for auto) for `model` on
    `options.device`; `backend.name` says which it is. With `auto`, a model ONNX cannot
    export falls back to torch with a warning; a backend named outright raises instead.
    Another backend (TensorRT, ...) is a class with the interface of backend.py, a branch
    here and a name in the schema's `inference.backend`."""
    options = options or InferenceSection()
    name = resolve_backend_name(options)
    if name == "torch":
        return TorchBackend(model, options)
    if name == "onnxruntime":
        from pyzero.inference.onnx_backend import MISSING_PACKAGES, OnnxRuntimeBackend, onnxruntime_available

        if not onnxruntime_available():
            raise MissingBackendError(MISSING_PACKAGES)
        if options.backend != "auto":
            return OnnxRuntimeBackend(model, options)
        try:
            return OnnxRuntimeBackend(model, options)
        except Exception as error:  # noqa: BLE001 (auto promises a backend that runs; torch always does)
            LOG.warning("inference.backend auto: ONNX Runtime could not take this network (%s); using torch", error)
            return TorchBackend(model, options)
    raise ValueError(f"unknown inference backend {options.backend!r} (auto, {', '.join(BACKEND_NAMES)})")


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
    "TorchBackend", "configure_cpu_threads", "configure_search_threads", "installed_backends", "make_backend", "make_inference", "resolve_backend_name", "usable_cores",
]
