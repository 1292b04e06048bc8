"""TEI command parsing and answer formatting: pure functions, no engine, no I/O.

Each parser takes the words of one command line after the command name and returns a
small dataclass, or raises `TeiCommandError` whose message says what was wrong (the
server sends it as `info string error: ...`). Times are integers in milliseconds, as
on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyzero.games import IllegalMoveError
from pyzero.engines.tei import NO_MOVE  # noqa: F401 (re-exported: the protocol's "no move" word)


class TeiCommandError(ValueError):
    """A command line that cannot be obeyed; the message names the problem."""


@dataclass(frozen=True)
class NewGameRequest:
    """`teinewgame 6`, or the newer `teinewgame size 6 halfkomi 4` (PTN Ninja)."""

    size: int | None = None
    half_komi: int | None = None


@dataclass(frozen=True)
class PositionRequest:
    """`position startpos [moves ...]` (start_tps None) or `position tps <TPS> [moves ...]` (for
    UCI, `position fen <FEN> [moves ...]`: start_tps then holds the FEN)."""

    start_tps: str | None
    moves: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoRequest:
    """The limits of one `go` command; None where the GUI did not give one."""

    white_time_ms: int | None = None
    black_time_ms: int | None = None
    white_increment_ms: int = 0
    black_increment_ms: int = 0
    moves_to_go: int | None = None
    movetime_ms: int | None = None
    nodes: int | None = None
    depth: int | None = None
    infinite: bool = False
    ignored: tuple[str, ...] = field(default=())

    def has_clock(self) -> bool:
        return self.white_time_ms is not None or self.black_time_ms is not None

    def has_limit(self) -> bool:
        return self.has_clock() or self.movetime_ms is not None or self.nodes is not None or self.infinite


@dataclass(frozen=True)
class SetOptionRequest:
    """`setoption name <name words> [value <value words>]`."""

    name: str
    value: str | None


def _integer(keyword: str, text: str | None, minimum: int = 0) -> int:
    if text is None:
        raise TeiCommandError(f"'{keyword}' needs a number after it")
    try:
        value = int(text)
    except ValueError:
        raise TeiCommandError(f"'{keyword}' needs a whole number, got {text!r}") from None
    if value < minimum:
        raise TeiCommandError(f"'{keyword}' must be at least {minimum}, got {value}")
    return value


def parse_new_game(words: list[str]) -> NewGameRequest:
    """The words after `teinewgame`: nothing, `SIZE`, or `size SIZE [halfkomi K]`."""
    size: int | None = None
    half_komi: int | None = None
    index = 0
    if words and words[0].lstrip("-").isdigit():
        size = _integer("teinewgame", words[0], minimum=1)
        index = 1
    while index < len(words):
        keyword = words[index].lower()
        value = words[index + 1] if index + 1 < len(words) else None
        if keyword == "size":
            size = _integer("size", value, minimum=1)
        elif keyword == "halfkomi":
            half_komi = _integer("halfkomi", value, minimum=-1000)
        else:
            raise TeiCommandError(f"teinewgame: unexpected {words[index]!r} (expected a size, "
                                  "'size N' or 'halfkomi K')")
        index += 2
    return NewGameRequest(size, half_komi)


def parse_position(words: list[str], notation: str = "tps") -> PositionRequest:
    """The words after `position`: `startpos` or `<notation> <position>` (TEI's `tps`,
    UCI's `fen`), then optionally `moves` and the moves (racetrack sends `moves` even when
    none follow). `start_tps` holds the position in that notation."""
    if not words:
        raise TeiCommandError(f"position: expected 'startpos' or '{notation} <{notation.upper()}>'")
    try:
        moves_at = words.index("moves")
    except ValueError:
        moves_at = len(words)
    head, moves = words[:moves_at], tuple(words[moves_at + 1:])
    if not head:
        raise TeiCommandError(f"position: expected 'startpos' or '{notation} <{notation.upper()}>' before 'moves'")
    if head[0] == "startpos":
        if len(head) > 1:
            raise TeiCommandError(f"position startpos: unexpected {head[1]!r} (expected 'moves')")
        return PositionRequest(None, moves)
    if head[0] == notation:
        if len(head) < 2:
            raise TeiCommandError(f"position {notation}: the {notation.upper()} is missing")
        return PositionRequest(" ".join(head[1:]), moves)
    raise TeiCommandError(f"position: expected 'startpos' or '{notation}', got {head[0]!r}")


@dataclass(frozen=True)
class PlayedPosition:
    """A `position` command's result: the position to search, and the keys (`hash()`) of
    the positions played before it, oldest first: the game's history, which the graph
    search needs to find repetitions (a state carries none)."""

    state: object  # a pyzero State
    history: tuple[int, ...]


def play_position_moves(state, moves: tuple[str, ...]) -> PlayedPosition:
    """Plays a `position` command's moves on `state`; an illegal one is a TeiCommandError
    naming its number, the move, the position and why."""
    history = []
    for number, move in enumerate(moves, start=1):
        key = state.hash()
        try:
            state.play(move)
        except IllegalMoveError as error:
            raise illegal_position_move_error(number, move, error.position, error.reason) from None
        history.append(key)
    return PlayedPosition(state, tuple(history))


def illegal_position_move_error(number: int, move: str, position: str, reason: str) -> TeiCommandError:
    """The error of a `position` command's move number `number` that cannot be played in
    `position` (written in the protocol's notation) for `reason`."""
    return TeiCommandError(f"position: move {number} {move!r} is illegal in {position!r}: {reason}")


_GO_VALUE_KEYWORDS = {
    "wtime": "white_time_ms", "btime": "black_time_ms", "winc": "white_increment_ms",
    "binc": "black_increment_ms", "movestogo": "moves_to_go", "movetime": "movetime_ms",
    "nodes": "nodes", "depth": "depth",
}
_GO_MINIMUMS = {"movestogo": 1, "movetime": 1, "nodes": 1, "depth": 1}


def parse_go(words: list[str]) -> GoRequest:
    """The words after `go`. `infinite` searches until `stop`; `depth` is accepted but has
    no meaning for this search (reported in `ignored`); unknown words are errors."""
    values: dict[str, object] = {}
    ignored: list[str] = []
    index = 0
    while index < len(words):
        keyword = words[index]
        if keyword == "infinite":
            values["infinite"] = True
            index += 1
            continue
        if keyword not in _GO_VALUE_KEYWORDS:
            raise TeiCommandError(f"go: unknown limit {keyword!r} (known: {', '.join(_GO_VALUE_KEYWORDS)}, infinite)")
        value = words[index + 1] if index + 1 < len(words) else None
        values[_GO_VALUE_KEYWORDS[keyword]] = _integer(keyword, value, _GO_MINIMUMS.get(keyword, 0))
        if keyword == "depth":
            ignored.append(keyword)
        index += 2
    return GoRequest(**values, ignored=tuple(ignored))


def parse_set_option(words: list[str]) -> SetOptionRequest:
    """The words after `setoption`: `name <words> [value <words>]` (names may have spaces)."""
    if not words or words[0] != "name" or len(words) < 2:
        raise TeiCommandError("setoption: expected 'setoption name <name> value <value>'")
    try:
        value_at = words.index("value")
    except ValueError:
        value_at = len(words)
    name = " ".join(words[1:value_at])
    if not name:
        raise TeiCommandError("setoption: the option name is missing")
    value = " ".join(words[value_at + 1:]) if value_at < len(words) else None
    return SetOptionRequest(name, value)


def score_centipawns(value: float) -> int:
    """A value in [-1, 1] (side to move's view) as TEI `score cp`: -100 .. 100, tiltak's
    scale (its cp is 200 x win probability - 100, and value = 2 x win probability - 1)."""
    return int(round(max(-1.0, min(1.0, value)) * 100))


def format_info(nodes: int, value: float, elapsed_ms: float, principal_variation: list[str],
                depth: int | None = None, centipawns: int | None = None, multipv: int | None = None) -> str:
    """An `info` line: depth (the principal variation's length unless given), nodes
    (simulations), score cp (from `value` unless `centipawns` is given), time (ms), nps
    and pv, in the order tiltak writes them; with `multipv`, `multipv K` first (the line's
    rank under the MultiPV option)."""
    nodes_per_second = nodes * 1000.0 / elapsed_ms if elapsed_ms > 0 else 0.0
    depth = depth if depth is not None else max(1, len(principal_variation))
    pv = " ".join(principal_variation)
    score = centipawns if centipawns is not None else score_centipawns(value)
    rank = f"multipv {multipv} " if multipv is not None else ""
    return (f"info {rank}depth {depth} seldepth {depth} nodes {nodes} score cp {score} "
            f"time {int(round(elapsed_ms))} nps {int(round(nodes_per_second))}" + (f" pv {pv}" if pv else ""))
