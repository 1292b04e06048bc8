"""Tests of the Tak engine (the `games/tak/` package): run `mojo run -I . tests/mojo/test_tak.mojo`."""

from std.testing import assert_equal, assert_true, assert_false, assert_raises, TestSuite
from mojo.game import GameOptions, DRAW, FloatBuffer
from mojo.perft import perft
from games.tak import TakState, NUM_PLANES, symmetry_direction


# ---------------------------------------------------------------------- helpers


def new_game(size: Int, komi: Float64 = 0.0) raises -> TakState:
    var options = GameOptions()
    options.set("size", Float64(size))
    options.set("komi", komi)
    return TakState.create(options)


def load(tps: String, komi: Float64 = 0.0) raises -> TakState:
    var options = GameOptions()
    options.set("komi", komi)
    return TakState.from_position(options, tps)


def play(mut state: TakState, moves: String) raises:
    """Plays space-separated PTN moves, checking that each is legal."""
    for part in moves.split(" "):
        var text = String(part)
        if text.byte_length() == 0:
            continue
        var action = state.parse_move(text)
        if not state.is_legal(action):
            raise Error(String("illegal move ", text, " in ", state.position()))
        state.apply(action)


def count_moves(state: TakState) -> Int:
    var actions = List[Int]()
    state.legal_actions(actions)
    return len(actions)


struct Rng(Movable):
    var state: UInt64

    def __init__(out self, seed: UInt64):
        self.state = seed * 0x9E3779B97F4A7C15 + 1

    def next(mut self) -> UInt64:
        var x = self.state
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        self.state = x
        return x

    def below(mut self, n: Int) -> Int:
        return Int(self.next() % UInt64(n))


def random_positions(size: Int, games: Int, seed: UInt64) raises -> List[TakState]:
    """Every position (terminal ones included) of `games` random games on a `size` board."""
    var rng = Rng(seed)
    var positions = List[TakState]()
    var actions = List[Int]()
    for _ in range(games):
        var state = new_game(size, 0.5 * Float64(rng.below(7)))
        positions.append(state.copy())
        while not state.is_terminal() and state.ply() < 400:
            state.legal_actions(actions)
            # Favour stack moves so that tall stacks and walls appear.
            var action = actions[rng.below(len(actions))]
            if rng.below(3) != 0 and len(actions) > 3 * size * size:
                for _ in range(4):
                    var candidate = actions[rng.below(len(actions))]
                    if candidate >= 3 * size * size:
                        action = candidate
                        break
            state.apply(action)
            positions.append(state.copy())
    return positions^


def address(mut values: List[Float32]) -> FloatBuffer:
    return FloatBuffer(unsafe_from_address=Int(values.unsafe_ptr()))


def encode(state: TakState) -> List[Float32]:
    var shape = state.input_shape()
    var planes = List[Float32](length=shape.size(), fill=-7.0)
    state.encode(address(planes))
    return planes^


def plane_value(state: TakState, planes: List[Float32], plane: Int, square: Int) -> Float32:
    return planes[plane * state.size * state.size + square]


# ---------------------------------------------------------------------- perft


def test_perft_start_all_sizes() raises:
    # tests/data/tak/perft-start.json (published by several independent engines).
    assert_equal(perft(new_game(3), 5), 271812)
    assert_equal(perft(new_game(3), 6), 3712952)
    assert_equal(perft(new_game(4), 4), 216464)
    assert_equal(perft(new_game(4), 5), 6468872)
    assert_equal(perft(new_game(5), 4), 2999784)
    assert_equal(perft(new_game(6), 3), 132720)
    assert_equal(perft(new_game(6), 4), 13586048)
    assert_equal(perft(new_game(7), 3), 339696)
    assert_equal(perft(new_game(8), 3), 764064)
    for size in range(3, 9):
        var area = size * size
        assert_equal(perft(new_game(size), 1), area)
        assert_equal(perft(new_game(size), 2), area * (area - 1))


def full_perft(state: TakState, depth: Int) -> Int:
    """Perft without bulk counting: every leaf is applied."""
    if depth == 0:
        return 1
    var actions = List[Int]()
    state.legal_actions(actions)
    var total = 0
    for action in actions:
        var child = state.copy()
        child.apply(action)
        total += full_perft(child, depth - 1)
    return total


def test_perft_without_bulk_counting() raises:
    assert_equal(full_perft(new_game(3), 5), 271812)
    assert_equal(full_perft(new_game(5), 3), 43320)


# ---------------------------------------------------------------------- move counts


