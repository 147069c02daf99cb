"""Every output neurowave writes goes through here: guards, atomic writes, interrupts.

One convention for files and folders, MNE's ``overwrite=False``:

* an output that is one of the command's inputs (the same real path or the same
  inode), or a folder that holds an input, is refused in one sentence
  (:class:`OutputGuard`);
* an existing output is never replaced without ``--overwrite``;
* ``--overwrite`` replaces only what neurowave wrote: a file that reads as the kind of
  output asked for (JSON, CSV table, netCDF, checkpoint), a folder whose manifest
  (:data:`MANIFEST`) says it is an earlier output of that kind and that holds nothing
  the manifest does not list.

Every write goes to a hidden temporary name in the final folder
(``.NAME.nw-HOST-PID-RAND.part``) that is renamed over the final path at the end
(:func:`atomic_file`, :func:`atomic_directory`): the file is created with the mode an
ordinary ``open`` gives it (the umask honoured), removed on any failure, on Ctrl-C and
on SIGTERM (:func:`install_signal_handlers`), and a failure of the file system (file
too large, disk full, permission denied, read-only) is one sentence naming the final
path. A temporary file left by a run that was killed outright (SIGKILL, power loss) is
removed by the next write to the same path once its process is gone.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import signal
import socket
import sys
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._validate import (
    NeurowaveError,
    NeurowaveFileExistsError,
    NeurowaveIsADirectoryError,
    NeurowaveNotADirectoryError,
)

__all__ = [
    "to_jsonable",
    "write_json_atomic",
    "write_text_atomic",
    "atomic_file",
    "atomic_directory",
    "current_umask",
    "give_user_mode",
    "OutputGuard",
    "install_signal_handlers",
    "run_lock",
    "MANIFEST",
]

#: file that marks a folder as neurowave's output (kind, files, version)
MANIFEST = ".neurowave-output.json"
#: older marker of `neurowave demo` folders (read as a manifest of kind "demo")
_DEMO_MARKER = ".neurowave-demo"


# ---------------------------------------------------------------- modes


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
    """Give ``path`` the mode an ordinary ``open``/``mkdir`` would have given it:
    0666 (files) or 0777 (folders) minus the umask."""
    path = Path(path)
    base = 0o777 if path.is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


# ---------------------------------------------------------------- JSON


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


def write_text_atomic(text, path):
    """Write ``text`` (str) to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_json_atomic(obj, path):
    """Write JSON to ``path`` atomically; returns the text (without the final newline)."""
    path = Path(path)
    if path.is_dir():
        raise NeurowaveIsADirectoryError(
            f"{path} is a directory; pass a file name for the JSON output."
        )
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False)
    write_text_atomic(text + "\n", path)
    return text


# ---------------------------------------------------------------- temporary names

_HOST = format(zlib.crc32(socket.gethostname().encode()) & 0xFFFF, "04x")
_TAG = ".nw-"
#: temporary paths this process is writing now (removed on failure and on a signal)
_LIVE: dict[str, int] = {}
_LIVE_LOCK = threading.Lock()


def _temp_path(path):
    rand = os.urandom(4).hex()
    return path.parent / f".{path.name}{_TAG}{_HOST}-{os.getpid()}-{rand}.part"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's live process
    return True


def _remove(p):
    try:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            os.unlink(p)
    except OSError:
        pass


def sweep_leftovers(path):
    """Remove the temporary files of ``path`` left by runs of this machine that were
    killed outright (their process is gone); return those that remain and are not
    this machine's (another host, or another naming) so that they can be named."""
    path = Path(path)
    named = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return named
    prefix = f".{path.name}."
    for e in entries:
        if not (e.name.startswith(prefix) and e.name.endswith(".part")):
            continue
        middle = e.name[len(prefix) - 1 : -len(".part")]
        if middle.startswith(_TAG):
            host, _, rest = middle[len(_TAG) :].partition("-")
            pid = rest.partition("-")[0]
            if host == _HOST and pid.isdigit():
                if int(pid) != os.getpid() and not _pid_alive(int(pid)):
                    _remove(e.path)
                continue
        named.append(Path(e.path))
    return named


