"""Connect Four against an independent plain-Python move generator and Pons' solver data."""

import pytest

from pyzero.games import IllegalMoveError, PositionError, make
from pyzero.training.connect4_positions import benchmark_set

COLUMNS, ROWS = 7, 6


class ReferenceConnect4:
    """A deliberately naive second implementation: a grid of lists and explicit line scans."""

    def __init__(self):
        self.columns = [[] for _ in range(COLUMNS)]
        self.won = False

    def moves(self):
        if self.won:
            return []
        return [c for c in range(COLUMNS) if len(self.columns[c]) < ROWS]

    def play(self, column, player):
        self.columns[column].append(player)
        row = len(self.columns[column]) - 1
        for dc, dr in ((1, 0), (0, 1), (1, 1), (1, -1)):
            run = 1
            for sign in (1, -1):
                c, r = column + sign * dc, row + sign * dr
                while 0 <= c < COLUMNS and 0 <= r < len(self.columns[c]) and self.columns[c][r] == player:
                    run += 1
                    c, r = c + sign * dc, r + sign * dr
            if run >= 4:
                self.won = True

    def undo(self, column):
        self.columns[column].pop()
        self.won = False


def reference_perft(board, depth, player=0):
    moves = board.moves()
    if depth == 1:
        return len(moves)
    total = 0
    for column in moves:
        board.play(column, player)
        total += reference_perft(board, depth - 1, 1 - player)
        board.undo(column)
    return total


@pytest.fixture(scope="module")
def game():
    return make("connect4")


@pytest.mark.parametrize("depth", range(1, 9))
def test_perft_matches_independent_count(game, depth):
    assert game.new().perft(depth) == reference_perft(ReferenceConnect4(), depth)


def test_perft_from_a_midgame_position_matches_independent_count(game):
    moves = "4453551"  # a position where wins are near
    reference = ReferenceConnect4()
    for ply, move in enumerate(moves):
        reference.play(int(move) - 1, ply % 2)
    state = game.play_moves(list(moves))
    for depth in range(1, 6):
        assert state.perft(depth) == reference_perft(reference, depth, player=len(moves) % 2)


def test_solver_positions_replay_legally_and_are_not_finished(game):
    lines = benchmark_set("Test_L3_R1").read_text().split()
    sequences = lines[::2]
    assert len(sequences) == 1000
    for sequence in sequences:
        state = game.play_moves(list(sequence))
        assert state.ply == len(sequence)
        assert not state.is_terminal() and state.result() is None
        assert game.from_position(state.position()).hash() == state.hash()


def test_wins_in_every_direction(game):
    assert game.play_moves(list("1212121")).result() == "1-0"  # vertical
    assert game.play_moves(list("1122334")).result() == "1-0"  # horizontal
    assert game.play_moves(list("1223373447464")).result() == "1-0"  # diagonal /
    assert game.play_moves(list("7665515441424")).result() == "1-0"  # diagonal \
    assert game.play_moves(list("12131475")).result() == "0-1"


def test_full_column_and_bad_notation(game):
    state = game.play_moves(list("444444"))
    assert "4" not in state.legal_moves()
    with pytest.raises(IllegalMoveError, match="not legal here"):
        state.play("4")
    with pytest.raises(IllegalMoveError, match="column digit"):
        state.play("8")


def test_position_parsing_rejects_floating_discs(game):
    with pytest.raises(PositionError, match="floats"):
        game.from_position("......./......./......./......./...x.../.......")
    with pytest.raises(PositionError, match="as many discs"):
        game.from_position("......./......./......./......./......./xx.....")


def test_encoding_matches_the_reference_grid(game):
    """The network input (planes: side to move's discs, the opponent's, first player to
    move) against the naive grid, over random games: row r, column c at index r * 7 + c."""
    import random

    import numpy as np

    rng = random.Random(11)
    for _ in range(200):
        state, board = game.new(), ReferenceConnect4()
        for ply in range(rng.randrange(0, 42)):
            if not board.moves():
                break
            column = rng.choice(board.moves())
            state.apply_action(column)
            board.play(column, ply % 2)
            mover = (ply + 1) % 2
            expected = np.zeros((3, ROWS, COLUMNS), np.float32)
            for c in range(COLUMNS):
                for r, player in enumerate(board.columns[c]):
                    expected[0 if player == mover else 1, r, c] = 1
            expected[2] = 1 if mover == 0 else 0
            np.testing.assert_array_equal(np.asarray(state.encode()).reshape(3, ROWS, COLUMNS), expected)
