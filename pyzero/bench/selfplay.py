"""`pyzero bench selfplay` (and `pyzero bench CONFIG`): does self-play keep the network
busy? Raw inference speed beside the pipeline's, per backend."""

from __future__ import annotations

import time
from dataclasses import dataclass, field



@dataclass
class SelfPlayBenchmarkResult:
    game: str
    options: dict
    network: str
    backend: str  # the backend that ran (what inference.backend resolved to)
    batch_size: int
    concurrent_games: int
    workers: int
    simulations: int
    device: str
    torch_threads: int
    inference_evaluations_per_second: float  # (a) the network alone, full batches
    selfplay_evaluations_per_second: float  # (b)
    positions_per_second: float
    games_per_second: float
    efficiency: float  # (c) = (b) / (a)
    mean_batch_fill: float  # (d)
    cache_hit_rate: float
    network_wait_fraction: float  # share of the run the network threads waited for a batch (their mean)
    worker_idle_fraction: float
    buffer_full_waits: int
    seconds: float
    config: str | None = None  # the run config measured (None: the built-in default)
    # (a) for every installed backend at the same batch size and threads, with the ratio
    # to PyTorch eager: [{"backend", "evaluations_per_second", "ratio_to_torch"}, ...]
    backends: list[dict] = field(default_factory=list)
    backend_setting: str = "auto"  # the config's inference.backend ("auto" picks `backend`)
    ratio_to_torch: float | None = None  # (a) over PyTorch eager's (a), same run
    fastest_backend: str | None = None  # of `backends` in this run: where auto should point
    network_threads: int = 1  # batches evaluated at once per network, in (a) and in (b)
    # (a) is the mean of the raw windows, taken before, between and after (b)'s windows;
    # before/after: the first and the last of them.
    inference_evaluations_per_second_before: float | None = None
    inference_evaluations_per_second_after: float | None = None
    inference_evaluations_per_second_windows: list[float] = field(default_factory=list)
    selfplay_windows: int = 1  # (b) is measured in this many windows, between raw ones
    worker_priority: str = "normal"  # selfplay.worker_priority
    idle_priority_workers: int = 0  # workers that ran under the idle policy (0 where it is refused)
    # The workers' own cost, against a network that answers at once (`measure_workers_alone`).
    worker_microseconds_per_evaluation: float | None = None


def measure_inference(backend, input_shape, num_actions: int, batch_size: int, seconds: float = 2.0,
                      network_threads: int = 1) -> float:
    """Evaluations per second of the backend alone on full batches (the network's limit),
    with `network_threads` threads each evaluating its own batch at a time, as self-play's
    network threads do (selfplay.network_threads)."""
    import threading

    import torch

    pin = bool(backend.pin_memory)

    def buffers():
        inputs = torch.rand((batch_size, *input_shape)).round()
        inputs = inputs.pin_memory() if pin else inputs
        return (inputs, torch.empty((batch_size, num_actions), pin_memory=pin),
                torch.empty((batch_size,), pin_memory=pin))

    per_thread = [buffers() for _ in range(max(1, network_threads))]
    for arguments in per_thread:
        for _ in range(3):
            backend.evaluate_into(*arguments)
    counts = [0] * len(per_thread)
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(per_thread) + 1)
    deadline = [0.0]

    def loop(index: int) -> None:
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                backend.evaluate_into(*per_thread[index])
                counts[index] += 1
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            failures.append(error)

    threads = [threading.Thread(target=loop, args=(index,), daemon=True) for index in range(len(per_thread))]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sum(counts) * batch_size / (time.perf_counter() - started)


