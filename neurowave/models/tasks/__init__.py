"""Procedural, seeded, cached segmentation tasks.

:func:`get_task` builds a task by name (or preset name) with keyword options;
:func:`list_tasks` names them. Every task yields float32 images ``(n, C, H, W)`` in
[0, 1] and int64 labels ``(n, H, W)`` (0 = background), deterministic for its seed.

``tetrominoes-paper`` draws images with the statistics of the published Tetrominoes
data (64 x 64, 7-pixel blocks, 1-5 pieces that may touch, colours 0-255, the published
outline colour; :class:`Tetrominoes` ``style="published"``).
Presets ending in ``-small`` are the CPU configurations used for the shipped weights
and the CPU reproduction (fewer pixels, smaller blocks, fewer images).
"""

from __future__ import annotations

from ..._validate import NeurowaveError, check_option
from .base import SPLITS, Task, cache_dir
from .digits import Digits, MultiDigits, load_source_digits
from .drum import Drum
from .tetrominoes import PIECES, Tetrominoes

__all__ = [
    "TASKS",
    "TASK_PRESETS",
    "get_task",
    "list_tasks",
    "task_from_spec",
    "Task",
    "Tetrominoes",
    "Digits",
    "MultiDigits",
    "Drum",
    "PIECES",
    "SPLITS",
    "cache_dir",
    "load_source_digits",
]

TASKS = {
    "tetrominoes": Tetrominoes,
    "digits": Digits,
    "multidigit": MultiDigits,
    "drum": Drum,
}

#: preset name -> (task name, options). The paper sizes are the tasks' defaults.
TASK_PRESETS = {
    "tetrominoes-small": (
        "tetrominoes",
        dict(size=24, block=3, max_pieces=3, n_train=2000, n_val=200, n_test=400),
    ),
    "tetrominoes-paper": (
        "tetrominoes",
        dict(
            size=64,
            block=7,
            max_pieces=5,
            n_train=10000,
            n_val=1000,
            n_test=1000,
            style="published",
        ),
    ),
    "tetrominoes-tiny": (
        "tetrominoes",
        dict(size=16, block=2, max_pieces=3, n_train=256, n_val=64, n_test=64),
    ),
    "digits-small": ("digits", dict(size=28, digit_size=20, n_train=3000, n_val=300, n_test=500)),
    "multidigit-small": (
        "multidigit",
        dict(size=48, digit_size=16, max_digits=3, n_train=3000, n_val=300, n_test=500),
    ),
    "drum-small": (
        "drum",
        dict(size=24, sides=(3, 5, 7, 9), max_squares=2, n_train=2000, n_val=200, n_test=400),
    ),
}


def list_tasks():
    """Task names and preset names accepted by :func:`get_task`.

    Examples
    --------
    >>> list_tasks()[:4]
    ('tetrominoes', 'digits', 'multidigit', 'drum')
    """
    return tuple(TASKS) + tuple(TASK_PRESETS)


def get_task(name, **params):
    """Build task ``name`` (a task or preset name) with keyword options.

    Options given here override a preset's.

    Examples
    --------
    >>> t = get_task("tetrominoes-small", n_train=10)
    >>> t.params["size"], t.sizes["train"], t.n_classes
    (24, 10, 6)
    """
    check_option("task", name, list_tasks(), extra=" See neurowave.models.list_tasks().")
    if name in TASK_PRESETS:
        base, preset = TASK_PRESETS[name]
        params = {**preset, **params}
        name = base
    cls = TASKS[name]
    try:
        return cls(**params)
    except TypeError as err:
        raise NeurowaveError(f"Task {name!r} does not accept these options ({err}).") from None


def task_from_spec(spec):
    """Rebuild a task from :meth:`Task.spec` (as stored in checkpoints and exports)."""
    spec = dict(spec)
    name = spec.pop("name")
    return get_task(name, **spec)
