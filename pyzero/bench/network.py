"""Network throughput (`pyzero bench network`): learner steps and inference evaluations per
second of a config's network, with and without torch.compile and autocast, measured with
the learner the runs use and the PyTorch inference backend (compile and autocast are
torch's; `pyzero bench selfplay` compares the backends). Random inputs: the network's
cost does not depend on the position, only on the batch shape."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from pyzero.config import RunConfig, make_game_from_config
from pyzero.inference.torch_backend import TorchBackend
from pyzero.model import build_model
from pyzero.replay import TrainingBatch
from pyzero.training.learner import Learner

WARMUP_CALLS = 3  # the first calls compile (torch.compile) and tune (cuDNN): not measured


@dataclass
class Throughput:
    phase: str  # "training" (learner steps) or "inference" (evaluations)
    precision: str
    compile: bool  # asked for
    compiled: bool  # in use after the warm-up (False where compilation failed: eager)
    batch_size: int
    calls: int
    seconds: float
    per_second: float  # learner steps/s (training) or evaluations/s (inference)
    failure: str | None = None  # why compilation fell back to eager


def random_training_batch(game, size: int, rng: np.random.Generator) -> TrainingBatch:
    legal = rng.random((size, game.num_actions)) < 0.5
    legal[:, 0] = True
    policy = (rng.random((size, game.num_actions)) * legal).astype(np.float32)
    policy /= policy.sum(axis=1, keepdims=True)
    return TrainingBatch(planes=(rng.random((size, *game.input_shape)) < 0.3).astype(np.float32), policy=policy,
                         legal=legal, outcome=rng.choice([-1.0, 0.0, 1.0], size).astype(np.float32),
                         root_value=rng.uniform(-1, 1, size).astype(np.float32))


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(call, device: torch.device, seconds: float) -> tuple[int, float]:
    for _ in range(WARMUP_CALLS):
        call()
    _synchronize(device)
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        calls += 1
    _synchronize(device)
    return calls, time.perf_counter() - started


def measure_training(config: RunConfig, game, precision: str, compile: bool, seconds: float) -> Throughput:
    torch.manual_seed(0)
    training = config.training.model_copy(update={"precision": precision, "compile": compile})
    learner = Learner(build_model(config, game), config.optimizer, training)
    batch = random_training_batch(game, training.batch_size, np.random.default_rng(0))
    calls, elapsed = _timed(lambda: learner.train_step(batch), learner.device, seconds)
    return Throughput("training", precision, compile, learner.forward.compiled, training.batch_size, calls, elapsed,
                      calls / elapsed, learner.forward.failure)


def measure_inference(config: RunConfig, game, precision: str, compile: bool, seconds: float) -> Throughput:
    torch.manual_seed(0)
    options = config.inference.model_copy(update={"precision": precision, "compile": compile})
    backend = TorchBackend(build_model(config, game), options)
    size = config.selfplay.batch_size
    pin = backend.pin_memory
    inputs = (torch.rand((size, *game.input_shape)) < 0.3).float()
    inputs = inputs.pin_memory() if pin else inputs
    logits = torch.empty((size, game.num_actions), pin_memory=pin)
    values = torch.empty((size,), pin_memory=pin)
    calls, elapsed = _timed(lambda: backend.evaluate_into(inputs, logits, values), backend.device, seconds)
    if backend.device.type != "cuda" and precision != "float32":
        precision += " (not applied: inference autocasts on CUDA only)"
    return Throughput("inference", precision, compile, backend.forward.compiled, size, calls, elapsed,
                      calls * size / elapsed, backend.forward.failure)


def measure_network_throughput(config: RunConfig, seconds: float = 5.0, precisions: tuple[str, ...] | None = None,
                               compile_choices: tuple[bool, ...] | None = None) -> list[Throughput]:
    """Training (training.device, training.batch_size) and inference (inference.device,
    selfplay.batch_size) rates for every precision x compile choice. By default: float32
    and bfloat16, eager and compiled, on CUDA; float32 eager on a CPU (where autocast and
    compile are off by default, and compiling costs minutes)."""
    game = make_game_from_config(config)
    on_gpu = config.training.device.startswith("cuda")
    precisions = precisions or (("float32", "bfloat16") if on_gpu else ("float32",))
    compile_choices = compile_choices or ((False, True) if on_gpu else (False,))
    results = []
    for compile in compile_choices:
        for precision in precisions:
            results.append(measure_training(config, game, precision, compile, seconds))
            results.append(measure_inference(config, game, precision, compile, seconds))
    return results
