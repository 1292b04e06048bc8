"""The native module: the Mojo engine (games, searches, self-play) built into one Python
extension module, and loaded. Python's other uses of "engine" are elsewhere: external
programs are `pyzero.engines`, the protocol servers `pyzero.protocols`, the network
player `pyzero.players.network_player`.

All Mojo sources (`mojo/` and `games/` at the repository root; inside the package when
installed, pyzero/shipped_files.py) compile into `pyzero_engine`, a shared library stored
under `pyzero/_native_build/` (or, where the package folder is not writable, as in a
system-wide install, `$XDG_CACHE_HOME/pyzero/native`) with a name that
carries a key: the SHA-256 of the compiler's identity (`mojo --version` and the driver's
path) and of every source file's path and bytes. A changed source or compiler gives a new
key, hence a rebuild; an unchanged tree loads the cached library. Libraries for older keys
are deleted, and a library is only ever moved into place whole (build to a temporary name,
then rename), so a stale or half-written `.so` is never loaded. A file lock keeps
concurrent processes from building the same key twice.

Two variants: the release engine (the default) is compiled with `-D ASSERT=none`, which
turns off Mojo's bounds checks on every list index and its debug assertions: they were
41% of a self-play worker's instructions (callgrind, Connect4 default) and about a quarter
of its time. `PYZERO_ENGINE_CHECKS=1` selects the checked engine (Mojo's defaults: an index
out of range aborts with its file and line), which the test suite runs (tests/conftest.py),
as do the Mojo test files. Each variant keeps its own cached library.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pyzero.errors import PyzeroFailure
from pyzero.shipped_files import PACKAGE_DIRECTORY, REPOSITORY_ROOT, shipped_root  # noqa: F401 (REPOSITORY_ROOT: for tests)

ENGINE_MODULE_NAME = "pyzero_engine"
PACKAGE_BUILD_DIRECTORY = PACKAGE_DIRECTORY / "_native_build"
SOURCE_PACKAGES = ("mojo", "games")
ENTRY_POINT = Path("mojo") / "engine_module.mojo"


class NativeBuildError(PyzeroFailure):
    """The Mojo compiler rejected the engine sources; the message is the compiler's."""


CHECKS_VARIABLE = "PYZERO_ENGINE_CHECKS"


