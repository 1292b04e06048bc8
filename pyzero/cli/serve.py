"""`pyzero serve`: the web interface (play and analyse in the browser)."""

from __future__ import annotations

import click

from pyzero.cli.app import cli
from pyzero.cli.common import reported_errors


@cli.command()
@click.argument("target", metavar="CONFIG|RUN_DIR")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default answers this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the engines' searches.")
def serve(target: str, host: str, port: int, seed: int) -> None:
    """Serve the web interface for a run: CONFIG|RUN_DIR is a run config or a run directory
    (its config.yaml); its checkpoints are offered for the run's game, an untrained network
    for the other games. Open the printed address in a browser; each tab is its own game."""
    import uvicorn

    from pyzero.web.app import create_app
    from pyzero.web.engines import ServeTarget
    from pyzero.web.protocol import MAX_FRAME_BYTES

    with reported_errors():
        served = ServeTarget.load(target)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who can reach it can use the engine", err=True)
    # Plain echo: the address must stay on one line to be clicked or copied.
    click.echo(f"pyzero serve: {served.config.game.name} from {target}; open http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(served, seed), host=host, port=port, ws_max_size=MAX_FRAME_BYTES, log_level="warning")
