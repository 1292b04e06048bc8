"""One registration per game: the engine's registry is the only list of games.

mojo/engine_module.mojo has one `register_game[G, "Prefix"](module)` line per game
(mojo/game_registry.mojo); Python's `ENGINE_STATE_TYPES`, `GAME_NAMES`, `make` and the
config's `game.name` check all follow the engine's `registered_games()`.
"""

import re
from pathlib import Path

import pytest

import pyzero.games as games
from pyzero.config import ConfigError, load_config, validate_config
from pyzero.native import load_native

ENGINE_MODULE = Path(__file__).resolve().parents[1] / "mojo" / "engine_module.mojo"


def test_python_registry_equals_the_engines():
    registry = load_native().registered_games()
    assert registry and games.ENGINE_STATE_TYPES == registry
    assert list(games.ENGINE_STATE_TYPES) == list(registry)  # the engine's order
    assert games.GAME_NAMES == tuple(registry) == games.game_names()
    assert set(games.GAME_CLASSES) <= set(registry)


def test_registered_games_returns_a_copy():
    engine = load_native()
    engine.registered_games()["go"] = "GoState"
    assert "go" not in engine.registered_games()
    with pytest.raises(Exception, match="takes no arguments"):
        engine.registered_games("tak")


@pytest.mark.parametrize("name", ["tictactoe", "connect4", "tak", "chess"])
def test_each_game_is_registered_under_its_own_name_with_every_type(name):
    registry = load_native().registered_games()
    state_type = registry[name]
    assert state_type.endswith("State")
    # The name is the one the state itself reports: written once, in the game's Mojo code.
    assert games.make(name).new()._raw.name() == name
    # pyzero/search.py and pyzero/selfplay.py find these by replacing the suffix "State".
    engine = load_native()
    for suffix in ("State", "GumbelSearch", "PuctSearch", "SelfPlay"):
        assert hasattr(engine, state_type.replace("State", suffix)), suffix


def test_engine_module_has_one_registration_line_per_game():
    source = ENGINE_MODULE.read_text()
    lines = re.findall(r"^\s*register_game\[(\w+), \"(\w+)\"\]\(module\)\s*$", source, re.MULTILINE)
    assert [prefix + "State" for _, prefix in lines] == list(load_native().registered_games().values())
    for direct in ("register_game_state_type", "register_search_types", "register_selfplay_type"):
        assert direct not in source, f"{direct} belongs in mojo/game_registry.mojo's register_game"


def test_unknown_game_in_a_config_names_the_file_line_key_and_known_games(tmp_path):
    path = tmp_path / "go.yaml"
    path.write_text("network:\n  blocks: 2\ngame:\n  name: go\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    known = ", ".join(repr(name) for name in load_native().registered_games())
    assert message == f"{path}:4: key 'game.name': unknown game 'go'; known games: {known}"
    with pytest.raises(ConfigError, match=re.escape(f"<command line>: key 'game.name': unknown game 'go'; "
                                                    f"known games: {known}")):
        validate_config({"game": {"name": "tak"}}, {"game.name": "go"})


def test_make_names_the_known_games():
    known = ", ".join(repr(name) for name in load_native().registered_games())
    with pytest.raises(ValueError, match=re.escape(f"unknown game 'go'; known games: {known}")):
        games.make("go")
