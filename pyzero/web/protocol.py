"""The messages a page may send over the websocket, and their validation.

Every message is one JSON object with a `type`; each type has a pydantic model that
forbids unknown fields and bounds every number and string, so a message the server acts
on is always well formed. `parse_client_message` turns anything else (not JSON, too
large, an unknown type, a missing or bad field) into a `ProtocolError` whose text is
shown on the page as it is.

No message carries a file path: checkpoints are named from the list the server sent,
saved games travel as text.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# Larger than any PTN a person would paste (an 8x8 game of 300 plies is about 3 KB) and
# small enough that a stuck or hostile page cannot make the server hold much.
MAX_MESSAGE_BYTES = 64 * 1024
# The websocket layer drops frames beyond this without reading them; between the two
# limits the page gets the readable "too large" message below.
MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES
# Bounds that keep one request from occupying an engine for long: the tabs playing the
# same game wait for it in turn. A search limited by time alone stops when its tab moves
# on; one limited by simulations alone runs to its end, so that bound is kept low.
MAX_SIMULATIONS = 20_000
MAX_SECONDS_PER_MOVE = 60.0
# The longest line a tab keeps (a loaded game's plies, or plies played from its start):
# every state message lists the line, so this bounds what one message carries.
MAX_GAME_PLIES = 2_000


class ProtocolError(ValueError):
    """A message the server does not accept; the text says why, for the page."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SearchLimitsMessage(_Message):
    """How long the engine searches a move: simulations, seconds, or both."""

    simulations: Annotated[int, Field(ge=1, le=MAX_SIMULATIONS)] | None = None
    seconds: Annotated[float, Field(gt=0, le=MAX_SECONDS_PER_MOVE)] | None = None


class NewGameMessage(_Message):
    type: Literal["new_game"]
    game: Annotated[str, Field(min_length=1, max_length=40)]
    human_side: Literal[0, 1] = 0
    checkpoint: Annotated[str, Field(max_length=200)] = ""  # a name from the server's list; "" is the latest
    limits: SearchLimitsMessage | None = None


class SettingsMessage(_Message):
    """Changes the engine (checkpoint) or its limits without starting over."""

    type: Literal["settings"]
    checkpoint: Annotated[str, Field(max_length=200)] | None = None
    limits: SearchLimitsMessage | None = None


class MoveMessage(_Message):
    type: Literal["move"]
    move: Annotated[str, Field(min_length=1, max_length=40)]


class GotoMessage(_Message):
    type: Literal["goto"]
    ply: Annotated[int, Field(ge=0, le=100_000)]


class LoadMessage(_Message):
    """A position (TPS for Tak, FEN for chess) or a saved game (PTN for Tak, PGN for chess, a move
    list otherwise), as text."""

    type: Literal["load"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_BYTES)]
    game: Annotated[str, Field(min_length=1, max_length=40)] | None = None  # switch to this game first
    at_start: bool = False  # stay at the start position, to step through the game with redo


class SimpleMessage(_Message):
    """The requests without arguments (`stop`: the engine's pending move and the analysis)."""

    type: Literal["undo", "redo", "engine_move", "swap", "save", "analyse_start", "analyse_stop", "stop"]


ClientMessage = Annotated[
    Union[NewGameMessage, SettingsMessage, MoveMessage, GotoMessage, LoadMessage, SimpleMessage],
    Field(discriminator="type"),
]
_CLIENT_MESSAGE = TypeAdapter(ClientMessage)
MESSAGE_TYPES = ("new_game", "settings", "move", "goto", "load", "undo", "redo", "engine_move", "swap", "save",
                 "analyse_start", "analyse_stop", "stop")


def parse_client_message(raw: str | bytes | None) -> ClientMessage:
    """The validated message in `raw` (the websocket frame's text); raises `ProtocolError`."""
    if raw is None or isinstance(raw, bytes):
        raise ProtocolError("binary messages are not accepted; send JSON text")
    if len(raw.encode("utf-8", errors="replace")) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message too large ({len(raw)} characters; the limit is {MAX_MESSAGE_BYTES} bytes)")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError("malformed message: not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("malformed message: expected a JSON object with a 'type'")
    if data.get("type") not in MESSAGE_TYPES:
        raise ProtocolError(f"unknown message type {str(data.get('type'))[:40]!r}; known: {', '.join(MESSAGE_TYPES)}")
    try:
        return _CLIENT_MESSAGE.validate_python(data)
    except ValidationError as error:
        raise ProtocolError(f"malformed {data['type']!r} message: {_first_problem(error)}") from None


def _first_problem(error: ValidationError) -> str:
    """One readable line for the first field pydantic rejected."""
    problem = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in problem["loc"])
    # The discriminated union puts the type's name first; the field is what the page needs.
    parts = location.split(".", 1)
    field = parts[1] if len(parts) > 1 and parts[0] in MESSAGE_TYPES else location
    return f"{field or 'message'}: {problem['msg']}"
