"""A tournament: round robin (every pair), gauntlet (one player against the rest) or
yardstick (every checkpoint against fixed players such as alpha-beta depths 1-4),
a results table, maximum-likelihood Elo with confidence intervals, JSON and a PNG plot.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from pyzero.arena.clock import TimeControl
from pyzero.arena.elo import Rating, fit_elo
from pyzero.arena.match import GameRecord, play_pairing
from pyzero.games import Game, State


def pairings(names: list[str], mode: str, hero: str | None = None,
             yardsticks: list[str] | None = None) -> list[tuple[str, str]]:
    """Round robin: every unordered pair once. Gauntlet: `hero` against every other.
    Yardstick: every other player against each of the `yardsticks` (fixed players, e.g.
    alpha-beta depths 1-4), and each yardstick against the next in the list, so the Elo
    scale is connected while checkpoints never spend games on each other."""
    if len(set(names)) != len(names):
        raise ValueError(f"player names must be distinct: {names}")
    if mode == "round-robin":
        return list(itertools.combinations(names, 2))
    if mode == "gauntlet":
        if hero not in names:
            raise ValueError(f"the gauntlet player {hero!r} is not among the players {names}")
        return [(hero, other) for other in names if other != hero]
    if mode == "yardstick":
        fixed = [name for name in names if name in (yardsticks or [])]
        measured = [name for name in names if name not in fixed]
        if not fixed or not measured:
            raise ValueError(f"yardstick mode needs fixed players (baselines) and measured ones (checkpoints); "
                             f"got fixed {fixed}, measured {measured}")
        return list(zip(fixed, fixed[1:])) + [(name, stick) for name in measured for stick in fixed]
    raise ValueError(f"mode must be round-robin, gauntlet or yardstick, got {mode!r}")


@dataclass
class PlayerStanding:
    """A player's results; `engine` is the name an external engine gave itself (its `id
    name`; the player's own name is what the user wrote), None for other players."""

    player: str
    wins: int = 0
    draws: int = 0
    losses: int = 0
    step: int | None = None
    engine: str | None = None

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.0


@dataclass
class TournamentResult:
    game: str
    mode: str
    anchor: str
    games: list[GameRecord]
    standings: dict[str, PlayerStanding]
    ratings: dict[str, Rating]
    settings: dict = field(default_factory=dict)

    def pair_results(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """(wins, draws, losses) of a against b for each pair, a being whoever moved first
        in the pair's first game."""
        table: dict[tuple[str, str], list[int]] = {}
        for record in self.games:
            key = (record.second, record.first) if (record.second, record.first) in table else (record.first, record.second)
            counts = table.setdefault(key, [0, 0, 0])
            if record.winner is None:
                counts[1] += 1
            else:
                counts[0 if record.winner == key[0] else 2] += 1
        return {key: (wins, draws, losses) for key, (wins, draws, losses) in table.items()}

    def to_json(self) -> dict:
        return {
            "game": self.game, "mode": self.mode, "anchor": self.anchor, "settings": self.settings,
            "standings": [{**asdict(s), "games": s.games, "score": s.score} for s in self.standings.values()],
            "ratings": {name: asdict(rating) for name, rating in self.ratings.items()},
            "pairs": [{"a": a, "b": b, "a_wins": w, "draws": d, "a_losses": l}
                      for (a, b), (w, d, l) in self.pair_results().items()],
            "games": [asdict(record) for record in self.games],
        }


def standings_of(records: list[GameRecord], steps: dict[str, int | None],
                 engines: dict[str, str | None] | None = None) -> dict[str, PlayerStanding]:
    """Each player's wins, draws and losses in `records`, with its training step (`steps`)
    and its engine's own name (`engines`), by player name."""
    engines = engines or {}
    standings = {name: PlayerStanding(name, step=step, engine=engines.get(name)) for name, step in steps.items()}
    for record in records:
        for name in (record.first, record.second):
            standing = standings[name]
            if record.winner is None:
                standing.draws += 1
            elif record.winner == name:
                standing.wins += 1
            else:
                standing.losses += 1
    return standings


def run_tournament(game: Game, players: list, mode: str, games_per_pair: int, openings: list[State],
                   hero: str | None = None, anchor: str | None = None, seed: int = 0, max_game_plies: int = 0,
                   progress: Callable[[str, str, list[GameRecord]], None] | None = None,
                   settings: dict | None = None, time_control: TimeControl | None = None) -> TournamentResult:
    """Plays every pairing (each game on two clocks when there is a `time_control`), then
    fits Elo on all games with `anchor` (default: the first player) fixed at 0."""
    by_name = {player.name: player for player in players}
    if len(by_name) != len(players):
        raise ValueError(f"player names must be distinct: {[p.name for p in players]}")
    anchor = anchor or players[0].name
    if anchor not in by_name:
        raise ValueError(f"the anchor {anchor!r} is not among the players {list(by_name)}")
    records: list[GameRecord] = []
    # In yardstick mode the fixed players are those without a training step (baselines, engines).
    yardsticks = [player.name for player in players if getattr(player, "step", None) is None]
    for index, (a, b) in enumerate(pairings(list(by_name), mode, hero, yardsticks)):
        played = play_pairing(game, by_name[a], by_name[b], openings, games_per_pair, seed + index, max_game_plies,
                              time_control=time_control)
        records.extend(played)
        if progress:
            progress(a, b, played)
    results = [(r.first, r.second, r.score_of_first()) for r in records]
    ratings = fit_elo(results, anchor=anchor)
    steps = {p.name: getattr(p, "step", None) for p in players}
    engines = {p.name: engine_name(p) for p in players}
    return TournamentResult(game.name, mode, anchor, records, standings_of(records, steps, engines), ratings,
                            settings or {})


def engine_name(player) -> str | None:
    """The name an external engine gave itself (its `id name`), or None for other players."""
    return getattr(getattr(player, "identity", None), "name", None)


def write_json_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def plot_elo_by_step(result: TournamentResult, path: Path) -> bool:
    """Elo (with its interval) against training step for the checkpoint players, the
    other players as horizontal lines. False when no player has a step."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    networks = sorted((s.step, name) for name, s in result.standings.items() if s.step is not None)
    if not networks:
        return False
    figure, axes = plt.subplots(figsize=(7, 4.5))
    steps = [step for step, _ in networks]
    elos = [result.ratings[name].elo for _, name in networks]
    lower = [result.ratings[name].elo - result.ratings[name].lower for _, name in networks]
    upper = [result.ratings[name].upper - result.ratings[name].elo for _, name in networks]
    axes.errorbar(steps, elos, yerr=[lower, upper], marker="o", capsize=3, label="checkpoints")
    for name, standing in result.standings.items():
        if standing.step is None:
            line = axes.axhline(result.ratings[name].elo, linestyle="--", linewidth=1)
            axes.annotate(name, (steps[0], result.ratings[name].elo), color=line.get_color(), fontsize=8,
                          va="bottom")
    axes.set_xlabel("training step")
    axes.set_ylabel(f"Elo ({result.anchor} = 0)")
    axes.set_title(f"{result.game}: {result.mode}, 95% intervals")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=110)
    plt.close(figure)
    os.replace(temporary, path)
    return True
