"""One browser tab's game: its position tree, its engine settings, its analysis.

A `TabSession` takes validated messages (`pyzero.web.protocol`) and answers through
`send(message)` with JSON-ready dicts: `state` (everything the page draws), `error` (a
sentence for the page), `thinking`, `analysis`, `record` (a saved game's text). The
position tree is `pyzero play`'s `GameSession`, so undo, redo, goto and branches behave
as in the terminal: undo and redo step over the engine's reply, browsing never makes
the engine move, and a move played anywhere in the tree becomes a new branch.

Errors a person can cause (an illegal move, a bad TPS, FEN or PGN, an unknown
checkpoint...) become `error` messages; the session is left as it was.

Nothing slow runs on the event loop, and nothing a tab waits for holds up another tab:
the engine's move and the analysis are tasks whose searches queue on their engine's own
worker (`ServedEngine.searches`), and the tab goes on reading messages meanwhile. A new
message that changes the game (new game, undo, goto, load, `stop`...) first cancels the
tab's pending engine move and analysis: a search still queued is dropped, a running one
is told to stop at its next batch (a search limited by simulations alone cannot be:
its move is discarded). A move typed while the engine thinks is refused; `save` leaves
the engine alone; `settings` restarts a pending engine move with the new settings.
Building engines and reading pasted games run on the loading queue's threads.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Callable

from pyzero.games import IllegalMoveError, PositionError, State
from pyzero.model.checkpoint import CheckpointError
from pyzero.play.board_view import result_description, side_name
from pyzero.play.game_record import (GameRecordError, parse_chess_pgn, parse_move_list, parse_tak_record,
                                     session_record_text)
from pyzero.play.session import GameSession, SessionError
from pyzero.players.network_player import SearchLimits
from pyzero.search import SearchStop
from pyzero.web import protocol
from pyzero.web.analysis import Analysis, stream_analysis
from pyzero.web.boards import board_json
from pyzero.web.served_players import EngineProvider, GameChoice, ServedEngine, UnknownChoiceError
from pyzero.web.work_queues import BoundedWorkQueue, WorkQueueFullError

DEFAULT_LIMITS = SearchLimits(simulations=64)
# Engine builds and pasted games read at once, and waiting, for the tabs of one server.
LOADING_WORKERS = 2
MAX_WAITING_LOADS = 64
# Messages that leave the tab's pending engine move and analysis as they are (the others
# cancel both first): each of these decides for itself.
MESSAGES_KEEPING_ENGINE_WORK = ("save", "move", "settings", "analyse_stop")
# The file name a saved game is offered under, by game; a plain move list otherwise.
RECORD_EXTENSIONS = {"tak": "ptn", "chess": "pgn"}
MOVE_NUMBER = re.compile(r"^\d+\.$")


class EngineLoadError(ValueError):
    """A checkpoint that cannot be used: unreadable, or of another network (its reason, named)."""


# What the page may be told went wrong: the person's mistakes (and a full queue), never
# the server's bugs.
USER_ERRORS = (IllegalMoveError, PositionError, SessionError, GameRecordError, UnknownChoiceError, CheckpointError,
               EngineLoadError, protocol.ProtocolError, WorkQueueFullError)

logger = logging.getLogger(__name__)


def loading_queue() -> BoundedWorkQueue:
    """The queue engine builds and pasted games are read on (one per server: `create_app`)."""
    return BoundedWorkQueue("loading", workers=LOADING_WORKERS, max_waiting=MAX_WAITING_LOADS)


def searched_move(served: ServedEngine, state: State, limits: SearchLimits, stop: SearchStop) -> str:
    """The engine's move in `state` (run on the engine's search worker, holding its lock);
    `stop` ends a search limited by time at its next batch."""
    with served.lock:
        return served.engine.analyse(state, limits, stop=stop).chosen_move


class TabSession:
    """The state of one tab; see the module docstring. Not shared between tabs."""

    def __init__(self, provider: EngineProvider, send: Callable[[dict[str, Any]], None],
                 loading: BoundedWorkQueue | None = None):
        self.provider = provider
        self.send = send
        self.loading = loading or loading_queue()
        self.choice: GameChoice = provider.target.game_choices()[0]
        self.checkpoint = ""
        self.served: ServedEngine | None = None
        self.session: GameSession | None = None
        self.human_side = 0
        self.limits = DEFAULT_LIMITS
        self.engine_move_task: asyncio.Task | None = None
        self.analysis_task: asyncio.Task | None = None

    # -- the conversation ------------------------------------------------------------------
    async def start(self) -> None:
        """Says hello (the games and checkpoints offered) and starts the run's game."""
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
        """Acts on one message; a person's mistake becomes an `error` message. Most
        messages first cancel the tab's pending engine move and analysis (see the module
        docstring)."""
        try:
            if self.session is None and message.type != "new_game":  # the first game did not start
                raise SessionError("this tab has no game yet: start a new game")
            if message.type not in MESSAGES_KEEPING_ENGINE_WORK:
                await self.cancel_engine_work()
            await getattr(self, f"on_{message.type}")(message)
        except USER_ERRORS as error:
            self.report_error(str(error))

    def report_error(self, text: str) -> None:
        self.send({"type": "error", "message": text})

    def close(self) -> None:
        """The tab went away: cancel its engine move and analysis (a queued search is
        dropped, a running one stops at its next batch)."""
        for task in (self.engine_move_task, self.analysis_task):
            if task is not None:
                task.cancel()

    # -- messages ----------------------------------------------------------------------------
    async def on_new_game(self, message: protocol.NewGameMessage) -> None:
        choice = self.provider.target.game_choice(message.game)
        limits = self._limits(message.limits) if message.limits else self.limits
        served = await self.load_native(choice, message.checkpoint)
        self.choice, self.checkpoint, self.served, self.limits = choice, message.checkpoint, served, limits
        self.session = GameSession(served.engine.game)
        self.human_side = message.human_side
        self.send_state()
        self.start_engine_reply_if_its_turn()

    async def on_settings(self, message: protocol.SettingsMessage) -> None:
        """New limits or checkpoint for this game; a pending engine move starts over with them."""
        limits = self._limits(message.limits) if message.limits is not None else self.limits
        served = self.served
        if message.checkpoint is not None and message.checkpoint != self.checkpoint:
            served = await self.load_native(self.choice, message.checkpoint)
            await self.cancel_analysis()  # it searches with the engine being replaced
        was_thinking = self.engine_is_thinking()
        await self.cancel_engine_move()
        self.limits, self.served = limits, served
        if message.checkpoint is not None:
            self.checkpoint = message.checkpoint
        self.send_state()
        if was_thinking:
            self.start_engine_reply_if_its_turn()

    async def on_move(self, message: protocol.MoveMessage) -> None:
        if self.engine_is_thinking():
            raise SessionError("the engine is thinking: wait for its move, or stop it first (stop, undo or new game)")
        await self.cancel_engine_work()
        if self.session.is_over() and not self.session.state.is_terminal():
            raise SessionError("the game is over (a draw by repetition): undo, go back or start a new game")
        self.check_line_has_room()
        self.session.play(message.move.strip())
        self.send_state()
        self.start_engine_reply_if_its_turn()

    async def on_undo(self, message) -> None:
        self.session.undo()
        if self.engine_to_move() and self.session.can_undo():  # back over the engine's reply too
            self.session.undo()
        self.send_state()

    async def on_redo(self, message) -> None:
        self.session.redo()
        if self.engine_to_move() and self.session.can_redo():
            self.session.redo()
        self.send_state()

    async def on_goto(self, message: protocol.GotoMessage) -> None:
        self.session.goto(message.ply)
        self.send_state()

    async def on_engine_move(self, message) -> None:
        """The engine plays the side to move from here (and takes that side from now on)."""
        if self.session.is_over():
            raise SessionError("the game is over: there is no move to play")
        self.human_side = 1 - self.session.state.to_move()
        self.start_engine_reply_if_its_turn()

    async def on_swap(self, message) -> None:
        self.human_side = 1 - self.human_side
        self.send_state()
        self.start_engine_reply_if_its_turn()

    async def on_stop(self, message) -> None:
        """The engine's move and the analysis are cancelled (by `handle`); the page redraws."""
        self.send_state()

    async def on_load(self, message: protocol.LoadMessage) -> None:
        if message.game is not None and message.game != self.choice.key:
            await self.switch_game_and_load(self.provider.target.game_choice(message.game), message.text)
        else:
            try:
                await self.loading.run(load_text, self.session, message.text)
            except (PositionError, GameRecordError):
                # A FEN or PGN pasted while another game is on the board: play it as chess
                # rather than report that it is no TicTacToe position. Anything chess cannot
                # read either keeps the current game's message, which names its notation.
                chess_choice = await self.loading.run(self.chess_choice_reading, message.text)
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
        served = await self.load_native(choice, checkpoint)
        session = GameSession(served.engine.game)
        await self.loading.run(load_text, session, text)  # a bad text raises here, before the tab changes game
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
        if self.session.is_over():
            raise SessionError("the game is over: there is nothing to analyse")

        def publish(report: dict[str, Any]) -> None:
            self.send({"type": "analysis", **report})

        self.analysis_task = asyncio.create_task(stream_analysis(Analysis(self.served, self.session.state), publish))

    async def on_analyse_stop(self, message) -> None:
        await self.cancel_analysis()

    # -- the engine ----------------------------------------------------------------------------
    async def load_native(self, choice: GameChoice, checkpoint: str) -> ServedEngine:
        """The provider's engine for `choice` (built on the loading queue: loading takes a while)."""
        try:
            return await self.loading.run(self.provider.engine_for, choice, checkpoint)
        except CheckpointError as error:  # unreadable, or of another network: said without the server's paths
            reason = str(error).split(": ", 1)[-1]
            raise EngineLoadError(f"checkpoint {checkpoint or 'latest'} cannot be used: {reason}") from None

    def engine_to_move(self) -> bool:
        state = self.session.state
        return not self.session.is_over() and state.to_move() != self.human_side

    def engine_is_thinking(self) -> bool:
        return self.engine_move_task is not None and not self.engine_move_task.done()

    def check_line_has_room(self) -> None:
        """Raises `SessionError` when one more ply would make the line longer than the
        server keeps (`protocol.MAX_GAME_PLIES`)."""
        if self.session.current.ply - self.session.root.ply >= protocol.MAX_GAME_PLIES:
            raise SessionError(f"this game has reached {protocol.MAX_GAME_PLIES} plies, the longest this server "
                               f"keeps: save it, or go back and play another line")

    def start_engine_reply_if_its_turn(self) -> None:
        """Starts the engine's move as a task while it is its turn (once: the sides alternate)."""
        if not self.engine_to_move():
            return
        self.check_line_has_room()
        self.engine_move_task = asyncio.create_task(
            self.engine_reply(self.served, self.session.state.copy(), self.limits))

    async def engine_reply(self, served: ServedEngine, state: State, limits: SearchLimits) -> None:
        """Searches `state` on the engine's worker and plays the move found, if the tab is
        still there; says "thinking" meanwhile. Cancelled: the search is dropped or stopped."""
        stop = SearchStop()
        self.send({"type": "thinking", "active": True, "engine": served.label})
        try:
            move = await served.searches.run(searched_move, served, state, limits, stop)
        except asyncio.CancelledError:
            stop.set()  # a running search ends at its next batch (one limited by time)
            raise
        except USER_ERRORS as error:
            self.report_error(str(error))
            return
        except Exception as error:  # noqa: BLE001 - a bug: logged in full, the tab told in a line
            logger.exception("pyzero serve: the engine's search failed")
            self.report_error(f"internal error while the engine searched: {error}")
            return
        finally:
            self.send({"type": "thinking", "active": False, "engine": served.label})
        if self.session.state.position() == state.position():  # the tab did not move on meanwhile
            self.session.play(move)
        self.send_state(last_engine_move=move)

    async def cancel_engine_move(self) -> None:
        task, self.engine_move_task = self.engine_move_task, None
        await _cancelled(task)

    async def cancel_analysis(self) -> None:
        task, self.analysis_task = self.analysis_task, None
        await _cancelled(task)

    async def cancel_engine_work(self) -> None:
        """Cancels the pending engine move and the analysis, and waits until both have
        said so (`thinking` off, the analysis' last report)."""
        await self.cancel_engine_move()
        await self.cancel_analysis()

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


async def _cancelled(task: asyncio.Task | None) -> None:
    """Cancels `task` and waits for it to end (without raising its cancellation here)."""
    if task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task])


def load_text(session: GameSession, text: str) -> None:
    """Starts `session` over from `text`: a position (TPS for Tak, FEN for chess) or a saved
    game (PTN for Tak, PGN or bare SAN/UCI movetext for chess, a move list otherwise) of at
    most `protocol.MAX_GAME_PLIES` plies. Raises `PositionError` or `GameRecordError`,
    naming both readings when neither fits; the session is unchanged then. Slow for a long
    game: the server calls it on a worker thread."""
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
    if len(record.moves) > protocol.MAX_GAME_PLIES:
        raise GameRecordError(f"{source} has {len(record.moves)} plies; this server keeps games of at most "
                              f"{protocol.MAX_GAME_PLIES} plies")
    try:
        session.load_line(record.start, record.moves)
    except IllegalMoveError as error:
        raise GameRecordError(f"{source}: {error}") from None
