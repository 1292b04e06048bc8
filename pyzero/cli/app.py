"""The `pyzero` command group; each command lives in a module of its own (pyzero/cli/*.py)."""

from __future__ import annotations

import click

from pyzero import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyzero")
def cli() -> None:
    """pyzero: AlphaZero-style self-play learning for board games."""


def main() -> None:
    cli(prog_name="pyzero")
