"""The learner's options for large networks, each against an independent computation:
gradient accumulation against the gradient of the whole batch's loss written out by hand,
each optimiser's first step against its update rule, autocast precisions, distillation
targets, and torch.compile's fallback to eager."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pyzero.config import InferenceSection, OptimizerSection, TrainingSection, compile_enabled
from pyzero.inference.torch_backend import TorchBackend
from pyzero.model import NetworkShape, ResNet
from pyzero.replay import TrainingBatch
from pyzero.training.learner import (Distillation, Learner, autocast_dtype, distilled_targets,
                                     win_draw_loss_target)

SHAPE = NetworkShape((3, 3, 3), 9)  # TicTacToe's planes and actions


class PerSampleResNet(ResNet):
    """The ResNet with batch norm on its running statistics in training too: every sample's
    output depends on that sample alone, so the mean loss of a batch is exactly the mean of
    its micro-batches' mean losses. (With batch statistics each micro-batch is normalised by
    its own, as in every gradient accumulation: close to the whole batch, not equal.)"""

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self


def random_batch(size: int, seed: int = 0) -> TrainingBatch:
    rng = np.random.default_rng(seed)
    legal = rng.random((size, SHAPE.num_actions)) < 0.6
    legal[np.arange(size), rng.integers(0, SHAPE.num_actions, size)] = True  # at least one legal move
    policy = rng.random((size, SHAPE.num_actions)) * legal
    policy /= policy.sum(axis=1, keepdims=True)
    return TrainingBatch(planes=(rng.random((size, *SHAPE.input_shape)) < 0.4).astype(np.float32),
                         policy=policy.astype(np.float32), legal=legal,
                         outcome=rng.choice([-1.0, 0.0, 1.0], size).astype(np.float32),
                         root_value=rng.uniform(-1, 1, size).astype(np.float32))


def hand_written_loss(model: nn.Module, batch: TrainingBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """(policy loss, value loss) of the whole batch, written out without the learner's code:
    cross-entropy over the legal actions only, mean squared error of the value."""
    logits, values = model(torch.from_numpy(batch.planes))
    legal = torch.from_numpy(batch.legal)
    log_policy = F.log_softmax(logits.masked_fill(~legal, float("-inf")), dim=-1)
    cross_entropy = -torch.where(legal, torch.from_numpy(batch.policy) * log_policy, torch.zeros(()))
    return cross_entropy.sum(dim=-1).mean(), ((values - torch.from_numpy(batch.outcome)) ** 2).mean()


def make_learner(model: nn.Module, accumulation: int = 1, batch_size: int = 64, **optimizer) -> Learner:
    options = OptimizerSection(**{"name": "sgd", "learning_rate": 0.01, "weight_decay": 0.0, "warmup_steps": 0,
                                  "schedule": "constant", **optimizer})
    training = TrainingSection(batch_size=batch_size, gradient_accumulation_steps=accumulation, compile=False)
    return Learner(model, options, training)


@pytest.mark.parametrize("accumulation", [1, 4, 64])
def test_accumulated_gradients_equal_the_whole_batch_gradient(accumulation):
    torch.manual_seed(0)
    model = PerSampleResNet(SHAPE, blocks=2, channels=16, value_hidden=16)
    batch = random_batch(64)
    reference = copy.deepcopy(model).train()
    policy_loss, value_loss = hand_written_loss(reference, batch)
    expected = torch.autograd.grad(policy_loss + value_loss, list(reference.parameters()))

    learner = make_learner(model, accumulation)
    reported = learner.train_step(batch)
    for (name, parameter), gradient in zip(model.named_parameters(), expected):
        torch.testing.assert_close(parameter.grad, gradient, rtol=1e-4, atol=1e-6, msg=name)
    assert reported.policy == pytest.approx(policy_loss.item(), rel=1e-5)
    assert reported.value == pytest.approx(value_loss.item(), rel=1e-5)


def test_positions_without_a_policy_target_train_the_value_alone():
    """A fast search's position (playout cap randomization) has an all-zero policy row: the
    gradient is that of the policy loss over the other positions (their mean) plus the
    value loss over every position, written out by hand."""
    torch.manual_seed(0)
    model = PerSampleResNet(SHAPE, blocks=1, channels=8, value_hidden=8)
    batch = random_batch(32, seed=4)
    value_only = np.arange(32) % 3 == 0
    batch.policy[value_only] = 0.0
    reference = copy.deepcopy(model).train()
    with_target = TrainingBatch(planes=batch.planes[~value_only], policy=batch.policy[~value_only],
                                legal=batch.legal[~value_only], outcome=batch.outcome[~value_only],
                                root_value=batch.root_value[~value_only])
    policy_loss, _ = hand_written_loss(reference, with_target)
    _, value_loss = hand_written_loss(reference, batch)
    expected = torch.autograd.grad(policy_loss + value_loss, list(reference.parameters()))

    reported = make_learner(model).train_step(batch)
    for (name, parameter), gradient in zip(model.named_parameters(), expected):
        torch.testing.assert_close(parameter.grad, gradient, rtol=1e-4, atol=1e-6, msg=name)
    assert reported.policy == pytest.approx(policy_loss.item(), rel=1e-5)
    assert reported.value == pytest.approx(value_loss.item(), rel=1e-5)


def test_the_opponent_reply_head_adds_its_weighted_cross_entropy():
    """With an opponent-reply head, the gradient is that of the plain loss plus the
    weight times the head's cross-entropy against the reply targets (softmax over every
    action), the mean over the positions that have a reply, written out by hand."""
    torch.manual_seed(0)
    model = PerSampleResNet(SHAPE, blocks=1, channels=8, value_hidden=8, opponent_policy_head=True)
    batch = random_batch(32, seed=5)
    rng = np.random.default_rng(6)
    replies = rng.random((32, SHAPE.num_actions)).astype(np.float32)
    replies /= replies.sum(axis=1, keepdims=True)
    replies[np.arange(32) % 4 == 0] = 0.0  # the game ended there, or the reply was a fast search
    batch.opponent_policy = replies
    reference = copy.deepcopy(model).train()
    policy_loss, value_loss = hand_written_loss(reference, batch)
    features = reference.blocks(reference.stem(torch.from_numpy(batch.planes)))
    log_reply = F.log_softmax(reference.opponent_policy_head(features), dim=-1)
    has_reply = torch.from_numpy(replies.sum(axis=1) > 0)
    reply_loss = -(torch.from_numpy(replies) * log_reply).sum(dim=-1)[has_reply].mean()
    expected = torch.autograd.grad(policy_loss + value_loss + 0.5 * reply_loss, list(reference.parameters()))

    learner = Learner(model, OptimizerSection(name="sgd", learning_rate=0.01, weight_decay=0.0, warmup_steps=0,
                                              schedule="constant"),
                      TrainingSection(batch_size=32, compile=False, opponent_policy_weight=0.5))
    reported = learner.train_step(batch)
    for (name, parameter), gradient in zip(model.named_parameters(), expected):
        torch.testing.assert_close(parameter.grad, gradient, rtol=1e-4, atol=1e-6, msg=name)
    assert reported.opponent_policy == pytest.approx(reply_loss.item(), rel=1e-5)
    # Inference never runs the head: the plain forward gives policy and value only.
    assert len(model.eval()(torch.from_numpy(batch.planes))) == 2
    batch.opponent_policy = None
    with pytest.raises(ValueError, match="replies' targets"):
        learner.train_step(batch)


def test_win_draw_loss_targets_by_hand():
    values = torch.tensor([1.0, 0.0, -1.0, 0.5, -0.25])
    expected = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.0, 0.75, 0.25]])
    torch.testing.assert_close(win_draw_loss_target(values), expected)


def test_a_win_draw_loss_head_trains_by_cross_entropy_and_plays_w_minus_l():
    """network.value_head wdl: the value loss is the cross-entropy of the head's three
    logits against the game's result (a win, a draw or a loss: outcomes 1, 0, -1, one-hot
    here), written out by hand; the plain forward (inference, the search) gives the chance
    of a win minus the chance of a loss."""
    torch.manual_seed(0)
    model = PerSampleResNet(SHAPE, blocks=1, channels=8, value_hidden=8, value_head="wdl")
    batch = random_batch(32, seed=7)
    reference = copy.deepcopy(model).train()
    policy_loss, _ = hand_written_loss(reference, batch)
    planes = torch.from_numpy(batch.planes)
    log_chances = F.log_softmax(reference.value_head(reference.blocks(reference.stem(planes))), dim=-1)
    outcome = torch.from_numpy(batch.outcome)
    one_hot = torch.stack([outcome == 1, outcome == 0, outcome == -1], dim=-1).float()
    value_loss = -(one_hot * log_chances).sum(dim=-1).mean()
    expected = torch.autograd.grad(policy_loss + value_loss, list(reference.parameters()))

    reported = make_learner(model, batch_size=32).train_step(batch)
    for (name, parameter), gradient in zip(model.named_parameters(), expected):
        torch.testing.assert_close(parameter.grad, gradient, rtol=1e-4, atol=1e-6, msg=name)
    assert reported.value == pytest.approx(value_loss.item(), rel=1e-5)
    model.eval()
    with torch.no_grad():
        chances = F.softmax(model.value_head(model.blocks(model.stem(planes))), dim=-1)
        _, values = model(planes)
    torch.testing.assert_close(values, chances[:, 0] - chances[:, 2])
    assert values.shape == (32,)


def test_a_batch_that_does_not_split_evenly_is_refused_naming_the_key():
    from pyzero.config import ConfigError, validate_config

    with pytest.raises(ConfigError, match=r"key 'training.gradient_accumulation_steps': training.batch_size 256 "
                                          r"is not a multiple of 3"):
        validate_config({"game": {"name": "tictactoe"}, "training": {"gradient_accumulation_steps": 3}})


def one_step(name: str, **options) -> tuple[dict, dict, dict, Learner]:
    """(parameters before, gradients, parameters after) of one learner step with optimiser `name`."""
    torch.manual_seed(1)
    model = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8)
    before = {key: value.detach().clone() for key, value in model.named_parameters()}
    learner = make_learner(model, name=name, **options)
    learner.train_step(random_batch(64, seed=2))
    gradients = {key: value.grad.detach().clone() for key, value in model.named_parameters()}
    after = {key: value.detach().clone() for key, value in model.named_parameters()}
    return before, gradients, after, learner


def test_lion_steps_by_the_sign_of_the_gradient():
    """Lion's first update (zero momentum) is -lr x sign(gradient): no other optimiser here does that."""
    before, gradients, after, learner = one_step("lion", learning_rate=0.001)
    assert type(learner.optimizer).__name__ == "Lion"
    for key in before:
        torch.testing.assert_close(after[key], before[key] - 0.001 * torch.sign(gradients[key]), msg=key)


