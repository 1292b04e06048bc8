"""The engine a person, a TEI client or the arena plays against: a network and Gumbel
search, limited by simulations or by time.

    engine = NetworkEngine.from_config(load_config("configs/tak.yaml"))   # latest checkpoint
    result = engine.analyse(state, SearchLimits(seconds=2.0))            # SearchResult
    engine.best_move(state, SearchLimits(simulations=200))               # a move in notation

Without a checkpoint the network is untrained (its priors are near uniform); `checkpoint`
says which one was loaded. The search plays deterministically (no Gumbel noise) unless
`gumbel_scale` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from pyzero.games import Game, State
from pyzero.search import EvaluationCache, GumbelOptions, GumbelSearcher, SearchResult, SearchStop


@dataclass(frozen=True)
class SearchLimits:
    """How long one search may run: a number of simulations, a time, or both (whichever
    ends first). `survey_fraction` is the share of a timed search spent first visiting
    every legal root move once, in prior order (anytime sequential halving's first phase);
    None takes the engine's (the config's `search.survey_fraction`)."""

    simulations: int | None = None
    seconds: float | None = None
    survey_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.simulations is None and self.seconds is None:
            raise ValueError("a search needs simulations=, seconds= or both")
        if self.simulations is not None and self.simulations < 1:
            raise ValueError(f"simulations must be at least 1, got {self.simulations}")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError(f"seconds must be positive, got {self.seconds}")
        if self.survey_fraction is not None and not 0 <= self.survey_fraction < 1:
            raise ValueError(f"survey_fraction must be within [0, 1), got {self.survey_fraction}")


def load_network(config, checkpoint: str | Path | None = None, game: Game | None = None
                 ) -> tuple[torch.nn.Module, Path | None, int | None]:
    """(model in eval mode, checkpoint path or None, learner step or None) for a run config.

    `checkpoint` is a file, a run directory (its latest checkpoint) or None (the config's
    run directory's latest checkpoint, or an untrained network when there is none)."""
    from pyzero.config import make_game_from_config
    from pyzero.training.checkpoint import load_latest_checkpoint, read_checkpoint
    from pyzero.training.trainer import build_model

    game = game or make_game_from_config(config)
    model = build_model(config, game)
    if checkpoint is None:
        directory = config.run_directory() / "checkpoints"
        found = load_latest_checkpoint(directory, warn=lambda message: None)
    else:
        path = Path(checkpoint)
        if path.is_dir():
            directory = path / "checkpoints" if (path / "checkpoints").is_dir() else path
            found = load_latest_checkpoint(directory, warn=lambda message: None)
            if found is None:
                raise FileNotFoundError(f"{path}: no readable checkpoint")
        elif path.is_file():
            found = (path, read_checkpoint(path))
        else:
            raise FileNotFoundError(f"{path}: no such checkpoint file or run directory")
    if found is None:
        model.eval()
        return model, None, None
    path, payload = found
    model.load_state_dict(payload["learner"]["model"])
    model.eval()
    return model, path, int(payload["learner"].get("step", 0))


def network_evaluator(model: torch.nn.Module):
    """A search evaluator (planes, legal) -> (logits, values) running `model` on CPU."""
    def evaluate(planes, legal):
        with torch.inference_mode():
            logits, values = model(torch.from_numpy(planes))
        return logits.float().numpy(), values.float().numpy()
    return evaluate


def play_gumbel_options(config) -> GumbelOptions:
    """The config's Gumbel search options with the noise off: how an engine plays."""
    gumbel = config.search.gumbel
    return GumbelOptions(max_considered_actions=gumbel.max_considered_actions, gumbel_scale=0.0,
                         c_visit=gumbel.c_visit, c_scale=gumbel.c_scale, rescale=gumbel.rescale)


class NetworkEngine:
    """A network (or the uniform evaluator when `model` is None) searched with Gumbel MCTS."""

    def __init__(self, game: Game, model: torch.nn.Module | None, gumbel: GumbelOptions | None = None,
                 limits: SearchLimits | None = None, seed: int = 0, name: str = "pyzero",
                 cache_entries: int = 1 << 16, torch_threads: int | None = 1, survey_fraction: float = 0.1):
        # The search sends small batches (a survey batch, m leaves): one PyTorch thread is
        # fastest for them, and several OpenMP threads on a busy 2-core machine took 170 ms
        # per batch against 0.2 ms for one (measured). This is process-wide; None keeps it.
        if torch_threads is not None and model is not None:
            torch.set_num_threads(torch_threads)
        self.game = game
        self.model = model.eval() if model is not None else None
        self.gumbel = gumbel or GumbelOptions(gumbel_scale=0.0)
        self.limits = limits or SearchLimits(simulations=200)
        self.seed = seed
        self.name = name
        self.survey_fraction = survey_fraction
        self.checkpoint: Path | None = None
        self.step: int | None = None
        self.cache = EvaluationCache(cache_entries, max_policy_length=game.num_actions) if cache_entries else None

    @classmethod
    def from_config(cls, config, checkpoint: str | Path | None = None, limits: SearchLimits | None = None,
                    seed: int = 0, name: str | None = None) -> "NetworkEngine":
        """The engine of a run config: its game, network (latest or given checkpoint) and
        Gumbel options (noise off), with `limits` or the config's evaluation simulations."""
        from pyzero.config import make_game_from_config

        game = make_game_from_config(config)
        model, path, step = load_network(config, checkpoint, game)
        engine = cls(game, model, play_gumbel_options(config), limits or SearchLimits(simulations=config.evaluation.simulations), seed,
                     name or (f"step-{step}" if step is not None else "untrained"),
                     survey_fraction=config.search.survey_fraction)
        engine.checkpoint, engine.step = path, step
        return engine

    def evaluator(self):
        """The search evaluator: the network on CPU, or "uniform" without one."""
        return "uniform" if self.model is None else network_evaluator(self.model)

    def analyse(self, state: State, limits: SearchLimits | None = None, stop: SearchStop | None = None
                ) -> SearchResult:
        """One search from `state` (a fresh tree; the cache carries across calls). `stop`,
        set by another thread, ends a time-limited search early."""
        limits = limits or self.limits
        searcher = GumbelSearcher(state, self.gumbel)
        if limits.seconds is None:
            return searcher.run(limits.simulations, self.evaluator(), self.seed, self.cache)
        return searcher.run_for(limits.seconds, self.evaluator(), self.seed, self.cache,
                                max_simulations=limits.simulations, stop=stop,
                                survey_fraction=self.survey_fraction if limits.survey_fraction is None
                                else limits.survey_fraction)

    def best_move(self, state: State, limits: SearchLimits | None = None) -> str:
        return self.analyse(state, limits).chosen_move

    def choose(self, state: State, rng=None) -> str:
        """The arena's player interface (`name`, `choose`; `step` for checkpoints)."""
        return self.best_move(state)
