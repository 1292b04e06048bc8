"""One browser tab's game: its position tree, its engine settings, its analysis.

A `TabSession` takes validated messages (`pyzero.web.protocol`) and answers through
`send(message)` with JSON-ready dicts: `state` (everything the page draws), `error` (a
sentence for the page), `thinking`, `analysis`, `record` (a saved game's text). The
position tree is `pyzero play`'s `GameSession`, so undo, redo, goto and branches behave
as in the terminal: undo and redo step over the engine's reply, browsing never makes
the engine move, and a move played anywhere in the tree becomes a new branch.

Errors a person can cause (an illegal move, a bad TPS, FEN or PGN, an unknown
checkpoint...) become `error` messages; the session is left as it was.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Callable

from pyzero.games import IllegalMoveError, PositionError
from pyzero.model.checkpoint import CheckpointError
from pyzero.play.board_view import result_description, side_name
from pyzero.play.game_record import (GameRecordError, parse_chess_pgn, parse_move_list, parse_tak_record,
                                     session_record_text)
from pyzero.play.session import GameSession, SessionError
from pyzero.players.engine import SearchLimits
from pyzero.web import protocol
from pyzero.web.analysis import AnalysisJob
from pyzero.web.boards import board_json
from pyzero.web.engines import EngineProvider, GameChoice, ServedEngine, UnknownChoiceError

DEFAULT_LIMITS = SearchLimits(simulations=64)
# The file name a saved game is offered under, by game; a plain move list otherwise.
RECORD_EXTENSIONS = {"tak": "ptn", "chess": "pgn"}
MOVE_NUMBER = re.compile(r"^\d+\.$")


class EngineLoadError(ValueError):
    """A checkpoint whose weights do not fit the run's network (torch's RuntimeError, named)."""


# What the page may be told went wrong: the person's mistakes, never the server's bugs.
USER_ERRORS = (IllegalMoveError, PositionError, SessionError, GameRecordError, UnknownChoiceError, CheckpointError,
               EngineLoadError, protocol.ProtocolError)


class TabSession:
    """The state of one tab; see the module docstring. Not shared between tabs."""

    def __init__(self, provider: EngineProvider, send: Callable[[dict[str, Any]], None]):
        self.provider = provider
        self.send = send
        self.choice: GameChoice = provider.target.game_choices()[0]
        self.checkpoint = ""
        self.served: ServedEngine | None = None
        self.session: GameSession | None = None
        self.human_side = 0
        self.limits = DEFAULT_LIMITS
        self.analysis: AnalysisJob | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- the conversation ------------------------------------------------------------------
    async def start(self) -> None:
        """Says hello (the games and checkpoints offered) and starts the run's game."""
        self._loop = asyncio.get_running_loop()
        self.send(self.hello())
        await self.handle(protocol.NewGameMessage(type="new_game", game=self.choice.key))

    def hello(self) -> dict[str, Any]:
        target = self.provider.target
        return {"type": "hello",
                "games": [{"key": choice.key, "label": choice.label, "trained": choice.trained}
                          for choice in target.game_choices()],
                "checkpoints": list(target.checkpoints()),
                "limits": {"simulations": self.limits.simulations, "seconds": self.limits.seconds},
                "max_message_bytes": protocol.MAX_MESSAGE_BYTES}

    async def handle(self, message: protocol.ClientMessage) -> None:
        """Acts on one message; a person's mistake becomes an `error` message."""
        try:
            await getattr(self, f"on_{message.type}")(message)
        except USER_ERRORS as error:
            self.report_error(str(error))

    def report_error(self, text: str) -> None:
        self.send({"type": "error", "message": text})

    def close(self) -> None:
        """The tab went away: stop its analysis (the engine's lock is freed at its next batch)."""
        if self.analysis is not None:
            self.analysis.stop()

    # -- messages ----------------------------------------------------------------------------
    async def on_new_game(self, message: protocol.NewGameMessage) -> None:
        choice = self.provider.target.game_choice(message.game)
        limits = self._limits(message.limits) if message.limits else self.limits
        await self.stop_analysis()
        served = await self.load_engine(choice, message.checkpoint)
        self.choice, self.checkpoint, self.served, self.limits = choice, message.checkpoint, served, limits
        self.session = GameSession(served.engine.game)
        self.human_side = message.human_side
        self.send_state()
        await self.engine_reply_if_its_turn()

    async def on_settings(self, message: protocol.SettingsMessage) -> None:
        if message.limits is not None:
            self.limits = self._limits(message.limits)
        if message.checkpoint is not None and message.checkpoint != self.checkpoint:
            await self.stop_analysis()
            self.served = await self.load_engine(self.choice, message.checkpoint)
            self.checkpoint = message.checkpoint
        self.send_state()

    async def on_move(self, message: protocol.MoveMessage) -> None:
        await self.stop_analysis()
        if self.session.is_over() and not self.session.state.is_terminal():
            raise SessionError("the game is over (a draw by repetition): undo, go back or start a new game")
        self.session.play(message.move.strip())
        self.send_state()
        await self.engine_reply_if_its_turn()

    async def on_undo(self, message) -> None:
        await self.stop_analysis()
        self.session.undo()
        if self.engine_to_move() and self.session.can_undo():  # back over the engine's reply too
            self.session.undo()
        self.send_state()

    async def on_redo(self, message) -> None:
        await self.stop_analysis()
        self.session.redo()
        if self.engine_to_move() and self.session.can_redo():
            self.session.redo()
        self.send_state()

    async def on_goto(self, message: protocol.GotoMessage) -> None:
        await self.stop_analysis()
        self.session.goto(message.ply)
        self.send_state()

    async def on_engine_move(self, message) -> None:
        """The engine plays the side to move from here (and takes that side from now on)."""
        await self.stop_analysis()
        if self.session.is_over():
            raise SessionError("the game is over: there is no move to play")
        self.human_side = 1 - self.session.state.to_move()
        await self.engine_reply_if_its_turn()

    async def on_swap(self, message) -> None:
        await self.stop_analysis()
        self.human_side = 1 - self.human_side
        self.send_state()
        await self.engine_reply_if_its_turn()

    async def on_load(self, message: protocol.LoadMessage) -> None:
        await self.stop_analysis()
        if message.game is not None and message.game != self.choice.key:
            await self.switch_game_and_load(self.provider.target.game_choice(message.game), message.text)
        else:
            try:
                load_text(self.session, message.text)
            except (PositionError, GameRecordError):
                # A FEN or PGN pasted while another game is on the board: play it as chess
                # rather than report that it is no TicTacToe position. Anything chess cannot
                # read either keeps the current game's message, which names its notation.
                chess_choice = self.chess_choice_reading(message.text)
                if chess_choice is None:
                    raise
                await self.switch_game_and_load(chess_choice, message.text)
        if message.at_start:
            self.session.goto(self.session.root.ply)
        self.send_state()

    async def switch_game_and_load(self, choice: GameChoice, text: str) -> None:
        """Makes `choice` the tab's game, started from `text`; a bad text raises first,
        leaving the tab's game as it was."""
        checkpoint = self.checkpoint if choice.trained else ""
        served = await self.load_engine(choice, checkpoint)
        session = GameSession(served.engine.game)
        load_text(session, text)  # a bad text raises here, before the tab changes game
        self.choice, self.checkpoint, self.served, self.session = choice, checkpoint, served, session

    def chess_choice_reading(self, text: str) -> GameChoice | None:
        """The offered chess game if the tab plays another game and `text` reads as chess."""
        if self.session.game.name == "chess":
            return None
        choice = next((choice for choice in self.provider.target.game_choices() if choice.name == "chess"), None)
        if choice is None:
            return None
        try:
            load_text(GameSession(choice.make_game()), text)
        except (PositionError, GameRecordError, IllegalMoveError):
            return None
        return choice

    async def on_save(self, message) -> None:
        game = self.session.game
        extension = RECORD_EXTENSIONS.get(game.name, "txt")
        self.send({"type": "record", "text": session_record_text(self.session, self.player_names()),
                   "filename": f"pyzero-{game.name}.{extension}", "position": self.session.line()[-1].state.position()})

    async def on_analyse_start(self, message) -> None:
        await self.stop_analysis()
        if self.session.is_over():
            raise SessionError("the game is over: there is nothing to analyse")
        loop = self._loop or asyncio.get_running_loop()

        def publish(report: dict[str, Any]) -> None:  # called on the analysis thread
            loop.call_soon_threadsafe(self.send, {"type": "analysis", **report})

        self.analysis = AnalysisJob(self.served, self.session.state, publish)
        self.analysis.start()

    async def on_analyse_stop(self, message) -> None:
        await self.stop_analysis()

    # -- the engine ----------------------------------------------------------------------------
    async def load_engine(self, choice: GameChoice, checkpoint: str) -> ServedEngine:
        """The provider's engine for `choice` (built on a thread: loading takes a while)."""
        try:
            return await asyncio.to_thread(self.provider.engine_for, choice, checkpoint)
        except RuntimeError as error:  # torch: the checkpoint's tensors do not fit the run's network
            raise EngineLoadError(f"checkpoint {checkpoint or 'latest'} does not fit this run's network: "
                                  f"{str(error).splitlines()[0]}") from None

    def engine_to_move(self) -> bool:
        state = self.session.state
        return not self.session.is_over() and state.to_move() != self.human_side

    async def engine_reply_if_its_turn(self) -> None:
        """Lets the engine move while it is its turn (once: the sides alternate)."""
        if not self.engine_to_move():
            return
        served, state, limits = self.served, self.session.state.copy(), self.limits
        self.send({"type": "thinking", "active": True, "engine": served.label})

        def search() -> str:
            with served.lock:
                return served.engine.best_move(state, limits)

        try:
            move = await asyncio.to_thread(search)
        finally:
            self.send({"type": "thinking", "active": False, "engine": served.label})
        if self.session.state.position() == state.position():  # the tab did not move on meanwhile
            self.session.play(move)
        self.send_state(last_engine_move=move)

    async def stop_analysis(self) -> None:
        """Stops a running analysis and waits for its thread (it ends at its next batch)."""
        job, self.analysis = self.analysis, None
        if job is not None and job.is_alive():
            job.stop()
            await asyncio.to_thread(job.join)

    # -- what the page draws ---------------------------------------------------------------------
    def _limits(self, message: protocol.SearchLimitsMessage) -> SearchLimits:
        if message.simulations is None and message.seconds is None:
            raise protocol.ProtocolError("limits: give simulations, seconds or both")
        return SearchLimits(simulations=message.simulations, seconds=message.seconds)

    def player_names(self) -> tuple[str, str]:
        names = ["you", "you"]
        names[1 - self.human_side] = f"pyzero {self.served.engine.name}"
        return names[0], names[1]

    def send_state(self, last_engine_move: str | None = None) -> None:
        self.send(self.state_message(last_engine_move))

    def state_message(self, last_engine_move: str | None = None) -> dict[str, Any]:
        session, game = self.session, self.session.game
        state = session.state
        line = []
        for node in session.line()[1:]:
            # What a person reads: SAN for chess (the move the page sends back stays UCI).
            notation = node.parent.state.record_move(node.move) if game.name == "chess" else node.move
            line.append({"ply": node.ply, "move": node.move, "side": side_name(game, node.parent.state.to_move()),
                         "alternatives": len(node.parent.children) - 1, "current": node is session.current,
                         "notation": notation})
        return {
            "type": "state",
            "game": {"key": self.choice.key, "label": self.choice.label, "name": game.name},
            "board": board_json(state),
            "position": state.position(),
            "ply": state.ply,
            "start_ply": session.root.ply,
            "to_move": state.to_move(),
            "side_names": [side_name(game, 0), side_name(game, 1)],
            "human_side": self.human_side,
            "result": session.result(),
            "result_text": result_description(state, session.drawn_by_repetition()),
            "legal_moves": [] if session.is_over() else state.legal_moves(),
            "line": line,
            "variations": [child.move for child in session.variations()],
            "can_undo": session.can_undo(),
            "can_redo": session.can_redo(),
            "engine": self.served.label,
            "checkpoint": self.checkpoint,
            "checkpoints": list(self.provider.target.checkpoints()),  # listed now: a training run adds more
            "limits": {"simulations": self.limits.simulations, "seconds": self.limits.seconds},
            "last_engine_move": last_engine_move,
        }


