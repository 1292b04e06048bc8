"""Chess against independent truth: published perft counts (tests/data/chess, sources in
tests/data/README.md), the published Polyglot key test vectors, and python-chess (`chess`
on PyPI, a second implementation) for keys, FEN, SAN and results."""

import json
import random
import subprocess
import sys
from pathlib import Path

import chess
import chess.polyglot
import numpy as np
import pytest

from conftest import data_path
from pyzero.games import IllegalMoveError, PositionError, make

WIKI_POSITIONS = json.loads(data_path("chess", "perft-wiki.json").read_text())["positions"]


def perft_game():
    # Published perft counts are move-generation counts: they play on through positions
    # that the rules would draw (bare kings, fifty moves), so perft turns those draws off.
    return make("chess", rule_draws=0)


def parse_epd_line(line):
    """(FEN, {depth: count}) from a line `FEN ;D1 20 ;D2 400 ...`."""
    fields = line.split(";")
    counts = {}
    for field in fields[1:]:
        depth, count = field.split()
        counts[int(depth.lstrip("D"))] = int(count)
    return fields[0].strip(), counts


ETHEREAL_POSITIONS = [parse_epd_line(line) for line in
                      data_path("chess", "ethereal_standard.epd").read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------------- perft

# The wiki's counts up to 10 million leaves each run one test each (well under a second
# in all); the deeper ones up to 200 million leaves (every position at depth 5, the
# initial position at 6, position 3 at 6 and 7: about 1.1 billion leaves) run in
# test_perft_wiki_deep, a few seconds. Only position 4 at depth 6 (706 million, twice)
# and position 6 at depth 6 (6.9 billion) are left out.
SHALLOW_WIKI = [(position["name"], position["fen"], depth + 1, count)
                for position in WIKI_POSITIONS for depth, count in enumerate(position["counts"])
                if count <= 10_000_000]
DEEP_WIKI = [(position["name"], position["fen"], depth + 1, count)
             for position in WIKI_POSITIONS for depth, count in enumerate(position["counts"])
             if 10_000_000 < count <= 200_000_000]


@pytest.mark.parametrize("name,fen,depth,count", SHALLOW_WIKI,
                         ids=[f"{name}-d{depth}" for name, _, depth, _ in SHALLOW_WIKI])
def test_perft_wiki(name, fen, depth, count):
    assert perft_game().from_position(fen).perft(depth) == count


def test_perft_wiki_deep():
    """Depth 5 of every wiki position, the initial position to 6, position 3 to 7."""
    assert {(name, depth) for name, _, depth, _ in DEEP_WIKI} >= {
        ("initial", 6), ("kiwipete", 5), ("position 3", 6), ("position 3", 7), ("position 4", 5),
        ("position 4 mirrored", 5), ("position 5", 5), ("position 6", 5)}
    game = perft_game()
    for name, fen, depth, count in DEEP_WIKI:
        assert game.from_position(fen).perft(depth) == count, (name, depth)


def test_perft_ethereal_suite_depth_3_and_4():
    """Every position of Ethereal's standard.epd, at each of its depths 3 and 4 that it lists."""
    game = perft_game()
    checked = 0
    for fen, counts in ETHEREAL_POSITIONS:
        state = game.from_position(fen)
        for depth in (3, 4):
            if depth in counts:
                assert state.perft(depth) == counts[depth], (fen, depth)
                checked += 1
    assert len(ETHEREAL_POSITIONS) >= 120 and checked >= 240


def parse_rookie_perft(text):
    """[(id, FEN, {depth: count})] from perft-random.epd's blocks (`id`, `epd`, `perft D N`)."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#")]
        if not lines:
            continue
        name = lines[0].removeprefix("id ")
        fen = lines[1].removeprefix("epd ")
        counts = {int(depth): int(count) for _, depth, count in (line.split() for line in lines[2:])}
        entries.append((name, fen, counts))
    return entries


RANDOM_POSITIONS = parse_rookie_perft(data_path("chess", "perft-random-subset.epd").read_text())


def test_perft_random_suite_depth_4_and_played_leaves_at_depth_3():
    """338 positions of Marcel van Kervinck's perft-random.epd (every 20th; a second
    published suite beside Ethereal's): the bulk-counted perft at depth 4, and the
    leaf-played perft (every last-ply move made and hashed, no bulk count) at depth 3."""
    game = perft_game()
    assert len(RANDOM_POSITIONS) == 338
    for name, fen, counts in RANDOM_POSITIONS:
        state = game.from_position(fen)
        assert state.perft(4) == counts[4], (name, fen)
        assert state.perft(3, bulk_count=False) == counts[3], (name, fen)


def test_bulk_count_equals_the_move_list_along_random_games():
    """perft's last ply counts moves without listing most of them (chess's count_legal_actions);
    it must equal the list's length everywhere, pins, checks and en passant included."""
    rng = random.Random(11)
    for game in (make("chess"), perft_game()):
        for _ in range(30):
            state = game.new()
            for _ in range(300):
                moves = state.legal_actions()
                assert state.perft(1) == len(moves), state.position()
                if not moves:
                    break
                state.apply_action(rng.choice(moves))


def test_perft_ethereal_depth_1_and_2_match_python_chess():
    """A sanity check of the data file itself: its shallow counts agree with python-chess."""
    for fen, counts in ETHEREAL_POSITIONS[:40]:
        board = chess.Board(fen)
        if 1 in counts:
            assert board.legal_moves.count() == counts[1], fen


# ---------------------------------------------------------------------- Polyglot keys

# The test vectors of the Polyglot book format specification: keys after move sequences
# from the initial position.
POLYGLOT_VECTORS = [
    ("", 0x463B96181691FC9C),
    ("e2e4", 0x823C9B50FD114196),
    ("e2e4 d7d5", 0x0756B94461C50FB0),
    ("e2e4 d7d5 e4e5", 0x662FAFB965DB29D4),
    ("e2e4 d7d5 e4e5 f7f5", 0x22A48B5A8E47FF78),
    ("e2e4 d7d5 e4e5 f7f5 e1e2", 0x652A607CA3F242C1),
    ("e2e4 d7d5 e4e5 f7f5 e1e2 e8f7", 0x00FDD303C946BDD9),
    ("a2a4 b7b5 h2h4 b5b4 c2c4", 0x3C8123EA7B067637),
    ("a2a4 b7b5 h2h4 b5b4 c2c4 b4c3 a1a3", 0x5C3F9B829B279560),
]


@pytest.mark.parametrize("moves,key", POLYGLOT_VECTORS, ids=[moves or "start" for moves, _ in POLYGLOT_VECTORS])
def test_polyglot_test_vectors(moves, key):
    game = make("chess")
    state = game.play_moves(moves)
    assert state.hash() == key
    assert state.recompute_hash() == key
    assert game.from_position(state.position()).hash() == key  # the key of the FEN alone


def test_keys_equal_python_chess_in_perft_positions():
    """Polyglot keys of every position of the Ethereal suite and of all their children."""
    game = make("chess")
    for fen, _ in ETHEREAL_POSITIONS:
        state = game.from_position(fen)
        board = chess.Board(fen)
        assert state.hash() == chess.polyglot.zobrist_hash(board), fen
        for move in state.legal_moves():
            child = state.copy()
            child.play(move)
            board.push_uci(move)
            assert child.hash() == child.recompute_hash() == chess.polyglot.zobrist_hash(board), (fen, move)
            board.pop()


# ---------------------------------------------------------------------- rules and results

def referee_game_over(board):
    """python-chess's verdict under the rules a state applies by itself: the game ends at
    checkmate, stalemate, insufficient material or 100 plies without capture or pawn move
    (not at threefold repetition, which needs the history a state does not keep)."""
    return board.is_checkmate() or board.is_stalemate() or board.is_insufficient_material() or board.is_fifty_moves()


@pytest.mark.parametrize("fen,result,winner", [
    ("rnb1kbnr/pppp1ppp/8/4p3/6Pq/5P2/PPPPP2P/RNBQKBNR w KQkq - 1 3", "0-1", 1),  # fool's mate
    ("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1", "1/2-1/2", -1),  # stalemate
    ("8/8/4k3/8/8/3K4/8/8 w - - 0 1", "1/2-1/2", -1),  # bare kings
    ("8/8/4k3/8/8/3K4/8/5N2 w - - 0 1", "1/2-1/2", -1),  # one knight
    ("8/8/4k3/5b2/8/3K4/8/5B2 w - - 0 1", "1/2-1/2", -1),  # bishops all on light squares
    ("8/8/4k3/8/8/3K4/8/R7 w - - 100 80", "1/2-1/2", -1),  # fifty moves
])
def test_finished_positions(fen, result, winner):
    state = make("chess").from_position(fen)
    board = chess.Board(fen)
    assert referee_game_over(board)
    assert state.is_terminal() and state.legal_moves() == []
    assert state.result() == result and state.winner() == winner


@pytest.mark.parametrize("fen", [
    "8/8/4kb2/8/8/3K4/8/5B2 w - - 0 1",  # bishops on both colours
    "8/8/4kn2/8/8/3K4/8/5N2 w - - 0 1",  # a knight each
    "8/8/4k3/8/8/3K4/8/4NN2 w - - 0 1",  # two knights
    "8/8/4k3/8/8/3K4/P7/8 w - - 99 80",  # one ply before fifty moves, a pawn left
])
def test_positions_that_go_on(fen):
    state = make("chess").from_position(fen)
    board = chess.Board(fen)
    assert not referee_game_over(board)
    assert not state.is_terminal() and state.result() is None


def test_checkmate_on_the_hundredth_ply_is_a_win():
    fen = "7k/8/6K1/8/8/8/8/R7 w - - 99 80"
    state = make("chess").from_position(fen)
    state.play("a1a8")
    assert state.result() == "1-0"


def test_rule_draws_option_off_plays_on():
    state = make("chess", rule_draws=0).from_position("8/8/4k3/8/8/3K4/8/8 w - - 0 1")
    assert not state.is_terminal() and len(state.legal_moves()) == 8


# Castling out of, through and into check; en passant with a pinned pawn.
@pytest.mark.parametrize("fen,move,legal", [
    ("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1", "e1g1", True),
    ("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1", "e1c1", True),
    ("r3k2r/8/8/8/8/8/4r3/R3K2R w KQkq - 0 1", "e1g1", False),  # out of check
    ("r3k2r/8/8/8/8/8/5r2/R3K2R w KQkq - 0 1", "e1g1", False),  # through f1
    ("r3k2r/8/8/8/8/8/6r1/R3K2R w KQkq - 0 1", "e1g1", False),  # into g1
    ("r3k2r/8/8/8/8/8/1r6/R3K2R w KQkq - 0 1", "e1c1", True),  # b1 attacked: allowed
    ("r3k2r/8/8/8/8/8/8/RN2K2R w KQkq - 0 1", "e1c1", False),  # b1 occupied
    ("8/8/8/KPp4r/8/8/8/7k w - c6 0 2", "b5c6", False),  # both pawns leave the rank: king exposed
    ("8/8/8/1KPp3r/8/8/8/7k w - d6 0 2", "c5d6", False),  # same, other file
    ("8/8/3k4/8/2pP4/8/8/3K1B2 b - d3 0 1", "c4d3", True),
    ("8/8/8/8/k1pP3Q/8/8/3K4 b - d3 0 1", "c4d3", False),  # rank pin through both pawns
    ("8/8/8/8/1kpP4/8/8/3K1B2 b - d3 0 1", "c4d3", True),
    ("8/8/8/2k5/3Pp3/8/8/4K3 b - d3 0 1", "e4d3", True),  # takes the pawn that gives check
    ("4k3/8/8/2KpP2r/8/8/8/8 w - d6 0 2", "e5d6", False),  # exposes the king on the rank
])
def test_special_moves_against_python_chess(fen, move, legal):
    board = chess.Board(fen)
    assert (chess.Move.from_uci(move) in board.legal_moves) == legal  # the referee agrees with the table
    state = make("chess").from_position(fen)
    assert (move in state.legal_moves()) == legal
    assert sorted(state.legal_moves()) == sorted(m.uci() for m in board.legal_moves)


def test_all_promotions_and_their_actions():
    state = make("chess").from_position("1n2k3/P7/8/8/8/8/8/4K3 w - - 0 1")
    promotions = sorted(move for move in state.legal_moves() if move.startswith("a7"))
    assert promotions == ["a7a8b", "a7a8n", "a7a8q", "a7a8r", "a7b8b", "a7b8n", "a7b8q", "a7b8r"]
    actions = {move: state.move_to_action(move) for move in promotions}
    # The queen promotion is the plain from-to index, the others the underpromotion block.
    assert actions["a7a8q"] == 48 * 64 + 56 and actions["a7b8q"] == 48 * 64 + 57
    assert all(actions[move] >= 4096 for move in promotions if not move.endswith("q"))
    assert len(set(actions.values())) == 8


def test_actions_are_in_the_side_to_moves_frame():
    game = make("chess")
    assert game.num_actions == 4096 + 72 and game.input_shape == (20, 8, 8) and game.num_symmetries == 1
    white = game.new()
    black = game.play_moves("g1f3")
    # e2e4 for white and e7e5 for black are the same action: black's board is mirrored.
    assert white.move_to_action("e2e4") == black.move_to_action("e7e5") == 12 * 64 + 28
    black_promotes = game.from_position("4k3/8/8/8/8/8/p7/4K3 b - - 0 1")
    assert black_promotes.move_to_action("a2a1n") == white.game.from_position(
        "4k3/P7/8/8/8/8/8/4K3 w - - 0 1").move_to_action("a7a8n")
    for state in (white, black, black_promotes):
        for move in state.legal_moves():
            assert state.action_to_move(state.move_to_action(move)) == move


def test_encoding_is_from_the_side_to_moves_view():
    game = make("chess")
    white = game.new().encode()
    black = game.play_moves("g1f3 g8f6 f3g1 f6g8 b1c3").encode()  # black to move, mirror image of the start but a knight
    assert white.shape == (20, 8, 8) and white.dtype == np.float32
    assert white[0, 1].sum() == 8 and white[6, 6].sum() == 8  # own pawns on rank 2, opponent's on rank 7
    assert white[5, 0, 4] == 1 and white[11, 7, 4] == 1  # kings on e1 / e8
    assert (white[12:16] == 1).all() and (white[16:19] == 0).all() and (white[19] == 1).all()
    assert black[0, 1].sum() == 8 and black[5, 0, 4] == 1  # black's pawns and king seen from its side
    assert black[7, 5, 2] == 1  # white's knight on c3 is on the opponent's plane, mirrored to c6
    late = game.from_position("4k3/8/8/8/8/8/P7/4K3 w - - 95 120").encode()
    assert (late[17] == 1).all() and (late[18] == 1).all()
    ep = game.play_moves("e2e4 a7a6 e4e5 d7d5").encode()
    assert ep[16].sum() == 1 and ep[16, 5, 3] == 1  # d6, white to move


# ---------------------------------------------------------------------- notation

def test_san_in_and_out_agrees_with_python_chess():
    game = make("chess")
    rng = random.Random(7)
    for fen, _ in ETHEREAL_POSITIONS[::3]:
        board = chess.Board(fen)
        state = game.from_position(fen)
        for move in board.legal_moves:
            assert state.move_to_action(board.san(move)) == state.move_to_action(move.uci()), (fen, board.san(move))
            assert state.record_move(move.uci()) == board.san(move), fen  # SAN out, checks and mates marked
        if state.legal_moves():
            state.play(rng.choice(state.legal_moves()))


@pytest.mark.parametrize("fen,text,reason", [
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "e2e4q", "promotion letter on a move"),
    ("4k3/P7/8/8/8/8/8/4K3 w - - 0 1", "a7a8", "needs a promotion letter"),
    ("4k3/P7/8/8/8/8/8/4K3 w - - 0 1", "a7a8k", "must be q, r, b or n"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "Nf4", "no legal move matches"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "z", "too short"),
    ("4k3/8/8/8/8/8/8/2N1K1N1 w - - 0 1", "Ne2", "ambiguous"),
])
def test_bad_moves_name_the_token_and_reason(fen, text, reason):
    state = make("chess").from_position(fen)
    with pytest.raises(IllegalMoveError, match=reason) as raised:
        state.play(text)
    assert repr(text) in str(raised.value)
    assert state.position() == fen  # unchanged


def test_illegal_uci_move_is_rejected():
    state = make("chess").new()
    with pytest.raises(IllegalMoveError, match="not legal here"):
        state.play("e2e5")


