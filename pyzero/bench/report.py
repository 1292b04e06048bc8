"""The one shape of every `pyzero bench ... --json` report.

Every report is a JSON object with the same envelope, then the benchmark's own fields
(docs/benchmarks.md says what each means):

    benchmark        which benchmark: perft, search, graph, selfplay, network, tei,
                     distributed, alphabeta, or all (`pyzero bench --json`)
    schema_version   REPORT_SCHEMA_VERSION; it changes when an envelope field does
    pyzero_version   the package's version
    machine          cpu (model name), cores (logical CPUs this process may use),
                     python, torch, gpu (the CUDA device's name, or null)

Figures are compared between runs on one machine and as ratios measured in one run; the
machine block says which machine a report is from.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

REPORT_SCHEMA_VERSION = 1
ENVELOPE_FIELDS = ("benchmark", "schema_version", "pyzero_version", "machine")


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else what `platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> dict[str, Any]:
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu_model(), "cores": cores, "python": platform.python_version(), "torch": torch.__version__,
            "gpu": gpu}


def benchmark_report(benchmark: str, **fields: Any) -> dict[str, Any]:
    """The envelope above, then `fields` (which may not reuse an envelope field's name)."""
    from pyzero import __version__

    clashing = [name for name in fields if name in ENVELOPE_FIELDS]
    if clashing:
        raise ValueError(f"benchmark fields {clashing} would replace the report's envelope")
    return {"benchmark": benchmark, "schema_version": REPORT_SCHEMA_VERSION, "pyzero_version": __version__,
            "machine": machine_description(), **fields}


def benchmark_json(benchmark: str, **fields: Any) -> str:
    return json.dumps(benchmark_report(benchmark, **fields), indent=2)
