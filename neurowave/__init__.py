"""neurowave: traveling waves in artificial networks and brains, measured the same way.

The wave grid (:mod:`neurowave.grid`) is the one data model; readers
(:mod:`neurowave.io`) make them from files, simulators (:mod:`neurowave.datasets`)
from ground truth, models (:mod:`neurowave.models`) from hidden states, and the
measures (:mod:`neurowave.waves`) analyse them all alike; :mod:`neurowave.compare`
puts a model and a recording side by side (:func:`neurowave.compare.compare`).

Examples
--------
>>> import neurowave as nw
>>> grid, truth = nw.datasets.simulate_wave("planar", speed=0.3, direction=45.0,
...                                         frequency=10.0, duration=1.0, seed=0)
>>> result = nw.waves.analyze(grid, band=(6, 14))
>>> round(result.summary["summary"]["speed"]["median"], 1), truth.speed
(0.3, 0.3)
"""

import importlib

from ._version import __version__

# Everything else is imported on first use (PEP 562), so that ``neurowave --help`` and
# ``import neurowave`` stay fast; ``import neurowave.io`` etc. work as usual.
#: public name -> submodule that defines it
_ATTRS = {
    "GridInfo": "grid",
    "make_grid": "grid",
    "make_channel_grid": "grid",
    "site_positions": "grid",
    "validate_grid": "grid",
    "read": "io",
    "CompareResult": "compare",
    "NeurowaveError": "_validate",
}
#: ``neurowave.compare`` is the subpackage (its function is ``neurowave.compare.compare``)
_SUBMODULES = ("datasets", "io", "waves", "models", "grid", "accessor", "compare")

__all__ = [
    "__version__",
    "NeurowaveError",
    "GridInfo",
    "make_grid",
    "make_channel_grid",
    "site_positions",
    "validate_grid",
    "read",
    "compare",
    "CompareResult",
    "datasets",
    "io",
    "waves",
]


def __getattr__(name):
    if name in _ATTRS:
        return getattr(importlib.import_module(f".{_ATTRS[name]}", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'neurowave' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
