"""Atomic outputs and JSON conversion shared by the library and the command line."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._validate import (
    NeurowaveFileExistsError,
    NeurowaveIsADirectoryError,
    NeurowaveNotADirectoryError,
)

__all__ = ["to_jsonable", "write_json_atomic", "atomic_directory", "current_umask",
           "give_user_mode"]


def current_umask():
    """The process's file-mode creation mask (read without changing it where possible)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_user_mode(path):
    """Give ``path`` the mode an ordinary ``open``/``mkdir`` would have given it.

    Temporary files and folders (``tempfile.mkstemp``/``mkdtemp``, used for atomic
    writes) are created 0600/0700 whatever the umask; an output renamed from one keeps
    that mode unless it is set here: 0666 (files) or 0777 (folders) minus the umask.
    """
    path = Path(path)
    base = 0o777 if path.is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


def to_jsonable(obj):
    """Convert numpy scalars/arrays and NaN to plain JSON values (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_text(obj, path=None):
    """``obj`` as indented JSON text; also written atomically to ``path`` when given."""
    if path is not None:
        return write_json_atomic(obj, path)
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False)


def write_json_atomic(obj, path):
    """Write JSON to ``path`` through a temporary file renamed at the end; returns the
    text (without the final newline)."""
    path = Path(path)
    if path.is_dir():
        raise NeurowaveIsADirectoryError(f"{path} is a directory; pass a file name for the JSON output.")
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        give_user_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return text


@contextmanager
def atomic_directory(path, *, overwrite=False):
    """Yield a temporary directory that replaces ``path`` only when the block succeeds.

    An existing non-empty ``path`` is an error unless ``overwrite`` is true.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NeurowaveNotADirectoryError(f"{path} exists and is not a directory. Choose another path.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise NeurowaveFileExistsError(
            f"{path} exists and is not empty. Pass --overwrite or choose another directory."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    give_user_mode(tmp)
    if path.exists():
        # swap in one step, so that a kill at any moment leaves the old folder or the new
        # one at `path`, never none and never a mix; the old one then goes
        _swap_directories(tmp, path)
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, path)


def _swap_directories(a, b):
    """Exchange the directories ``a`` and ``b`` atomically where the system can
    (Linux ``renameat2(RENAME_EXCHANGE)``); elsewhere move ``b`` aside, then ``a`` in."""
    if _renameat2_exchange(a, b):
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{Path(b).name}.old.", dir=Path(b).parent))
    aside.rmdir()
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)


def _renameat2_exchange(a, b):
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange)
    return rc == 0
