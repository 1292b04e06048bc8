"""Arena players from short specifications.

    random            uniform random moves
    mcts:400          plain MCTS (uniform priors) with one random rollout per leaf, 400 simulations
    minimax           exact play (TicTacToe-sized games only)
    alphabeta:3       alpha-beta to depth 3 with a hand-written evaluation (Tak only);
                      alphabeta:3:0.5 also stops each move after 0.5 s;
                      alphabeta-simple:3 the first yardstick's simpler evaluation
    latest            the run's newest checkpoint
    step-3000 | 3000  the run's checkpoint at learner step 3000
    PATH.safetensors  a checkpoint file (of a run with the same network config), or a
                      network file (`pyzero export`; it names its own network)
    bundled           the bundled network of the config's game and options (`pyzero
                      networks`); bundled:NAME one by name
    latest?search.play=graph&search.graph.threads=2
                      any network player with config overrides (dotted keys, YAML values,
                      as `--set`), e.g. the same network with two searches side by side
    tei:COMMAND ...   an external engine speaking TEI (Tak), e.g. "tei:tiltak --tei"
    uci:COMMAND ...   an external engine speaking UCI (chess), with options after `?`
                      separated by `&`, e.g. "uci:stockfish?Skill Level=0&Threads=1"

Names: an external engine (`tei:`, `uci:`) is named by its spec as written, shortened
where long (paths to their last part, then the middle cut), not by the `id name` it
answers: two settings of one engine (`tei:tiltak -depth 2`, `tei:tiltak -depth 3`) are
two players, and the results keep the `id name` beside (`PlayerStanding.engine`, the
table's `engine` column). Other players keep their own
names (`random`, `mcts400`, `step-3000`); players whose names meet are made unique with
` #2`, ` #3`..., except a network player that is the same checkpoint with the same
settings as one before it (`latest` and the run's last checkpoint), which plays once.

Network players search for `simulations` per move, or for `move_seconds` when given, or
on a game clock (`pyzero.arena.clock`, the arena's `--time`): with the config's
`search.play`, by default (auto) the graph search when timed and Gumbel MCTS (no noise)
for a number of simulations. A match between two network players with the same
simulations, no time limit and the tree search runs through the batched self-play
pipeline.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from pyzero.games import Game
from pyzero.players.alphabeta import ALPHABETA_FORM, AlphaBetaPlayer, parse_alphabeta_spec
from pyzero.players.baselines import MinimaxPlayer, RandomPlayer, RolloutMctsPlayer
from pyzero.model import checkpoint_step, find_checkpoint, list_checkpoints, load_network
from pyzero.players.network_player import NetworkPlayer, SearchLimits


class PlayerSpecError(ValueError):
    """A player specification that names nothing usable."""


MAX_PLAYER_NAME_LENGTH = 40  # a name for the results table; longer specs are shortened
EXTERNAL_ENGINE_PREFIXES = ("tei:", "uci:")
NAME_ELISION = "…"


def is_external_engine_spec(spec: str) -> bool:
    return spec.strip().startswith(EXTERNAL_ENGINE_PREFIXES)


def _last_path_part(word: str) -> str:
    """A word that is a path (`/usr/games/stockfish`) as its last part; options and other
    words as they are."""
    if "/" in word and not word.startswith("-") and word.rstrip("/"):
        return word.rstrip("/").rsplit("/", 1)[-1]
    return word


def shortened_spec(spec: str, limit: int = MAX_PLAYER_NAME_LENGTH) -> str:
    """A spec as a player's name: whitespace collapsed; for an external engine, paths in
    its command shortened to their last part; then, beyond `limit` characters, the middle
    cut out (the program and the last options, which tell settings apart, stay)."""
    text = " ".join(spec.split())
    if is_external_engine_spec(text):
        prefix, rest = text[:4], text[4:]
        command, question, options = rest.partition("?")
        text = prefix + " ".join(_last_path_part(word) for word in command.split()) + question + options
    if len(text) <= limit:
        return text
    head = (limit - len(NAME_ELISION)) // 2
    tail = limit - len(NAME_ELISION) - head
    return text[:head] + NAME_ELISION + text[-tail:]


def unique_name(name: str, taken: list[str]) -> str:
    """`name`, or `name #2`, `name #3`... when it is `taken` already."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} #{number}"
    return candidate


