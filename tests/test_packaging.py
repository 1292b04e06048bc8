"""The package as pip installs it: every Python package listed in pyproject.toml, the
engine's Mojo sources and the configs shipped inside it (pyzero/shipped_files.py), and
(slow tier) a wheel built from the clone, installed into a fresh virtual environment
outside it, that compiles its engine from the shipped sources and plays a bundled network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from pyzero.shipped_files import REPOSITORY_ROOT, SHIPPED_FOLDERS

PYPROJECT = tomllib.loads((REPOSITORY_ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_pyproject_lists_every_python_package_and_maps_every_shipped_folder():
    found = sorted(".".join(path.parent.relative_to(REPOSITORY_ROOT).parts)
                   for path in (REPOSITORY_ROOT / "pyzero").rglob("__init__.py")
                   if "_native_build" not in path.parts and "__pycache__" not in path.parts)
    listed = SETUPTOOLS["packages"]
    shipped = {f"pyzero._shipped.{folder}" for folder in SHIPPED_FOLDERS}
    assert sorted(name for name in listed if name not in shipped) == found
    assert shipped <= set(listed)
    assert SETUPTOOLS["package-dir"] == {f"pyzero._shipped.{folder}": folder for folder in SHIPPED_FOLDERS}


def test_a_config_is_found_by_the_name_pyzero_ships_it_under(tmp_path, monkeypatch):
    from pyzero.config import ConfigError, load_config, shipped_config_names

    monkeypatch.chdir(tmp_path)  # nothing here: the names resolve to the shipped configs
    assert {"tictactoe", "connect4", "tak", "tak5", "chess"} <= set(shipped_config_names())
    config = load_config("tak5")
    assert (config.game.name, config.game.options) == ("tak", {"size": 5.0, "komi": 0.0})
    assert config.run_directory() == Path("runs") / "tak5"
    with pytest.raises(ConfigError, match="nor a config pyzero ships .*tictactoe"):
        load_config("tak9")
    with pytest.raises(ConfigError, match="no such config file"):
        load_config("configs/tak9.yaml")


@pytest.mark.slow
def test_a_built_wheel_installed_elsewhere_builds_its_engine_and_plays_a_bundled_network(tmp_path):
    """`pip wheel .`, then a fresh venv in a folder outside the clone with the wheel
    installed (its dependencies come from this environment's site-packages, read through a
    .pth file, so nothing is downloaded), then `pyzero networks` and a game of `pyzero play
    tictactoe` in which the bundled network moves first: the engine compiles from the
    sources inside the installed package."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "--disable-pip-version-check", str(REPOSITORY_ROOT), "-w", str(wheels)], check=True)
    wheel = next(wheels.glob("pyzero-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    new_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    (new_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--disable-pip-version-check", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYZERO_ENGINE")}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    where = subprocess.run([str(python), "-c", "import pyzero; print(pyzero.__file__)"], cwd=elsewhere,
                           env=environment, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(new_site), where
    listed = subprocess.run([str(venv / "bin" / "pyzero"), "networks"], cwd=elsewhere, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert listed.returncode == 0, listed.stderr
    assert "tictactoe" in listed.stdout
    played = subprocess.run([str(venv / "bin" / "pyzero"), "play", "tictactoe", "--second", "--simulations", "8"],
                            input="quit\n", cwd=elsewhere, env=environment, capture_output=True, text=True,
                            timeout=900)
    assert played.returncode == 0, played.stdout + played.stderr
    assert played.stdout.startswith("pyzero play: bundled network tictactoe (")
    assert "compiling the Mojo engine" in played.stderr
    assert re.search(r"engine \(x\) plays [a-c][1-3]", played.stdout), played.stdout
    built = list((new_site / "pyzero" / "_native_build").glob("pyzero_engine.*.so"))
    assert built, "the engine was built inside the installed package"
