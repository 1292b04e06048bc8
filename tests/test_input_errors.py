"""What a user gives a command (a config file, `--set` options, `--seconds`, a PTN file)
fails with one clear error line naming where the problem is (the file and line, or the
`--set` option), a non-zero exit code and no traceback; and a `train` that fails so
creates and changes no file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyzero.config import ConfigError, load_config

REPOSITORY = Path(__file__).resolve().parents[1]
TICTACTOE = REPOSITORY / "configs" / "tictactoe.yaml"


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its contents, to see that nothing changed."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def run_pyzero(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyzero", *arguments], capture_output=True, text=True,
                          errors="replace", cwd=cwd, timeout=300)


def assert_one_error_line(finished: subprocess.CompletedProcess, *named: str) -> str:
    """The command failed with exit 2 and printed one `error:` line naming each of `named`."""
    assert finished.returncode == 2, finished.stderr
    assert "Traceback" not in finished.stderr, finished.stderr
    error_lines = [line for line in finished.stderr.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(error_lines) == 1, finished.stderr
    for text in named:
        assert text in error_lines[0], finished.stderr
    return error_lines[0]


# ---------------------------------------------------------------------- config files

def test_a_config_that_is_not_utf8_names_the_file_and_line(tmp_path):
    path = write_bytes(tmp_path, "latin1.yaml", b"game:\n  name: tictactoe\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"^{path}:3:6: the file is not UTF-8 text"):
        load_config(path)


@pytest.mark.parametrize("text, line, key", [
    ("game:\n  name: tictactoe\nnetwork:\n  blocks: 1\n  blocks: 2\n", 5, "network.blocks"),
    ("game:\n  name: tictactoe\nnetwork:\n  blocks: 1\nnetwork:\n  channels: 8\n", 5, "network"),
    ("game: {name: tictactoe, name: connect4}\n", 1, "game.name"),
])
def test_duplicate_keys_are_refused_naming_the_line_and_the_key(tmp_path, text, line, key):
    path = write_bytes(tmp_path, "twice.yaml", text.encode())
    with pytest.raises(ConfigError, match=rf"^{path}:{line}: key '{key}' is given twice \(first at line \d+\)"):
        load_config(path)


def test_invalid_yaml_is_one_line_naming_the_file_and_line(tmp_path):
    path = write_bytes(tmp_path, "broken.yaml", b"game:\n  name: tictactoe\nnetwork: {blocks: 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:") and "invalid YAML" in message and "\n" not in message


# ---------------------------------------------------------------------- --set

@pytest.mark.parametrize("overrides, named", [
    ({"nokey": 1}, "--set nokey"),
    ({"network.chanels": 8}, "--set network.chanels"),
    ({"network.blocks": -1}, "--set network.blocks"),
    ({"game": 5}, "--set game"),
    ({"game.name.first": 5}, "--set game.name.first"),
])
def test_override_errors_name_the_set_option_not_the_file(overrides, named):
    with pytest.raises(ConfigError) as raised:
        load_config(TICTACTOE, overrides)
    message = str(raised.value)
    assert named in message and "tictactoe.yaml" not in message


def test_a_config_locates_its_overridden_keys_at_their_set_option():
    """Checks made after loading (the trainer's, `upgrade.from_run`) name the option too."""
    config = load_config(TICTACTOE, {"upgrade.from_run": "nowhere", "network": {"blocks": 1}})
    assert config.location("upgrade", "from_run") == "--set upgrade.from_run"
    assert config.location("network", "channels") == "--set network"
    simulations_line = next(number for number, line in enumerate(TICTACTOE.read_text().splitlines(), start=1)
                            if line.strip().startswith("simulations:"))  # search's, the file's first
    assert config.location("search", "simulations") == f"{TICTACTOE}:{simulations_line}"


def test_an_override_of_game_options_is_blamed_on_the_set_option():
    from pyzero.config import make_game_from_config

    config = load_config(TICTACTOE, {"game.options.bogus": 1})
    with pytest.raises(ConfigError, match=r"--set game.options.bogus.*bogus") as raised:
        make_game_from_config(config)
    assert "tictactoe.yaml" not in str(raised.value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 1e300])
def test_game_options_beyond_the_numbers_the_engine_reads_are_refused_as_given(value):
    """The engine would read them as some other whole number, and name that one."""
    from pyzero.games import make

    with pytest.raises(ValueError, match=r"option 'size' must be a finite number .* got " + re.escape(repr(value))):
        make("tak", size=value)


