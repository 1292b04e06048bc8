"""The Python face of a game: `Game` (a rule set with options) and `State` (a position).

Every method delegates to the Mojo engine (`pyzero_engine.<Name>State`); Python never
computes a rule. Moves are strings in the game's own notation; action indices (the fixed
policy space the network sees) are available beside them for tools and tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class IllegalMoveError(ValueError):
    """A move that is malformed or not legal in the position it was played in."""

    def __init__(self, move: str, game_name: str, position: str, reason: str):
        self.move = move
        self.game_name = game_name
        self.position = position
        self.reason = reason
        super().__init__(f"illegal move {move!r} in {game_name} position {position!r}: {reason}")


class PositionError(ValueError):
    """A position string that does not describe a legal position of the game."""


def engine_text_problem(text: object) -> str | None:
    """What keeps `text` from being handed to the Mojo engine, or None when it can be.

    The engine reads a Python `str` as UTF-8; a str that has no UTF-8 form (the lone
    surrogates by which Python carries undecodable bytes of argv, stdin or a file read
    with `surrogateescape`) aborts the whole process inside the engine instead of raising.
    A NUL character would cut the engine's error messages short. Both are refused here,
    in Python, before the engine sees the text."""
    if not isinstance(text, str):
        return f"expected text, got {type(text).__name__}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"it is not valid UTF-8 text (undecodable byte or lone surrogate at character {error.start})"
    nul_index = text.find("\0")
    if nul_index >= 0:
        return f"it contains a NUL character (at character {nul_index})"
    return None


class Game:
    """A game with fixed options (e.g. Tak's board size); makes and parses states."""

    state_class: type[State]  # set below, once State exists; games may use a subclass

    def __init__(self, name: str, state_type: Any, options: dict[str, float]):
        self.name = name
        self.options = dict(options)
        self._state_type = state_type
        for option_name in self.options:
            problem = engine_text_problem(option_name)
            if problem is not None:
                raise ValueError(f"{name}: option name {option_name!r} is not readable: {problem}")
        try:
            prototype = state_type.new(self.options)
        except Exception as error:  # the engine names the bad option
            raise ValueError(f"{name}: {error}") from None
        self.num_actions: int = prototype.num_actions()
        self.input_shape: tuple[int, int, int] = tuple(prototype.input_shape())
        self.num_symmetries: int = prototype.num_symmetries()

    def new(self) -> State:
        """The initial position."""
        return self.state_class(self, self._state_type.new(self.options))

    def from_position(self, text: str) -> State:
        """A position in the game's position notation (see `State.position`); raises
        `PositionError` naming the problem, for text the engine cannot read too."""
        problem = engine_text_problem(text)
        if problem is not None:
            raise PositionError(f"{self.name} position {text!r} is not readable: {problem}")
        try:
            raw = self._state_type.from_position(self.options, text)
        except Exception as error:
            raise PositionError(str(error)) from None
        return self.state_class(self, raw)

    def play_moves(self, moves: list[str] | str, start: State | None = None) -> State:
        """The position after playing `moves` (a list, or a whitespace-separated string)."""
        state = start.copy() if start is not None else self.new()
        for move in moves.split() if isinstance(moves, str) else moves:
            state.play(move)
        return state

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value:g}" for key, value in self.options.items())
        return f"Game({self.name!r}{', ' if options else ''}{options})"


