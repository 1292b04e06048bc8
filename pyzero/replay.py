"""The replay buffer: a window of the most recent self-play positions.

Stored compactly, as what regenerates the inputs: each game's start position and move
list, and per position the side to move, its improved-policy target over the legal actions
(Float16), its root value and the outcome for the side to move (optionally discounted by
the plies left to the game's end, so a faster win scores more). A game may start anywhere
(an opening, a TPS, a book position): positions are replayed from its recorded start and
each value target takes its sign from the side recorded as moving there, never from the
ply's parity. A game's random opening (see `SelfPlayOptions.random_opening_plies`) stays
in its move list, to replay, but its plies are not positions: they are neither counted nor
sampled. Input planes are rebuilt by the Mojo engine when a batch is sampled (replaying
the moves, applying a random board symmetry to planes and policy alike), never by Python
loops. On disk the buffer is a folder of shards, one per drained chunk of finished games,
each written atomically (temporary file, then rename), so a crash at any moment leaves
only whole shards and a restart loses nothing that was written. Shards written before
games recorded their start (no `start_positions`, `start_plies`, `movers`) are read as
what they were: games from `game.new()` with the first player moving at ply 0.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from pyzero.games import Game, PositionError, State
from pyzero.records import FinishedGames, RecordError, check_record_lengths

_SHARD = re.compile(r"^shard-(\d{8})\.npz$")

WINDOW_GROWTH_EXPONENT = 0.75
WINDOW_GROWTH_SCALE = 0.4


def growing_window_size(positions_generated: int, start_positions: int, maximum: int) -> int:
    """The replay window after `positions_generated` positions, KataGo's schedule: with c =
    `start_positions` and N generated, c * (1 + 0.4 * ((N / c) ** 0.75 - 1) / 0.75) for
    N above c (c before), at most `maximum`. Narrow while the network changes fast (its
    first games soon teach the wrong thing), wider as it settles: about 4.7 c at N = 16 c."""
    if positions_generated <= start_positions:
        return min(start_positions, maximum)
    growth = ((positions_generated / start_positions) ** WINDOW_GROWTH_EXPONENT - 1.0) / WINDOW_GROWTH_EXPONENT
    return min(maximum, int(start_positions * (1.0 + WINDOW_GROWTH_SCALE * growth)))


# What the engine's replay of stored games (`validate_games`) reports, in words.
_REPLAY_FAULTS = {"finished": "a move after the game had ended", "illegal move": "an illegal move",
                  "mover": "the side recorded as moving is not the side to move",
                  "illegal policy entry": "a policy target on an illegal move"}


class ReplayFileError(ValueError):
    """A replay shard that cannot be used: unreadable, or arrays that are not a consistent,
    legal record of games; the message names the file and the first fault."""


def shard_file_names(directory: Path) -> list[str]:
    """The names of the whole shards in a replay folder, oldest first (reading only: an
    upgraded run copies another run's shards with this, and must change nothing there)."""
    if not directory.is_dir():
        return []
    found = sorted((int(m.group(1)), p.name) for p in directory.iterdir() if (m := _SHARD.match(p.name)))
    return [name for _, name in found]


@dataclass
class TrainingBatch:
    planes: np.ndarray  # float32 [N, C, H, W]
    policy: np.ndarray  # float32 [N, A], the improved policy (0 at illegal actions)
    legal: np.ndarray  # bool [N, A]
    outcome: np.ndarray  # float32 [N], the game result for the side to move (x value_discount ** plies to the end)
    root_value: np.ndarray  # float32 [N], the search's value of the position
    # bool [N] or None: positions whose only targets are a teacher's (an upgrade's
    # random-play positions: no search policy, no outcome); None: none are
    teacher_only: np.ndarray | None = None
    # float32 [N, A] or None (not asked for): the improved policy of the opponent's reply,
    # the next position's target in this position's symmetry; all 0 where the game ends
    # here or the reply has no target (a fast search)
    opponent_policy: np.ndarray | None = None


class ReplayBuffer:
    """The window holds the newest `window_positions` positions, or, with
    `window_start_positions`, `growing_window_size` of the positions generated over the
    run (`positions_generated`: those of earlier sessions of a resumed run), at most
    `window_positions`. A resumed run trims its reloaded shards to the window of now,
    which only grows, so it may keep a few of the oldest games an uninterrupted run had
    let go.

    `value_discount` (in (0, 1]; 1 is off) scales each position's outcome by
    `value_discount ** plies_to_end`, where `plies_to_end` counts the moves from the
    position to the game's end (1 for the position whose move ends it). The result of a
    finished game is not discounted in the search, so a win found there still scores 1."""

    def __init__(self, game: Game, window_positions: int, directory: str | Path | None = None,
                 value_discount: float = 1.0, warn: Callable[[str], Any] = print,
                 window_start_positions: int | None = None, positions_generated: int = 0):
        if not 0.0 < value_discount <= 1.0:
            raise ValueError(f"value_discount must be in (0, 1], got {value_discount}")
        self.game = game
        self.window_positions = window_positions
        self.window_start_positions = window_start_positions
        self._positions_generated_before = positions_generated
        self.value_discount = value_discount
        self.directory = Path(directory) if directory is not None else None
        self.warn = warn
        self.skipped_shards: list[str] = []  # why each unusable shard on disk was left out
        self.total_positions = 0  # generated over the run (including those out of the window)
        self.total_games = 0
        self._chunks: list[FinishedGames] = []
        self._chunk_shards: list[int | None] = []  # the shard on disk each chunk came from or went to
        self._positions = 0  # trained positions in the window, kept as a running sum (read every learner step)
        self._next_shard = 0
        self._arrays: dict[str, np.ndarray] | None = None
        self._start_states: dict[str, State] = {}  # parsed start positions, by their text
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._load_shards()

    # -- contents ----------------------------------------------------------------------------
    @property
    def positions(self) -> int:
        """Positions in the window (what sampling draws from)."""
        return self._positions

    @property
    def window(self) -> int:
        """The window's size now, in positions."""
        if self.window_start_positions is None:
            return self.window_positions
        generated = max(self.total_positions, self._positions_generated_before)
        return growing_window_size(generated, self.window_start_positions, self.window_positions)

    def add(self, games: FinishedGames) -> None:
        if len(games) == 0:
            return
        self._read_starts(games)  # a start the game cannot read fails here, before it is stored
        index = None
        if self.directory is not None:
            index = self._next_shard
            self._write_shard(games, index)
        self._next_shard += 1
        self._append(games, shard_index=index)

    def _append(self, games: FinishedGames, shard_index: int | None = None) -> None:
        self._chunks.append(games)
        self._chunk_shards.append(shard_index)
        added = int(games.trained_lengths.sum())
        self._positions += added
        self.total_positions += added
        self.total_games += len(games)
        window = self.window
        # Drop whole chunks that fall entirely out of the window (and their shards)...
        while len(self._chunks) > 1:
            oldest = int(self._chunks[0].trained_lengths.sum())
            if self._positions - oldest < window:
                break
            self._chunks.pop(0)
            self._positions -= oldest
            self._delete_shard(self._chunk_shards.pop(0))
        # ...then the oldest games of the oldest chunk (its shard stays until all are out;
        # reloading trims it the same way).
        excess = self._positions - window
        if excess > 0:
            lengths = np.cumsum(self._chunks[0].trained_lengths)
            drop = int(np.searchsorted(lengths, excess, side="left")) + 1
            drop = min(drop, len(self._chunks[0]) - (1 if len(self._chunks) == 1 else 0))
            if drop > 0:
                self._positions -= int(lengths[drop - 1])
                self._chunks[0] = self._chunks[0].from_game(drop)
        self._arrays = None

    # -- disk ----------------------------------------------------------------------------------
    def _shard_path(self, index: int) -> Path:
        return self.directory / f"shard-{index:08d}.npz"

    def _write_shard(self, games: FinishedGames, index: int) -> None:
        final = self._shard_path(index)
        temporary = final.with_name(f".{final.name}.tmp")
        with open(temporary, "wb") as handle:
            np.savez(handle, **{name: getattr(games, name) for name in FinishedGames.__dataclass_fields__})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)

    def _shard_indices(self) -> list[int]:
        return sorted(int(m.group(1)) for p in self.directory.iterdir() if (m := _SHARD.match(p.name)))

    def _load_shards(self) -> None:
        for stale in self.directory.glob(".shard-*.tmp"):
            stale.unlink()  # a shard whose write was interrupted was never part of the buffer
        indices = self._shard_indices()
        for index in indices:
            path = self._shard_path(index)
            try:
                games = self.read_shard(path)
            except ReplayFileError as error:
                # Named and left on disk as it was; its games are not part of the buffer.
                self.skipped_shards.append(str(error))
                self.warn(f"skipping replay shard {error}")
                continue
            self._append(games, shard_index=index)
        self._next_shard = indices[-1] + 1 if indices else 0

    def read_shard(self, path: Path) -> FinishedGames:
        """The games of the shard file `path`, checked before any of it is used: the
        arrays' kinds, lengths and ranges (`FinishedGames.checked`), every start position
        read by the game, and every move replayed and found legal, its recorded mover the
        side to move and its policy entries legal there. A ReplayFileError names the file
        and the first fault."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in FinishedGames.__dataclass_fields__ if name in data}
            games = FinishedGames.checked(self._with_defaults_of_older_shards(arrays), self.game.num_actions)
            self._read_starts(games)
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise ReplayFileError(f"{path}: not a readable .npz file ({str(error) or type(error).__name__})") from None
        except (ValueError, KeyError) as error:
            raise ReplayFileError(f"{path}: {str(error) or type(error).__name__}") from None
        fault = self._first_illegal_move(games)
        if fault is not None:
            raise ReplayFileError(f"{path}: {fault}")
        return games

    def _first_illegal_move(self, games: FinishedGames) -> str | None:
        """Replays `games` in the engine: the first move that is not legal, or None."""
        if len(games) == 0:
            return None
        texts, start_of_game = np.unique(games.start_positions, return_inverse=True)
        starts = [self._start_state(str(text))._raw for text in texts]
        start_indices = np.ascontiguousarray(start_of_game.reshape(-1), dtype=np.int32)
        lengths = np.ascontiguousarray(games.lengths, dtype=np.int64)
        opening_plies = np.ascontiguousarray(games.opening_plies, dtype=np.int64)
        actions = np.ascontiguousarray(games.actions, dtype=np.int32)
        movers = np.ascontiguousarray(games.movers, dtype=np.int8)
        policy_counts = np.ascontiguousarray(games.policy_counts, dtype=np.int32)
        entry_actions = np.ascontiguousarray(games.policy_actions, dtype=np.int32)
        game, ply, reason = self.game._state_type.validate_games(dict(
            starts=starts, games=len(games), start_indices=start_indices.ctypes.data, lengths=lengths.ctypes.data,
            opening_plies=opening_plies.ctypes.data, actions=actions.ctypes.data, movers=movers.ctypes.data,
            policy_counts=policy_counts.ctypes.data, entry_actions=entry_actions.ctypes.data))
        if int(game) < 0:
            return None
        return f"game {int(game)} (id {int(games.game_ids[int(game)])}), ply {int(ply)}: {_REPLAY_FAULTS[str(reason)]}"

    def _with_defaults_of_older_shards(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Fills in the arrays a shard from an older version lacks, with what was true then."""
        for name in ("game_ids", "lengths"):
            if name not in arrays:
                raise RecordError(f"missing array {name}")
        check_record_lengths(arrays["lengths"])  # before anything is sized by them
        games = len(arrays["game_ids"])
        lengths = arrays["lengths"].astype(np.int64)
        # Written before random openings existed: no opening plies.
        arrays.setdefault("opening_plies", np.zeros(games, np.int32))
        # Written before games recorded their start: self-play started every game from
        # game.new() then, and the replay assumed it with players alternating from ply 0.
        if "start_positions" not in arrays:
            initial = self.game.new()
            arrays["start_positions"] = np.array([initial.position()] * games, dtype=np.str_).reshape(games)
            arrays.setdefault("start_plies", np.full(games, initial.ply, np.int32))
            game_starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
            plies = np.arange(int(lengths.sum())) - game_starts
            arrays.setdefault("movers", ((initial.to_move() + plies) % 2).astype(np.int8))
        # Written before games recorded where they came from (actor, weights version, seed):
        # FinishedGames marks those unknown (-1).
        missing = [name for name in FinishedGames.REQUIRED_FIELDS if name not in arrays]
        if missing:
            raise ValueError(f"replay shard lacks {', '.join(missing)} (written by an unknown version)")
        return arrays

    def _read_starts(self, games: FinishedGames) -> None:
        """Parses (once) every start position of `games`."""
        for text in np.unique(games.start_positions):
            self._start_state(str(text))

    def _start_state(self, text: str) -> State:
        state = self._start_states.get(text)
        if state is None:
            try:
                state = self.game.from_position(text)
            except PositionError as error:
                raise ValueError(f"a replay game's start is not a {self.game.name} position: {error}") from None
            self._start_states[text] = state
        return state

    def _delete_shard(self, index: int | None) -> None:
        if self.directory is not None and index is not None:
            self._shard_path(index).unlink(missing_ok=True)

    # -- sampling --------------------------------------------------------------------------------
    def _index(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            games = FinishedGames.concatenate(self._chunks)
            lengths = games.lengths.astype(np.int64)
            game_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            position_game = np.repeat(np.arange(len(lengths)), lengths)
            plies = (np.arange(len(games.actions)) - game_starts[position_game]).astype(np.int32)
            entry_starts = np.concatenate([[0], np.cumsum(games.policy_counts.astype(np.int64))[:-1]])
            winners = games.winners[position_game].astype(np.int64)
            # The sign is the recorded mover's, not the ply's parity: a game need not start
            # with the first player to move.
            movers = games.movers.astype(np.int64)
            result = np.where(winners < 0, 0.0, np.where(winners == movers, 1.0, -1.0))
            plies_to_end = lengths[position_game] - plies
            # The opponent's reply is the next ply's target, where the game goes on.
            next_entry_counts = np.zeros(len(plies), np.int32)
            next_entry_counts[:-1] = np.where(plies_to_end[:-1] > 1, games.policy_counts[1:], 0)
            next_entry_starts = entry_starts + games.policy_counts.astype(np.int64)
            # A faster win (a slower loss) scores more; a discount of 1 leaves the result exact.
            outcome = (result * self.value_discount ** plies_to_end).astype(np.float32)
            # A random opening's plies are replayed to reach the later positions (`actions`
            # keeps them) but are not positions to train on: no search, no policy target.
            trained = plies >= games.opening_plies[position_game]
            # Each distinct start is parsed once (kept while a game in the window uses it).
            texts, start_of_game = np.unique(games.start_positions, return_inverse=True)
            self._start_states = {str(text): self._start_state(str(text)) for text in texts}
            self._arrays = dict(actions=np.ascontiguousarray(games.actions, dtype=np.int32),
                                starts=[self._start_states[str(text)]._raw for text in texts],
                                start_indices=start_of_game.reshape(-1)[position_game][trained].astype(np.int32),
                                game_starts=game_starts[position_game][trained].astype(np.int64),
                                plies=plies[trained],
                                entry_starts=entry_starts[trained].astype(np.int64),
                                entry_counts=games.policy_counts[trained].astype(np.int32),
                                next_entry_starts=next_entry_starts[trained].astype(np.int64),
                                next_entry_counts=next_entry_counts[trained],
                                entry_actions=np.ascontiguousarray(games.policy_actions, dtype=np.int32),
                                entry_targets=games.policy_targets.astype(np.float32),
                                outcome=outcome[trained], root_values=games.root_values[trained].astype(np.float32))
        return self._arrays

    def sample(self, batch_size: int, rng: np.random.Generator, symmetries: bool = True,
               opponent_policy: bool = False) -> TrainingBatch:
        """A uniformly random batch of positions from the window, each under a random
        board symmetry; inputs and targets are built by the Mojo engine. With
        `opponent_policy`, also the opponent's reply targets (`TrainingBatch.opponent_policy`)."""
        arrays = self._index()
        total = len(arrays["plies"])
        if total == 0:
            raise ValueError("the replay buffer is empty")
        chosen = rng.integers(0, total, size=batch_size)
        symmetry = rng.integers(0, self.game.num_symmetries if symmetries else 1, size=batch_size).astype(np.int32)
        planes = np.empty((batch_size, *self.game.input_shape), np.float32)
        policy = np.empty((batch_size, self.game.num_actions), np.float32)
        legal = np.empty((batch_size, self.game.num_actions), np.uint8)
        start_indices = np.ascontiguousarray(arrays["start_indices"][chosen])
        game_starts = np.ascontiguousarray(arrays["game_starts"][chosen])
        plies = np.ascontiguousarray(arrays["plies"][chosen])
        entry_starts = np.ascontiguousarray(arrays["entry_starts"][chosen])
        entry_counts = np.ascontiguousarray(arrays["entry_counts"][chosen])
        reply = next_entry_starts = next_entry_counts = None
        if opponent_policy:  # the replies' entries are gathered only when asked for
            reply = np.empty((batch_size, self.game.num_actions), np.float32)
            next_entry_starts = np.ascontiguousarray(arrays["next_entry_starts"][chosen])
            next_entry_counts = np.ascontiguousarray(arrays["next_entry_counts"][chosen])
        self.game._state_type.encode_samples(dict(
            count=batch_size, starts=arrays["starts"], start_indices=start_indices.ctypes.data,
            actions=arrays["actions"].ctypes.data, game_starts=game_starts.ctypes.data,
            plies=plies.ctypes.data, symmetries=symmetry.ctypes.data, entry_starts=entry_starts.ctypes.data,
            entry_counts=entry_counts.ctypes.data, entry_actions=arrays["entry_actions"].ctypes.data,
            entry_targets=arrays["entry_targets"].ctypes.data, planes=planes.ctypes.data,
            policy=policy.ctypes.data, legal=legal.ctypes.data,
            next_entry_starts=0 if reply is None else next_entry_starts.ctypes.data,
            next_entry_counts=0 if reply is None else next_entry_counts.ctypes.data,
            opponent_policy=0 if reply is None else reply.ctypes.data))
        return TrainingBatch(planes, policy, legal.astype(bool), arrays["outcome"][chosen],
                             arrays["root_values"][chosen], opponent_policy=reply)
