"""A run directory is self-describing: config.yaml (the full config, defaults included),
checkpoints/, replay/, tensorboard/, evaluations.jsonl. Starting a run whose directory
exists resumes it by default; restarting archives the old directory first."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from pyzero.config import ConfigError, RunConfig
from pyzero.errors import PyzeroFailure

# A change to these means a checkpoint cannot be loaded into the new run.
INCOMPATIBLE_SECTIONS = ("game", "network")


class RunAborted(PyzeroFailure):
    """The user chose to abort at the resume prompt."""


def has_previous_run(directory: Path) -> bool:
    return (directory / "config.yaml").exists() or (directory / "checkpoints").is_dir()


def incompatible_changes(previous: dict, config: RunConfig) -> list[str]:
    """The sections of INCOMPATIBLE_SECTIONS that differ between a run's recorded config
    and `config`; a recorded section is read with today's defaults for keys it predates."""
    current = config.snapshot()
    changes = []
    for section in INCOMPATIBLE_SECTIONS:
        recorded = previous.get(section)
        try:
            recorded = type(getattr(config, section)).model_validate(recorded).model_dump(mode="json")
        except ValueError:
            pass  # not valid today: compared as written, so it differs and is named
        if recorded != current[section]:
            changes.append(f"{section}: {previous.get(section)} -> {current[section]}")
    return changes


def choose_start(directory: Path, config: RunConfig, resume: bool, restart: bool, ask=None) -> str:
    """'fresh', 'resume' or 'restart' for a run into `directory` (see the module docstring).

    With a terminal and neither flag, asks resume / restart / abort (resume preselected);
    without one, resumes. A previous run with another game or network shape cannot be
    resumed: that is an error unless restarting.
    """
    if resume and restart:
        raise ConfigError("--resume and --restart exclude each other")
    if not has_previous_run(directory):
        return "fresh"
    if restart:
        return "restart"
    previous_file = directory / "config.yaml"
    changes = []
    if previous_file.exists():
        changes = incompatible_changes(yaml.safe_load(previous_file.read_text()) or {}, config)
    if changes:
        raise ConfigError(f"{directory}: cannot resume this run, the config changed what the checkpoints hold: "
                          + "; ".join(changes) + ". Use --restart to archive it and start over, or grow a new run "
                          f"from it: another run_dir with upgrade.from_run: {directory} (docs/training.md: Growing a run).")
    if resume:
        return "resume"
    if ask is None:
        if not sys.stdin.isatty():
            return "resume"
        from rich.prompt import Prompt

        ask = lambda: Prompt.ask(f"{directory} holds a run: resume, restart (archive the old run) or abort?",
                                 choices=["resume", "restart", "abort"], default="resume")
    answer = ask()
    if answer == "abort":
        raise RunAborted(f"aborted: left {directory} as it was")
    return answer


def archive(directory: Path) -> Path:
    target = directory.with_name(f"{directory.name}.archived-{time.strftime('%Y%m%d-%H%M%S')}")
    directory.rename(target)
    return target


def write_config_snapshot(directory: Path, config: RunConfig) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / ".config.yaml.tmp"
    temporary.write_text(yaml.safe_dump(config.snapshot(), sort_keys=False))
    temporary.replace(directory / "config.yaml")
