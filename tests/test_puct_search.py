"""PUCT: the selection rule against NumPy, invariants, root noise, temperature, batching
with virtual loss, and known right moves."""

import numpy as np
import pytest

from pyzero.games import make
from pyzero.search import PuctSearcher, puct_search
from test_gumbel_search import WIN_AND_BLOCK, fixed_random_evaluator


def reference_puct_choice(result, network_value, c_init=1.25, c_base=19652.0, fpu_reduction=0.25):
    """The child AlphaZero's rule picks next, from the root statistics (no simulation in flight)."""
    total = result.visits.sum()
    c = c_init + np.log((1 + total + c_base) / c_base)
    root_value = result.root_value
    q = np.where(result.visits > 0, result.q, root_value - fpu_reduction)
    u = c * result.priors * np.sqrt(total) / (1 + result.visits)
    return int(np.argmax(q + u))


@pytest.mark.parametrize("game_name,moves", [("tictactoe", ""), ("connect4", "4 4"), ("connect4", "")])
def test_next_simulation_goes_where_numpy_says(game_name, moves):
    state = make(game_name).play_moves(moves)
    searcher = PuctSearcher(state, dirichlet_fraction=0, leaves_per_batch=1)
    for step in range(30):
        before = searcher.run(step * 3 + 1, fixed_random_evaluator, seed=step)
        expected = reference_puct_choice(before, before.network_value)
        after = searcher.run(1, fixed_random_evaluator, seed=step)
        grown = np.flatnonzero(after.visits - before.visits)
        assert grown.tolist() == [expected], (step, before.visits, before.q)


@pytest.mark.parametrize("game_name,options", [("tictactoe", {}), ("connect4", {}), ("tak", {"size": 5})])
def test_invariants_and_visit_policy(game_name, options):
    state = make(game_name, **options).new()
    result = puct_search(state, 100, "uniform", seed=4)
    assert result.visits.sum() == 100 and result.root_visits == 101
    dense = result.dense(result.policy_target)
    assert dense.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(result.policy_target, result.visits / 100, rtol=1e-6)
    illegal = np.ones(state.game.num_actions, bool)
    illegal[state.legal_actions()] = False
    assert not dense[illegal].any()
    assert result.evaluations + result.duplicate_leaves + result.terminal_leaves == 101


def test_dirichlet_noise_mixes_into_root_priors_only():
    state = make("connect4").new()
    quiet = puct_search(state, 16, fixed_random_evaluator, seed=1, dirichlet_fraction=0)
    np.testing.assert_allclose(quiet.noisy_priors, quiet.priors, rtol=1e-6)
    noises = []
    for seed in range(200):
        noisy = puct_search(state, 1, fixed_random_evaluator, seed=seed, dirichlet_fraction=0.25, dirichlet_alpha=0.3)
        noise = (noisy.noisy_priors - 0.75 * noisy.priors) / 0.25
        assert noise.min() >= -1e-6 and noise.sum() == pytest.approx(1.0, abs=1e-5)
        noises.append(noise)
    noises = np.array(noises)
    # Symmetric Dirichlet(0.3) over 7 outcomes: each mean 1/7, variance (1/7)(6/7)/(7*0.3+1).
    np.testing.assert_allclose(noises.mean(axis=0), 1 / 7, atol=0.05)
    assert noises.var(axis=0).mean() == pytest.approx((1 / 7) * (6 / 7) / (7 * 0.3 + 1), rel=0.35)


def test_temperature():
    state = make("connect4").play_moves("4 4")
    greedy = puct_search(state, 200, fixed_random_evaluator, seed=3, temperature=0)
    assert greedy.visits[greedy.actions.tolist().index(greedy.chosen_action)] == greedy.visits.max()
    chosen = {puct_search(state, 50, "uniform", seed=seed, temperature=1.0).chosen_action for seed in range(30)}
    assert len(chosen) > 1  # sampled in proportion to visits, not always the same


def test_virtual_loss_spreads_a_batch():
    state = make("connect4").new()
    batched = puct_search(state, 256, "uniform", seed=2, leaves_per_batch=16)
    assert batched.batches <= 256 // 16 + 2
    # Without the virtual loss every simulation of a batch would pile onto one leaf.
    assert batched.duplicate_leaves < 256 // 4
    assert batched.visits.sum() == 256


@pytest.mark.parametrize("game_name,options,moves,win,block", WIN_AND_BLOCK)
@pytest.mark.parametrize("evaluator,simulations", [(("minimax", 4), 200), ("uniform", 800)])
def test_wins_taken_and_losses_blocked(game_name, options, moves, win, block, evaluator, simulations):
    state = make(game_name, **options).play_moves(moves)
    for seed in range(3):
        result = puct_search(state, simulations, evaluator, seed=seed, temperature=0, dirichlet_fraction=0)
        assert result.chosen_move == (win or block), (seed, result.moves, result.visits)


def test_tak_road_win_with_puct():
    state = make("tak", size=5).from_tps("x5/x5/2,2,2,x2/x5/1,1,1,1,x 1 5")
    result = puct_search(state, 400, ("minimax", 1), seed=0, temperature=0, dirichlet_fraction=0)
    after = state.copy()
    after.play(result.chosen_move)
    assert after.result() == "R-0"
