"""ONNX Runtime: the PyTorch model exported with `torch.onnx.export`, run by an ONNX Runtime
session (CPU execution provider; CUDA's when `device` is cuda and ONNX Runtime has it).

Needs the `onnx` extra (`pip install pyzero[onnx]`: onnxruntime, onnx, onnxscript). The
export uses torch's dynamo exporter (the default of `torch.onnx.export` since torch 2.9),
with a dynamic batch dimension, so one session serves every batch size.

The graph is exported once per architecture, BatchNorm folded into the convolutions first
(torch.fx), so new weights (`load_state_dict`) only replace the graph's initializers by
name and make a new session (tens of ms, not the seconds of an export). The exported
template is kept in the process and on disk (`template_directory()`), keyed by the
architecture and the exporter's versions: an export costs 2-5 s on a 2-core CPU, and
every command (play, TEI, the arena, each in-run evaluation) would otherwise pay it. That happens on the caller's
thread (the learner's in a training run); the network thread only swaps the prepared
session in before its next batch, so a batch never runs on half-applied weights.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import torch

from pyzero.config import InferenceSection
from pyzero.inference.backend import MissingBackendError

LOG = logging.getLogger(__name__)

# Bump when the template's construction changes, so templates on disk from before are not used.
TEMPLATE_FORMAT = "pyzero-onnx-template-2"

MISSING_PACKAGES = ("inference.backend: onnxruntime needs the packages onnxruntime, onnx and onnxscript: "
                    "pip install 'pyzero[onnx]'")


def onnxruntime_available() -> bool:
    """Whether the packages this backend needs are installed (without importing them)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("onnxruntime", "onnx", "onnxscript"))


def export_onnx(model: torch.nn.Module, input_shape: tuple[int, ...]):
    """The model (on the CPU, in eval mode) as an ONNX ModelProto with a dynamic batch
    dimension: input `planes` [B, C, H, W], outputs `logits` [B, A] and `values` [B]."""
    example = torch.zeros((2, *input_shape))  # 2, not 1: torch.export specializes sizes 0 and 1
    with warnings.catch_warnings(), torch.no_grad(), _quiet_exporter():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (example,), input_names=["planes"], output_names=["logits", "values"],
                                    dynamic_shapes=({0: torch.export.Dim("batch", min=1)},), dynamo=True,
                                    verbose=False)
    return program.model_proto


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs a warning per torchvision operator it cannot register, and its
    graph optimizer a dozen INFO lines per export (into a training run's log)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def fused_for_export(model: torch.nn.Module) -> torch.nn.Module:
    """The eval-mode model with every BatchNorm folded into its convolution (torch.fx), so
    each weight of the exported graph is one parameter of this module under the same name
    (the exporter would fold them itself, into weights no state_dict key names). Should
    torch drop this experimental helper, the backend falls back to exporting each time."""
    with warnings.catch_warnings():  # the module imports torch.utils.mkldnn, which uses deprecated torch.jit
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch.fx.experimental.optimization import fuse

    return fuse(model)


def template_directory() -> Path:
    """Where exported templates are kept between processes: `$PYZERO_CACHE_DIR/onnx-templates`,
    else `$XDG_CACHE_HOME/pyzero/onnx-templates` (default `~/.cache/pyzero/...`). A cache
    only: deleting it costs one export per architecture."""
    root = os.environ.get("PYZERO_CACHE_DIR")
    if not root:
        root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "pyzero")
    return Path(root) / "onnx-templates"


