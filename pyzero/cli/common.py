"""What the commands share: the console, one mapping from errors to messages and exit
codes, and parsing KEY=VALUE options."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Callable, Iterator, NoReturn

import click
from rich.console import Console

from pyzero.errors import PyzeroFailure

console = Console()

EXIT_FAILURE = 1  # the system failed: the compiler, a self-play thread, an external engine
EXIT_BAD_INPUT = 2  # what the user gave is wrong: a config, a position, a move, a player spec, a missing file
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    # Plain text, not rich: compiler messages carry file:line:column that must not be wrapped.
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def exit_code(error: BaseException) -> int | None:
    """The exit code of an error a command reports as one line (pyzero/errors.py), or
    None for anything else (a bug: its traceback is worth more than a line)."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, PyzeroFailure):
        return EXIT_FAILURE
    if isinstance(error, (ValueError, FileNotFoundError)):  # a file the user named (a checkpoint, a set)
        return EXIT_BAD_INPUT
    return None


@contextlib.contextmanager
def reported_errors(interrupted: str | None = None,
                    explain: Callable[[BaseException], str | None] | None = None) -> Iterator[None]:
    """Runs a command's body, turning the errors of pyzero/errors.py into `error: MESSAGE`
    on stderr and their exit code. Ctrl-C prints `interrupted` (if given) and exits 130.
    `explain(error)` may rewrite a message (return None to keep it)."""
    try:
        yield
    except KeyboardInterrupt:
        if interrupted:
            console.print(interrupted, highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:  # noqa: BLE001 - sorted by exit_code; the rest is re-raised
        code = exit_code(error)
        if code is None:
            raise
        message = (explain(error) if explain else None) or str(error)
        fail(message, code)


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """SIGTERM (what `kill`, systemd, Kubernetes and Slurm send before SIGKILL) handled
    as Ctrl-C: a long job saves its checkpoint and stops cleanly instead of dying mid-step.
    The signal goes to whatever handles SIGINT at that moment, so self-play's start-up,
    which defers Ctrl-C until its threads are consistent, defers it too. Installed after
    `ray.init`, which sets its own SIGTERM handler (a bare `sys.exit`) in a driver."""
    def forward(number, frame):
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only it may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def keep_undecodable_terminal_bytes() -> None:
    """Lets an interactive command read and echo bytes that are not UTF-8: stdin decodes
    them to lone surrogates (as Python already does under the C locale, and as it does for
    argv) and stdout writes those back as the bytes they were, instead of either stream
    raising `UnicodeError` mid-session under a strict UTF-8 locale. What the user typed is
    then refused where it is used (a move or position names the bad character,
    `pyzero.games.api.engine_text_problem`), and the session carries on."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)  # absent when a test replaces the stream
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, object]:
    """--set KEY=VALUE pairs as config overrides (dotted keys, values in YAML syntax; a
    mapping value may not give a key twice). What is not of that form is a
    `click.BadParameter` of one line naming the pair."""
    import yaml

    from pyzero.config import load_yaml_value, yaml_error_place, yaml_error_problem

    values = {}
    for item in pairs:
        key, separator, value = item.partition("=")
        key = key.strip()
        if not separator or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        if not all(key.split(".")):
            raise click.BadParameter(f"{item!r}: the key {key!r} has an empty part (expected dotted keys like "
                                     "selfplay.games)", param_hint="--set")
        try:
            values[key] = load_yaml_value(value)
        except yaml.YAMLError as error:
            place = yaml_error_place(error)
            where = f" (at column {place[1]})" if place and place[0] == 1 else ""
            raise click.BadParameter(f"{item!r}: the value is not valid YAML{where}: {yaml_error_problem(error)}",
                                     param_hint="--set") from None
    return values


def parse_options(pairs: tuple[str, ...]) -> dict[str, float]:
    """--option KEY=VALUE pairs as game options (numbers)."""
    options: dict[str, float] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            options[key] = float(value)
        except ValueError:
            raise click.BadParameter(f"value of {key!r} must be a number, got {value!r}", param_hint="--option")
    return options


def make_game(name: str, options: dict[str, float]):
    """The game `name` with `options`; a bad name or option ends the command (exit 2)."""
    from pyzero.games import make

    with reported_errors():
        return make(name, **options)
