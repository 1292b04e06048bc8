"""UCI and the draw rules (pyzero/protocols/uci_server.py): FIDE's fifty-move rule and threefold
repetition are draws a player may claim (the GUI decides claims), so the engine plays on
through them; only draws FIDE applies without a claim (the seventy-five-move rule,
fivefold repetition) and positions without a legal move or with too little material end
the game for `go`. A `position` command's moves are accepted however long the list is."""

from __future__ import annotations

import chess
import pytest

from pyzero.games import make
from pyzero.players.network_player import SearchLimits
from pyzero.protocols.uci_server import UciServer

KING_AND_ROOK_AGAINST_KING = "4k3/8/8/8/8/8/8/R3K3 w - - {clock} 80"
KNIGHT_SHUFFLE = ["g1f3", "g8f6", "f3g1", "f6g8"]  # back to the start position after four plies


class RecordingEngine:
    """Stands in for a network: records what `go` asks it to search and plays the first
    legal move of that position (so a position the engine's rules call finished, which
    has no legal moves, fails the search)."""

    name = "recording"
    limits = SearchLimits(simulations=1)

    def __init__(self):
        self.game = make("chess")
        self.searched: list[tuple[str, tuple[int, ...]]] = []

    def analyse(self, state, limits=None, stop=None, history=()):
        self.searched.append((state.position(), tuple(history)))
        move = state.legal_moves()[0]
        result = type("Result", (), {})()
        result.chosen_move, result.moves, result.visits, result.q = move, [move], [1], [0.0]
        result.root_visits, result.root_value, result.principal_variation = 1, 0.0, []
        return result


def converse(*commands: str) -> tuple[list[str], RecordingEngine]:
    """The lines a UCI server answers to `commands` (each `go` waited for)."""
    engine = RecordingEngine()
    lines: list[str] = []
    server = UciServer(engine, lines.append)
    for command in commands:
        server.handle(command)
        if server.search is not None:
            server.search.join()
    return lines, engine


def played_bestmove(lines: list[str], board: chess.Board) -> chess.Move:
    assert lines and lines[-1].startswith("bestmove "), lines
    move = chess.Move.from_uci(lines[-1].split()[1])
    assert move in board.legal_moves, (lines, board.fen())
    return move


@pytest.mark.parametrize("clock", [100, 101, 149])
def test_go_plays_on_when_the_fifty_move_draw_is_only_claimable(clock):
    fen = KING_AND_ROOK_AGAINST_KING.format(clock=clock)
    lines, engine = converse(f"position fen {fen}", "go nodes 1")
    assert not any(line.startswith("info string error") for line in lines), lines
    played_bestmove(lines, chess.Board(fen))
    searched_fen, _ = engine.searched[0]
    assert searched_fen.split()[:4] == fen.split()[:4] and searched_fen.split()[5] == "80"


def reversible_moves_without_repetition(board: chess.Board, plies: int, seed: int = 0) -> list[str]:
    """`plies` moves from `board` that neither capture nor move a pawn and never return to
    a position, chosen at random (a long game with no progress and no repetition)."""
    import random

    chooser = random.Random(seed)
    board = board.copy()
    seen = {board._transposition_key()}
    moves = []
    while len(moves) < plies:
        candidates = [move for move in board.legal_moves
                      if not board.is_capture(move) and board.piece_type_at(move.from_square) != chess.PAWN]
        chooser.shuffle(candidates)
        for move in candidates:
            board.push(move)
            if board._transposition_key() not in seen and not board.is_game_over(claim_draw=False):
                seen.add(board._transposition_key())
                moves.append(move.uci())
                break
            board.pop()
        else:
            raise AssertionError("no new position to go to")
    return moves


def test_a_move_list_past_a_hundred_reversible_plies_is_accepted():
    opening = ["e2e4", "e7e5"]
    board = chess.Board()
    for move in opening:
        board.push_uci(move)
    moves = opening + reversible_moves_without_repetition(board, 130)
    board = chess.Board()
    for move in moves:
        board.push_uci(move)
    assert board.halfmove_clock == 130
    lines, engine = converse("position startpos moves " + " ".join(moves), "go nodes 1")
    assert not any(line.startswith("info string error") for line in lines), lines
    played_bestmove(lines, board)
    searched_fen, history = engine.searched[0]
    assert searched_fen.split()[:4] == board.fen().split()[:4] and len(history) == len(moves)


def test_an_illegal_move_after_a_hundred_reversible_plies_names_the_real_clock():
    fen = KING_AND_ROOK_AGAINST_KING.format(clock=120)
    lines, _ = converse(f"position fen {fen} moves a1a2 e8d7 a2a9", "go nodes 1")
    errors = [line for line in lines if line.startswith("info string error")]
    assert any("move 3 'a2a9' is illegal" in line and " 122 81" in line for line in errors), lines
    assert lines[-1] == "bestmove (none)"


@pytest.mark.parametrize("fen, reason", [
    (KING_AND_ROOK_AGAINST_KING.format(clock=150), "seventy-five-move rule"),
    (KING_AND_ROOK_AGAINST_KING.format(clock=400), "seventy-five-move rule"),
    ("7k/5Q2/6K1/8/8/8/8/8 b - - 120 1", "1/2-1/2"),  # stalemate: no legal move, whatever the clock
    ("8/8/8/8/8/8/8/K1k5 w - - 0 1", "1/2-1/2"),  # two bare kings
])
def test_go_answers_none_where_the_game_ended_without_a_claim(fen, reason):
    lines, engine = converse(f"position fen {fen}", "go nodes 1")
    assert lines[-1] == "bestmove (none)" and not engine.searched
    assert any(line.startswith("info string error: go: the game is over") and reason in line for line in lines), lines


def test_a_checkmate_on_the_seventy_fifth_move_is_a_checkmate():
    lines, _ = converse("position fen 7k/8/6K1/8/8/8/8/1Q6 w - - 149 90 moves b1b8", "go nodes 1")
    assert lines[-1] == "bestmove (none)"
    assert any("the game is over (1-0)" in line for line in lines), lines


def test_threefold_repetition_is_played_on_and_fivefold_ends_the_game():
    threefold = KNIGHT_SHUFFLE * 2
    lines, engine = converse("position startpos moves " + " ".join(threefold), "go nodes 1")
    played_bestmove(lines, chess.Board())
    assert len(engine.searched[0][1]) == len(threefold)
    fivefold = KNIGHT_SHUFFLE * 4
    lines, engine = converse("position startpos moves " + " ".join(fivefold), "go nodes 1")
    assert lines[-1] == "bestmove (none)" and not engine.searched
    assert any("fivefold repetition" in line for line in lines), lines