def test_sgd_takes_a_nesterov_momentum_step():
    """First step, buffer = g: Nesterov's update is lr x (g + momentum x g)."""
    before, gradients, after, learner = one_step("sgd", learning_rate=0.01, momentum=0.9)
    assert isinstance(learner.optimizer, torch.optim.SGD)
    for key in before:
        torch.testing.assert_close(after[key], before[key] - 0.01 * 1.9 * gradients[key], msg=key)


def test_adamw_decays_the_weights_and_normalises_the_step():
    """First step: p x (1 - lr wd) - lr g / (|g| + eps) (bias corrections cancel)."""
    before, gradients, after, learner = one_step("adamw", learning_rate=0.01, weight_decay=0.1)
    assert isinstance(learner.optimizer, torch.optim.AdamW)
    for key in before:
        g = gradients[key]
        torch.testing.assert_close(after[key], before[key] * (1 - 0.01 * 0.1) - 0.01 * g / (g.abs() + 1e-8), msg=key)


def test_precision_auto_is_bfloat16_on_cuda_and_float32_on_cpu():
    auto = TrainingSection()
    assert autocast_dtype(auto, torch.device("cuda")) is torch.bfloat16
    assert autocast_dtype(auto, torch.device("cpu")) is None
    assert autocast_dtype(TrainingSection(precision="float16"), torch.device("cpu")) is torch.float16


