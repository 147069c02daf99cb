"""JSON encoding of the values neurowave writes: the one ``default=`` of :func:`json.dumps`.

numpy scalars become Python numbers, numpy arrays lists, paths strings. Where a value
must round-trip (netCDF attributes) anything else is an error that names it
(:func:`json_default`); where JSON is only a copy of a summary already built
(:mod:`neurowave.compare`), anything else is written as its ``str``
(:func:`json_default_or_str`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._validate import NeurowaveTypeError

__all__ = ["json_default", "json_default_or_str"]


def _plain(o):
    """``(True, plain value)`` for numpy scalars, arrays and paths, else ``(False, o)``."""
    if isinstance(o, np.generic):
        return True, o.item()
    if isinstance(o, np.ndarray):
        return True, o.tolist()
    if isinstance(o, Path):
        return True, str(o)
    return False, o


def json_default(o):
    """``default=`` for :func:`json.dumps` that refuses what it cannot store faithfully.

    Examples
    --------
    >>> import json, numpy as np
    >>> json.dumps({"n": np.int64(3), "x": np.arange(2.0)}, default=json_default)
    '{"n": 3, "x": [0.0, 1.0]}'
    """
    ok, value = _plain(o)
    if ok:
        return value
    raise NeurowaveTypeError(
        f"The value {o!r} (of type {type(o).__name__}) cannot be written as JSON (a netCDF "
        "attribute, a summary); give numbers, strings, lists or dicts instead."
    )


def json_default_or_str(o):
    """``default=`` for :func:`json.dumps` that writes anything it does not know as ``str``.

    Examples
    --------
    >>> import json
    >>> json.dumps([object.__name__, range(2)], default=json_default_or_str)
    '["object", "range(0, 2)"]'
    """
    ok, value = _plain(o)
    return value if ok else str(o)
