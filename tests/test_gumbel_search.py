"""Gumbel MCTS: mctx's schedule vectors, the formulas against an independent NumPy
implementation, invariants of whole searches, tree reuse, batching, and positions whose
right move is known."""

import zlib

import numpy as np
import pytest

from pyzero.games import make
from pyzero.search import GumbelSearcher, considered_visit_sequence, gumbel_formulas, gumbel_search

# --- the visit schedule: mctx/_src/tests/seq_halving_test.py ---------------------------
MCTX_SCHEDULES = [
    (8, 24, [0] * 8 + [1] * 4 + [2] * 4 + [3, 3, 4, 4, 5, 5, 6, 6]),
    (8, 47, [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4
     + [4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17]),
    (8, 2, [0, 0]),
    (8, 13, [0] * 8 + [1] * 4 + [2]),
    (7, 24, [0] * 7 + [1, 1, 1, 2, 2, 2] + [3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8]),
    (0, 16, list(range(16))),
    (1, 16, list(range(16))),
]


@pytest.mark.parametrize("m,n,expected", MCTX_SCHEDULES)
def test_visit_schedule_matches_mctx(m, n, expected):
    assert considered_visit_sequence(m, n) == expected


# --- the formulas, against NumPy written from the paper / mctx's definitions ------------
def reference_formulas(node, c_visit, c_scale, rescale):
    priors = np.asarray(node["priors"], np.float64)
    q = np.asarray(node["q"], np.float64)
    visits = np.asarray(node["visits"], np.float64)
    gumbel = np.asarray(node["gumbel"], np.float64)
    logits = np.log(np.maximum(priors, np.finfo(np.float32).tiny))
    visited = visits > 0
    total = visits.sum()
    if total == 0:
        v_mix = node["raw_value"]
    else:
        p = np.maximum(priors, np.finfo(np.float32).tiny)
        weighted_q = np.sum(np.where(visited, p * q, 0.0)) / np.sum(np.where(visited, p, 0.0))
        v_mix = (node["raw_value"] + total * weighted_q) / (1 + total)
    completed = np.where(visited, q, v_mix)
    scaled = completed
    if rescale:
        scaled = (completed - completed.min()) / max(completed.max() - completed.min(), 1e-8)
    sigma = (c_visit + visits.max()) * c_scale * scaled
    z = logits + sigma
    improved = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    halving = np.maximum(-1e9, gumbel + logits - logits.max() + sigma)
    root = np.where(visits == node["considered_visit"], halving, -np.inf)
    interior = improved - visits / (1 + total)
    return dict(mixed_value=v_mix, completed_q=completed, sigma=sigma, improved_policy=improved,
                halving_scores=halving, root_scores=root, root_action=int(np.argmax(root)), interior_scores=interior,
                interior_action=int(np.argmax(interior)))


def random_node(rng, size):
    logits = rng.normal(size=size) * 2
    priors = np.exp(logits - logits.max())
    priors /= priors.sum()
    visits = rng.integers(0, 6, size=size) * (rng.random(size) < 0.7)
    if rng.random() < 0.2:
        visits[:] = 0
    considered = int(rng.choice(visits))
    return dict(raw_value=float(rng.uniform(-1, 1)), priors=priors.tolist(),
                q=np.where(visits > 0, rng.uniform(-1, 1, size), 0).tolist(),
                visits=visits.tolist(), gumbel=rng.gumbel(size=size).tolist(), considered_visit=considered)


@pytest.mark.parametrize("seed", range(40))
def test_formulas_match_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    node = random_node(rng, int(rng.integers(1, 12)))
    parameters = dict(c_visit=float(rng.choice([50.0, 10.0])), c_scale=float(rng.choice([0.1, 1.0])),
                      rescale=bool(rng.random() < 0.7))
    ours = gumbel_formulas(node, **parameters)
    expected = reference_formulas(node, **parameters)
    for key in ("completed_q", "sigma", "improved_policy", "interior_scores"):
        np.testing.assert_allclose(ours[key], expected[key], rtol=2e-5, atol=2e-5, err_msg=key)
    np.testing.assert_allclose(ours["halving_scores"], expected["halving_scores"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ours["mixed_value"], expected["mixed_value"], rtol=2e-5, atol=2e-6)
    finite = np.isfinite(expected["root_scores"])
    assert np.array_equal(np.isfinite(ours["root_scores"]), finite)
    np.testing.assert_allclose(np.asarray(ours["root_scores"])[finite], expected["root_scores"][finite], rtol=1e-5, atol=1e-4)
    assert ours["root_action"] == expected["root_action"]
    assert ours["interior_action"] == expected["interior_action"]


def test_mix_value_as_in_mctx_test():
    # mctx qtransforms_test.test_mix_value, restricted to its two legal actions.
    logits = np.array([-1.0, 2.0])
    probs = np.exp(logits) / np.exp(logits).sum()
    q = 10.0 / 54 * np.array([3.0, -1.0])
    node = dict(raw_value=-0.8, priors=probs.tolist(), q=q.tolist(), visits=[4, 4], gumbel=[0, 0], considered_visit=4)
    expected = (-0.8 + 8 * (probs[0] * q[0] + probs[1] * q[1])) / 9
    np.testing.assert_allclose(gumbel_formulas(node)["mixed_value"], expected, rtol=1e-6)


# --- whole searches with a fixed random evaluator -------------------------------------
def fixed_random_evaluator(planes, legal):
    """Deterministic per position: logits and value drawn from a seed made of the planes."""
    logits = np.empty(legal.shape, np.float32)
    values = np.empty(len(planes), np.float32)
    for row in range(len(planes)):
        rng = np.random.default_rng(zlib.crc32(planes[row].tobytes()))
        logits[row] = rng.normal(size=legal.shape[1]) * 1.5
        values[row] = rng.uniform(-0.9, 0.9)
    return logits, values


@pytest.mark.parametrize("game_name,moves,simulations", [
    ("tictactoe", "", 40), ("tictactoe", "b2 a1", 25), ("connect4", "4 4 3", 64), ("connect4", "", 16),
])
def test_search_root_matches_reference_formulas(game_name, moves, simulations):
    state = make(game_name).play_moves(moves)
    result = gumbel_search(state, simulations, fixed_random_evaluator, seed=7, max_considered_actions=4)
    node = dict(raw_value=result.network_value, priors=result.priors.tolist(), q=result.q.tolist(),
                visits=result.visits.tolist(), gumbel=result.gumbel.tolist(), considered_visit=int(result.visits.max()))
    expected = reference_formulas(node, 50.0, 0.1, True)
    np.testing.assert_allclose(result.sigma, expected["sigma"], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(result.improved_policy, expected["improved_policy"], rtol=2e-5, atol=1e-6)
    assert result.actions[expected["root_action"]] == result.chosen_action
    # The priors are the evaluator's softmax over the legal actions of the root.
    planes = state.encode()[None]
    legal = np.zeros((1, state.game.num_actions), bool)
    legal[0, state.legal_actions()] = True
    logits, value = fixed_random_evaluator(planes, legal)
    root_logits = logits[0, result.actions]
    np.testing.assert_allclose(result.priors, np.exp(root_logits) / np.exp(root_logits).sum(), rtol=1e-5)
    assert result.network_value == pytest.approx(float(value[0]))


@pytest.mark.parametrize("game_name,options,simulations", [
    ("tictactoe", {}, 50), ("connect4", {}, 100), ("tak", {"size": 5}, 64)])
def test_search_invariants(game_name, options, simulations):
    state = make(game_name, **options).new()
    result = gumbel_search(state, simulations, "uniform", seed=3)
    assert result.visits.sum() == simulations
    assert result.root_visits == simulations + 1
    assert sorted(result.actions.tolist()) == sorted(state.legal_actions())
    for policy in (result.improved_policy, result.visits / result.visits.sum()):
        dense = result.dense(policy)
        assert dense.sum() == pytest.approx(1.0, abs=1e-5)
        illegal = np.ones(state.game.num_actions, bool)
        illegal[state.legal_actions()] = False
        assert not dense[illegal].any()
    # Sequential halving: the played move is among the most visited of this search.
    chosen_index = result.actions.tolist().index(result.chosen_action)
    assert result.phase_visits[chosen_index] == result.phase_visits.max()


@pytest.mark.parametrize("m,n", [(4, 24), (7, 50), (16, 100), (2, 9)])
def test_root_visits_follow_the_schedule(m, n):
    # The schedule says how many actions are visited at each level: an action ranked r
    # (by visits) gets one visit per level that more than r actions reach.
    schedule = considered_visit_sequence(min(m, 7), n)
    levels = range(max(schedule) + 1)
    expected = [sum(1 for v in levels if schedule.count(v) > rank) for rank in range(7)]
    result = gumbel_search(make("connect4").new(), n, fixed_random_evaluator, seed=1, max_considered_actions=m)
    assert sorted(result.phase_visits.tolist(), reverse=True) == expected
    assert result.phase_visits.sum() == n


@pytest.mark.parametrize("game_name,options,simulations,least_kept", [
    ("connect4", {}, 200, 1),
    # Tak 5x5: the kept subtree (over 1,024 nodes) outgrows the spare tree's first buffers,
    # so keep_subtree copies into arrays that move while it writes (a write through an
    # element reference taken before a growth once went to the freed buffer).
    ("tak", {"size": 5}, 600, 1100)])
def test_tree_reuse_keeps_the_subtree_statistics(game_name, options, simulations, least_kept):
    game = make(game_name, **options)
    state = game.play_moves("4 4") if game_name == "connect4" else game.new()
    searcher = GumbelSearcher(state)
    first = searcher.run(simulations, fixed_random_evaluator, seed=5)
    played = first.chosen_action
    subtree = searcher.subtree_statistics(played)
    assert len(subtree) >= least_kept
    assert subtree and subtree[0][1] == first.visits[first.actions.tolist().index(played)]
    searcher.advance(played)
    kept = searcher.subtree_statistics()
    assert [(visits, value) for _, visits, value in kept] == [(visits, value) for _, visits, value in subtree]
    assert [action for action, _, _ in kept[1:]] == [action for action, _, _ in subtree[1:]]
    second = searcher.run(50, fixed_random_evaluator, seed=6)
    assert second.root_visits == subtree[0][1] + 50
    assert second.phase_visits.sum() == 50


def test_principal_variation_follows_the_most_visited_children():
    state = make("connect4").play_moves("4 4")
    searcher = GumbelSearcher(state)
    result = searcher.run(300, fixed_random_evaluator, seed=5)
    line = searcher.principal_variation(result.chosen_move, max_length=6)
    assert line[0] == result.chosen_move and 1 < len(line) <= 6
    after = state.copy()
    after.play(line[0])
    replies = len(after.legal_actions())  # breadth-first: the move's node, then its children
    children = searcher.subtree_statistics(result.chosen_action)[1:1 + replies]
    most_visited = max(children, key=lambda row: row[1])  # max keeps the first of equals, as the engine does
    assert after.action_to_move(most_visited[0]) == line[1]
    make("connect4").play_moves(["4", "4", *line])  # a legal line
    assert searcher.principal_variation(result.chosen_move, max_length=1) == [result.chosen_move]


def test_duplicate_leaves_in_one_batch_are_evaluated_once():
    seen_batches = []

    def counting_evaluator(planes, legal):
        seen_batches.append([zlib.crc32(p.tobytes()) for p in planes])
        return np.zeros(legal.shape, np.float32), np.zeros(len(planes), np.float32)

    state = make("tictactoe").new()
    # Whole phases per batch: many simulations share pending leaves.
    result = gumbel_search(state, 64, counting_evaluator, seed=2, rounds_per_batch=0)
    assert result.duplicate_leaves > 0
    # Every simulation (and the root's own visit) ended in exactly one way: a new leaf
    # evaluated once, a leaf already pending in the same batch, or a finished game.
    assert result.evaluations + result.duplicate_leaves + result.terminal_leaves == 64 + 1
    assert result.evaluations == sum(len(batch) for batch in seen_batches)
    assert result.visits.sum() == 64  # every simulation was backed up, shared or not


# --- known right moves -----------------------------------------------------------------
WIN_AND_BLOCK = [
    # (game, options, moves, the winning move, the blocking move)
    ("tictactoe", {}, "a1 b1 a2 b2", "a3", None),  # X to move wins at a3
    ("tictactoe", {}, "a1 b2 a2", None, "a3"),  # O to move must block a3 (the only draw)
    ("connect4", {}, "1 2 1 2 1 3", "1", None),  # first player completes a column
    ("connect4", {}, "1 2 1 2 1", None, "1"),  # second player must block the column
]


@pytest.mark.parametrize("game_name,options,moves,win,block", WIN_AND_BLOCK)
@pytest.mark.parametrize("evaluator,simulations", [(("minimax", 4), 64), ("uniform", 400)])
def test_wins_taken_and_losses_blocked(game_name, options, moves, win, block, evaluator, simulations):
    state = make(game_name, **options).play_moves(moves)
    for seed in range(3):
        result = gumbel_search(state, simulations, evaluator, seed=seed)
        assert result.chosen_move == (win or block), (seed, result.moves, result.visits)


def test_tak_one_move_road_win_is_found():
    # White (to move) has a1..d1 on 5x5; e1 completes the road.
    game = make("tak", size=5)
    state = game.from_tps("x5/x5/2,2,2,x2/x5/1,1,1,1,x 1 5")
    assert "e1" in state.legal_moves()
    winning = state.copy()
    winning.play("e1")
    assert winning.result() == "R-0"
    for evaluator in (("minimax", 1), "uniform"):
        result = gumbel_search(state, 200, evaluator, seed=0)
        after = state.copy()
        after.play(result.chosen_move)
        assert after.result() == "R-0", (evaluator, result.chosen_move)
