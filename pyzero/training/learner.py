"""The learner: policy cross-entropy against the improved policy, value MSE (cross-entropy
for a win/draw/loss head), weight decay;
AdamW, SGD with momentum or Lion; warmup then a constant, cosine or step schedule.

For large networks: each learner step's batch can be split into micro-batches whose
gradients add up to the whole batch's (`training.gradient_accumulation_steps`), the forward
pass runs under autocast (`training.precision`; float16 with a gradient scaler), and the
model can be torch.compiled (`training.compile`, eager where compiling fails). A teacher
network (an upgraded run's old network) can stand in for part of the targets: distillation.

A batch whose loss or gradient is not finite (NaN or infinite targets, a diverging run)
changes nothing: its step is skipped and reported (`LossComponents.skipped`), and after
`MAX_CONSECUTIVE_SKIPPED_STEPS` such batches in a row training stops with an error, so
the weights, and every checkpoint written from them, stay finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pyzero.config import OptimizerSection, TrainingSection, compile_enabled
from pyzero.errors import PyzeroFailure
from pyzero.model.compile import CompiledForward
from pyzero.replay import TrainingBatch

# Batches with a non-finite loss or gradient in a row after which training stops: one is an
# accident worth a warning; this many means the data or the run is broken.
MAX_CONSECUTIVE_SKIPPED_STEPS = 20


class NonFiniteTrainingError(PyzeroFailure):
    """The loss or gradient stayed non-finite batch after batch; the weights were left as
    they were before the first such batch."""


def learning_rate_factor(step: int, optimizer: OptimizerSection, total_steps: int) -> float:
    """The multiplier of the base learning rate at `step` (a pure function, for tests)."""
    if optimizer.warmup_steps and step < optimizer.warmup_steps:
        return (step + 1) / optimizer.warmup_steps
    if optimizer.schedule == "constant":
        return 1.0
    if optimizer.schedule == "step":
        return optimizer.step_gamma ** ((step - optimizer.warmup_steps) // optimizer.step_every)
    progress = (step - optimizer.warmup_steps) / max(1, total_steps - optimizer.warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model: torch.nn.Module, optimizer: OptimizerSection) -> torch.optim.Optimizer:
    if optimizer.name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=optimizer.learning_rate, momentum=optimizer.momentum,
                               weight_decay=optimizer.weight_decay, nesterov=True)
    if optimizer.name == "lion":
        from lion_pytorch import Lion  # a dependency; imported here so the other optimisers never load it

        return Lion(model.parameters(), lr=optimizer.learning_rate, weight_decay=optimizer.weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=optimizer.learning_rate, weight_decay=optimizer.weight_decay)


def autocast_dtype(training: TrainingSection, device: torch.device) -> torch.dtype | None:
    """The dtype the forward pass runs in under autocast, or None for plain float32."""
    precision = training.precision
    if precision == "auto":
        precision = "bfloat16" if device.type == "cuda" else "float32"
    return {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]


@dataclass
class LossComponents:
    policy: float
    value: float
    total: float
    policy_entropy: float  # of the target: the floor the policy loss can reach
    skipped: bool = False  # the loss or gradient was not finite: no update was made
    opponent_policy: float = 0.0  # the opponent-reply head's loss (0 without that head), unweighted


@dataclass
class Distillation:
    """A teacher network and how much of each target it supplies (0 to 1)."""

    teacher: torch.nn.Module
    policy_weight: float
    value_weight: float


def mean_over_policy_targets(per_position: torch.Tensor, policy: torch.Tensor) -> torch.Tensor:
    """The mean of `per_position` [N] over the positions that have a policy target (a row of
    `policy` [N, A] that is not all zero); 0 when none has. A fast search's position
    (playout cap randomization) has none: it trains the value alone, and the policy loss
    keeps the scale of a batch of full searches."""
    has_target = (policy.sum(dim=-1) > 0).to(per_position.dtype)
    return (per_position * has_target).sum() / has_target.sum().clamp_min(1.0)


def win_draw_loss_target(value: torch.Tensor) -> torch.Tensor:
    """The win/draw/loss target [N, 3] of value targets [N] in [-1, 1]: (max(v, 0), 1 - |v|,
    max(-v, 0)), the distribution whose W - L is v with the rest on a draw. A won or lost
    game is one-hot, a drawn one all draw; a mixed target (root values, discounting,
    distillation) spreads over the draw and the side it leans to."""
    value = value.float().clamp(-1.0, 1.0)
    return torch.stack([value.clamp_min(0.0), 1.0 - value.abs(), (-value).clamp_min(0.0)], dim=-1)


def losses(logits: torch.Tensor, values: torch.Tensor, batch: dict[str, torch.Tensor],
           value_q_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(policy loss, value loss) of one batch. Illegal actions are masked out of the
    softmax: the search only ever reads the logits of legal actions. The policy loss is
    the mean cross-entropy over the positions with a policy target. `values` is the
    scalar value [N] (value loss: the mean squared error) or win/draw/loss logits [N, 3]
    (the mean cross-entropy against `win_draw_loss_target`)."""
    masked = logits.float().masked_fill(~batch["legal"], -1e9)
    cross_entropy = -(batch["policy"] * F.log_softmax(masked, dim=-1)).sum(dim=-1)
    policy_loss = mean_over_policy_targets(cross_entropy, batch["policy"])
    target = (1.0 - value_q_weight) * batch["outcome"] + value_q_weight * batch["root_value"]
    if values.dim() == 2:
        value_loss = -(win_draw_loss_target(target) * F.log_softmax(values.float(), dim=-1)).sum(dim=-1).mean()
    else:
        value_loss = F.mse_loss(values.float(), target)
    return policy_loss, value_loss


