from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(*parts: str) -> Path:
    """A file of the reference data in ../shared (beside the repository)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (the shared/ folder must sit beside the repository)")
    return path
