"""In-memory inputs of the readers: Neo objects and MNE Raw instances.

Pipelines of the Neo/Elephant ecosystem (Cobrawap among them) hand ``neo.Block``,
``neo.Segment`` and ``neo.AnalogSignal`` objects from step to step, and MNE users hold
an ``mne.io.Raw``; :func:`neurowave.io.read` takes them as they are, with no file
written. This module tells them apart without importing neo or mne for a path, names
them in messages and reads the ``positions=`` a caller passes beside them.
"""

from __future__ import annotations

import os

import numpy as np

from .._validate import NeurowaveError

__all__ = ["is_neo_object", "is_mne_raw", "memory_label", "memory_positions"]

#: neo containers and signals :func:`neurowave.io.read_neo` takes in memory
NEO_TYPES = ("Block", "Segment", "AnalogSignal", "AnalogSignalProxy")


def _module(obj):
    return type(obj).__module__ or ""


def is_neo_object(obj):
    """True for an instance of a ``neo`` class (neo is imported only when it is one)."""
    mod = _module(obj)
    return mod == "neo" or mod.startswith("neo.")


def is_mne_raw(obj):
    """True for an ``mne.io.BaseRaw`` (mne is imported only when ``obj`` comes from it)."""
    if not _module(obj).startswith("mne"):
        return False
    import mne

    return isinstance(obj, mne.io.BaseRaw)


def memory_label(obj):
    """How messages and ``attrs["source"]`` name an in-memory object, e.g.
    ``in-memory neo.Block 'utah'``."""
    name = getattr(obj, "name", None)
    kind = f"neo.{type(obj).__name__}" if is_neo_object(obj) else type(obj).__name__
    if is_mne_raw(obj):
        kind = f"mne {type(obj).__name__}"
        files = [f for f in (getattr(obj, "filenames", None) or ()) if f]
        name = os.path.basename(str(files[0])) if files else None
    return f"in-memory {kind}" + (f" {name!r}" if name else "")


def memory_positions(positions, names, label):
    """The ``positions=`` given with an in-memory object, as the readers' positions table.

    Parameters
    ----------
    positions : path-like | pandas.DataFrame | array-like | None
        An electrode map file (as for files), a table indexed by channel name with
        ``x``/``y`` columns in mm, or an ``(n_channels, 2)`` array of x/y in mm in the
        signal's channel order.
    names : list of str
        The signal's channel names.
    label : str
        How messages name the object.

    Returns
    -------
    table : pandas.DataFrame | None
        Indexed by channel name, ``x``/``y`` in mm, ``attrs["source"]``; None when
        ``positions`` is None.
    """
    import pandas as pd

    if positions is None:
        return None
    if isinstance(positions, (str, os.PathLike)):
        from .positions import read_positions

        return read_positions(positions)
    if isinstance(positions, pd.DataFrame):
        if not {"x", "y"} <= set(positions.columns):
            raise NeurowaveError(
                f"positions= for the {label} is a table with columns "
                f"{', '.join(map(str, positions.columns))}; give it `x` and `y` columns (mm) "
                "indexed by channel name."
            )
        df = positions[["x", "y"]].astype(float).copy()
        df.index = [str(i) for i in df.index]
        df.attrs = {"source": "positions= table", "format": "table"}
        return df
    try:
        xy = np.asarray(positions, dtype=float)
    except (TypeError, ValueError):
        raise NeurowaveError(
            f"positions= for the {label} is a {type(positions).__name__}; pass an electrode "
            "map file, a table with x/y columns (mm) indexed by channel, or an "
            "(n_channels, 2) array of x/y in mm."
        ) from None
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] != len(names):
        raise NeurowaveError(
            f"positions= for the {label} has shape {xy.shape}, but the signal has "
            f"{len(names)} channels; pass one (x, y) row in mm per channel, in the signal's "
            "channel order."
        )
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=list(names))
    df.attrs = {"source": "positions= array (mm, channel order)", "format": "array"}
    return df