def test_opening_counts() raises:
    var state = new_game(5)
    assert_equal(count_moves(state), 25)
    play(state, "a1")
    assert_equal(count_moves(state), 24)
    # The swap placements put the opponent's flat.
    assert_equal(state.position(), "x5/x5/x5/x5/2,x4 2 1")
    play(state, "e5")
    assert_equal(state.position(), "x4,1/x5/x5/x5/2,x4 1 2")
    assert_equal(state.stones_in_reserve(0), 20)
    assert_equal(state.stones_in_reserve(1), 20)
    # Walls, capstones and moves are illegal in the opening.
    var opening = new_game(5)
    assert_false(opening.is_legal(opening.parse_move("Sa1")))
    assert_false(opening.is_legal(opening.parse_move("Ca1")))
    play(opening, "a1")
    assert_false(opening.is_legal(opening.parse_move("a1>")))


def test_move_stack_count_tiltak() raises:
    # result-cases.json tiltak_move_stack_test: 69 placements + 18 stack moves.
    var state = new_game(5)
    play(state, "d3 c3 c4 1d3< 1c4- Sc4")
    assert_equal(state.position(), "x5/x2,2S,x2/x2,121,x2/x5/x5 1 4")
    assert_equal(count_moves(state), 87)
    assert_equal(state.count_legal_actions(), 87)


def test_carry_limit() raises:
    # result-cases.json tiltak_respect_carry_limit: a 5-high stack topped by Black's
    # capstone on c3, carry limit 5.
    var state = new_game(5)
    play(state, "c2 c3 d3 b3 c4 1c2+ 1d3< 1b3> 1c4+ Cc2 a1 1c2+ a2")
    assert_equal(state.position(), "x2,1,x2/x5/x2,12122C,x2/1,x4/1,x4 2 7")
    assert_true(state.is_legal(state.parse_move("5c3>")))
    assert_true(state.is_legal(state.parse_move("5c3+")))
    assert_true(state.is_legal(state.parse_move("5c3<14")))
    assert_false(state.is_legal(state.parse_move("5c3>1112")))  # Off the board.
    with assert_raises(contains="carry limit"):
        _ = state.parse_move("6c3>")  # Not even representable on 5x5.
    # Hand count: 21 empty squares x (flat, wall) = 42 placements (Black's capstone is on
    # the board). Only c3 can move: carry 1..5, two free squares in every direction (the
    # White flat on c5 is no blocker), so 1 + 2 + 3 + 4 + 5 = 15 patterns per direction.
    assert_equal(state.count_legal_actions(), 42 + 4 * 15)
    assert_equal(count_moves(state), 42 + 4 * 15)
    # With a 7-high stack on 8x8 the carry is the height (7), below the limit 8.
    var tall = load("x8/x8/x8/x8/x3,1212121,x4/x8/x8/x8 1 10")
    # d4 (row 3): up 4 free, down 3, right 4, left 3. Patterns of carry 1..7 over <= r
    # squares: r=4: 1+2+4+8+15+26+42 = 98, r=3: 1+2+4+7+11+16+22 = 63.
    # Placements: 63 empty squares x 3 (White has stones and capstones) = 189.
    assert_equal(tall.count_legal_actions(), 189 + 2 * 98 + 2 * 63)
    assert_equal(count_moves(tall), 189 + 2 * 98 + 2 * 63)


def test_tall_stacks() raises:
    # A 70-high stack on 8x8 (heights above 63 use the spare word): moves off and back on,
    # hashes, TPS and symmetries stay consistent.
    var stack = String()
    for i in range(70):
        stack += "2" if (i % 3 == 1 or i >= 66) else "1"
    stack += "1"
    var tps = String("x8/x8/x8/x8/x3,", stack, ",x4/x8/x8/x8 1 40")
    var state = load(tps)
    assert_equal(state.position(), tps)
    assert_equal(state.height(27), 71)
    assert_equal(state.piece_colour(27, 69), 1)
    assert_equal(state.piece_colour(27, 70), 0)
    assert_equal(state.tall_square, 27)
    play(state, "8d4+")
    assert_equal(state.tall_square, -1)
    assert_equal(state.hash(), state.recompute_hash())
    play(state, "a1 8d5-")
    assert_equal(state.tall_square, 27)
    assert_equal(state.position(), String("x8/x8/x8/x8/x3,", stack, ",x4/x8/x8/2,x7 2 41"))
    play(state, "b1 8d4>1115 c1 5h4<")
    assert_equal(state.hash(), state.recompute_hash())
    var reloaded = load(state.position())
    assert_equal(reloaded.hash(), state.hash())
    assert_equal(reloaded.position(), state.position())
    for k in range(8):
        var image = state.transformed(k)
        assert_equal(image.hash(), image.recompute_hash())
        assert_equal(image.transformed(0).position(), image.position())
    var rng = Rng(99)
    var actions = List[Int]()
    for _ in range(300):
        if state.is_terminal():
            break
        state.legal_actions(actions)
        var action = actions[rng.below(len(actions))]
        for _ in range(6):
            var candidate = actions[rng.below(len(actions))]
            if candidate >= 3 * 64:
                action = candidate
                break
        state.apply(action)
        assert_equal(state.hash(), state.recompute_hash())
        assert_equal(load(state.position()).position(), state.position())