def unique_names(names: list[str]) -> list[str]:
    """`names` with each repeat made unique by ` #2`, ` #3`... (the first keeps its name)."""
    unique: list[str] = []
    for name in names:
        unique.append(unique_name(name, unique))
    return unique


def player_display_names(specs: list[str]) -> list[str]:
    """The name each spec's player gets when it is named by its spec (external engines):
    shortened (`shortened_spec`) and unique."""
    return unique_names([shortened_spec(spec) for spec in specs])


def is_same_network(player, other) -> bool:
    """Whether two players are one network player: the same checkpoint, settings and name
    (`latest` and the last of `--checkpoints`)."""
    return (isinstance(player, NetworkPlayer) and isinstance(other, NetworkPlayer) and player.name == other.name
            and getattr(player, "checkpoint", None) == getattr(other, "checkpoint", None))


def checkpoint_player_specs(run_directory: Path, every: int = 1) -> list[str]:
    """Specs of the run's checkpoints, oldest first (every `every`-th, always the last)."""
    paths = list_checkpoints(run_directory / "checkpoints")
    chosen = paths[::every]
    if paths and paths[-1] not in chosen:
        chosen.append(paths[-1])
    return [str(path) for path in chosen]


def make_player(spec: str, config, game: Game, simulations: int, tei_move_seconds: float = 1.0,
                move_seconds: float | None = None, name: str | None = None):
    """The player a spec names (see the module docstring). An external engine is named
    `name`, else by its spec (`shortened_spec`), never by its `id name`."""
    text = spec.strip()
    if text == "random":
        return RandomPlayer()
    if text == "minimax":
        if game.name != "tictactoe":
            raise PlayerSpecError(f"player {spec!r}: minimax is only available for tictactoe")
        return MinimaxPlayer(game)
    if text.startswith("alphabeta"):
        return _alphabeta_player(spec, text, game)
    if text.startswith("mcts"):
        budget = text.partition(":")[2] or "200"
        if not budget.isdigit() or int(budget) < 1:
            raise PlayerSpecError(f"player {spec!r}: expected mcts:SIMULATIONS, e.g. mcts:400")
        return RolloutMctsPlayer(int(budget))
    if text.startswith("tei:"):
        command = shlex.split(text[4:])
        if not command:
            raise PlayerSpecError(f"player {spec!r}: expected tei:COMMAND")
        from pyzero.engines.tei import TeiEngine

        return TeiEngine(command, movetime_ms=max(1, int(tei_move_seconds * 1000)),
                         name=name or shortened_spec(text))
    if text.startswith("uci:"):
        return _uci_player(spec, text, tei_move_seconds, name or shortened_spec(text))
    return _network_player(text, config, game, simulations, move_seconds)


def _uci_player(spec: str, text: str, move_seconds: float, name: str):
    """`uci:COMMAND[?NAME=VALUE&NAME=VALUE]`: option names may hold spaces (`Skill Level`)."""
    command_text, _, options_text = text[4:].partition("?")
    command = shlex.split(command_text)
    if not command:
        raise PlayerSpecError(f"player {spec!r}: expected uci:COMMAND[?NAME=VALUE&...]")
    options = _spec_options(spec, options_text, "NAME=VALUE")
    from pyzero.engines.uci import UciEngine

    return UciEngine(command, options=options, movetime_ms=max(1, int(move_seconds * 1000)), name=name)


def _alphabeta_player(spec: str, text: str, game: Game) -> AlphaBetaPlayer:
    try:
        parsed = parse_alphabeta_spec(text)
    except ValueError:
        raise PlayerSpecError(f"player {spec!r}: {ALPHABETA_FORM}") from None
    if game.name != "tak":
        raise PlayerSpecError(f"player {spec!r}: alphabeta is only available for tak (it has a Tak evaluation)")
    return AlphaBetaPlayer(parsed.depth, seconds=parsed.seconds, evaluation=parsed.evaluation)


