"""PTN (Portable Tak Notation) game files: parsing and replaying.

A file holds one or more games: `[Tag "value"]` headers, then movetext (`1. a1 f6`,
`{comments}`, a `--` placeholder when a game starting from a TPS has Black to move first,
and an optional result token). Moves themselves are parsed by the Mojo engine
(`State.play`), so this module only splits the file into tokens, remembering the line of
each, and maps errors to the ply and the reason.

Ply numbers in messages count from 1 at the game's first ply, like PTN move numbers:
ply 2k-1 is White's half of move k when the game starts from the empty board.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pyzero.text_files import read_utf8_text_file
from pyzero.games.api import Game, IllegalMoveError, PositionError, State

RESULT_TOKENS = ("R-0", "0-R", "F-0", "0-F", "1-0", "0-1", "1/2-1/2", "0-0")
_TAG_PATTERN = re.compile(r'^\[\s*([A-Za-z0-9_]+)\s+"((?:[^"\\]|\\.)*)"\s*\]\s*$')
_MOVE_NUMBER_PATTERN = re.compile(r"^(\d+)\.$")


class PtnError(ValueError):
    """A PTN file that cannot be parsed or replayed; the message says where and why."""


@dataclass
class PtnPly:
    text: str
    line: int


@dataclass
class PtnGame:
    """One game of a PTN file: its tags, its plies (with source lines) and its result token."""

    source: str
    tags: dict[str, str] = field(default_factory=dict)
    plies: list[PtnPly] = field(default_factory=list)
    result_token: str | None = None
    first_line: int = 1

    def tag(self, name: str) -> str | None:
        """A tag's value, case-insensitively (files in the wild vary)."""
        for key, value in self.tags.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class ReplayResult:
    final_state: State
    result: str | None  # derived from the final position; None if the game is not over
    plies: int


def parse_ptn(text: str, source: str = "<string>") -> list[PtnGame]:
    """Splits PTN text into games. Raises `PtnError` naming the line for malformed input."""
    games: list[PtnGame] = []
    current: PtnGame | None = None
    in_movetext = False
    comment_depth_line: int | None = None
    lines = text.splitlines()
    for line_number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip()
        if comment_depth_line is None and line.startswith("["):
            match = _TAG_PATTERN.match(line)
            if not match:
                raise PtnError(f"{source}:{line_number}: malformed tag line {line!r}")
            if current is None or in_movetext:
                current = PtnGame(source=source, first_line=line_number)
                games.append(current)
                in_movetext = False
            current.tags[match.group(1)] = match.group(2).replace('\\"', '"')
            continue
        position = 0
        while position < len(line):
            if comment_depth_line is not None:
                end = line.find("}", position)
                if end < 0:
                    position = len(line)
                    continue
                comment_depth_line = None
                position = end + 1
                continue
            character = line[position]
            if character.isspace():
                position += 1
                continue
            if character == "{":
                comment_depth_line = line_number
                position += 1
                continue
            end = position
            while end < len(line) and not line[end].isspace() and line[end] != "{":
                end += 1
            token = line[position:end]
            position = end
            if current is None:
                current = PtnGame(source=source, first_line=line_number)
                games.append(current)
            in_movetext = True
            _add_movetext_token(current, token, line_number)
    if comment_depth_line is not None:
        raise PtnError(f"{source}:{comment_depth_line}: comment '{{' is never closed")
    return games


def _add_movetext_token(game: PtnGame, token: str, line_number: int) -> None:
    if _MOVE_NUMBER_PATTERN.match(token):
        return
    # "12.a1" (number glued to a move) occurs in hand-written files.
    glued = re.match(r"^(\d+)\.(.+)$", token)
    if glued:
        token = glued.group(2)
    if token in RESULT_TOKENS:
        if game.result_token is not None:
            raise PtnError(f"{game.source}:{line_number}: a second result token {token!r}")
        game.result_token = token
        return
    if game.result_token is not None:
        raise PtnError(f"{game.source}:{line_number}: move {token!r} after the result {game.result_token!r}")
    if token == "--":
        if game.plies:
            raise PtnError(f"{game.source}:{line_number}: the '--' placeholder may only stand for the first ply")
        return
    game.plies.append(PtnPly(token, line_number))


def game_options_from_tags(game: PtnGame) -> dict[str, float]:
    """Tak options from the tags: Size (required unless a TPS gives it), Komi, Flats, Caps."""
    options: dict[str, float] = {}
    tps_fields = (game.tag("TPS") or "").split()
    size_text = game.tag("Size")
    if (size_text is None or not size_text.strip()) and tps_fields:
        size_text = str(len(tps_fields[0].split("/")))
    if size_text is None or not size_text.strip():
        raise PtnError(f"{game.source}:{game.first_line}: the game has no Size tag (nor a TPS tag to tell it)")
    for tag_name, option in (("Size", "size"), ("Komi", "komi"), ("Flats", "flats"), ("Caps", "caps")):
        value = size_text if tag_name == "Size" else game.tag(tag_name)
        if value is None or value.strip() == "":
            continue
        try:
            options[option] = float(value)
        except ValueError:
            raise PtnError(f"{game.source}:{game.first_line}: tag {tag_name} {value!r} is not a number") from None
    return options


def replay(game: PtnGame) -> ReplayResult:
    """Plays every ply of `game`; raises `PtnError` naming the ply, its line and the reason."""
    from pyzero.games import make

    options = game_options_from_tags(game)
    try:
        tak: Game = make("tak", **options)
    except ValueError as error:
        raise PtnError(f"{game.source}:{game.first_line}: {error}") from None
    tps = game.tag("TPS")
    try:
        state = tak.from_position(tps) if tps else tak.new()
    except PositionError as error:
        raise PtnError(f"{game.source}:{game.first_line}: bad TPS tag: {error}") from None
    for ply in game.plies:
        ply_number = state.ply + 1
        try:
            state.play(ply.text)
        except IllegalMoveError as error:
            move_number = (ply_number + 1) // 2
            raise PtnError(
                f"{game.source}:{ply.line}: ply {ply_number} (move {move_number}) {ply.text!r}: {error.reason}"
            ) from None
    return ReplayResult(final_state=state, result=state.result(), plies=len(game.plies))


def read_ptn_file(path: str | Path) -> list[PtnGame]:
    """The games of a PTN file; a `PtnError` naming the file (and the line) when it cannot
    be read, is not UTF-8, or is malformed."""
    path = Path(path)
    return parse_ptn(read_utf8_text_file(path, PtnError), source=str(path))
