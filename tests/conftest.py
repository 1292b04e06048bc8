import os
from pathlib import Path

import pytest

# The suite runs the checked engine (Mojo's bounds checks and assertions on: an index out
# of range aborts with its file and line instead of reading past a list), set before any
# test loads the engine and inherited by the commands the tests start; the release
# engine's own test sets 0 (tests/test_native_build.py). See pyzero/native.py.
os.environ.setdefault("PYZERO_ENGINE_CHECKS", "1")

DATA = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """A file of the reference data in tests/data (see tests/data/README.md)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (tests/data is part of the repository)")
    return path


@pytest.fixture(scope="session", autouse=True)
def onnx_template_cache(tmp_path_factory):
    """Exported ONNX templates (inference.backend auto/onnxruntime) go to a folder of this
    test session, shared with the commands the tests start, not to the user's ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("pyzero-cache")
    previous = os.environ.get("PYZERO_CACHE_DIR")
    os.environ["PYZERO_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("PYZERO_CACHE_DIR", None)
    else:
        os.environ["PYZERO_CACHE_DIR"] = previous


# The fuzzers (tests marked `fuzz`, Hypothesis): a quick setting in every run of the suite,
# a long one with PYZERO_FUZZ=long (`make fuzz`). Deadlines are off: these machines are
# shared, and a slow example is not a failure.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("quick", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("PYZERO_FUZZ", "quick"))


# The quick tier (`make test-quick`, pytest -m quick): one or more fast tests from every test
# file, listed by node id in tests/quick_tier.txt (tests/test_test_tiers.py checks that
# every test file has one there and that each listed test exists).
QUICK_TIER_FILE = Path(__file__).resolve().parent / "quick_tier.txt"


def quick_tier_ids() -> set[str]:
    lines = QUICK_TIER_FILE.read_text().splitlines() if QUICK_TIER_FILE.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def pytest_collection_modifyitems(config, items):
    chosen = quick_tier_ids()
    for item in items:
        if item.nodeid in chosen:
            item.add_marker(pytest.mark.quick)
