"""What `pyzero serve` offers the page: the games, the run's checkpoints, and the engines.

`ServeTarget.load(CONFIG|RUN_DIR)` reads the run config (a config file or the name of one
pyzero ships, or a run directory's own `config.yaml` snapshot, with the run directory set
to it). The config's game plays with the run's checkpoints (the bundled network of the
game while the run has none); every other game the project has (TicTacToe, Connect4, Tak
3..8, chess) plays its bundled network where one ships, else an untrained network (the
default shape; chess: `configs/chess.yaml`'s smaller one), and the page says which.

Checkpoints are offered by file name (`step-000000250.pt`) from the run's checkpoint
folder, listed afresh on every request; the page sends a name back and the server looks
it up in that list, so no path the page sends is ever opened.

Engines are built once per (game, checkpoint) and shared by the tabs. One network behind
one inference backend serves one search at a time here, so each engine has one worker
thread with a bounded queue (`ServedEngine.searches`): the tabs' engine moves and
analysis rounds for it wait their turn there, never on threads other games' tabs need.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from pyzero.config import RunConfig, load_config, shipped_config, shipped_config_names
from pyzero.games import Game, make
from pyzero.model.checkpoint import list_checkpoints
from pyzero.play.board_view import game_description
from pyzero.networks import NetworkChoice, choose_network
from pyzero.players.network_player import NetworkPlayer
from pyzero.web.work_queues import BoundedWorkQueue

# Tak sizes the page offers beside the config's game (the rules support 3 to 8).
TAK_SIZES = range(3, 9)
# The untrained chess network has `configs/chess.yaml`'s shape, not the default 6x64: chess
# searches are slow on a CPU and this is the shape the chess config trains. Written out
# here because configs/ is not installed with the package; a test keeps the two equal.
CHESS_UNTRAINED_SECTIONS = {"network": {"blocks": 4, "channels": 32}, "inference": {"max_policy_length": 256}}
# Engines kept built at once; more (many games and checkpoints tried) evicts the oldest.
MAX_CACHED_ENGINES = 6
CONFIG_GAME_KEY = "run"  # the config's own game, the one its checkpoints were trained for
# Searches (engine moves, analysis rounds) waiting for one engine at most: a tab has at
# most one of each at a time, so this is how many tabs can wait for one engine at once.
MAX_WAITING_SEARCHES_PER_ENGINE = 64


class UnknownChoiceError(ValueError):
    """A game or checkpoint name the server did not offer; the message lists the offered ones."""


@dataclass(frozen=True)
class GameChoice:
    """One game on the page's list: a key the page sends back, a label, the game's options."""

    key: str
    label: str
    name: str
    options: dict[str, float] = field(default_factory=dict)
    trained: bool = False  # the run config's game: its checkpoints apply
    # Config sections (network shape...) for the untrained network when not `trained`.
    untrained_sections: dict[str, dict] = field(default_factory=dict)

    def make_game(self) -> Game:
        return make(self.name, **self.options)


@dataclass
class ServeTarget:
    """The run config being served and where its checkpoints are."""

    config: RunConfig
    checkpoint_directory: Path

    @classmethod
    def load(cls, target: str | Path) -> "ServeTarget":
        """A config file or name, or a run directory holding `config.yaml`; raises
        `ConfigError` or `FileNotFoundError`."""
        path = Path(target)
        if path.is_dir():
            snapshot = path / "config.yaml"
            if not snapshot.is_file():
                raise FileNotFoundError(f"{path}: a run directory holds config.yaml; this one has none")
            config = load_config(snapshot, {"run_dir": str(path)})
        elif path.is_file() or shipped_config(str(target)) is not None:
            config = load_config(path)  # a file, or the name of a config pyzero ships
        else:
            raise FileNotFoundError(f"{path}: no such config file or run directory, nor a config pyzero ships "
                                    f"({', '.join(shipped_config_names())})")
        return cls(config, config.run_directory() / "checkpoints")

    def checkpoints(self) -> dict[str, Path]:
        """{file name: path} of the run's checkpoints, oldest first (listed now)."""
        return {path.name: path for path in list_checkpoints(self.checkpoint_directory)}

    def game_choices(self) -> list[GameChoice]:
        """The run's game first, then each other game with its default options."""
        config_game = self.config.game
        run_choice = GameChoice(CONFIG_GAME_KEY, f"{game_description(make(config_game.name, **config_game.options))}"
                                f" (this run's game)", config_game.name, dict(config_game.options), trained=True)
        choices = [run_choice]
        others = [GameChoice("tictactoe", "tictactoe", "tictactoe"), GameChoice("connect4", "connect4", "connect4")]
        others += [GameChoice(f"tak{size}", f"tak {size}x{size}", "tak", {"size": float(size)}) for size in TAK_SIZES]
        others.append(GameChoice("chess", "chess", "chess", untrained_sections=CHESS_UNTRAINED_SECTIONS))
        for choice in others:
            if (choice.name, choice.options) != (run_choice.name, run_choice.options):
                choices.append(choice)
        return choices

    def game_choice(self, key: str) -> GameChoice:
        for choice in self.game_choices():
            if choice.key == key:
                return choice
        known = ", ".join(choice.key for choice in self.game_choices())
        raise UnknownChoiceError(f"unknown game {key[:40]!r}; this server offers: {known}")


