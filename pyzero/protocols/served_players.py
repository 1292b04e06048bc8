"""Which network plays which Tak board size and komi in the TEI server.

A network is trained for one game: a board size (its input planes and its policy have
that size) and a komi (a network trained with komi 2 has learnt values that are wrong
under komi 0, even though the komi input plane would accept it). So:

- the server's own size and komi get its engine (the config's run's latest or the given
  checkpoint; else the bundled network of that game; else an untrained network);
- another size or komi gets the bundled network of that size and komi (`pyzero
  networks`) where one ships, and an `info string` says which;
- else, when the server's own network is not a trained run's, an untrained network of
  the config's shape built for that game (the `info string` says so): GUIs can still run
  the engine on any board;
- else (a trained run's network, nothing bundled for the game) the game is refused
  (`UnsupportedGameError`, the message names what the network was trained for): an
  untrained stand-in under the trained name would mislead.

Sizes are 3..8 (the engine's Tak), half-komi any integer the GUI sends within
`HALF_KOMI_RANGE` (komi in flats is half of it).

The alpha-beta yardstick (`pyzero tei CONFIG --player alphabeta:D`) has no network, so
`AlphaBetaPool` plays every size and komi with the same search.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyzero.networks import bundled_networks, choose_network
from pyzero.players.network_player import NetworkPlayer

BOARD_SIZES = range(3, 9)
HALF_KOMI_RANGE = range(-20, 21)  # komi -10 .. 10 flats; tournaments use 0 .. 4 half-flats
# Tak options that depend on the board size: dropped when playing another size, so
# the engine's defaults for that size apply.
SIZE_DEPENDENT_OPTIONS = ("size", "komi", "flats", "caps")


class UnsupportedGameError(ValueError):
    """A board size or komi this server cannot play; the message says why."""


@dataclass(frozen=True)
class GameSetup:
    """A Tak game as TEI names it: the board size and the komi in half flats."""

    size: int
    half_komi: int

    def describe(self) -> str:
        return f"size {self.size} with half-komi {self.half_komi}"


def check_setup(setup: GameSetup) -> None:
    """Raises `UnsupportedGameError` for a size or komi outside what this engine's Tak plays."""
    if setup.size not in BOARD_SIZES:
        raise UnsupportedGameError(f"board size {setup.size} is not Tak's (sizes 3 to 8)")
    if setup.half_komi not in HALF_KOMI_RANGE:
        raise UnsupportedGameError(
            f"half-komi {setup.half_komi} is outside {HALF_KOMI_RANGE.start}..{HALF_KOMI_RANGE.stop - 1}")


def setup_of_game(game) -> GameSetup:
    """The setup of a pyzero Tak `Game` (its size from the input planes, its komi option)."""
    return GameSetup(size=int(game.input_shape[-1]), half_komi=int(round(2 * game.options.get("komi", 0.0))))


class EnginePool:
    """The engines of one server: its own, and bundled or untrained ones made on demand."""

    def __init__(self, config, native_engine: NetworkPlayer):
        self.config = config
        self.native_engine = native_engine
        self.native_setup = setup_of_game(native_engine.game)
        self._engines: dict[GameSetup, NetworkPlayer] = {self.native_setup: native_engine}
        self._notes: dict[GameSetup, str] = {}

    @property
    def trained(self) -> bool:
        """Whether the server's own network is a trained run's (not bundled, not untrained)."""
        return self.native_engine.checkpoint is not None and getattr(self.native_engine, "bundled", None) is None

    def supported_half_komi(self) -> range:
        """The half-komi values to advertise: only the trained one, or any in range."""
        if self.trained:
            return range(self.native_setup.half_komi, self.native_setup.half_komi + 1)
        return HALF_KOMI_RANGE

    def stand_in_note(self, setup: GameSetup) -> str | None:
        """What a GUI is told when `setup` is not played by the server's own network."""
        return self._notes.get(setup)

    def engine_for(self, setup: GameSetup) -> NetworkPlayer:
        """The engine that plays `setup`; raises `UnsupportedGameError` naming the reason."""
        check_setup(setup)
        if setup in self._engines:
            return self._engines[setup]
        options = {key: value for key, value in self.config.game.options.items() if key not in SIZE_DEPENDENT_OPTIONS}
        options.update(size=setup.size, komi=setup.half_komi / 2)
        config = self.config.model_copy(update={"game": self.config.game.model_copy(update={"options": options})})
        choice = choose_network(config, look_in_run=False)
        if choice.bundled is not None:
            note = f"{setup.describe()}: {choice.describe()}"
        elif self.trained:
            raise UnsupportedGameError(
                f"{setup.describe()} is not supported: the network ({self.native_engine.checkpoint}) was trained "
                f"for {self.native_setup.describe()}, and no bundled network plays it (pyzero networks); start "
                "pyzero tei with a config for that game")
        else:
            note = f"{setup.describe()}: an untrained network (no bundled network plays it: {bundled_tak_games()})"
        native = self.native_engine
        engine = NetworkPlayer.from_choice(choice, native.limits, native.seed)
        self._engines[setup], self._notes[setup] = engine, note
        return engine


def bundled_tak_games() -> str:
    """The Tak games bundled networks play, for a note (`size 6 with half-komi 4, ...`)."""
    setups = [GameSetup(int(network.manifest.game.options.get("size", 0)),
                        int(round(2 * network.manifest.game.options.get("komi", 0.0))))
              for network in bundled_networks() if network.manifest.game.name == "tak"]
    return ", ".join(setup.describe() for setup in setups) or "none ships"


class AlphaBetaPool:
    """The alpha-beta yardstick for every size and komi (it has no network to fit)."""

    trained = False

    def __init__(self, config, native_engine):
        self.config = config
        self.native_engine = native_engine
        self.native_setup = setup_of_game(native_engine.game)
        self._engines = {self.native_setup: native_engine}

    def supported_half_komi(self) -> range:
        return HALF_KOMI_RANGE

    def stand_in_note(self, setup: GameSetup) -> str | None:
        return None

    def engine_for(self, setup: GameSetup):
        check_setup(setup)
        if setup not in self._engines:
            from pyzero.games import make

            options = {key: value for key, value in self.config.game.options.items()
                       if key not in SIZE_DEPENDENT_OPTIONS}
            game = make("tak", size=setup.size, komi=setup.half_komi / 2, **options)
            self._engines[setup] = self.native_engine.for_game(game)
        return self._engines[setup]


def pool_for(config, native_engine):
    """The engines a server plays with: `AlphaBetaPool` for the yardstick, else `EnginePool`."""
    from pyzero.players.alphabeta import AlphaBetaEngine

    if isinstance(native_engine, AlphaBetaEngine):
        return AlphaBetaPool(config, native_engine)
    return EnginePool(config, native_engine)