def _spec_options(spec: str, options_text: str, form: str) -> dict[str, str]:
    """The `NAME=VALUE&NAME=VALUE` part of a spec after `?`, names and values stripped."""
    options = {}
    for pair in filter(None, options_text.split("&")):
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise PlayerSpecError(f"player {spec!r}: option {pair!r} is not {form}")
        options[name.strip()] = value.strip()
    return options


def _player_config(spec: str, config, options_text: str):
    """The run config with a player's `?KEY=VALUE&...` overrides applied (validated as
    the config is: an unknown key or a bad value names the player and the key)."""
    import yaml

    from pyzero.config import ConfigError, load_yaml_value, validate_config, yaml_error_problem

    overrides = {}
    for key, value in _spec_options(spec, options_text, "KEY=VALUE (a dotted config key)").items():
        try:
            overrides[key] = load_yaml_value(value)
        except yaml.YAMLError as error:
            raise PlayerSpecError(f"player {spec!r}: the value of {key!r} is not valid YAML: "
                                  f"{yaml_error_problem(error)}") from None
    try:
        player_config = validate_config(config.snapshot(), overrides, source=f"player {spec!r}")
    except ConfigError as error:
        raise PlayerSpecError(str(error)) from None
    player_config._path, player_config._marks = config._path, getattr(config, "_marks", {})
    return player_config


def _bundled_network(spec: str, text: str, config):
    """The bundled network `bundled` (the config's game's) or `bundled:NAME` names."""
    from pyzero.networks import bundled_network_named, bundled_networks, find_bundled_network

    if text == "bundled":
        found = find_bundled_network(config.game.name, config.game.options)
        if found is None:
            raise PlayerSpecError(f"player {spec!r}: no bundled network plays {config.game.name} with "
                                  f"{config.game.options or 'its default options'} (pyzero networks lists them)")
        return found
    found = bundled_network_named(text.removeprefix("bundled:"))
    if found is None:
        names = ", ".join(network.name for network in bundled_networks()) or "none"
        raise PlayerSpecError(f"player {spec!r}: no bundled network of that name (bundled: {names})")
    if not found.matches(config.game.name, config.game.options) or \
            found.options_with(config.game.options) != {k: float(v) for k, v in config.game.options.items()}:
        raise PlayerSpecError(f"player {spec!r}: {found.name} plays {found.manifest.game.name} "
                              f"{found.manifest.game.options}, not this config's game")
    return found


def _network_player(spec: str, config, game: Game, simulations: int, move_seconds: float | None) -> NetworkPlayer:
    text, _, options_text = spec.partition("?")
    if options_text:
        config = _player_config(spec, config, options_text)
    run_directory = config.run_directory()
    if text == "latest":
        checkpoint: Path | None = run_directory
    elif re.fullmatch(r"(step-)?\d+", text):
        step = int(text.removeprefix("step-"))
        checkpoint = find_checkpoint(run_directory / "checkpoints", step)
        if checkpoint is None:
            available = [checkpoint_step(p) for p in list_checkpoints(run_directory / "checkpoints")]
            raise PlayerSpecError(f"player {text!r}: no checkpoint at step {step} in {run_directory} "
                                  f"(available: {available or 'none'})")
    elif text == "bundled" or text.startswith("bundled:"):
        checkpoint = _bundled_network(spec, text, config).path()
    else:
        checkpoint = Path(text)
        if not checkpoint.exists():
            raise PlayerSpecError(f"player {text!r}: not a baseline (random, mcts:N, minimax, alphabeta:D, tei:..., uci:...), "
                                  "a step of the run or an existing checkpoint file")
    try:
        model, path, step = load_network(config, checkpoint, game)
    except FileNotFoundError as error:
        raise PlayerSpecError(f"player {text!r}: {error}") from error
    except RuntimeError as error:  # state dict of another network shape
        raise PlayerSpecError(f"player {text!r}: the checkpoint does not fit the config's network: {error}") from error
    limits = SearchLimits(seconds=move_seconds) if move_seconds is not None else SearchLimits(simulations=simulations)
    name = f"step-{step}" if step is not None and not text.startswith("bundled") else text
    engine = NetworkPlayer.from_config(config, limits=limits, game=game, model=model,
                                       name=f"{name}?{options_text}" if options_text else name)
    engine.checkpoint, engine.step = path, step
    return engine