def test_wall_flattening_counts() raises:
    # White capstone on c2 right under Black's wall on c3.
    var state = load("x5/x5/x2,2S,x2/x2,1C,x2/x5 1 3")
    # Placements: 23 empty squares x 2 (no capstone left) = 46. Moves of the lone capstone:
    # up flattens the wall (1), down 1, right 1, left 1.
    assert_equal(count_moves(state), 50)
    assert_equal(state.count_legal_actions(), 50)
    var flatten = state.parse_move("c2+*")
    assert_equal(flatten, state.parse_move("c2+"))
    assert_true(state.is_legal(flatten))
    state.apply(flatten)
    assert_equal(state.position(), "x5/x5/x2,21C,x2/x5/x5 2 3")
    assert_equal(state.hash(), state.recompute_hash())
    # A capstone on a 3-stack: carries 1..3. Up: only the lone capstone may flatten (1).
    # Down: 1 free square: 3. Right / left: 2 free squares: 1 + 2 + 3 = 6 each. Placements:
    # 23 x 2 = 46. Total 62.
    var stacked = load("x5/x5/x2,2S,x2/x2,121C,x2/x5 1 3")
    assert_equal(count_moves(stacked), 62)
    assert_equal(stacked.count_legal_actions(), 62)
    assert_false(stacked.is_legal(stacked.parse_move("2c2+")))
    assert_false(stacked.is_legal(stacked.parse_move("2c2+11")))
    # Wall two squares up: up = 3 (one square) + 2 flattening (11*, 21*) = 5; down 3,
    # right 6, left 6; placements 23 x 2 = 46. Total 66.
    var far = load("x5/x2,2S,x2/x5/x2,121C,x2/x5 1 3")
    assert_equal(count_moves(far), 66)
    assert_equal(far.count_legal_actions(), 66)
    assert_true(far.is_legal(far.parse_move("2c2+11*")))
    assert_true(far.is_legal(far.parse_move("3c2+21")))
    assert_false(far.is_legal(far.parse_move("3c2+12")))
    var crushed = far.copy()
    crushed.apply(far.parse_move("3c2+21"))
    assert_equal(crushed.position(), "x5/x2,21C,x2/x2,12,x2/x5/x5 2 3")
    assert_equal(crushed.hash(), crushed.recompute_hash())
    # A flat on top can never flatten a wall, whatever it carries.
    var flat_top = load("x5/x5/x2,2S,x2/x2,121,x2/x5 1 3")
    assert_false(flat_top.is_legal(flat_top.parse_move("c2+")))


def test_blocked_by_capstone() raises:
    # White flat c2 below Black's capstone c3: it cannot move up. 23 empty squares, White
    # has stones and a capstone: 69 placements, plus c2-, c2>, c2<.
    var state = load("x5/x5/x2,2C,x2/x2,1,x2/x5 1 3")
    assert_equal(count_moves(state), 72)
    assert_equal(state.count_legal_actions(), 72)
    assert_false(state.is_legal(state.parse_move("c2+")))
    # A capstone cannot enter a capstone either.
    var caps = load("x5/x5/x2,2C,x2/x2,1C,x2/x5 1 3")
    assert_false(caps.is_legal(caps.parse_move("c2+")))
    assert_equal(count_moves(caps), 46 + 3)
    # A wall blocks a flat.
    var wall = load("x5/x5/x2,2S,x2/x2,1,x2/x5 1 3")
    assert_equal(count_moves(wall), 72)


