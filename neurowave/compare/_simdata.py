"""Deprecated home of the simulated model exports: use :mod:`neurowave.datasets`.

``from neurowave.compare._simdata import simulate_model_export`` keeps working, with a
FutureWarning naming the new spelling, until the next minor release.
"""

import warnings

_MOVED = ("simulate_model_export", "simulate_object_export", "simulate_utah_recording")


def __getattr__(name):
    if name in _MOVED:
        warnings.warn(
            f"neurowave.compare._simdata.{name} moved to neurowave.datasets.{name}; "
            "import it from there.",
            FutureWarning,
            stacklevel=2,
        )
        from .. import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
