"""The engine `pyzero play` plays against: from a run config, or a bare game name.

A config gives its game, network shape and Gumbel options, and its run directory's latest
checkpoint (or `checkpoint`). A bare game name (`tictactoe`, `tak` with options) means an
untrained network of the default shape, never a checkpoint found lying in `runs/`.
The untrained network's weights come from torch's generator, seeded with `seed`, so the
same seed gives the same opponent.
"""

from __future__ import annotations

from pathlib import Path

import torch

from pyzero.config import RunConfig, load_config, make_game_from_config
from pyzero.model import build_model
from pyzero.players.network_player import NetworkPlayer, SearchLimits


def is_config_path(target: str) -> bool:
    """A config file (rather than a game name)."""
    return target.endswith((".yaml", ".yml")) or Path(target).is_file()


def build_play_engine(target: str, checkpoint: str | Path | None = None, limits: SearchLimits | None = None,
                      seed: int = 0, game_options: dict[str, float] | None = None) -> NetworkPlayer:
    """The engine for `target` (a config path or a game name). Raises `ConfigError` for a bad
    config, `FileNotFoundError` for a missing checkpoint, `ValueError` for a bad game."""
    torch.manual_seed(seed)  # an untrained network's weights: the same every time for a seed
    if is_config_path(target):
        if game_options:
            raise ValueError("game options apply to a bare game name; a config sets game.options")
        return NetworkPlayer.from_config(load_config(target), checkpoint, limits, seed)
    from pyzero.games import GAME_NAMES, make

    if target not in GAME_NAMES:
        raise ValueError(f"{target!r} is neither a config file nor a game name ({', '.join(GAME_NAMES)})")
    make(target, **(game_options or {}))  # a bad option is named here, without a config path
    config = RunConfig.model_validate({"game": {"name": target, "options": dict(game_options or {})}})
    if checkpoint is not None:
        return NetworkPlayer.from_config(config, checkpoint, limits, seed)
    return untrained_engine(config, limits, seed)


def untrained_engine(config: RunConfig, limits: SearchLimits | None = None, seed: int = 0) -> NetworkPlayer:
    """An engine with a freshly initialised network of the config's shape (no checkpoint),
    initialised from `seed` (torch's global random state is left as it was), so the same
    seed plays the same moves: an untrained opponent's replies can be reproduced."""
    game = make_game_from_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(config, game)
    return NetworkPlayer.from_config(config, limits=limits, seed=seed, name="untrained", game=game, model=model)
