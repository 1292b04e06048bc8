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
from pyzero.inference import (MissingBackendError, TorchBackend, configure_cpu_threads, make_backend,
                              resolve_backend_name)
from pyzero.inference.onnx_backend import OnnxRuntimeBackend
from pyzero.model import ExactTestNetwork, NetworkShape
from pyzero.model.network import ResNet
from pyzero.selfplay import SelfPlay, SelfPlayOptions

ATOL = 2e-6
ONNX = InferenceSection(backend="onnxruntime", cpu_threads=1)

NETWORKS = {  # game, its options, blocks, channels, other ResNet options
    "connect4": ("connect4", {}, 4, 32, {}),
    "tak6": ("tak", {"size": 6}, 2, 16, {}),
    "tak5-wdl": ("tak", {"size": 5}, 1, 16, {"value_head": "wdl"}),  # the value is W - L of a softmax
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
    game_name, options, blocks, channels, network_options = NETWORKS[request.param]
    game = make(game_name, **options)
    torch.manual_seed(0)
    network = randomised(ResNet(NetworkShape.of_game(game), blocks=blocks, channels=channels, **network_options),
                         seed=1)
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
    other = randomised(ResNet(network.shape, blocks=len(network.blocks), channels=network.stem[0].out_channels,
                              value_head=network.value_head_kind), seed=2)
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


def test_sleeping_onnx_threads_get_every_core_and_torch_what_the_workers_leave(exported, monkeypatch):
    import os

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    _, _, backend = exported
    options = backend.options
    try:
        backend.options = options.model_copy(update={"cpu_threads": 0, "thread_spinning": False})
        torch_threads = configure_cpu_threads([backend], search_workers=1)
        cores = len(os.sched_getaffinity(0))
        assert backend.cpu_threads == cores
        assert torch_threads == torch.get_num_threads() == max(1, cores - 1)
        backend.options = options.model_copy(update={"cpu_threads": 0, "thread_spinning": True})
        assert configure_cpu_threads([backend], search_workers=1) == backend.cpu_threads == max(1, cores - 1)
        monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Ray gives an actor with num_cpus=1
        backend.options = options.model_copy(update={"cpu_threads": 0, "thread_spinning": False})
        assert configure_cpu_threads([backend], search_workers=1) == backend.cpu_threads == 1
    finally:
        backend.options = options
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


def test_auto_picks_onnxruntime_on_a_cpu_where_it_is_installed_and_torch_otherwise(monkeypatch):
    """The table of `resolve_backend_name` (kept honest by `pyzero bench`, which names the
    fastest backend of its run): the test extra installs onnxruntime, so auto on the CPU is
    onnxruntime; torch.compile and other devices are torch's; without the package, torch."""
    import pyzero.inference.onnx_backend as onnx_backend

    default = InferenceSection()
    assert default.backend == "auto"
    assert resolve_backend_name(default) == "onnxruntime"
    assert resolve_backend_name(InferenceSection(compile=True)) == "torch"
    assert resolve_backend_name(InferenceSection(device="cuda")) == "torch"
    assert resolve_backend_name(InferenceSection(backend="torch")) == "torch"
    game = make("tictactoe")
    assert make_backend(ExactTestNetwork(NetworkShape.of_game(game)), default).name == "onnxruntime"
    monkeypatch.setattr(onnx_backend, "onnxruntime_available", lambda: False)
    assert resolve_backend_name(default) == "torch"
    assert make_backend(ExactTestNetwork(NetworkShape.of_game(game)), default).name == "torch"


class ShapelessNetwork(torch.nn.Module):
    """A network without the `shape` attribute the exporter needs."""

    def __init__(self, num_actions: int):
        super().__init__()
        self.linear = torch.nn.Linear(9 * 3, num_actions + 1)

    def forward(self, planes):
        out = self.linear(planes.flatten(1))
        return out[:, :-1], torch.tanh(out[:, -1])


def test_auto_falls_back_to_torch_for_a_network_onnx_cannot_take(caplog):
    network = ShapelessNetwork(9).eval()
    with caplog.at_level("WARNING", logger="pyzero.inference"):
        backend = make_backend(network, InferenceSection())
    assert backend.name == "torch"
    assert "ONNX Runtime could not take this network" in caplog.text
    with pytest.raises(ValueError, match="shape"):  # named outright, the error stands
        make_backend(network, ONNX)


@pytest.fixture
def fresh_template_cache(tmp_path, monkeypatch):
    """An empty template folder and an empty in-process store; counts the exports."""
    import pyzero.inference.onnx_backend as onnx_backend

    monkeypatch.setenv("PYZERO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(onnx_backend, "_TEMPLATES_IN_PROCESS", {})
    exports = []
    real_export = onnx_backend.export_onnx

    def counting_export(model, input_shape):
        exports.append(input_shape)
        return real_export(model, input_shape)

    monkeypatch.setattr(onnx_backend, "export_onnx", counting_export)
    return onnx_backend, tmp_path / "onnx-templates", exports


def test_the_graph_is_exported_once_per_architecture_and_kept_on_disk(fresh_template_cache, monkeypatch):
    onnx_backend, folder, exports = fresh_template_cache
    game = make("tictactoe")
    first = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=8), seed=8)
    second = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=8), seed=9)  # same shape, other weights
    backend_first = make_backend(first, ONNX)
    assert backend_first._template.source == "export" and len(exports) == 1
    backend_second = make_backend(second, ONNX)
    assert backend_second._template.source == "process" and len(exports) == 1
    assert_matches_eager(game, first, backend_first, 7)
    assert_matches_eager(game, second, backend_second, 7)
    monkeypatch.setattr(onnx_backend, "_TEMPLATES_IN_PROCESS", {})  # as a new process would start
    from_disk = make_backend(second, ONNX)
    assert from_disk._template.source == "disk" and len(exports) == 1
    assert_matches_eager(game, second, from_disk, 7)
    wider = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=16), seed=10)
    assert make_backend(wider, ONNX)._template.source == "export" and len(exports) == 2
    assert len(list(folder.glob("*.onnx"))) == 2 and not list(folder.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["garbage", "another_architecture"])
