"""`pyzero networks` (the networks that ship, with their strength) and `pyzero export`
(a checkpoint as a network file to share)."""

from __future__ import annotations

from pathlib import Path

import click

from pyzero.cli.app import cli
from pyzero.cli.common import console, reported_errors


@cli.command()
@click.option("--verbose", "-v", is_flag=True, help="Also how each was trained and every strength measurement.")
def networks(verbose: bool) -> None:
    """The networks that ship with pyzero: the game and options each plays, its size, and
    its measured strength. `pyzero play GAME`, `tei`, `uci`, `serve` and the arena's
    `bundled` player use the one that matches the game when no run or checkpoint is given."""
    from rich.table import Table

    from pyzero.networks import bundled_networks

    with reported_errors():
        found = bundled_networks()
    table = Table(show_header=True, header_style="bold")
    for column in ("name", "game", "network", "trained", "strength"):
        table.add_column(column)
    for network in found:
        manifest = network.manifest
        options = " ".join(f"{key}={value:g}" for key, value in manifest.game.options.items())
        shape = manifest.network
        trained = (f"{manifest.training.learner_steps:,} steps, "
                   f"{manifest.training.cpu_seconds / 3600:.1f} CPU-h")
        strength = "\n".join(item.summary for item in manifest.strength) or "not measured"
        table.add_row(manifest.name + (" (default)" if manifest.default else ""),
                      f"{manifest.game.name} {options}".strip(),
                      f"{shape.get('blocks')}x{shape.get('channels')} {shape.get('policy_head', 'dense')}",
                      trained, strength)
    console.print(table)
    if verbose:
        for network in found:
            manifest = network.manifest
            console.print(f"\n[bold]{manifest.name}[/bold]: {manifest.summary}", highlight=False)
            console.print(f"  trained: {manifest.training.command}  (commit {manifest.training.commit[:10]}, "
                          f"{manifest.training.machine}, {manifest.training.date})", highlight=False)
            for item in manifest.strength:
                console.print(f"  {item.opponent}: {item.result}\n    measured by: {item.command}", highlight=False)


@cli.command()
@click.argument("checkpoint", type=click.Path(exists=True))
@click.argument("destination", type=click.Path(dir_okay=False))
@click.option("--precision", type=click.Choice(["float16", "float32"]), default="float16", show_default=True,
              help="The weights' number format (float16: half the bytes, the same moves).")
def export(checkpoint: str, destination: str, precision: str) -> None:
    """Write CHECKPOINT (a checkpoint file or a run directory's latest) as a network file
    at DESTINATION: its weights and the config that trained them, nothing else. Every
    --checkpoint option, and the TEI and UCI network options, accept the file."""
    from pyzero.model import list_checkpoints, read_checkpoint, write_network_file

    with reported_errors():
        source = Path(checkpoint)
        if source.is_dir():
            directory = source / "checkpoints" if (source / "checkpoints").is_dir() else source
            paths = list_checkpoints(directory)
            if not paths:
                raise FileNotFoundError(f"{checkpoint}: no checkpoint there")
            source = paths[-1]
        written = write_network_file(Path(destination), read_checkpoint(source), str(source), precision)
    click.echo(f"{written}: the network of {source} ({precision}, {written.stat().st_size:,} bytes)")
