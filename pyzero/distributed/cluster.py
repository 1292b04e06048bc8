"""Connecting the driver to a Ray cluster, with clear errors instead of hangs.

`--ray` alone starts a Ray instance on this machine; `--ray auto` joins the cluster that
`ray start --head` started here; `--ray HOST:PORT` joins the head at that address (its GCS
port, 6379 by default); `ray://HOST:PORT` goes through Ray Client. A HOST:PORT that does
not answer within `distributed.connect_timeout_seconds` is reported as such before Ray is
asked (Ray itself retries for a long while), and a cluster whose total resources cannot
hold the actors is reported before any actor waits for a node that will never come.
"""

from __future__ import annotations

import logging
import socket

from pyzero.config import DistributedSection
from pyzero.distributed.errors import DistributedError

log = logging.getLogger("pyzero.distributed")

LOCAL = "local"  # `--ray` without an address: a Ray instance on this machine


def import_ray():
    """Ray, or an error that says how to install it (it is an optional extra)."""
    try:
        import ray
    except ImportError:
        raise DistributedError("pyzero train --ray needs Ray: pip install 'pyzero[ray]' (ray 2.58.0)") from None
    return ray


def connect(address: str, section: DistributedSection) -> None:
    """Connects this process to the cluster at `address` (see the module docstring);
    reuses a connection that is already open (a test's cluster, a notebook's)."""
    ray = import_ray()
    if ray.is_initialized():
        return
    if address not in (LOCAL, "auto") and not address.startswith("ray://"):
        _check_reachable(address, section.connect_timeout_seconds)
    try:
        if address == LOCAL:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as error:
        hint = " (start one with `ray start --head`, or use --ray alone for a local one)" if address == "auto" else ""
        raise DistributedError(f"cannot connect to the Ray cluster at {address}{hint}: {error}") from None
    log.info("connected to Ray at %s: %s", address, ray.cluster_resources())


def _check_reachable(address: str, timeout: float) -> None:
    host, separator, port_text = address.rpartition(":")
    if not separator or not port_text.isdigit():
        raise DistributedError(f"--ray {address}: expected HOST:PORT (the head's address, e.g. 10.0.0.1:6379), "
                               "'auto' or ray://HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port_text)), timeout=timeout):
            pass
    except OSError as error:
        raise DistributedError(f"cannot reach the Ray cluster at {address} within {timeout:g} s "
                               f"(distributed.connect_timeout_seconds): {error.strerror or error}. Is "
                               "`ray start --head` running there, and is the port open?") from None


def check_resources(section: DistributedSection) -> None:
    """Raises when the cluster, all nodes together or the largest node, cannot hold the
    actors the section asks for (each actor must fit on one node)."""
    ray = import_ray()
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    totals = ray.cluster_resources()
    wanted = {"CPU": section.cpus_per_actor, "GPU": section.gpus_per_actor}
    problems = []
    for resource, per_actor in wanted.items():
        if per_actor <= 0:
            continue
        total = totals.get(resource, 0.0)
        largest = max((node["Resources"].get(resource, 0.0) for node in nodes), default=0.0)
        if per_actor > largest:
            problems.append(f"each actor asks for {per_actor:g} {resource} (distributed.{resource.lower()}s_per_actor) "
                            f"but no node has that many (the largest has {largest:g})")
        elif per_actor * section.actors > total + 1e-9:
            problems.append(f"{section.actors} actors x {per_actor:g} {resource} = {per_actor * section.actors:g} "
                            f"{resource}, the cluster has {total:g}")
    if problems:
        raise DistributedError("the Ray cluster lacks the resources for the self-play actors: " + "; ".join(problems)
                               + ". Lower distributed.actors or the per-actor resources, or add nodes.")