def architecture_key(fused: torch.nn.Module, input_shape: tuple[int, ...]) -> str:
    """A digest of everything the exported template depends on: the fused module's
    structure and forward code, its tensors' names, shapes and dtypes, the input shape and
    the versions of torch, onnx and onnxscript (the exporter). Not the weights' values."""
    import onnx
    import onnxscript

    parts = [TEMPLATE_FORMAT, torch.__version__, onnx.__version__, onnxscript.__version__, repr(tuple(input_shape)),
             repr(fused), getattr(fused, "code", "")]
    parts += [f"{name} {tuple(tensor.shape)} {tensor.dtype}" for name, tensor in fused.state_dict().items()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


_TEMPLATES_IN_PROCESS: dict[str, bytes] = {}
_TEMPLATES_LOCK = threading.Lock()  # one export at a time; two backends of one architecture share it


def exported_template(fused: torch.nn.Module, input_shape: tuple[int, ...], refresh: bool = False) -> tuple[bytes, str]:
    """(serialized ONNX template, where it came from: "process", "disk" or "export") for
    the fused module's architecture. The export runs on a copy with random weights, so the
    exporter's optimizer finds no equal or constant tensors to merge or fold away; the
    caller fills in the real weights. `refresh` exports again and replaces what was kept."""
    key = architecture_key(fused, input_shape)
    path = template_directory() / f"{key}.onnx"
    with _TEMPLATES_LOCK:
        if not refresh:
            if key in _TEMPLATES_IN_PROCESS:
                return _TEMPLATES_IN_PROCESS[key], "process"
            try:
                data = path.read_bytes()
                if data:
                    _TEMPLATES_IN_PROCESS[key] = data
                    return data, "disk"
            except OSError:
                pass
        generator = torch.Generator().manual_seed(12345)
        noisy = copy.deepcopy(fused)
        with torch.no_grad():
            for tensor in noisy.state_dict().values():
                if tensor.is_floating_point():
                    tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
        proto = export_onnx(noisy, input_shape)
        _strip_weights(proto, set(fused.state_dict()))
        data = proto.SerializeToString()
        _TEMPLATES_IN_PROCESS[key] = data
        _write_atomically(path, data)
        return data, "export"


def _strip_weights(proto, names: set[str]) -> None:
    """Drops the values of the initializers the module's weights fill (keeping name, type
    and dims): a template is the graph alone, kilobytes, whatever the network's size."""
    for initializer in proto.graph.initializer:
        if initializer.name in names:
            for field in ("raw_data", "float_data", "double_data", "int32_data", "int64_data"):
                initializer.ClearField(field)


def _has_no_values(initializer) -> bool:
    """Whether `_strip_weights` emptied it (a tensor with elements but no data)."""
    elements = 1
    for dim in initializer.dims:
        elements *= dim
    return elements > 0 and not any(len(getattr(initializer, field)) for field in
                                    ("raw_data", "float_data", "double_data", "int32_data", "int64_data"))


def _write_atomically(path: Path, data: bytes) -> None:
    """Whole file or none (a reader in another process never sees half a template); a cache
    that cannot be written (read-only home, full disk) only costs the next process an export."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        LOG.debug("ONNX template not kept on disk (%s): %s", path, error)


class BatchNormFolding:
    """The fused module's weights (`fused_for_export`) computed from a state_dict with
    tensor arithmetic alone: each BatchNorm that follows a convolution folds into it,

        scale = gamma / sqrt(running_var + eps)
        W' = W * scale (per output channel),   b' = (b - running_mean) * scale + beta,

    every other weight passes through. torch.fx traces the model once, here, to pair the
    convolutions with their BatchNorms; publishing new weights then costs a few tensor
    operations instead of a trace and a deep copy (15-60 ms holding the GIL, measured on
    Connect4's 4x32, which the network thread then waited for). `matches` checks this
    against torch.fx's own fusion of the same model."""

    def __init__(self, model: torch.nn.Module, fused: torch.nn.Module | None = None):
        """`fused`: `fused_for_export(model)` when the caller has it already (a fusion deep-
        copies the model)."""
        fused = fused if fused is not None else fused_for_export(model)
        modules = dict(model.named_modules())
        graph = torch.fx.symbolic_trace(model).graph
        self.pairs: dict[str, str] = {}  # convolution name -> the BatchNorm folded into it
        for node in graph.nodes:
            if node.op != "call_module" or not isinstance(modules.get(node.target), torch.nn.BatchNorm2d):
                continue
            source = node.args[0]
            if (isinstance(source, torch.fx.Node) and source.op == "call_module"
                    and isinstance(modules.get(source.target), torch.nn.Conv2d) and len(source.users) == 1):
                self.pairs[source.target] = node.target
        self.epsilons = {name: modules[name].eps for name in self.pairs.values()}
        self.names = list(fused.state_dict())

    def __call__(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        folded = {}
        with torch.no_grad():
            for name in self.names:
                module, _, leaf = name.rpartition(".")
                norm = self.pairs.get(module)
                if norm is None:
                    folded[name] = state[name]
                    continue
                scale = state[f"{norm}.weight"] / torch.sqrt(state[f"{norm}.running_var"] + self.epsilons[norm])
                if leaf == "weight":
                    folded[name] = state[name] * scale.reshape(-1, *([1] * (state[name].dim() - 1)))
                else:  # the bias the fused convolution gets (zero where the convolution had none)
                    bias = state.get(name, torch.zeros_like(scale))
                    folded[name] = (bias - state[f"{norm}.running_mean"]) * scale + state[f"{norm}.bias"]
        return folded

    def matches(self, model: torch.nn.Module, fused: torch.nn.Module | None = None) -> bool:
        """Whether this folding equals torch.fx's fusion of `model` (`fused`, when given),
        float rounding aside."""
        expected = (fused if fused is not None else fused_for_export(model)).state_dict()
        got = self(model.state_dict())
        return set(got) == set(expected) and all(
            torch.allclose(got[name].float(), expected[name].float(), rtol=1e-5, atol=1e-6) for name in expected)


class _WeightTemplate:
    """The graph exported once per architecture (`exported_template`); new weights replace
    its initializers by name (tens of ms) instead of a new export (seconds). Each backend
    holds its own copy of the graph, so two backends never write the same initializers."""

    def __init__(self, fused: torch.nn.Module, input_shape: tuple[int, ...], refresh: bool = False):
        """`fused`: the model as `fused_for_export` makes it."""
        import onnx

        data, self.source = exported_template(fused, input_shape, refresh=refresh)
        try:
            self._read(onnx, data, fused)
        except Exception:
            if self.source == "export":
                raise
            # A kept template that does not parse or does not fit (a damaged or foreign file).
            LOG.warning("the kept ONNX template of this network is unusable; exporting it again")
            data, self.source = exported_template(fused, input_shape, refresh=True)
            self._read(onnx, data, fused)

    def _read(self, onnx, data: bytes, fused: torch.nn.Module) -> None:
        self.proto = onnx.ModelProto.FromString(data)
        self.initializers = {initializer.name: initializer for initializer in self.proto.graph.initializer}
        weights = fused.state_dict()
        for name, tensor in weights.items():
            initializer = self.initializers.get(name)
            if initializer is None or tuple(initializer.dims) != tuple(tensor.shape):
                raise ValueError(f"exported graph has no initializer {name} {tuple(tensor.shape)}")
        unfilled = [name for name, initializer in self.initializers.items()
                    if name not in weights and _has_no_values(initializer)]
        if unfilled:  # a template of another network, with weights this one cannot fill
            raise ValueError(f"exported graph has weights the network does not have: {unfilled[:3]}")

    def with_weights(self, weights: dict[str, torch.Tensor]) -> bytes:
        """The serialized graph with the fused module's `weights` (`BatchNormFolding`). The
        template drops them again afterwards, so a backend holds the network's weights twice
        (its model and its session), not four times."""
        from onnx import numpy_helper

        for name, tensor in weights.items():
            array = tensor.detach().to("cpu").contiguous().numpy()
            self.initializers[name].CopyFrom(numpy_helper.from_array(array, name))
        try:
            return self.proto.SerializeToString()
        finally:
            _strip_weights(self.proto, set(weights))


def _return_freed_memory() -> None:
    """Hands memory freed by the export and the session build back to the system (glibc's
    malloc_trim; nothing elsewhere). Building a session copies the weights three times in
    small protobuf and ONNX Runtime allocations; freed, they stayed resident in malloc's
    arenas: 8x8 Tak's network (34 M parameters) left 1.1 GB resident after one backend,
    0.6 GB after this (measured), which matters for a TEI engine holding one per size."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


class OnnxRuntimeBackend:
    """A PyTorch model exported to ONNX and run by ONNX Runtime, behind backend.py's interface."""

    name = "onnxruntime"  # inference.backend's name for it

    def __init__(self, model: torch.nn.Module, options: InferenceSection | None = None):
        try:
            import onnxruntime
        except ImportError as error:
            raise MissingBackendError(MISSING_PACKAGES) from error
        self._ort = onnxruntime
        self.options = options or InferenceSection()
        self.device = torch.device(self.options.device)
        if self.device.type not in ("cpu", "cuda"):
            raise ValueError(f"inference.backend onnxruntime runs on cpu or cuda, not {self.options.device!r}")
        self.providers = self._providers()
        # The exporter reads a CPU copy, so the caller's model (maybe the learner's) is never moved.
        self._model = copy.deepcopy(model).to("cpu").eval()
        self._input_shape = tuple(self._input_shape_of(self._model))
        self._threads = self.options.cpu_threads or torch.get_num_threads()
        self._template: _WeightTemplate | None = None
        self._lock = threading.Lock()  # guards the session swap
        self._export_lock = threading.Lock()  # one export at a time (the model copy is shared)
        try:
            try:
                self._use_template(refresh=False)
                usable = self._agrees_with_eager()
            except Exception:
                if self._template is not None and self._template.source == "export":
                    raise
                usable = False
            if not usable:  # a template kept from before that does not fit: export it again
                LOG.warning("the kept ONNX template of this network does not fit it; exporting it again")
                self._use_template(refresh=True)
            if not self._agrees_with_eager():
                raise ValueError("a weight of the exported graph is not where its name says")
        except Exception:  # a model torch.fx cannot trace, or a graph whose weights moved: export each time
            self._template = None
            self._session = self._make_session(self._export(), self._threads)
        self._pending = None

    def _use_template(self, refresh: bool) -> None:
        self._template = None
        fused = fused_for_export(self._model)  # once: each fusion deep-copies the model
        self._folding = BatchNormFolding(self._model, fused)
        if not self._folding.matches(self._model, fused):
            raise ValueError("folding BatchNorm by formula disagrees with torch.fx's fusion")
        self._template = _WeightTemplate(fused, self._input_shape, refresh=refresh)
        del fused
        self._session = self._make_session(self._export(), self._threads)

    def _agrees_with_eager(self) -> bool:
        """The template's session against the model on a probe batch: a weight left at the
        template's random values (a name the exporter reused for a derived tensor) shows."""
        planes = torch.rand((2, *self._input_shape), generator=torch.Generator().manual_seed(0)).round()
        with torch.inference_mode():
            expected = self._model(planes)
        got = self._session.run(("logits", "values"), {"planes": planes.numpy()})
        return all(np.allclose(array, tensor.numpy(), rtol=1e-3, atol=1e-4) for array, tensor in zip(got, expected))

    @staticmethod
    def _input_shape_of(model: torch.nn.Module) -> tuple[int, ...]:
        shape = getattr(model, "shape", None)
        if shape is None or not hasattr(shape, "input_shape"):
            raise ValueError("inference.backend onnxruntime needs a model with a `shape` (NetworkShape) attribute")
        return shape.input_shape

    def _providers(self) -> list:
        if self.device.type == "cuda":
            if "CUDAExecutionProvider" not in self._ort.get_available_providers():
                raise MissingBackendError("inference.device is cuda, but this onnxruntime has no CUDAExecutionProvider "
                                   "(install onnxruntime-gpu)")
            return [("CUDAExecutionProvider", {"device_id": self.device.index or 0}), "CPUExecutionProvider"]
        return ["CPUExecutionProvider"]

    def _make_session(self, model_bytes: bytes, threads: int):
        try:
            return self._new_session(model_bytes, threads)
        finally:
            del model_bytes
            _return_freed_memory()

    def _new_session(self, model_bytes: bytes, threads: int):
        session_options = self._ort.SessionOptions()
        session_options.intra_op_num_threads = max(1, threads)
        session_options.inter_op_num_threads = 1
        session_options.execution_mode = self._ort.ExecutionMode.ORT_SEQUENTIAL
        session_options.graph_optimization_level = self._ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session_options.log_severity_level = 3
        if threads > 1 and not self.options.thread_spinning:
            session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return self._ort.InferenceSession(model_bytes, sess_options=session_options, providers=self.providers)

    def _export(self) -> bytes:
        if self._template is not None:
            return self._template.with_weights(self._folding(self._model.state_dict()))
        return export_onnx(self._model, self._input_shape).SerializeToString()

    @property
    def pin_memory(self) -> bool:
        return False  # ONNX Runtime reads host numpy arrays; it copies to the GPU itself

    @property
    def cpu_threads(self) -> int:
        return self._threads

    def set_cpu_threads(self, threads: int) -> None:
        """Intra-op threads (fixed per ONNX Runtime session): a new session when they change.
        `configure_cpu_threads` and `configure_search_threads` call this, as they set torch's."""
        threads = max(1, int(threads))
        if threads == self._threads:
            return
        with self._export_lock:
            self._threads = threads
            session = self._make_session(self._export(), threads)
        with self._lock:
            self._pending = session

    def load_state_dict(self, state: dict) -> None:
        """New weights, applied before the next batch (never during one). The export and the
        new session are made here, on the caller's thread; the network thread only swaps."""
        with self._export_lock:
            self._model.load_state_dict({key: value.detach().to("cpu") for key, value in state.items()})
            session = self._make_session(self._export(), self._threads)
        with self._lock:
            self._pending = session

    def evaluate_into(self, inputs: torch.Tensor, logits_out: torch.Tensor, values_out: torch.Tensor) -> None:
        with self._lock:
            if self._pending is not None:
                self._session, self._pending = self._pending, None
            session = self._session
        planes = np.ascontiguousarray(inputs.detach().cpu().numpy(), dtype=np.float32)
        logits, values = session.run(("logits", "values"), {"planes": planes})
        logits_out.copy_(torch.from_numpy(logits))
        values_out.copy_(torch.from_numpy(values))
