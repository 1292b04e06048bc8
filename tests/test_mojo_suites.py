"""Runs every Mojo test file (tests/mojo/test_*.mojo) so one command runs all tests."""

import subprocess
from pathlib import Path

import pytest

from pyzero.native import REPOSITORY_ROOT, mojo_driver, mojo_environment

MOJO_TESTS = sorted((Path(__file__).parent / "mojo").glob("test_*.mojo"))


@pytest.mark.parametrize("test_file", MOJO_TESTS, ids=[path.stem for path in MOJO_TESTS])
def test_mojo_suite(test_file):
    environment = mojo_environment()
    completed = subprocess.run(
        [mojo_driver(environment), "run", "-I", str(REPOSITORY_ROOT), str(test_file)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPOSITORY_ROOT,
        timeout=600,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "PASS" in output or "passed" in output.lower(), output
