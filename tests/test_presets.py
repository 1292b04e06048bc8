"""Network presets (configs/presets/): each builds, on the meta device (shapes only, no
memory), with the parameter count a hand count of the architecture gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pyzero.config import NetworkSection, load_config, make_game_from_config
from pyzero.model import build_model

REPOSITORY = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPOSITORY / "configs/presets").glob("network-*.yaml"))


def hand_count(network: NetworkSection, planes: int, height: int, width: int, actions: int) -> int:
    """Parameters of the ResNet counted from its description: 3x3 convolutions without bias,
    batch norms (a scale and a shift per channel), 1x1 head convolutions, linear layers."""
    channels, board = network.channels, height * width
    stem = planes * channels * 9 + 2 * channels
    block = 2 * (channels * channels * 9 + 2 * channels)
    policy = channels * network.policy_channels + 2 * network.policy_channels \
        + network.policy_channels * board * actions + actions
    value = channels * network.value_channels + 2 * network.value_channels \
        + network.value_channels * board * network.value_hidden + network.value_hidden + network.value_hidden + 1
    return stem + network.blocks * block + policy + value


def preset_config(tmp_path: Path, preset: Path, game_config: str = "connect4.yaml"):
    path = tmp_path / f"with-{preset.name}"
    path.write_text(f"inherit: [{REPOSITORY / 'configs' / game_config}, {preset}]\n")
    return load_config(path)


def test_there_are_presets_up_to_about_64_million_parameters():
    assert [preset.stem for preset in PRESETS] == ["network-10x128", "network-15x192", "network-20x256",
                                                   "network-24x384", "network-6x64"]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda path: path.stem)
def test_a_preset_builds_on_the_meta_device_with_the_hand_counted_parameters(preset, tmp_path):
    config = preset_config(tmp_path, preset)
    blocks, channels = (int(part) for part in preset.stem.removeprefix("network-").split("x"))
    assert (config.network.blocks, config.network.channels) == (blocks, channels)
    assert config.game.name == "connect4" and config.selfplay.games == 256  # the rest is connect4.yaml's
    game = make_game_from_config(config)
    with torch.device("meta"):
        model = build_model(config, game)
    assert all(parameter.is_meta for parameter in model.parameters())  # nothing allocated
    counted = sum(parameter.numel() for parameter in model.parameters())
    assert counted == hand_count(config.network, *game.input_shape, game.num_actions)
    with torch.device("meta"):  # and it runs: the shapes fit the game's
        logits, values = model(torch.empty(2, *game.input_shape))
    assert logits.shape == (2, game.num_actions) and values.shape == (2,)


def test_the_largest_preset_has_about_64_million_parameters(tmp_path):
    counts = {}
    for preset in PRESETS:
        config = preset_config(tmp_path, preset)
        game = make_game_from_config(config)
        counts[preset.stem] = hand_count(config.network, *game.input_shape, game.num_actions)
    assert sorted(counts, key=counts.get) == ["network-6x64", "network-10x128", "network-15x192", "network-20x256",
                                              "network-24x384"]
    assert 60e6 <= counts["network-24x384"] <= 66e6
    # The header of each preset states its Connect4 count.
    for preset in PRESETS:
        stated = preset.read_text().splitlines()[0].split(", ")[1].split(" M ")[0]
        assert counts[preset.stem] / 1e6 == pytest.approx(float(stated), rel=0.05), preset.name
