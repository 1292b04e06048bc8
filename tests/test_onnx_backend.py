"""The ONNX Runtime backend (pyzero/inference/onnx_backend.py) against PyTorch eager.

The test extra installs onnxruntime, onnx and onnxscript, so nothing here skips.

Tolerance: float32 with BatchNorm folded into the convolutions and other kernels sums in
another order, so outputs differ from eager by rounding only. Measured (these networks,
batches 1, 7 and 128, 20 random inputs each, BatchNorm statistics randomised): at most
3.6e-7 on logits of magnitude below 1 and 1.1e-7 on values. ATOL is about 5x that.
"""

from __future__ import annotations

import pytest
import torch

from pyzero.config import InferenceSection, RunConfig
from pyzero.games import make
from pyzero.inference import MissingBackendError, TorchBackend, configure_cpu_threads, make_backend
from pyzero.inference.onnx_backend import OnnxRuntimeBackend
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.model.network import ResNet
from pyzero.selfplay import SelfPlay, SelfPlayOptions

ATOL = 2e-6
ONNX = InferenceSection(backend="onnxruntime", cpu_threads=1)

NETWORKS = {  # game, its options, blocks, channels
    "connect4": ("connect4", {}, 4, 32),
    "tak6": ("tak", {"size": 6}, 2, 16),
}


def randomised(network: ResNet, seed: int) -> ResNet:
    """BatchNorm statistics and affine parameters away from their identity initialisation,
    so folding them into the convolutions is tested with values that matter."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                for tensor, low, high in ((module.running_mean, -0.5, 0.5), (module.running_var, 0.5, 1.5),
                                          (module.weight, 0.5, 1.5), (module.bias, -0.2, 0.2)):
                    tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)
    return network.eval()


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def exported(request):
    """(game, eager network, its ONNX Runtime backend): one export per network."""
    game_name, options, blocks, channels = NETWORKS[request.param]
    game = make(game_name, **options)
    torch.manual_seed(0)
    network = randomised(ResNet(NetworkShape.of_game(game), blocks=blocks, channels=channels), seed=1)
    return game, network, make_backend(network, ONNX)


def evaluate(backend, planes: torch.Tensor, num_actions: int):
    logits, values = torch.empty(len(planes), num_actions), torch.empty(len(planes))
    backend.evaluate_into(planes, logits, values)
    return logits, values


def assert_matches_eager(game, network, backend, batch_size: int, seed: int = 0) -> None:
    generator = torch.Generator().manual_seed(seed)
    planes = torch.rand((batch_size, *game.input_shape), generator=generator).round()
    logits, values = evaluate(backend, planes, game.num_actions)
    with torch.inference_mode():
        expected_logits, expected_values = network(planes)
    torch.testing.assert_close(logits, expected_logits, atol=ATOL, rtol=0)
    torch.testing.assert_close(values, expected_values, atol=ATOL, rtol=0)


@pytest.mark.parametrize("batch_size", [1, 7, 128])
def test_outputs_match_pytorch_eager(exported, batch_size):
    game, network, backend = exported
    assert isinstance(backend, OnnxRuntimeBackend)
    assert_matches_eager(game, network, backend, batch_size, seed=batch_size)


def test_new_weights_take_effect_on_the_next_batch(exported):
    game, network, backend = exported
    planes = torch.rand((5, *game.input_shape), generator=torch.Generator().manual_seed(3)).round()
    before_logits, _ = evaluate(backend, planes, game.num_actions)
    other = randomised(ResNet(network.shape, blocks=len(network.blocks), channels=network.stem[0].out_channels),
                       seed=2)
    backend.load_state_dict(other.state_dict())
    assert_matches_eager(game, other, backend, 7)
    assert not torch.allclose(before_logits, evaluate(backend, planes, game.num_actions)[0])
    backend.load_state_dict(network.state_dict())  # the module's other tests use the first weights
    assert_matches_eager(game, network, backend, 7)


def test_thread_count_follows_configure_cpu_threads(exported):
    _, _, backend = exported
    try:
        assert configure_cpu_threads([backend], search_workers=1) == backend.cpu_threads
        backend.set_cpu_threads(2)
        assert backend.cpu_threads == 2
    finally:
        backend.set_cpu_threads(1)


def test_selfplay_plays_the_same_games_as_with_pytorch():
    """The exact test network has integer weights over 0/1 planes, so ONNX Runtime's
    outputs equal PyTorch's bit for bit and the pipeline must play the same games."""
    game = make("connect4")
    network = ExactTestNetwork(NetworkShape.of_game(game), seed=3)
    options = SelfPlayOptions(games=6, workers=1, batch_size=8, simulations=16, seed=5, cache_entries=0)
    played = {}
    for name, backend in (("torch", TorchBackend(network)), ("onnxruntime", make_backend(network, ONNX))):
        finished = SelfPlay(game, [backend], options).run(games=6)
        assert len(finished) >= 6
        played[name] = {int(finished.game(index)["game_id"]): finished.game(index)["actions"].tolist()
                        for index in range(len(finished))}
    common = sorted(set(played["torch"]) & set(played["onnxruntime"]))
    assert len(common) >= 3
    for game_id in common:
        assert played["onnxruntime"][game_id] == played["torch"][game_id], f"game {game_id}"


def test_the_config_accepts_onnxruntime():
    config = RunConfig.model_validate({"game": {"name": "connect4"}, "inference": {"backend": "onnxruntime"}})
    assert config.inference.backend == "onnxruntime"


def test_a_missing_package_is_a_clear_error(monkeypatch):
    import pyzero.inference.onnx_backend as onnx_backend

    monkeypatch.setattr(onnx_backend, "onnxruntime_available", lambda: False)
    game = make("tictactoe")
    with pytest.raises(MissingBackendError, match=r"pip install 'pyzero\[onnx\]'"):
        make_backend(ExactTestNetwork(NetworkShape.of_game(game)), ONNX)


def test_a_template_that_disagrees_with_eager_falls_back_to_exporting(monkeypatch):
    """The self-check at construction: weights the template failed to replace (here: none
    replaced at all) make the backend export every time instead of answering wrongly, as
    it does when torch.fx cannot fold the model; new weights then take a full export."""
    import pyzero.inference.onnx_backend as onnx_backend

    monkeypatch.setattr(onnx_backend._WeightTemplate, "with_weights", lambda self, model: self.proto.SerializeToString())
    game = make("tictactoe")
    network = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=8), seed=6)
    backend = make_backend(network, ONNX)
    assert backend._template is None
    assert_matches_eager(game, network, backend, 7)
    other = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=8), seed=7)
    backend.load_state_dict(other.state_dict())
    assert_matches_eager(game, other, backend, 7)
