"""Tests of the chess engine parts Python cannot reach: SAN formatting, repetition
counting, the two forms of sliding attacks against each other, and the bulk move count
against the generated list.

Run `mojo run -I . tests/mojo/test_chess.mojo`. The expected SAN lists were produced by
python-chess (`sorted(board.san(m) for m in board.legal_moves)`), the second
implementation the Python tests use as referee.
"""

from std.testing import assert_equal, assert_true, assert_false, assert_raises, TestSuite
from mojo.game import GameOptions
from games.chess import ChessState, generate_moves, count_repetitions, is_threefold_repetition, move_to_action
from games.chess.attacks import rook_attacks, bishop_attacks, rook_attacks_of_set, bishop_attacks_of_set
from games.chess.board import square_bit
from games.chess.moves import count_moves, is_in_check


def load(fen: String) raises -> ChessState:
    var options = GameOptions()
    return ChessState.from_position(options, fen)


def check_san_list(fen: String, expected: String) raises:
    """Every legal move's SAN is in `expected` (space-separated), as many as there are, and parses back."""
    var state = load(fen)
    var wanted = List[String]()
    for part in expected.split(" "):
        wanted.append(String(part))
    var moves = List[Int]()
    generate_moves(state, moves)
    assert_equal(len(moves), len(wanted), fen)
    for index in range(len(moves)):
        var action = move_to_action(state.side, moves[index])
        var san = state.format_san(action)
        var found = False
        for candidate in wanted:
            if candidate == san:
                found = True
        assert_true(found, String(fen, ": SAN ", san, " not in python-chess's list"))
        assert_equal(state.parse_move(san), action, san)


def test_san_matches_python_chess() raises:
    check_san_list(
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
        "Bb5 Bc1 Bc4 Bd1 Bd3 Be3 Bf1 Bf4 Bg5 Bh6 Bxa6 Kd1 Kf1 Na4 Nb1 Nb5 Nc4 Nc6 Nd1 Nd3 Ng4 Nxd7 Nxf7"
        " Nxg6 O-O O-O-O Qd3 Qe3 Qf4 Qf5 Qg3 Qg4 Qh5 Qxf6 Qxh3 Rb1 Rc1 Rd1 Rf1 Rg1 a3 a4 b3 d6 dxe6 g3 g4 gxh3",
    )
    check_san_list(
        "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1", "Bc5 Kh1 Nd4 Rf2 c5 d4"
    )
    check_san_list(
        "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
        "Ba6 Bb3 Bb5 Bd2 Bd3 Bd5 Be3 Be6 Bf4 Bg5 Bh6 Bxf7 Kd2 Kf1 Kxf2 Na3 Nbc3 Nd2 Nd4 Nec3 Nf4 Ng1 Ng3"
        " O-O Qd2 Qd3 Qd4 Qd5 Qd6 Rf1 Rg1 a3 a4 b3 b4 c3 dxc8=B dxc8=N dxc8=Q dxc8=R g3 g4 h3 h4",
    )
    check_san_list(
        "7k/1P6/8/8/8/8/R7/1R2K3 w - - 0 1",
        "Kd1 Kd2 Ke2 Kf1 Kf2 Ra3 Ra4 Ra5 Ra6 Ra7 Ra8+ Raa1 Rab2 Rb3 Rb4 Rb5 Rb6 Rba1 Rbb2 Rc1 Rc2 Rd1 Rd2"
        " Re2 Rf2 Rg2 Rh2+ b8=B b8=N b8=Q+ b8=R+",
    )
    check_san_list(
        "2N1N3/8/2N1N3/8/k7/8/8/4K3 w - - 0 1",
        "Kd1 Kd2 Ke2 Kf1 Kf2 N6a7 N6c7 N6e7 N6g7 N8a7 N8c7 N8e7 N8g7 Na5 Nb4 Nb6+ Nb8 Nc5+ Ncd4 Ncd6 Ncd8"
        " Ne5 Ned4 Ned6 Ned8 Nf4 Nf6 Nf8 Ng5",
    )
    check_san_list("8/8/3k4/8/2pP4/8/8/3K1B2 b - d3 0 1", "Kc6 Kc7 Kd5 Kd7 Ke6 Ke7 c3 cxd3")


