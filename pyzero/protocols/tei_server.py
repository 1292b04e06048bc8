"""`pyzero tei CONFIG`: the TEI engine side, reading commands on stdin and answering on
stdout (one flushed line per answer).

Commands: `tei`, `isready`, `setoption name HalfKomi value K` (and the engine options
Threads, Hash, MultiPV and Network: `pyzero.protocols.engine_options`), `teinewgame SIZE` (or
`teinewgame size SIZE halfkomi K`), `position startpos|tps <TPS> [moves ...]`,
`go [wtime W btime B winc I binc J movestogo M] [movetime T] [nodes N] [infinite]`,
`stop`, `quit`. Anything wrong (an unknown command, a malformed one, an illegal move, a
board size the network cannot play) is answered by one `info string error: ...` line
naming the problem, also written to stderr, and the server carries on. A `go` that has
nothing to search still ends with `bestmove (none)`, so no GUI waits forever.

The command loop, `isready`, `go`, `stop` and `quit` are shared with `pyzero uci`
(`pyzero.protocols.protocol`). Choices (see `pyzero.protocols.served_players` for board sizes and komi):
- `setoption name HalfKomi` takes effect at the next `teinewgame` (racetrack and PTN Ninja
  send it before `teinewgame`); `teinewgame size N halfkomi K` sets both at once.
- A `position` before any `teinewgame` plays the config's game (or the HalfKomi set).
- A `position` with an illegal move clears the position: a later `go` answers
  `bestmove (none)` rather than a move for a position the GUI did not mean.
- `isready` is answered at once, even during a search. Other commands that arrive during
  a search wait for its `bestmove` (a `go infinite` is stopped first); `stop` ends a
  timed or infinite search at its next evaluation batch, a `go nodes` search when it
  ends (see `search_job`).
- `quit` (or the end of input) exits with status 0 at once, without waiting more than a
  second for a search still running.
- `--player alphabeta:D[:SECONDS]` serves the alpha-beta yardstick instead of the
  network, for every size and komi (`pyzero.players.alphabeta.AlphaBetaEngine`).
- The config's size and komi play its run's checkpoint, else the bundled network; other
  sizes and komi play their bundled network where one ships (an `info string` says
  which); without one, an untrained network when the server's own is not a trained run's,
  else an error line (`teinewgame`, then `position` and `go`). HalfKomi is advertised
  accordingly (`min`=`max`= the trained value with a run's checkpoint) so racetrack
  rejects a wrong komi before the first game.
- `setoption name Network value FILE|NAME` plays another network (its size and komi
  become the server's own); an empty value returns to the starting one.
"""

from __future__ import annotations

from typing import Callable, TextIO

from pyzero import __version__
from pyzero.games import PositionError, State
from pyzero.networks import choose_network
from pyzero.players.network_player import NetworkPlayer
from pyzero.players.time_manager import DEFAULT_SETTINGS, TimeManagerSettings
from pyzero.protocols.commands import (PlayedPosition, TeiCommandError, parse_new_game, parse_position, parse_set_option,
                                 play_position_moves)
from pyzero.protocols.engine_options import ENGINE_OPTIONS
from pyzero.protocols.served_players import GameSetup, UnsupportedGameError, pool_for
from pyzero.protocols.protocol import (ENGINE_AUTHOR, LineWriter, ProtocolServer, announced_writer,  # noqa: F401
                                       network_loader_for, protocol_input, protocol_output)


