"""Input validation helpers whose errors name the fix (after MNE's ``_validate_type``).

Every user-facing error in neurowave is a :class:`TypeError` or :class:`ValueError`
(or :class:`FileNotFoundError`) whose message is one sentence: what is wrong, what
was given, what to do. The command line prints that sentence and exits with code 2.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

__all__ = [
    "NeurowaveError",
    "validate_type",
    "check_option",
    "check_band",
    "check_positive",
    "check_path",
]


class NeurowaveError(ValueError):
    """A user error: bad input, a file that cannot be read, an impossible request."""


_TYPE_NAMES = {
    "numeric": (numbers.Real,),
    "int": (numbers.Integral,),
    "path-like": (str, os.PathLike),
}


def validate_type(item, types, item_name, type_name=None):
    """Raise a TypeError naming the expected type(s) unless ``item`` is one of them.

    Parameters
    ----------
    item : object
        The value to check.
    types : type | str | tuple
        Accepted types; the strings ``"numeric"``, ``"int"`` and ``"path-like"`` and
        ``None`` are understood.
    item_name : str
        The name shown in the message.
    type_name : str | None
        How to name the expected type(s) in the message.

    Examples
    --------
    >>> validate_type(3, "int", "n_surrogates")
    >>> validate_type("a", "numeric", "threshold")
    Traceback (most recent call last):
    ...
    TypeError: `threshold` must be a number, got str ('a').
    """
    if not isinstance(types, tuple):
        types = (types,)
    check = []
    names = []
    for t in types:
        if t is None:
            check.append(type(None))
            names.append("None")
        elif isinstance(t, str):
            check.extend(_TYPE_NAMES[t])
            names.append({"numeric": "a number", "int": "an integer", "path-like": "a path"}[t])
        else:
            check.append(t)
            names.append(t.__name__)
    ok = isinstance(item, tuple(check))
    if ok and isinstance(item, bool) and bool not in check:
        ok = False
    if not ok:
        expected = type_name or " or ".join(names)
        raise TypeError(
            f"`{item_name}` must be {expected}, got {type(item).__name__} ({item!r})."
        )


def check_option(parameter, value, allowed, *, extra=""):
    """Raise a ValueError listing the allowed values unless ``value`` is one of them.

    Examples
    --------
    >>> check_option("method", "hilbert", ("hilbert", "generalized"))
    'hilbert'
    >>> check_option("method", "fft", ("hilbert", "generalized"))
    Traceback (most recent call last):
    ...
    ValueError: `method` must be one of 'hilbert', 'generalized', got 'fft'.
    """
    if value in allowed:
        return value
    opts = ", ".join(repr(a) for a in allowed)
    raise ValueError(f"`{parameter}` must be one of {opts}, got {value!r}.{extra}")


def check_positive(value, name, *, allow_zero=False):
    """Return ``float(value)`` or raise when it is not a finite positive number."""
    validate_type(value, "numeric", name)
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"`{name}` must be a finite positive number, got {value!r}.")
    return value


def check_band(band, sampling_rate, *, n_times=None, name="band", time_units="s"):
    """Validate a pass band ``(low, high)`` against Nyquist and the signal length.

    Returns the band as a tuple of floats.

    Examples
    --------
    >>> check_band((1, 30), 500.0)
    (1.0, 30.0)
    >>> check_band((1, 300), 500.0)
    Traceback (most recent call last):
    ...
    ValueError: `band` must be two frequencies below Nyquist (250 Hz), got (1, 300). Pass a lower upper edge.
    """
    unit = "Hz" if time_units == "s" else f"cycles/{time_units}"
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be two frequencies (low, high) in {unit}, got {band!r}."
        ) from None
    nyq = sampling_rate / 2.0
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi <= lo:
        raise ValueError(
            f"`{name}` must be two increasing frequencies (low, high) with low >= 0, "
            f"got {tuple(band)!r}. Pass e.g. (1, 13)."
        )
    if hi >= nyq:
        raise ValueError(
            f"`{name}` must be two frequencies below Nyquist ({nyq:g} {unit}), "
            f"got {tuple(band)!r}. Pass a lower upper edge."
        )
    if n_times is not None and lo > 0:
        duration = n_times / sampling_rate
        if duration * lo < 2.0:
            need = 2.0 / lo
            raise ValueError(
                f"The signal is too short for `{name}` {tuple(band)!r}: "
                f"{duration:g} {time_units} hold fewer than two cycles of {lo:g} {unit}. "
                f"Pass a higher lower edge or at least {need:g} {time_units} of data."
            )
    return lo, hi


def check_path(path, *, name="path", must_exist=True):
    """Return ``Path(path)``; raise FileNotFoundError naming the path when missing."""
    validate_type(path, "path-like", name)
    path = Path(path)
    if must_exist and not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory. Check the path.")
    return path
