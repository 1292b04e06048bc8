"""Makes a bundled network from a finished run: its last checkpoint as a network file in
pyzero/networks/bundled/NAME.safetensors, and NAME.json, its manifest (docs/networks.md).

    python tools/bundle_network.py RUN_DIR NAME --config configs/tak.yaml \\
        --command "pyzero train configs/tak.yaml ..." --commit SHA [--time-log TIME_LOG] \\
        --summary "Tak 6x6, komi 2" [--default] [--precision float32]

The CPU and wall time come from the checkpoint's counters, or with --time-log from what
`/usr/bin/time -v` printed for the training command (runs from before the counters kept
CPU time). The strength entries of an existing manifest are kept; new ones are added
by hand from the arena's output, with the command that measured them.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import sys
from pathlib import Path

from pyzero.model import list_checkpoints, read_checkpoint, write_network_file
from pyzero.networks import BUNDLED_DIRECTORY, NetworkManifest


def time_log_seconds(text: str) -> tuple[float, float]:
    """(CPU seconds = user + system, wall seconds) from `/usr/bin/time -v` output."""
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    wall_text = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
    wall = 0.0
    for part in wall_text.split(":"):
        wall = wall * 60 + float(part)
    return user + system, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_directory", type=Path)
    parser.add_argument("name")
    parser.add_argument("--config", required=True, help="the config file trained, relative to the repository root")
    parser.add_argument("--command", required=True, help="the exact training command")
    parser.add_argument("--commit", required=True, help="the commit of pyzero that trained it")
    parser.add_argument("--time-log", type=Path, help="/usr/bin/time -v output of the training (for runs whose "
                        "checkpoints do not record their CPU time)")
    parser.add_argument("--summary", required=True, help="one line for listings")
    parser.add_argument("--machine", default="2 CPU cores (AMD EPYC), no GPU")
    parser.add_argument("--default", action="store_true", help="preferred when several networks match a request")
    parser.add_argument("--precision", choices=("float16", "float32"), default="float32")
    parser.add_argument("--directory", type=Path, default=BUNDLED_DIRECTORY)
    arguments = parser.parse_args(argv)

    checkpoints = list_checkpoints(arguments.run_directory / "checkpoints")
    if not checkpoints:
        print(f"{arguments.run_directory}: no checkpoint", file=sys.stderr)
        return 1
    source = checkpoints[-1]
    payload = read_checkpoint(source)
    destination = arguments.directory / f"{arguments.name}.safetensors"
    write_network_file(destination, payload, str(source), arguments.precision)
    counters = payload["counters"]
    if arguments.time_log is not None:
        cpu_seconds, wall_seconds = time_log_seconds(arguments.time_log.read_text())
    else:
        cpu_seconds, wall_seconds = float(counters.get("cpu_seconds", 0.0)), float(counters["elapsed_seconds"])
    manifest_path = arguments.directory / f"{arguments.name}.json"
    strength = json.loads(manifest_path.read_text())["strength"] if manifest_path.exists() else []
    config = payload["config"]
    manifest = NetworkManifest.model_validate({
        "name": arguments.name,
        "file": destination.name,
        "sha256": hashlib.sha256(destination.read_bytes()).hexdigest(),
        "default": arguments.default,
        "summary": arguments.summary,
        "game": config["game"],
        "network": config["network"],
        "precision": arguments.precision,
        "training": {
            "config": arguments.config,
            "command": arguments.command,
            "commit": arguments.commit,
            "learner_steps": int(payload["learner"]["step"]),
            "positions": int(counters["positions_generated"]),
            "wall_seconds": round(wall_seconds, 1),
            "cpu_seconds": round(cpu_seconds, 1),
            "machine": arguments.machine,
            "date": datetime.date.fromtimestamp(source.stat().st_mtime).isoformat(),
        },
        "strength": strength,
    })
    manifest_path.write_text(json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n")
    print(f"{destination} ({destination.stat().st_size:,} bytes) and {manifest_path} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