def played_engine(choice: NetworkChoice, seed: int) -> NetworkPlayer:
    """The engine of a network choice (the one place the server builds engines)."""
    return NetworkPlayer.from_choice(choice, seed=seed)


def engine_search_queue() -> BoundedWorkQueue:
    """The queue of one engine's searches: one worker thread, one search at a time."""
    return BoundedWorkQueue("search", workers=1, max_waiting=MAX_WAITING_SEARCHES_PER_ENGINE)


@dataclass
class ServedEngine:
    """An engine, how the page names it, the worker its searches run on, and the lock
    each search holds (the network and its cache serve one search at a time)."""

    engine: NetworkPlayer
    label: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    searches: BoundedWorkQueue = field(default_factory=engine_search_queue)


class EngineProvider:
    """Builds and keeps the engines the tabs play against."""

    def __init__(self, target: ServeTarget, seed: int = 0):
        self.target = target
        self.seed = seed
        self._engines: OrderedDict[tuple[str, str], ServedEngine] = OrderedDict()
        self._lock = threading.Lock()

    def engine_for(self, choice: GameChoice, checkpoint: str = "") -> ServedEngine:
        """The engine for `choice`: with checkpoint `checkpoint` (a name from `checkpoints()`,
        "" for the latest) for the run's game, untrained for the others. Raises
        `UnknownChoiceError` for a name not offered, `CheckpointError` for a broken file."""
        if not choice.trained:
            checkpoint = ""
        path: Path | None = None
        if checkpoint:
            available = self.target.checkpoints()
            if checkpoint not in available:
                offered = ", ".join(available) or "none: the run has no checkpoint yet"
                raise UnknownChoiceError(f"unknown checkpoint {checkpoint[:60]!r}; this run has: {offered}")
            path = available[checkpoint]
        key = (choice.key, checkpoint)
        with self._lock:  # one build at a time: two tabs asking at once share it
            if key in self._engines:
                self._engines.move_to_end(key)
                return self._engines[key]
            served = self._build(choice, path)
            self._engines[key] = served
            while len(self._engines) > MAX_CACHED_ENGINES:
                self._engines.popitem(last=False)
            return served

    def _build(self, choice: GameChoice, path: Path | None) -> ServedEngine:
        if choice.trained:
            network = choose_network(self.target.config, path)
            engine = played_engine(network, self.seed)
            if network.bundled is not None:
                label = f"{network.bundled.describe()}; the run has no checkpoint yet"
            elif engine.checkpoint is None:
                label = f"untrained network (no checkpoint in {self.target.checkpoint_directory})"
            else:
                label = f"{engine.name} ({engine.checkpoint.name})"
            return ServedEngine(engine, label)
        config = RunConfig.model_validate({"game": {"name": choice.name, "options": choice.options},
                                           **choice.untrained_sections})
        network = choose_network(config, look_in_run=False)
        engine = played_engine(network, self.seed)
        if network.bundled is not None:
            return ServedEngine(engine, network.bundled.describe())
        return ServedEngine(engine, f"untrained network (no checkpoints for {choice.label}: only {self.run_label()}; "
                                    "no bundled network)")

    def run_label(self) -> str:
        return self.target.game_choices()[0].label.replace(" (this run's game)", "")
