"""The engine build cache: rebuild exactly when sources or the compiler change, never
load a stale library, and show compile errors with file and line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyzero.native import (
    ENGINE_MODULE_NAME,
    ENTRY_POINT,
    REPOSITORY_ROOT,
    NativeBuildError,
    EngineSources,
    build_native,
    build_key,
)


@pytest.fixture
def source_copy(tmp_path):
    """A private copy of the engine sources and an empty build directory."""
    root = tmp_path / "src"
    for package in ("mojo", "games"):
        shutil.copytree(REPOSITORY_ROOT / package, root / package)
    return EngineSources(source_root=root, build_directory=tmp_path / "build")


def libraries(sources):
    return sorted(sources.build_directory.glob(f"{ENGINE_MODULE_NAME}.*.so"))


def test_build_key_depends_on_sources_and_compiler(source_copy):
    key = build_key(source_copy, "mojo 1.2.0")
    assert build_key(source_copy, "mojo 1.2.0") == key
    assert build_key(source_copy, "mojo 1.2.1") != key
    target = source_copy.source_root / "games" / "connect4.mojo"
    target.write_text(target.read_text() + "\n# a comment changes the key too\n")
    assert build_key(source_copy, "mojo 1.2.0") != key


def test_the_repository_build_is_reused_for_an_unchanged_copy(source_copy, capfd):
    # The copy's sources equal the repository's, so the repository's own build (made
    # before the tests run) has the copy's key: placed in the copy's build directory it
    # must be reused, and nothing compiles.
    built = build_native()  # the repository's sources: already built, nothing compiles
    source_copy.build_directory.mkdir(parents=True, exist_ok=True)
    first = source_copy.build_directory / built.name
    shutil.copyfile(built, first)
    capfd.readouterr()
    assert build_native(source_copy) == first
    assert "compiling" not in capfd.readouterr().err
    modified = first.stat().st_mtime_ns
    assert build_native(source_copy) == first
    assert "compiling" not in capfd.readouterr().err
    assert first.stat().st_mtime_ns == modified


# A one-function extension module with the engine's name and entry point: the build
# cache treats every source tree alike, and this one compiles in seconds where the whole
# engine takes one to two minutes (the test of a rebuild used to compile the engine).
def _one_function_engine(function_source: str, name: str) -> str:
    """The source of an extension module with the engine's name that exports one function."""
    return f"""from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder


{function_source}


@export
def PyInit_pyzero_engine() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("pyzero_engine")
        module.def_function[{name}]("{name}")
        return module.finalize()
    except error:
        abort(String("error creating the module: ", error))
"""


_TINY_ENGINE = _one_function_engine("""def marker() raises -> PythonObject:
    return PythonObject(MARKER)""", "marker")


def _call_in_a_fresh_interpreter(library: Path, call: str) -> subprocess.CompletedProcess:
    """Loads `library` as the engine module `m` in a new Python and prints `call`'s value."""
    check = "import importlib.util as u,sys; s=u.spec_from_file_location('pyzero_engine', sys.argv[1]); " \
            f"m=u.module_from_spec(s); s.loader.exec_module(m); print({call})"
    return subprocess.run([sys.executable, "-c", check, str(library)], capture_output=True, text=True)


def _load_in_a_fresh_interpreter(library: Path) -> str:
    completed = _call_in_a_fresh_interpreter(library, "m.marker()")
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_a_source_change_rebuilds_and_removes_the_stale_library(tmp_path, capfd):
    sources = EngineSources(source_root=tmp_path / "src", build_directory=tmp_path / "build")
    entry = sources.source_root / ENTRY_POINT
    entry.parent.mkdir(parents=True)
    (sources.source_root / "games").mkdir()
    entry.write_text(_TINY_ENGINE.replace("MARKER", "1"))
    first = build_native(sources)
    assert "compiling" in capfd.readouterr().err
    assert build_native(sources) == first
    assert "compiling" not in capfd.readouterr().err
    assert _load_in_a_fresh_interpreter(first) == "1"

    entry.write_text(_TINY_ENGINE.replace("MARKER", "2"))
    second = build_native(sources)
    assert "compiling" in capfd.readouterr().err
    assert second != first
    assert libraries(sources) == [second]  # the stale library is gone
    # The rebuilt library really is the changed code.
    assert _load_in_a_fresh_interpreter(second) == "2"


def test_compile_error_names_file_and_line_and_keeps_nothing(source_copy):
    source = source_copy.source_root / "games" / "tictactoe.mojo"
    lines = source.read_text().splitlines()
    broken_line = next(i for i, line in enumerate(lines) if "def num_actions" in line) + 2
    lines[broken_line - 1] = "        return NUM_SQUARES +* 1"
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(NativeBuildError) as error:
        build_native(source_copy)
    assert f"tictactoe.mojo:{broken_line}:" in str(error.value)
    assert libraries(source_copy) == []
    assert not any(p.name.endswith(".partial") for p in source_copy.build_directory.iterdir())


