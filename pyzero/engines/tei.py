"""`TeiEngine`: an external TEI engine (tiltak, topaz, `pyzero tei` ...) as a player.

    with TeiEngine(["tiltak", "tei"], movetime_ms=500) as engine:
        move = engine.choose(state, rng)       # a legal PTN move for a pyzero Tak state

The engine process is started and the handshake done (`tei` ... `teiok`, `isready` ...
`readyok`) when the object is made. Before the first move of each game the client sends
`setoption name HalfKomi value K` (when the engine offers HalfKomi) and `teinewgame N`,
then `isready`; every move is `position tps <TPS>` and `go movetime M` (or `go nodes N`),
read until `bestmove`. A new game is recognised by another size or komi, or by a
position with no more plies than the last one asked about (the arena passes positions,
not histories); `new_game()` forces one.

Every read has a deadline: an engine that dies, hangs or answers nonsense raises
`TeiEngineError` with the last lines of its stderr, never blocks for ever. `close()` (or
leaving the `with` block) sends `quit` and kills the process if it does not exit.
"""

from __future__ import annotations

import collections
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from pyzero.errors import PyzeroFailure
from pyzero.games import IllegalMoveError, State

# `bestmove` when no move can be given (no position, a finished game, a refused board
# size): the spelling UCI engines such as Stockfish use when there is no legal move. The
# TEI server (pyzero.protocols) answers with it too.
NO_MOVE = "(none)"
STDERR_TAIL_LINES = 40
_END_OF_OUTPUT = None  # what the stdout reader queues when the engine closes its stdout


class TeiEngineError(PyzeroFailure):
    """The engine died, timed out, broke the protocol or cannot play the game asked."""


class TeiIllegalMoveError(TeiEngineError):
    """The engine answered a move that is not legal in the position it was given."""


@dataclass
class EngineIdentity:
    """What the engine said about itself during the handshake."""

    name: str | None = None
    author: str | None = None
    options: dict[str, dict[str, object]] = field(default_factory=dict)


def parse_option_line(line: str) -> tuple[str, dict[str, object]]:
    """`option name N type T default D min A max B var V ...` as (name, fields); `var`
    collects a list. Names and values may contain spaces (UCI allows it)."""
    keywords = ("name", "type", "default", "min", "max", "var")
    fields: dict[str, object] = {}
    key: str | None = None
    values: list[str] = []

    def close_field() -> None:
        if key is None:
            return
        text = " ".join(values)
        if key == "var":
            fields.setdefault("var", []).append(text)  # type: ignore[union-attr]
        else:
            fields[key] = text

    for word in line.split()[1:]:
        if word in keywords:
            close_field()
            key, values = word, []
        else:
            values.append(word)
    close_field()
    return str(fields.pop("name", "")), fields


def option_accepts(fields: dict[str, object], value: int) -> bool:
    """Whether an advertised spin/combo option accepts the integer `value`."""
    if fields.get("type") == "spin":
        try:
            return int(str(fields.get("min", value))) <= value <= int(str(fields.get("max", value)))
        except ValueError:
            return True
    if fields.get("type") == "combo":
        return str(value) in [str(choice) for choice in fields.get("var", [])]  # type: ignore[union-attr]
    return True


@dataclass
class SearchInfo:
    """The last `info` line of a search, in numbers (None where the engine left it out)."""

    depth: int | None = None
    nodes: int | None = None
    score_cp: int | None = None
    time_ms: int | None = None
    principal_variation: list[str] = field(default_factory=list)


def parse_info_line(line: str) -> SearchInfo:
    words = line.split()[1:]
    info = SearchInfo()
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else None
        if word == "pv":
            info.principal_variation = words[index + 1:]
            break
        if word == "string":
            break
        if word == "score" and following == "cp" and index + 2 < len(words):
            info.score_cp = _integer_or_none(words[index + 2])
            index += 3
            continue
        if word in ("depth", "nodes", "time") and following is not None:
            setattr(info, {"time": "time_ms"}.get(word, word), _integer_or_none(following))
            index += 2
            continue
        index += 1
    return info


