"""Checkpoints: tensors and plain data only, written atomically, verified on load, the last K kept.

A checkpoint is a safetensors file (`step-000000250.safetensors`): every tensor of the
payload (weights, optimiser moments, the torch RNG state) is a named tensor of the file,
and everything else (counters, the config, the Python and numpy RNG states, the
optimiser's hyper-parameters) is one JSON document in the file's metadata, in which each
tensor appears as a reference to its name. A second metadata entry holds the SHA-256 of
that JSON and the file's tensor bytes. Reading it therefore never runs code: safetensors
reads a JSON header and raw little-endian numbers, and the JSON decoder below builds only
dicts, lists, tuples, strings, numbers, booleans, None and tensors. The digest proves the
file whole (a cut-short or altered file is refused and the previous checkpoint is used),
not where it came from: anyone can compute it, which is why the format itself must be
unable to carry code.

The payload's JSON keeps what plain JSON loses: tuples (`{"$tuple": [...]}`), dicts whose
keys are not strings, such as an optimiser state's parameter indices (`{"$items": [[k,
v], ...]}`), and tensors (`{"$tensor": "learner/model/trunk.0.conv.weight"}`). Any other
`$` key is an error, so a file cannot smuggle in a type.

Run folders written before this format hold `step-*.pt` files: torch.save's pickle
followed by the magic `PYZEROCK` and its SHA-256. They still load, through
`torch.load(weights_only=True)`, PyTorch's restricted unpickler that accepts tensors and
plain containers and refuses any other global (so a pickle whose `__reduce__` names
`os.system` is refused, not run). New checkpoints are always written in the new format.

Every file is written to a temporary name, flushed to disk, then renamed, so a crash
leaves either the whole new file or none.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

CHECKPOINT_SUFFIX = ".safetensors"
LEGACY_SUFFIX = ".pt"
FORMAT_NAME = "pyzero-checkpoint"
FORMAT_VERSION = "1"
LEGACY_MAGIC = b"PYZEROCK"
_NAME = re.compile(r"^step-(\d{9})\.(safetensors|pt)$")
# A safetensors header larger than this is not one of ours (a real one is a few hundred KB
# at most: one line per tensor plus the payload's JSON).
_MAX_HEADER_BYTES = 256 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint file that is incomplete, corrupted, not a checkpoint, or not one of
    this network's shape; the message names the file (a user's input: exit 2)."""


# -- names ---------------------------------------------------------------------------------------
def checkpoint_path(directory: Path, step: int) -> Path:
    """Where the checkpoint of learner step `step` is written."""
    return directory / f"step-{step:09d}{CHECKPOINT_SUFFIX}"


def checkpoint_step(path: Path) -> int | None:
    """The learner step in a checkpoint's file name (either format), or None."""
    match = _NAME.match(Path(path).name)
    return int(match.group(1)) if match else None


def find_checkpoint(directory: Path, step: int) -> Path | None:
    """The checkpoint file of `step` in `directory` (the new format first), or None."""
    for suffix in (CHECKPOINT_SUFFIX, LEGACY_SUFFIX):
        path = directory / f"step-{step:09d}{suffix}"
        if path.is_file():
            return path
    return None


def list_checkpoints(directory: Path) -> list[Path]:
    """The checkpoint files of `directory`, oldest step first (for a step saved in both
    formats, the new one)."""
    if not directory.is_dir():
        return []
    by_step: dict[int, Path] = {}
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match is None:
            continue
        step = int(match.group(1))
        if step not in by_step or path.suffix == CHECKPOINT_SUFFIX:
            by_step[step] = path
    return [by_step[step] for step in sorted(by_step)]