@pytest.mark.parametrize("precision,dtype", [("bfloat16", torch.bfloat16), ("float16", torch.float16),
                                             ("float32", torch.float32)])
def test_the_forward_pass_runs_in_the_configured_precision(precision, dtype):
    torch.manual_seed(0)
    model = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8)
    seen = []
    model.stem[0].register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    learner = Learner(model, OptimizerSection(warmup_steps=0, schedule="constant"),
                      TrainingSection(batch_size=32, precision=precision, compile=False))
    assert learner.scaler.is_enabled() == (precision == "float16")  # float16 scales its loss
    before = [parameter.detach().clone() for parameter in model.parameters()]
    for step in range(3):
        losses = learner.train_step(random_batch(32, seed=step))
        assert np.isfinite(losses.total)
    assert seen and set(seen) == {dtype}
    assert all(parameter.dtype == torch.float32 for parameter in model.parameters())  # master weights stay float32
    assert any(not torch.equal(old, new) for old, new in zip(before, model.parameters()))


def test_distillation_targets_mix_in_the_teachers_policy_and_value():
    torch.manual_seed(3)
    teacher = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8).eval()
    batch = random_batch(16, seed=4)
    tensors = {name: torch.from_numpy(np.asarray(getattr(batch, name))) for name in
               ("planes", "policy", "legal", "outcome", "root_value")}
    mixed = distilled_targets(tensors, Distillation(teacher, policy_weight=0.25, value_weight=0.75),
                              value_q_weight=0.5)
    with torch.no_grad():
        logits, values = teacher(tensors["planes"])
    for row in range(16):
        legal = batch.legal[row]
        exp = np.exp(logits[row].numpy()[legal] - logits[row].numpy()[legal].max())
        teacher_policy = np.zeros(9)
        teacher_policy[legal] = exp / exp.sum()
        np.testing.assert_allclose(mixed["policy"][row].numpy(), 0.75 * batch.policy[row] + 0.25 * teacher_policy,
                                   rtol=1e-5, atol=1e-7)
        target = 0.5 * batch.outcome[row] + 0.5 * batch.root_value[row]
        assert mixed["outcome"][row].item() == pytest.approx(0.25 * target + 0.75 * values[row].item(), abs=1e-6)