def compare_backends(model, config, batch_size: int, input_shape, num_actions: int, measured: dict[str, float],
                     seconds: float = 2.0) -> list[dict]:
    """Raw evaluations/s of every installed backend (inference.backend's names) on the
    config's device and batch size, each with the CPU threads self-play would give it;
    `measured` holds rates already taken (the config's own backend). The ratio is to
    PyTorch eager (torch without compile). A backend that cannot run here (say, no CUDA
    provider) is listed with its error instead of a rate."""
    from pyzero.inference import configure_cpu_threads, installed_backends, make_backend

    rates: dict[str, float] = dict(measured)
    errors: dict[str, str] = {}
    names = list(installed_backends())
    for name in names:
        if name in rates:
            continue
        options = config.inference.model_copy(update={"backend": name, "compile": False})
        try:
            backend = make_backend(model, options)
        except Exception as error:  # noqa: BLE001 - reported in the result, the benchmark goes on
            errors[name] = str(error)
            continue
        configure_cpu_threads([backend], config.selfplay.workers, config.selfplay.network_threads)
        rates[name] = measure_inference(backend, input_shape, num_actions, batch_size, seconds,
                                        config.selfplay.network_threads)
    torch_rate = rates.get("torch")
    return [{"backend": name, "evaluations_per_second": rates.get(name),
             "ratio_to_torch": rates[name] / torch_rate if name in rates and torch_rate else None,
             **({"error": errors[name]} if name in errors else {})} for name in names]


class InstantBackend:
    """A backend that answers every batch at once with fixed logits and values (drawn
    once from a seeded generator): self-play against it runs at the speed of its workers
    alone, which `measure_workers_alone` reports. Not a network: for benchmarks only."""

    name = "instant"
    pin_memory = False

    def __init__(self, options, batch_size: int, num_actions: int, seed: int = 0):
        import torch

        self.device = torch.device("cpu")
        self.options = options
        generator = torch.Generator().manual_seed(seed)
        self.logits = torch.randn((batch_size, num_actions), generator=generator)
        self.values = torch.rand((batch_size,), generator=generator) * 2 - 1

    def evaluate_into(self, inputs, logits_out, values_out) -> None:
        count = inputs.shape[0]
        logits_out.copy_(self.logits[:count])
        values_out.copy_(self.values[:count])

    def load_state_dict(self, state: dict) -> None:
        pass


def measure_workers_alone(game, config, seconds: float) -> float:
    """Microseconds of worker time per evaluation: the config's self-play (games, workers,
    simulations, cache, worker priority) against `InstantBackend`, so the network costs
    nothing and the workers' own speed sets the rate (workers x seconds / evaluations).
    Independent of the network and far less noisy than (c): the number to lower when
    efficiency falls short because the network waits for batches."""
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    options = SelfPlayOptions.from_config(config, seed=config.training.seed)
    backend = InstantBackend(config.inference, options.batch_size, game.num_actions)
    before, after, elapsed = _counters_over(SelfPlay(game, [backend], options), 0.5, seconds)
    evaluations = after["evaluations"] - before["evaluations"]
    return 1e6 * options.workers * elapsed / max(evaluations, 1)


def _counters_over(selfplay, warmup_seconds: float, seconds: float) -> tuple[dict, dict, float]:
    """Starts `selfplay`, lets it warm up (trees and buffers fill), and returns its
    counters at the start and the end of the next `seconds` and the seconds between;
    stops it whatever happens."""
    selfplay.start()
    try:
        time.sleep(warmup_seconds)
        before = selfplay.counters()
        started = time.perf_counter()
        time.sleep(seconds)
        after = selfplay.counters()
        return before, after, time.perf_counter() - started
    finally:
        selfplay.stop()


def default_benchmark_config():
    """What `pyzero bench selfplay` measures without a config: Connect4, ResNet 4x32, batch
    128, 384 games, 64 simulations, no cache (the pipeline's own overhead, nothing hidden)."""
    from pyzero.config import RunConfig

    return RunConfig.model_validate({
        "game": {"name": "connect4"}, "network": {"blocks": 4, "channels": 32},
        "search": {"simulations": 64}, "selfplay": {"games": 384, "batch_size": 128, "max_game_plies": 400},
        "inference": {"cache_entries": 0}})


