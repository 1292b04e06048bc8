"""Checkpoints: written atomically, verified on load, the last K kept.

A checkpoint file is torch.save's bytes followed by a trailer: the magic `PYZEROCK` and
the SHA-256 of the bytes. It is written to a temporary name, flushed to disk, then renamed,
so a crash leaves either the whole new file or none; a file that is truncated or altered
fails the digest check and the previous checkpoint is used instead.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any, Iterator

import torch

MAGIC = b"PYZEROCK"
_NAME = re.compile(r"^step-(\d{9})\.pt$")


class CheckpointError(ValueError):
    """A checkpoint file that is incomplete or corrupted."""


def checkpoint_path(directory: Path, step: int) -> Path:
    return directory / f"step-{step:09d}.pt"


def write_checkpoint_file(final: Path, payload: dict[str, Any]) -> Path:
    """Writes `payload` to `final` atomically, with the trailer `read_checkpoint` verifies."""
    final.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    temporary = final.with_name(f".{final.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.write(MAGIC)
        handle.write(hashlib.sha256(data).digest())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    return final


def save_checkpoint(directory: Path, step: int, payload: dict[str, Any], keep_last: int) -> Path:
    final = write_checkpoint_file(checkpoint_path(directory, step), payload)
    for old in list_checkpoints(directory)[:-keep_last]:
        old.unlink(missing_ok=True)
    return final


def read_checkpoint(path: Path) -> dict[str, Any]:
    blob = path.read_bytes()
    trailer = len(MAGIC) + 32
    if len(blob) < trailer or blob[-trailer:-32] != MAGIC:
        raise CheckpointError(f"{path}: incomplete checkpoint (no trailer; the write was cut short?)")
    data, digest = blob[:-trailer], blob[-32:]
    if hashlib.sha256(data).digest() != digest:
        raise CheckpointError(f"{path}: corrupted checkpoint (SHA-256 mismatch)")
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)


def list_checkpoints(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return [path for _, path in sorted(found)]


def readable_checkpoints(directory: Path, warn=print, newest_first: bool = False
                         ) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, payload) of each checkpoint that verifies, read one at a time, oldest first
    unless `newest_first`; broken ones are reported and skipped."""
    paths = list_checkpoints(directory)
    for path in reversed(paths) if newest_first else paths:
        try:
            payload = read_checkpoint(path)
        except Exception as error:  # noqa: BLE001 - any unreadable file, CheckpointError included
            warn(f"skipping checkpoint {path.name}: {error}")
            continue
        yield path, payload


def load_latest_checkpoint(directory: Path, warn=print) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint that verifies; broken ones are reported and skipped."""
    for stale in directory.glob(".step-*.tmp") if directory.is_dir() else []:
        stale.unlink()
    return next(readable_checkpoints(directory, warn, newest_first=True), None)
