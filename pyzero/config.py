"""Run configurations: YAML files that anchor everything a run does.

A config names the game and its options, the network, the search, self-play, the replay
buffer, the optimiser and schedule, checkpoints, evaluation and the run directory. Every
option is defined once, here, with its default, type and range; the CLI reads the same
objects. `inherit: other.yaml` (a path relative to the file) starts from another config,
so a bigger network is a three-line file; `inherit: [connect4.yaml,
presets/network-20x256.yaml]` merges several in order (a config, then a network preset),
later files winning. Unknown keys, wrong types and out-of-range values are rejected with
the file, the line, the key and the reason.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator, ValidationInfo

from pyzero.games import game_names, unknown_game_message
from pyzero.shipped_files import shipped_folder


# Keys that moved to another section: an old config gets an error that says where to.
MOVED_KEYS = {("selfplay", key): ("inference", key)
              for key in ("backend", "device", "precision", "compile", "cache_entries", "max_policy_length")}

# `compile`: true, false, or "auto" (on where the section's device is CUDA, off elsewhere:
# torch.compile pays off on a GPU, and on a CPU it costs minutes of compilation for little).
CompileChoice = Literal["auto", True, False]


def compile_enabled(choice: CompileChoice, device: str) -> bool:
    """Whether a section's `compile` choice compiles on `device`."""
    if choice == "auto":
        return device.startswith("cuda")
    return bool(choice)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says where and why."""


# The device types PyTorch's device strings may name (torch.device("cuda:1"), "mps"...).
TORCH_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "hip", "mtia", "hpu", "xla", "lazy", "vulkan", "meta", "ipu",
                      "ve", "fpga", "maia", "privateuseone", "mkldnn", "opengl", "opencl", "ideep")
DEVICE_PATTERN = re.compile(rf"^({'|'.join(TORCH_DEVICE_TYPES)})(:[0-9]+)?$")


def checked_device_name(value: str) -> str:
    """`value` if it is a device PyTorch can name (cpu, cuda, cuda:1, mps...), checked
    when the config is read rather than when a run has started and written its files."""
    if not DEVICE_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a PyTorch device (expected cpu, cuda, cuda:N, mps, ...)")
    return value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class GameSection(Section):
    name: str = Field(description="a game the engine registers (mojo/engine_module.mojo)")
    options: dict[str, float] = Field(default_factory=dict, description="game options, e.g. size, komi")

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        # The engine's registry is the one list of games (this loads the engine, building it if needed).
        if value not in game_names():
            raise ValueError(unknown_game_message(value))
        return value


class NetworkSection(Section):
    blocks: int = Field(6, ge=0, le=64, description="residual blocks")
    channels: int = Field(64, ge=1, le=1024)
    policy_channels: int = Field(8, ge=1, le=256)
    value_channels: int = Field(4, ge=1, le=256)
    value_hidden: int = Field(64, ge=1, le=4096)
    policy_head: Literal["dense", "planes"] = Field(
        "dense", description="dense: a 1x1 convolution to policy_channels planes and a linear layer onto every "
        "action (weights grow with squares x actions); planes: convolutions onto move-shaped board planes, each "
        "action read at its square and kind (a few thousand weights, shared across the board; TicTacToe and Tak "
        "only, see pyzero/games/policy_planes.py)")
    global_pooling_channels: int = Field(
        0, ge=0, le=1024, description="0: off; else every second residual block averages and maximises this many "
        "of its channels over the board into a bias for every square (KataGo's global pooling), so a small "
        "network sees board-wide facts; at most network.channels")

    opponent_policy_head: bool = Field(
        False, description="a second policy head, trained to predict the opponent's reply (KataGo's auxiliary "
        "policy target, weighted by training.opponent_policy_weight): more for the trunk to learn from each "
        "position; used in training only")
    value_head: Literal["scalar", "wdl"] = Field(
        "scalar", description="scalar: AlphaZero's tanh value; wdl: win/draw/loss logits trained by cross-entropy "
        "(lc0's WDL head), which tells a drawn position from an unclear one; the search reads W - L either way")

    @field_validator("global_pooling_channels")
    @classmethod
    def _pooled_channels_exist(cls, value: int, info: ValidationInfo) -> int:
        channels = info.data.get("channels")  # validated before (field order)
        if channels is not None and value > channels:
            raise ValueError(f"network.global_pooling_channels ({value}) is more than network.channels ({channels})")
        return value


class GumbelSection(Section):
    max_considered_actions: int = Field(16, ge=1, description="m: actions sampled by Gumbel-top-k")
    gumbel_scale: float = Field(1.0, ge=0, description="0 for deterministic play")
    c_visit: float = Field(50.0, gt=0)
    c_scale: float = Field(0.1, gt=0)
    rescale: bool = True
    rounds_per_batch: int = Field(1, ge=0, description="sequential-halving rounds per leaf batch; 0 = a whole phase")


class PuctSection(Section):
    c_init: float = Field(1.25, gt=0)
    c_base: float = Field(19652.0, gt=0)
    fpu_reduction: float = Field(0.25, ge=0)
    dirichlet_alpha: float = Field(0.3, gt=0)
    dirichlet_fraction: float = Field(0.25, ge=0, le=1)
    virtual_loss: float = Field(1.0, ge=0)
    leaves_per_batch: int = Field(8, ge=1)
    temperature: float = Field(1.0, ge=0)


class GraphSection(Section):
    """The graph search for live play (pyzero/search.py GraphSearcher). Its defaults (anytime
    halving at the root, Gumbel's rule below it) played stronger than PUCT at both places
    (docs/measurements/search.md). Where a rule is puct it selects with the search.puct
    options, noise and all."""

    transpositions: bool = Field(True, description="positions reached by different move orders share one node; "
                                 "false: every node is new (a tree: for tests and for measuring what sharing saves)")
    repetition_value: float = Field(0.0, ge=-1, le=1, description="value of a position repeated within a playout "
                                    "or from the game's history, for the side to move there (0: a draw)")
    threads: int = Field(1, ge=1, le=256, description="threads walking one graph at once (each evaluates its "
                         "own batches; in-flight playouts count as virtual losses, search.puct.virtual_loss)")
    max_nodes: int = Field(1_000_000, ge=2, description="the graph's capacity: at this many nodes a search "
                           "stops adding playouts")
    root: Literal["puct", "halving"] = Field(
        "halving", description="how the root chooses each playout's move: puct (as every other node), or halving "
        "(anytime sequential halving as the Gumbel search plays: a survey of the moves in prior order for "
        "search.survey_fraction of the time, or of the playouts when untimed, then passes of halving over the "
        "best search.gumbel.max_considered_actions by prior and sigma(Q); threads fill each phase's share; "
        "the move played is the best ranked that was searched)")
    interior: Literal["puct", "gumbel"] = Field(
        "gumbel", description="how nodes below the root choose each playout's edge: puct (search.puct's "
        "c_init, c_base, fpu_reduction, virtual_loss), or gumbel (the Gumbel search's deterministic rule, "
        "argmax pi' - N/(1 + sum N) with pi' = softmax(log prior + sigma(completed Q)) and "
        "search.gumbel's sigma parameters; in-flight playouts count in N, no virtual loss)")


class SearchSection(Section):
    algorithm: Literal["gumbel", "puct"] = "gumbel"
    # auto is the default because the graph search is the stronger one under a clock
    # (docs/measurements/search.md) while at a fixed number of simulations it is not, and
    # fixed budgets are what the in-run evaluation and the arena's batched pairings use.
    play: Literal["auto", "gumbel", "graph"] = Field(
        "auto", description="the search of pyzero play, tei, uci and the arena's network players: gumbel "
        "(anytime Gumbel over a tree), graph (the graph search, search.graph, noise off), or auto (the graph "
        "search for searches limited by time or a clock and, in games with a repetition rule (chess), for all; "
        "else the Gumbel tree search for a number of simulations)")
    simulations: int = Field(64, ge=1, le=1_000_000)
    gumbel: GumbelSection = Field(default_factory=GumbelSection)
    puct: PuctSection = Field(default_factory=PuctSection)
    graph: GraphSection = Field(default_factory=GraphSection)
    survey_fraction: float = Field(0.1, ge=0, lt=1, description="time-limited play: share of the time spent "
                                   "visiting every root move once, in prior order, before sequential halving")


class SelfPlaySection(Section):
    games: int = Field(256, ge=1, le=1_000_000, description="concurrent games")
    workers: int = Field(1, ge=1, le=256, description="Mojo worker threads")
    batch_size: int = Field(128, ge=1, le=65536, description="network batch")
    buffers: int = Field(2, ge=2, le=16, description="batch buffers per network (double buffering and more); "
                         "more than network_threads, so one fills while each thread evaluates one")
    network_threads: int = Field(1, ge=1, le=16, description="threads evaluating batches per network, each one "
                                 "batch at a time; on a CPU each gets its share of the cores as intra-op "
                                 "threads (2 on 2 cores: two one-thread batches at once instead of one batch "
                                 "split over both cores, whose halves wait on each other whenever a worker "
                                 "or the learner takes a core)")
    timeout_ms: float = Field(2.0, ge=0.1, le=100.0, description="a partial batch goes to the network after this")
    max_game_plies: int = Field(0, ge=0, description="0: no cap; else a longer game is a draw")
    noise_plies: int = Field(-1, ge=-1, description="plies (counted from the empty board) played with the search's Gumbel noise; "
                             "later moves are the search's best (gumbel_scale 0); -1: noise at every ply")
    random_opening_plies: int = Field(0, ge=0, le=1000, description="each game opens with 0..N uniformly random legal "
                                      "moves (N drawn uniformly per game), not trained on: wider positions; 0: none")
    full_search_fraction: float = Field(1.0, gt=0, le=1, description="playout cap randomization (KataGo): the "
                                        "share of moves searched with search.simulations and recorded as policy "
                                        "targets; the others get a fast search of fast_simulations, are played, "
                                        "and train only the value: more games, so more value targets, for the "
                                        "same CPU time. 1: every move is a full search")
    fast_simulations: int = Field(0, ge=0, le=1_000_000, description="simulations of a fast search (needed when "
                                  "full_search_fraction is below 1; a few, against search.simulations)")
    tree_reuse: bool = True
    worker_priority: Literal["idle", "normal"] = Field(
        "idle", description="idle: the workers run under Linux's SCHED_IDLE policy, on the cores the network's "
        "(and the learner's) threads leave; a waking network thread takes its core back at once instead of "
        "waiting out a worker, so a batch split over the cores is not held up by the half whose core a worker "
        "took (measured in docs/measurements/selfplay.md). normal: ordinary threads. "
        "Elsewhere than Linux the workers stay normal (bench's idle_priority_workers says which ran)")

    @field_validator("fast_simulations")
    @classmethod
    def _fast_searches_search(cls, value: int, info: ValidationInfo) -> int:
        fraction = info.data.get("full_search_fraction")  # validated before (field order)
        if fraction is not None and fraction < 1 and value < 1:
            raise ValueError(f"selfplay.fast_simulations must be at least 1 when selfplay.full_search_fraction "
                             f"({fraction}) is below 1: the fast searches need simulations")
        return value

    @field_validator("network_threads")
    @classmethod
    def _a_buffer_left_to_fill(cls, value: int, info: ValidationInfo) -> int:
        buffers = info.data.get("buffers")  # validated before (field order); absent if it was invalid
        if buffers is not None and buffers <= value:
            raise ValueError(f"selfplay.buffers ({buffers}) must be more than selfplay.network_threads ({value}): "
                             "with every buffer being evaluated none is left for the workers to fill")
        return value


class InferenceSection(Section):
    """How every command runs the network: self-play, play, TEI, the arena, the training
    evaluation and the benchmarks all take their backend and cache from here, so
    `device: cuda` moves them all to the GPU."""

    backend: Literal["auto", "torch", "onnxruntime"] = Field(
        "auto", description="auto (the fastest installed for the device: onnxruntime on cpu where installed, "
        "else torch; see pyzero/inference/__init__.py), torch (PyTorch eager or torch.compile, any device) or "
        "onnxruntime (the model exported to ONNX; cpu, or cuda with onnxruntime-gpu; needs pip install "
        "'pyzero[onnx]')")
    device: str = Field("cpu", description="cpu, cuda, cuda:1, ...")
    precision: Literal["float32", "float16", "bfloat16"] = Field("float32", description="autocast on CUDA")
    # Off by default (unlike training.compile): one-search engines (play, TEI, the arena)
    # send batches of every size, each a recompilation; `auto` compiles on CUDA only.
    # Self-play's batches have one size, and there it pays: on an H200 the 64 M preset's
    # self-play made 94 k evaluations/s compiled against 38 k eager (bfloat16, batch 512),
    # so configs/connect4-64m-gpu.yaml turns it on.
    compile: CompileChoice = Field(False, description="torch.compile the inference model: true, false, or auto "
                                   "(on CUDA only); slow to start; falls back to eager, with a warning, where "
                                   "compilation fails")
    cpu_threads: int = Field(0, ge=0, le=1024, description="intra-op threads of CPU inference (torch's or "
                             "ONNX Runtime's); 0: the cores the "
                             "self-play workers leave (self-play) or 1 (one search at a time)")
    thread_spinning: bool = Field(False, description="ONNX Runtime's intra-op threads spin while they wait for "
                                  "work (ONNX Runtime's own default) instead of sleeping; false: they sleep, "
                                  "so self-play gives ONNX Runtime every core and an idle one goes to the "
                                  "workers or the learner (faster as a whole run: docs/measurements/selfplay.md)")
    cache_entries: int = Field(65536, ge=0, description="evaluation cache entries per network (0: off). Memory: "
                               "about 2 L + 20 bytes an entry, L = max_policy_length "
                               "(65536 entries: 3 MB at L = 7, 69 MB at L = 512, 136 MB at L = 1024) at most, "
                               "allocated at the first search; only what searches fill becomes resident")
    max_policy_length: int = Field(512, ge=1, le=65535, description="longest legal-move list the cache stores "
                                   "(longer positions are evaluated, not cached); sizes each entry")

    @field_validator("device")
    @classmethod
    def _a_torch_device(cls, value: str) -> str:
        return checked_device_name(value)


class ReplaySection(Section):
    window_positions: int = Field(100_000, ge=1, description="most recent positions sampled from (with "
                                  "window_start_positions: the most the window grows to)")
    window_start_positions: int | None = Field(
        None, ge=1, description="null: the window is window_positions from the start; else it starts this wide "
        "and grows with the positions generated (KataGo's schedule, pyzero.replay.growing_window_size), so the "
        "first, weakest games leave it sooner")
    min_positions: int = Field(1000, ge=1, description="positions before training starts")
    symmetries: bool = True

    @model_validator(mode="after")
    def _the_window_holds_enough_to_start(self) -> "ReplaySection":
        if self.window_start_positions is not None and self.window_start_positions < self.min_positions:
            raise ValueError(f"replay.window_start_positions ({self.window_start_positions}) is below "
                             f"replay.min_positions ({self.min_positions}): training would never start")
        return self


class OptimizerSection(Section):
    name: Literal["adamw", "sgd", "lion"] = Field(
        "adamw", description="adamw, sgd (Nesterov momentum) or lion (the lion-pytorch package; it wants a "
        "learning rate 3-10x smaller than AdamW's and a weight decay as much larger)")
    learning_rate: float = Field(1e-3, gt=0, le=10)
    weight_decay: float = Field(1e-4, ge=0, le=10)
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD only")
    schedule: Literal["constant", "cosine", "step"] = "cosine"
    warmup_steps: int = Field(100, ge=0)
    step_every: int = Field(10_000, ge=1, description="step schedule: steps between decays")
    step_gamma: float = Field(0.1, gt=0, le=1)


class TrainingSection(Section):
    steps: int = Field(100_000, ge=1, description="learner steps of the whole run")
    batch_size: int = Field(256, ge=1, le=65536, description="samples per learner step (the effective batch)")
    gradient_accumulation_steps: int = Field(
        1, ge=1, le=1024, description="split each learner step's batch into this many micro-batches whose "
        "gradients add up to the whole batch's (less memory for large networks; batch_size must be a "
        "multiple). Batch norm sees each micro-batch's statistics")
    replay_ratio: float = Field(4.0, gt=0, description="samples trained per sample generated")
    publish_interval: int = Field(50, ge=1, description="learner steps between weight updates to self-play")
    # The cores option of a CPU run: self-play's share is selfplay.workers and
    # inference.cpu_threads, the learner's is this. More learner threads than the cores
    # self-play leaves spin against the busy self-play threads and slow both
    # (docs/measurements/selfplay.md).
    cpu_threads: int = Field(0, ge=0, le=1024, description="torch threads of the learner on a CPU; 0: as many "
                             "as self-play's CPU inference gets (the cores its workers leave), or under Ray "
                             "the cores this node's actors leave")
    value_q_weight: float = Field(0.0, ge=0, le=1, description="value target = (1-w) outcome + w root Q")
    opponent_policy_weight: float = Field(0.15, ge=0, le=10, description="weight of the opponent-reply policy "
                                          "loss, for a network with network.opponent_policy_head")
    value_discount: float = Field(1.0, gt=0, le=1, description="outcome x this ** plies to the game's end "
                                  "(1: off; below 1 a faster win scores more)")
    device: str = Field("cpu", description="cpu, cuda, cuda:1, ...")
    precision: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="autocast of the learner's forward pass: auto (bfloat16 on CUDA, float32 on CPU), "
        "float32 (off), bfloat16, or float16 (with a gradient scaler)")
    compile: CompileChoice = Field("auto", description="torch.compile the training model: true, false, or auto "
                                   "(on CUDA only); falls back to eager, with a warning, where compilation fails")
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _mixed_precision_of_older_runs(cls, data: Any) -> Any:
        """training.mixed_precision (true: bfloat16 on CUDA; false: off) became `precision`.
        Every run directory written before holds it in config.yaml, and those must still
        load (resume, connect4-positions): true reads as "auto", false as "float32"."""
        if isinstance(data, dict) and isinstance(data.get("mixed_precision"), bool):
            data = dict(data)
            data.setdefault("precision", "auto" if data.pop("mixed_precision") else "float32")
        return data

    @field_validator("device")
    @classmethod
    def _a_torch_device(cls, value: str) -> str:
        return checked_device_name(value)

    @field_validator("gradient_accumulation_steps")
    @classmethod
    def _whole_micro_batches(cls, value: int, info: ValidationInfo) -> int:
        batch_size = info.data.get("batch_size")  # validated before (field order); absent if it was invalid
        if batch_size is not None and batch_size % value:
            raise ValueError(f"training.batch_size {batch_size} is not a multiple of {value}: every micro-batch "
                             "must have the same size for the accumulated gradient to be the whole batch's")
        return value


class CheckpointSection(Section):
    interval_steps: int = Field(500, ge=1)
    keep_last: int = Field(5, ge=1)


class EvaluationSection(Section):
    interval_steps: int = Field(1000, ge=1)
    games: int = Field(20, ge=0, description="games per opponent (0: no evaluation)")
    simulations: int = Field(32, ge=1)
    rollout_simulations: int = Field(200, ge=1, description="the plain-MCTS baseline's simulations")
    opponents: list[Literal["random", "mcts", "alphabeta", "previous"]] = Field(
        default_factory=lambda: ["random", "mcts", "previous"],
        description="alphabeta: the alpha-beta yardstick at alphabeta_depth (Tak only)")
    alphabeta_depth: int = Field(2, ge=1, le=8, description="depth of the alpha-beta opponent")
    alphabeta_evaluation: Literal["road", "simple"] = Field(
        "road", description="the alpha-beta opponent's evaluation: road (distance to a road, threats, flats, "
        "stacks) or simple (the first yardstick, a road span)")
    max_game_plies: int | None = Field(None, ge=0, description="the arena's and the in-run evaluation's "
                                       "games are drawn after this many plies (0: never); null: "
                                       "selfplay.max_game_plies")

    def ply_cap(self, selfplay: SelfPlaySection) -> int:
        """The evaluation games' draw adjudication (0: none). Self-play's cap is a training
        convenience (finished games reach the buffer sooner); a game whose rules end every
        game (chess: the fifty-move rule) can set 0 here to play evaluations out."""
        return selfplay.max_game_plies if self.max_game_plies is None else self.max_game_plies


class UpgradeSection(Section):
    """Growing a run: a config that inherits from a run's config, changes the network and
    names that run in `from_run` starts a new run from the old one's replay buffer and
    counters (its shards are copied; the old run directory is only read), trains the new
    network on them for `pretrain_steps` learner steps (optionally distilled from the old
    network), then continues self-play with the new network."""

    from_run: str = Field("", description="the run directory to grow from (relative to the working directory, "
                          "like run_dir); empty: an ordinary run")
    from_network: str = Field("", description="a network to start from instead of random weights: a bundled "
                              "network's name (pyzero networks) or a network or checkpoint file. Only its weights "
                              "are taken (the replay starts empty); they must fit this config's network, or "
                              "`initialize: grown` grows them into it. Not with from_run")
    pretrain_steps: int = Field(1000, ge=0, description="learner steps on the taken-over replay buffer before "
                                "self-play starts (they count in training.steps and its schedule)")
    initialize: Literal["random", "grown"] = Field("random", description="the new network's first weights: random, "
                                                 "or grown from the old network so that it computes the old "
                                                 "network's outputs (old weights copied, new channels feeding no old "
                                                 "output, new residual blocks the identity; needs a network at least "
                                                 "as large in blocks, channels and head sizes)")
    distill_policy_weight: float = Field(0.0, ge=0, le=1, description="pretraining policy target = (1-w) search "
                                         "policy + w old network's policy (0: no distillation)")
    distill_value_weight: float = Field(0.0, ge=0, le=1, description="pretraining value target = (1-w) game "
                                        "outcome + w old network's value (0: no distillation)")
    # The replay window holds the old run's last games only, and those narrow as its
    # self-play sharpens: a new network distilled on them alone learns the old network's
    # judgement of those positions, not of the wider ones the old network once saw.
    distill_random_fraction: float = Field(0.0, ge=0, lt=1, description="share of each pretraining batch that "
                                           "is random-play positions (random_position_plies) with the old "
                                           "network's policy and value as their only targets, the rest from the "
                                           "replay buffer (0: the buffer only)")
    random_position_plies: int = Field(16, ge=0, le=10_000, description="a random-play position is 0..N uniformly "
                                       "random legal moves from the start (N drawn uniformly per position), "
                                       "before the game ends")

    @field_validator("from_run", "from_network")
    @classmethod
    def _no_blank(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _one_source(self) -> "UpgradeSection":
        if self.from_run and self.from_network:
            raise ValueError("from_run and from_network both name where to start: give one")
        return self


class MetricsSection(Section):
    """Where training metrics go besides the dashboard and TensorBoard (always on)."""

    wandb: bool = Field(False, description="also log to Weights & Biases (pip install wandb)")
    wandb_project: str = Field("pyzero", min_length=1)
    wandb_entity: str = Field("", description="team or user; empty: wandb's default")
    wandb_mode: Literal["online", "offline"] = Field("online", description="offline: write to the run "
                                                     "directory only, to upload later with 'wandb sync'")


class DistributedSection(Section):
    """Self-play on a Ray cluster (`pyzero train CONFIG --ray [ADDRESS]`, pyzero/distributed/):
    the driver (the learner) owns the replay buffer and the checkpoints; `actors` self-play
    actors each run the whole self-play pipeline (this config's `selfplay`, `search` and
    `inference` sections) on their node. Ignored without --ray."""

    actors: int = Field(2, ge=1, le=100_000, description="self-play actors (one per GPU or machine is typical)")
    cpus_per_actor: float = Field(1.0, ge=0, le=1024, description="CPUs Ray reserves for each actor")
    gpus_per_actor: float = Field(0.0, ge=0, le=64, description="GPUs Ray reserves for each actor; a fraction "
                                  "(0.5) lets actors share a GPU. Set inference.device: cuda to use it")
    max_restarts: int = Field(3, ge=-1, description="times Ray restarts a dead actor (-1: always); after that "
                              "the run goes on with fewer actors, and fails when none is left")
    collect_seconds: float = Field(1.0, gt=0, le=600, description="each actor call plays this long, then "
                                   "returns its finished games in one piece (a dead actor loses at most "
                                   "this much play besides its unfinished games)")
    max_inflight_per_actor: int = Field(2, ge=1, le=16, description="calls queued per actor (backpressure: an "
                                        "actor with no call queued pauses; memory and object store stay "
                                        "bounded when the learner falls behind)")
    call_timeout_seconds: float = Field(120.0, gt=0, description="health probe: an actor whose call has not "
                                        "answered after this long (its queue included) is killed and restarted")
    startup_timeout_seconds: float = Field(120.0, gt=0, description="actors not ready by then (no node has "
                                           "their resources, an engine that does not load) fail the run")
    connect_timeout_seconds: float = Field(10.0, gt=0, description="reaching the cluster's address")


class RunConfig(Section):
    game: GameSection
    network: NetworkSection = Field(default_factory=NetworkSection)
    search: SearchSection = Field(default_factory=SearchSection)
    selfplay: SelfPlaySection = Field(default_factory=SelfPlaySection)
    inference: InferenceSection = Field(default_factory=InferenceSection)
    replay: ReplaySection = Field(default_factory=ReplaySection)
    optimizer: OptimizerSection = Field(default_factory=OptimizerSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    checkpoint: CheckpointSection = Field(default_factory=CheckpointSection)
    evaluation: EvaluationSection = Field(default_factory=EvaluationSection)
    upgrade: UpgradeSection = Field(default_factory=UpgradeSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    distributed: DistributedSection = Field(default_factory=DistributedSection)
    run_dir: str = Field("", description="default: runs/<config file name>")

    @field_validator("run_dir")
    @classmethod
    def _no_blank(cls, value: str) -> str:
        return value.strip()

    # Set after loading (not config keys).
    _path: Path | None = None
    _marks: dict = {}

    @property
    def path(self) -> Path | None:
        return self._path

    def location(self, *key: str) -> str:
        """'file:line' of a key (the nearest enclosing key the files set), or the `--set`
        option that set it, for error messages."""
        return _locate(self._marks, key, self._path if self._path else "<command line>")

    def location_within(self, *key: str) -> str:
        """Like `location`, but a `--set` option that set anything inside `key` (for an
        error about a whole section, `game.options`, caused by one of its keys) is named
        rather than the file that has the section."""
        for marked_key, mark in self._marks.items():
            if isinstance(mark, str) and marked_key[:len(key)] == key:
                return mark
        return self.location(*key)

    def run_directory(self) -> Path:
        if self.run_dir:
            return Path(self.run_dir)
        return Path("runs") / (self._path.stem if self._path else self.game.name)

    def snapshot(self) -> dict[str, Any]:
        """Everything, defaults included: what a run directory records."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------- loading with lines
def yaml_error_place(error: yaml.YAMLError) -> tuple[int, int] | None:
    """The (line, column), from 1, where PyYAML found `error`, if it says."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    return None


def yaml_error_problem(error: yaml.YAMLError) -> str:
    """What is wrong, on one line (PyYAML's own text spans several, with a copy of the
    offending line and its place)."""
    if isinstance(error, yaml.MarkedYAMLError):
        problem = ", ".join(part for part in (error.context, error.problem) if part)
    elif isinstance(error, yaml.reader.ReaderError):
        problem = f"unacceptable character {error.character!r}: {error.reason}"
    else:
        problem = str(error)
    return " ".join(problem.split())


def yaml_file_error_message(path: Path, error: yaml.YAMLError) -> str:
    """`PATH:LINE:COLUMN: invalid YAML: problem` (without the place where PyYAML gives none)."""
    place = yaml_error_place(error)
    where = f"{path}:{place[0]}:{place[1]}" if place else str(path)
    return f"{where}: invalid YAML: {yaml_error_problem(error)}"


class UniqueKeySafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader refusing a mapping that gives one key twice (SafeLoader keeps
    the last value silently, so a typo'd second `blocks:` would win unseen)."""

    def construct_mapping(self, node, deep=False):
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in first_lines:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice (first at line {first_lines[key]})",
                        key_node.start_mark)
                first_lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml_value(text: str) -> Any:
    """A value in YAML syntax (a `--set` value), duplicate keys refused; raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=UniqueKeySafeLoader)


def _compose(path: Path) -> tuple[Any, dict[tuple, tuple[Path, int]]]:
    """The file's data and, for every key path, the file and line that set it. A file
    that is not UTF-8, not YAML, or gives a key twice in one mapping is a `ConfigError`
    naming the file and the line."""
    from pyzero.text_files import read_utf8_text_file

    text = read_utf8_text_file(path, ConfigError)
    try:
        node = yaml.compose(text, Loader=UniqueKeySafeLoader)
        marks: dict[tuple, tuple[Path, int]] = {}
        data = _node_data(node, (), path, marks, UniqueKeySafeLoader(""), set()) if node is not None else {}
    except yaml.YAMLError as error:
        raise ConfigError(yaml_file_error_message(path, error)) from None
    return data, marks


def _node_data(node: yaml.Node, key_path: tuple, path: Path, marks: dict, constructor: yaml.SafeLoader,
               enclosing: set[int]) -> Any:
    """The data of a composed YAML node, recording in `marks` the file and line of every
    mapping key under `key_path`. Keys must be plain scalars given once per mapping;
    scalars are built by PyYAML's safe constructor (`constructor`), which raises
    `yaml.YAMLError` for a tag it does not know. `enclosing` holds the nodes being read
    around this one: an alias to one of them (`a: &x [*x]`) would nest for ever."""
    if id(node) in enclosing:
        raise ConfigError(f"{path}:{node.start_mark.line + 1}: an alias refers to a node that contains it")
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(f"{path}:{line}: a key must be a plain name, not a list or a mapping")
            key = key_node.value
            if key in result:
                dotted = ".".join(str(part) for part in key_path + (key,))
                first_line = marks[key_path + (key,)][1]
                raise ConfigError(f"{path}:{line}: key '{dotted}' is given twice (first at line {first_line}); "
                                  "YAML would keep only the last")
            marks[key_path + (key,)] = (path, line)
            result[key] = _node_data(value_node, key_path + (key,), path, marks, constructor,
                                     enclosing | {id(node)})
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_node_data(item, key_path + (index,), path, marks, constructor, enclosing | {id(node)})
                for index, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict, dict]:
    path = path.resolve() if path.is_absolute() else path
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    if path.resolve() in seen:
        raise ConfigError(f"{path}: 'inherit' forms a cycle")
    data, marks = _compose(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping (with a 'game' section)")
    parents = data.pop("inherit", None)
    if parents is None:
        return data, marks
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not parents or not all(isinstance(parent, str) for parent in parents):
        raise ConfigError(f"{path}:{marks[('inherit',)][1]}: key 'inherit': must be a path to another config "
                          "or a list of paths (merged in order, later ones winning)")
    base: dict = {}
    base_marks: dict = {}
    for parent in parents:
        parent_data, parent_marks = _load_raw(path.parent / parent, seen + (path.resolve(),))
        base, base_marks = _merge(base, parent_data), {**base_marks, **parent_marks}
    return _merge(base, data), {**base_marks, **marks}


def _locate(marks: dict, location: tuple, default: str | Path) -> str:
    """Where the nearest enclosing key of `location` was set: 'file:line', or the label
    of the `--set` option that set it (`override_marks`)."""
    for end in range(len(location), 0, -1):
        if location[:end] in marks:
            mark = marks[location[:end]]
            if isinstance(mark, str):
                return mark
            file, line = mark
            return f"{file}:{line}"
    return f"{default}:1" if isinstance(default, Path) else str(default)


def override_key_path(dotted: str, label: str = "--set") -> tuple[str, ...]:
    """The key path of a dotted override key ("selfplay.games"); a `ConfigError` naming
    `label` (where the override came from) for an empty part ("selfplay..games", ".games")."""
    keys = tuple(dotted.split("."))
    if not all(keys):
        raise ConfigError(f"{label} {dotted}: the key has an empty part (expected dotted keys like selfplay.games)")
    return keys


def override_marks(marks: dict, overrides: dict[str, Any], label: str) -> dict:
    """`marks` with every overridden key located at its override (`"{label} KEY"`) instead
    of the file; the file's marks inside an overridden key are dropped (the override
    replaced what the file had there)."""
    located = dict(marks)
    for dotted in overrides:
        keys = override_key_path(dotted, label)
        for marked in [marked for marked in located if marked[:len(keys)] == keys]:
            del located[marked]
        located[keys] = f"{label} {dotted}"
    return located


def apply_override(data: dict, dotted: str, value: Any, label: str) -> None:
    """Sets the dotted key `dotted` of `data` (sections it names are created); a
    `ConfigError` when a key on the way holds a value instead of a section."""
    keys = override_key_path(dotted, label)
    target = data
    for depth, key in enumerate(keys[:-1]):
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            section = ".".join(keys[:depth + 1])
            raise ConfigError(f"{label} {dotted}: key '{section}' holds {child!r}, not a section with keys")
        target = child
    target[keys[-1]] = value


_SHIPPED_CONFIG_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)?$")


def shipped_config(name: str) -> Path | None:
    """The config pyzero ships as `name` (`tak`, `tak5`, `presets/network-6x64`: its file
    in `configs/` without `.yaml`), or None."""
    if not _SHIPPED_CONFIG_NAME.match(name):
        return None
    candidate = shipped_folder("configs") / f"{name}.yaml"
    return candidate if candidate.is_file() else None


def shipped_config_names() -> list[str]:
    """The names of the run configs pyzero ships (presets, which only change a section, aside)."""
    return sorted(path.stem for path in shipped_folder("configs").glob("*.yaml"))


def config_file(target: str | Path) -> Path:
    """The config file `target` names: a path, else the name of a config pyzero ships."""
    path = Path(target)
    if path.is_file():
        return path
    named = shipped_config(str(target))
    if named is not None:
        return named
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        raise ConfigError(f"{path}: no such config file")
    raise ConfigError(f"{target}: no such config file, nor a config pyzero ships "
                      f"({', '.join(shipped_config_names())})")


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Reads, merges (`inherit`) and validates a run configuration: `path` is a file, or
    the name of a config pyzero ships (`tak`). `overrides` are the command line's `--set`
    options, and errors in them name the option, not the file."""
    path = config_file(path)
    data, marks = _load_raw(path)
    config = validate_config(data, overrides, marks, path, overrides_label="--set")
    config._path = path
    config._marks = override_marks(marks, overrides or {}, "--set")
    return config


