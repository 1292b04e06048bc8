"""`pyzero build`: compile the Mojo engine."""

from __future__ import annotations


import click

from pyzero.cli.app import cli
from pyzero.cli.common import console, reported_errors


@cli.command()
@click.option("--force", is_flag=True, help="Recompile even if the cached engine is up to date.")
def build(force: bool) -> None:
    """Compile the Mojo engine (done automatically when a source or the compiler changes)."""
    from pyzero.native import build_native

    with reported_errors():
        path = build_native(force=force)
    console.print(f"engine: {path}", highlight=False)
