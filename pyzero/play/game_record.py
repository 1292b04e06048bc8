"""Saving and loading the current line of a session.

Tak lines are saved as PTN (tags Size, Komi, Flats/Caps when set, TPS when the game did
not start on the empty board, Result, players and date; then numbered movetext), so
`pyzero replay` and `pyzero.games.ptn` read them back. Chess lines are saved as PGN (the
seven-tag roster, SetUp/FEN when the game did not start from the initial position, SAN
movetext written by the engine, the result) and read back from PGN (tags, SAN or UCI
moves; comments, variations and annotation glyphs skipped). Other games are saved as a
plain move list, with `#` comment lines for the start position and the result:

    # pyzero tictactoe game
    # start: .../.x./...
    a1 c3 b1

Files are written atomically (a temporary file beside the target, then a rename), so an
interrupted save never leaves half a game behind.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyzero.text_files import read_utf8_text_file
from pyzero.games import Game, State
from pyzero.games.ptn import PtnError, game_options_from_tags, parse_ptn
from pyzero.play.session import GameSession

_START_COMMENT = "start:"


class GameRecordError(ValueError):
    """A saved game that cannot be read into this session's game; the message says why."""


@dataclass
class GameRecord:
    """A line of play read from a file: where it starts and its moves in notation."""

    start: State
    moves: list[str]


# -- writing ---------------------------------------------------------------------------------
def session_record_text(session: GameSession, players: tuple[str, str] = ("", ""),
                        date: datetime.date | None = None) -> str:
    """The session's current line as file text: PTN for Tak, a move list otherwise."""
    if session.game.name == "tak":
        return tak_ptn_text(session, players, date)
    if session.game.name == "chess":
        return chess_pgn_text(session, players, date)
    return move_list_text(session)


def record_format_name(game: Game) -> str:
    """What `session_record_text` writes for `game`, in words."""
    return {"tak": "PTN", "chess": "PGN"}.get(game.name, "move list")


def chess_pgn_text(session: GameSession, players: tuple[str, str] = ("", ""),
                   date: datetime.date | None = None) -> str:
    """The current line as one PGN game: the seven-tag roster, SetUp/FEN for another start,
    SAN movetext (as the engine writes it) and the result (`*` while the game goes on)."""
    line = session.line()
    start = line[0].state
    result = session.result(line[-1]) or "*"  # a threefold repetition too
    tags = {
        "Event": "pyzero play",
        "Site": "pyzero play",
        "Date": (date or datetime.date.today()).strftime("%Y.%m.%d"),
        "Round": "-",
        "White": players[0] or "?",
        "Black": players[1] or "?",
        "Result": result,
    }
    if start.position() != session.game.new().position():
        tags["SetUp"] = "1"
        tags["FEN"] = start.position()
    header = "".join(f'[{name} "{_escape_tag(value)}"]\n' for name, value in tags.items())
    tokens = []
    move_number = start.ply // 2 + 1
    for index, node in enumerate(line[1:]):
        before = line[index].state
        white_to_move = before.to_move() == 0
        if white_to_move:
            tokens.append(f"{move_number}.")
        elif index == 0:
            tokens.append(f"{move_number}...")
        tokens.append(before.record_move(node.move))
        if not white_to_move:
            move_number += 1
    tokens.append(result)
    return header + "\n" + _wrapped(tokens, 79) + "\n"


def _wrapped(tokens: list[str], width: int) -> str:
    """Tokens joined by spaces into lines of at most `width` characters (PGN's export limit is 80)."""
    lines, current = [], ""
    for token in tokens:
        if current and len(current) + 1 + len(token) > width:
            lines.append(current)
            current = token
        else:
            current = f"{current} {token}" if current else token
    lines.append(current)
    return "\n".join(lines)


def tak_ptn_text(session: GameSession, players: tuple[str, str] = ("", ""),
                 date: datetime.date | None = None) -> str:
    """The current line as one PTN game (headers, numbered movetext, result token)."""
    game = session.game
    line = session.line()
    start, final = line[0].state, line[-1].state
    start_tps = start.position()
    board, player_to_move, move_number = start_tps.split()
    result = final.result()
    tags = {
        "Site": "pyzero play",
        "Date": (date or datetime.date.today()).strftime("%Y.%m.%d"),
        "Player1": players[0],
        "Player2": players[1],
        "Size": str(len(board.split("/"))),
        "Komi": f"{game.options.get('komi', 0.0):g}",
    }
    for option, tag in (("flats", "Flats"), ("caps", "Caps")):
        if option in game.options:
            tags[tag] = f"{game.options[option]:g}"
    if start_tps != game.new().position():
        tags["TPS"] = start_tps
    tags["Result"] = result or ""
    header = "".join(f'[{name} "{_escape_tag(value)}"]\n' for name, value in tags.items())
    movetext = _numbered_movetext(session.line_moves(), int(move_number), black_first=player_to_move == "2")
    if result:
        movetext.append(result)
    return header + "\n" + "\n".join(movetext) + "\n"