# -- the payload's JSON ----------------------------------------------------------------------------
def _encode(value: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    """`value` as JSON-ready data, its tensors moved into `tensors` under their `path`."""
    if isinstance(value, torch.Tensor):
        name = path or "tensor"
        while name in tensors:
            name += "'"
        tensors[name] = value.detach().to("cpu").contiguous().clone()
        return {"$tensor": name}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item, f"{path}/{index}", tensors) for index, item in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(item, f"{path}/{index}", tensors) for index, item in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item, f"{path}/{key}" if path else key, tensors) for key, item in value.items()}
        return {"$items": [[_encode(key, f"{path}/key{index}", tensors),
                            _encode(item, f"{path}/{key}" if path else str(key), tensors)]
                           for index, (key, item) in enumerate(value.items())]}
    raise TypeError(f"a checkpoint holds tensors and plain data only; {path or 'the payload'} is a "
                    f"{type(value).__name__}")


def _decode(value: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """The inverse of `_encode`; any shape it does not produce is a CheckpointError."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, tensors, where) for item in value]
    if not isinstance(value, dict):
        raise CheckpointError(f"{where}: unexpected {type(value).__name__} in the payload")
    tags = [key for key in value if key.startswith("$")]
    if not tags:
        return {key: _decode(item, tensors, where) for key, item in value.items()}
    if len(value) != 1:
        raise CheckpointError(f"{where}: a tagged value must have one key, got {sorted(value)}")
    tag, inner = tags[0], value[tags[0]]
    if tag == "$tensor":
        if not isinstance(inner, str) or inner not in tensors:
            raise CheckpointError(f"{where}: the payload names a tensor {inner!r} the file does not hold")
        return tensors[inner]
    if tag == "$tuple" and isinstance(inner, list):
        return tuple(_decode(item, tensors, where) for item in inner)
    if tag == "$items" and isinstance(inner, list):
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in inner):
            raise CheckpointError(f"{where}: '$items' must hold [key, value] pairs")
        decoded = {}
        for key, item in inner:
            key = _decode(key, tensors, where)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise CheckpointError(f"{where}: a dict key must be a plain value, got {type(key).__name__}")
            decoded[key] = _decode(item, tensors, where)
        return decoded
    if tag == "$float" and inner in ("nan", "inf", "-inf"):
        return float(inner)
    raise CheckpointError(f"{where}: unknown tag {tag!r} in the payload")


def _digest(header: dict, payload_json: str, tensor_bytes: bytes) -> str:
    """SHA-256 over everything a checkpoint's reader uses: the tensor table (names, dtypes,
    shapes, offsets), the payload's JSON and the tensor bytes."""
    table = json.dumps({name: entry for name, entry in header.items() if name != "__metadata__"}, sort_keys=True)
    return hashlib.sha256(b"\0".join((table.encode(), payload_json.encode(), tensor_bytes))).hexdigest()


def _split_safetensors(blob: bytes, where: str) -> tuple[dict, bytes]:
    """(the safetensors header as a dict, the tensor bytes after it)."""
    if len(blob) < 8:
        raise CheckpointError(f"{where}: incomplete checkpoint ({len(blob)} bytes)")
    header_length = int.from_bytes(blob[:8], "little")
    if header_length > min(len(blob) - 8, _MAX_HEADER_BYTES):
        raise CheckpointError(f"{where}: incomplete or corrupted checkpoint (its header claims {header_length} bytes)")
    try:
        header = json.loads(blob[8:8 + header_length])
    except (UnicodeDecodeError, ValueError) as error:
        raise CheckpointError(f"{where}: corrupted checkpoint (header: {error})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: corrupted checkpoint (its header is not a JSON object)")
    tensor_bytes = blob[8 + header_length:]
    ends = [entry.get("data_offsets", [0, 0])[-1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict) and isinstance(entry.get("data_offsets"), list)]
    expected = max((end for end in ends if isinstance(end, int)), default=0)
    if len(tensor_bytes) < expected:
        raise CheckpointError(f"{where}: incomplete checkpoint ({len(tensor_bytes)} of its {expected} tensor bytes; "
                              "the write was cut short?)")
    return header, tensor_bytes


