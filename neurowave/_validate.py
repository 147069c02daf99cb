"""Input validation helpers whose errors name the fix (after MNE's ``_validate_type``).

Every user-facing error in neurowave is a :class:`NeurowaveError` (a
:class:`ValueError`; :class:`NeurowaveTypeError` is also a :class:`TypeError`, the file
variants also the matching :class:`OSError`) whose message is one sentence: what is
wrong, what was given, what to do. The command line prints that sentence and exits
with code 2; every other exception is an internal error (exit code 1).
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

__all__ = [
    "NeurowaveError",
    "NeurowaveTypeError",
    "NeurowaveFileNotFoundError",
    "NeurowaveFileExistsError",
    "NeurowaveIsADirectoryError",
    "NeurowaveNotADirectoryError",
    "NeurowavePermissionError",
    "validate_type",
    "check_option",
    "check_band",
    "check_positive",
    "check_path",
    "describe_cause",
]


class NeurowaveError(ValueError):
    """A user error: bad input, a file that cannot be read, an impossible request.

    THE exception neurowave raises where it checks its input. Its message is one
    sentence: what is wrong (naming the file or parameter and what was given), then
    what to do. The command line prints it after ``neurowave: error:`` and exits
    with code 2; any other exception reaching the command line is a bug in neurowave
    (exit code 1, "internal error").

    It derives from :class:`ValueError` so that ``except ValueError`` keeps working;
    :class:`NeurowaveTypeError` and the file variants below also derive from the
    built-in type their name says (``TypeError``, ``FileNotFoundError``, ...).

    The parts stay apart as ``err.what`` (what is wrong) and ``err.fix`` (what to
    do, or None when the message already says it).

    Parameters
    ----------
    message : str
        What is wrong (may already end with the fix).
    fix : str | None
        What to do, appended to the message when given.

    Examples
    --------
    >>> err = NeurowaveError("rec.nix holds no analog signals.", fix="Check the file.")
    >>> str(err)
    'rec.nix holds no analog signals. Check the file.'
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, message, *, fix=None):
        message = str(message)
        self.what = message
        self.fix = fix
        super().__init__(f"{message} {fix}" if fix else message)

    def __reduce__(self):  # picklable across processes (dask, multiprocessing)
        return (_rebuild, (type(self), self.what, self.fix))


def _rebuild(cls, what, fix):
    return cls(what, fix=fix)


class NeurowaveTypeError(NeurowaveError, TypeError):
    """A user error about the type of an argument (also a :class:`TypeError`)."""


class NeurowaveFileNotFoundError(NeurowaveError, FileNotFoundError):
    """A user's input path does not exist (also a :class:`FileNotFoundError`)."""


class NeurowaveFileExistsError(NeurowaveError, FileExistsError):
    """An output would overwrite something without ``overwrite`` (also a :class:`FileExistsError`)."""


class NeurowaveIsADirectoryError(NeurowaveError, IsADirectoryError):
    """A directory was given where a file is expected (also an :class:`IsADirectoryError`)."""


class NeurowavePermissionError(NeurowaveError, PermissionError):
    """A user's file cannot be read or written for its permissions (also a :class:`PermissionError`)."""


class NeurowaveNotADirectoryError(NeurowaveError, NotADirectoryError):
    """A file was given where a directory is expected (also a :class:`NotADirectoryError`)."""


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
    neurowave._validate.NeurowaveTypeError: `threshold` must be a number, got str ('a').
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
        raise NeurowaveTypeError(
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
    neurowave._validate.NeurowaveError: `method` must be one of 'hilbert', 'generalized', got 'fft'.
    """
    if value in allowed:
        return value
    opts = ", ".join(repr(a) for a in allowed)
    raise NeurowaveError(f"`{parameter}` must be one of {opts}, got {value!r}.{extra}")


def check_positive(value, name, *, allow_zero=False):
    """Return ``float(value)`` or raise when it is not a finite positive number."""
    validate_type(value, "numeric", name)
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise NeurowaveError(f"`{name}` must be a finite positive number, got {value!r}.")
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
    neurowave._validate.NeurowaveError: `band` must be two frequencies below Nyquist (250 Hz), got (1, 300). Pass a lower upper edge.
    """
    unit = "Hz" if time_units == "s" else f"cycles/{time_units}"
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise NeurowaveError(
            f"`{name}` must be two frequencies (low, high) in {unit}, got {band!r}."
        ) from None
    nyq = sampling_rate / 2.0
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise NeurowaveError(
            f"`{name}` must be two increasing frequencies (low, high) with low >= 0, "
            f"got {tuple(band)!r}. Pass e.g. (1, 13)."
        )
    if hi >= nyq:
        raise NeurowaveError(
            f"`{name}` must be two frequencies below Nyquist ({nyq:g} {unit}), "
            f"got {tuple(band)!r}. Pass a lower upper edge."
        )
    if n_times is not None and lo > 0:
        duration = n_times / sampling_rate
        if duration * lo < 2.0:
            need = 2.0 / lo
            raise NeurowaveError(
                f"The signal is too short for `{name}` {tuple(band)!r}: "
                f"{duration:g} {time_units} hold fewer than two cycles of {lo:g} {unit}. "
                f"Pass a higher lower edge or at least {need:g} {time_units} of data."
            )
    return lo, hi


#: Exceptions whose message describes a file's content (shown to the user); others
#: (KeyError, IndexError, AttributeError, ...) are a parser tripping over it, and
#: their message (a key, an index, a Python detail) means nothing to a user.
_DESCRIPTIVE = (OSError, ValueError, RuntimeError, EOFError, UnicodeError, NotImplementedError)


def describe_cause(err, *, default="its contents do not parse"):
    """A library's reason for failing on a file, fit for a user's sentence.

    The first line of the message of descriptive errors (OS, value, runtime, end of
    file, decoding), without the exception's class name; ``default`` for errors whose
    message is a Python internal (a key, an index, an attribute).

    Examples
    --------
    >>> describe_cause(OSError("Unable to open file (truncated file: eof = 96)"))
    'Unable to open file (truncated file: eof = 96)'
    >>> describe_cause(KeyError("data_type"))
    'its contents do not parse'
    """
    text = str(err).strip() if isinstance(err, _DESCRIPTIVE) else ""
    if isinstance(err, OSError) and err.strerror:
        text = err.strerror
    text = " ".join(text.splitlines()[0].split()) if text else ""
    text = text.rstrip(".")
    if not text:
        return default
    return text if len(text) <= 160 else text[:157] + "..."


def check_path(path, *, name="path", must_exist=True):
    """Return ``Path(path)``; raise FileNotFoundError naming the path when missing, and
    PermissionError when it may not be read."""
    validate_type(path, "path-like", name)
    path = Path(path)
    if must_exist and not path.exists():
        raise NeurowaveFileNotFoundError(f"{path}: no such file or directory. Check the path.")
    if must_exist and not os.access(path, os.R_OK):
        raise NeurowavePermissionError(
            f"{path}: permission denied, neurowave may not read it. Check its permissions "
            "(e.g. chmod u+r) or run as a user who may read it."
        )
    return path
