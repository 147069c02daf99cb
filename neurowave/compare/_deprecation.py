"""Keywords that moved into an options object, still accepted for a while with a warning.

``compare(..., n_boot=200)`` became ``compare(..., stats=StatsOptions(n_boot=200))``
and ``compare(..., samples=[0])`` became ``compare(..., view={"samples": [0]})``:
:func:`pop_moved` takes the old keywords out of ``**options``, warns once naming the
new spelling, and returns them for the new object.
"""

from __future__ import annotations

import warnings

from .._validate import NeurowaveError

__all__ = ["pop_moved"]


def pop_moved(options, names, *, func, new, given=None, stacklevel=3):
    """Pop the keywords ``names`` out of the dict ``options`` with a FutureWarning.

    Parameters
    ----------
    options : dict
        The ``**kwargs`` of ``func``; modified in place.
    names : sequence of str
        The keywords that moved.
    func : str
        The function's name, for the message.
    new : str
        The new spelling, e.g. ``"stats=StatsOptions(...)"``.
    given : object | None
        What the caller passed as the new keyword: giving both is an error.
    stacklevel : int
        Of the warning: 3 points at the caller of the function that calls this one.

    Returns
    -------
    dict
        The old keywords found, by name.

    Examples
    --------
    >>> import warnings
    >>> opts = {"n_boot": 10, "phase_method": "hilbert"}
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     pop_moved(opts, ("n_boot", "ci"), func="compare", new="stats=StatsOptions(...)")
    {'n_boot': 10}
    >>> opts, w[0].category.__name__
    ({'phase_method': 'hilbert'}, 'FutureWarning')
    """
    moved = {k: options.pop(k) for k in names if k in options}
    if not moved:
        return moved
    old = ", ".join(f"{k}=" for k in moved)
    if given is not None:
        raise NeurowaveError(
            f"{func}() got both {new.split('=')[0]}= and the older {old}; pass only {new}."
        )
    warnings.warn(
        f"{func}({old}...) is deprecated and will be removed in a future release; "
        f"pass {new} instead.",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return moved
