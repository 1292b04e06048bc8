"""Watching a training run from the page: its curves and its latest self-play games.

Everything is read from the served run directory, never from a path the page sends:

- `tensorboard/`: the scalars the trainer logs each step (losses, self-play speed, batch
  fill...), read with TensorBoard's own event reader;
- `evaluations.jsonl`: one line per evaluation (`vs random`, `vs previous`, `losses vs
  minimax`...), numeric fields become series by learner step;
- `arena/arena.json` (when `pyzero arena` has rated the run's checkpoints): Elo by step;
- `replay/shard-*.npz`: the newest shard's last games, replayed from their start
  positions into move lists and saved-game text the page can load and step through.

Read afresh on every request, so the page follows a run while it trains; files being
written meanwhile (a shard is renamed into place whole; an events file may end mid-record)
are read as far as they go.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from pyzero.games import Game, State
from pyzero.play.game_record import session_record_text
from pyzero.play.session import GameSession
from pyzero.records import FinishedGames, RecordError

LATEST_GAMES = 8
MAX_POINTS_PER_CURVE = 400  # thinned evenly beyond this: the page draws, it does not analyse
_SHARD = re.compile(r"^shard-(\d{8})\.npz$")


def run_report(run_directory: Path, game: Game) -> dict[str, Any]:
    """{"curves": {name: [[step, value], ...]}, "evaluations": {...}, "games": [...], "run": ...}."""
    evaluations = evaluation_series(run_directory / "evaluations.jsonl")
    evaluations.update(arena_elo(run_directory / "arena" / "arena.json"))
    return {"run": str(run_directory), "curves": training_curves(run_directory / "tensorboard"),
            "evaluations": evaluations, "games": latest_selfplay_games(run_directory / "replay", game)}


def training_curves(tensorboard_directory: Path) -> dict[str, list[list[float]]]:
    """Every scalar the trainer logged, by tag, as [step, value] pairs in step order."""
    if not tensorboard_directory.is_dir():
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    curves: dict[str, list[list[float]]] = {}
    # One folder per training session (a resumed run adds an events file); read them all.
    for events_directory in sorted({path.parent for path in tensorboard_directory.rglob("events.out.tfevents.*")}):
        accumulator = EventAccumulator(str(events_directory), size_guidance={"scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags().get("scalars", []):
            curves.setdefault(tag, []).extend([int(event.step), float(event.value)]
                                              for event in accumulator.Scalars(tag))
    return {tag: _thinned(sorted(points)) for tag, points in sorted(curves.items())}


def evaluation_series(path: Path) -> dict[str, list[list[float]]]:
    """The numeric fields of evaluations.jsonl by name, as [step, value] pairs."""
    if not path.is_file():
        return {}
    series: dict[str, list[list[float]]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            report = json.loads(line)
        except json.JSONDecodeError:  # a line being written right now
            continue
        if not isinstance(report, dict) or not isinstance(report.get("step"), (int, float)):
            continue
        for name, value in report.items():
            if name != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                series.setdefault(name, []).append([report["step"], float(value)])
    return series


def arena_elo(path: Path) -> dict[str, list[list[float]]]:
    """{"arena Elo": [[step, elo], ...]} for the checkpoints `pyzero arena` rated (its
    arena.json: standings with learner steps, ratings by player); {} without one."""
    if not path.is_file():
        return {}
    try:
        arena = json.loads(path.read_text(encoding="utf-8"))
        ratings = arena["ratings"]
        points = sorted([standing["step"], float(ratings[standing["player"]]["elo"])]
                        for standing in arena["standings"]
                        if standing.get("step") is not None and standing["player"] in ratings)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):  # another version's layout: not shown
        return {}
    return {"arena Elo": points} if points else {}


def latest_selfplay_games(replay_directory: Path, game: Game, count: int = LATEST_GAMES) -> list[dict[str, Any]]:
    """The last `count` games of the newest replay shard, newest first, as moves and text."""
    shards = sorted(path for path in replay_directory.glob("shard-*.npz") if _SHARD.match(path.name)) \
        if replay_directory.is_dir() else []
    if not shards:
        return []
    with np.load(shards[-1], allow_pickle=False) as data:
        arrays = {name: data[name] for name in FinishedGames.__dataclass_fields__ if name in data}
    if not set(FinishedGames.REQUIRED_FIELDS) <= set(arrays):
        return []  # an older shard layout: nothing to show rather than a guess
    try:
        games = FinishedGames.checked(arrays, game.num_actions)  # before any index reaches the engine
    except RecordError:
        return []  # a damaged shard: nothing to show (training names it when it loads the replay)
    shown = []
    for index in reversed(range(max(0, len(games) - count), len(games))):
        record = games.game(index)
        start = game.from_position(record["start_position"]) if record["start_position"] else game.new()
        shown.append(_game_json(start, [int(action) for action in record["actions"]], record, shards[-1].name))
    return shown


def _game_json(start: State, actions: list[int], record: dict[str, Any], shard: str) -> dict[str, Any]:
    session = GameSession(start.game, start)
    for action in actions:
        session.play(session.state.action_to_move(action))
    final = session.state
    return {"id": record["game_id"], "shard": shard, "plies": len(actions), "result": final.result() or "unfinished",
            "opening_plies": record["opening_plies"], "moves": session.line_moves(),
            "record": session_record_text(session, ("pyzero self-play", "pyzero self-play"))}


def _thinned(points: list[list[float]]) -> list[list[float]]:
    if len(points) <= MAX_POINTS_PER_CURVE:
        return points
    keep = np.linspace(0, len(points) - 1, MAX_POINTS_PER_CURVE).round().astype(int)
    return [points[index] for index in keep]
