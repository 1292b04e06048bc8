"""The optional MAX backend (needs `pip install max`; reported as skipped without it)."""

import pytest
import torch

max_engine = pytest.importorskip("max", reason="Modular MAX is an optional backend: pip install max")

from pyzero.config import InferenceSection  # noqa: E402
from pyzero.inference import TorchBackend, make_backend  # noqa: E402
from pyzero.model import NetworkShape, ResNet  # noqa: E402


def test_max_matches_torch_and_takes_new_weights(tmp_path):
    torch.manual_seed(0)
    shape = NetworkShape((3, 6, 7), 7)
    model = ResNet(shape, blocks=2, channels=16).eval()
    for module in model.modules():  # non-trivial batch-norm statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    backends = [TorchBackend(model), make_backend(model, InferenceSection(backend="max", cpu_threads=1))]
    planes = torch.rand(32, *shape.input_shape).round()
    outputs = []
    for backend in backends:
        logits, values = torch.empty(32, 7), torch.empty(32)
        backend.evaluate_into(planes, logits, values)
        outputs.append((logits, values))
    torch.testing.assert_close(outputs[0][0], outputs[1][0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(outputs[0][1], outputs[1][1], atol=1e-4, rtol=1e-4)