def test_reserve_placements() raises:
    # 5x5 with 2 stones and 1 capstone each: after the opening White has 1 stone.
    var options = GameOptions()
    options.set("size", 5)
    options.set("flats", 2)
    options.set("caps", 1)
    var state = TakState.create(options)
    play(state, "a1 e5 b1")
    assert_equal(state.stones_in_reserve(0), 0)
    assert_false(state.is_terminal())  # The capstone is left.
    play(state, "d5")  # Black's last stone: Black still has a capstone.
    assert_false(state.is_terminal())
    # White: only capstone placements (21 empty) plus moves of b1 (up, right, left onto
    # Black's flat) and e5 (down, left onto Black's flat).
    assert_false(state.is_legal(state.parse_move("c3")))
    assert_false(state.is_legal(state.parse_move("Sc3")))
    assert_true(state.is_legal(state.parse_move("Cc3")))
    assert_equal(count_moves(state), 21 + 3 + 2)
    play(state, "Cc3")
    # White is out of stones and capstones: the game ends on flats (White b1, e5 vs a1, d5
    # flats; capstones do not count): 2-2 with komi 0 is a draw.
    assert_true(state.is_terminal())
    assert_equal(state.winner(), DRAW)
    assert_equal(state.result_string(), "1/2-1/2")
    assert_equal(count_moves(state), 0)
    assert_equal(state.count_legal_actions(), 0)


# ---------------------------------------------------------------------- results


def test_dragon_clause() raises:
    var state = new_game(6)
    play(state, "a4 a3 b3 b4 c3 c4 d3 d4 d3+ e4 e3 f4 f3 Cb5 d4-")
    assert_equal(state.position(), "x6/x,2C,x4/2,2,2,2,2,2/1,1,1,1,1,1/x6/x6 2 8")
    assert_true(state.has_road(0))
    assert_true(state.has_road(1))
    assert_equal(state.result_string(), "R-0")
    assert_equal(state.winner(), 0)
    assert_equal(count_moves(state), 0)


def test_dragon_clause_real_game() raises:
    # games/takbag_DragonClause.ptn: 29. 4c6-1111* completes both roads; White, the mover,
    # wins.
    var state = new_game(6)
    play(
        state,
        String(
            "a6 f1 d3 c3 d4 c4 d2 e4 d5 Ce3 d1 e3< e3 f4 e5 b4 Cb3 b5 c5 b6 b3+ b5> 2b4> d6",
            " e6 e2 f6 c6 b4 2d3+ 3c4+ 3d4+ d4 e4+ e6- 4d5> d5 5e5< 4c5+ c4 b4> c3+ d4< Sd4",
            " 4c4-22 Sc4 Sf5 e4 b2 c4- a2 3c3- c4 d3 e1 c1",
        ),
    )
    assert_false(state.is_terminal())
    play(state, "4c6-1111*")
    assert_equal(
        state.position(),
        "2,2,2,2,x,1/x2,12,111112C,12,1S/x2,12,2S,2,2/x2,2,2,1,x/1,1,212121C,1,2,x/x2,2,1,1,1 2 29",
    )
    assert_true(state.has_road(0))
    assert_true(state.has_road(1))
    assert_equal(state.result_string(), "R-0")
    assert_equal(state.top_flat_count(0), 8)
    assert_equal(state.top_flat_count(1), 13)


def test_road_and_flat_results() raises:
    var flat_win = new_game(3)
    play(flat_win, "a3 c1 c2 c3 b3 b2 b1 a1 a2")
    assert_equal(flat_win.position(), "2,1,2/1,2,1/2,1,1 2 5")
    assert_equal(flat_win.result_string(), "F-0")
    assert_equal(flat_win.top_flat_count(0), 5)
    assert_equal(flat_win.top_flat_count(1), 4)

    var road = new_game(5)
    play(road, "d2 a5 b4 d3 Cc3 Cc2 b2 b1 b3 a1 c4 c1 e2 e3")
    assert_equal(road.position(), "1,x4/x,1,1,x2/x,1,1C,2,2/x,1,2C,2,1/2,2,2,x2 1 8")
    assert_equal(road.result_string(), "0-R")
    assert_equal(road.winner(), 1)

    var road_beats_flats = new_game(3)
    play(road_beats_flats, "a1 c1 c2 a2 Sa3 b1 Sb3 b2 c3")
    assert_equal(road_beats_flats.position(), "1S,1S,1/2,2,1/2,2,1 2 5")
    assert_equal(road_beats_flats.result_string(), "R-0")


