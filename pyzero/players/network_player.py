"""The engine a person, a TEI client or the arena plays against: a network and Gumbel
search (or the graph search: with `search.play: graph` always, with `auto`, the default,
for searches limited by time), limited by simulations or by time.

    engine = NetworkPlayer.from_config(load_config("configs/tak.yaml"))   # latest checkpoint
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

from pyzero.config import InferenceSection, SearchSection, make_game_from_config
from pyzero.games import Game, State
from pyzero.inference import CachedInference, make_inference
from pyzero.model import build_model, load_network
from pyzero.networks import BundledNetwork, NetworkChoice
from pyzero.players.time_manager import board_side, clock_budget_ms
from pyzero.search import (GraphOptions, GraphSearcher, GumbelOptions, GumbelSearcher, PuctOptions, SearchResult,
                           SearchStop)


SURVEY_FRACTION = SearchSection.model_fields["survey_fraction"].default  # the schema's, not a copy


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


def play_gumbel_options(config) -> GumbelOptions:
    """The config's Gumbel search options with the noise off: how an engine plays."""
    return config.search.gumbel.model_copy(update={"gumbel_scale": 0.0})


def play_puct_options(config) -> PuctOptions:
    """The config's PUCT options with the root noise off and the most visited move played:
    how the graph search plays where it selects by PUCT (search.graph.root/interior: puct)."""
    return config.search.puct.model_copy(update={"dirichlet_fraction": 0.0, "temperature": 0.0})


def history_arguments(player, history: tuple[int, ...]) -> dict:
    """The keyword arguments of `player.choose` (and `choose_on_clock`) that hand it the
    keys of the game's earlier positions (oldest first), for a player that `takes_history`
    (a network engine); none for the others (the baselines, TEI and UCI engines)."""
    return {"history": history} if getattr(player, "takes_history", False) else {}


