"""Properties every game must have, checked along random games.

- the incremental Zobrist hash equals the hash recomputed from scratch after every move;
- each symmetry maps legal actions to the legal actions of the transformed position, as a
  bijection, and the symmetry's action map is a permutation of the whole policy space;
- the encoding of the transformed position equals the transformed encoding;
- the position notation round-trips, and copies are independent.
"""

import random

import numpy as np
import pytest

from pyzero.games import make

GAMES = [("tictactoe", {}), ("connect4", {}), ("tak", {"size": 4, "komi": 1.5}), ("chess", {})]


def random_game_states(game, rng):
    """Every state along one uniformly random game, the final one included."""
    state = game.new()
    states = [state.copy()]
    while not state.is_terminal():
        state.apply_action(rng.choice(state.legal_actions()))
        states.append(state.copy())
    return states


@pytest.fixture(params=GAMES, ids=[name for name, _ in GAMES])
def game(request):
    name, options = request.param
    return make(name, **options)


def position_identity(state):
    """The position text without move counters (TPS and FEN have them; the hash rightly ignores them)."""
    text = state.position()
    if state.game.name == "tak":
        return " ".join(text.split()[:2])
    if state.game.name == "chess":
        return " ".join(text.split()[:4])  # FEN's halfmove clock and move number
    return text


def test_incremental_hash_matches_recomputed(game):
    rng = random.Random(1)
    hashes = set()
    for _ in range(30):
        for state in random_game_states(game, rng):
            assert state.hash() == state.recompute_hash(), state.position()
            hashes.add((state.hash(), position_identity(state)))
    assert len({h for h, _ in hashes}) == len({p for _, p in hashes})  # no collisions seen


def test_symmetries_map_legal_actions_and_encodings(game):
    rng = random.Random(2)
    assert game.num_symmetries >= 1  # chess has only the identity (castling and pawns break the others)
    permutation_checked = False
    for _ in range(10):
        for state in random_game_states(game, rng):
            planes = state.encode()
            legal = state.legal_actions()
            for symmetry in range(game.num_symmetries):
                image = state.transformed(symmetry)
                mapped = sorted(state.symmetry_action(symmetry, action) for action in legal)
                assert mapped == sorted(image.legal_actions())
                np.testing.assert_array_equal(image.encode(), state.transform_encoding(symmetry, planes))
                assert image.is_terminal() == state.is_terminal()
                assert image.result() == state.result()
                if not permutation_checked:
                    images = [state.symmetry_action(symmetry, a) for a in range(game.num_actions)]
                    assert sorted(images) == list(range(game.num_actions))
            permutation_checked = True
    identity = state.transformed(0)
    assert identity.position() == state.position() and identity.hash() == state.hash()


def test_position_notation_round_trips(game):
    rng = random.Random(3)
    for _ in range(20):
        for state in random_game_states(game, rng):
            parsed = game.from_position(state.position())
            assert parsed.position() == state.position()
            assert parsed.hash() == state.hash()
            assert parsed.to_move() == state.to_move()
            assert parsed.legal_actions() == state.legal_actions()
            assert parsed.result() == state.result()


def test_move_notation_round_trips_and_copies_are_independent(game):
    rng = random.Random(4)
    state = game.new()
    while not state.is_terminal():
        for action in state.legal_actions():
            move = state.action_to_move(action)
            assert state.move_to_action(move) == action
        assert sorted(state.legal_moves()) == sorted(map(state.action_to_move, state.legal_actions()))
        before = state.position()
        branch = state.copy()
        branch.apply_action(rng.choice(branch.legal_actions()))
        assert state.position() == before and branch.ply == state.ply + 1
        state.apply_action(rng.choice(state.legal_actions()))


def test_unknown_option_is_named(game):
    with pytest.raises(ValueError, match="no_such_option"):
        make(game.name, no_such_option=1)