# -- writing and reading ---------------------------------------------------------------------------
def checkpoint_bytes(payload: dict[str, Any]) -> bytes:
    """`payload` (tensors and plain data, nested in dicts, lists and tuples) as the bytes of
    a checkpoint file; a TypeError names anything else."""
    if not isinstance(payload, dict):
        raise TypeError(f"a checkpoint payload is a dict, not a {type(payload).__name__}")
    tensors: dict[str, torch.Tensor] = {}
    payload_json = json.dumps(_encode(payload, "", tensors), allow_nan=False, separators=(",", ":"))
    metadata = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "payload": payload_json}
    # The tensor bytes do not depend on the metadata (safetensors lays them out by dtype and
    # name), so the digest over them is taken from a first serialization and stored in the second.
    first = save_safetensors(tensors, metadata=metadata)
    header, tensor_bytes = _split_safetensors(first, "the new checkpoint")
    metadata["sha256"] = _digest(header, payload_json, tensor_bytes)
    blob = save_safetensors(tensors, metadata=metadata)
    parse_checkpoint_bytes(blob, "the new checkpoint")  # a layout that changed with the metadata fails here
    return blob


def parse_checkpoint_bytes(blob: bytes, where: str) -> dict[str, Any]:
    """The payload of a checkpoint file's bytes (`where` names the file in errors)."""
    header, tensor_bytes = _split_safetensors(blob, where)
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{where}: not a pyzero checkpoint (a safetensors file without pyzero's metadata)")
    if metadata.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{where}: checkpoint format version {metadata.get('version')!r}; this pyzero reads "
                              f"version {FORMAT_VERSION}")
    payload_json = metadata.get("payload")
    if not isinstance(payload_json, str) or metadata.get("sha256") != _digest(header, payload_json, tensor_bytes):
        raise CheckpointError(f"{where}: corrupted checkpoint (SHA-256 mismatch)")
    try:
        tensors = load_safetensors(blob)
        payload = json.loads(payload_json)
    except (SafetensorError, ValueError) as error:
        raise CheckpointError(f"{where}: corrupted checkpoint ({error})") from None
    decoded = _decode(payload, tensors, where)
    if not isinstance(decoded, dict):
        raise CheckpointError(f"{where}: not a pyzero checkpoint (its payload is a {type(decoded).__name__})")
    return decoded


def _read_legacy_checkpoint(blob: bytes, where: str) -> dict[str, Any]:
    """A `.pt` checkpoint of the earlier format, through PyTorch's restricted unpickler."""
    trailer = len(LEGACY_MAGIC) + 32
    if len(blob) < trailer or blob[-trailer:-32] != LEGACY_MAGIC:
        raise CheckpointError(f"{where}: incomplete checkpoint (no trailer; the write was cut short?)")
    data, digest = blob[:-trailer], blob[-32:]
    if hashlib.sha256(data).digest() != digest:
        raise CheckpointError(f"{where}: corrupted checkpoint (SHA-256 mismatch)")
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - the restricted unpickler's refusals have several types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{where}: refused: the file holds more than tensors and plain data, which pyzero "
                              f"never writes ({first_line})") from None
    if not isinstance(payload, dict):
        raise CheckpointError(f"{where}: not a pyzero checkpoint (it holds a {type(payload).__name__})")
    return payload


def write_checkpoint_file(final: Path, payload: dict[str, Any]) -> Path:
    """Writes `payload` to `final` atomically in the checkpoint format (module docstring)."""
    blob = checkpoint_bytes(payload)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    return final


def save_checkpoint(directory: Path, step: int, payload: dict[str, Any], keep_last: int) -> Path:
    """Writes step `step`'s checkpoint and deletes all but the newest `keep_last`."""
    final = write_checkpoint_file(checkpoint_path(directory, step), payload)
    for old in list_checkpoints(directory)[:-keep_last]:
        old.unlink(missing_ok=True)
    return final


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The payload of the checkpoint file `path` (either format); a CheckpointError names
    the file when it is incomplete, corrupted or not a checkpoint."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({error.strerror or error})") from None
    if path.suffix == LEGACY_SUFFIX or (len(blob) >= 40 and blob[-40:-32] == LEGACY_MAGIC):
        return _read_legacy_checkpoint(blob, str(path))
    return parse_checkpoint_bytes(blob, str(path))


