from pathlib import Path

import pytest

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
