"""neurowave: traveling waves in artificial networks and brains, measured the same way.

The wave grid (:mod:`neurowave.grid`) is the one data model; readers
(:mod:`neurowave.io`) make them from files, simulators (:mod:`neurowave.datasets`)
from ground truth, models (:mod:`neurowave.models`) from hidden states, and the
measures (:mod:`neurowave.waves`) analyse them all alike.
"""

from ._version import __version__
from .grid import GridInfo, make_channel_grid, make_grid, site_positions, validate_grid

__all__ = [
    "__version__",
    "GridInfo",
    "make_grid",
    "make_channel_grid",
    "site_positions",
    "validate_grid",
]
