"""Run configurations: YAML files that name the game and everything a run needs.

Errors name the file, the line and the key. This is the part the foundation needs (the
game section); the training issue extends the schema with network, search, self-play,
replay, optimiser and checkpoint sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pyzero.games import GAME_NAMES

KNOWN_TOP_LEVEL_KEYS = {"game"}
KNOWN_GAME_KEYS = {"name", "options"}


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says where and why."""


@dataclass
class GameConfig:
    name: str
    options: dict[str, float] = field(default_factory=dict)


@dataclass
class RunConfig:
    path: Path
    game: GameConfig


def _line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _mapping_node_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): _line_of(value) for key, value in node.value}


def load_config(path: str | Path) -> RunConfig:
    """Reads and validates a run configuration."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    text = path.read_text()
    try:
        root_node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping with a 'game' section")
    lines = _mapping_node_lines(root_node)

    def fail(key: str, reason: str, line: int | None = None) -> ConfigError:
        return ConfigError(f"{path}:{line or lines.get(key.split('.')[0], 1)}: key '{key}': {reason}")

    for key in data:
        if key not in KNOWN_TOP_LEVEL_KEYS:
            raise fail(str(key), f"unknown key (known: {', '.join(sorted(KNOWN_TOP_LEVEL_KEYS))})")
    if "game" not in data:
        raise ConfigError(f"{path}:1: missing the 'game' section")
    game = data["game"]
    if not isinstance(game, dict):
        raise fail("game", "must be a mapping with 'name' and optional 'options'")
    game_node = next(value for key, value in root_node.value if key.value == "game")
    game_lines = _mapping_node_lines(game_node)
    for key in game:
        if key not in KNOWN_GAME_KEYS:
            raise fail(f"game.{key}", "unknown key (known: name, options)", game_lines.get(str(key)))
    name = game.get("name")
    if name not in GAME_NAMES:
        raise fail("game.name", f"unknown game {name!r} (known: {', '.join(GAME_NAMES)})", game_lines.get("name"))
    options = game.get("options") or {}
    if not isinstance(options, dict):
        raise fail("game.options", "must be a mapping of option names to numbers", game_lines.get("options"))
    for key, value in options.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"game.options.{key}", f"must be a number, got {value!r}", game_lines.get("options"))
    return RunConfig(path=path, game=GameConfig(name=name, options={k: float(v) for k, v in options.items()}))


def make_game_from_config(config: RunConfig) -> Any:
    """The `Game` a config names, with the config's path in any option error."""
    from pyzero.games import make

    try:
        return make(config.game.name, **config.game.options)
    except ValueError as error:
        raise ConfigError(f"{config.path}: key 'game.options': {error}") from None