class State:
    """A position. Mutable: `play` changes it in place; `copy` before branching."""

    def __init__(self, game: Game, raw: Any):
        self.game = game
        self._raw = raw

    # -- moves ---------------------------------------------------------------------------
    def legal_moves(self) -> list[str]:
        """Every legal move in notation; empty exactly when the game is over."""
        return self._raw.legal_moves()

    def legal_actions(self) -> list[int]:
        """Every legal move as an action index in `0 ..< game.num_actions`."""
        return self._raw.legal_actions()

    def move_to_action(self, move: str) -> int:
        """The action index of `move`; raises `IllegalMoveError` if malformed or illegal."""
        problem = engine_text_problem(move)
        if problem is not None:
            raise IllegalMoveError(move, self.game.name, self.position(), problem)
        try:
            action = int(self._raw.parse_move(move))
        except Exception as error:
            raise IllegalMoveError(move, self.game.name, self.position(), str(error)) from None
        if not self._raw.is_legal(action):
            reason = "the game is over" if self.is_terminal() else "not legal here"
            raise IllegalMoveError(move, self.game.name, self.position(), reason)
        return action

    def action_to_move(self, action: int) -> str:
        return self._raw.format_move(action)

    def record_move(self, move: str) -> str:
        """A legal move (any notation the game reads) as the game's records write it: SAN
        for chess (`Nf3`, `O-O`, `e8=Q#`), the game's own notation otherwise."""
        return self._raw.format_record_move(self.move_to_action(move))

    def play(self, move: str) -> None:
        """Plays a move given in notation; raises `IllegalMoveError` and leaves the state as it was."""
        self._raw.apply_action(self.move_to_action(move))

    def apply_action(self, action: int) -> None:
        """Plays an action index; raises `IllegalMoveError` if it is not legal."""
        if not self._raw.is_legal(action):
            raise IllegalMoveError(str(action), self.game.name, self.position(), "action not legal here")
        self._raw.apply_action(action)

    # -- status --------------------------------------------------------------------------
    def to_move(self) -> int:
        """The player to move: 0 for the first player, 1 for the second."""
        return self._raw.to_move()

    @property
    def ply(self) -> int:
        return self._raw.ply()

    def is_terminal(self) -> bool:
        return self._raw.is_terminal()

    def result(self) -> str | None:
        """None while the game goes on, else the result in the game's notation (`1-0`, `R-0`...)."""
        return self._raw.result_string() or None

    def winner(self) -> int | None:
        """None while the game goes on; else 0 or 1, or -1 for a draw."""
        return self._raw.winner() if self.is_terminal() else None

    def repetitions_for_draw(self) -> int:
        """How many occurrences of one position end the game as a draw (3 for chess), or 0
        when the game has no repetition rule. A state has no history: `PositionCounts`
        applies the rule over a game."""
        return self._raw.repetitions_for_draw()

    # -- hashing, encoding, symmetries ---------------------------------------------------
    def hash(self) -> int:
        """The incrementally maintained 64-bit Zobrist hash."""
        return self._raw.hash()

    def recompute_hash(self) -> int:
        """The Zobrist hash computed from scratch (equal to `hash()`; for tests)."""
        return self._raw.recompute_hash()

    def encode(self, out: np.ndarray | None = None) -> np.ndarray:
        """The network input, float32 of shape `game.input_shape` ([C, H, W])."""
        planes = _checked_planes(out, self.game.input_shape)
        self._raw.encode(planes.ctypes.data)
        return planes

    def transformed(self, symmetry: int) -> State:
        """This position mapped by board symmetry `symmetry` (0 is the identity)."""
        self._check_symmetry(symmetry)
        return type(self)(self.game, self._raw.transformed(symmetry))

    def symmetry_action(self, symmetry: int, action: int) -> int:
        self._check_symmetry(symmetry)
        return self._raw.symmetry_action(symmetry, action)

    def transform_encoding(self, symmetry: int, planes: np.ndarray) -> np.ndarray:
        """`planes` (an encoding) mapped by `symmetry`, as a new array."""
        self._check_symmetry(symmetry)
        source = np.ascontiguousarray(_checked_planes(planes, self.game.input_shape))
        destination = np.empty_like(source)
        self._raw.transform_encoding(symmetry, source.ctypes.data, destination.ctypes.data)
        return destination

    def _check_symmetry(self, symmetry: int) -> None:
        if not 0 <= symmetry < self.game.num_symmetries:
            raise ValueError(f"symmetry {symmetry} out of range 0..{self.game.num_symmetries - 1}")

    # -- text ------------------------------------------------------------------------------
    def position(self) -> str:
        """The position in the game's position notation (TPS for Tak)."""
        return self._raw.position()

    def render(self) -> str:
        return self._raw.render()

    def perft(self, depth: int, bulk_count: bool = True) -> int:
        """Number of legal move sequences of exactly `depth` plies (computed in Mojo).
        `bulk_count` counts the last ply's moves without playing them (the fast, usual
        way); False plays and hashes every leaf move (the speed of moves, not counts)."""
        if depth < 0:
            raise ValueError(f"perft depth must be >= 0, got {depth}")
        if not bulk_count:
            return self._raw.perft_played(depth)[0]
        return self._raw.perft(depth)

    def count_finished_games(self, max_depth: int) -> dict[str, int]:
        """Every game from here that ends within `max_depth` plies, counted by result."""
        first, second, draws, unfinished = self._raw.count_finished_games(max_depth)
        return {"first_player_wins": first, "second_player_wins": second, "draws": draws, "unfinished": unfinished}

    def copy(self) -> State:
        return type(self)(self.game, self._raw.copy())

    def __copy__(self) -> State:
        return self.copy()

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"<{self.game.name} ply {self.ply}: {self.position()}>"


Game.state_class = State


def _checked_planes(planes: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if planes is None:
        return np.zeros(shape, dtype=np.float32)
    if planes.shape != tuple(shape) or planes.dtype != np.float32 or not planes.flags.c_contiguous:
        raise ValueError(
            f"planes must be a C-contiguous float32 array of shape {tuple(shape)}, "
            f"got {planes.dtype} {planes.shape}"
        )
    return planes


class PositionCounts:
    """The positions of one game played out move by move, for the game's repetition rule
    (`State.repetitions_for_draw`): `add` each position reached; it answers True when that
    position has occurred often enough to end the game as a draw. For games without the
    rule it keeps nothing and always answers False."""

    def __init__(self, start: State):
        self.repetitions_for_draw = start.repetitions_for_draw()
        self.counts: dict[int, int] = {}
        self.add(start)

    def add(self, state: State) -> bool:
        if self.repetitions_for_draw <= 0:
            return False
        key = state.hash()
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key] >= self.repetitions_for_draw
