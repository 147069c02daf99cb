"""neurowave: traveling waves in artificial networks and brains, measured the same way.

The wave grid (:mod:`neurowave.grid`) is the one data model; readers
(:mod:`neurowave.io`) make them from files, simulators (:mod:`neurowave.datasets`)
from ground truth, models (:mod:`neurowave.models`) from hidden states, and the
measures (:mod:`neurowave.waves`) analyse them all alike; :func:`neurowave.compare`
puts a model and a recording side by side.

Examples
--------
>>> import neurowave as nw
>>> grid, truth = nw.datasets.simulate_wave("planar", speed=0.3, direction=45.0,
...                                         frequency=10.0, duration=1.0, seed=0)
>>> result = nw.waves.analyze(grid, band=(6, 14))
>>> round(result.summary["summary"]["speed"]["median"], 1), truth.speed
(0.3, 0.3)
"""

from ._version import __version__
from ._validate import NeurowaveError
from .grid import GridInfo, make_channel_grid, make_grid, site_positions, validate_grid
from . import accessor as _accessor  # noqa: F401  (registers the ``da.wave`` accessor)
from . import datasets, io, waves  # noqa: E402
from .io import read  # noqa: E402


def __getattr__(name):
    # neurowave.compare pulls in scipy.stats (about a second): imported on first use
    if name in ("compare", "CompareResult"):
        import importlib

        mod = importlib.import_module(".compare", __name__)
        globals()["CompareResult"] = mod.CompareResult
        globals()["compare"] = mod.compare
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