def _name_leftovers(paths):
    """Warn about temporary files this machine cannot tell as dead (another host's, or
    an older neurowave's naming): they take space, and only the user can judge them."""
    if paths:
        import warnings

        shown = ", ".join(str(p) for p in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        warnings.warn(
            f"temporary files of an earlier interrupted write remain: {shown}{more}; "
            "remove them once no neurowave run writes there.",
            UserWarning,
            stacklevel=4,
        )


def _register(tmp):
    with _LIVE_LOCK:
        _LIVE[str(tmp)] = os.getpid()


def _unregister(tmp):
    with _LIVE_LOCK:
        _LIVE.pop(str(tmp), None)


def remove_live_temps():
    """Remove every temporary output this process is writing (signal handlers)."""
    with _LIVE_LOCK:
        items = [p for p, pid in _LIVE.items() if pid == os.getpid()]
        _LIVE.clear()
    for p in items:
        _remove(p)
    return items


# ---------------------------------------------------------------- failures

_WRITE_ERRORS = {
    errno.EFBIG: (
        "the file would exceed the largest file this process may write "
        "(ulimit -f) or the file system allows",
        "Raise the limit or write to another file system.",
    ),
    errno.ENOSPC: ("no space is left on the device", "Free some space or write elsewhere."),
    getattr(errno, "EDQUOT", -1): (
        "the disk quota is exceeded",
        "Free some space or write elsewhere.",
    ),
    errno.EACCES: (
        "permission denied",
        "Check the permissions of the file and its folder, or write elsewhere.",
    ),
    errno.EPERM: (
        "operation not permitted",
        "Check the permissions of the file and its folder, or write elsewhere.",
    ),
    errno.EROFS: ("the file system is read-only", "Write the output elsewhere."),
}


def _diagnose(path, tmp, err):
    """The errno that explains a failed write to ``tmp`` (libraries such as HDF5
    report a full disk or a size limit as another error, or as none)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if (
            soft != resource.RLIM_INFINITY
            and tmp is not None
            and os.path.exists(tmp)
            and os.path.getsize(tmp) >= soft - (1 << 16)
        ):
            return errno.EFBIG
    except (ImportError, OSError, ValueError):
        pass
    try:
        st = os.statvfs(path.parent)
        if st.f_bavail * st.f_frsize < (1 << 20):
            return errno.ENOSPC
    except OSError:
        pass
    code = getattr(err, "errno", None)
    return code if code in _WRITE_ERRORS else None


class NeurowaveWriteError(NeurowaveError, OSError):
    """A write the file system refused (disk full, too large, read-only, permission):
    a user error whose sentence names the final path, and still an :class:`OSError`
    for code that catches those."""

    def __str__(self):  # the sentence, not OSError's "[Errno N] ..."
        return f"{self.what} {self.fix}" if self.fix else self.what


def _write_error(path, code):
    what, fix = _WRITE_ERRORS[code]
    err = NeurowaveWriteError(f"Cannot write {path}: {what}; nothing was written there. {fix}")
    err.errno, err.filename = code, str(path)
    return err


# ---------------------------------------------------------------- atomic writes


@contextmanager
def atomic_file(path):
    """Yield a temporary path beside ``path``, renamed over ``path`` when the block
    succeeds; removed on failure, Ctrl-C and SIGTERM.

    The temporary file already exists (empty, created with mode 0666 minus the umask),
    so writers that open the path themselves (``torch.save``, netCDF) keep that mode.
    A failure of the file system becomes one sentence naming ``path``.
    """
    path = Path(path)
    if path.is_dir():
        raise NeurowaveIsADirectoryError(f"{path} is a directory; pass a file name.")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _name_leftovers(sweep_leftovers(path))
        tmp = _temp_path(path)
        _register(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
        yield tmp
        os.replace(tmp, path)
        _unregister(tmp)
    except BaseException as err:
        if tmp is not None:
            _remove(tmp)
            _unregister(tmp)
        if isinstance(err, (OSError, RuntimeError)) and not isinstance(err, NeurowaveError):
            code = _diagnose(path, tmp, err)
            if code is not None:
                raise _write_error(path, code) from None
        raise


def _manifest_kind(folder):
    """(kind, files) of the manifest of ``folder``; (None, None) without one."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return str(meta["kind"]), set(meta["files"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if (folder / _DEMO_MARKER).is_file():
        return "demo", None
    return None, None


def _write_manifest(folder, kind):
    from ._version import __version__

    files = sorted(
        str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.name != MANIFEST
    )
    text = json.dumps(
        {"kind": kind, "written_by": f"neurowave {__version__}", "files": files}, indent=2
    )
    with open(Path(folder) / MANIFEST, "w", encoding="utf-8") as f:
        f.write(text + "\n")


@contextmanager
def atomic_directory(path, *, overwrite=False, kind=None):
    """Yield a temporary directory that replaces ``path`` only when the block succeeds.

    An existing non-empty ``path`` is an error unless ``overwrite`` is true (commands
    check first with :meth:`OutputGuard.folder`, which also requires the folder to be
    an earlier output of ``kind``). With ``kind``, the new folder gets a manifest
    (:data:`MANIFEST`) listing what it holds.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NeurowaveNotADirectoryError(
            f"{path} exists and is not a directory. Choose another path."
        )
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise NeurowaveFileExistsError(
            f"{path} exists and is not empty. Pass --overwrite or choose another directory."
        )
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(path)
        tmp = _temp_path(path)
        _register(tmp)
        os.mkdir(tmp, 0o777)
        yield tmp
        if kind is not None:
            _write_manifest(tmp, kind)
        if path.exists():
            # swap in one step, so that a kill at any moment leaves the old folder or
            # the new one at `path`, never none and never a mix; the old one then goes
            _swap_directories(tmp, path)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _unregister(tmp)
    except BaseException as err:
        if tmp is not None:
            _remove(tmp)
            _unregister(tmp)
        if isinstance(err, (OSError, RuntimeError)) and not isinstance(err, NeurowaveError):
            code = _diagnose(path, None, err)
            if code is not None:
                raise _write_error(path, code) from None
        raise


def _swap_directories(a, b):
    """Exchange the directories ``a`` and ``b`` atomically where the system can
    (Linux ``renameat2(RENAME_EXCHANGE)``); elsewhere move ``b`` aside, then ``a`` in."""
    if _renameat2_exchange(a, b):
        return
    aside = _temp_path(Path(b))
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)


def _renameat2_exchange(a, b):
    import ctypes
    import ctypes.util

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


# ---------------------------------------------------------------- the guard

#: how a file of each output kind begins (what ``--overwrite`` may replace)
_SIGNATURES = {
    "json": (b"{", b"["),
    "csv": (b"path,",),
    "netcdf": (b"\x89HDF\r\n\x1a\n", b"CDF\x01", b"CDF\x02", b"CDF\x05"),
    "checkpoint": (b"PK\x03\x04",),
    "nix": (b"\x89HDF\r\n\x1a\n",),
}
_KIND_NAMES = {
    "json": "JSON",
    "csv": "CSV table",
    "netcdf": "netCDF",
    "checkpoint": "checkpoint",
    "nix": "NIX file",
}


def _real(p):
    return os.path.realpath(os.path.abspath(os.fspath(p)))


def _same(a, b):
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return _real(a) == _real(b)


def _inside(child, folder):
    c, f = _real(child), _real(folder)
    return c == f or c.startswith(f.rstrip(os.sep) + os.sep)


class OutputGuard:
    """Check a command's outputs against its inputs and what exists, before any work.

    Parameters
    ----------
    inputs : iterable of path-like
        The files and folders the command reads (``pretrained:NAME`` and other
        non-paths are skipped).
    overwrite : bool
        The command's ``--overwrite``.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> rec = os.path.join(d, "rec.nc"); open(rec, "w").close()
    >>> OutputGuard([rec]).file(rec, option="OUT")
    Traceback (most recent call last):
    ...
    neurowave._validate.NeurowaveError: OUT ... is the input ...
    """

    def __init__(self, inputs=(), *, overwrite=False):
        self.inputs = [Path(p) for p in inputs if p is not None and os.path.exists(p)]
        self.overwrite = bool(overwrite)

    def _not_an_input(self, path, option):
        for inp in self.inputs:
            if _real(path) == _real(inp) or (os.path.exists(path) and _same(path, inp)):
                raise NeurowaveError(
                    f"{option} {path} is the input {inp}: writing there would replace it. "
                    "Choose another name for the output."
                )

    def file(self, path, *, option, kind="json", exists_ok=False):
        """Check that ``path`` may receive a new ``kind`` file; return it as a Path.

        ``exists_ok``: an existing file of the same kind may be replaced without
        ``--overwrite`` (the summary table of a batch folder, rebuilt from its JSON).
        """
        if path is None:
            return None
        path = Path(path)
        self._not_an_input(path, option)
        if path.is_dir():
            raise NeurowaveIsADirectoryError(f"{option} {path} is a directory; pass a file name.")
        if os.path.lexists(path):
            if not (self.overwrite or exists_ok):
                raise NeurowaveFileExistsError(
                    f"{option} {path} exists. Pass --overwrite to replace it, or choose "
                    "another name."
                )
            if os.path.isfile(path) and not _looks_like(path, kind):
                raise NeurowaveFileExistsError(
                    f"{option} {path} exists and is not a {_KIND_NAMES[kind]} file neurowave "
                    "wrote, so neurowave does not replace it, even with --overwrite. "
                    "Choose another name, or move the file away yourself."
                )
        return path

    def folder(self, path, *, option, kind, replace_own=False):
        """Check that the folder ``path`` may be (re)written as a ``kind`` output.

        ``replace_own``: an earlier ``kind`` folder is replaced without ``--overwrite``
        (``neurowave demo``'s documented behaviour).
        """
        if path is None:
            return None
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise NeurowaveNotADirectoryError(
                f"{option} {path} exists and is not a directory. Choose another path."
            )
        for inp in self.inputs:
            if _inside(inp, path):
                raise NeurowaveError(
                    f"{option} {path} holds the input {inp}; it would be replaced as a "
                    "whole. Choose a new folder for the output."
                )
        if _inside(os.getcwd(), path):
            raise NeurowaveError(
                f"{option} {path} is the current folder or holds it; it would be replaced "
                "as a whole. Choose a new folder for the output."
            )
        if not path.is_dir() or not any(path.iterdir()):
            return path
        own, files = _manifest_kind(path)
        if own != kind:
            what = (
                f"an output of another kind ({own})" if own else "a folder neurowave did not write"
            )
            raise NeurowaveFileExistsError(
                f"{option} {path} exists and is {what}; neurowave replaces only its own "
                f"earlier {kind} folders, even with --overwrite. Choose a new folder."
            )
        if files is not None:
            extra = sorted(
                str(p.relative_to(path))
                for p in path.rglob("*")
                if p.name not in (MANIFEST,) and str(p.relative_to(path)) not in files
            )
            if extra:
                raise NeurowaveFileExistsError(
                    f"{option} {path} holds {extra[0]}, which neurowave did not write there; "
                    "move it out first, or choose a new folder."
                )
        if not (self.overwrite or replace_own):
            raise NeurowaveFileExistsError(
                f"{option} {path} exists (an earlier {kind} output). Pass --overwrite to "
                "replace it, or choose another folder."
            )
        return path


def _looks_like(path, kind):
    want = _SIGNATURES.get(kind)
    if want is None:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    if kind == "json":
        head = head.lstrip()
    return head == b"" or head.startswith(want)


# ---------------------------------------------------------------- run directories


@contextmanager
def run_lock(folder):
    """Hold an exclusive lock on the run directory ``folder`` while the block runs.

    A second process asking for the same folder gets one sentence (not a wait). The
    lock is ``flock`` on ``folder/.neurowave.lock``, released by the system when the
    process ends, however it ends.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".neurowave.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover  (not POSIX)
            pass
        except OSError as err:
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise NeurowaveFileExistsError(
                    f"{folder} is in use by another neurowave run; wait for it to end or "
                    "choose another run directory."
                ) from None
            raise
        yield folder
    finally:
        os.close(fd)


# ---------------------------------------------------------------- signals

#: seconds a command may take to unwind after Ctrl-C/SIGTERM before it is ended
GRACE_SECONDS = 8.0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    signum = signal.SIGTERM


_WATCH = {"installed": False}


def _hard_exit(signum, why):
    removed = remove_live_temps()
    note = " (partial output removed)" if removed else ""
    try:
        os.write(2, f"neurowave: {why}{note}.\n".encode())
    finally:
        os._exit(128 + int(signum))


def _watcher(sock, done):
    """Thread woken by the C-level signal handler (``signal.set_wakeup_fd``): it acts
    even while the main thread is inside a long C call (an HDF5 write)."""
    import time

    while True:
        try:
            data = sock.recv(64)
        except OSError:
            return
        if not data:
            return
        sigs = [s for s in data if s in (signal.SIGINT, signal.SIGTERM)]
        if not sigs:
            continue
        signum = sigs[-1]
        with _LIVE_LOCK:
            writing = any(pid == os.getpid() for pid in _LIVE.values())
        if writing:  # the output cannot be half written: drop it and stop now
            _hard_exit(signum, "interrupted while writing; nothing was replaced")
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline:
            if done.wait(0.1):  # the command unwound and returned in time
                return
            with _LIVE_LOCK:
                writing = any(pid == os.getpid() for pid in _LIVE.values())
            if writing:
                _hard_exit(signum, "interrupted while writing; nothing was replaced")
        _hard_exit(signum, f"interrupted; stopped after {GRACE_SECONDS:g} s of cleanup")


def _on_signal(signum, frame):
    if os.getpid() != _WATCH.get("pid"):  # a forked child that kept the handler
        os._exit(128 + signum)
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


def install_signal_handlers():
    """Make Ctrl-C and SIGTERM stop a command within seconds, leaving no temporary
    file: both raise in the main thread (KeyboardInterrupt / :class:`Terminated`) so
    that the command unwinds; a watcher thread ends the process at once when a write
    is under way, else after :data:`GRACE_SECONDS`. Returns a function restoring the
    previous handlers (a no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    r, w = socket.socketpair()
    r.setblocking(True)
    w.setblocking(False)
    try:
        old_fd = signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):  # pragma: no cover
        r.close()
        w.close()
        return lambda: None
    _WATCH["pid"] = os.getpid()
    for s in old:
        signal.signal(s, _on_signal)
    done = threading.Event()
    thread = threading.Thread(
        target=_watcher, args=(r, done), name="neurowave-signals", daemon=True
    )
    thread.start()

    def restore():
        done.set()
        signal.set_wakeup_fd(old_fd)
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        w.close()  # the watcher's recv returns b"" and it ends
        thread.join(1.0)
        r.close()

    return restore
