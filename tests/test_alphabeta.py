"""The alpha-beta yardstick (mojo/search/alphabeta.mojo, games/tak/evaluation.mojo):
tactics in one, legality, perft agreement, determinism, the time limit, and the
evaluation's terms on hand-made TPS positions with hand-derived values."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from pyzero.games import make
from pyzero.players.alphabeta import AlphaBetaPlayer, alphabeta_search, tak_evaluation_terms

WIN_SCORE = 1_000_000


@pytest.fixture(scope="module")
def tak5():
    return make("tak", size=5)


def wins_in_one(state) -> list[str]:
    """The moves that win at once for the side to move."""
    mover = state.to_move()
    winning = []
    for move in state.legal_moves():
        child = state.copy()
        child.play(move)
        if child.is_terminal() and child.winner() == mover:
            winning.append(move)
    return winning


@pytest.mark.parametrize("tps", [
    "x5/x5/x5/2,2,2,x2/1,1,1,1,x 1 5",        # e1 completes the bottom row
    "x5/1,x4/1,2,2,x2/1,2,x3/1,2,x3 1 5",      # a5 completes the a file
    "x5/x5/2,2,x3/x,1,1,21,1/1,x,2,x2 1 6",    # a2 completes rank 2 (through a stack)
])
def test_it_takes_a_road_in_one(tak5, tps):
    state = tak5.from_tps(tps)
    winning = wins_in_one(state)
    assert winning, "the position must have a winning move"
    for depth in (1, 2, 3):
        result = alphabeta_search(state, depth, seed=7)
        assert result.move in winning
        assert result.score == WIN_SCORE - 1  # a win at ply 1, found at once
        assert result.depth_reached == 1


def test_it_blocks_a_road_in_one(tak5):
    # Black has a3-d3 and threatens e3; white has no road of its own to race with.
    state = tak5.from_tps("x5/x5/2,2,2,2,x/x2,1,1,x/1,1,x3 1 5")
    assert not wins_in_one(state)
    threat = state.copy()
    threat.play("e1")  # some move that ignores the threat
    assert "e3" in wins_in_one(threat)
    for depth in (2, 3):
        result = alphabeta_search(state, depth, seed=3)
        after = state.copy()
        after.play(result.move)
        assert not wins_in_one(after), f"depth {depth} played {result.move}, leaving a road in one"
        assert abs(result.score) < WIN_SCORE - 1000


def test_it_prefers_the_faster_win(tak5):
    # White wins now with e1; a slower win would score lower.
    state = tak5.from_tps("x5/x5/x5/2,2,2,x2/1,1,1,1,x 1 5")
    assert alphabeta_search(state, 4, seed=0).score == WIN_SCORE - 1


def random_positions(game, count: int, seed: int):
    rng = random.Random(seed)
    positions = []
    while len(positions) < count:
        state = game.new()
        for _ in range(rng.randrange(0, 60)):
            if state.is_terminal():
                break
            state.play(rng.choice(state.legal_moves()))
        if not state.is_terminal():
            positions.append(state)
    return positions


@pytest.mark.parametrize("size", [4, 5, 6])
def test_it_never_plays_an_illegal_move(size):
    game = make("tak", size=size)
    for index, state in enumerate(random_positions(game, 60, seed=size)):
        depth = 1 + index % 2
        result = alphabeta_search(state, depth, seed=index)
        assert result.move in state.legal_moves(), state.tps()
        assert state.legal_actions().count(result.action) == 1


def test_depth_one_examines_every_root_move_as_perft_counts(tak5):
    for state in [tak5.new(), *random_positions(tak5, 20, seed=11)]:
        result = alphabeta_search(state, 1, seed=0)
        assert result.root_moves == state.perft(1)
        assert result.nodes == 1 + state.perft(1)  # the root and each child, no pruning at depth 1


def test_same_seed_same_move(tak5):
    for state in random_positions(tak5, 10, seed=5):
        first = alphabeta_search(state, 3, seed=42)
        second = alphabeta_search(state, 3, seed=42)
        assert first == dataclasses.replace(second, seconds=first.seconds)
    # The seed only breaks ties (after the ordering heuristic): the score does not depend on it.
    state = random_positions(tak5, 1, seed=6)[0]
    assert len({alphabeta_search(state, 2, seed=seed).score for seed in range(10)}) == 1


def test_player_is_deterministic_for_a_seed(tak5):
    state = random_positions(tak5, 1, seed=9)[0]
    player = AlphaBetaPlayer(2)
    assert player.name == "alphabeta:2"
    moves = {player.choose(state, random.Random(1)) for _ in range(3)}
    assert len(moves) == 1


def test_the_time_limit_is_respected(tak5):
    state = random_positions(tak5, 1, seed=3)[0]
    start = time.perf_counter()
    result = alphabeta_search(state, 30, seconds=0.2, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5
    assert result.timed_out
    assert 1 <= result.depth_reached < 30
    assert result.move in state.legal_moves()


def test_other_games_and_bad_limits_are_refused(tak5):
    with pytest.raises(ValueError, match="tak only"):
        alphabeta_search(make("tictactoe").new(), 2)
    with pytest.raises(ValueError, match="at least 1"):
        alphabeta_search(tak5.new(), 0)
    finished = tak5.from_tps("x5/x5/x5/2,2,2,x2/1,1,1,1,x 1 5")
    finished.play("e1")
    with pytest.raises(ValueError, match="finished"):
        alphabeta_search(finished, 2)


def test_evaluation_terms_by_hand(tak5):
    # a1, b1 white flats; c3 a white flat on a black one; e1 a black capstone. White to move.
    state = tak5.from_tps("x5/x5/x2,21,x2/x5/1,1,x2,2C 1 4")
    terms = tak_evaluation_terms(state)
    white, black = terms["players"]
    # flats 3*100; road: group {a1,b1} spans 2 columns -> 10*2^2; stacks: one captive
    # under c3 -> 10; reserves 21-3 stones = 18 -> 180; no capstone placed.
    assert white == {"flats": 300, "road": 40, "stacks": 10, "reserves": 180, "capstone": 0, "total": 530}
    # no flats on top; road: the capstone alone spans 1 -> 10; reserves 20 -> 200;
    # capstone in a corner (centrality 0) -> 30.
    assert black == {"flats": 0, "road": 10, "stacks": 0, "reserves": 200, "capstone": 30, "total": 240}
    assert terms["score"] == 530 - 240
    # Komi 2.5 (5 half-flats) adds 250 to black's flats; black to move sees the other sign.
    komi = make("tak", size=5, komi=2.5).from_tps("x5/x5/x2,21,x2/x5/1,1,x2,2C 2 4")
    terms = tak_evaluation_terms(komi)
    assert terms["players"][1]["flats"] == 250
    assert terms["score"] == 490 - 530


def test_evaluation_support_and_a_central_capstone(tak5):
    # a1 two white flats (one supports the top); c3 the white capstone at the centre.
    state = tak5.from_tps("x5/x5/x2,1C,x2/x5/11,2,x3 2 4")
    white, black = tak_evaluation_terms(state)["players"]
    # support 15 for the white flat under a1; capstone 30 + 10 * centrality 4.
    assert white == {"flats": 100, "road": 10, "stacks": 15, "reserves": 190, "capstone": 70, "total": 385}
    assert black == {"flats": 100, "road": 10, "stacks": 0, "reserves": 200, "capstone": 0, "total": 310}
    assert tak_evaluation_terms(state)["score"] == 310 - 385


def test_evaluation_road_span_of_a_bent_group(tak5):
    # White a1-b1-b2-c2-d2: one group over files a-d (4) and ranks 1-2 (2) -> span 4 -> 160.
    # Black a5, c5, e5, e3: four groups of span 1 -> 10.
    state = tak5.from_tps("2,x,2,x,2/x5/x4,2/x,1,1,1,x/1,1,x3 2 5")
    terms = tak_evaluation_terms(state)
    white, black = terms["players"]
    assert white == {"flats": 500, "road": 160, "stacks": 0, "reserves": 160, "capstone": 0, "total": 820}
    assert black == {"flats": 400, "road": 10, "stacks": 0, "reserves": 170, "capstone": 0, "total": 580}
    assert terms["score"] == 580 - 820


def test_the_swap_plies_give_the_opponent_a_corner(tak5):
    corners = {"a1", "a5", "e1", "e5"}
    assert alphabeta_search(tak5.new(), 2, seed=0).move in corners
    assert alphabeta_search(tak5.play_moves("a1"), 2, seed=0).move in corners
