"""The learner: policy cross-entropy against the improved policy, value MSE, weight decay;
AdamW or SGD with momentum; warmup then a constant, cosine or step schedule; autocast on GPU."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pyzero.config import OptimizerSection, TrainingSection
from pyzero.replay import TrainingBatch


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
    return torch.optim.AdamW(model.parameters(), lr=optimizer.learning_rate, weight_decay=optimizer.weight_decay)


@dataclass
class LossComponents:
    policy: float
    value: float
    total: float
    policy_entropy: float  # of the target: the floor the policy loss can reach


def losses(logits: torch.Tensor, values: torch.Tensor, batch: dict[str, torch.Tensor],
           value_q_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(policy loss, value loss) of one batch. Illegal actions are masked out of the
    softmax: the search only ever reads the logits of legal actions."""
    masked = logits.float().masked_fill(~batch["legal"], -1e9)
    policy_loss = -(batch["policy"] * F.log_softmax(masked, dim=-1)).sum(dim=-1).mean()
    target = (1.0 - value_q_weight) * batch["outcome"] + value_q_weight * batch["root_value"]
    value_loss = F.mse_loss(values.float(), target)
    return policy_loss, value_loss


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
        self.autocast = self.device.type == "cuda" and training.mixed_precision

    def _tensors(self, batch: TrainingBatch) -> dict[str, torch.Tensor]:
        to = lambda array: torch.from_numpy(array).to(self.device, non_blocking=True)
        return dict(planes=to(batch.planes), policy=to(batch.policy), legal=to(batch.legal),
                    outcome=to(batch.outcome), root_value=to(batch.root_value))

    def train_step(self, batch: TrainingBatch) -> LossComponents:
        self.model.train()
        tensors = self._tensors(batch)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            logits, values = self.model(tensors["planes"])
        policy_loss, value_loss = losses(logits, values, tensors, self.training.value_q_weight)
        total = policy_loss + value_loss
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        with torch.no_grad():
            target = tensors["policy"].clamp_min(1e-12)
            entropy = -(tensors["policy"] * target.log()).sum(dim=-1).mean()
        return LossComponents(policy_loss.item(), value_loss.item(), total.item(), entropy.item())

    def state_dict(self) -> dict:
        return dict(model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
                    scheduler=self.scheduler.state_dict(), step=self.step)

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = state["step"]
