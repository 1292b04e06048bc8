"""PyTorch eager (or torch.compile) on any device torch has: the default backend."""

from __future__ import annotations

import threading

import torch

from pyzero.config import InferenceSection, compile_enabled
from pyzero.model.compile import CompiledForward


class TorchBackend:
    """A PyTorch model on one device. Host buffers are pinned on CUDA, so the copy to the
    device is asynchronous; weights can be swapped between batches from another thread."""

    name = "torch"  # inference.backend's name for it

    def __init__(self, model: torch.nn.Module, options: InferenceSection | None = None):
        self.options = options or InferenceSection()
        self.device = torch.device(self.options.device)
        self.model = model.to(self.device).eval()
        self._lock = threading.Lock()
        self._pending_state: dict | None = None
        # Compiled on CUDA by default (inference.compile: auto); eager, with a warning, where compiling fails.
        self._forward = CompiledForward(self.model, compile_enabled(self.options.compile, self.options.device),
                                        "inference model")

    @property
    def forward(self) -> CompiledForward:
        """The model's forward pass, compiled or eager (`.compiled`, `.failure` say which and why)."""
        return self._forward

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
