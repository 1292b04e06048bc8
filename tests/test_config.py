"""Config validation: every error names the file, the line, the key and the reason."""

import pytest

from pyzero.config import ConfigError, load_config

REPOSITORY_CONFIGS = ["tictactoe", "connect4", "tak", "tak5", "connect4-6x64", "connect4-64m-gpu"]


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


def test_inherit_takes_a_list_merged_in_order(tmp_path):
    write(tmp_path, "base.yaml", "game:\n  name: connect4\nnetwork:\n  blocks: 4\n  channels: 32\n")
    write(tmp_path, "wide.yaml", "network:\n  channels: 128\n  value_hidden: 256\n")
    write(tmp_path, "deep.yaml", "network:\n  blocks: 10\n  channels: 96\n")
    both = write(tmp_path, "both.yaml", "inherit: [base.yaml, wide.yaml, deep.yaml]\nnetwork:\n  value_hidden: 64\n")
    network = load_config(both).network
    assert (network.blocks, network.channels, network.value_hidden) == (10, 96, 64)
    bad = write(tmp_path, "bad.yaml", "inherit: [base.yaml, 3]\n")
    with pytest.raises(ConfigError, match=rf"{bad}:1: key 'inherit': must be a path to another config or a list"):
        load_config(bad)


def test_the_mixed_precision_of_older_run_directories_still_reads(tmp_path):
    """Run directories written before training.precision hold training.mixed_precision."""
    for old, precision in (("true", "auto"), ("false", "float32")):
        path = write(tmp_path, "config.yaml", f"game:\n  name: connect4\ntraining:\n  mixed_precision: {old}\n")
        assert load_config(path).training.precision == precision
    path = write(tmp_path, "config.yaml", "game:\n  name: connect4\ntraining:\n  mixed_precision: sometimes\n")
    with pytest.raises(ConfigError, match=rf"{path}:4: key 'training.mixed_precision': unknown key"):
        load_config(path)


@pytest.mark.parametrize("text,expected", [("true", True), ("false", False), ("auto", "auto")])
def test_compile_is_true_false_or_auto(tmp_path, text, expected):
    path = write(tmp_path, "c.yaml", f"game:\n  name: connect4\ntraining:\n  compile: {text}\n"
                 f"inference:\n  compile: {text}\n")
    config = load_config(path)
    assert config.training.compile == expected and config.inference.compile == expected
    with pytest.raises(ConfigError, match="key 'training.compile'"):
        load_config(path, {"training.compile": "sometimes"})