def _integer_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class TeiEngine:
    """An external TEI engine process, playing through `choose(state, rng)`.

    `PROTOCOL` / `HANDSHAKE_DONE` are the handshake's words (`tei` / `teiok`); the UCI
    client (`pyzero.engines.uci`) is this class with UCI's words and positions.

    `command` is the program and its arguments. `movetime_ms` is the time per move it is
    given (`go movetime`), or `nodes` a node budget instead (`go nodes`). The deadlines:
    `startup_timeout_s` for the handshake (a first run may compile or load a network),
    `move_timeout_margin_s` beyond the movetime for each `bestmove`, `ready_timeout_s` for
    `readyok`, `quit_timeout_s` for the process to exit after `quit`. With `nodes` the
    `bestmove` deadline is `move_timeout_margin_s` alone: raise it for large budgets.
    """

    PROTOCOL = "tei"
    HANDSHAKE_DONE = "teiok"

    def __init__(self, command: Sequence[str | Path], movetime_ms: int = 1000, nodes: int | None = None,
                 name: str | None = None, cwd: str | Path | None = None, env: dict[str, str] | None = None,
                 startup_timeout_s: float = 120.0, ready_timeout_s: float = 30.0,
                 move_timeout_margin_s: float = 10.0, quit_timeout_s: float = 2.0):
        if movetime_ms < 1:
            raise ValueError(f"movetime_ms must be at least 1, got {movetime_ms}")
        if nodes is not None and nodes < 1:
            raise ValueError(f"nodes must be at least 1, got {nodes}")
        self.command = [str(part) for part in command]
        self.name = name or Path(self.command[0]).name  # the engine's own name after the handshake
        self.movetime_ms = movetime_ms
        self.nodes = nodes
        self.ready_timeout_s = ready_timeout_s
        self.move_timeout_margin_s = move_timeout_margin_s
        self.quit_timeout_s = quit_timeout_s
        self.identity = EngineIdentity()
        self.last_info: SearchInfo | None = None
        self.transcript: collections.deque[str] = collections.deque(maxlen=200)  # "> sent", "< received"
        self._game: tuple[int, int] | None = None  # (size, half-komi) of the game in progress
        self._last_ply = -1
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._lines: queue.Queue[str | None] = queue.Queue()
        try:
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True, bufsize=1, cwd=cwd, env=env)
        except OSError as error:
            raise TeiEngineError(f"cannot start {self.PROTOCOL.upper()} engine {self.command}: {error}") from None
        self._readers = [
            threading.Thread(target=self._read_stdout, name="tei-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, name="tei-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            self._handshake(startup_timeout_s)
        except BaseException:
            self.close()
            raise
        self.name = name or self.identity.name or self.name

    # -- the player interface ----------------------------------------------------------
    def choose(self, state: State, rng=None) -> str:
        """The engine's move (canonical notation) for `state` with the engine's budget
        (`go movetime` or `go nodes`); raises `TeiEngineError` when the engine fails and
        `TeiIllegalMoveError` for an illegal move."""
        if self.nodes is not None:
            return self._search(state, f"go nodes {self.nodes}", 0.0)
        return self._search(state, f"go movetime {self.movetime_ms}", self.movetime_ms / 1000.0)

    def choose_on_clock(self, state: State, rng, remaining_ms: tuple[float, float], increment_ms: float) -> str:
        """The engine's move under a game clock (the arena's `--time`): `go wtime W btime B
        winc I binc I`, white being side 0; it must answer within its own clock (plus the
        margin), however it spends it."""
        white_ms, black_ms = (int(ms) for ms in remaining_ms)
        increment = int(increment_ms)
        return self._search(state, f"go wtime {white_ms} btime {black_ms} winc {increment} binc {increment}",
                            remaining_ms[state.to_move()] / 1000.0)

    def _search(self, state: State, go_line: str, think_seconds: float) -> str:
        """Sets up the position, sends `go_line` and reads the move, allowing the engine
        `think_seconds` plus `move_timeout_margin_s`."""
        position = self._send_position(state)
        self.send(go_line)
        move = self._read_bestmove(think_seconds + self.move_timeout_margin_s, position)
        try:
            return state.action_to_move(state.move_to_action(move))
        except IllegalMoveError as error:
            raise TeiIllegalMoveError(f"{self.name} played {move!r} in {position!r}: {error.reason}") from None

    def _send_position(self, state: State) -> str:
        """`position tps ...` for a Tak state (a new game first when the size or komi
        changed, or the ply went back); returns the TPS."""
        if state.game.name != "tak":
            raise ValueError(f"TEI engines play Tak, not {state.game.name}")
        if state.is_terminal():
            raise ValueError(f"the game is over ({state.result()}): there is no move to choose")
        game = (int(state.game.input_shape[-1]), int(round(2 * state.game.options.get("komi", 0.0))))
        if game != self._game or state.ply <= self._last_ply:
            self.new_game(*game)
        self._last_ply = state.ply
        tps = state.position()
        self.send(f"position tps {tps}")
        return tps

    def new_game(self, size: int, half_komi: int = 0) -> None:
        """Starts a game: HalfKomi (when offered, or needed), `teinewgame`, `isready`."""
        komi_option = self.identity.options.get("HalfKomi")
        if komi_option is None:
            if half_komi != 0:
                raise TeiEngineError(f"{self.name} offers no HalfKomi option, so it cannot play half-komi "
                                     f"{half_komi}")
        elif not option_accepts(komi_option, half_komi):
            raise TeiEngineError(f"{self.name} does not support half-komi {half_komi} (its option: "
                                 f"{komi_option})")
        else:
            self.send(f"setoption name HalfKomi value {half_komi}")
        self.send(f"teinewgame {size}")
        self.wait_until_ready()
        self._game, self._last_ply = (size, half_komi), -1

    def wait_until_ready(self) -> None:
        """`isready` ... `readyok`; error lines meanwhile (a refused option or size) raise."""
        self.send("isready")
        errors = []
        for line in self._lines_until(lambda text: text == "readyok", self.ready_timeout_s, "readyok"):
            if _is_error_line(line):
                errors.append(line)
        if errors:
            raise TeiEngineError(f"{self.name} reported: " + " | ".join(errors))

    # -- the process ---------------------------------------------------------------------
    def send(self, line: str) -> None:
        """Writes one command line; a dead engine raises `TeiEngineError`."""
        self.transcript.append(f"> {line}")
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._failure(f"cannot send {line!r}: the engine's input is closed") from None

    def read_line(self, timeout_s: float, waiting_for: str) -> str:
        """The engine's next output line (stripped), waiting at most `timeout_s` seconds."""
        try:
            line = self._lines.get(timeout=max(timeout_s, 0.0))
        except queue.Empty:
            raise self._failure(f"no {waiting_for} within {timeout_s:.1f} s") from None
        if line is _END_OF_OUTPUT:
            self._lines.put(_END_OF_OUTPUT)  # later reads fail the same way
            raise self._failure(f"the engine exited while we waited for {waiting_for}")
        self.transcript.append(f"< {line}")
        return line

    def close(self) -> None:
        """Sends `quit`, waits `quit_timeout_s` for the process to exit, then kills it."""
        process = getattr(self, "process", None)
        if process is None:
            return
        if process.poll() is None:
            try:
                process.stdin.write("quit\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                process.wait(self.quit_timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        for reader in self._readers:
            reader.join(timeout=1.0)

    def __enter__(self) -> "TeiEngine":
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail)

    # -- internals -----------------------------------------------------------------------
    def _handshake(self, timeout_s: float) -> None:
        self.send(self.PROTOCOL)
        for line in self._lines_until(lambda text: text == self.HANDSHAKE_DONE, timeout_s, self.HANDSHAKE_DONE):
            words = line.split()
            if line.startswith("id name "):
                self.identity.name = line[len("id name "):].strip()
            elif line.startswith("id author "):
                self.identity.author = line[len("id author "):].strip()
            elif words and words[0] == "option":
                option_name, fields = parse_option_line(line)
                self.identity.options[option_name] = fields
        self.wait_until_ready()

    def _lines_until(self, is_last, timeout_s: float, waiting_for: str):
        """Yields lines up to and including the first for which `is_last` holds, all
        within `timeout_s` seconds together."""
        deadline = time.monotonic() + timeout_s
        while True:
            line = self.read_line(deadline - time.monotonic(), waiting_for)
            yield line
            if is_last(line):
                return

    def _read_bestmove(self, timeout_s: float, tps: str) -> str:
        errors: list[str] = []
        self.last_info = None
        for line in self._lines_until(lambda text: text.split()[:1] == ["bestmove"], timeout_s, "bestmove"):
            if _is_error_line(line):
                errors.append(line)
            elif line.startswith("info") and " pv " in f"{line} ":
                self.last_info = parse_info_line(line)
        words = line.split()
        if len(words) < 2 or words[1] == NO_MOVE:
            reason = " | ".join(errors) if errors else "no error line"
            raise TeiEngineError(f"{self.name} gave no move for {tps!r} ({line!r}): {reason}")
        return words[1]

    def _failure(self, what: str) -> TeiEngineError:
        # Its stdout can close a moment before the process is reaped: give a dying engine
        # half a second to report its exit status (a hung one just costs the wait).
        try:
            code = self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            code = None
        status = f"exit code {code}" if code is not None else "still running"
        # Let the stderr reader catch the engine's last words: all of them once it has
        # exited (the reader ends at end of file), whatever has arrived otherwise.
        if code is not None:
            self._readers[1].join(timeout=1.0)
        else:
            time.sleep(0.05)
        tail = self.stderr_tail()
        exchanges = "\n".join(list(self.transcript)[-6:])
        return TeiEngineError(f"{self.PROTOCOL.upper()} engine {self.command}: {what} ({status})"
                              + (f"; its stderr ends:\n{tail}" if tail else "; nothing on its stderr")
                              + (f"\nlast exchanges:\n{exchanges}" if exchanges else ""))

    def _read_stdout(self) -> None:
        try:
            for line in self.process.stdout:
                self._lines.put(line.strip())
        except (OSError, ValueError):
            pass
        self._lines.put(_END_OF_OUTPUT)

    def _read_stderr(self) -> None:
        try:
            for line in self.process.stderr:
                self._stderr_tail.append(line.rstrip("\n"))
        except (OSError, ValueError):
            pass


def _is_error_line(line: str) -> bool:
    """`info string error: ...` (pyzero, most engines) or `info error ...` (PTN Ninja's reading)."""
    return line.startswith(("info string error", "info error"))
