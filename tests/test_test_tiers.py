"""The test tiers stay whole: every test file has a test in the quick tier
(tests/quick_tier.txt, `make test-quick`), and every test listed there exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import quick_tier_ids

TESTS = Path(__file__).resolve().parent


def test_every_test_file_has_a_test_in_the_quick_tier():
    listed_files = {node.split("::")[0] for node in quick_tier_ids()}
    files = {f"tests/{path.name}" for path in TESTS.glob("test_*.py")}
    assert not files - listed_files, f"test files with no test in tests/quick_tier.txt: {sorted(files - listed_files)}"


def test_every_quick_test_exists():
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "quick",
                                "-p", "no:cacheprovider", str(TESTS)],
                               cwd=TESTS.parent, capture_output=True, text=True, timeout=600)
    found = {line.strip() for line in collected.stdout.splitlines() if "::" in line}
    missing = quick_tier_ids() - found
    assert not missing, f"tests/quick_tier.txt lists tests that do not exist: {sorted(missing)}"
