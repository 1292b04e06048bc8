"""TicTacToe against facts known independently of this code (the game's published counts)."""

import pytest

from pyzero.games import IllegalMoveError, PositionError, make


@pytest.fixture(scope="module")
def game():
    return make("tictactoe")


def test_perft_nine_plies(game):
    # Sequences of exactly 9 plies: games that end earlier have no moves, so they drop out.
    assert game.new().perft(9) == 127_872


def test_perft_small_depths_are_falling_factorials(game):
    # No game can end before ply 5, so the first depths are 9, 9*8, ...
    assert [game.new().perft(depth) for depth in range(5)] == [1, 9, 72, 504, 3024]


def test_complete_games_by_result(game):
    counts = game.new().count_finished_games(9)
    assert counts == {
        "first_player_wins": 131_184,
        "second_player_wins": 77_904,
        "draws": 46_080,
        "unfinished": 0,
    }
    assert sum(counts.values()) == 255_168


def test_distinct_positions(game):
    # Breadth-first over positions, identified by their Zobrist hash and checked by their text.
    seen = {}
    frontier = [game.new()]
    while frontier:
        next_frontier = []
        for state in frontier:
            if state.hash() in seen:
                assert seen[state.hash()] == state.position()
                continue
            seen[state.hash()] = state.position()
            for action in state.legal_actions():
                child = state.copy()
                child.apply_action(action)
                next_frontier.append(child)
        frontier = next_frontier
    positions = set(seen.values())
    assert len(positions) == len(seen) == 5_478
    terminal = sum(1 for text in positions if game.from_position(text).is_terminal())
    assert terminal == 958


def test_win_and_result_strings(game):
    state = game.play_moves("a1 a2 b1 b2 c1")
    assert state.result() == "1-0" and state.winner() == 0 and state.legal_moves() == []
    state = game.play_moves("a1 a2 b1 b2 c3 c2")
    assert state.result() == "0-1" and state.winner() == 1
    draw = game.play_moves("a1 b2 c3 b1 b3 a3 c1 c2 a2")
    assert draw.result() == "1/2-1/2" and draw.winner() == -1


def test_illegal_moves_name_move_and_position(game):
    state = game.play_moves("b2")
    with pytest.raises(IllegalMoveError) as occupied:
        state.play("b2")
    assert "'b2'" in str(occupied.value) and "'.../.x./...'" in str(occupied.value)
    with pytest.raises(IllegalMoveError, match="no such square"):
        state.play("d4")
    assert state.position() == ".../.x./..."  # unchanged by the failed moves
    finished = game.play_moves("a1 a2 b1 b2 c1")
    with pytest.raises(IllegalMoveError, match="game is over"):
        finished.play("c3")


def test_position_parsing_rejects_impossible_positions(game):
    for bad in ("xxx/.../...", "xo./.../..", "xxx/ooo/...", "x?./.../...", "oo./.../..."):
        with pytest.raises(PositionError):
            game.from_position(bad)


def test_encoding_planes_follow_side_to_move(game):
    state = game.play_moves("b2 a1")  # X to move
    planes = state.encode()
    assert planes.shape == (3, 3, 3)
    assert planes[0, 1, 1] == 1 and planes[1, 0, 0] == 1 and planes[2].min() == 1
    state.play("c3")  # O to move: its own mark is now plane 0
    planes = state.encode()
    assert planes[0, 0, 0] == 1 and planes[1, 1, 1] == 1 and planes[1, 2, 2] == 1 and planes[2].max() == 0
