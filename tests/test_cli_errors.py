"""One mapping from errors to exit codes for every command (pyzero/cli/common.py): input
errors (ValueError, a missing file the user named) exit 2, failures of the system
(PyzeroFailure) exit 1, Ctrl-C 130, and anything else is a bug whose traceback is kept."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import pyzero
from pyzero.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, exit_code, reported_errors
from pyzero.errors import PyzeroFailure


def project_error_classes() -> list[type]:
    """Every exception class the pyzero package defines."""
    found = []
    for module_info in pkgutil.walk_packages(pyzero.__path__, "pyzero."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == module.__name__ \
                    and not value.__name__.startswith("_"):  # private ones are control flow (the terminal's quit)
                found.append(value)
    return found


def test_every_error_the_project_defines_has_an_exit_code():
    classes = project_error_classes()
    names = {cls.__name__ for cls in classes}
    assert {"ConfigError", "PositionError", "NativeBuildError", "PipelineError", "TeiEngineError", "RunAborted"} <= names
    for cls in classes:
        assert issubclass(cls, (ValueError, PyzeroFailure)), f"{cls.__module__}.{cls.__name__} has no exit code"


@pytest.mark.parametrize("error, code", [
    ("pyzero.config:ConfigError", EXIT_BAD_INPUT), ("pyzero.games:PositionError", EXIT_BAD_INPUT),
    ("pyzero.games:IllegalMoveError", EXIT_BAD_INPUT), ("pyzero.games.ptn:PtnError", EXIT_BAD_INPUT),
    ("pyzero.arena.players:PlayerSpecError", EXIT_BAD_INPUT), ("pyzero.model:CheckpointError", EXIT_BAD_INPUT),
    ("pyzero.native:NativeBuildError", EXIT_FAILURE), ("pyzero.selfplay:PipelineError", EXIT_FAILURE),
    ("pyzero.engines.tei:TeiEngineError", EXIT_FAILURE),
    ("pyzero.training.run_directory:RunAborted", EXIT_FAILURE), ("builtins:FileNotFoundError", EXIT_BAD_INPUT),
    ("builtins:KeyboardInterrupt", EXIT_INTERRUPTED), ("builtins:ZeroDivisionError", None),
])
def test_exit_codes(error, code):
    module, _, name = error.partition(":")
    cls = getattr(importlib.import_module(module), name)
    instance = cls("9", "connect4", "", "column full") if name == "IllegalMoveError" else cls("message")
    assert exit_code(instance) == code


def test_reported_errors_print_one_line_and_exit_with_the_code(capsys):
    from pyzero.config import ConfigError

    with pytest.raises(SystemExit) as raised:
        with reported_errors():
            raise ConfigError("configs/x.yaml:3: key 'selfplay.games': unknown key")
    assert raised.value.code == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "error: configs/x.yaml:3: key 'selfplay.games': unknown key\n"
    with pytest.raises(ZeroDivisionError):  # a bug keeps its traceback
        with reported_errors():
            1 / 0


def test_a_command_reports_a_config_error_with_exit_2(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("game:\n  name: connect4\nselfplay:\n  device: cuda\n")
    completed = subprocess.run([sys.executable, "-m", "pyzero", "train", str(config), "--no-dashboard"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == EXIT_BAD_INPUT
    assert completed.stderr.strip() == f"error: {config}:4: key 'selfplay.device': moved to 'inference.device'"