def run_selfplay_benchmark(config=None, seconds: float = 6.0) -> SelfPlayBenchmarkResult:
    """(a) raw inference throughput of the config's network at its self-play batch size,
    (b) self-play as the config trains it (games, workers, simulations, cache, backend,
    device), (c) their ratio, (d) batch fill, cache hit rate and waits, in one run; and
    (a) for every installed backend beside the config's, with ratios to PyTorch eager."""
    import torch

    from pyzero.config import compile_enabled, make_game_from_config
    from pyzero.inference import configure_cpu_threads, make_backend
    from pyzero.model import build_model
    from pyzero.selfplay import SelfPlay, SelfPlayOptions

    config = config or default_benchmark_config()
    game = make_game_from_config(config)
    torch.manual_seed(0)
    model = build_model(config, game)
    backend = make_backend(model, config.inference)
    selfplay_section, batch_size = config.selfplay, config.selfplay.batch_size
    # (a) and (b) alternate: raw, self-play, raw, ..., raw, about 2 s of self-play a
    # window, and (c) divides by the mean raw rate. A shared machine's speed drifts by up
    # to 12% within a minute; with one raw rate before and one after a 10-s self-play,
    # (c) moved from 0.90 to 1.07 between identical runs.
    windows = max(1, min(8, round(seconds / 2)))
    raw_seconds = max(1.0, seconds / (windows + 1))

    def raw_rate() -> float:
        # With the threads self-play will give the backend (see inference/backend.py).
        configure_cpu_threads([backend], selfplay_section.workers, selfplay_section.network_threads)
        return measure_inference(backend, game.input_shape, game.num_actions, batch_size, raw_seconds,
                                 network_threads=selfplay_section.network_threads)

    raw_rates = [raw_rate()]
    # The rate just taken stands for its backend, unless it was torch.compile (the
    # comparison's "torch" is eager).
    compiled_torch = backend.name == "torch" and compile_enabled(config.inference.compile, config.inference.device)
    backends = compare_backends(model, config, batch_size, game.input_shape, game.num_actions,
                                {} if compiled_torch else {backend.name: raw_rates[0]},
                                seconds=min(2.0, max(0.25, seconds / 3)))
    torch_threads = configure_cpu_threads([backend], selfplay_section.workers,  # the comparison set others
                                          selfplay_section.network_threads)
    options = SelfPlayOptions.from_config(config, seed=config.training.seed)
    selfplay = SelfPlay(game, [backend], options)
    delta: dict = {}
    elapsed = 0.0
    for window in range(windows):
        # The first start warms the trees and buffers up; a restart resumes the same games.
        before, after, window_seconds = _counters_over(selfplay, 1.0 if window == 0 else 0.25, seconds / windows)
        delta = {key: delta.get(key, 0) + after[key] - before[key] for key in after}
        elapsed += window_seconds
        raw_rates.append(raw_rate())
    worker_microseconds = measure_workers_alone(game, config, min(3.0, max(0.5, seconds / 3)))
    inference_rate = sum(raw_rates) / len(raw_rates)
    for entry in backends:  # the config's backend: the mean of its windows
        if entry["backend"] == backend.name and not compiled_torch:
            entry["evaluations_per_second"] = inference_rate
    evaluations_rate = delta["evaluations"] / elapsed
    lookups = max(delta["cache_lookups"], 1)
    network = config.network
    torch_rate = next((entry["evaluations_per_second"] for entry in backends if entry["backend"] == "torch"), None)
    for entry in backends:
        if entry["evaluations_per_second"] and torch_rate:
            entry["ratio_to_torch"] = entry["evaluations_per_second"] / torch_rate
    rates = {entry["backend"]: entry["evaluations_per_second"] for entry in backends if entry["evaluations_per_second"]}
    return SelfPlayBenchmarkResult(
        config.game.name, dict(config.game.options), f"resnet {network.blocks}x{network.channels}",
        backend.name, batch_size, options.games, options.workers, options.simulations,
        config.inference.device, torch_threads, inference_rate, evaluations_rate, delta["positions"] / elapsed,
        delta["games_finished"] / elapsed, evaluations_rate / inference_rate,
        delta["evaluations"] / max(delta["batches"] * batch_size, 1),
        delta["cache_hits"] / lookups if delta["cache_lookups"] else 0.0,
        delta["network_wait_seconds"] / (elapsed * options.network_threads),
        delta["worker_idle_seconds"] / (elapsed * options.workers),
        delta["buffer_full_waits"], elapsed, str(config.path) if config.path else None, backends,
        config.inference.backend, inference_rate / rates["torch"] if rates.get("torch") else None,
        max(rates, key=rates.get) if rates else None, options.network_threads,
        raw_rates[0], raw_rates[-1], raw_rates, windows, options.worker_priority,
        int(after["idle_priority_workers"]),  # read while the workers ran
        worker_microseconds)


