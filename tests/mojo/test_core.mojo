"""Mojo-side unit tests of the game-independent parts: symmetries, Zobrist keys, options,
and the generic perft over the two solved games. Run by tests/test_mojo_suites.py."""

from std.testing import assert_equal, assert_true, assert_false, assert_raises, TestSuite

from mojo.game import Game, GameOptions
from mojo.zobrist import zobrist_key
from mojo.board_symmetry import square_symmetry_index, NUM_SQUARE_SYMMETRIES
from mojo.perft import perft, count_finished_games
from games.tictactoe import TicTacToe
from games.connect4 import Connect4


def _compose(first: Int, second: Int, size: Int) -> List[Int]:
    """The square map of applying `first`, then `second`."""
    var result = List[Int]()
    for square in range(size * size):
        result.append(square_symmetry_index(second, size, square_symmetry_index(first, size, square)))
    return result^


def test_square_symmetries_form_the_dihedral_group() raises:
    # Closed under composition, each a bijection, and rotations compose as expected.
    for size in range(3, 9):
        var seen = List[List[Int]]()
        for symmetry in range(NUM_SQUARE_SYMMETRIES):
            var image = _compose(0, symmetry, size)
            var hit = List[Bool](length=size * size, fill=False)
            for square in range(size * size):
                hit[image[square]] = True
            for square in range(size * size):
                assert_true(hit[square])
            seen.append(image^)
        for first in range(NUM_SQUARE_SYMMETRIES):
            for second in range(NUM_SQUARE_SYMMETRIES):
                var composed = _compose(first, second, size)
                var found = False
                for candidate in range(NUM_SQUARE_SYMMETRIES):
                    if seen[candidate] == composed:
                        found = True
                assert_true(found)
        # rotate 90 twice is rotate 180; mirror twice is the identity
        assert_true(_compose(1, 1, size) == seen[2])
        assert_true(_compose(4, 4, size) == seen[0])


def test_square_symmetry_by_hand() raises:
    # On 3x3, square b1 (row 0, column 1) under rotate 90 goes to (1, 2) = c2.
    assert_equal(square_symmetry_index(1, 3, 1), 5)
    assert_equal(square_symmetry_index(6, 3, 1), 3)  # transpose: (1, 0)
    assert_equal(square_symmetry_index(7, 3, 0), 8)  # anti-transpose: corner to corner


def test_zobrist_keys_are_distinct() raises:
    var keys = List[UInt64]()
    for domain in range(4):
        for index in range(64):
            keys.append(zobrist_key(domain, index))
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            assert_true(keys[i] != keys[j])


def test_game_options() raises:
    var options = GameOptions()
    options.set("size", 5)
    options.set("komi", 2.5)
    assert_equal(options.take_int("size", 6), 5)
    with assert_raises(contains="must be an integer"):
        _ = options.take_int("komi", 0)
    options.set("colour", 1)
    with assert_raises(contains="colour"):
        options.reject_unknown("tak")


def test_perft_generic_over_both_games() raises:
    var options = GameOptions()
    var tictactoe = TicTacToe.create(options)
    assert_equal(perft(tictactoe, 9), 127872)
    var counts = count_finished_games(tictactoe, 9)
    assert_equal(counts.first_player_wins + counts.second_player_wins + counts.draws, 255168)
    var connect4 = Connect4.create(options)
    assert_equal(perft(connect4, 4), 2401)
    # Six discs in one column fill it: the seventh ply has six choices there.
    assert_equal(perft(connect4, 7), 823543 - 7)


def test_connect4_win_stops_moves() raises:
    var options = GameOptions()
    var state = Connect4.create(options)
    for column in [0, 1, 0, 1, 0, 1]:
        state.apply(column)
    assert_false(state.is_terminal())
    state.apply(0)
    assert_true(state.is_terminal())
    assert_equal(state.winner(), 0)
    assert_equal(state.count_legal_actions(), 0)
    assert_equal(state.result_string(), "1-0")


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