@pytest.mark.parametrize("item, named", [
    ("network={", "network={"),
    ("network={blocks: 1, blocks: 2}", "given twice"),
    ("a..b=1", "empty"),
])
def test_set_values_that_are_not_yaml_are_refused(item, named):
    import click

    from pyzero.cli.common import parse_overrides

    with pytest.raises(click.BadParameter) as raised:
        parse_overrides((item,))
    assert named in raised.value.format_message() and "\n" not in raised.value.format_message()


@pytest.mark.parametrize("arguments, named", [
    (["--set", "network={"], ["--set", "network={"]),
    (["--set", "nokey=1"], ["--set nokey", "unknown key"]),
    (["--set", "inference.device=nonsense"], ["--set inference.device", "nonsense"]),
    (["--set", "game.options.bogus=1"], ["--set game.options.bogus"]),
    (["--set", "inference.device=cuda:99"], ["--set inference.device", "not on this machine"]),
    (["--set", "training.device=cuda:99"], ["--set training.device", "not on this machine"]),
    (["--set", "run_dir=a-file/run"], ["--set run_dir", "a-file is a file"]),
    (["--seconds", "-5"], ["--seconds", "-5"]),
    (["--seconds", "0"], ["--seconds"]),
], ids=["yaml", "unknown-key", "device", "game-option", "absent-inference-device", "absent-training-device",
        "run-directory-in-a-file", "negative-seconds", "zero-seconds"])
def test_train_fails_on_bad_options_with_one_line_and_writes_nothing(tmp_path, arguments, named):
    config = tmp_path / "tictactoe.yaml"
    config.write_bytes(TICTACTOE.read_bytes())
    (tmp_path / "a-file").write_text("not a folder\n")
    before = files_under(tmp_path)
    finished = run_pyzero("train", str(config), "--no-dashboard", *arguments, cwd=tmp_path)
    line = assert_one_error_line(finished, *named)
    assert "tictactoe.yaml" not in line
    assert files_under(tmp_path) == before


def test_train_fails_on_a_non_utf8_config_naming_it(tmp_path):
    config = write_bytes(tmp_path, "latin1.yaml", b"# caf\xe9\ngame:\n  name: tictactoe\n")
    finished = run_pyzero("train", str(config), "--no-dashboard", cwd=tmp_path)
    assert_one_error_line(finished, f"{config}:1:6", "not UTF-8")
    assert not (tmp_path / "runs").exists()


def test_train_fails_on_duplicate_keys_naming_the_line_and_key(tmp_path):
    config = write_bytes(tmp_path, "twice.yaml", b"game:\n  name: tictactoe\ntraining:\n  steps: 1\n  steps: 2\n")
    finished = run_pyzero("train", str(config), "--no-dashboard", cwd=tmp_path)
    assert_one_error_line(finished, f"{config}:5", "training.steps")
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------------- PTN and other game files

def test_a_ptn_file_that_is_not_utf8_names_the_file(tmp_path):
    from pyzero.games.ptn import PtnError, read_ptn_file

    path = write_bytes(tmp_path, "game.ptn", b'[Size "5"]\n1. a\xff1 e5\n')
    with pytest.raises(PtnError, match=rf"^{path}:2:5: the file is not UTF-8 text"):
        read_ptn_file(path)


def test_replay_of_a_non_utf8_ptn_file_is_one_error_line(tmp_path):
    path = write_bytes(tmp_path, "game.ptn", b'[Size "5"]\n1. a1 e5 {caf\xe9}\n')
    finished = run_pyzero("replay", str(path), cwd=REPOSITORY)
    assert_one_error_line(finished, f"{path}:2", "not UTF-8")


@pytest.mark.parametrize("game_name, options", [("tak", {"size": 5}), ("chess", {}), ("connect4", {})])
def test_game_records_that_are_not_utf8_name_the_file(tmp_path, game_name, options):
    from pyzero.games import make
    from pyzero.play.game_record import GameRecordError, read_game_record

    path = write_bytes(tmp_path, "game.txt", b"1. \xff\n")
    with pytest.raises(GameRecordError, match=rf"^{path}:1:4: the file is not UTF-8 text"):
        read_game_record(make(game_name, **options), path)


@pytest.mark.parametrize("tags", ['[TPS " "]', '[TPS ""]\n[Size " "]', '[Size "x"]', '[Size "1e400"]'])
def test_ptn_tags_without_a_usable_size_are_ptn_errors(tags):
    from pyzero.games.ptn import PtnError, parse_ptn, replay

    with pytest.raises(PtnError, match=r"^game.ptn:1: "):
        replay(parse_ptn(tags + "\n1. a1\n", "game.ptn")[0])
