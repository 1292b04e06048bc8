"""Config validation: every error names the file, the line, the key and the reason."""

import pytest

from pyzero.config import ConfigError, load_config

REPOSITORY_CONFIGS = ["tictactoe", "connect4", "tak", "tak5"]


@pytest.mark.parametrize("name", REPOSITORY_CONFIGS)
def test_shipped_configs_are_valid(name):
    config = load_config(f"configs/{name}.yaml")
    assert config.game.name in name


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unknown_key_wrong_type_and_out_of_range(tmp_path):
    path = write(tmp_path, "bad.yaml", "game:\n  name: connect4\nnetwork:\n  blocks: 2\n  chanels: 16\n")
    with pytest.raises(ConfigError, match=rf"{path}:5: key 'network.chanels': unknown key"):
        load_config(path)
    path = write(tmp_path, "bad.yaml", "game:\n  name: connect4\nsearch:\n  simulations: lots\n")
    with pytest.raises(ConfigError, match=rf"{path}:4: key 'search.simulations': .*integer"):
        load_config(path)
    path = write(tmp_path, "bad.yaml", "game:\n  name: connect4\nselfplay:\n  timeout_ms: 500\n")
    with pytest.raises(ConfigError, match=rf"{path}:4: key 'selfplay.timeout_ms': .*less than or equal to 100"):
        load_config(path)
    path = write(tmp_path, "bad.yaml", "game:\n  name: go\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: key 'game.name': .*'tictactoe'"):
        load_config(path)
    path = write(tmp_path, "bad.yaml", "network:\n  blocks: 2\n")
    with pytest.raises(ConfigError, match=rf"key 'game': required key is missing"):
        load_config(path)


def test_inherit_overrides_and_reports_the_right_file(tmp_path):
    base = write(tmp_path, "base.yaml", "game:\n  name: connect4\nnetwork:\n  blocks: 4\n  channels: 32\n")
    bigger = write(tmp_path, "bigger.yaml", "inherit: base.yaml\nnetwork:\n  channels: 128\n")
    config = load_config(bigger)
    assert (config.game.name, config.network.blocks, config.network.channels) == ("connect4", 4, 128)
    broken = write(tmp_path, "broken.yaml", "inherit: base.yaml\nnetwork:\n  channels: -1\n")
    with pytest.raises(ConfigError, match=rf"{broken}:3: key 'network.channels'"):
        load_config(broken)
    write(tmp_path, "a.yaml", "inherit: b.yaml\n")
    write(tmp_path, "b.yaml", "inherit: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(tmp_path / "a.yaml")


def test_overrides_are_validated_too():
    config = load_config("configs/tictactoe.yaml", {"training.steps": 7})
    assert config.training.steps == 7
    with pytest.raises(ConfigError, match="training.steps"):
        load_config("configs/tictactoe.yaml", {"training.steps": 0})