def test_board_fill_komi() raises:
    var moves = "a1 a2 b1 b2 c2 c1 d1 d2 d3 c3 b3 a3 a4 b4 c4 d4"
    var expected = List[String]()
    expected.append("1/2-1/2")
    expected.append("0-F")
    expected.append("0-F")
    for i in range(3):
        var state = new_game(4, 0.5 * Float64(i))
        play(state, moves)
        assert_equal(state.position(), "1,2,1,2/2,1,2,1/1,2,1,2/2,1,2,1 1 9")
        assert_equal(state.result_string(), expected[i])
        assert_equal(state.komi(), 0.5 * Float64(i))
    # White a flat ahead, komi 0.5 / 1 / 1.5: F-0, draw, 0-F.
    var komi_cases = List[String]()
    komi_cases.append("F-0")
    komi_cases.append("1/2-1/2")
    komi_cases.append("0-F")
    for i in range(3):
        var options = GameOptions()
        options.set("komi", 0.5 * Float64(i + 1))
        var state = TakState.from_position(options, "1,2,1,2/2,1,2,1/1,2,1,2/2,1,2,1S 1 9")
        # Walls do not count: White 7 flats, Black 8: Black wins whatever the komi.
        assert_equal(state.result_string(), "0-F")
        var options2 = GameOptions()
        options2.set("komi", 0.5 * Float64(i + 1))
        var ahead = TakState.from_position(options2, "1,2,1,2/2,1,2,1/1,2,1,2/2,1,2S,1 1 9")
        # White 8, Black 7 flats.
        assert_equal(ahead.result_string(), komi_cases[i])


def test_topaz_cases() raises:
    var fill = load(
        "1,2,1,1,1,x/2,2,2,1,21,1/2,2,112C,21S,2,2/2,1,221C,1,12,212/1,1,1,2,1,2/2,2,1,1,2,112S 2 30"
    )
    play(fill, "f6")
    assert_equal(
        fill.position(),
        "1,2,1,1,1,2/2,2,2,1,21,1/2,2,112C,21S,2,2/2,1,221C,1,12,212/1,1,1,2,1,2/2,2,1,1,2,112S 1 31",
    )
    assert_equal(fill.result_string(), "0-F")
    var komi = load(
        (
            "x2,2,1112,2,2/12,222121C,x,1S,221S,x/x2,21211112,21,2,2/x,1,21S,2,2,1S/1,21,1,1,1112C,1/1,21,2,2221S,21,221"
            " 1 58"
        ),
        2.5,
    )
    play(komi, "b4")
    assert_equal(komi.result_string(), "0-F")
    assert_equal(komi.top_flat_count(0), 12)
    assert_equal(komi.top_flat_count(1), 11)
    var road = load(
        "2,1,1,1,1,2S/1,12,1,x2,111121C/x,2,2,212,2C,11121/2,2,1,1,12,2/x3,1,1,x/x2,2,21,x,112S 1 36"
    )
    assert_equal(road.result_string(), "0-R")
    assert_true(road.is_terminal())
    assert_equal(count_moves(road), 0)


def test_suicide_move_gives_opponent_the_road() raises:
    # White's flat on a2 covers Black's: moving it away completes Black's road a2-b2-c2
    # (a legal "suicide" move).
    var state = load("x3/21,2,2/x3 1 3")
    assert_false(state.is_terminal())
    play(state, "a2+")
    assert_equal(state.result_string(), "0-R")


def test_reversible_ply_limit() raises:
    var options = GameOptions()
    options.set("size", 3)
    options.set("reversible_ply_limit", 4)
    var state = TakState.create(options)
    play(state, "a1 c3")
    # Defaults: bits at 60% and 90% of the limit: 2 and 3 plies.
    var planes = encode(state)
    assert_equal(plane_value(state, planes, 29, 0), 0.0)
    play(state, "c3< a1>")
    assert_equal(state.reversible_ply_count(), 2)
    planes = encode(state)
    assert_equal(plane_value(state, planes, 29, 4), 1.0)
    assert_equal(plane_value(state, planes, 30, 4), 0.0)
    assert_equal(state.hash(), state.recompute_hash())
    play(state, "b3<")
    planes = encode(state)
    assert_equal(plane_value(state, planes, 30, 8), 1.0)
    assert_equal(state.hash(), state.recompute_hash())
    assert_false(state.is_terminal())
    play(state, "b1<")
    assert_true(state.is_terminal())
    assert_equal(state.result_string(), "1/2-1/2")
    assert_equal(state.winner(), DRAW)
    assert_equal(count_moves(state), 0)
    # A placement resets the counter.
    var reset = TakState.create(options)
    play(reset, "a1 c3 c3< a1> b3< c1")
    assert_equal(reset.reversible_ply_count(), 0)
    assert_equal(reset.hash(), reset.recompute_hash())


# ---------------------------------------------------------------------- invariants