def test_cli_build_reports_compile_error_and_exits_nonzero(source_copy):
    source = source_copy.source_root / "mojo" / "perft.mojo"
    text = source.read_text()
    assert "        return 1\n" in text
    source.write_text(text.replace("        return 1\n", "        return undefined_name_here\n", 1))
    environment = dict(
        os.environ,
        PYZERO_ENGINE_SOURCE_ROOT=str(source_copy.source_root),
        PYZERO_ENGINE_BUILD_DIRECTORY=str(source_copy.build_directory),
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pyzero", "build"], capture_output=True, text=True, env=environment
    )
    assert completed.returncode != 0
    assert "perft.mojo:" in completed.stderr and "undefined_name_here" in completed.stderr


def test_loading_the_engine_keeps_child_processes_in_this_environment():
    # The Mojo runtime sets PYTHONEXECUTABLE/PYTHONPATH in the C environment on load;
    # a child interpreter must still see this virtual environment's packages.
    from pyzero.native import load_native

    load_native().TicTacToeState.new({}).legal_moves()
    completed = subprocess.run([sys.executable, "-c", "import sys, pyzero; print(sys.prefix)"],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == sys.prefix


def test_a_prebuilt_library_loads_without_sources_or_compiler(tmp_path):
    """PYZERO_ENGINE_LIBRARY: a machine with the library and no compiler runs pyzero."""
    from pyzero.native import build_native

    library = build_native()
    script = ("from pyzero.games import make\n"
              "print(make('connect4').new().perft(4))\n")
    environment = {**os.environ, "PYZERO_ENGINE_LIBRARY": str(library),
                   "PYZERO_ENGINE_SOURCE_ROOT": str(tmp_path),  # no sources: a build would fail
                   "PATH": "/usr/bin:/bin", "MODULAR_MOJO_MAX_DRIVER_PATH": str(tmp_path / "no-mojo")}
    completed = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["2401"]  # 7 ** 4: no Connect4 game ends within 4 plies


def test_a_missing_prebuilt_library_is_named(tmp_path, monkeypatch):
    from pyzero import native

    monkeypatch.setenv("PYZERO_ENGINE_LIBRARY", str(tmp_path / "missing.so"))
    with pytest.raises(native.NativeBuildError, match="missing.so: no such file"):
        native.prebuilt_library()


_PROBE_ENGINE = _one_function_engine("""def probe(index: PythonObject) raises -> PythonObject:
    var values = List[Int](capacity=8)  # room for 8, 2 in the list: index 5 stays in the allocation
    values.append(1)
    values.append(2)
    return PythonObject(values[Int(py=index)])""", "probe")


def test_the_checked_engine_stops_an_index_out_of_range_and_the_release_engine_does_not_check(tmp_path):
    root = tmp_path / "src"
    (root / ENTRY_POINT).parent.mkdir(parents=True)
    (root / "games").mkdir()
    (root / ENTRY_POINT).write_text(_PROBE_ENGINE)
    checked = build_native(EngineSources(source_root=root, build_directory=tmp_path / "build", checks=True))
    release = build_native(EngineSources(source_root=root, build_directory=tmp_path / "build", checks=False))
    assert ".checked." in checked.name and ".release." in release.name
    assert libraries(EngineSources(source_root=root, build_directory=tmp_path / "build")) == sorted([checked, release])
    for library in (checked, release):
        completed = _call_in_a_fresh_interpreter(library, "m.probe(1)")
        assert completed.returncode == 0 and completed.stdout.strip() == "2", completed.stderr
    completed = _call_in_a_fresh_interpreter(checked, "m.probe(5)")
    output = completed.stdout + completed.stderr  # Mojo prints the failed check on stdout
    assert completed.returncode != 0 and "index 5 is out of bounds" in output, output
    # Compiled with -D ASSERT=none: no check, the read stays inside the list's allocation.
    completed = _call_in_a_fresh_interpreter(release, "m.probe(5)")
    assert completed.returncode == 0, completed.stderr


def test_the_checks_variable_is_validated(monkeypatch):
    monkeypatch.setenv("PYZERO_ENGINE_CHECKS", "maybe")
    with pytest.raises(NativeBuildError, match="PYZERO_ENGINE_CHECKS='maybe': expected 1"):
        EngineSources()


def test_the_release_engine_plays_the_same_games_as_the_single_threaded_search():
    """The suite runs the checked engine; users run the release one (no bounds checks).
    The pipeline's reference test and the Tak tree-reuse test, run again on the release
    engine, show both compile to the same search."""
    environment = dict(os.environ, PYZERO_ENGINE_CHECKS="0")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_selfplay.py::test_pipeline_plays_the_same_games_as_the_single_threaded_search",
         "tests/test_gumbel_search.py::test_tree_reuse_keeps_the_subtree_statistics",
         "tests/test_native_build.py::test_the_loaded_engine_is_the_variant_asked_for"],
        cwd=REPOSITORY_ROOT, env=environment, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert " passed" in completed.stdout and "skipped" not in completed.stdout, completed.stdout[-2000:]


def test_the_loaded_engine_is_the_variant_asked_for():
    from pyzero.native import load_native

    variant = EngineSources().variant
    assert f".{variant}." in Path(load_native().__file__).name
