"""How the command line reports errors and warnings (used by :func:`neurowave.cli.main`).

Three kinds of failure, told apart by type only:

* a **user error**: :class:`~neurowave.NeurowaveError` (raised where neurowave checks
  its input), or an :class:`OSError` of the file system with a known ``errno`` (no
  such file, permission denied, a directory where a file belongs, disk full, ...).
  One sentence on stderr, ``neurowave: error: ...``, exit code 2.
* an **internal error**: any other exception. It is a bug in neurowave, never the
  user's fault, and it is never passed off as one: one line saying so, what was being
  done and where, "rerun with --debug and report it", exit code 1. ``--debug`` (or
  ``NEUROWAVE_DEBUG=1``) lets the traceback through.
* an **interrupt**: Ctrl-C (exit code 130) or SIGTERM (exit code 143). Either stops
  the command within seconds and leaves no temporary file
  (:func:`neurowave._outputs.install_signal_handlers`).

Warnings raised while a command runs are one line each: neurowave's own as they are,
the meaningful ones of numpy/scipy/neo/mne/xarray reworded as ``neurowave: warning:
<package>: ...``, and the ones about cases neurowave already handles (NaN arithmetic
over dead sites, deprecations inside dependencies) silenced.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
import warnings
from pathlib import Path

from ._validate import NeurowaveError

__all__ = [
    "run_command",
    "user_error_message",
    "internal_error_message",
    "show_warning",
    "naming_input",
]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)

#: errno -> (what is wrong, what to do) for failures of the file system.
_IO_ERRORS = {
    errno.ENOENT: ("no such file or directory", "Check the path."),
    errno.EACCES: ("permission denied", "Check the permissions of the file and its folder."),
    errno.EPERM: ("operation not permitted", "Check the permissions of the file and its folder."),
    errno.EISDIR: ("is a directory where a file is expected", "Pass a file."),
    errno.ENOTDIR: ("a part of the path is not a directory", "Check the path."),
    errno.EEXIST: ("already exists", "Remove it or choose another name."),
    errno.ENOSPC: ("no space left on the device", "Free some space or write elsewhere."),
    errno.EFBIG: (
        "the file is too large for this process (ulimit -f) or the file system",
        "Raise the limit or write to another file system.",
    ),
    getattr(errno, "EDQUOT", -1): ("disk quota exceeded", "Free some space or write elsewhere."),
    errno.EROFS: ("the file system is read-only", "Write the output elsewhere."),
    errno.EIO: ("input/output error", "The disk or the file may be damaged; copy it and retry."),
    errno.ENAMETOOLONG: ("the file name is too long", "Use a shorter path."),
    errno.ELOOP: ("too many symbolic links", "Check the path."),
}

#: Where a failure happened (the innermost neurowave module) -> what was being done.
_STAGES = (
    ("neurowave/io/", "reading the input file"),
    ("neurowave/datasets/", "loading the example data"),
    ("neurowave/grid.py", "checking the wave grid"),
    ("neurowave/waves/", "measuring the waves"),
    ("neurowave/compare/report.py", "writing the report"),
    ("neurowave/compare/", "comparing the model with the recording"),
    ("neurowave/models/export.py", "exporting or selecting the model's hidden states"),
    ("neurowave/models/train.py", "training or loading the model"),
    ("neurowave/models/", "running the model"),
    ("neurowave/_outputs.py", "writing the outputs"),
)

#: numpy RuntimeWarnings about NaN arithmetic: dead sites are NaN by design and every
#: measure handles them, so these say nothing to a user.
_NAN_NOISE = re.compile(
    r"Degrees of freedom <= 0|Mean of empty slice|All-NaN (slice|axis) encountered|"
    r"invalid value encountered|divide by zero encountered|empty slice"
)


def _one_line(text):
    return " ".join(str(text).split())


def user_error_message(err):
    """The one sentence shown for ``err``, or None when ``err`` is not a user error."""
    if isinstance(err, NeurowaveError):
        return _one_line(err)
    if isinstance(err, OSError) and err.errno in _IO_ERRORS:
        what, fix = _IO_ERRORS[err.errno]
        name = err.filename if err.filename is not None else err.filename2
        if name is None:
            return f"{what[0].upper()}{what[1:]}. {fix}"
        name = os.fsdecode(name) if isinstance(name, bytes) else str(name)
        return f"{name}: {what}. {fix}"
    return None


def _names(message, path):
    text = str(message)
    return str(path) in text or Path(path).name in text


def with_input(err, path):
    """``err`` (a :class:`~neurowave.NeurowaveError`) with its sentence naming ``path``:
    ``"<path>: <sentence>"``, of the same class, unless it names the file already."""
    if _names(err, path):
        return err
    try:
        named = type(err)(f"{path}: {err.what}", fix=err.fix)
    except TypeError:  # a subclass with its own signature: keep the object, rename it
        err.args = (f"{path}: {err.args[0] if err.args else ''}", *err.args[1:])
        return err
    named.__cause__, named.__context__ = err.__cause__, err.__context__
    return named.with_traceback(err.__traceback__)


class naming_input:  # a context manager, named like contextlib's
    """Context manager: a user error raised inside names the input ``path``.

    Every :class:`~neurowave.NeurowaveError` raised while reading or analysing a file
    leaves with the file's name in its one sentence (``"rec.nc: ..."``), of the same
    class, so that a batch of hundreds of files says which one is wrong; a sentence
    that names the file already is left as it is. Other exceptions (bugs, interrupts)
    pass unchanged.
    """

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, typ, err, tb):
        if err is None or not isinstance(err, NeurowaveError):
            return False
        named = with_input(err, self.path)
        if named is err:
            return False
        raise named from err.__cause__ if err.__cause__ is not None else None


def _innermost_neurowave_frame(err):
    frames = traceback.extract_tb(err.__traceback__)
    own = [
        f
        for f in frames
        if os.path.abspath(f.filename).startswith(_PACKAGE_DIR)
        and not f.filename.endswith(("_errors.py", "cli.py"))
    ]
    return own[-1] if own else None


def internal_error_message(err, *, command=None):
    """One line: an internal error, what was being done, where, and what to do."""
    frame = _innermost_neurowave_frame(err)
    where = ""
    doing = f"running `neurowave {command}`" if command else "running neurowave"
    if frame is not None:
        rel = os.path.relpath(os.path.abspath(frame.filename), os.path.dirname(_PACKAGE_DIR))
        rel = rel.replace(os.sep, "/")
        where = f" at {rel}:{frame.lineno} in {frame.name}"
        for prefix, stage in _STAGES:
            if rel.startswith(prefix):
                doing += f", {stage}"
                break
    detail = _one_line(err)
    cause = f"{type(err).__name__}: {detail}" if detail else type(err).__name__
    if len(cause) > 200:
        cause = cause[:197] + "..."
    return (
        f"internal error while {doing} ({cause}{where}). This is a bug in neurowave, "
        "not a problem with your input: rerun with --debug and report it."
    )


def _package_of(filename):
    """Top-level package a warning was attributed to (None for neurowave itself)."""
    path = os.path.abspath(filename or "")
    if path.startswith(_PACKAGE_DIR):
        return None
    m = re.search(r"(?:site|dist)-packages[/\\]([A-Za-z0-9_]+)", path)
    if m:
        return m.group(1).lstrip("_")
    return None


def show_warning(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` for commands: one line each, reworded or silenced."""
    text = _one_line(message)
    pkg = _package_of(filename)
    if issubclass(category, RuntimeWarning) and _NAN_NOISE.search(text):
        return
    if pkg is not None and issubclass(
        category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    ):
        return  # about the dependency's own future, nothing a user can act on
    if pkg is not None:
        text = f"{pkg}: {text}"
    print(f"neurowave: warning: {text}", file=sys.stderr if file is None else file)


def run_command(func, args, *, command=None, debug=False):
    """Run ``func(args)`` the command-line way; return the exit code."""
    from ._outputs import Terminated, install_signal_handlers

    restore = install_signal_handlers()
    try:
        with warnings.catch_warnings():
            # the command owns its warnings: Python's default filters (whatever an
            # embedding program or test runner set), each shown as one line
            warnings.simplefilter("default")
            for quiet in (
                DeprecationWarning,
                PendingDeprecationWarning,
                ImportWarning,
                ResourceWarning,
            ):
                warnings.simplefilter("ignore", quiet)
            warnings.showwarning = show_warning
            code = func(args)
    except Terminated:
        print("neurowave: terminated (SIGTERM).", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("neurowave: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:
        if debug:
            raise
        msg = user_error_message(err)
        if msg is not None:
            print(f"neurowave: error: {msg}", file=sys.stderr)
            return 2
        print(f"neurowave: {internal_error_message(err, command=command)}", file=sys.stderr)
        return 1
    finally:
        restore()
    return int(code or 0)