def test_random_games_invariants() raises:
    # Hash incremental == recomputed, count == len(legal), is_legal agrees with the list
    # for every action index, TPS round trip keeps the position and the hash.
    for size in range(3, 9):
        var positions = random_positions(size, 3 if size < 7 else 2, UInt64(size * 17))
        var actions = List[Int]()
        for index in range(len(positions)):
            ref state = positions[index]
            assert_equal(state.hash(), state.recompute_hash())
            state.legal_actions(actions)
            assert_equal(len(actions), state.count_legal_actions())
            assert_equal(len(actions) == 0, state.is_terminal())
            if index % 5 == 0:
                var legal = List[Bool](length=state.num_actions(), fill=False)
                for a in actions:
                    legal[a] = True
                for a in range(state.num_actions()):
                    assert_equal(state.is_legal(a), legal[a])
                assert_false(state.is_legal(-1))
                assert_false(state.is_legal(state.num_actions()))
            var reloaded = load(state.position(), state.komi())
            assert_equal(reloaded.position(), state.position())
            assert_equal(reloaded.hash(), state.hash())  # No reversible limit: same hash.
            if not state.is_terminal():
                assert_equal(reloaded.count_legal_actions(), state.count_legal_actions())
            else:
                assert_true(reloaded.is_terminal())


def test_symmetries() raises:
    for size in range(3, 9):
        var positions = random_positions(size, 1, UInt64(1000 + size))
        var actions = List[Int]()
        var mapped_actions = List[Int]()
        for index in range(0, len(positions), 3):
            ref state = positions[index]
            var planes = encode(state)
            var shape = state.input_shape()
            state.legal_actions(actions)
            for k in range(state.num_symmetries()):
                var image = state.transformed(k)
                assert_equal(image.hash(), image.recompute_hash())
                var image_planes = encode(image)
                var mapped = List[Float32](length=shape.size(), fill=-3.0)
                state.transform_encoding(k, address(planes), address(mapped))
                for i in range(shape.size()):
                    assert_equal(mapped[i], image_planes[i])
                image.legal_actions(mapped_actions)
                assert_equal(len(mapped_actions), len(actions))
                var is_image_legal = List[Bool](length=state.num_actions(), fill=False)
                for a in mapped_actions:
                    is_image_legal[a] = True
                for a in actions:
                    var b = state.symmetry_action(k, a)
                    assert_true(is_image_legal[b])
                # Applying then transforming == transforming then applying the mapped action.
                if len(actions) > 0:
                    var a = actions[(index * 7 + k) % len(actions)]
                    var after = state.copy()
                    after.apply(a)
                    var image_after = image.copy()
                    image_after.apply(state.symmetry_action(k, a))
                    assert_equal(after.transformed(k).position(), image_after.position())
                    assert_equal(after.result_string(), image_after.result_string())


def test_symmetry_action_is_permutation() raises:
    for size in range(3, 9):
        var state = new_game(size)
        var n = state.num_actions()
        for k in range(8):
            var seen = List[Bool](length=n, fill=False)
            for a in range(n):
                var b = state.symmetry_action(k, a)
                assert_true(b >= 0 and b < n)
                assert_false(seen[b])
                seen[b] = True
            # The identity is symmetry 0.
            if k == 0:
                for a in range(0, n, 37):
                    assert_equal(state.symmetry_action(0, a), a)
    # Rotating 90 degrees maps (r, c) to (c, n-1-r): up becomes left, right becomes up.
    assert_equal(symmetry_direction(1, 0), 3)
    assert_equal(symmetry_direction(1, 2), 0)
    assert_equal(symmetry_direction(4, 2), 3)
    assert_equal(symmetry_direction(4, 0), 0)


# ---------------------------------------------------------------------- encoding