class NetworkPlayer:
    """A network (or the uniform evaluator when `model` is None) searched with Gumbel MCTS.

    The network runs behind the config's inference backend and device with an evaluation
    cache around it (`inference`, a `CachedInference`; made from `model` and
    `inference_options` when not given). The cache is allocated at the first search, so
    engines made for games that are never played cost no cache memory."""

    def __init__(self, game: Game, model: torch.nn.Module | None, gumbel: GumbelOptions | None = None,
                 limits: SearchLimits | None = None, seed: int = 0, name: str = "pyzero",
                 inference_options: InferenceSection | None = None, survey_fraction: float = SURVEY_FRACTION,
                 inference: CachedInference | None = None, graph: GraphOptions | None = None,
                 puct: PuctOptions | None = None, graph_untimed: bool = True):
        self.game = game
        # With `graph`, searches are graph searches (the rules `graph` names: by default
        # halving at the root and Gumbel's rule below it; PUCT takes `puct`, noise off),
        # and the graph is kept from one search to the next of the same game. Without
        # `graph_untimed` (search.play: auto) only time-limited searches are; searches of a
        # number of simulations alone are the Gumbel tree search's.
        self.graph = graph
        self.graph_untimed = graph_untimed
        # In a game with a repetition rule (chess's threefold) the tree search, which knows
        # no history, repeats positions while winning (an hour's chess network drew 3 of 20
        # won games against a random mover so; with the graph search and the game's history,
        # none): there `auto` takes the graph search at fixed simulations too.
        self.graph_for_repetitions = game.new().repetitions_for_draw() > 0
        self.puct = puct or PuctOptions(dirichlet_fraction=0.0, temperature=0.0)
        self._graph_searcher: GraphSearcher | None = None
        self.model = model.eval() if model is not None else None
        if inference is None and model is not None:
            inference = make_inference(self.model, inference_options, search_threads=True)
        self.inference = inference
        self.gumbel = gumbel or GumbelOptions(gumbel_scale=0.0)
        self.limits = limits or SearchLimits(simulations=200)
        self.seed = seed
        self.name = name
        self.survey_fraction = survey_fraction
        self.checkpoint: Path | None = None
        self.step: int | None = None
        # What plays, for a command's first line and the logs of TEI and UCI.
        self.description = name
        self.bundled: BundledNetwork | None = None  # the bundled network it plays, if it does

    @property
    def cache(self):
        """The evaluation cache (None for the uniform evaluator or with `cache_entries` 0)."""
        return self.inference.cache if self.inference is not None else None

    @classmethod
    def from_config(cls, config, checkpoint: str | Path | None = None, limits: SearchLimits | None = None,
                    seed: int = 0, name: str | None = None, game: Game | None = None,
                    model: torch.nn.Module | None = None) -> "NetworkPlayer":
        """The engine of a run config: its game, network (latest or given checkpoint, or
        `model`), inference backend, device and cache, and Gumbel options (noise off),
        with `limits` or the config's evaluation simulations."""
        game = game or make_game_from_config(config)
        path = step = None
        if model is None:
            model, path, step = load_network(config, checkpoint, game)
        engine = cls(game, model, play_gumbel_options(config),
                     limits or SearchLimits(simulations=config.evaluation.simulations), seed,
                     name or (f"step-{step}" if step is not None else "untrained"),
                     inference_options=config.inference, survey_fraction=config.search.survey_fraction,
                     graph=config.search.graph if config.search.play in ("graph", "auto") else None,
                     puct=play_puct_options(config), graph_untimed=config.search.play == "graph")
        engine.checkpoint, engine.step = path, step
        if path is not None and name is None:
            engine.description = f"{path} (step {step})"
        return engine

    @classmethod
    def from_choice(cls, choice: NetworkChoice, limits: SearchLimits | None = None, seed: int = 0) -> "NetworkPlayer":
        """The engine of a `pyzero.networks.choose_network` choice: a checkpoint, the run's
        latest, a bundled network, or an untrained network whose weights come from `seed`
        (torch's global random state is left as it was), so the same seed plays the same moves."""
        if choice.source != "untrained":
            engine = cls.from_config(choice.config, choice.checkpoint, limits, seed, name=choice.player_name)
            if choice.bundled is not None:
                engine.description, engine.bundled = choice.describe(), choice.bundled
            return engine
        game = make_game_from_config(choice.config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_model(choice.config, game)
        engine = cls.from_config(choice.config, limits=limits, seed=seed, name="untrained", game=game, model=model)
        engine.description = "an untrained network"
        return engine

    def evaluator(self):
        """The search evaluator: the network behind its backend, or "uniform" without one."""
        return "uniform" if self.inference is None else self.inference.evaluator

    def analyse(self, state: State, limits: SearchLimits | None = None, stop: SearchStop | None = None,
                history: tuple[int, ...] = ()) -> SearchResult:
        """One search from `state` (Gumbel: a fresh tree; the graph search: the kept graph
        when `state` follows the last search's position; the cache carries across calls).
        `stop`, set by another thread, ends a time-limited search early. `history`: keys of
        the positions played before `state`, oldest first; the graph search scores a
        return to one of them as a repetition (the tree searches do not use it)."""
        limits = limits or self.limits
        if self.uses_graph(limits):
            graph_searcher = self._graph_for(state, history)
            graph_searcher.survey_fraction = (self.survey_fraction if limits.survey_fraction is None
                                              else limits.survey_fraction)
            if limits.seconds is None:
                return graph_searcher.run(limits.simulations, self.evaluator(), self.seed, self.cache)
            return graph_searcher.run_for(limits.seconds, self.evaluator(), self.seed, self.cache,
                                          max_simulations=limits.simulations, stop=stop)
        searcher = GumbelSearcher(state, self.gumbel)
        if limits.seconds is None:
            return searcher.run(limits.simulations, self.evaluator(), self.seed, self.cache)
        return searcher.run_for(limits.seconds, self.evaluator(), self.seed, self.cache,
                                max_simulations=limits.simulations, stop=stop,
                                survey_fraction=self.survey_fraction if limits.survey_fraction is None
                                else limits.survey_fraction)

    def uses_graph(self, limits: SearchLimits | None = None) -> bool:
        """Whether a search with `limits` (default: the engine's) is a graph search."""
        limits = limits or self.limits
        return self.graph is not None and (self.graph_untimed or limits.seconds is not None
                                           or self.graph_for_repetitions)

    def _graph_for(self, state: State, history: tuple[int, ...] = ()) -> GraphSearcher:
        """The kept graph moved on to `state` when it is the last search's position or
        within two plies of it along the graph (this engine's move and the reply: a TEI
        `position` after `bestmove`, the arena's next turn; the positions it leaves join
        its history); else a new graph with `history`."""
        searcher = self._graph_searcher
        line = searcher.line_to(state) if searcher is not None else None
        if line is None:
            searcher = GraphSearcher(state, self.puct, self.graph, history=list(history), gumbel=self.gumbel)
        else:
            for action in line:
                searcher.advance(action)
        self._graph_searcher = searcher
        return searcher

    def set_search_threads(self, threads: int) -> None:
        """Threads walking one search graph (search.graph.threads) from the next search on;
        a kept graph is dropped when the count changes. No effect without the graph search."""
        if self.graph is not None and self.graph.threads != threads:
            self.graph = self.graph.model_copy(update={"threads": threads})
            self._graph_searcher = None

    def best_move(self, state: State, limits: SearchLimits | None = None, history: tuple[int, ...] = ()) -> str:
        return self.analyse(state, limits, history=history).chosen_move

    # The arena and the in-run evaluation pass `history` (see history_arguments).
    takes_history = True

    def choose(self, state: State, rng=None, history: tuple[int, ...] = ()) -> str:
        """The arena's player interface (`name`, `choose`; `step` for checkpoints)."""
        return self.best_move(state, history=history)

    def choose_on_clock(self, state: State, rng, remaining_ms: tuple[float, float], increment_ms: float,
                        history: tuple[int, ...] = ()) -> str:
        """The arena's clock interface: a move searched for the time manager's share of the
        side to move's clock (`remaining_ms` by side, side 0 first; `increment_ms` after
        each move), as TEI's `go wtime ... winc ...` would give it."""
        rows, columns = self.game.input_shape[-2:]
        budget_ms = clock_budget_ms(remaining_ms[state.to_move()], increment_ms, state.ply,
                                    board_side(int(rows), int(columns)))
        return self.best_move(state, SearchLimits(seconds=budget_ms / 1000.0), history)