def opponent_policy_loss(opponent_logits: torch.Tensor, opponent_policy: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the opponent-reply head [N, A] against the reply's improved policy
    [N, A], the mean over the positions that have one (the reply's legal moves are not
    known here: the head's softmax runs over every action and learns them too)."""
    cross_entropy = -(opponent_policy * F.log_softmax(opponent_logits.float(), dim=-1)).sum(dim=-1)
    return mean_over_policy_targets(cross_entropy, opponent_policy)


@torch.no_grad()
def distilled_targets(batch: dict[str, torch.Tensor], distillation: Distillation,
                      value_q_weight: float) -> dict[str, torch.Tensor]:
    """`batch` with its targets mixed with the teacher's: policy = (1-w) search policy + w
    teacher's softmax over the legal actions; the value target (outcome, root value mix)
    likewise with the teacher's value. Cross-entropy and MSE against a mixed target are
    the same mixture of the two losses, up to a constant."""
    distillation.teacher.eval()
    teacher_logits, teacher_values = distillation.teacher(batch["planes"])
    teacher_policy = F.softmax(teacher_logits.float().masked_fill(~batch["legal"], -1e9), dim=-1)
    w_policy = torch.full_like(batch["outcome"], distillation.policy_weight)
    w_value = torch.full_like(batch["outcome"], distillation.value_weight)
    if batch.get("teacher_only") is not None:  # positions with no targets of their own: the teacher's alone
        w_policy = torch.where(batch["teacher_only"], 1.0, w_policy)
        w_value = torch.where(batch["teacher_only"], 1.0, w_value)
    value_target = (1.0 - value_q_weight) * batch["outcome"] + value_q_weight * batch["root_value"]
    w_policy = w_policy[:, None]
    return dict(batch, policy=(1.0 - w_policy) * batch["policy"] + w_policy * teacher_policy,
                # Value targets are already mixed here, so `losses` is called with value_q_weight 0.
                outcome=(1.0 - w_value) * value_target + w_value * teacher_values.float(),
                root_value=torch.zeros_like(batch["root_value"]))


class Learner:
    def __init__(self, model: torch.nn.Module, optimizer: OptimizerSection, training: TrainingSection):
        self.model = model
        self.optimizer_config = optimizer
        self.training = training
        self.device = torch.device(training.device)
        self.model.to(self.device)
        self.optimizer = make_optimizer(model, optimizer)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: learning_rate_factor(step, optimizer, training.steps))
        self.step = 0
        self.skipped_steps = 0  # batches whose loss or gradient was not finite (no update made)
        self.consecutive_skipped_steps = 0
        self.autocast_dtype = autocast_dtype(training, self.device)
        # float16's narrow range underflows small gradients: scale the loss (bfloat16 needs none).
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.autocast_dtype == torch.float16)
        # The auxiliary opponent-reply target: trained where the network has its head.
        self.trains_opponent_policy = (getattr(model, "opponent_policy_head", None) is not None
                                       and training.opponent_policy_weight > 0)
        # A ResNet's training forward also gives the win/draw/loss logits and the reply's;
        # any other module (the exact test network) is trained through its plain forward.
        self.training_forward = getattr(model, "forward_for_training", None)
        self.forward = CompiledForward(self.training_forward or model,
                                       compile_enabled(training.compile, training.device), "training model")

    def _tensors(self, batch: TrainingBatch, distillation: Distillation | None) -> dict[str, torch.Tensor]:
        to = lambda array: torch.from_numpy(array).to(self.device, non_blocking=True)
        tensors = dict(planes=to(batch.planes), policy=to(batch.policy), legal=to(batch.legal),
                       outcome=to(batch.outcome), root_value=to(batch.root_value))
        if self.trains_opponent_policy:
            if batch.opponent_policy is None:
                raise ValueError("a network with an opponent policy head needs batches with the replies' targets "
                                 "(ReplayBuffer.sample(..., opponent_policy=True))")
            tensors["opponent_policy"] = to(batch.opponent_policy)
        if batch.teacher_only is not None:
            if distillation is None:
                raise ValueError("a batch with teacher-only positions needs a teacher (distillation)")
            tensors["teacher_only"] = to(batch.teacher_only)
        return tensors

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                              enabled=self.autocast_dtype is not None)

    def train_step(self, batch: TrainingBatch, distillation: Distillation | None = None) -> LossComponents:
        """One optimiser step on `batch`: its gradient is accumulated over
        `gradient_accumulation_steps` equal micro-batches, each loss divided by their number,
        so the sum is the gradient of the whole batch's mean loss."""
        self.model.train()
        tensors = self._tensors(batch, distillation)
        parts = self.training.gradient_accumulation_steps
        if len(batch.outcome) % parts:
            raise ValueError(f"a batch of {len(batch.outcome)} does not split into {parts} equal micro-batches")
        size = len(batch.outcome) // parts
        self.optimizer.zero_grad(set_to_none=True)
        policy_total = value_total = entropy_total = opponent_total = 0.0
        for part in range(parts):
            micro = {name: tensor[part * size:(part + 1) * size] for name, tensor in tensors.items()}
            value_q_weight = self.training.value_q_weight
            if distillation is not None:
                with self._autocast():
                    micro = distilled_targets(micro, distillation, value_q_weight)
                value_q_weight = 0.0
            with self._autocast():
                if self.training_forward is not None:
                    logits, values, opponent_logits = self.forward(micro["planes"])
                else:
                    logits, values = self.forward(micro["planes"])
            policy_loss, value_loss = losses(logits, values, micro, value_q_weight)
            loss = policy_loss + value_loss
            if self.trains_opponent_policy:
                opponent_loss = opponent_policy_loss(opponent_logits, micro["opponent_policy"])
                loss = loss + self.training.opponent_policy_weight * opponent_loss
                opponent_total += opponent_loss.item() / parts
            self.scaler.scale(loss / parts).backward()
            policy_total += policy_loss.item() / parts
            value_total += value_loss.item() / parts
            with torch.no_grad():
                target = micro["policy"].clamp_min(1e-12)
                entropy = -(micro["policy"] * target.log()).sum(dim=-1)
                entropy_total += mean_over_policy_targets(entropy, micro["policy"]).item() / parts
        if not self._update_is_finite(policy_total, value_total):
            self.optimizer.zero_grad(set_to_none=True)
            self.skipped_steps += 1
            self.consecutive_skipped_steps += 1
            if self.consecutive_skipped_steps >= MAX_CONSECUTIVE_SKIPPED_STEPS:
                raise NonFiniteTrainingError(
                    f"the loss or gradient was not finite in {self.consecutive_skipped_steps} batches in a row "
                    f"(last: policy loss {policy_total}, value loss {value_total}): the replay holds non-finite "
                    "targets or training diverged; stopped with the weights of the last finite step")
            return LossComponents(policy_total, value_total, policy_total + value_total, entropy_total, skipped=True,
                                  opponent_policy=opponent_total)
        self.consecutive_skipped_steps = 0
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.step += 1
        return LossComponents(policy_total, value_total, policy_total + value_total, entropy_total,
                              opponent_policy=opponent_total)

    def _update_is_finite(self, policy_loss: float, value_loss: float) -> bool:
        """Whether this step's losses and gradients are finite. With float16's gradient
        scaler on, an overflowing gradient is the scaler's to skip (it lowers its scale),
        so only the losses are checked here."""
        if not (math.isfinite(policy_loss) and math.isfinite(value_loss)):
            return False
        if self.scaler.is_enabled():
            return True
        gradients = [parameter.grad for parameter in self.model.parameters() if parameter.grad is not None]
        return not gradients or bool(torch.isfinite(torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(gradient) for gradient in gradients]))))

    def state_dict(self) -> dict:
        return dict(model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
                    scheduler=self.scheduler.state_dict(), scaler=self.scaler.state_dict(), step=self.step)

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):  # checkpoints from before float16 training have none
            self.scaler.load_state_dict(state["scaler"])
        self.step = state["step"]
