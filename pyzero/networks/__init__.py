"""The networks that ship with pyzero (`pyzero/networks/bundled/`), found by game and
options, and the choice every command makes between a run's checkpoint, a bundled network
and an untrained one.

Above the model layer (it reads network files through it), below inference and everything
that plays.
"""

from pyzero.networks.catalog import (
    BUNDLED_DIRECTORY,
    BundledNetwork,
    BundledNetworkError,
    NetworkManifest,
    bundled_network_named,
    bundled_networks,
    find_bundled_network,
    read_manifest,
)
from pyzero.networks.choice import NetworkChoice, choice_of_network, choose_network

__all__ = [
    "BUNDLED_DIRECTORY", "BundledNetwork", "BundledNetworkError", "NetworkChoice", "NetworkManifest",
    "bundled_network_named", "bundled_networks", "choice_of_network", "choose_network", "find_bundled_network",
    "read_manifest",
]
