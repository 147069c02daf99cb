"""Helpers shared by the `train`, `evaluate` and `export` commands: which task a model runs on."""

from __future__ import annotations

from .._validate import NeurowaveError


def task_for(ckpt, name, *, source):
    """The task to run checkpoint ``ckpt`` on.

    ``name`` None or the checkpoint's own task name -> the exact task it was trained on;
    a preset or task of the same kind -> that one; another kind -> one-sentence error.
    """
    from neurowave._validate import check_option
    from neurowave.models import TASK_PRESETS, get_task, list_tasks, task_from_spec

    trained = ckpt["task"]["name"]
    if name is None or name == trained:
        return task_from_spec(ckpt["task"])
    check_option("--task", name, list_tasks())
    base = TASK_PRESETS[name][0] if name in TASK_PRESETS else name
    if base != trained:
        raise NeurowaveError(
            f"{source} was trained on task {trained!r}, not {base!r}; pass --task {trained} "
            "(or a preset of it)."
        )
    return get_task(name)