def test_encoding_planes() raises:
    var state = load("x3,1C,x/x5/x,2S,x3/x,121,x3/x5 2 5", 2.0)
    assert_equal(state.input_shape().channels, NUM_PLANES)
    assert_equal(state.input_shape().height, 5)
    var planes = encode(state)
    # Black to move. b2 (square 6): stack 1,2,1: White's flat on top = opponent flat.
    assert_equal(plane_value(state, planes, 3, 6), 1.0)
    assert_equal(plane_value(state, planes, 0, 6), 0.0)
    # Under the top: depth 1 is Black's (own), depth 2 is White's (opponent).
    assert_equal(plane_value(state, planes, 6, 6), 1.0)
    assert_equal(plane_value(state, planes, 7, 6), 0.0)
    assert_equal(plane_value(state, planes, 9, 6), 1.0)
    assert_equal(plane_value(state, planes, 8, 6), 0.0)
    # b3 (square 11): Black's wall = own wall.
    assert_equal(plane_value(state, planes, 1, 11), 1.0)
    # d5 (square 23): White's capstone = opponent capstone.
    assert_equal(plane_value(state, planes, 5, 23), 1.0)
    # Reserves: Black has 21 - 2 = 19 stones, 1 cap; White 21 - 2 = 19 stones, 0 caps.
    assert_equal(plane_value(state, planes, 22, 0), Float32(19) / 21.0)
    assert_equal(plane_value(state, planes, 23, 0), 1.0)
    assert_equal(plane_value(state, planes, 24, 0), Float32(19) / 21.0)
    assert_equal(plane_value(state, planes, 25, 0), 0.0)
    assert_equal(plane_value(state, planes, 26, 12), 1.0)  # Black to move.
    assert_equal(plane_value(state, planes, 27, 12), 0.5)  # Komi 2 favours Black: +2/4.
    assert_equal(plane_value(state, planes, 28, 12), 0.0)
    var total: Float32 = 0.0
    for value in planes:
        assert_true(value >= -1.0 and value <= 1.0)
        total += value
    # A deep stack: 10 pieces, the view covers the top + 7, 2 deeper pieces.
    var deep = load("x3/x,1212121121,x/x3 1 10")
    var deep_planes = encode(deep)
    assert_equal(plane_value(deep, deep_planes, 0, 4), 1.0)
    assert_equal(plane_value(deep, deep_planes, 20, 4), 1.0 / 20.0)  # One white piece deep.
    assert_equal(plane_value(deep, deep_planes, 21, 4), 1.0 / 20.0)  # One black piece deep.
    assert_equal(plane_value(deep, deep_planes, 28, 4), 0.0)
    var opening = new_game(4)
    var opening_planes = encode(opening)
    assert_equal(plane_value(opening, opening_planes, 28, 5), 1.0)
    assert_equal(plane_value(opening, opening_planes, 27, 5), 0.0)


# ---------------------------------------------------------------------- notation


def test_move_notation_vectors() raises:
    # tests/data/tak/notation-vectors.json (takparse), on an 8x8 board.
    var state = new_game(8)
    var canonical = ["a1", "h8", "Sa3", "Cb4", "c2<", "3c5+", "4h4-13", "7a5>3112", "8h1<1112111"]
    for text in canonical:
        assert_equal(state.format_move(state.parse_move(text)), text)
    var pairs = [
        ("Fa1", "a1"),
        ("c1>1", "c1>"),
        ("1b1>1", "b1>"),
        ("4a4-4", "4a4-"),
        ("f7-*", "f7-"),
        ("5d2>131*", "5d2>131"),
        ("a5??", "a5"),
        ('b8"!', "b8"),
        ("8g3<112121*'!?", "8g3<112121"),
    ]
    for pair in pairs:
        assert_equal(state.format_move(state.parse_move(pair[0])), pair[1])
    var invalid = [
        "ąąąą",
        "ą",
        "",
        "a",
        "5",
        "S",
        "i1",
        "H8",
        "11",
        "Su5",
        "af",
        "a9",
        "a0",
        "6cA<",
        "9a1>",
        "ca4",
        "5b6",
        "1g1",
        "Fe8<",
        "Cd4*",
        "3f3}",
        "h1/",
        "6b2>21012",
        "3a7-.",
        "4d2+324",
        "7f5<81111111111111",
        "8a3>11111111",
        "2c1+111",
        "3d5<*",
    ]
    for text in invalid:
        var raised = False
        try:
            _ = state.parse_move(text)
        except:
            raised = True
        assert_true(raised, String("should not parse: ", text))
    assert_equal(state.parse_move(" 3c3>12 "), state.parse_move("3c3>12"))
    with assert_raises(contains="drop counts 12 do not add up to 4"):
        _ = state.parse_move("4c3>12")
    var small = new_game(5)
    with assert_raises(contains="off the 5x5 board"):
        _ = small.parse_move("f1")
    with assert_raises(contains="carry limit"):
        _ = small.parse_move("6c3>")