def load_text(session: GameSession, text: str) -> None:
    """Starts `session` over from `text`: a position (TPS for Tak, FEN for chess) or a saved
    game (PTN for Tak, PGN or bare SAN/UCI movetext for chess, a move list otherwise).
    Raises `PositionError` or `GameRecordError`, naming both readings when neither fits;
    the session is unchanged then."""
    game = session.game
    stripped = text.strip()
    if not stripped:
        raise GameRecordError("nothing to load: paste a position or a saved game")
    # PTN starts with tags, a move list may start with comments or a move number ("1.").
    looks_like_record = stripped.startswith(("[", "#")) or MOVE_NUMBER.match(stripped.split()[0]) is not None
    if not looks_like_record:
        try:
            session.load_position(stripped)
            return
        except PositionError as position_error:
            if "/" in stripped:  # a position with a mistake, not a move list
                raise PositionError(f"bad position: {position_error}") from None
    source = "the loaded game"
    if game.name == "tak":
        record = parse_tak_record(game, stripped, source)
    elif game.name == "chess" and not stripped.startswith("#"):  # "#" starts pyzero's plain move lists
        record = parse_chess_pgn(game, stripped, source)
    else:
        record = parse_move_list(game, stripped, source)
    try:
        session.load_line(record.start, record.moves)
    except IllegalMoveError as error:
        raise GameRecordError(f"{source}: {error}") from None
