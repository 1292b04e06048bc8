"""The read-eval-print loop of `pyzero play`: a person against the engine.

    terminal = PlayTerminal(engine, GameSession(engine.game), console, read_line=console.input,
                            limits=SearchLimits(simulations=200), engine_side=1)
    terminal.run()   # until `quit`, end of input or Ctrl-C

Each input line is a command (a word without digits: `undo`, `goto 4`, `save g.ptn`...)
or a move in the game's notation (moves hold a digit: `b2`, `4`, `3c3>12`, except chess's
castling `O-O`, which is played when legal). After
every line the engine replies when it is its turn at the end of a line: browsing back into
a game (`undo`, `goto`) never makes it move, so the moves already there stay; `go` or
`swap` ask it to move from any position. `undo` and `redo` step over the engine's reply,
back (or on) to a position where it is your move.

Input comes from `read_line(prompt)` (raising `EOFError` at the end), so tests drive the
loop with a list of lines and a recording console.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pyzero.games import IllegalMoveError, PositionError
from pyzero.play import board_view
from pyzero.play.game_record import (GameRecordError, read_game_record, record_format_name, session_record_text,
                                     write_text_atomically)
from pyzero.play.session import GameSession, SessionError
from pyzero.players.network_player import NetworkPlayer, SearchLimits


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]  # the first is the one help shows
    arguments: str
    summary: str
    method: str  # PlayTerminal method taking the argument text


COMMANDS: tuple[Command, ...] = (
    Command(("help", "?"), "", "this list", "command_help"),
    Command(("moves",), "", "the legal moves", "command_moves"),
    Command(("board", "show"), "", "draw the board again (an empty line does too)", "command_board"),
    Command(("undo", "back"), "", "take back your last move (and the engine's reply)", "command_undo"),
    Command(("redo", "forward"), "", "replay the moves taken back, along the most recent branch", "command_redo"),
    Command(("goto",), "N|start|end", "browse to the position after ply N of the current line", "command_goto"),
    Command(("history",), "", "the current line, numbered by ply", "command_history"),
    Command(("variations", "branches"), "", "the moves tried at this position; other branch points",
            "command_variations"),
    Command(("hint",), "[SIMULATIONS]", "the engine's suggested move for the side to move", "command_hint"),
    Command(("analyse", "analyze"), "[SIMULATIONS]", "the top moves of a search: visits, Q, prior, policy",
            "command_analyse"),
    Command(("go",), "", "let the engine play its move from here (when it is its turn)", "command_go"),
    Command(("swap",), "", "swap sides: the engine takes the side to move and plays", "command_swap"),
    Command(("new",), "", "a new game (same sides)", "command_new"),
    Command(("load",), "POSITION|FILE", "start from a position (TPS for Tak, FEN for chess) or a saved game",
            "command_load"),
    Command(("save",), "FILE", "save the current line (PTN for Tak, PGN for chess, a move list otherwise)",
            "command_save"),
    Command(("quit", "exit", "q"), "", "stop (end of input and Ctrl-C stop too)", "command_quit"),
)
COMMANDS_BY_NAME = {name: command for command in COMMANDS for name in command.names}


class _Quit(Exception):
    """Raised by `quit` to leave the loop."""


class PlayTerminal:
    """The loop: reads lines, runs commands or moves, lets the engine reply, draws the board."""

    def __init__(self, engine: NetworkPlayer, session: GameSession, console: Console,
                 read_line: Callable[[str], str], limits: SearchLimits, engine_side: int = 1):
        self.engine = engine
        self.session = session
        self.console = console
        self.read_line = read_line
        self.limits = limits
        self.engine_side = engine_side  # 0: the engine plays first; 1: second

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> None:
        game = self.session.game
        your_side = board_view.side_name(game, 1 - self.engine_side)
        self.console.print(f"pyzero play: {board_view.game_description(game)}; you play {your_side} against "
                           f"{self.engine.name} ({describe_limits(self.limits)}). Type a move, or 'help'.",
                           highlight=False)
        self.show_position()
        self.after_command(self.session.current, self.session.root)
        while True:
            try:
                line = self.read_line(self.prompt())
            except EOFError:
                self.console.print("\nend of input: goodbye.")
                return
            except KeyboardInterrupt:
                self.console.print("\ninterrupted: goodbye.")
                return
            try:
                self.handle_line(line)
            except _Quit:
                self.console.print("goodbye.")
                return
            except KeyboardInterrupt:  # Ctrl-C during a search: the tree only changes after one
                self.console.print("\ninterrupted; 'quit' stops.")

    def handle_line(self, line: str) -> None:
        """Runs one input line (a command or a move), then the engine's reply and the board."""
        text = line.strip()
        current, root = self.session.current, self.session.root
        if not text:
            self.show_position()
            return
        word, _, argument = text.partition(" ")
        command = COMMANDS_BY_NAME.get(word.lower())
        if command is not None:
            getattr(self, command.method)(argument.strip())
        elif not any(character.isdigit() for character in word) and not self.is_legal_move(text):
            self.error(f"unknown command {word!r}")
            self.console.print("commands: " + ", ".join(command.names[0] for command in COMMANDS)
                               + "; moves are typed in the game's notation ('moves' lists them)", highlight=False)
        else:
            self.play_person_move(text)
        self.after_command(current, root)

    def is_legal_move(self, text: str) -> bool:
        """Whether `text` is a legal move here: the few moves without a digit (chess's
        castling `O-O`, `O-O-O`) are then played rather than taken for unknown commands."""
        try:
            self.session.state.move_to_action(text)
        except IllegalMoveError:
            return False
        return True

    def after_command(self, current_before, root_before) -> None:
        """The engine replies when it is its turn at the end of a line; the board is drawn
        again when the position changed."""
        state = self.session.state
        if not self.session.is_over() and state.to_move() == self.engine_side and not self.session.current.children:
            self.engine_plays()
        if self.session.current is not current_before or self.session.root is not root_before:
            self.show_position()

    def prompt(self) -> str:
        state = self.session.state
        if self.session.is_over():
            return "game over> "
        side = board_view.side_name(state.game, state.to_move())
        if state.to_move() == self.engine_side:
            return f"{side} (engine; 'go' lets it move)> "
        return f"{side} (you)> "

    # -- output ------------------------------------------------------------------------------
    def roles(self) -> tuple[str, str]:
        return tuple("engine" if side == self.engine_side else "you" for side in (0, 1))

    def show_position(self) -> None:
        self.console.print(board_view.position_view(self.session.state, self.roles(),
                                                     self.session.drawn_by_repetition()))

    def error(self, message: str) -> None:
        self.console.print(Text(message, style="red"))

    def info(self, message: str) -> None:
        self.console.print(Text(message))

    # -- moves -------------------------------------------------------------------------------
    def play_person_move(self, text: str) -> None:
        state = self.session.state
        if self.session.is_over():
            self.error(f"the game is over ({self.result_description()}): "
                       "undo, goto, new, load, save or quit")
            return
        tried_before = len(self.session.current.children)
        try:
            node = self.session.play(text)
        except IllegalMoveError as error:
            self.error(f"illegal move {text!r}: {error.reason}")
            self.console.print(board_view.legal_moves_text(state), highlight=False, soft_wrap=True)
            return
        if len(self.session.current.parent.children) == tried_before and tried_before:
            self.info(f"{node.move}: following the line already played from here (redo/goto go on along it)")
        elif tried_before:
            self.info(f"{node.move}: a new branch at ply {node.parent.ply}; the other "
                      f"{tried_before} stay ('variations' there lists them)")

    def engine_plays(self) -> None:
        state = self.session.state
        side = board_view.side_name(state.game, state.to_move())
        started = time.perf_counter()
        move = self.engine.best_move(state, self.limits)
        seconds = time.perf_counter() - started
        self.session.play(move)
        self.console.print(Text.assemble("engine (", side, ") plays ", (move, "bold"), f"  [{seconds:.2f} s]"))

    def search_limits(self, argument: str) -> SearchLimits | None:
        """The limits of hint/analyse: SIMULATIONS if given, else the game's limits."""
        if not argument:
            return self.limits
        if not argument.isdigit() or int(argument) < 1:
            self.error(f"expected a number of simulations, got {argument!r}")
            return None
        return SearchLimits(simulations=int(argument))

    def result_description(self) -> str:
        return board_view.result_description(self.session.state, self.session.drawn_by_repetition())

    def game_over_message(self) -> bool:
        if self.session.is_over():
            self.error(f"the game is over ({self.result_description()})")
            return True
        return False

    # -- commands ----------------------------------------------------------------------------
    def command_help(self, argument: str) -> None:
        table = Table(title="commands (or type a move in the game's notation)", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for command in COMMANDS:
            usage = " ".join([" | ".join(command.names), command.arguments]).strip()
            table.add_row(usage, command.summary)
        self.console.print(table)
        self.info("Branches: after undo or goto, a different move starts a new branch; the old line stays "
                  "and 'variations' at the branch point lists it (type its move to go back to it).")

    def command_moves(self, argument: str) -> None:
        self.console.print(board_view.legal_moves_text(self.session.state), highlight=False, soft_wrap=True)

    def command_board(self, argument: str) -> None:
        self.show_position()

    def command_undo(self, argument: str) -> None:
        try:
            taken_back = [self.session.undo()]
            # On to the last position where it was your move (the engine's reply goes too).
            while self.session.state.to_move() == self.engine_side and self.session.can_undo():
                taken_back.append(self.session.undo())
        except SessionError as error:
            self.error(str(error))
            return
        self.info(f"took back {' '.join(reversed(taken_back))}; 'redo' replays")

    def command_redo(self, argument: str) -> None:
        try:
            replayed = [self.session.redo()]
            while self.session.state.to_move() == self.engine_side and self.session.can_redo():
                replayed.append(self.session.redo())
        except SessionError as error:
            self.error(str(error))
            return
        self.info(f"replayed {' '.join(replayed)}")

    def command_goto(self, argument: str) -> None:
        line = self.session.line()
        targets = {"start": line[0].ply, "end": line[-1].ply}
        if argument in targets:
            ply = targets[argument]
        elif argument.isdigit():
            ply = int(argument)
        else:
            self.error(f"goto takes a ply number (from {line[0].ply} to {line[-1].ply}), 'start' or 'end'")
            return
        try:
            self.session.goto(ply)
        except SessionError as error:
            self.error(str(error))

    def command_history(self, argument: str) -> None:
        self.console.print(board_view.history_table(self.session))

    def command_variations(self, argument: str) -> None:
        self.console.print(board_view.variations_view(self.session))

    def command_hint(self, argument: str) -> None:
        limits = self.search_limits(argument)
        if limits is None or self.game_over_message():
            return
        result = self.engine.analyse(self.session.state, limits)
        index = result.moves.index(result.chosen_move)
        self.console.print(Text.assemble("hint: ", (result.chosen_move, "bold"),
                                         f"  (Q {float(result.q[index]):+.3f}, {int(result.visits[index])} of "
                                         f"{result.root_visits} visits)"))

    def command_analyse(self, argument: str) -> None:
        limits = self.search_limits(argument)
        if limits is None or self.game_over_message():
            return
        state = self.session.state
        started = time.perf_counter()
        result = self.engine.analyse(state, limits)
        seconds = time.perf_counter() - started
        side = board_view.side_name(state.game, state.to_move())
        self.console.print(board_view.analysis_summary(result, side, seconds))
        self.console.print(board_view.analysis_table(result))

    def command_go(self, argument: str) -> None:
        if self.game_over_message():
            return
        if self.session.state.to_move() != self.engine_side:
            self.error("it is your move: type a move, 'hint' for a suggestion, or 'swap' to let the engine "
                       "take this side")
            return
        self.engine_plays()

    def command_swap(self, argument: str) -> None:
        if self.game_over_message():
            return
        state = self.session.state
        self.engine_side = state.to_move()
        self.info(f"you now play {board_view.side_name(state.game, 1 - self.engine_side)}; the engine plays "
                  f"{board_view.side_name(state.game, self.engine_side)}")
        self.engine_plays()

    def command_new(self, argument: str) -> None:
        self.session.restart()
        self.info("a new game")

    def command_load(self, argument: str) -> None:
        if not argument:
            self.error("load takes a position (TPS for Tak) or a saved game file")
            return
        if Path(argument).expanduser().is_file():
            try:
                record = read_game_record(self.session.game, Path(argument).expanduser())
                self.session.load_line(record.start, record.moves)
            except GameRecordError as error:
                self.error(str(error))
                return
            except IllegalMoveError as error:
                self.error(f"{argument}: move {error.move!r}: {error.reason}")
                return
            self.info(f"loaded {len(record.moves)} plies from {argument}")
            return
        try:
            self.session.load_position(argument)
        except PositionError as error:
            self.error(f"not a position (nor a file): {error}")
            return
        self.info("loaded the position")

    def command_save(self, argument: str) -> None:
        if not argument:
            self.error("save takes a file name")
            return
        players = tuple(f"pyzero {self.engine.name}" if role == "engine" else "you" for role in self.roles())
        text = session_record_text(self.session, players)
        try:
            path = write_text_atomically(Path(argument).expanduser(), text)
        except OSError as error:
            self.error(f"cannot save to {argument}: {error.strerror or error}")
            return
        form = record_format_name(self.session.game)
        self.info(f"saved {len(self.session.line_moves())} plies to {path} ({form})")

    def command_quit(self, argument: str) -> None:
        raise _Quit


def describe_limits(limits: SearchLimits) -> str:
    parts = []
    if limits.simulations is not None:
        parts.append(f"{limits.simulations} simulations")
    if limits.seconds is not None:
        parts.append(f"{limits.seconds:g} s")
    return " or ".join(parts) + " a move"
