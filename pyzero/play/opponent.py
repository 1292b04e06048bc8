"""The engine `pyzero play` plays against: from a run config, or a bare game name.

A config gives its game, network shape and Gumbel options, and its run directory's latest
checkpoint (or `checkpoint`; the bundled network of its game while the run has none). A
bare game name (`tictactoe`, `tak` with options) means the bundled network of that game,
or an untrained network of the default shape where none ships, never a checkpoint found
lying in `runs/`. An untrained network's weights come from torch's generator, seeded with
`seed`, so the same seed gives the same opponent.
"""

from __future__ import annotations

from pathlib import Path

import torch

from pyzero.config import RunConfig, load_config, shipped_config, shipped_config_names
from pyzero.networks import NetworkChoice, choose_network
from pyzero.players.network_player import NetworkPlayer, SearchLimits


def is_config_path(target: str) -> bool:
    """A config file (rather than a game name)."""
    return target.endswith((".yaml", ".yml")) or Path(target).is_file()


def build_play_engine(target: str, checkpoint: str | Path | None = None, limits: SearchLimits | None = None,
                      seed: int = 0, game_options: dict[str, float] | None = None) -> NetworkPlayer:
    """The engine for `target`: a config (a path, or the name of a config pyzero ships)
    plays its run's latest checkpoint, else the bundled network of its game, else an
    untrained one; a game name plays the bundled network of the game and `game_options`
    (the network's own options fill in the rest), else an untrained one. `checkpoint`
    overrides either. Raises `ConfigError` for a bad config, `FileNotFoundError` for a
    missing checkpoint, `ValueError` for a bad game."""
    torch.manual_seed(seed)  # an untrained network's weights: the same every time for a seed
    from pyzero.games import GAME_NAMES, make

    if is_config_path(target) or (target not in GAME_NAMES and shipped_config(target) is not None):
        if game_options:
            raise ValueError("game options apply to a bare game name; a config sets game.options")
        return NetworkPlayer.from_choice(choose_network(load_config(target), checkpoint), limits, seed)
    if target not in GAME_NAMES:
        raise ValueError(f"{target!r} is neither a config file nor a game name ({', '.join(GAME_NAMES)}); "
                         f"configs pyzero ships: {', '.join(shipped_config_names())}")
    make(target, **(game_options or {}))  # a bad option is named here, without a config path
    config = RunConfig.model_validate({"game": {"name": target, "options": dict(game_options or {})}})
    return NetworkPlayer.from_choice(choose_network(config, checkpoint, look_in_run=False), limits, seed)


def untrained_engine(config: RunConfig, limits: SearchLimits | None = None, seed: int = 0) -> NetworkPlayer:
    """An engine with a freshly initialised network of the config's shape (no checkpoint),
    initialised from `seed`, so the same seed plays the same moves."""
    return NetworkPlayer.from_choice(NetworkChoice(config, "untrained"), limits, seed)
