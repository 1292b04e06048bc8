from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """A file of the reference data in tests/data (see tests/data/README.md)."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (tests/data is part of the repository)")
    return path
