"""Inference behind one narrow interface (as lc0's backends): `evaluate_into(inputs,
logits_out, values_out)` evaluates a batch held in the pipeline's buffers and writes the
outputs in place. Backends wrap a model for a device; the pipeline never sees a model."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import torch


@dataclass
class BackendOptions:
    device: str = "cpu"  # "cpu", "cuda", "cuda:1"
    precision: str = "float32"  # "float32", "float16", "bfloat16" (autocast on CUDA)
    compile: bool = False  # torch.compile the model (CUDA; slow to start)
    cpu_threads: int = 0  # torch intra-op threads on CPU; 0: the cores the search workers leave


def configure_cpu_threads(backends, search_workers: int) -> int:
    """Sets torch's intra-op threads for CPU inference beside `search_workers` Mojo workers.

    Measured on 2 cores (Connect4, ResNet 4x32, batch 128): torch on both cores beside one
    worker ran a batch in 13.6 ms against 7.2 ms alone (its threads wait on each other
    whenever the worker takes a core), while one torch thread kept 98% of its own
    speed and gave more self-play evaluations per second. So CPU inference gets the
    cores the workers leave, unless a backend says otherwise.
    """
    cpu_backends = [backend for backend in backends if backend.device.type == "cpu"]
    if not cpu_backends:
        return torch.get_num_threads()
    explicit = [backend.options.cpu_threads for backend in cpu_backends if backend.options.cpu_threads > 0]
    threads = explicit[0] if explicit else max(1, (os.cpu_count() or 1) - search_workers)
    torch.set_num_threads(threads)
    return threads


class TorchBackend:
    """A PyTorch model on one device. Host buffers are pinned on CUDA, so the copy to the
    device is asynchronous; weights can be swapped between batches from another thread."""

    def __init__(self, model: torch.nn.Module, options: BackendOptions | None = None):
        self.options = options or BackendOptions()
        self.device = torch.device(self.options.device)
        self.model = model.to(self.device).eval()
        self._lock = threading.Lock()
        self._pending_state: dict | None = None
        self._forward = torch.compile(self.model) if self.options.compile else self.model

    @property
    def pin_memory(self) -> bool:
        return self.device.type == "cuda"

    def load_state_dict(self, state: dict) -> None:
        """New weights, applied before the next batch (never during one)."""
        with self._lock:
            self._pending_state = {key: value.detach().clone() for key, value in state.items()}

    @torch.inference_mode()
    def evaluate_into(self, inputs: torch.Tensor, logits_out: torch.Tensor, values_out: torch.Tensor) -> None:
        with self._lock:
            if self._pending_state is not None:
                self.model.load_state_dict(self._pending_state)
                self._pending_state = None
        batch = inputs.to(self.device, non_blocking=True)
        if self.device.type == "cuda" and self.options.precision != "float32":
            dtype = torch.float16 if self.options.precision == "float16" else torch.bfloat16
            with torch.autocast("cuda", dtype=dtype):
                logits, values = self._forward(batch)
        else:
            logits, values = self._forward(batch)
        logits_out.copy_(logits.float(), non_blocking=True)
        values_out.copy_(values.float(), non_blocking=True)
        if self.device.type == "cuda":
            torch.cuda.current_stream(self.device).synchronize()


def make_backend(model: torch.nn.Module, name: str, options: BackendOptions):
    """The inference backend called `name` ("torch" or "max") for `model`."""
    if name == "torch":
        return TorchBackend(model, options)
    if name == "max":
        if options.device != "cpu":
            raise ValueError("the MAX backend runs on the CPU here; use backend 'torch' for GPUs")
        try:
            import max  # noqa: F401 - only to say clearly what is missing
        except ImportError:
            raise ValueError("the MAX backend needs Modular's MAX: pip install max") from None
        from pyzero.max_backend import MaxBackend

        return MaxBackend(model, options)
    raise ValueError(f"unknown inference backend {name!r} (torch, max)")
