"""Playing the games of one pairing: colours alternate and each opening is played once
with each player moving first.

Two network players with the same simulation budget play through the batched self-play
pipeline with two networks (each network evaluates its own batches; many games at once).
Any other pairing plays its games one after the other, each player choosing its moves;
with a time control (`pyzero.arena.clock`) each game has two clocks, and a player whose
flag falls loses on time.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from pyzero.arena.clock import GameClock, TimeControl
from pyzero.games import Game, PositionCounts, State
from pyzero.players.network_player import NetworkPlayer, history_arguments


@dataclass(frozen=True)
class GameRecord:
    """One finished game: who moved first, who won (a name, or None for a draw), and
    whether the loser lost on time (its clock ran out during a move)."""

    first: str
    second: str
    winner: str | None
    opening: int
    plies: int
    lost_on_time: bool = False

    def score_of_first(self) -> float:
        return 0.5 if self.winner is None else float(self.winner == self.first)


def play_pairing(game: Game, player_a, player_b, openings: list[State], games: int, seed: int = 0,
                 max_game_plies: int = 0, concurrent_games: int = 128,
                 time_control: TimeControl | None = None) -> list[GameRecord]:
    """`games` games between two players: game i starts from opening (i // 2) % n, with
    player_a playing side i % 2 (side 0 moves first in the game), so every opening is
    played once from each side. `max_game_plies` (0: none) ends a game as a draw;
    `time_control` gives each game two clocks (games then run one at a time)."""
    if player_a.name == player_b.name:
        raise ValueError(f"two players are both named {player_a.name!r}")
    if time_control is None and _pipeline_can_play(player_a, player_b):
        return _play_in_pipeline(game, player_a, player_b, openings, games, seed, max_game_plies, concurrent_games)
    return [play_one_game(game, player_a, player_b, openings, index, seed, max_game_plies, time_control)
            for index in range(games)]


def play_one_game(game, player_a, player_b, openings, index, seed, max_game_plies,
                  time_control: TimeControl | None = None) -> GameRecord:
    """Game `index` of a pairing, each player choosing its own moves (on its clock when
    there is a `time_control`)."""
    opening = (index // 2) % len(openings)
    state = openings[opening].copy()
    # As in the pipeline: player_a plays side index % 2, so the pair (2k, 2k + 1) swaps sides.
    by_side = {index % 2: player_a, 1 - index % 2: player_b}
    first, second = by_side[state.to_move()], by_side[1 - state.to_move()]
    rng = random.Random(seed * 1_000_003 + index)
    plies = 0
    positions = PositionCounts(state)  # a repetition draw (chess's threefold) ends the game
    history: list[int] = []  # keys of the positions before `state`, for players that take them
    repeated = False
    clock = GameClock(time_control) if time_control is not None else None
    while not state.is_terminal() and not repeated and (max_game_plies == 0 or plies < max_game_plies):
        side = state.to_move()
        started = time.monotonic()
        move = _choose(by_side[side], state, rng, clock, tuple(history))
        if clock is not None and clock.charge(side, time.monotonic() - started):
            return GameRecord(first.name, second.name, by_side[1 - side].name, opening, plies, lost_on_time=True)
        history.append(state.hash())
        state.play(move)
        plies += 1
        repeated = positions.add(state)
    winner = state.winner() if state.is_terminal() else -1
    return GameRecord(first.name, second.name, None if winner is None or winner < 0 else by_side[winner].name,
                      opening, plies)


def _choose(player, state: State, rng: random.Random, clock: GameClock | None, history: tuple[int, ...]) -> str:
    """The player's move; a player that manages a clock is shown both (side 0's first);
    one that `takes_history` gets the keys of the game's earlier positions."""
    extra = history_arguments(player, history)
    if clock is not None and hasattr(player, "choose_on_clock"):
        return player.choose_on_clock(state, rng, (clock.remaining_ms(0), clock.remaining_ms(1)), clock.increment_ms,
                                      **extra)
    return player.choose(state, rng, **extra)


def _pipeline_can_play(player_a, player_b) -> bool:
    """Two networks searching the same number of simulations with the same options, with
    the tree search (the pipeline's; a graph search player plays its games one at a time)."""
    return all(isinstance(player, NetworkPlayer) and player.model is not None and player.limits.seconds is None
               and not player.uses_graph() for player in (player_a, player_b)) and \
        player_a.limits.simulations == player_b.limits.simulations and player_a.gumbel == player_b.gumbel


def _play_in_pipeline(game, player_a: NetworkPlayer, player_b: NetworkPlayer, openings, games, seed,
                      max_game_plies, concurrent_games) -> list[GameRecord]:
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    concurrent = max(2, min(concurrent_games, games + games % 2))
    options = SelfPlayOptions(games=concurrent, batch_size=min(64, concurrent), simulations=player_a.limits.simulations,
                              seed=seed, max_game_plies=max_game_plies, tree_reuse=False, gumbel=player_a.gumbel,
                              timeout_ms=1.0, cache_entries=0)
    selfplay = SelfPlay(game, [player_a.inference.backend, player_b.inference.backend], options)
    selfplay.set_openings(openings)
    finished: dict[int, tuple[int, int]] = {}
    with selfplay:
        while len(finished) < games:
            selfplay.check()
            batch = selfplay.take_finished()
            for game_id, winner, length in zip(batch.game_ids, batch.winners, batch.lengths):
                if game_id < games:  # later ids started after these; counting them would favour short games
                    finished[int(game_id)] = (int(winner), int(length))
            time.sleep(0.01)
    records = []
    for game_id in range(games):
        winner, length = finished[game_id]
        opening = selfplay.opening_of(game_id)
        # The pipeline gives side s of game g to network (g + s) % 2 (game_slot.mojo), and
        # network 0 is player_a: player_a plays side g % 2 (the pair g, g + 1 swaps sides).
        name_of_side = {game_id % 2: player_a.name, 1 - game_id % 2: player_b.name}
        to_move = openings[opening].to_move()
        records.append(GameRecord(name_of_side[to_move], name_of_side[1 - to_move],
                                  None if winner < 0 else name_of_side[winner], opening, length))
    return records
