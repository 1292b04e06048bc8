"""`pyzero train`: the main job."""

from __future__ import annotations

import json

import click

from pyzero.cli.app import cli
from pyzero.cli.common import console, parse_overrides, reported_errors, termination_as_interrupt


@cli.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("--resume", is_flag=True, help="Resume the run in the config's run directory without asking.")
@click.option("--restart", is_flag=True, help="Archive the existing run directory and start over.")
@click.option("--no-dashboard", is_flag=True, help="Plain log lines instead of the live dashboard.")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop (with a checkpoint) after this wall time.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Self-play in Ray actors (the config's distributed section): --ray alone starts Ray on this "
              "machine, --ray auto joins the cluster of `ray start --head` here, --ray HOST:PORT the head there. "
              "Needs pip install 'pyzero[ray]'.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set training.steps=500 (YAML value syntax).")
def train(config_path: str, resume: bool, restart: bool, no_dashboard: bool, seconds: float | None,
          ray_address: str | None, overrides: tuple[str, ...]) -> None:
    """Train on CONFIG (the main job): self-play and learning together, checkpointed.

    An existing run directory is resumed by default (asked on a terminal: resume /
    restart / abort); Ctrl-C or SIGTERM saves a checkpoint and stops cleanly.
    """
    import logging

    from pyzero.config import load_config
    from pyzero.training.trainer import Trainer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    values = parse_overrides(overrides)
    with reported_errors(interrupted="stopped; a checkpoint was saved. Run the same command to resume."):
        config = load_config(config_path, values)
        check_devices_present(config, self_play_here=ray_address is None)
        check_run_directory_possible(config)
        if ray_address is None:
            trainer = Trainer(config, resume=resume, restart=restart, dashboard=not no_dashboard)
        else:
            from pyzero.distributed.driver import DistributedTrainer

            trainer = DistributedTrainer(config, ray_address, resume=resume, restart=restart,
                                         dashboard=not no_dashboard)
        console.print(f"run directory: {trainer.directory} ({trainer.mode})", highlight=False)
        with termination_as_interrupt():
            summary = trainer.run(max_seconds=seconds)
    console.print(json.dumps(summary, indent=2, default=str), highlight=False)


def missing_device_problem(device: str) -> str | None:
    """Why this machine cannot run on `device` (a CUDA index it does not have, CUDA or MPS
    absent), or None."""
    import torch

    kind, _, index = device.partition(":")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if int(index or 0) >= count:
            return f"{device} is not on this machine (PyTorch sees {count} CUDA device{'s' * (count != 1)})"
    if kind == "mps" and not torch.backends.mps.is_available():
        return f"{device} is not on this machine (PyTorch has no MPS device here)"
    return None


def check_devices_present(config, self_play_here: bool) -> None:
    """Refuses, before the trainer creates or changes any file of the run, a device this
    machine does not have: the learner's (`training.device`) and, when self-play runs
    here rather than on Ray actors elsewhere, the network's (`inference.device`)."""
    from pyzero.config import ConfigError

    keys = [("training", "device")] + ([("inference", "device")] if self_play_here else [])
    for section, key in keys:
        problem = missing_device_problem(getattr(getattr(config, section), key))
        if problem is not None:
            raise ConfigError(f"{config.location(section, key)}: key '{section}.{key}': {problem}")


def check_run_directory_possible(config) -> None:
    """Refuses, before the trainer writes anything, a run directory that cannot be one:
    the path, or a folder above it, is a file."""
    from pyzero.config import ConfigError

    directory = config.run_directory()
    for path in (directory, *directory.parents):
        if path.exists():
            if not path.is_dir():
                raise ConfigError(f"{config.location('run_dir')}: key 'run_dir': the run directory {directory} "
                                  f"cannot be made: {path} is a file")
            return
