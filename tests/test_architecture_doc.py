"""The documents name real places: every repository path that ARCHITECTURE.md, README.md
and docs/ name exists, and every page they link to is there, so the picture cannot drift
from the code without a test failing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENTS = [REPOSITORY / "ARCHITECTURE.md", REPOSITORY / "README.md",
             *sorted((REPOSITORY / "docs").rglob("*.md"))]
# A path in backquotes: starts with one of the repository's top folders or is a root file.
NAMED_PATH = re.compile(r"`((?:mojo|games|pyzero|configs|tests|docs|deploy|tools)/[A-Za-z0-9_./-]*[A-Za-z0-9_/]"
                        r"|(?:ARCHITECTURE|README)\.md|Makefile|Dockerfile|pyproject\.toml|pixi\.toml)`")
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
# Paths that name what a run or a user creates, not files of the repository.
NOT_IN_THE_REPOSITORY = ("pyzero/_native_build/", "pyzero/_shipped/")


def named_paths(document: Path) -> list[str]:
    return [path for path in NAMED_PATH.findall(document.read_text())
            if "*" not in path and "NAME" not in path and not path.startswith(NOT_IN_THE_REPOSITORY)]


def test_the_documents_exist_and_readme_stays_short():
    assert (REPOSITORY / "ARCHITECTURE.md").is_file() and (REPOSITORY / "docs").is_dir()
    assert len((REPOSITORY / "README.md").read_text().splitlines()) <= 200


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPOSITORY)))
def test_every_path_a_document_names_exists(document):
    missing = [path for path in named_paths(document) if not (REPOSITORY / path).exists()]
    assert not missing, f"{document.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPOSITORY)))
def test_every_page_a_document_links_to_exists(document):
    prose = re.sub(r"`[^`\n]*`", "", document.read_text())  # code spans hold no links
    missing = [link for link in LINK.findall(prose) if not (document.parent / link).exists()]
    assert not missing, f"{document.name} links to pages that do not exist: {missing}"


def test_the_architecture_names_the_path_of_a_position():
    text = (REPOSITORY / "ARCHITECTURE.md").read_text()
    assert len(named_paths(REPOSITORY / "ARCHITECTURE.md")) >= 30
    for stage in ("mojo/selfplay/workers.mojo", "mojo/selfplay/batch_queue.mojo", "pyzero/selfplay.py",
                  "pyzero/replay.py", "pyzero/training/learner.py", "pyzero/model/checkpoint.py",
                  "pyzero/players/network_player.py"):
        assert f"`{stage}`" in text, stage