def test_a_damaged_template_on_disk_is_exported_again(fresh_template_cache, monkeypatch, damage):
    onnx_backend, folder, exports = fresh_template_cache
    game = make("tictactoe")
    network = randomised(ResNet(NetworkShape.of_game(game), blocks=1, channels=8), seed=11)
    make_backend(network, ONNX)
    other = randomised(ResNet(NetworkShape.of_game(game), blocks=2, channels=8), seed=12)
    make_backend(other, ONNX)
    def kept_file(model):
        return folder / f"{onnx_backend.architecture_key(onnx_backend.fused_for_export(model), game.input_shape)}.onnx"

    target, foreign = kept_file(network), kept_file(other)
    assert target.exists() and foreign.exists() and target != foreign
    target.write_bytes(b"not an onnx file" if damage == "garbage" else foreign.read_bytes())
    monkeypatch.setattr(onnx_backend, "_TEMPLATES_IN_PROCESS", {})
    backend = make_backend(network, ONNX)
    assert backend._template is not None and backend._template.source == "export" and len(exports) == 3
    assert_matches_eager(game, network, backend, 7)
    assert target.read_bytes() != foreign.read_bytes()  # repaired on disk


def test_folding_batchnorm_by_formula_equals_torch_fx_fusion():
    """New weights are folded with tensor arithmetic (`BatchNormFolding`), not by tracing the
    model again; torch.fx's own fusion of the same weights is the second implementation."""
    from pyzero.inference.onnx_backend import BatchNormFolding, fused_for_export

    game = make("tak", size=5)
    network = randomised(ResNet(NetworkShape.of_game(game), blocks=2, channels=8), seed=13)
    folding = BatchNormFolding(network)
    assert len(folding.pairs) == 2 * 2 + 1 + 2  # two per block, the stem, the policy and value heads
    other = randomised(ResNet(NetworkShape.of_game(game), blocks=2, channels=8), seed=14)
    expected = fused_for_export(other).state_dict()
    got = folding(other.state_dict())
    assert set(got) == set(expected)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-5, atol=1e-6, msg=name)
