"""The networks that ship inside the package, and finding the one for a game.

Each bundled network is two files in `pyzero/networks/bundled/`: `NAME.safetensors`, a
network file (pyzero/model/network_file.py: weights and the config that trained them, no
code), and `NAME.json`, its manifest: the game and options it plays, its architecture, how
it was trained (config, command, learner steps, CPU time, commit), its SHA-256 and its
measured strength with the command that measured it. `BundledNetwork.path()` checks the
file against the manifest's SHA-256 before anything reads it.

A network matches a request for a game when it plays that game and every option the
request names has the network's value (`pyzero play tak -o size=5` takes the Tak 5x5
network; TEI names size and komi, so a komi without a network gets none). Where several
match, the one whose manifest says `default` wins, then the first by name.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

BUNDLED_DIRECTORY = Path(__file__).resolve().parent / "bundled"


class BundledNetworkError(ValueError):
    """A bundled network's manifest is invalid or its file does not match it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GameOfNetwork(_Strict):
    name: str
    options: dict[str, float] = Field(default_factory=dict)


class Training(_Strict):
    """How the network was trained: enough to train it again."""

    config: str = Field(description="the config file, relative to the repository root")
    command: str = Field(description="the exact command that trained it")
    commit: str = Field(description="the commit of pyzero that trained it")
    learner_steps: int = Field(ge=0)
    positions: int = Field(ge=0, description="self-play positions generated")
    wall_seconds: float = Field(ge=0)
    cpu_seconds: float = Field(ge=0, description="user + system CPU time of the training process")
    machine: str = Field(description="where it ran, e.g. 2 CPU cores, no GPU")
    date: str


class Strength(_Strict):
    """One measured result against a fixed opponent."""

    opponent: str = Field(description="the anchor or test set, e.g. alphabeta:3 or Test_L1_R3")
    summary: str = Field(max_length=60, description="the result in a few words, for `pyzero networks`")
    result: str = Field(description="what was measured, in words: W-D-L and Elo with its 95% interval, or a share")
    command: str = Field(description="the exact command that measured it")


class NetworkManifest(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    file: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*\.safetensors$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    default: bool = Field(False, description="preferred when several networks match a request")
    summary: str = Field(description="one line for listings")
    game: GameOfNetwork
    network: dict[str, Any] = Field(description="the network section of the training config")
    precision: str = Field(pattern=r"^(float32|float16)$")
    training: Training
    strength: list[Strength] = Field(default_factory=list)


class BundledNetwork:
    """One bundled network: its manifest and where its file is."""

    def __init__(self, manifest: NetworkManifest, directory: Path):
        self.manifest = manifest
        self.directory = directory

    @property
    def name(self) -> str:
        return self.manifest.name

    def describe(self) -> str:
        """What a command's first line says about the network it plays with."""
        return f"bundled network {self.name} ({self.manifest.summary})"

    def path(self) -> Path:
        """The network file, after checking it against the manifest's SHA-256."""
        path = self.directory / self.manifest.file
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            raise BundledNetworkError(f"{path}: bundled network {self.name} cannot be read "
                                      f"({error.strerror or error})") from None
        if digest != self.manifest.sha256:
            raise BundledNetworkError(f"{path}: bundled network {self.name} does not match its manifest's "
                                      f"SHA-256 (damaged or replaced)")
        return path

    def matches(self, game_name: str, options: dict[str, float]) -> bool:
        if game_name != self.manifest.game.name:
            return False
        offered = self.manifest.game.options
        return all(key in offered and float(offered[key]) == float(value) for key, value in options.items())

    def options_with(self, options: dict[str, float]) -> dict[str, float]:
        """The game options this network plays: `options` completed with its own."""
        return {**self.manifest.game.options, **{key: float(value) for key, value in options.items()}}


def read_manifest(path: Path) -> NetworkManifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return NetworkManifest.model_validate(data)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, ValidationError):
            first_line = "; ".join(f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
                                   for item in error.errors()[:3])
        raise BundledNetworkError(f"{path}: not a valid network manifest: {first_line}") from None


@lru_cache(maxsize=None)
def _catalog(directory: Path) -> tuple[BundledNetwork, ...]:
    networks = []
    for manifest_path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        manifest = read_manifest(manifest_path)
        if manifest_path.stem != manifest.name:
            raise BundledNetworkError(f"{manifest_path}: the manifest names {manifest.name!r}, not its file's name")
        networks.append(BundledNetwork(manifest, directory))
    return tuple(networks)


def bundled_networks(directory: Path = BUNDLED_DIRECTORY) -> tuple[BundledNetwork, ...]:
    """Every bundled network, by name."""
    return _catalog(Path(directory))


def find_bundled_network(game_name: str, options: dict[str, float] | None = None,
                         directory: Path = BUNDLED_DIRECTORY) -> BundledNetwork | None:
    """The bundled network for `game_name` whose options include `options` (module
    docstring), or None."""
    matching = [network for network in bundled_networks(directory) if network.matches(game_name, options or {})]
    matching.sort(key=lambda network: not network.manifest.default)  # stable: by name within each group
    return matching[0] if matching else None


def bundled_network_named(name: str, directory: Path = BUNDLED_DIRECTORY) -> BundledNetwork | None:
    return next((network for network in bundled_networks(directory) if network.name == name), None)
