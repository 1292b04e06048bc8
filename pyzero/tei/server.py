"""`pyzero tei CONFIG`: the TEI engine side, reading commands on stdin and answering on
stdout (one flushed line per answer).

Commands: `tei`, `isready`, `setoption name HalfKomi value K`, `teinewgame SIZE` (or
`teinewgame size SIZE halfkomi K`), `position startpos|tps <TPS> [moves ...]`,
`go [wtime W btime B winc I binc J movestogo M] [movetime T] [nodes N] [infinite]`,
`stop`, `quit`. Anything wrong (an unknown command, a malformed one, an illegal move, a
board size the network cannot play) is answered by one `info string error: ...` line
naming the problem, also written to stderr, and the server carries on. A `go` that has
nothing to search still ends with `bestmove (none)`, so no GUI waits forever.

Choices (see `pyzero.tei.engines` for board sizes and komi):
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
- The config's size and komi play its checkpoint; without a checkpoint any size 3..8 and
  komi gets an untrained network; with one, other sizes and komi are refused with an
  error line (`teinewgame`, then `position` and `go`). HalfKomi is advertised accordingly
  (`min`=`max`= the trained value with a checkpoint) so racetrack rejects a wrong komi
  before the first game.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Callable, TextIO

from pyzero import __version__
from pyzero.games import IllegalMoveError, PositionError, State
from pyzero.players.engine import NetworkEngine
from pyzero.players.time_manager import DEFAULT_SETTINGS, TimeManagerSettings
from pyzero.tei.commands import (NO_MOVE, TeiCommandError, parse_go, parse_new_game, parse_position,
                                 parse_set_option)
from pyzero.tei.engines import GameSetup, UnsupportedGameError, pool_for
from pyzero.tei.search_job import SearchJob, plan_search

ENGINE_AUTHOR = "the pyzero authors"


class LineWriter:
    """Writes whole lines to the protocol stream, flushed, one thread at a time."""

    def __init__(self, stream: TextIO, log: TextIO | None = None):
        self.stream = stream
        self.log = log
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()
            if self.log is not None and line.startswith("info string error"):
                # Errors also go to stderr: a person running the engine by hand or a
                # runner's log sees them even when the GUI hides info lines.
                self.log.write(line[len("info string "):] + "\n")
                self.log.flush()


class TeiServer:
    """The protocol state of one engine process; `handle` takes one command line."""

    def __init__(self, config, native_engine: NetworkEngine, emit: Callable[[str], None],
                 time_settings: TimeManagerSettings = DEFAULT_SETTINGS):
        self.pool = pool_for(config, native_engine)
        self.emit = emit
        self.time_settings = time_settings
        self.half_komi = self.pool.native_setup.half_komi
        self.setup: GameSetup | None = None
        self.engine: NetworkEngine | None = None
        self.setup_error: str | None = None
        self.position: State | None = None
        self.position_error: str | None = "no 'position' command yet"
        self.search: SearchJob | None = None
        self.commands: dict[str, Callable[[list[str]], None]] = {
            "tei": self._tei, "isready": self._isready, "setoption": self._setoption,
            "teinewgame": self._teinewgame, "position": self._position, "go": self._go, "stop": self._stop,
        }

    # -- the loop ----------------------------------------------------------------------
    def serve(self, lines: TextIO, quit_wait_seconds: float = 1.0) -> bool:
        """Handles lines until `quit` or the end of input. A search still running then is
        asked to stop and given `quit_wait_seconds` (a `go nodes` search cannot be cut
        short); returns True when it is still running, so the caller exits without it."""
        while True:
            line = lines.readline()
            if not line or not self.handle(line):
                break
        if self.search is None:
            return False
        self.search.request_stop()
        self.search.join(quit_wait_seconds)
        return self.search.is_alive()

    def handle(self, line: str) -> bool:
        """Obeys one command line; False when it was `quit`."""
        words = line.split()
        if not words:
            return True
        command, arguments = words[0], words[1:]
        if command == "quit":
            return False
        if command not in ("isready", "stop") and self.search is not None:
            # Any other command waits for the search's bestmove; an infinite one would
            # never end, so it is stopped (a GUI should have sent `stop` itself).
            self._finish_search(stop=self.search.plan.infinite)
        handler = self.commands.get(command)
        if handler is None:
            self._error(f"unknown command {command!r} (known: {', '.join(self.commands)}, quit)")
            return True
        try:
            handler(arguments)
        except (TeiCommandError, UnsupportedGameError) as error:
            self._error(str(error))
        except Exception as error:  # a bug must not take the engine down mid-tournament
            traceback.print_exc(file=sys.stderr)
            self._error(f"internal error in {command!r}: {type(error).__name__}: {error}")
        return True

    def _error(self, message: str) -> None:
        self.emit(f"info string error: {message}")

    def _finish_search(self, stop: bool) -> None:
        if self.search is None:
            return
        if stop:
            self.search.request_stop()
        self.search.join()
        self.search = None

    # -- commands ----------------------------------------------------------------------
    def _tei(self, arguments: list[str]) -> None:
        native = self.pool.native_engine
        self.emit(f"id name pyzero {__version__} ({native.name})")
        self.emit(f"id author {ENGINE_AUTHOR}")
        komi = self.pool.supported_half_komi()
        self.emit(f"option name HalfKomi type spin default {self.pool.native_setup.half_komi} "
                  f"min {komi.start} max {komi.stop - 1}")
        self.emit("teiok")

    def _isready(self, arguments: list[str]) -> None:
        self.emit("readyok")

    def _setoption(self, arguments: list[str]) -> None:
        request = parse_set_option(arguments)
        if request.name.lower() != "halfkomi":
            raise TeiCommandError(f"setoption: unknown option {request.name!r} (known: HalfKomi)")
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

    def _position(self, arguments: list[str]) -> None:
        self.position = None
        try:
            self.position = self._parse_position(arguments)
            self.position_error = None
        except (TeiCommandError, UnsupportedGameError) as error:
            self.position_error = str(error)
            raise

    def _parse_position(self, arguments: list[str]) -> State:
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
        for number, move in enumerate(request.moves, start=1):
            try:
                state.play(move)
            except IllegalMoveError as error:
                raise TeiCommandError(f"position: move {number} {move!r} is illegal in {error.position!r}: "
                                      f"{error.reason}") from None
        return state

    def _go(self, arguments: list[str]) -> None:
        try:
            request = parse_go(arguments)
            state, engine = self._searchable_position()
            plan = plan_search(request, state, self.setup.size, engine.limits.simulations or 1, self.time_settings)
        except (TeiCommandError, UnsupportedGameError) as error:
            self._error(str(error))
            self.emit(f"bestmove {NO_MOVE}")
            return
        if request.ignored:
            self.emit(f"info string go: ignoring {', '.join(request.ignored)} (not a limit of this search)")
        self.search = SearchJob(engine, state, plan, self.emit)
        self.search.start()

    def _searchable_position(self) -> tuple[State, NetworkEngine]:
        if self.position is None or self.engine is None:
            raise TeiCommandError(f"go: no position to search ({self.position_error})")
        if self.position.is_terminal():
            raise TeiCommandError(f"go: the game is over ({self.position.result()}) in {self.position.position()!r}")
        return self.position, self.engine

    def _stop(self, arguments: list[str]) -> None:
        # Without a search running, `stop` has nothing to do (GUIs send it defensively).
        self._finish_search(stop=True)


def tps_board_size(tps: str) -> int:
    """The board size a TPS describes (its number of rows)."""
    return len(tps.split()[0].split("/"))


def run_server(config, checkpoint=None, input_stream: TextIO | None = None, output_stream: TextIO | None = None,
               log_stream: TextIO | None = None, player: str | None = None) -> bool:
    """Loads the config's engine (latest or given checkpoint; or the alpha-beta yardstick
    when `player` is `alphabeta:D[:SECONDS]`) and serves TEI until `quit`; True when a
    search was still running at the end (see `TeiServer.serve`)."""
    if player is not None:
        from pyzero.config import make_game_from_config
        from pyzero.players.alphabeta import AlphaBetaEngine, parse_alphabeta_spec

        depth, seconds = parse_alphabeta_spec(player)
        native = AlphaBetaEngine(make_game_from_config(config), depth, seconds, seed=config.training.seed)
    else:
        native = NetworkEngine.from_config(config, checkpoint)
    emit = LineWriter(output_stream or sys.stdout, log_stream or sys.stderr)
    return TeiServer(config, native, emit).serve(input_stream or protocol_input())


def protocol_input() -> TextIO:
    """stdin as text that cannot fail to decode: a stray byte becomes U+FFFD, and the
    command holding it an error line, instead of ending the engine."""
    import io

    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")


def protocol_output() -> TextIO:
    """The process's stdout as the protocol stream, with everything else that would write
    to stdout (a library's print, the engine build's messages, C code writing to file
    descriptor 1) sent to stderr instead, so no stray line can corrupt the protocol."""
    import os

    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol
