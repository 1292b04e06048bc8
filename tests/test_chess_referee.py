"""python-chess referees 1,000 random games played by pyzero's move generator.

At every ply of every game the two implementations must agree on the legal moves (as UCI
sets), the FEN (with X-FEN's en passant rule, python-chess's `fen(en_passant="xfen")`: the
square is written when a pawn could take there, as Polyglot hashes it), whether the game
is over and how; every tenth game also compares the Polyglot keys. Games end at checkmate, stalemate,
insufficient material, fifty moves (the rules a state applies by itself) or, as python-chess
sees it, at a threefold repetition: a state keeps no history, so there the test checks
that `PositionCounts` (what the arena and the in-run evaluation end a game with; the
self-play pipeline counts keys the same way) says the same, and never says so earlier.

The games are split between two processes (the machine has two cores); each game is
seeded by its number, so a failure names a game that replays alone.
"""

import random
from concurrent.futures import ProcessPoolExecutor

import chess
import chess.polyglot

GAMES = 1000
PROCESSES = 2


def referee_termination(board, legal_moves):
    """python-chess's reason the game is over under pyzero's rules, else None.

    `legal_moves` is python-chess's list for `board` (generated once per ply: this is
    `is_checkmate` / `is_stalemate` / `is_fifty_moves` without generating it three more times).
    """
    if not legal_moves:
        return "checkmate" if board.is_check() else "stalemate"
    if board.is_insufficient_material():
        return "insufficient material"
    if board.halfmove_clock >= 100:
        return "fifty moves"
    return None


def play_refereed_game(game_number):
    """Plays one random game in both implementations; returns (plies, how it ended)."""
    from pyzero.games import PositionCounts, make  # in the worker process

    state = make("chess").new()
    board = chess.Board()
    rng = random.Random(game_number)
    positions = PositionCounts(state)
    repeated = False
    check_keys = game_number % 10 == 0  # python-chess's Polyglot hash is slow: every tenth game
    while True:
        fen = board.fen(en_passant="xfen")
        where = f"game {game_number}, ply {board.ply()}, {fen}"
        ours = state.legal_moves()
        assert state.position() == fen, where
        if check_keys:
            assert state.hash() == chess.polyglot.zobrist_hash(board), where
        referee_moves = [move.uci() for move in board.legal_moves]
        termination = referee_termination(board, referee_moves)
        if termination is not None:
            # A finished game has no moves (the Game convention), drawn by rule or not.
            assert state.is_terminal() and ours == [], where
            assert state.result() == board.outcome(claim_draw=True).result(), where
            return board.ply(), termination
        assert not state.is_terminal(), where
        assert len(ours) == len(referee_moves) and set(ours) == set(referee_moves), where
        assert repeated == board.is_repetition(3), where
        if repeated:
            return board.ply(), "threefold repetition"
        move = rng.choice(ours)
        state.play(move)
        board.push_uci(move)
        repeated = positions.add(state)


def test_python_chess_referees_a_thousand_random_games():
    with ProcessPoolExecutor(PROCESSES) as pool:
        outcomes = list(pool.map(play_refereed_game, range(GAMES), chunksize=25))
    endings = {}
    for _, termination in outcomes:
        endings[termination] = endings.get(termination, 0) + 1
    # Random play reaches every kind of ending many times in 1,000 games.
    assert set(endings) == {"checkmate", "stalemate", "insufficient material", "fifty moves",
                            "threefold repetition"}, endings
    assert sum(plies for plies, _ in outcomes) > 100_000