def test_teacher_only_positions_take_the_teachers_policy_and_value_whole():
    """Rows flagged teacher_only (an upgrade's random-play positions) get the teacher's
    outputs as their targets whatever the weights; the other rows mix as configured."""
    torch.manual_seed(5)
    teacher = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8).eval()
    batch = random_batch(12, seed=6)
    tensors = {name: torch.from_numpy(np.asarray(getattr(batch, name))) for name in
               ("planes", "policy", "legal", "outcome", "root_value")}
    flags = np.arange(12) % 3 == 0
    tensors["teacher_only"] = torch.from_numpy(flags)
    mixed = distilled_targets(tensors, Distillation(teacher, policy_weight=0.0, value_weight=0.5), value_q_weight=0.0)
    with torch.no_grad():
        logits, values = teacher(tensors["planes"])
    for row in range(12):
        legal = batch.legal[row]
        exp = np.exp(logits[row].numpy()[legal] - logits[row].numpy()[legal].max())
        teacher_policy = np.zeros(9)
        teacher_policy[legal] = exp / exp.sum()
        expected_policy = teacher_policy if flags[row] else batch.policy[row]
        np.testing.assert_allclose(mixed["policy"][row].numpy(), expected_policy, rtol=1e-5, atol=1e-7)
        expected_value = values[row].item() if flags[row] else 0.5 * batch.outcome[row] + 0.5 * values[row].item()
        assert mixed["outcome"][row].item() == pytest.approx(expected_value, abs=1e-6)


def test_a_batch_with_teacher_only_positions_needs_a_teacher():
    model = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8)
    learner = Learner(model, OptimizerSection(), TrainingSection(batch_size=8))
    batch = random_batch(8, seed=1)
    batch.teacher_only = np.ones(8, dtype=bool)
    with pytest.raises(ValueError, match="teacher-only positions needs a teacher"):
        learner.train_step(batch)


@pytest.fixture
def failing_compiler(monkeypatch):
    """torch.compile that traces for real, then fails in its backend, as a missing C++
    compiler or Triton makes it fail at the first call."""
    original = torch.compile

    def backend(graph, example_inputs):
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(torch, "compile", lambda module, **options: original(module, backend=backend))


def test_a_training_model_whose_compilation_fails_trains_eagerly(failing_compiler, caplog):
    torch.manual_seed(0)
    model = PerSampleResNet(SHAPE, blocks=1, channels=8, value_hidden=8)
    eager = copy.deepcopy(model)
    batch = random_batch(32)
    options = OptimizerSection(warmup_steps=0, schedule="constant")
    compiled = Learner(model, options, TrainingSection(batch_size=32, compile=True))
    assert compiled.forward.compiled
    with caplog.at_level(logging.WARNING, logger="pyzero.model"):
        losses = compiled.train_step(batch)
    assert not compiled.forward.compiled
    assert ("torch.compile of the training model failed (BackendCompilerFailed, from RuntimeError: no C++ "
            "compiler here); running it eagerly") in caplog.text
    expected = Learner(eager, options, TrainingSection(batch_size=32, compile=False)).train_step(batch)
    assert losses == expected
    for (name, parameter), reference in zip(model.named_parameters(), eager.parameters()):
        assert torch.equal(parameter, reference), name


def test_an_inference_model_whose_compilation_fails_runs_eagerly(failing_compiler, caplog):
    torch.manual_seed(0)
    model = ResNet(SHAPE, blocks=1, channels=8, value_hidden=8).eval()
    backend = TorchBackend(copy.deepcopy(model), InferenceSection(compile=True))
    inputs = torch.from_numpy(random_batch(8).planes)
    logits, values = torch.empty(8, 9), torch.empty(8)
    with caplog.at_level(logging.WARNING, logger="pyzero.model"):
        backend.evaluate_into(inputs, logits, values)
    assert "torch.compile of the inference model failed" in caplog.text
    with torch.no_grad():
        expected_logits, expected_values = model(inputs)
    assert torch.equal(logits, expected_logits) and torch.equal(values, expected_values)


def test_compile_auto_means_cuda_only():
    assert compile_enabled("auto", "cuda") and compile_enabled("auto", "cuda:1")
    assert not compile_enabled("auto", "cpu")
    assert compile_enabled(True, "cpu") and not compile_enabled(False, "cuda")
    # The auto backend takes torch for compile only where compile is on (onnxruntime is in the test extra).
    from pyzero.inference import resolve_backend_name

    assert resolve_backend_name(InferenceSection(compile="auto", device="cpu")) == "onnxruntime"
    assert resolve_backend_name(InferenceSection(compile=True, device="cpu")) == "torch"
