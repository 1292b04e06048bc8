"""Game records: what a finished self-play game leaves behind, in flat numpy arrays.

At the bottom of the layers, beside the games: the self-play engine fills these records,
the replay buffer stores and samples them, and neither needs the other to read one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FinishedGames:
    """Finished games, flat: per game `lengths[g]` plies; per ply the action played, the
    side that played it, the root value, and `policy_counts[p]` (action, target) entries
    of the improved policy.

    A game's actions are played from its `start_positions[g]` (the game's position
    notation, `Game.from_position` reads it back; TPS for Tak), which need not be
    `game.new()`: an opening, a TPS or a book position. Its first action is played at ply
    `start_plies[g]`, and `movers[p]` says who moved at each ply, so a replay (the replay
    buffer's targets) assumes neither the start nor the order of turns."""

    game_ids: np.ndarray
    winners: np.ndarray  # 0, 1, or -1 for a draw
    lengths: np.ndarray
    actions: np.ndarray
    root_values: np.ndarray
    policy_counts: np.ndarray
    policy_actions: np.ndarray
    policy_targets: np.ndarray  # float16
    # Per game: how many leading plies are a random opening (searched by no one, no policy
    # target, never sampled for training). Played from the start position, after it.
    opening_plies: np.ndarray
    start_positions: np.ndarray  # str, per game: where its actions start (see above)
    start_plies: np.ndarray  # int32, per game: the start position's ply
    movers: np.ndarray  # int8, per ply: the side to move (0 or 1) where the action was played
    # Where each game comes from (per game; -1 where unknown, as in shards written before
    # they were recorded). Distributed self-play (pyzero/distributed/) tags every game with
    # the actor that played it and the learner's weights version it finished with; `seeds`
    # is the self-play seed the game's searches derive theirs from (with its game id), so
    # (seeds, game_ids) names a game uniquely across actors and their restarts.
    actor_ids: np.ndarray | None = field(default=None)  # int32
    weights_versions: np.ndarray | None = field(default=None)  # int64
    seeds: np.ndarray | None = field(default=None)  # int64

    # The fields every record has (older shards lack the provenance above).
    REQUIRED_FIELDS = ("game_ids", "winners", "lengths", "actions", "root_values", "policy_counts", "policy_actions",
                       "policy_targets", "opening_plies", "start_positions", "start_plies", "movers")

    def __post_init__(self) -> None:
        games = len(self.game_ids)
        if self.actor_ids is None:
            self.actor_ids = np.full(games, -1, np.int32)
        if self.weights_versions is None:
            self.weights_versions = np.full(games, -1, np.int64)
        if self.seeds is None:
            self.seeds = np.full(games, -1, np.int64)

    def __len__(self) -> int:
        return len(self.game_ids)

    @classmethod
    def concatenate(cls, parts: list["FinishedGames"]) -> "FinishedGames":
        return cls(*[np.concatenate([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__])

    def from_game(self, first: int) -> "FinishedGames":
        """The games `first ..` (dropping the older ones)."""
        plies = int(self.lengths[:first].sum())
        entries = int(self.policy_counts[:plies].sum())
        return FinishedGames(self.game_ids[first:], self.winners[first:], self.lengths[first:],
                             self.actions[plies:], self.root_values[plies:], self.policy_counts[plies:],
                             self.policy_actions[entries:], self.policy_targets[entries:],
                             self.opening_plies[first:], self.start_positions[first:], self.start_plies[first:],
                             self.movers[plies:], self.actor_ids[first:], self.weights_versions[first:],
                             self.seeds[first:])

    @property
    def trained_lengths(self) -> np.ndarray:
        """Per game, the plies that are training positions (those after its random opening)."""
        return self.lengths - self.opening_plies

    def game(self, index: int) -> dict[str, np.ndarray]:
        """One game's arrays (for tests and tools; training uses the flat arrays)."""
        ply_start = int(self.lengths[:index].sum())
        ply_end = ply_start + int(self.lengths[index])
        entry_start = int(self.policy_counts[:ply_start].sum())
        entry_end = entry_start + int(self.policy_counts[ply_start:ply_end].sum())
        return dict(actions=self.actions[ply_start:ply_end], movers=self.movers[ply_start:ply_end],
                    root_values=self.root_values[ply_start:ply_end],
                    policy_counts=self.policy_counts[ply_start:ply_end],
                    policy_actions=self.policy_actions[entry_start:entry_end],
                    policy_targets=self.policy_targets[entry_start:entry_end],
                    winner=int(self.winners[index]), game_id=int(self.game_ids[index]),
                    opening_plies=int(self.opening_plies[index]), start_position=str(self.start_positions[index]),
                    start_ply=int(self.start_plies[index]))
