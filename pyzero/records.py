"""Game records: what a finished self-play game leaves behind, in flat numpy arrays.

At the bottom of the layers, beside the games: the self-play engine fills these records,
the replay buffer stores and samples them, and neither needs the other to read one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Per game and per ply, the arrays of a record, and the kind of number each holds.
PER_GAME_FIELDS = ("game_ids", "winners", "lengths", "opening_plies", "start_positions", "start_plies",
                   "actor_ids", "weights_versions", "seeds")
PER_PLY_FIELDS = ("actions", "root_values", "policy_counts", "movers")
PER_ENTRY_FIELDS = ("policy_actions", "policy_targets")
FLOAT_FIELDS = ("root_values", "policy_targets")
TEXT_FIELDS = ("start_positions",)
# Bounds that no real record comes near: a game longer than this, or a start position
# longer than this many characters, is a damaged or hostile file, refused before any sum
# over it could overflow or any parser sees it.
MAX_GAME_PLIES = 1_000_000
MAX_POSITION_CHARACTERS = 100_000


class RecordError(ValueError):
    """Arrays that are not a consistent record of finished games (a damaged or foreign
    replay file, or a bug upstream); the message says which array and what is wrong."""


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

    @classmethod
    def checked(cls, arrays: dict[str, np.ndarray], num_actions: int) -> "FinishedGames":
        """A record from `arrays` read from outside (a replay shard, another process),
        after `check_record_arrays`: every array's kind and length agree, every index is
        within its array and every action within 0..num_actions-1, every target finite."""
        check_record_arrays(arrays, num_actions)
        return cls(**{name: arrays[name] for name in cls.__dataclass_fields__ if name in arrays})

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


def check_record_arrays(arrays: dict[str, np.ndarray], num_actions: int) -> None:
    """Raises RecordError unless `arrays` form a consistent record of finished games for a
    game of `num_actions` actions (see `FinishedGames`): each field present, one-dimensional
    and of its kind (integers, floats, text); per-game, per-ply and per-entry arrays of the
    lengths the games' `lengths` and `policy_counts` add up to; actions, policy actions,
    counts, winners, movers and opening plies within their ranges; values and policy
    targets finite, values in [-1, 1] and targets in [0, 1]. Legality of the moves is the
    game's to check, by replaying them (`ReplayBuffer`)."""
    missing = [name for name in FinishedGames.REQUIRED_FIELDS if name not in arrays]
    if missing:
        raise RecordError(f"missing arrays: {', '.join(missing)}")
    present = {name: np.asarray(arrays[name]) for name in FinishedGames.__dataclass_fields__ if name in arrays}
    for name, array in present.items():
        if array.ndim != 1:
            raise RecordError(f"{name}: expected a one-dimensional array, got shape {array.shape}")
        if name in TEXT_FIELDS:
            if array.dtype.kind != "U":
                raise RecordError(f"{name}: expected text, got dtype {array.dtype}")
            if array.dtype.itemsize // 4 > MAX_POSITION_CHARACTERS:
                raise RecordError(f"{name}: a start position longer than {MAX_POSITION_CHARACTERS} characters")
        elif name in FLOAT_FIELDS:
            if array.dtype.kind != "f":
                raise RecordError(f"{name}: expected floating-point numbers, got dtype {array.dtype}")
        elif array.dtype.kind not in "iu":
            raise RecordError(f"{name}: expected integers, got dtype {array.dtype}")
    games = len(present["game_ids"])
    for name in PER_GAME_FIELDS:
        if name in present and len(present[name]) != games:
            raise RecordError(f"{name}: {len(present[name])} entries for {games} games")
    lengths = present["lengths"]
    check_record_lengths(lengths)
    plies = int(lengths.astype(np.int64).sum())
    for name in PER_PLY_FIELDS:
        if len(present[name]) != plies:
            raise RecordError(f"{name}: {len(present[name])} entries for the {plies} plies the games' lengths add up to")
    counts = present["policy_counts"]
    _check_range(counts, "policy_counts", 0, num_actions)
    entries = int(counts.astype(np.int64).sum())
    for name in PER_ENTRY_FIELDS:
        if len(present[name]) != entries:
            raise RecordError(f"{name}: {len(present[name])} entries for the {entries} the policy counts add up to")
    _check_range(present["actions"], "actions", 0, num_actions - 1)
    _check_range(present["policy_actions"], "policy_actions", 0, num_actions - 1)
    _check_range(present["winners"], "winners", -1, 1)
    _check_range(present["movers"], "movers", 0, 1)
    _check_range(present["start_plies"], "start_plies", 0, None)
    opening = present["opening_plies"].astype(np.int64)
    if len(opening) and (opening.min() < 0 or (opening > lengths).any()):
        game = int(np.flatnonzero((opening < 0) | (opening > lengths))[0])
        raise RecordError(f"opening_plies: game {game} has {opening[game]} opening plies of {lengths[game]}")
    for name, low, high in (("root_values", -1.0, 1.0), ("policy_targets", 0.0, 1.0)):
        values = present[name].astype(np.float64)
        bad = ~np.isfinite(values) | (values < low - 1e-3) | (values > high + 1e-3)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise RecordError(f"{name}: entry {index} is {values[index]}, not a finite number in [{low:g}, {high:g}]")


def check_record_lengths(lengths: np.ndarray) -> None:
    """RecordError unless `lengths` is a one-dimensional array of integers in
    0..MAX_GAME_PLIES (checked before anything is sized by them)."""
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise RecordError(f"lengths: expected a one-dimensional array of integers, got {lengths.dtype} {lengths.shape}")
    _check_range(lengths, "lengths", 0, MAX_GAME_PLIES)


def _check_range(array: np.ndarray, name: str, low: int, high: int | None) -> None:
    """RecordError naming the first entry of `array` outside low..high (inclusive)."""
    if not len(array):
        return
    values = array.astype(np.int64) if array.dtype.kind == "u" and array.dtype.itemsize < 8 else array
    outside = values < low if high is None else (values < low) | (values > high)
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        span = f"at least {low}" if high is None else f"in {low}..{high}"
        raise RecordError(f"{name}: entry {index} is {array[index]}, expected {span}")
