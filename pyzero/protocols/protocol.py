"""What the TEI and UCI engine servers share: the line writer, the command loop, `isready`,
`position` bookkeeping, `go` (search plan, search thread, `info` and `bestmove`), `stop`,
`quit`, and the protocol streams.

A server is a `ProtocolServer` subclass that adds its own commands to `self.commands`
(the handshake, options, new game, position parsing) and says how to parse a position
(`_parse_position`), how big its board is for the time manager (`_board_size`), and which
engine the options show and how another network replaces it (`_option_engine`,
`_use_network`). The engine options (Threads, Hash, MultiPV, Network:
`pyzero.protocols.engine_options`) are the same in both protocols. The rules every server
keeps:

- anything wrong (an unknown or malformed command, an illegal move) is answered by one
  `info string error: ...` line naming the problem, also written to stderr, and the
  server carries on; a `go` that has nothing to search still ends with
  `bestmove (none)`, so no GUI waits forever;
- a `position` with an illegal move clears the position, so a later `go` answers
  `bestmove (none)` rather than a move for a position the GUI did not mean;
- `isready` is answered at once, even during a search; other commands that arrive during
  a search wait for its `bestmove` (a `go infinite` is stopped first); `stop` ends a
  timed or infinite search at its next evaluation batch (see `search_job`);
- `quit` (or the end of input) ends the loop without waiting more than a second for a
  search still running.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Callable, TextIO

from pyzero.games import State
from pyzero.players.network_player import NetworkPlayer
from pyzero.players.time_manager import DEFAULT_SETTINGS, TimeManagerSettings
from pyzero.protocols.commands import NO_MOVE, PlayedPosition, TeiCommandError, parse_go
from pyzero.protocols.engine_options import (ENGINE_OPTIONS, HASH, MULTIPV, NETWORK, THREADS, EngineSettings,
                                             apply_settings, cache_megabytes, describe_settings, updated_settings)
from pyzero.protocols.served_players import UnsupportedGameError
from pyzero.protocols.search_job import SearchJob, plan_search

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


class ProtocolServer:
    """The protocol state of one engine process; `handle` takes one command line."""

    def __init__(self, emit: Callable[[str], None], time_settings: TimeManagerSettings = DEFAULT_SETTINGS,
                 network_loader: Callable[[str], NetworkPlayer] | None = None):
        """`network_loader(text)`: the engine of the network the Network option names (a
        bundled network's name or a file); without it the option is refused."""
        self.emit = emit
        self.time_settings = time_settings
        self.network_loader = network_loader
        self._settings: EngineSettings | None = None  # the options' values (defaults: the engine's)
        self._settings_changed = False  # the next `go` says what it searches with
        self.engine: NetworkPlayer | None = None
        self.position: State | None = None
        self.position_history: tuple[int, ...] = ()  # keys of the positions before it (PlayedPosition)
        self.position_error: str | None = "no 'position' command yet"
        self.search: SearchJob | None = None
        self.commands: dict[str, Callable[[list[str]], None]] = {
            "isready": self._isready, "position": self._position, "go": self._go, "stop": self._stop,
        }

    # -- what each protocol supplies -------------------------------------------------------
    def _parse_position(self, arguments: list[str]) -> PlayedPosition:
        """The position a `position` command's words describe, with the keys of the
        positions its moves passed through; raises `TeiCommandError`."""
        raise NotImplementedError

    def _board_size(self) -> int:
        """The board's side length, which the time manager uses to guess a game's length."""
        raise NotImplementedError

    def _option_engine(self):
        """The engine whose settings the options' defaults show."""
        raise NotImplementedError

    def _use_network(self, engine: NetworkPlayer | None) -> None:
        """Plays `engine` from now on (None: the engine the server started with)."""
        raise NotImplementedError

    # -- engine options (pyzero.protocols.engine_options) ----------------------------------
    @property
    def settings(self) -> EngineSettings:
        if self._settings is None:
            self._settings = self._default_settings()
        return self._settings

    @settings.setter
    def settings(self, value: EngineSettings) -> None:
        self._settings = value

    def _default_settings(self) -> EngineSettings:
        engine = self._option_engine()
        graph = getattr(engine, "graph", None)
        return EngineSettings(threads=graph.threads if graph is not None else 1)

    def _engine_option_lines(self) -> list[str]:
        """The `option` lines of the handshake, defaults from the engine the server plays."""
        engine = self._option_engine()
        inference = getattr(engine, "inference", None)
        hash_default = (cache_megabytes(inference.options.cache_entries, inference.options.max_policy_length)
                        if inference is not None and inference.options.cache_entries > 0 else 1)
        defaults = {THREADS: self.settings.threads, HASH: self.settings.hash_megabytes or hash_default,
                    MULTIPV: self.settings.multipv, NETWORK: self.settings.network}
        return [option.line(defaults[option]) for option in ENGINE_OPTIONS]

    def _set_engine_option(self, name: str, value: str | None) -> bool:
        """Sets one of the engine options; False when `name` is none of them. A bad value
        or a network that does not load is a TeiCommandError, and nothing changes."""
        updated = updated_settings(self.settings, name, value)
        if updated is None:
            return False
        if updated.network != self.settings.network:
            if updated.network and self.network_loader is None:
                raise TeiCommandError("setoption name Network: this engine cannot load another network")
            try:
                engine = self.network_loader(updated.network) if updated.network else None
            except (OSError, ValueError) as error:  # FileNotFoundError, CheckpointError, ConfigError
                raise TeiCommandError(f"setoption name Network: {error}") from None
            self._use_network(engine)
            self.emit(f"info string Network: {engine.description if engine is not None else 'the starting network'}")
        self.settings = updated
        self._settings_changed = True
        return True

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
    def _isready(self, arguments: list[str]) -> None:
        self.emit("readyok")

    def _position(self, arguments: list[str]) -> None:
        self.position = None
        try:
            played = self._parse_position(arguments)
            self.position, self.position_history = played.state, played.history
            self.position_error = None
        except (TeiCommandError, UnsupportedGameError) as error:
            self.position_error = str(error)
            raise

    def _go(self, arguments: list[str]) -> None:
        try:
            request = parse_go(arguments)
            state, engine = self._searchable_position()
            plan = plan_search(request, state, self._board_size(), engine.limits.simulations or 1, self.time_settings)
        except (TeiCommandError, UnsupportedGameError) as error:
            self._error(str(error))
            self.emit(f"bestmove {NO_MOVE}")
            return
        if request.ignored:
            self.emit(f"info string go: ignoring {', '.join(request.ignored)} (not a limit of this search)")
        apply_settings(engine, self.settings)
        if self._settings_changed:
            self.emit(f"info string {describe_settings(engine, self.settings)}")
            self._settings_changed = False
        self.search = SearchJob(engine, state, plan, self.emit, history=self.position_history,
                                multipv=self.settings.multipv)
        self.search.start()

    def _searchable_position(self) -> tuple[State, NetworkPlayer]:
        if self.position is None or self.engine is None:
            raise TeiCommandError(f"go: no position to search ({self.position_error})")
        if self.position.is_terminal():
            raise TeiCommandError(f"go: the game is over ({self.position.result()}) in {self.position.position()!r}")
        return self.position, self.engine

    def _stop(self, arguments: list[str]) -> None:
        # Without a search running, `stop` has nothing to do (GUIs send it defensively).
        self._finish_search(stop=True)


def network_loader_for(config, native: NetworkPlayer) -> Callable[[str], NetworkPlayer]:
    """The Network option's loader: the network a name or file names, played with
    `config`'s settings and `native`'s limits and seed."""
    from pyzero.networks import choice_of_network

    def load(text: str) -> NetworkPlayer:
        return NetworkPlayer.from_choice(choice_of_network(config, text), native.limits, native.seed)
    return load


def announced_writer(command: str, native, output_stream: TextIO | None, log_stream: TextIO | None) -> LineWriter:
    """Says on stderr which network `pyzero COMMAND` plays (stdout is the protocol's),
    then returns the protocol's line writer."""
    log = log_stream or sys.stderr
    log.write(f"pyzero {command}: {getattr(native, 'description', native.name)}\n")
    log.flush()
    return LineWriter(output_stream or sys.stdout, log)


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