def validate_config(data: dict, overrides: dict[str, Any] | None = None, marks: dict | None = None,
                    source: str | Path = "<command line>", overrides_label: str | None = None) -> RunConfig:
    """A config from a mapping with dotted `overrides` ("selfplay.games": 64) applied;
    errors name `source` (and the line, where `marks` knows it), the key and the reason.
    With `overrides_label` ("--set"), errors in overridden keys name `LABEL KEY` instead."""
    data = copy.deepcopy(data)
    overrides = overrides or {}
    if overrides_label is not None:
        marks = override_marks(marks or {}, overrides, overrides_label)
    for dotted, value in overrides.items():
        apply_override(data, dotted, value, overrides_label or str(source))
    try:
        return RunConfig.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = tuple(item["loc"])
            key = ".".join(str(part) for part in location)
            reason = item["msg"]
            if item["type"] == "extra_forbidden":
                moved = MOVED_KEYS.get(tuple(str(part) for part in location))
                reason = f"moved to '{'.'.join(moved)}'" if moved else "unknown key"
            elif item["type"] == "missing":
                reason = "required key is missing"
            elif item["type"] == "value_error":
                reason = str(item["ctx"]["error"])  # a validator's own message, without "Value error, "
            problems.append(f"{_locate(marks or {}, location, source)}: key '{key}': {reason}")
        raise ConfigError("\n".join(problems)) from None


def make_game_from_config(config: RunConfig):
    """The `Game` a config names, with the config's path in any option error."""
    from pyzero.games import make

    try:
        return make(config.game.name, **config.game.options)
    except ValueError as error:
        raise ConfigError(f"{config.location_within('game', 'options')}: key 'game.options': {error}") from None
