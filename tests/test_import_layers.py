"""The package's layers (pyproject.toml, [tool.importlinter]) hold, and the contract
catches what it is there to catch: an import from a lower layer up into a higher one,
and an import cycle between two modules of one package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports with the repository's contract on the `pyzero` package under `root`."""
    return subprocess.run([str(LINT_IMPORTS), "--config", str(REPOSITORY / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def copy_of_package(tmp_path: Path) -> Path:
    """The package's Python sources alone (the contract reads imports, it runs nothing)."""
    shutil.copytree(REPOSITORY / "pyzero", tmp_path / "pyzero",
                    ignore=shutil.ignore_patterns("_native_build", "__pycache__", "*.so"))
    return tmp_path


def test_the_layer_contract_holds():
    result = lint(REPOSITORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_import_up_the_layers_breaks_the_contract(tmp_path):
    root = copy_of_package(tmp_path)
    assert lint(root).returncode == 0  # the unchanged copy passes
    player = root / "pyzero" / "players" / "network_player.py"
    # What the network player once did: reach up into training for build_model.
    player.write_text(player.read_text() + "\nfrom pyzero.training.trainer import Trainer  # noqa\n")
    result = lint(root)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "pyzero.players.network_player -> pyzero.training.trainer" in result.stdout


def test_a_cycle_inside_a_package_breaks_the_contract(tmp_path):
    root = copy_of_package(tmp_path)
    # What inference.py and max_backend.py once did: two modules of a package importing
    # each other (here the cache and the evaluator that wraps it).
    cache = root / "pyzero" / "inference" / "cache.py"
    cache.write_text(cache.read_text() + "\nfrom pyzero.inference import evaluator  # noqa\n")
    result = lint(root)
    assert result.returncode != 0
    assert "no import cycles between the modules of any one package BROKEN" in result.stdout.replace("\n", " ")
