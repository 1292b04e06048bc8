"""The alpha-beta yardstick (mojo/search/alphabeta.mojo, games/tak/evaluation.mojo):
tactics in one, legality, perft agreement, determinism, the time limit, the evaluations'
terms on hand-made TPS positions with hand-derived values, and the road evaluation's
distance and threats against a second implementation (Dijkstra over the TPS) and the
rules engine (which placements win)."""

from __future__ import annotations

import dataclasses
import heapq
import random
import time

import pytest

from pyzero.games import make
from pyzero.bench.alphabeta import random_unfinished_positions
from pyzero.players.alphabeta import (AlphaBetaPlayer, AlphaBetaSpec, alphabeta_search, parse_alphabeta_spec,
                                      tak_evaluation_terms)

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
    return random_unfinished_positions(game, count, random.Random(seed), 0, 60)


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
    terms = tak_evaluation_terms(state, "simple")
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
    terms = tak_evaluation_terms(komi, "simple")
    assert terms["players"][1]["flats"] == 250
    assert terms["score"] == 490 - 530


def test_evaluation_support_and_a_central_capstone(tak5):
    # a1 two white flats (one supports the top); c3 the white capstone at the centre.
    state = tak5.from_tps("x5/x5/x2,1C,x2/x5/11,2,x3 2 4")
    white, black = tak_evaluation_terms(state, "simple")["players"]
    # support 15 for the white flat under a1; capstone 30 + 10 * centrality 4.
    assert white == {"flats": 100, "road": 10, "stacks": 15, "reserves": 190, "capstone": 70, "total": 385}
    assert black == {"flats": 100, "road": 10, "stacks": 0, "reserves": 200, "capstone": 0, "total": 310}
    assert tak_evaluation_terms(state, "simple")["score"] == 310 - 385


def test_evaluation_road_span_of_a_bent_group(tak5):
    # White a1-b1-b2-c2-d2: one group over files a-d (4) and ranks 1-2 (2) -> span 4 -> 160.
    # Black a5, c5, e5, e3: four groups of span 1 -> 10.
    state = tak5.from_tps("2,x,2,x,2/x5/x4,2/x,1,1,1,x/1,1,x3 2 5")
    terms = tak_evaluation_terms(state, "simple")
    white, black = terms["players"]
    assert white == {"flats": 500, "road": 160, "stacks": 0, "reserves": 160, "capstone": 0, "total": 820}
    assert black == {"flats": 400, "road": 10, "stacks": 0, "reserves": 170, "capstone": 0, "total": 580}
    assert terms["score"] == 580 - 820


def test_the_swap_plies_give_the_opponent_a_corner(tak5):
    corners = {"a1", "a5", "e1", "e5"}
    assert alphabeta_search(tak5.new(), 2, seed=0).move in corners
    assert alphabeta_search(tak5.play_moves("a1"), 2, seed=0).move in corners


# -- the road evaluation ------------------------------------------------------------------------

ROAD_IN_ONE_SCORE = 500_000


def test_road_evaluation_terms_by_hand(tak5):
    # The position of test_evaluation_terms_by_hand. White a1, b1, c3 (on a black flat):
    # no road in fewer than 4 placements (columns c-e or ranks 2-5 are missing, e1 is
    # black's capstone) -> 15 * (5-4)^2; centre 4 * (0 + 1 + 4) for a1, b1, c3.
    state = tak5.from_tps("x5/x5/x2,21,x2/x5/1,1,x2,2C 1 4")
    terms = tak_evaluation_terms(state, "road")
    white, black = terms["players"]
    assert white == {"flats": 300, "centre": 20, "road_distance": 4, "road": 15, "threats": 0, "stacks": 10,
                     "reserves": 180, "capstone": 0, "total": 525}
    # Black's capstone e1 reaches e5 with e2-e5 -> 4; no flats on top, so no centre.
    assert black == {"flats": 0, "centre": 0, "road_distance": 4, "road": 15, "threats": 0, "stacks": 0,
                     "reserves": 200, "capstone": 30, "total": 245}
    assert terms["score"] == 525 - 245


def test_road_evaluation_scores_threats(tak5):
    # White a1-d1: e1 is a road in one. White to move: won.
    assert tak_evaluation_terms(tak5.from_tps("x5/x5/x5/2,2,2,x2/1,1,1,1,x 1 5"), "road")["score"] == ROAD_IN_ONE_SCORE
    # Black to move must answer the one threat (black a2-c2 needs d2 and e2).
    terms = tak_evaluation_terms(tak5.from_tps("x5/x5/x5/2,2,2,x2/1,1,1,1,x 2 5"), "road")
    white, black = terms["players"]
    assert (white["road_distance"], white["threats"]) == (1, 1)
    assert (black["road_distance"], black["threats"]) == (2, 0)
    assert terms["score"] == black["total"] - white["total"] - 150
    # White threatens e1 and e3 at once: black cannot block both by a placement.
    terms = tak_evaluation_terms(tak5.from_tps("2,2,2,x2/x4,2/1,1,1,1,x/x5/1,1,1,1,x 2 9"), "road")
    white, black = terms["players"]
    assert (white["road_distance"], white["threats"]) == (1, 2)
    assert terms["score"] == black["total"] - white["total"] - 3000


