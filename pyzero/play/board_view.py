"""Rich renderables for `pyzero play`: boards, status, history, variations, analysis.

Boards are drawn from the position string the engine writes (Python computes no rule):
TicTacToe and Connect4 from their row strings, Tak from TPS, every square's stack from
bottom to top (`1 2 2S`: a white flat under a black flat under a black wall). Pieces are
coloured, but the text alone says everything, so the board reads the same without colour.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pyzero.games import Game, State
from pyzero.play.session import REPETITION_DRAW_RESULT, GameSession
from pyzero.search import SearchResult

# What each side is called in a game's own terms (player 0, player 1).
SIDE_NAMES: dict[str, tuple[str, str]] = {"tak": ("white", "black"), "chess": ("white", "black")}
DEFAULT_SIDE_NAMES = ("x", "o")
# Grid games' marks (as the position string writes them) and their styles.
MARK_STYLES = {"x": "bold cyan", "o": "bold magenta"}
# Tak pieces by the TPS digit of their owner: 1 white, 2 black.
TAK_PIECE_STYLES = {"1": "bold bright_white", "2": "bold bright_red"}
TAK_LEGEND = "stacks bottom to top; 1 white, 2 black; S wall, C capstone"
# Chess pieces by the case of their FEN letter: upper case white, lower case black.
CHESS_WHITE_STYLE = "bold bright_white"
CHESS_BLACK_STYLE = "bold bright_red"


def side_name(game: Game, player: int) -> str:
    return SIDE_NAMES.get(game.name, DEFAULT_SIDE_NAMES)[player]


def game_description(game: Game) -> str:
    """`tictactoe`, `tak 5x5, komi 2`: the game and its options in words."""
    options = dict(game.options)
    if game.name == "tak":
        size = int(options.pop("size", 6))
        options.setdefault("komi", 0.0)
        return f"tak {size}x{size}, " + ", ".join(f"{key} {value:g}" for key, value in options.items())
    return game.name + "".join(f", {key} {value:g}" for key, value in options.items())


# -- boards ------------------------------------------------------------------------------------
def board_renderable(state: State) -> RenderableType:
    """The board of `state` as a rich table (the engine's text rendering for unknown games)."""
    if state.game.name == "tak":
        return tak_board_table(state.position())
    if state.game.name == "tictactoe":
        rows = _grid_rows(state.position())
        files = "abcdefghijklmnopqrstuvwxyz"[: len(rows[0])]
        return grid_table(rows, list(files), [str(len(rows) - index) for index in range(len(rows))])
    if state.game.name == "connect4":
        rows = _grid_rows(state.position())
        return grid_table(rows, [str(column + 1) for column in range(len(rows[0]))], None)
    if state.game.name == "chess":
        return chess_board_table(state.position())
    return Text(state.render())


def chess_board_squares(fen: str) -> list[str]:
    """The FEN's placement as 8 strings of 8 characters (rank 8 first), `.` for empty squares."""
    return ["".join("." * int(char) if char.isdigit() else char for char in rank)
            for rank in fen.split()[0].split("/")]


def chess_board_table(fen: str) -> Table:
    """The board from white's side with FEN letters (upper case white, lower case black)."""
    table = Table(box=box.SQUARE, show_lines=True, padding=(0, 1), show_header=True, header_style="dim")
    table.add_column("", style="dim", justify="right")
    for file in "abcdefgh":
        table.add_column(file, justify="center", min_width=1)
    for index, rank in enumerate(chess_board_squares(fen)):
        cells = [Text(piece if piece != "." else " ", style=CHESS_WHITE_STYLE if piece.isupper() else CHESS_BLACK_STYLE)
                 for piece in rank]
        table.add_row(str(8 - index), *cells)
    return table


def _grid_rows(position: str) -> list[str]:
    """Rows of a grid game's position string, top row first (`.../.x./...`)."""
    return position.split()[0].split("/")


def grid_table(rows: list[str], column_labels: list[str], row_labels: list[str] | None) -> Table:
    """A boxed grid of marks; `.` squares are left blank."""
    table = Table(box=box.SQUARE, show_lines=True, padding=(0, 1), show_header=True, header_style="dim")
    if row_labels is not None:
        table.add_column("", style="dim", justify="right")
    for label in column_labels:
        table.add_column(label, justify="center", min_width=1)
    for index, row in enumerate(rows):
        cells = [Text(mark if mark != "." else " ", style=MARK_STYLES.get(mark, "")) for mark in row]
        table.add_row(*([row_labels[index]] if row_labels is not None else []), *cells)
    return table


def tak_squares(tps: str) -> list[list[str]]:
    """The TPS board as rows (top rank first) of stacks ("" for an empty square)."""
    rows = []
    for row_text in tps.split()[0].split("/"):
        row: list[str] = []
        for square in row_text.split(","):
            if square.startswith("x"):
                row.extend([""] * (int(square[1:]) if len(square) > 1 else 1))
            else:
                row.append(square)
        rows.append(row)
    return rows


def tak_stack_text(stack: str) -> Text:
    """A TPS stack (`121S`) as its pieces bottom to top (`1 2 1S`), each in its owner's style."""
    pieces: list[str] = []
    for character in stack:
        if character.isdigit():
            pieces.append(character)
        elif pieces:  # S or C marks the top piece
            pieces[-1] += character
    text = Text()
    for index, piece in enumerate(pieces):
        if index:
            text.append(" ")
        text.append(piece, style=TAK_PIECE_STYLES.get(piece[0], ""))
    return text


def tak_board_table(tps: str) -> Table:
    rows = tak_squares(tps)
    size = len(rows)
    table = Table(box=box.SQUARE, show_lines=True, padding=(0, 1), header_style="dim")
    table.add_column("", style="dim", justify="right")
    for file in "abcdefgh"[:size]:
        table.add_column(file, justify="center", min_width=3)
    for index, row in enumerate(rows):
        table.add_row(str(size - index), *(tak_stack_text(stack) for stack in row))
    return table


# -- status ------------------------------------------------------------------------------------
def result_description(state: State, repetition: bool = False) -> str:
    """`R-0: white wins` / `1/2-1/2: draw`, from the engine's result and winner;
    `repetition`: the game ended by its repetition rule at `state` (GameSession knows)."""
    if repetition and not state.is_terminal():
        return f"{REPETITION_DRAW_RESULT}: draw by repetition ({state.repetitions_for_draw()} times the same position)"
    winner = state.winner()
    if winner is None:
        return ""
    outcome = "draw" if winner == -1 else f"{side_name(state.game, winner)} wins"
    return f"{state.result()}: {outcome}"


def status_text(state: State, roles: tuple[str, str], repetition: bool = False) -> Text:
    """One or two lines under the board: ply, side to move and who plays it; Tak reserves;
    the result once the game is over. `roles` names who plays each side ("you", "engine");
    `repetition`: the game ended here by its repetition rule."""
    game = state.game
    text = Text()
    if state.is_terminal() or repetition:
        text.append(f"game over: {result_description(state, repetition)}", style="bold")
        text.append(f"  (ply {state.ply})")
    else:
        player = state.to_move()
        text.append(f"ply {state.ply}, ")
        text.append(f"{side_name(game, player)} to move", style="bold")
        text.append(f" ({roles[player]})")
    if game.name == "tak":
        reserves = tak_reserves_line(state)
        if reserves:
            text.append(f"\n{reserves}")
        text.append(f"\n{TAK_LEGEND}", style="dim")
    return text


def tak_reserves_line(state: State) -> str:
    """The reserves and flat count as the engine's own rendering states them."""
    for line in state.render().splitlines():
        if "reserves" in line:
            return line.split(";", 1)[1].strip() if ";" in line else line.strip()
    return ""


def position_view(state: State, roles: tuple[str, str], repetition: bool = False) -> Group:
    return Group(board_renderable(state), status_text(state, roles, repetition))


def legal_moves_text(state: State) -> Text:
    moves = state.legal_moves()
    if not moves:
        return Text("no legal moves: the game is over")
    return Text("legal moves: " + " ".join(moves))


# -- the tree ------------------------------------------------------------------------------------
def history_table(session: GameSession) -> Table:
    """The current line, one row per ply; ▶ marks the current position, later plies are dim,
    and `tried` counts the other moves tried at that point (see `variations`)."""
    game = session.game
    table = Table(title="history", box=box.SIMPLE_HEAD, show_edge=False)
    for column, justify in (("", "left"), ("ply", "right"), ("side", "left"), ("move", "left"), ("tried", "right")):
        table.add_column(column, justify=justify)
    for node in session.line():
        marker = "▶" if node is session.current else ""
        style = "dim" if node.ply > session.current.ply else ""
        if node.parent is None:
            table.add_row(marker, str(node.ply), "", "start", "", style=style)
            continue
        others = len(node.parent.children) - 1
        table.add_row(marker, str(node.ply), side_name(game, node.parent.state.to_move()), node.move,
                      f"+{others}" if others else "", style=style)
    return table


def variations_view(session: GameSession) -> Group:
    """The moves tried from the current position, and the line's other branch points."""
    parts: list[RenderableType] = []
    children = session.variations()
    if children:
        table = Table(title=f"moves tried at ply {session.current.ply}", box=box.SIMPLE_HEAD, show_edge=False)
        for column, justify in (("move", "left"), ("line to ply", "right"), ("", "left")):
            table.add_column(column, justify=justify)
        for child in children:
            note = "redo follows" if child is session.current.followed_child else ""
            table.add_row(child.move, str(child.line_end().ply), note)
        parts.append(table)
        parts.append(Text("type a move to follow it (or play a new one); goto N browses the line"))
    else:
        parts.append(Text(f"no moves tried from ply {session.current.ply} yet"))
    others = [node for node in session.branch_points() if node is not session.current]
    if others:
        where = ", ".join(f"ply {node.ply} ({len(node.children)} moves)" for node in others)
        parts.append(Text(f"branch points on this line: {where}"))
    return Group(*parts)


# -- analysis ----------------------------------------------------------------------------------
def analysis_summary(result: SearchResult, side: str, seconds: float) -> Text:
    return Text(f"analysis for {side}: {result.root_visits} visits in {seconds:.2f} s; value "
                f"{result.root_value:+.3f} (network {result.network_value:+.3f}); engine plays {result.chosen_move}")


def analysis_table(result: SearchResult, top: int = 10) -> Table:
    """The search's root moves, most visited first: visits, Q (for the side to move), prior
    and the improved policy; the engine's choice is marked."""
    order = sorted(range(len(result.moves)),
                   key=lambda index: (-int(result.visits[index]), -float(result.policy_target[index]),
                                      -float(result.priors[index])))
    table = Table(box=box.SIMPLE_HEAD)
    for column, justify in (("", "left"), ("move", "left"), ("visits", "right"), ("Q", "right"),
                            ("prior", "right"), ("policy", "right")):
        table.add_column(column, justify=justify)
    for index in order[:top]:
        visits = int(result.visits[index])
        table.add_row("*" if result.moves[index] == result.chosen_move else "", result.moves[index], str(visits),
                      f"{float(result.q[index]):+.3f}" if visits else "-", f"{float(result.priors[index]):.1%}",
                      f"{float(result.policy_target[index]):.1%}")
    if len(order) > top:
        table.caption = f"{len(order) - top} more legal moves not shown; * marks the engine's choice"
    else:
        table.caption = "* marks the engine's choice"
    return table