class TeiServer(ProtocolServer):
    """The TEI protocol state of one engine process; `handle` takes one command line."""

    def __init__(self, config, native_engine: NetworkPlayer, emit: Callable[[str], None],
                 time_settings: TimeManagerSettings = DEFAULT_SETTINGS,
                 network_loader: Callable[[str], NetworkPlayer] | None = None):
        super().__init__(emit, time_settings, network_loader)
        self.config = config
        self.native_engine = native_engine
        self.pool = pool_for(config, native_engine)
        self.half_komi = self.pool.native_setup.half_komi
        self.setup: GameSetup | None = None
        self.setup_error: str | None = None
        self.commands = {"tei": self._tei, "isready": self._isready, "setoption": self._setoption,
                         "teinewgame": self._teinewgame, "position": self._position, "go": self._go,
                         "stop": self._stop}

    def _board_size(self) -> int:
        return self.setup.size

    # -- commands ----------------------------------------------------------------------
    def _tei(self, arguments: list[str]) -> None:
        native = self.pool.native_engine
        self.emit(f"id name pyzero {__version__} ({native.name})")
        self.emit(f"id author {ENGINE_AUTHOR}")
        komi = self.pool.supported_half_komi()
        self.emit(f"option name HalfKomi type spin default {self.pool.native_setup.half_komi} "
                  f"min {komi.start} max {komi.stop - 1}")
        for line in self._engine_option_lines():
            self.emit(line)
        self.emit("teiok")

    def _option_engine(self):
        return self.pool.native_engine

    def _use_network(self, engine: NetworkPlayer | None) -> None:
        """A new pool around `engine`: its board size and komi are the server's own from
        now on (a GUI starts the next game with `teinewgame`)."""
        self.pool = pool_for(self.config, engine or self.native_engine)
        self.half_komi = self.pool.native_setup.half_komi
        self.setup, self.engine, self.position = None, None, None
        self.position_error = "no 'teinewgame' since the network changed"

    def _setoption(self, arguments: list[str]) -> None:
        request = parse_set_option(arguments)
        if request.name.lower() != "halfkomi":
            if not self._set_engine_option(request.name, request.value):
                raise TeiCommandError(f"setoption: unknown option {request.name!r} (known: HalfKomi, "
                                      f"{', '.join(option.name for option in ENGINE_OPTIONS)})")
            return
        if request.value is None:
            raise TeiCommandError("setoption name HalfKomi: the value is missing")
        try:
            half_komi = int(request.value)
        except ValueError:
            raise TeiCommandError(f"setoption name HalfKomi: the value must be a whole number, got {request.value!r}") \
                from None
        # Kept even when unsupported: the next `teinewgame` then refuses to play, rather
        # than silently playing another komi than the GUI believes.
        self.half_komi = half_komi
        supported = self.pool.supported_half_komi()
        if half_komi not in supported:
            raise TeiCommandError(f"setoption name HalfKomi: {half_komi} is not supported "
                                  f"(this engine plays half-komi {supported.start}..{supported.stop - 1}); "
                                  "games will be refused until it is")

    def _teinewgame(self, arguments: list[str]) -> None:
        request = parse_new_game(arguments)
        if request.half_komi is not None:
            self.half_komi = request.half_komi
        size = request.size if request.size is not None else self.pool.native_setup.size
        self._start_game(GameSetup(size, self.half_komi))

    def _start_game(self, setup: GameSetup) -> None:
        self.setup, self.engine, self.position = setup, None, None
        self.position_error = "no 'position' command since 'teinewgame'"
        try:
            self.engine = self.pool.engine_for(setup)
            self.setup_error = None
        except UnsupportedGameError as error:
            self.setup_error = f"teinewgame: {error}"
            raise UnsupportedGameError(self.setup_error) from None
        note = self.pool.stand_in_note(setup) if self.engine is not self.pool.native_engine else None
        if note:
            self.emit(f"info string {note}")

    def _parse_position(self, arguments: list[str]) -> PlayedPosition:
        request = parse_position(arguments)
        if self.setup is None:
            self._start_game(GameSetup(self.pool.native_setup.size, self.half_komi))
        if self.engine is None:
            raise UnsupportedGameError(f"position: no playable game ({self.setup_error})")
        game = self.engine.game
        if request.start_tps is None:
            state = game.new()
        else:
            tps_size = tps_board_size(request.start_tps)
            if tps_size != self.setup.size:
                raise TeiCommandError(f"position tps {request.start_tps!r}: a {tps_size}x{tps_size} board, but the "
                                      f"game is {self.setup.size}x{self.setup.size} (send teinewgame {tps_size} first)")
            try:
                state = game.from_position(request.start_tps)
            except PositionError as error:
                raise TeiCommandError(f"position tps {request.start_tps!r}: {error}") from None
        return play_position_moves(state, request.moves)

def tps_board_size(tps: str) -> int:
    """The board size a TPS describes (its number of rows)."""
    return len(tps.split()[0].split("/"))


def run_server(config, checkpoint=None, input_stream: TextIO | None = None, output_stream: TextIO | None = None,
               log_stream: TextIO | None = None, player: str | None = None) -> bool:
    """Loads the config's engine (the given or the run's latest checkpoint, else the
    bundled network of its game; or the alpha-beta yardstick when `player` is
    `alphabeta[-simple]:D[:SECONDS]`) and serves TEI until `quit`; True when a
    search was still running at the end (see `TeiServer.serve`)."""
    if player is not None:
        from pyzero.config import make_game_from_config
        from pyzero.players.alphabeta import AlphaBetaEngine, parse_alphabeta_spec

        spec = parse_alphabeta_spec(player)
        native = AlphaBetaEngine(make_game_from_config(config), spec.depth, spec.seconds, seed=config.training.seed,
                                 evaluation=spec.evaluation)
        network_loader = None  # the yardstick has no network to replace
    else:
        native = NetworkPlayer.from_choice(choose_network(config, checkpoint))
        network_loader = network_loader_for(config, native)
    emit = announced_writer("tei", native, output_stream, log_stream)
    return TeiServer(config, native, emit, network_loader=network_loader).serve(input_stream or protocol_input())


