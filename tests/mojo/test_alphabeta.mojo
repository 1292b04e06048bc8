"""The alpha-beta search is generic: it solves TicTacToe with an evaluation that knows nothing."""

from std.testing import assert_equal, assert_true, assert_false, TestSuite

from mojo.game import GameOptions
from mojo.search.alphabeta import AlphaBetaSearch, PositionEvaluation, WIN_SCORE
from games.tictactoe import TicTacToe


@fieldwise_init
struct NoEvaluation(PositionEvaluation):
    """Every unfinished position is worth 0 and every move is ordered alike."""

    comptime GameType = TicTacToe

    def evaluate(self, state: TicTacToe) -> Int:
        return 0

    def order_key(self, state: TicTacToe, action: Int) -> Int:
        return 0


def test_full_depth_solves_the_empty_board_as_a_draw() raises:
    var options = GameOptions()
    var search = AlphaBetaSearch[NoEvaluation](NoEvaluation(), 12)
    var result = search.search(TicTacToe.create(options), 9, 0.0, 1)
    assert_equal(result.score, 0)
    assert_equal(result.depth_reached, 9)
    assert_equal(result.root_moves, 9)
    assert_false(result.timed_out)


def test_it_wins_at_once_and_sees_a_forced_loss() raises:
    var options = GameOptions()
    var search = AlphaBetaSearch[NoEvaluation](NoEvaluation(), 12)
    var state = TicTacToe.from_position(options, "xx./oo./...")
    var result = search.search(state, 5, 0.0, 3)
    assert_equal(result.score, WIN_SCORE - 1)
    var after = state.copy()
    after.apply(result.best_action)
    assert_true(after.is_terminal())
    assert_equal(after.winner(), 0)
    # O to move against two threats (b3 for rank 3, a2 for the a file): lost at ply 2.
    var lost = TicTacToe.from_position(options, "x.x/.o./x.o")
    var defence = search.search(lost, 9, 0.0, 3)
    assert_equal(defence.score, -(WIN_SCORE - 2))


def test_the_same_seed_gives_the_same_move() raises:
    var options = GameOptions()
    var search = AlphaBetaSearch[NoEvaluation](NoEvaluation(), 12)
    var state = TicTacToe.create(options)
    var first = search.search(state, 4, 0.0, 99)
    var second = search.search(state, 4, 0.0, 99)
    assert_equal(first.best_action, second.best_action)
    assert_equal(first.nodes, second.nodes)


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
