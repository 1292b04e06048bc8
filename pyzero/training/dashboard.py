"""What a training run shows: a rich live dashboard, or plain log lines (--no-dashboard),
and TensorBoard scalars for every number either shows (and Weights & Biases, with
`metrics.wandb`)."""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

SPARK = "▁▂▃▄▅▆▇█"
log = logging.getLogger("pyzero.train")


def sparkline(values) -> str:
    values = list(values)
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1)))] for v in values)


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


class TrainingView:
    """Collects metrics and shows them (rich Live, or log lines), and logs to TensorBoard."""

    GROUPS = {
        "self-play": ["games/s", "positions/s", "evaluations/s", "batch fill", "cache hit rate", "games finished",
                      "positions", "outstanding", "unsent", "worker idle", "network wait"],
        "learner": ["step", "steps/s", "samples trained", "replay positions", "learning rate",
                    "policy loss", "value loss", "target entropy"],
        "run": ["phase", "elapsed", "next checkpoint in", "last evaluation"],
    }

    def __init__(self, live: bool, tensorboard_directory: Path | None, log_interval: float = 10.0, wandb=None):
        self.live = live
        self.wandb = wandb  # a WandbLogger (metrics.wandb), or None
        self.metrics: dict[str, object] = {}
        self.history = {name: deque(maxlen=48) for name in ("policy loss", "value loss", "evaluations/s")}
        self.log_interval = log_interval
        self._last_log = 0.0
        self._live: Live | None = None
        self._writer = None
        if tensorboard_directory is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._writer = SummaryWriter(str(tensorboard_directory))
            except ImportError:  # tensorboard is optional
                log.warning("tensorboard is not installed: no TensorBoard scalars")

    def __enter__(self) -> "TrainingView":
        if self.live:
            self._live = Live(self._render(), console=Console(), refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exception) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(*exception)
        if self._writer is not None:
            self._writer.close()
        if self.wandb is not None:
            self.wandb.close()

    def update(self, metrics: dict[str, object], step: int) -> None:
        self.metrics.update(metrics)
        for name, series in self.history.items():
            if isinstance(metrics.get(name), (int, float)):
                series.append(float(metrics[name]))
        if self._writer is not None:
            for name, value in metrics.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._writer.add_scalar(name.replace(" ", "_").replace("/", "_per_"), value, step)
        if self.wandb is not None:
            self.wandb.log(metrics, step)
        if self._live is not None:
            self._live.update(self._render())
        elif time.monotonic() - self._last_log >= self.log_interval:
            self._last_log = time.monotonic()
            keys = ["phase", "step", "games finished", "positions/s", "evaluations/s", "batch fill", "policy loss",
                    "value loss", "replay positions", "last evaluation"]
            log.info("  ".join(f"{key}={_format(self.metrics[key])}" for key in keys if key in self.metrics))

    def _render(self):
        tables = []
        for title, names in self.GROUPS.items():
            table = Table(title=title, show_header=False, expand=True, title_justify="left")
            table.add_column("name", style="cyan")
            table.add_column("value", justify="right")
            table.add_column("trend")
            for name in names:
                if name in self.metrics:
                    trend = sparkline(self.history[name]) if name in self.history else ""
                    table.add_row(name, _format(self.metrics[name]), trend)
            tables.append(table)
        return Panel(Group(*tables), title="pyzero training")