def _escape_tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _numbered_movetext(moves: list[str], first_move_number: int, black_first: bool) -> list[str]:
    """PTN movetext lines, one move pair each; `--` stands for White's half when Black starts."""
    plies = (["--"] if black_first else []) + moves
    lines = []
    for index in range(0, len(plies), 2):
        lines.append(f"{first_move_number + index // 2}. " + " ".join(plies[index:index + 2]))
    return lines


def move_list_text(session: GameSession) -> str:
    """The current line as a plain move list with comment lines for the start and result."""
    line = session.line()
    start, final = line[0].state, line[-1].state
    comments = [f"# pyzero {session.game.name} game"]
    if start.position() != session.game.new().position():
        comments.append(f"# {_START_COMMENT} {start.position()}")
    if final.result():
        comments.append(f"# result: {final.result()}")
    return "\n".join(comments) + "\n" + " ".join(session.line_moves()) + "\n"


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Writes `text` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# -- reading ---------------------------------------------------------------------------------
def read_game_record(game: Game, path: str | Path) -> GameRecord:
    """The first game of a saved file (PTN for Tak, a move list otherwise) for `game`."""
    path = Path(path)
    text = read_utf8_text_file(path, GameRecordError)
    if game.name == "tak":
        return parse_tak_record(game, text, str(path))
    if game.name == "chess" and text.lstrip().startswith("["):
        return parse_chess_pgn(game, text, str(path))
    return parse_move_list(game, text, str(path))


def parse_chess_pgn(game: Game, text: str, source: str = "<string>") -> GameRecord:
    """The first game of a PGN text: its FEN tag (when SetUp) and its mainline moves.

    Comments (`{...}`, `;` to the end of the line), variations (`(...)`), numeric
    annotation glyphs (`$1`), move numbers and the result token are skipped; the moves
    themselves are read by the engine (SAN or UCI) when the line is played."""
    import re

    tags: dict[str, str] = {}
    movetext_lines: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        tag = re.fullmatch(r'\[(\w+)\s+"((?:[^"\\]|\\.)*)"\]', line)
        if tag:
            if movetext_lines:
                break  # the next game's tags
            tags[tag.group(1)] = tag.group(2).replace('\\"', '"').replace("\\\\", "\\")
        elif line.startswith("["):
            raise GameRecordError(f"{source}: malformed PGN tag {line!r}")
        elif line and not line.startswith("%"):
            movetext_lines.append(line.split(";")[0])
    movetext = " ".join(movetext_lines)
    movetext = re.sub(r"\{[^}]*\}", " ", movetext)
    depth, kept = 0, []
    for character in movetext:  # variations nest, so a regular expression cannot drop them
        depth += character == "("
        kept.append(character if depth == 0 else " ")
        depth -= character == ")" and depth > 0
    moves = []
    for token in "".join(kept).split():
        token = re.sub(r"^\d+\.+", "", token)  # "12." or "12...e5" glued to its move
        if not token or token.startswith("$") or token in ("1-0", "0-1", "1/2-1/2", "*"):
            continue
        moves.append(token)
    start = _start_position(game, tags["FEN"], source) if "FEN" in tags else game.new()
    return GameRecord(start, moves)


def parse_tak_record(game: Game, text: str, source: str = "<string>") -> GameRecord:
    """The first PTN game of `text`; its Size/Komi/Flats/Caps must match `game`'s options."""
    try:
        games = parse_ptn(text, source)
        if not games:
            raise GameRecordError(f"{source}: no game found")
        ptn_game = games[0]
        options = game_options_from_tags(ptn_game)
    except PtnError as error:
        raise GameRecordError(str(error)) from None
    wanted = {"size": 6.0, "komi": 0.0, **game.options}
    found = {"size": 6.0, "komi": 0.0, **options}
    for key in sorted(set(wanted) | set(found)):
        if key in wanted and key in found and wanted[key] != found[key]:
            raise GameRecordError(f"{source}: the game has {key} {found[key]:g}; this session plays {key} "
                                  f"{wanted[key]:g} (start pyzero play with a matching config)")
    tps = ptn_game.tag("TPS")
    start = _start_position(game, tps, source) if tps else game.new()
    return GameRecord(start, [ply.text for ply in ptn_game.plies])


def parse_move_list(game: Game, text: str, source: str = "<string>") -> GameRecord:
    """A move list: whitespace-separated moves, `N.` numbers ignored, `# start: POSITION` honoured."""
    start = game.new()
    moves: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if line.startswith("#"):
            comment = line[1:].strip()
            if comment.startswith(_START_COMMENT):
                start = _start_position(game, comment[len(_START_COMMENT):].strip(), source)
            continue
        moves.extend(token for token in line.split() if not (token.endswith(".") and token[:-1].isdigit()))
    return GameRecord(start, moves)


def _start_position(game: Game, position: str, source: str) -> State:
    from pyzero.games import PositionError

    try:
        return game.from_position(position)
    except PositionError as error:
        raise GameRecordError(f"{source}: bad start position {position!r}: {error}") from None