def model_weights(payload: dict[str, Any], where: str) -> dict[str, torch.Tensor]:
    """The network weights (`learner.model`) of a checkpoint's payload, checked to be a
    mapping of names to tensors."""
    learner = payload.get("learner")
    weights = learner.get("model") if isinstance(learner, dict) else None
    if not isinstance(weights, dict) or not weights or not all(
            isinstance(name, str) and isinstance(tensor, torch.Tensor) for name, tensor in weights.items()):
        raise CheckpointError(f"{where}: not a pyzero checkpoint (no network weights under learner.model)")
    return weights


def load_weights_into(model: torch.nn.Module, weights: dict[str, torch.Tensor], where: str) -> None:
    """`model.load_state_dict(weights)`, with a CheckpointError naming `where` and the first
    differences when the weights are of another network's shape, or are not finite."""
    differences = weight_differences(model.state_dict(), weights)
    if differences:
        summary = "; ".join(differences[:2]) + (f"; and {len(differences) - 2} more" if len(differences) > 2 else "")
        raise CheckpointError(f"{where}: the checkpoint's network does not fit this config's network "
                              f"(its game or network section differ): {summary}")
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(f"{where}: the checkpoint's weights do not load: {str(error).splitlines()[0]}") from None
    broken = [name for name, tensor in weights.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise CheckpointError(f"{where}: the checkpoint's weights are not finite ({', '.join(broken[:3])}"
                              f"{' ...' if len(broken) > 3 else ''})")


def weight_differences(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> list[str]:
    """What keeps `found` from loading where `expected` is: each missing, unexpected or
    differently shaped tensor, in words (empty when they fit)."""
    differences = [f"{name} is {list(found[name].shape)} there, {list(tensor.shape)} here"
                   for name, tensor in expected.items() if name in found and found[name].shape != tensor.shape]
    differences += [f"no {name}" for name in expected if name not in found]
    differences += [f"an unexpected {name}" for name in found if name not in expected]
    return differences


def step_of(payload: dict[str, Any]) -> int:
    """The learner step a checkpoint's payload records (0 where it records none)."""
    learner = payload.get("learner")
    step = learner.get("step", 0) if isinstance(learner, dict) else 0
    return int(step) if isinstance(step, int) and not isinstance(step, bool) else 0


def readable_checkpoints(directory: Path, warn: Callable[[str], Any] = print, newest_first: bool = False
                         ) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, payload) of each checkpoint that verifies, read one at a time, oldest first
    unless `newest_first`; broken ones are reported through `warn` and skipped."""
    paths = list_checkpoints(directory)
    for path in reversed(paths) if newest_first else paths:
        try:
            payload = read_checkpoint(path)
        except CheckpointError as error:
            warn(f"skipping checkpoint {path.name}: {error}")
            continue
        yield path, payload


def remove_interrupted_writes(directory: Path) -> None:
    """Deletes the temporary files of checkpoint writes a crash cut short."""
    for stale in directory.glob(".step-*.tmp") if directory.is_dir() else []:
        stale.unlink()


def load_latest_checkpoint(directory: Path, warn: Callable[[str], Any] = print
                           ) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint that verifies; broken ones are reported through `warn` and
    skipped, and when an older one is used instead, `warn` says which."""
    skipped = 0

    def counting_warn(message: str) -> None:
        nonlocal skipped
        skipped += 1
        warn(message)

    found = next(readable_checkpoints(directory, counting_warn, newest_first=True), None)
    if found is not None and skipped:
        warn(f"using {found[0].name}, the newest checkpoint that verifies")
    return found
