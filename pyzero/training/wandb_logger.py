"""Weights & Biases logging beside TensorBoard: off by default, on with `metrics.wandb`.

Every number the dashboard shows goes to the W&B run, charted against the learner step
(the "step" metric), with the run's full config attached. The W&B run id is kept in the
run directory (wandb-id), so a resumed pyzero run continues the same W&B run instead of
starting a new one. `metrics.wandb_mode: offline` writes into the run directory
(`<run>/wandb/`) only, for `wandb sync` later or for machines without a W&B login.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pyzero.config import ConfigError, RunConfig

ID_FILE = "wandb-id"


def _run_id(directory: Path) -> str:
    """The W&B run id of this pyzero run: made once, then read back on every resume."""
    path = directory / ID_FILE
    if path.exists():
        return path.read_text().strip()
    run_id = secrets.token_hex(6)  # W&B ids: letters and digits, unique within a project
    temporary = directory / f".{ID_FILE}.tmp"
    temporary.write_text(run_id + "\n")
    os.replace(temporary, path)
    return run_id


def require_wandb(config: RunConfig) -> None:
    """Raises the ConfigError of a missing wandb package now, before a run directory is made."""
    if config.metrics.wandb:
        try:
            import wandb  # noqa: F401
        except ImportError:
            raise ConfigError(f"{config.location('metrics', 'wandb')}: key 'metrics.wandb': the wandb package is "
                              "not installed (pip install wandb)") from None


class WandbLogger:
    """A W&B run for a pyzero run directory; `log` takes the dashboard's metrics."""

    def __init__(self, config: RunConfig, directory: Path):
        section = config.metrics
        require_wandb(config)
        import wandb

        directory.mkdir(parents=True, exist_ok=True)
        run_id = _run_id(directory)
        try:
            self.run = wandb.init(
                project=section.wandb_project, entity=section.wandb_entity or None, mode=section.wandb_mode,
                dir=str(directory), id=run_id, resume="allow", name=directory.name,
                config=config.snapshot(),
                # console off: W&B must not wrap stdout, which the live dashboard draws on.
                settings=wandb.Settings(console="off", quiet=True, disable_git=True))
        except Exception as error:  # noqa: BLE001 - no login, no network, a bad entity: say so, by key
            raise ConfigError(f"{config.location('metrics', 'wandb')}: key 'metrics.wandb': W&B did not start "
                              f"({type(error).__name__}: {error}); metrics.wandb_mode: offline needs no login"
                              ) from None
        self.run.define_metric("step")
        self.run.define_metric("*", step_metric="step")

    def log(self, metrics: dict[str, object], step: int) -> None:
        numbers = {name: value for name, value in metrics.items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)}
        self.run.log({**numbers, "step": step})

    def close(self) -> None:
        self.run.finish()
