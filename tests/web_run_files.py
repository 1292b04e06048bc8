"""A training run's files, written the way the trainer writes them, for the web tests of
"watch the run": TensorBoard scalars through torch's SummaryWriter (as TrainingView logs
them), evaluations.jsonl lines, an arena.json of rated checkpoints (the fields `pyzero
arena` writes that the page reads), and a replay shard of finished TicTacToe games written by
the replay buffer itself (so the shard's layout is the real one)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from pyzero.games import make
from pyzero.records import FinishedGames
from pyzero.replay import ReplayBuffer

# The smallest TicTacToe run config the web tests serve (a one-block network, 8 simulations).
TINY_TICTACTOE = """game:
  name: tictactoe
network:
  blocks: 1
  channels: 8
  value_hidden: 8
evaluation:
  simulations: 8
"""

SCALAR_STEPS = 6


def random_tictactoe_games(count: int, seed: int) -> list[list[str]]:
    """`count` complete random TicTacToe games as move lists."""
    rng = random.Random(seed)
    game = make("tictactoe")
    games = []
    for _ in range(count):
        state, moves = game.new(), []
        while not state.is_terminal():
            moves.append(rng.choice(state.legal_moves()))
            state.play(moves[-1])
        games.append(moves)
    return games


def write_run_files(run_directory: Path, games: list[list[str]]) -> None:
    """Scalars, evaluations and one replay shard holding `games` under `run_directory`."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(run_directory / "tensorboard"))
    for step in range(SCALAR_STEPS):
        writer.add_scalar("policy_loss", 2.0 / (step + 1), step)
        writer.add_scalar("positions_per_s", 100.0 + 10 * step, step)
    writer.close()
    with open(run_directory / "evaluations.jsonl", "w") as handle:
        for step, score in ((2, 0.5), (4, 0.75)):
            handle.write(json.dumps({"step": step, "vs random": score, "results": []}) + "\n")
    (run_directory / "arena").mkdir(parents=True, exist_ok=True)
    (run_directory / "arena" / "arena.json").write_text(json.dumps({
        "standings": [{"player": "random", "step": None}, {"player": "step-4", "step": 4},
                      {"player": "step-2", "step": 2}],
        "ratings": {"random": {"elo": 0.0}, "step-2": {"elo": 120.5}, "step-4": {"elo": 310.0}}}))
    replay_directory = run_directory / "replay"
    ReplayBuffer(make("tictactoe"), 10_000, replay_directory).add(finished_games(games))  # the trainer's writer
    assert sorted(path.name for path in replay_directory.iterdir()) == ["shard-00000000.npz"]


def finished_games(games: list[list[str]]) -> FinishedGames:
    """Self-play records of `games` (no policy targets: the watch view does not show them)."""
    game = make("tictactoe")
    actions, movers, winners = [], [], []
    for moves in games:
        state = game.new()
        for move in moves:
            movers.append(state.to_move())
            actions.append(state.move_to_action(move))
            state.play(move)
        winners.append(state.winner())
    plies = len(actions)
    return FinishedGames(
        game_ids=np.arange(len(games), dtype=np.int64), winners=np.array(winners, dtype=np.int8),
        lengths=np.array([len(moves) for moves in games], dtype=np.int32), actions=np.array(actions, dtype=np.int32),
        root_values=np.zeros(plies, dtype=np.float32), policy_counts=np.zeros(plies, dtype=np.int32),
        policy_actions=np.zeros(0, dtype=np.int32), policy_targets=np.zeros(0, dtype=np.float16),
        opening_plies=np.zeros(len(games), dtype=np.int32),
        start_positions=np.array([game.new().position()] * len(games)),
        start_plies=np.zeros(len(games), dtype=np.int32), movers=np.array(movers, dtype=np.int8))
