"""Elo fitting: known strengths are recovered within their intervals; hand-derived cases."""

import math

import numpy as np
import pytest

from pyzero.arena.elo import fit_elo


def simulated_games(strengths, games_per_pair, seed, draw_rate=0.1):
    """Games whose expected score follows the Elo formula: a draw with probability
    `draw_rate`, otherwise a win with the probability that keeps the expectation."""
    rng = np.random.default_rng(seed)
    names = list(strengths)
    games = []
    for a_index, a in enumerate(names):
        for b in names[a_index + 1:]:
            expected = 1 / (1 + 10 ** ((strengths[b] - strengths[a]) / 400))
            win = (expected - draw_rate / 2) / (1 - draw_rate)
            assert 0 <= win <= 1
            for _ in range(games_per_pair):
                score = 0.5 if rng.random() < draw_rate else float(rng.random() < win)
                games.append((a, b, score) if rng.random() < 0.5 else (b, a, 1 - score))
    return games


def test_two_players_match_the_closed_form():
    games = [("a", "b", 1.0)] * 75 + [("a", "b", 0.0)] * 25  # 75%
    ratings = fit_elo(games, anchor="b", prior_sd=1e9)
    assert ratings["a"].elo == pytest.approx(400 * math.log10(0.75 / 0.25), abs=1e-6)
    # Standard error of a logit estimate: 1 / sqrt(n p (1-p)), in Elo units.
    error = 1 / math.sqrt(100 * 0.75 * 0.25) / (math.log(10) / 400)
    assert ratings["a"].upper - ratings["a"].elo == pytest.approx(1.959964 * error, rel=1e-4)
    assert ratings["b"].elo == 0 and ratings["b"].lower == ratings["b"].upper == 0


def test_recovers_known_strengths_within_the_intervals():
    strengths = {"anchor": 0.0, "strong": 250.0, "medium": 100.0, "weak": -150.0}
    hits = total = 0
    for seed in range(10):
        ratings = fit_elo(simulated_games(strengths, 300, seed), anchor="anchor")
        for name, true in strengths.items():
            if name == "anchor":
                continue
            total += 1
            hits += ratings[name].lower <= true <= ratings[name].upper
            assert abs(ratings[name].elo - true) < 80, (seed, name, ratings[name])
    assert hits / total >= 0.8  # 95% intervals: about 28.5 of 30 expected


def test_more_games_narrow_the_intervals_and_perfect_records_stay_finite():
    strengths = {"a": 0.0, "b": 200.0}
    few = fit_elo(simulated_games(strengths, 50, 1), anchor="a")["b"]
    many = fit_elo(simulated_games(strengths, 2000, 1), anchor="a")["b"]
    assert (many.upper - many.lower) < (few.upper - few.lower) / 4
    sweep = fit_elo([("a", "b", 1.0)] * 10, anchor="b")
    assert math.isfinite(sweep["a"].elo) and sweep["a"].elo > 400