@pytest.mark.parametrize("fen,reason", [
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq", "expected 4 to 6"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP w KQkq - 0 1", "needs 8 ranks"),
    ("rnbqkbnr/ppppXppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "unknown piece 'X'"),
    ("rnbqkbnr/ppppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "more than 8 squares"),
    ("rnbqkbnr/ppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", "7 squares"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1", "side to move 'x'"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQ1BNR w KQkq - 0 1", "white has 0 kings"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBN1 w KQkq - 0 1", "castling right 'K' needs"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkz - 0 1", "castling field 'KQkz'"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq e4 0 1", "must be on rank 6"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq e6 0 1", "not left by a pawn"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - x 1", "halfmove clock 'x'"),
    ("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 0", "move number '0' must be at least 1"),
    ("4k3/4Q3/8/8/8/8/8/4K3 w - - 0 1", "not to move is in check"),
    ("P3k3/8/8/8/8/8/8/4K3 w - - 0 1", "pawn stands on the first or last rank"),
])
def test_bad_fen_names_the_field_and_reason(fen, reason):
    with pytest.raises(PositionError, match=reason):
        make("chess").from_position(fen)


def test_fen_round_trips_and_epd_without_counters():
    game = make("chess")
    for fen, _ in ETHEREAL_POSITIONS:
        state = game.from_position(fen)
        assert state.position() == chess.Board(fen).fen(en_passant="xfen")
    assert game.from_position("4k3/8/8/8/8/8/8/4K3 b - -").position() == "4k3/8/8/8/8/8/8/4K3 b - - 0 1"


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="rule_drawz"):
        make("chess", rule_drawz=0)


# ---------------------------------------------------------------------- command line

def pyzero(*arguments):
    return subprocess.run([sys.executable, "-m", "pyzero", *arguments], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=300)


def test_perft_command_takes_a_fen():
    kiwipete = WIKI_POSITIONS[1]["fen"]
    completed = pyzero("perft", "chess", "--fen", kiwipete, "--depth", "3", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["nodes"] == 97862
    completed = pyzero("perft", "chess", "--fen", "8/8/4k3/8/8/3K4/8/8 w - - 0 1", "-d", "2", "-o", "rule_draws=0")
    assert completed.returncode == 0 and completed.stdout.startswith("perft(2) = 58"), completed.stdout
    completed = pyzero("perft", "chess", "--fen", "8/8/8/8/8/8/8/8 w - - 0 1", "-d", "1")
    assert completed.returncode == 2 and "white has 0 kings" in completed.stderr


def test_play_takes_uci_and_san_moves_and_names_bad_ones():
    completed = subprocess.run([sys.executable, "-m", "pyzero", "play", "chess", "--simulations", "4"],
                               input="e2e4\nNf3\nz9\nquit\n", capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert "white (you)>" in output and "engine (black) plays" in output
    assert "4P3" in output or "│ P │" in output  # the board after e2e4 (FEN or drawing)
    assert "illegal move 'z9'" in output and "no legal move matches this SAN" in output


# ---------------------------------------------------------------------- game records (PGN)

def test_pgn_save_is_read_by_python_chess_and_back_by_pyzero(tmp_path):
    import chess.pgn
    import io

    from pyzero.play.game_record import chess_pgn_text, parse_chess_pgn
    from pyzero.play.session import GameSession

    game = make("chess")
    rng = random.Random(5)
    session = GameSession(game)
    for _ in range(120):
        if session.state.is_terminal():
            break
        session.play(rng.choice(session.state.legal_moves()))
    text = chess_pgn_text(session, ("you", "pyzero"))
    referee = chess.pgn.read_game(io.StringIO(text))
    assert referee.errors == [] and [move.uci() for move in referee.mainline_moves()] == session.line_moves()
    assert referee.headers["White"] == "you" and referee.headers["Result"] == (session.state.result() or "*")
    assert all(len(line) <= 80 for line in text.splitlines())
    record = parse_chess_pgn(game, text)
    assert record.start.position() == game.new().position()
    assert game.play_moves(record.moves).position() == session.state.position()


def test_pgn_with_a_start_position_comments_variations_and_glyphs_is_loaded():
    from pyzero.play.game_record import parse_chess_pgn

    text = """[Event "test"]
[SetUp "1"]
[FEN "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1"]

1. O-O {castles} (1. O-O-O O-O-O $2) 1... Kd7 $1 2. Ra7+ ; a check
Kc6 3. Rxa8 1-0
"""
    game = make("chess")
    record = parse_chess_pgn(game, text)
    assert record.moves == ["O-O", "Kd7", "Ra7+", "Kc6", "Rxa8"]
    state = game.play_moves(record.moves, start=record.start)
    board = chess.Board("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1")
    for move in record.moves:
        board.push_san(move)
    assert state.position() == board.fen(en_passant="xfen")


def test_play_saves_pgn_and_castles_with_o_o(tmp_path):
    path = tmp_path / "game.pgn"
    moves = "e2e4\ng1f3\nf1c4\nO-O\n"
    completed = subprocess.run([sys.executable, "-m", "pyzero", "play", "chess", "--simulations", "4"],
                               input=moves + f"save {path}\nquit\n", capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "unknown command" not in completed.stdout and "(PGN)" in completed.stdout
    import chess.pgn

    record = chess.pgn.read_game(path.open())
    played = list(record.mainline_moves())
    assert record.errors == [] and len(played) == 8 and played[6].uci() == "e1g1"


# Pawns locked on f and h files, kings boxed in behind them: random play repeats a
# position three times in about 70% of games (python-chess, 200 random games), so
# threefold repetition is what ends most games from here.
LOCKED_PAWNS = "7k/5p1p/5P1P/8/8/5p1p/5P1P/7K w - - 0 1"


def test_position_counts_find_threefold_where_python_chess_does():
    from pyzero.games import PositionCounts

    game = make("chess")
    rng = random.Random(3)
    repetitions = 0
    for _ in range(30):
        state, board = game.from_position(LOCKED_PAWNS), chess.Board(LOCKED_PAWNS)
        counts = PositionCounts(state)
        while not state.is_terminal():
            move = rng.choice(sorted(state.legal_moves()))
            state.play(move)
            board.push_uci(move)
            repeated = counts.add(state)
            assert repeated == board.is_repetition(3), board.move_stack
            if repeated:
                repetitions += 1
                break
    assert repetitions >= 10
    assert PositionCounts(make("connect4").new()).repetitions_for_draw == 0  # no such rule there


def test_self_play_ends_a_game_at_its_first_threefold_repetition():
    from pyzero.inference import TorchBackend
    from pyzero.model import ExactTestNetwork, NetworkShape
    from pyzero.search import GumbelOptions
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    game = make("chess")
    options = SelfPlayOptions(games=8, batch_size=8, simulations=8, seed=11, cache_entries=0,
                              gumbel=GumbelOptions(max_considered_actions=4))
    selfplay = SelfPlay(game, [TorchBackend(ExactTestNetwork(NetworkShape.of_game(game), seed=1))], options)
    selfplay.set_openings([game.from_position(LOCKED_PAWNS)])
    finished = selfplay.run(games=16)
    endings = []
    for index in range(len(finished)):
        record = finished.game(index)
        board = chess.Board(LOCKED_PAWNS)
        state = game.from_position(LOCKED_PAWNS)
        for ply, action in enumerate(record["actions"]):
            assert not board.is_repetition(3), f"game {index} went on after a threefold repetition at ply {ply}"
            move = state.action_to_move(int(action))
            state.apply_action(int(action))
            board.push_uci(move)
        outcome = board.outcome(claim_draw=False)
        if board.is_repetition(3):
            assert record["winner"] == -1
            endings.append("threefold")
        else:
            assert outcome is not None, f"game {index} stopped before its end: {board.fen()}"
            endings.append(outcome.termination.name)
    assert "threefold" in endings, endings


def test_play_ends_the_game_at_a_threefold_repetition_and_the_pgn_says_draw():
    from pyzero.play.game_record import chess_pgn_text
    from pyzero.play.session import GameSession

    session = GameSession(make("chess"))
    shuffle = ["g1f3", "g8f6", "f3g1", "f6g8"]
    for move in shuffle * 2:
        assert not session.is_over()
        session.play(move)
    # The start position stands for the third time (python-chess agrees).
    board = chess.Board()
    for move in shuffle * 2:
        board.push_uci(move)
    assert board.is_repetition(3)
    assert session.is_over() and session.drawn_by_repetition() and session.result() == "1/2-1/2"
    assert not session.state.is_terminal()  # the position alone does not know
    assert '[Result "1/2-1/2"]' in chess_pgn_text(session)
    session.undo()
    assert not session.is_over() and session.result() is None