def test_every_action_round_trips() raises:
    # Every action index prints and parses back, except the drop patterns that drop on N
    # squares: they can never be legal on an N x N board and have no notation.
    for size in range(3, 9):
        var state = new_game(size)
        var unprintable = 0
        for action in range(state.num_actions()):
            var text = state.format_move(action)
            var pattern = (action - 3 * size * size) % ((1 << size) - 1)
            if action >= 3 * size * size and pattern == (1 << size) - 2:
                unprintable += 1
                with assert_raises(contains="squares"):
                    _ = state.parse_move(text)
                continue
            assert_equal(state.parse_move(text), action)
        assert_equal(unprintable, 4 * size * size)
    assert_equal(new_game(3).num_actions(), 27 + 4 * 9 * 7)
    assert_equal(new_game(8).num_actions(), 192 + 4 * 64 * 255)
    var five = new_game(5)
    assert_equal(five.parse_move("a1"), 0)
    assert_equal(five.parse_move("b1"), 1)
    assert_equal(five.parse_move("a2"), 5)
    assert_equal(five.parse_move("Sa1"), 25)
    assert_equal(five.parse_move("Ce5"), 74)
    # Moves: 75 + (square * 4 + direction) * 31 + pattern.
    assert_equal(five.parse_move("a1+"), 75)
    assert_equal(five.parse_move("a1-"), 75 + 31)
    assert_equal(five.parse_move("2a1+"), 75 + 1)
    assert_equal(five.parse_move("2a1+11"), 75 + 2)
    assert_equal(five.parse_move("3a1+12"), 75 + 4)
    assert_equal(five.parse_move("3a1+21"), 75 + 5)
    assert_equal(five.parse_move("b1<"), 75 + (1 * 4 + 3) * 31)


def test_tps_round_trip_and_errors() raises:
    assert_equal(load("x3,x/x,x,x,x/x4/x,x2,x 1 1").position(), "x4/x4/x4/x4 1 1")
    assert_equal(load("x,x,x/x,x,x/x,x,x 1 1").position(), "x3/x3/x3 1 1")
    var complicated = (
        "1C,x,2S,12,1,22C/2S,1S,12,2,2112,2S/1,2S,21S,21,2,2/2,212,21222,12S,21S,1/1S,2,1,2,2,x/1,121,1S,12,x,2"
        " 2 54"
    )
    assert_equal(load(complicated).position(), complicated)
    var invalid = [
        "",
        "x2/x2 1 1 ",
        " x2/x2 1 1",
        "1 4",
        "x2/x2 2",
        "x2/x2 w 1",
        "x2/x2 1 1.5",
        "x3/x3 1 1",
        "1,2,1C/x2/1112S,1S,x 1 9",
        "123",
        "12P",
        "hi",
        "1SC",
        "x3/x3/x3 1 0",
        "x3/x3/x4 1 1",
        "x3/x3/x,3,x 1 1",
        "x3/x3/x,1S1,x 1 1",
        "x3/x3/x,C,x 1 1",
        "x9/x9/x9/x9/x9/x9/x9/x9/x9 1 1",
        "x2/x2 1 1",
    ]
    for text in invalid:
        var raised = False
        try:
            _ = load(text)
        except:
            raised = True
        assert_true(raised, String("should not load: ", text))
    with assert_raises(contains="capstones on the board"):
        _ = load("1C,x2/x3/x3 1 3")  # 3x3 has no capstones.
    with assert_raises(contains="player to move"):
        _ = load("x3/x3/x3 3 1")
    # Options must agree with the TPS board.
    var options = GameOptions()
    options.set("size", 5)
    with assert_raises(contains="does not match"):
        _ = TakState.from_position(options, "x3/x3/x3 1 1")


def test_options() raises:
    var defaults = new_game(6)
    assert_equal(defaults.stones_in_reserve(0), 30)
    assert_equal(defaults.caps_in_reserve(1), 1)
    var seven = new_game(7)
    assert_equal(seven.stones_in_reserve(0), 40)
    assert_equal(seven.caps_in_reserve(0), 2)
    var options = GameOptions()
    assert_equal(TakState.create(options).size, 6)
    var bad = GameOptions()
    bad.set("size", 9)
    with assert_raises(contains="size"):
        _ = TakState.create(bad)
    var unknown = GameOptions()
    unknown.set("sise", 5)
    with assert_raises(contains="sise"):
        _ = TakState.create(unknown)
    var komi = GameOptions()
    komi.set("komi", 0.3)
    with assert_raises(contains="komi"):
        _ = TakState.create(komi)
    var flats = GameOptions()
    flats.set("flats", 0)
    with assert_raises(contains="flats"):
        _ = TakState.create(flats)
    var custom = GameOptions()
    custom.set("size", 4)
    custom.set("caps", 1)
    custom.set("flats", 12)
    var state = TakState.create(custom)
    assert_equal(state.caps_in_reserve(0), 1)
    assert_equal(state.stones_in_reserve(1), 12)


def test_render_and_names() raises:
    var state = load("x3,1C,x/x5/x,2S,x3/x,121,x3/x5 2 5")
    var text = state.render()
    assert_true("121" in text)
    assert_true("2S" in text)
    assert_equal(state.name(), "tak")
    assert_equal(state.ply(), 9)
    assert_equal(state.to_move(), 0 + 1)
    assert_equal(state.result_string(), "")


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
