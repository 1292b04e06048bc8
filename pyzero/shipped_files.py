"""Where the files pyzero ships beside its Python code are: the engine's Mojo sources
(`mojo/`, `games/`) and the configs (`configs/`).

In a clone they are folders at the repository root. A built wheel (or `pip install .`)
carries them inside the package, under `pyzero/_shipped/` (pyproject.toml maps each folder
there), so an installed pyzero builds its engine on first use and finds its configs by name.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIRECTORY = Path(__file__).resolve().parent
REPOSITORY_ROOT = PACKAGE_DIRECTORY.parent
INSTALLED_ROOT = PACKAGE_DIRECTORY / "_shipped"
SHIPPED_FOLDERS = ("mojo", "games", "configs")


def is_clone() -> bool:
    """Whether this pyzero runs from a clone (its folders at the repository root) rather
    than from an installed package. An installed package's parent is site-packages, which
    has no pyproject.toml (and may hold an unrelated `mojo` package: the compiler's)."""
    return (REPOSITORY_ROOT / "pyproject.toml").is_file() and (REPOSITORY_ROOT / "mojo" / "engine_module.mojo").is_file()


def shipped_root() -> Path:
    """The folder holding `mojo/`, `games/` and `configs/`."""
    return REPOSITORY_ROOT if is_clone() else INSTALLED_ROOT


def shipped_folder(name: str) -> Path:
    """One of `SHIPPED_FOLDERS`, in a clone or an installed package."""
    if name not in SHIPPED_FOLDERS:
        raise ValueError(f"{name!r} is not a folder pyzero ships ({', '.join(SHIPPED_FOLDERS)})")
    return shipped_root() / name
