"""`pyzero replay`: replay a Tak PTN file."""

from __future__ import annotations

import json

import click

from pyzero.cli.app import cli
from pyzero.cli.common import EXIT_BAD_INPUT, fail, reported_errors


@cli.command()
@click.argument("ptn_file", metavar="FILE.ptn", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list when the file has several games).")
def replay(ptn_file: str, as_json: bool) -> None:
    """Replay a Tak PTN file: print the final TPS, the result and the ply count.

    The result is derived from the final position (R-0, 0-R, F-0, 0-F, 1/2-1/2, or none
    when the game is not over on the board). An illegal or malformed ply exits with
    status 2 and a message naming the ply and the reason.
    """
    from pyzero.games.ptn import read_ptn_file, replay as replay_game

    with reported_errors():
        games = read_ptn_file(ptn_file)
        if not games:
            fail(f"{ptn_file}: no game found", EXIT_BAD_INPUT)
        reports = []
        for game in games:
            outcome = replay_game(game)
            reports.append(
                {
                    "tps": outcome.final_state.tps(),
                    "result": outcome.result,
                    "plies": outcome.plies,
                    "result_tag": game.tag("Result"),
                }
            )
    if as_json:
        click.echo(json.dumps(reports[0] if len(reports) == 1 else reports))
        return
    for report in reports:
        click.echo(f"tps: {report['tps']}")
        click.echo(f"result: {report['result'] or 'none'}")
        click.echo(f"plies: {report['plies']}")
