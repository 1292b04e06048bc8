"""Elo ratings fitted by maximum likelihood on all games, with confidence intervals.

Model (Bradley-Terry on the Elo scale): player i scores against j with probability
    p_ij = 1 / (1 + 10 ** ((r_j - r_i) / 400)),
a draw counting as half a win and half a loss. The ratings maximise the log-likelihood
of every game played, with one player anchored at a given rating; Newton's method on the
other ratings. A weak Gaussian prior (standard deviation `prior_sd` Elo, centred on the
anchor's rating) keeps the fit finite for a player that won or lost every game; at the
default 1000 it moves ratings by well under a point once a pair has a few dozen games.
Intervals come from the inverse of the observed information (the Hessian), so they are
the usual Wald intervals: rating +- z * standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELO_SCALE = math.log(10) / 400.0


@dataclass(frozen=True)
class Rating:
    player: str
    elo: float
    lower: float
    upper: float
    games: int


def score_matrix(games: list[tuple[str, str, float]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(players, points[i, j] scored by i against j, games[i, j]) from (a, b, score of a) rows."""
    players = sorted({name for a, b, _ in games for name in (a, b)})
    index = {name: position for position, name in enumerate(players)}
    points = np.zeros((len(players), len(players)))
    counts = np.zeros((len(players), len(players)))
    for a, b, score in games:
        if a == b:
            raise ValueError(f"a player cannot play itself ({a})")
        if score not in (0, 0.5, 1):
            raise ValueError(f"score must be 0, 0.5 or 1, got {score!r}")
        i, j = index[a], index[b]
        points[i, j] += score
        points[j, i] += 1 - score
        counts[i, j] += 1
        counts[j, i] += 1
    return players, points, counts


def fit_elo(games: list[tuple[str, str, float]], anchor: str, anchor_elo: float = 0.0,
            confidence: float = 0.95, prior_sd: float = 1000.0, iterations: int = 100) -> dict[str, Rating]:
    """Maximum-likelihood Elo of every player in `games`, `anchor` fixed at `anchor_elo`."""
    players, points, counts = score_matrix(games)
    if anchor not in players:
        raise ValueError(f"the anchor {anchor!r} played no game")
    n = len(players)
    anchor_index = players.index(anchor)
    free = [i for i in range(n) if i != anchor_index]
    ratings = np.full(n, anchor_elo, dtype=float)
    prior_precision = 1.0 / prior_sd**2
    hessian = np.zeros((n, n))
    for _ in range(iterations):
        difference = ratings[:, None] - ratings[None, :]
        expected = 1.0 / (1.0 + np.exp(-ELO_SCALE * difference))
        gradient = ELO_SCALE * (points - counts * expected).sum(axis=1) - prior_precision * (ratings - anchor_elo)
        weight = ELO_SCALE**2 * counts * expected * (1 - expected)
        hessian = weight.copy()
        np.fill_diagonal(hessian, -weight.sum(axis=1) - prior_precision)
        reduced = hessian[np.ix_(free, free)]
        step = np.linalg.solve(reduced, gradient[free])
        ratings[free] -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    covariance = np.linalg.inv(-hessian[np.ix_(free, free)]) if free else np.zeros((0, 0))
    z = _normal_quantile(0.5 + confidence / 2)
    result = {}
    for position, name in enumerate(players):
        if position == anchor_index:
            error = 0.0
        else:
            k = free.index(position)
            error = math.sqrt(max(covariance[k, k], 0.0))
        result[name] = Rating(name, float(ratings[position]), float(ratings[position] - z * error),
                              float(ratings[position] + z * error), int(counts[position].sum()))
    return result


def _normal_quantile(probability: float) -> float:
    """The standard normal quantile (Acklam's rational approximation refined by one
    Newton step on math.erf: accurate to ~1e-12)."""
    if not 0 < probability < 1:
        raise ValueError("probability must be in (0, 1)")
    # Initial guess from a logistic approximation, then Newton on the CDF.
    x = math.log(probability / (1 - probability)) / 1.702
    for _ in range(50):
        cdf = 0.5 * (1 + math.erf(x / math.sqrt(2)))
        density = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        step = (cdf - probability) / density
        x -= step
        if abs(step) < 1e-14:
            break
    return x
