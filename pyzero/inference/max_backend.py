"""Inference on the CPU through Modular's MAX engine: the same `evaluate_into` interface
as `TorchBackend`, for the AlphaZero `ResNet` (pyzero.model.network) only.

Measured on 2 cores, batches of 64/128/256 (evaluations per second, MAX 26.7 vs torch 2.13):

    threads  network (ResNet 4x32)     MAX             torch
    1        Connect4 (3x6x7, 7)       16.4k-18.2k     11.2k-14.1k
    1        Tak 6x6 (31x6x6, 9180)    9.5k-10.3k      8.6k-9.6k
    2        Connect4                  17.9k-20.1k     16.3k-18.7k
    2        Tak 6x6                   5.8k-10.3k      13.7k-18.4k   (MAX much slower)

So MAX helps with one inference thread (the default beside one search worker on 2 cores)
and loses badly on the large policy head with two. MAX's one thread costs about 1.1 cores.

The graph (built once per network shape, see `build_graph`):

    input  [B, C, H, W] float32 (NCHW, as the games encode) -> permute to NHWC
    stem   conv3x3(+bias) -> relu                 BatchNorm folded into each conv:
    blocks y = relu(conv3x3(x)); x = relu(x + conv3x3(y))   w' = w * g / sqrt(var + eps)
    policy relu(conv1x1(x)) -> flatten -> matmul + bias      b' = beta - mean * g / sqrt(var + eps)
    value  relu(conv1x1(x)) -> flatten -> matmul + bias -> relu -> matmul + bias -> tanh -> squeeze

Convolution filters are RSCF ([kh, kw, in, out]); the first Linear of each head is
permuted from torch's NCHW flatten order to NHWC flatten order, and stored [in, out].
All weights are graph `Weight`s (not constants), so the compiled model is independent of
the weights: new weights are bound by `InferenceSession.init` (milliseconds), never recompiled.

Quirks of MAX 26.7 this works around (both abort the process with an LLVM error):
  * `InferenceSession(num_threads=n)` constructs the CPU device with default options before
    asking for n threads. A native session made first with no devices (and kept alive) fixes
    the process-wide CPU device at n threads.
  * Building any `max.graph.Graph` creates the process-wide context with default options,
    after which no session with `num_threads` can be made (and vice versa). So the graph is
    built and compiled in a subprocess, exported as a MEF file (cached under `cache_dir`),
    and this process only reads it. MAX also caches compilations (~/.cache/modular), so a
    first compile takes about a minute on 2 cores, a repeated one about 2 s.
  * The thread count is per process: every MaxBackend in a process shares the first one's.
    Nothing else in the process may build a MAX graph before the first batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import torch

_SESSION = None  # (max.engine.InferenceSession, threads): one per process, see the module notes
_SESSION_ANCHOR = None  # the native session that fixes the CPU device's thread count
_SESSION_LOCK = threading.Lock()


def _network_spec(model) -> dict:
    """The shape of a pyzero.model.network.ResNet: all the graph depends on (not the weights)."""
    planes, height, width = (int(size) for size in model.shape.input_shape)
    return {"input_shape": [planes, height, width], "num_actions": int(model.shape.num_actions),
            "blocks": len(model.blocks), "channels": int(model.stem[0].out_channels),
            "policy_channels": int(model.policy_head[0].out_channels),
            "value_channels": int(model.value_head[0].out_channels),
            "value_hidden": int(model.value_head[4].out_features)}


def _batch_norm_eps(model) -> dict[str, float]:
    return {name: float(module.eps) for name, module in model.named_modules()
            if isinstance(module, torch.nn.BatchNorm2d)}


def _weight_shapes(spec: dict) -> dict[str, tuple[int, ...]]:
    planes, height, width = spec["input_shape"]
    channels, area = spec["channels"], height * width
    shapes = {"stem.w": (3, 3, planes, channels), "stem.b": (channels,)}
    for i in range(spec["blocks"]):
        for j in (1, 2):
            shapes[f"b{i}.w{j}"] = (3, 3, channels, channels)
            shapes[f"b{i}.b{j}"] = (channels,)
    pc, vc, hidden = spec["policy_channels"], spec["value_channels"], spec["value_hidden"]
    shapes.update({"p.w": (1, 1, channels, pc), "p.b": (pc,),
                   "p.fc.w": (pc * area, spec["num_actions"]), "p.fc.b": (spec["num_actions"],),
                   "v.w": (1, 1, channels, vc), "v.b": (vc,),
                   "v.fc1.w": (vc * area, hidden), "v.fc1.b": (hidden,),
                   "v.fc2.w": (hidden, 1), "v.fc2.b": (1,)})
    return shapes


def fold_weights(state: dict, spec: dict, eps: dict[str, float]) -> dict[str, np.ndarray]:
    """A ResNet state_dict as the graph's weights: BatchNorm folded into the convolutions
    (in float64, then float32), filters as RSCF, head Linears reordered to NHWC flattening."""
    _, height, width = spec["input_shape"]

    def conv(conv_name: str, norm_name: str) -> tuple[np.ndarray, np.ndarray]:
        weight = state[conv_name + ".weight"].detach().cpu().double()  # [out, in, kh, kw]
        scale = state[norm_name + ".weight"].detach().cpu().double() / torch.sqrt(
            state[norm_name + ".running_var"].detach().cpu().double() + eps.get(norm_name, 1e-5))
        bias = state[norm_name + ".bias"].detach().cpu().double() - state[norm_name + ".running_mean"].detach().cpu().double() * scale
        folded = (weight * scale[:, None, None, None]).permute(2, 3, 1, 0)
        return folded.float().contiguous().numpy(), bias.float().contiguous().numpy()

    def head_linear(name: str, channels: int) -> np.ndarray:
        weight = state[name].detach().cpu().float()  # [out, channels * H * W], NCHW order
        out = weight.shape[0]
        return weight.reshape(out, channels, height, width).permute(2, 3, 1, 0).reshape(-1, out).contiguous().numpy()

    def vector(name: str) -> np.ndarray:
        return state[name].detach().cpu().float().contiguous().numpy()

    weights = {}
    weights["stem.w"], weights["stem.b"] = conv("stem.0", "stem.1")
    for i in range(spec["blocks"]):
        for j in (1, 2):
            weights[f"b{i}.w{j}"], weights[f"b{i}.b{j}"] = conv(f"blocks.{i}.conv{j}", f"blocks.{i}.norm{j}")
    weights["p.w"], weights["p.b"] = conv("policy_head.0", "policy_head.1")
    weights["p.fc.w"] = head_linear("policy_head.4.weight", spec["policy_channels"])
    weights["p.fc.b"] = vector("policy_head.4.bias")
    weights["v.w"], weights["v.b"] = conv("value_head.0", "value_head.1")
    weights["v.fc1.w"] = head_linear("value_head.4.weight", spec["value_channels"])
    weights["v.fc1.b"] = vector("value_head.4.bias")
    weights["v.fc2.w"] = state["value_head.6.weight"].detach().cpu().float().t().contiguous().numpy()
    weights["v.fc2.b"] = vector("value_head.6.bias")
    shapes = _weight_shapes(spec)
    for name, array in weights.items():
        if array.shape != shapes[name]:
            raise ValueError(f"weight {name}: shape {array.shape}, the graph expects {shapes[name]}")
    return weights


def build_graph(spec: dict):
    """The ResNet as a MAX graph with a symbolic batch dimension. Only in a process that
    makes no session with `num_threads` (see the module notes): `_export_mef` runs it."""
    from max.dtype import DType
    from max.graph import DeviceRef, Graph, TensorType, Weight, ops

    planes, height, width = spec["input_shape"]
    device = DeviceRef.CPU()
    shapes = _weight_shapes(spec)

    def weight(name: str):
        return Weight(name, DType.float32, shapes[name], device)

    def conv(x, name: str, padding: int):  # conv + folded BatchNorm bias, NHWC / RSCF
        return ops.conv2d(x, weight(name + ".w"), padding=(padding,) * 4, bias=weight(name + ".b"))

    input_type = TensorType(DType.float32, ("batch", planes, height, width), device=device)
    with Graph("pyzero_resnet", input_types=[input_type]) as graph:
        x = ops.permute(graph.inputs[0].tensor, [0, 2, 3, 1])
        x = ops.relu(conv(x, "stem", 1))
        for i in range(spec["blocks"]):
            y = ops.relu(ops.conv2d(x, weight(f"b{i}.w1"), padding=(1, 1, 1, 1), bias=weight(f"b{i}.b1")))
            y = ops.conv2d(y, weight(f"b{i}.w2"), padding=(1, 1, 1, 1), bias=weight(f"b{i}.b2"))
            x = ops.relu(x + y)
        policy = ops.flatten(ops.relu(conv(x, "p", 0)), 1)
        logits = ops.matmul(policy, weight("p.fc.w")) + weight("p.fc.b")
        value = ops.flatten(ops.relu(conv(x, "v", 0)), 1)
        value = ops.relu(ops.matmul(value, weight("v.fc1.w")) + weight("v.fc1.b"))
        value = ops.tanh(ops.matmul(value, weight("v.fc2.w")) + weight("v.fc2.b"))
        graph.output(logits, ops.squeeze(value, -1))
    return graph


def _export_mef(spec: dict, path: Path) -> None:
    """Compiles the graph for `spec` and writes it to `path` (in a subprocess's own process)."""
    from max.driver import CPU
    from max.engine import InferenceSession

    session = InferenceSession(devices=[CPU()])
    compiled = session.compile(build_graph(spec))
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    compiled.export_mef(temporary)
    os.replace(temporary, path)


def _max_version() -> str:
    try:
        from importlib.metadata import version
        return version("max")
    except Exception:  # noqa: BLE001
        return "unknown"


def compiled_model_path(spec: dict, cache_dir: str | os.PathLike | None = None) -> Path:
    """The MEF for `spec`, compiled in a subprocess unless already cached."""
    directory = Path(cache_dir or os.environ.get("PYZERO_MAX_CACHE", Path.home() / ".cache" / "pyzero" / "max"))
    key = hashlib.sha256(json.dumps([spec, _max_version()], sort_keys=True).encode()).hexdigest()[:20]
    path = directory / f"resnet-{key}.mef"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([sys.executable, os.path.abspath(__file__), "--export", json.dumps(spec), str(path)],
                                capture_output=True, text=True)
        if result.returncode != 0 or not path.exists():
            raise RuntimeError(f"MAX compilation failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    return path


def _session(threads: int):
    """The process's one InferenceSession, made with `threads` threads the first time."""
    global _SESSION, _SESSION_ANCHOR
    with _SESSION_LOCK:
        if _SESSION is None:
            from max._core.engine import InferenceSession as NativeSession
            from max.driver import CPU
            from max.engine import InferenceSession

            _SESSION_ANCHOR = NativeSession([], [], threads)  # before CPU(): fixes its thread count
            _SESSION = (InferenceSession(devices=[CPU()], num_threads=threads), threads)
        return _SESSION


class MaxBackend:
    """A pyzero.model.network.ResNet run by MAX on the CPU, with TorchBackend's interface.

    `MaxBackend(model, options=None, cache_dir=None)`: compiles (or finds cached) the graph
    for the model's shape now; makes the session and binds the weights at the first batch.
    Threads: `options.cpu_threads`, or when 0 torch's intra-op thread count at the first
    batch (what `configure_cpu_threads` set), fixed for the process from then on."""

    def __init__(self, model: torch.nn.Module, options=None, cache_dir: str | os.PathLike | None = None):
        from pyzero.config import InferenceSection

        self.options = options or InferenceSection()
        if torch.device(self.options.device).type != "cpu":
            raise ValueError("MaxBackend runs on the CPU only")
        if self.options.precision != "float32":
            raise ValueError("MaxBackend computes in float32 only")
        self.device = torch.device("cpu")
        self.spec = _network_spec(model)
        self._eps = _batch_norm_eps(model)
        self._mef_path = compiled_model_path(self.spec, cache_dir)
        self._lock = threading.Lock()
        self._pending_weights: dict[str, np.ndarray] | None = fold_weights(model.state_dict(), self.spec, self._eps)
        self._weights: dict[str, np.ndarray] | None = None  # kept alive while the model may alias them
        self._compiled = None
        self._model = None
        self.threads: int | None = None

    @property
    def pin_memory(self) -> bool:
        return False

    def load_state_dict(self, state: dict) -> None:
        """New weights (a ResNet state_dict), applied before the next batch (never during one)."""
        weights = fold_weights(state, self.spec, self._eps)
        with self._lock:
            self._pending_weights = weights

    def _bind_pending_weights(self) -> None:
        with self._lock:
            weights, self._pending_weights = self._pending_weights, None
        if weights is None:
            return
        if self._compiled is None:
            from max.engine import api

            session, self.threads = _session(self.options.cpu_threads or torch.get_num_threads())
            self._session = session
            self._compiled = api.read(self._mef_path)
        self._model = self._session.init(self._compiled, weights_registry=weights)
        self._weights = weights

    def evaluate_into(self, inputs: torch.Tensor, logits_out: torch.Tensor, values_out: torch.Tensor) -> None:
        """Evaluates `inputs` [B, C, H, W] (float32, CPU), writing logits [B, A] and values [B]."""
        self._bind_pending_weights()
        if inputs.dtype != torch.float32:
            inputs = inputs.float()
        logits, values = self._model.execute(inputs.contiguous())  # input read in place (DLPack)
        logits_out.copy_(torch.from_dlpack(logits))
        values_out.copy_(torch.from_dlpack(values))


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--export":
    _export_mef(json.loads(sys.argv[2]), Path(sys.argv[3]))
