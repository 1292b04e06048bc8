"""Boards as JSON for the page, read from the position string the engine writes.

Python computes no rule here: the squares come from the position notation (rows top
first, as `pyzero play` draws them), and each square carries the move a click on it
means where that move is a single token (TicTacToe's square, Connect4's column). Tak
squares carry their name and their stack bottom to top, so the page draws stacks and
composes placements and stack moves itself; the server then checks the move like any
typed one. Chess squares carry their name and the FEN letter of their piece; the page
composes a move (from, to, promotion piece) from two clicks and the state's legal moves.
"""

from __future__ import annotations

from typing import Any

from pyzero.games import State
from pyzero.play.board_view import chess_board_squares, tak_reserves_line, tak_squares

FILES = "abcdefghijklmnopqrstuvwxyz"
# Tak: the TPS owner digit and the piece letter, as words the page uses in class names.
TAK_OWNERS = {"1": "white", "2": "black"}
TAK_KINDS = {"": "flat", "S": "wall", "C": "capstone"}


def board_json(state: State) -> dict[str, Any]:
    """The board of `state`: {"kind": "grid"|"tak", "rows": [[square, ...], ...], ...}."""
    name = state.game.name
    if name == "tak":
        return tak_board_json(state)
    if name == "chess":
        return chess_board_json(state)
    rows = state.position().split()[0].split("/")
    if name == "connect4":
        return {"kind": "grid", "rows": [[{"mark": mark, "click": str(column + 1)} for column, mark in enumerate(row)]
                                         for row in rows],
                "column_labels": [str(column + 1) for column in range(len(rows[0]))], "row_labels": []}
    # TicTacToe (and any grid game named like it): files a.., ranks counted from the bottom.
    height = len(rows)
    return {"kind": "grid",
            "rows": [[{"mark": mark, "click": f"{FILES[column]}{height - index}"} for column, mark in enumerate(row)]
                     for index, row in enumerate(rows)],
            "column_labels": list(FILES[:len(rows[0])]), "row_labels": [str(height - index) for index in range(height)]}


def tak_board_json(state: State) -> dict[str, Any]:
    """Tak squares with names (`a1` bottom left) and stacks as pieces bottom to top."""
    rows = tak_squares(state.position())
    size = len(rows)
    squares = [[{"square": f"{FILES[column]}{size - index}", "stack": tak_stack_pieces(stack)}
                for column, stack in enumerate(row)] for index, row in enumerate(rows)]
    return {"kind": "tak", "size": size, "rows": squares, "column_labels": list(FILES[:size]),
            "row_labels": [str(size - index) for index in range(size)], "reserves": tak_reserves_line(state)}


def tak_stack_pieces(stack: str) -> list[dict[str, str]]:
    """A TPS stack (`121S`) as pieces bottom to top: [{"owner": "white", "kind": "flat"}, ...]."""
    pieces: list[dict[str, str]] = []
    for character in stack:
        if character.isdigit():
            pieces.append({"owner": TAK_OWNERS.get(character, character), "kind": "flat"})
        elif pieces:  # S or C marks the top piece
            pieces[-1]["kind"] = TAK_KINDS.get(character, character)
    return pieces


def chess_board_json(state: State) -> dict[str, Any]:
    """Chess squares from White's side (rank 8 first): {"square": "e2", "piece": "P"|""},
    the piece as its FEN letter (upper case White), "" for an empty square."""
    ranks = chess_board_squares(state.position())
    squares = [[{"square": f"{FILES[column]}{8 - index}", "piece": "" if piece == "." else piece}
                for column, piece in enumerate(rank)] for index, rank in enumerate(ranks)]
    return {"kind": "chess", "size": 8, "rows": squares, "column_labels": list(FILES[:8]),
            "row_labels": [str(8 - index) for index in range(8)]}
