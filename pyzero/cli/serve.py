"""`pyzero serve`: the web interface (play and analyse in the browser)."""

from __future__ import annotations

import click

from pyzero.cli.app import cli
from pyzero.cli.common import reported_errors

LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost", "::1")


@cli.command()
@click.argument("target", metavar="[CONFIG|RUN_DIR]", default="tak", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default answers this machine only; any other address "
                   "(0.0.0.0: every interface) exposes the server: anyone who can reach the address can use "
                   "the engine and read the run's curves, games and directory path. Requests must name the "
                   "server by this address, a loopback name or an --allow-host name.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Another host name or address the server answers to (repeatable), e.g. this machine's "
                   "LAN name or address with --host 0.0.0.0. Requests naming any other host (another "
                   "website's, through DNS rebinding) get 403, and websockets from other sites' pages are "
                   "refused. '*' answers any name: only behind a proxy that checks names itself.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the engines' searches.")
def serve(target: str, host: str, allow_hosts: tuple[str, ...], port: int, seed: int) -> None:
    """Serve the web interface for a run: CONFIG|RUN_DIR is a run config (a file or the name
    of one pyzero ships; default: tak) or a run directory (its config.yaml); its
    checkpoints are offered for the run's game, and the bundled networks (else untrained
    ones) play the other games and the run's game while it has no checkpoint. Open the printed address in a browser; each tab is its own game."""
    import uvicorn

    from pyzero.web.app import create_app
    from pyzero.web.served_players import ServeTarget
    from pyzero.web.host_guard import allowed_host_names
    from pyzero.web.protocol import MAX_FRAME_BYTES

    with reported_errors():
        served = ServeTarget.load(target)
    allowed = allowed_host_names(host, allow_hosts)
    if host not in LOOPBACK_ADDRESSES:
        click.echo(f"warning: listening on {host}: anyone who can reach it can use the engine and read the run's "
                   f"curves; answering requests for {', '.join(allowed)} (add names with --allow-host)", err=True)
    address = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed in a URL
    # Plain echo: the address must stay on one line to be clicked or copied.
    click.echo(f"pyzero serve: {served.config.game.name} from {target}; open http://{address}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(served, seed, allowed_hosts=allowed), host=host, port=port, ws_max_size=MAX_FRAME_BYTES,
                log_level="warning")