def checks_requested() -> bool:
    """`PYZERO_ENGINE_CHECKS`: 1 for the checked engine (bounds checks and assertions on),
    0 or unset for the release engine."""
    value = os.environ.get(CHECKS_VARIABLE, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise NativeBuildError(f"{CHECKS_VARIABLE}={value!r}: expected 1 (the checked engine: bounds checks and "
                           "assertions on) or 0 (the release engine, the default)")


@dataclass(frozen=True)
class EngineSources:
    """Where the engine's Mojo sources are and where its built library goes.

    The defaults can be redirected with the environment variables
    `PYZERO_ENGINE_SOURCE_ROOT` and `PYZERO_ENGINE_BUILD_DIRECTORY` (for engine work on a
    copy of the sources, and for the build system's own tests).
    """

    source_root: Path = field(
        default_factory=lambda: Path(os.environ.get("PYZERO_ENGINE_SOURCE_ROOT") or shipped_root())
    )
    build_directory: Path = field(
        default_factory=lambda: Path(os.environ.get("PYZERO_ENGINE_BUILD_DIRECTORY") or default_build_directory())
    )
    checks: bool = field(default_factory=checks_requested)  # the checked variant (see the module docstring)

    @property
    def variant(self) -> str:
        return "checked" if self.checks else "release"

    def source_files(self) -> list[Path]:
        files: list[Path] = []
        for package in SOURCE_PACKAGES:
            files.extend(sorted((self.source_root / package).rglob("*.mojo")))
        if not files:
            raise NativeBuildError(f"no Mojo sources found under {self.source_root}")
        return files


def default_build_directory() -> Path:
    """`pyzero/_native_build/`, or a per-user cache folder where the package's folder is
    not writable."""
    if os.access(PACKAGE_DIRECTORY, os.W_OK) or PACKAGE_BUILD_DIRECTORY.is_dir() and \
            os.access(PACKAGE_BUILD_DIRECTORY, os.W_OK):
        return PACKAGE_BUILD_DIRECTORY
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "pyzero" / "native"


def mojo_environment() -> dict[str, str]:
    """The environment for running the `mojo` driver of this Python environment."""
    try:
        from mojo.run import _mojo_env  # the pip-installed SDK knows its own paths
    except ImportError:  # a conda/pixi Mojo: the driver is on PATH
        return dict(os.environ)
    environment = _mojo_env()
    # With the interpreter's bin directory on PATH the driver finds its helpers (and does
    # not print "Failed to initialize Crashpad" when started from a bare environment).
    bin_directory = str(Path(sys.executable).parent)
    environment["PATH"] = bin_directory + os.pathsep + environment.get("PATH", "")
    return environment


def mojo_driver(environment: dict[str, str]) -> str:
    driver = environment.get("MODULAR_MOJO_MAX_DRIVER_PATH") or shutil.which("mojo")
    if not driver or not os.path.exists(driver):
        raise NativeBuildError(
            "the Mojo compiler was not found: install the `mojo` package (pip install mojo) "
            "or put `mojo` on PATH"
        )
    return driver


def compiler_identity(environment: dict[str, str]) -> str:
    """`mojo --version` plus the driver path: changes whenever the compiler does."""
    driver = mojo_driver(environment)
    completed = subprocess.run(
        [driver, "--version"], env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise NativeBuildError(f"`{driver} --version` failed:\n{completed.stderr}")
    return f"{driver}\n{completed.stdout.strip()}"


def build_key(sources: EngineSources, identity: str) -> str:
    digest = hashlib.sha256(identity.encode())
    for path in sources.source_files():
        digest.update(str(path.relative_to(sources.source_root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def library_path(sources: EngineSources, key: str) -> Path:
    return sources.build_directory / f"{ENGINE_MODULE_NAME}.{sources.variant}.{key}.so"


def build_native(sources: EngineSources | None = None, force: bool = False) -> Path:
    """Returns the path of an up-to-date engine library, compiling it if needed."""
    sources = sources or EngineSources()
    environment = mojo_environment()
    key = build_key(sources, compiler_identity(environment))
    target = library_path(sources, key)
    if target.exists() and not force:
        return target
    sources.build_directory.mkdir(parents=True, exist_ok=True)
    with open(sources.build_directory / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if target.exists() and not force:  # another process built it while we waited
            return target
        _compile(sources, environment, target)
        for stale in sources.build_directory.glob(f"{ENGINE_MODULE_NAME}.*.so"):
            # This variant's older keys, and libraries named before there were variants
            # (`pyzero_engine.KEY.so`); the other variant's library stays.
            parts = stale.name.split(".")
            if stale != target and (parts[1] == sources.variant or len(parts) == 3):
                stale.unlink(missing_ok=True)
    return target


def _compile(sources: EngineSources, environment: dict[str, str], target: Path) -> None:
    count = len(sources.source_files())
    print(f"pyzero: compiling the Mojo engine ({count} sources, {sources.variant}) ...", end="", file=sys.stderr,
          flush=True)
    started = time.perf_counter()
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    command = [
        mojo_driver(environment),
        "build",
        str(sources.source_root / ENTRY_POINT),
        "-I",
        str(sources.source_root),
        "--emit",
        "shared-lib",
        "-o",
        str(partial),
    ]
    if not sources.checks:
        command += ["-D", "ASSERT=none"]
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        print(" failed", file=sys.stderr, flush=True)
        compiler_output = (completed.stderr + completed.stdout).strip()
        raise NativeBuildError(f"the Mojo engine failed to compile:\n{compiler_output}")
    os.replace(partial, target)
    print(f" done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)


_loaded_engine: ModuleType | None = None

# Mojo's Python interop sets these in the C environment when the module loads (for
# example PYTHONEXECUTABLE to the base interpreter), behind os.environ's back. Child
# processes inherit the C environment, so a `python` started later would lose this
# virtual environment. os.environ still holds the values the process started with.
_VARIABLES_MOJO_OVERWRITES = ("PYTHONEXECUTABLE", "PYTHONPATH", "PYTHONHOME")


def _restore_python_variables() -> None:
    for name in _VARIABLES_MOJO_OVERWRITES:
        if name in os.environ:
            os.putenv(name, os.environ[name])
        else:
            os.unsetenv(name)


def prebuilt_library() -> Path | None:
    """`PYZERO_ENGINE_LIBRARY`: a library built elsewhere (`pyzero build` prints its path),
    loaded as it is, for machines that run pyzero without the Mojo compiler (a GPU node
    fed from a build machine). It must come from the same sources; nothing checks that."""
    value = os.environ.get("PYZERO_ENGINE_LIBRARY")
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise NativeBuildError(f"PYZERO_ENGINE_LIBRARY={value}: no such file")
    return path


def load_native() -> ModuleType:
    """The compiled engine module, built on first use in this process (or the prebuilt
    library `PYZERO_ENGINE_LIBRARY` names)."""
    global _loaded_engine
    if _loaded_engine is None:
        path = prebuilt_library() or build_native()
        specification = importlib.util.spec_from_file_location(ENGINE_MODULE_NAME, path)
        assert specification is not None and specification.loader is not None
        with warnings.catch_warnings():
            # Mojo-defined types carry no __module__; Python 3.11 warns about it on import.
            warnings.filterwarnings("ignore", "builtin type .* has no __module__", DeprecationWarning)
            module = importlib.util.module_from_spec(specification)
            specification.loader.exec_module(module)
        _restore_python_variables()
        _loaded_engine = module
    return _loaded_engine
