"""The time manager: budgets worked out by hand from the default settings
(overhead 100 ms, at least 10 moves to go, 75% of the increment, at most 40% of the
usable time, at least 10 ms, 1.3 moves per square and player)."""

import itertools

import pytest

from pyzero.players.time_manager import (DEFAULT_SETTINGS, TimeManagerSettings, clock_budget_ms,
                                         estimated_moves_to_go, expected_moves_per_player, movetime_budget_ms)


def test_expected_moves_per_player_scales_with_the_board():
    assert expected_moves_per_player(6) == 47  # ceil(1.3 * 36 = 46.8)
    assert expected_moves_per_player(5) == 33  # ceil(32.5)
    assert expected_moves_per_player(3) == 12  # ceil(11.7)


def test_moves_to_go_counts_only_the_side_to_moves_moves_and_keeps_a_reserve():
    assert estimated_moves_to_go(0, 6) == 47
    assert estimated_moves_to_go(21, 6) == 37  # 10 own moves made
    assert estimated_moves_to_go(90, 6) == 10  # 47 - 45 = 2, below the reserve of 10


@pytest.mark.parametrize("remaining, increment, plies, moves_to_go, expected", [
    (60_000, 0, 0, None, 59_900 / 47),          # sudden death, first move
    (60_000, 0, 20, None, 59_900 / 37),         # ten moves in
    (60_000, 0, 90, None, 59_900 / 10),         # past the typical length: the reserve
    (10_000, 2_000, 0, None, 9_900 / 47 + 1_500),  # three quarters of the increment
    (2_000, 5_000, 0, None, 0.4 * 1_900),       # a huge increment: capped at 40% of usable
    (30_000, 0, 0, 5, 29_900 / 5),              # movestogo from the GUI
    (300, 0, 0, None, 10.0),                    # 200 / 47 = 4.3 ms: raised to the 10 ms minimum
    (105, 0, 0, None, 5.0),                     # ... but never above the 5 ms usable
    (50, 0, 0, None, 1.0),                      # below the overhead: the emergency budget
])
def test_clock_budgets(remaining, increment, plies, moves_to_go, expected):
    assert clock_budget_ms(remaining, increment, plies, 6, moves_to_go) == pytest.approx(expected)


def test_a_clock_budget_never_exceeds_the_time_left_minus_the_margin():
    remainders = [0, 1, 50, 99, 100, 101, 110, 150, 500, 1_000, 5_000, 60_000, 600_000]
    increments = [0, 10, 100, 1_000, 10_000, 100_000]
    for remaining, increment, plies, size, moves_to_go in itertools.product(
            remainders, increments, [0, 1, 30, 200], [3, 6, 8], [None, 1, 3, 40]):
        budget = clock_budget_ms(remaining, increment, plies, size, moves_to_go)
        usable = remaining - DEFAULT_SETTINGS.overhead_ms
        assert budget > 0
        if usable >= DEFAULT_SETTINGS.emergency_budget_ms:
            assert budget <= usable, (remaining, increment, plies, size, moves_to_go)
        else:
            assert budget == DEFAULT_SETTINGS.emergency_budget_ms


def test_the_settings_change_the_budget():
    generous = TimeManagerSettings(overhead_ms=0, minimum_moves_to_go=1, moves_per_square=1.0)
    assert clock_budget_ms(36_000, 0, 0, 6, settings=generous) == pytest.approx(1_000)  # 36000 / 36


def test_movetime_budget_keeps_the_margin_but_at_most_half():
    assert movetime_budget_ms(1_000) == 900
    assert movetime_budget_ms(200) == 100
    assert movetime_budget_ms(100) == 50
    assert movetime_budget_ms(30) == 15


@pytest.mark.parametrize("call", [
    lambda: clock_budget_ms(-1, 0, 0, 6),
    lambda: clock_budget_ms(1_000, -5, 0, 6),
    lambda: clock_budget_ms(1_000, 0, -1, 6),
    lambda: clock_budget_ms(1_000, 0, 0, 6, moves_to_go=0),
    lambda: movetime_budget_ms(0),
    lambda: expected_moves_per_player(0),
])
def test_nonsense_is_rejected(call):
    with pytest.raises(ValueError):
        call()