def test_san_marks_checkmate() raises:
    var state = load("7k/8/6K1/8/8/8/8/R7 w - - 0 1")
    assert_equal(state.format_san(state.parse_move("a1a8")), "Ra8#")


def play(mut state: ChessState, moves: String, mut keys: List[UInt64]) raises:
    for part in moves.split(" "):
        state.apply(state.parse_move(String(part)))
        keys.append(state.hash())


def test_threefold_repetition_from_history_keys() raises:
    var state = load("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1")
    var history = List[UInt64]()
    history.append(state.hash())
    play(state, "Nf3 Nf6 Ng1 Ng8", history)
    # The keys before the current position, and the current one.
    var current = history.pop()
    assert_equal(count_repetitions(history, state.halfmove_clock, current), 2)
    assert_false(is_threefold_repetition(history, state.halfmove_clock, current))
    history.append(current)
    play(state, "Nf3 Nf6 Ng1", history)
    current = history.pop()
    assert_equal(count_repetitions(history, state.halfmove_clock, current), 2)  # black to move: twice
    history.append(current)
    play(state, "Ng8", history)
    current = history.pop()
    assert_equal(count_repetitions(history, state.halfmove_clock, current), 3)
    assert_true(is_threefold_repetition(history, state.halfmove_clock, current))
    # A pawn move resets the clock: nothing before it can repeat.
    history.append(current)
    play(state, "e4 e5 Nf3 Nf6 Ng1 Ng8", history)
    current = history.pop()
    assert_equal(count_repetitions(history, state.halfmove_clock, current), 2)


def next_random(mut seed: UInt64) -> UInt64:
    """A xorshift64 step: a fixed, seedable stream for the randomised tests."""
    seed ^= seed << 13
    seed ^= seed >> 7
    seed ^= seed << 17
    return seed


def test_one_square_slider_attacks_equal_the_set_fills() raises:
    """Hyperbola quintessence and the rank table (one square) against the Kogge-Stone fills
    (sets, the form perft was first verified with), on every square and 300 random
    occupancies each, sparse and dense."""
    var seed: UInt64 = 0x9E3779B97F4A7C15
    for square in range(64):
        for trial in range(300):
            var occupied = next_random(seed)
            if trial % 3 == 0:
                occupied &= next_random(seed)  # sparser boards too
            if trial % 3 == 1:
                occupied &= next_random(seed) & next_random(seed)
            var bit = square_bit(square)
            assert_equal(rook_attacks(square, occupied), rook_attacks_of_set(bit, occupied), String("rook ", square))
            assert_equal(
                bishop_attacks(square, occupied), bishop_attacks_of_set(bit, occupied), String("bishop ", square)
            )


def test_bulk_count_equals_the_generated_list_along_random_games() raises:
    """`count_moves` (perft's last ply: population counts, the attack map, the in-check
    evasion count) against `len` of `generate_moves` in every position of 300 random games
    from the start and from Kiwipete and position 3 of the perft page (pins, en passant,
    castling, checks). Some positions must be checks, or the evasion count goes untested."""
    var starts = List[String]()
    starts.append("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1")
    starts.append("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1")
    starts.append("8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1")
    var seed: UInt64 = 0x2545F4914F6CDD1D
    var checks = 0
    var positions = 0
    var moves = List[Int]()
    for game in range(300):
        var state = load(starts[game % 3])
        for _ in range(200):
            generate_moves(state, moves)
            assert_equal(count_moves(state), len(moves), state.position())
            positions += 1
            if is_in_check(state):
                checks += 1
            if len(moves) == 0:
                break
            state.play_move(moves[Int(next_random(seed) % UInt64(len(moves)))])
    assert_true(checks > 500, String("only ", checks, " checks in ", positions, " positions"))


def main() raises:
    TestSuite.discover_tests[__functions_in_module()]().run()