def tps_tops(tps: str) -> tuple[int, dict[int, tuple[int, str]]]:
    """(size, {square: (owner, kind)}) of a TPS, kind "" for a flat, "S" or "C"; square
    = row * size + column with row 0 = rank 1 (a second reading of TPS, for the tests)."""
    rows = tps.split()[0].split("/")
    size = len(rows)
    tops = {}
    for rank_index, row in enumerate(rows):
        row_number = size - 1 - rank_index
        column = 0
        for cell in row.split(","):
            if cell.startswith("x"):
                column += int(cell[1:] or 1)
                continue
            kind = cell[-1] if cell[-1] in "SC" else ""
            owner = int(cell.rstrip("SC")[-1]) - 1
            tops[row_number * size + column] = (owner, kind)
            column += 1
    return size, tops


def road_distance_by_dijkstra(tps: str, player: int) -> int:
    """The fewest empty squares on a path of `player`'s road squares between opposite edges."""
    size, tops = tps_tops(tps)

    def cost(square):
        if square not in tops:
            return 1
        owner, kind = tops[square]
        return 0 if owner == player and kind != "S" else None

    best = 99
    for along_rows in (True, False):
        def on_start(square):
            return square % size == 0 if along_rows else square // size == 0

        def on_goal(square):
            return square % size == size - 1 if along_rows else square // size == size - 1

        distances = {}
        heap = [(cost(square), square) for square in range(size * size) if on_start(square) and cost(square) is not None]
        heapq.heapify(heap)
        while heap:
            distance, square = heapq.heappop(heap)
            if square in distances:
                continue
            distances[square] = distance
            if on_goal(square):
                best = min(best, distance)
                break
            row, column = divmod(square, size)
            for next_row, next_column in ((row + 1, column), (row - 1, column), (row, column + 1), (row, column - 1)):
                if 0 <= next_row < size and 0 <= next_column < size:
                    neighbour = next_row * size + next_column
                    step = cost(neighbour)
                    if step is not None and neighbour not in distances:
                        heapq.heappush(heap, (distance + step, neighbour))
    return best


def winning_placements(state) -> set[str]:
    """Empty squares where the side to move's flat (or capstone, with no stones left) wins
    by a road, by the rules engine."""
    winning = set()
    legal = set(state.legal_moves())
    mover = state.to_move()
    for move in legal:
        if any(direction in move for direction in "<>+-"):
            continue  # a stack move, not a placement
        if move[0] in "SC" and not (move[0] == "C" and move[1:] not in legal):
            continue  # flats only, or the capstone where no flat can go
        child = state.copy()
        child.play(move)
        if child.is_terminal() and child.winner() == mover and "R" in child.result():
            winning.add(move.lstrip("C"))
    return winning


def positions_along_random_games(game, games: int, every: int, seed: int) -> list:
    """Every `every`-th unfinished position after the opening of `games` random games played
    to their end, four moves in five a flat placement (uniform random play walls the board
    up, so roads and threats are rare; these games have them), the fifth any move."""
    rng = random.Random(seed)
    positions = []
    for _ in range(games):
        state = game.new()
        while not state.is_terminal():
            if state.ply >= 2 and state.ply % every == 0:
                positions.append(state.copy())
            moves = state.legal_moves()
            flats = [move for move in moves if move[0] not in "SC" and not any(d in move for d in "<>+-")]
            state.play(rng.choice(flats if flats and rng.random() < 0.8 else moves))
    return positions


def with_side_to_move(game, tps: str, side: int):
    board, _, move = tps.split()
    return game.from_tps(f"{board} {side + 1} {move}")


@pytest.mark.parametrize("size", [4, 5, 6])
def test_road_distance_and_threats_agree_with_dijkstra_and_the_rules(size):
    game = make("tak", size=size)
    checked_threats = 0
    for state in positions_along_random_games(game, 12, every=5, seed=100 + size):
        tps = state.position()
        players = tak_evaluation_terms(state, "road")["players"]
        for player in (0, 1):
            assert players[player]["road_distance"] == road_distance_by_dijkstra(tps, player), (tps, player)
            seen_by = with_side_to_move(game, tps, player)
            if seen_by.is_terminal():
                continue
            threats = winning_placements(seen_by)
            assert players[player]["threats"] == len(threats), (tps, player, threats)
            assert (players[player]["road_distance"] == 1) == bool(threats), (tps, player)
            checked_threats += bool(threats)
    assert checked_threats >= 3  # the positions include some with threats


def test_alphabeta_specs_name_the_evaluation(tak5):
    assert parse_alphabeta_spec("alphabeta:3") == AlphaBetaSpec("road", 3, 0.0)
    assert parse_alphabeta_spec("alphabeta-simple:4:0.5") == AlphaBetaSpec("simple", 4, 0.5)
    assert parse_alphabeta_spec("alphabeta-simple:4:0.5").name == "alphabeta-simple:4:0.5"
    for text in ("alphabeta-road:3", "alphabeta-simple", "alphabeta-simple:0"):
        with pytest.raises(ValueError, match="alphabeta-simple:DEPTH"):
            parse_alphabeta_spec(text)
    assert AlphaBetaPlayer(2, evaluation="simple").name == "alphabeta-simple:2"
    with pytest.raises(ValueError, match="unknown Tak evaluation"):
        alphabeta_search(tak5.new(), 2, evaluation="deep")
