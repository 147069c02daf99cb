"""Child processes that die with their parent, and dask schedulers checked before use.

:func:`die_with_parent` is the initializer of every worker process neurowave forks or
spawns (the chunk workers of :func:`neurowave.waves.analyze`, the data-parallel
training processes): on Linux the kernel kills the worker when its parent ends
(``prctl(PR_SET_PDEATHSIG, SIGKILL)``), and everywhere a small thread ends it when
its parent changes (the parent was killed and the worker re-parented). Ctrl-C reaches
the whole foreground process group; the worker ignores it and lets its parent decide.

:func:`check_scheduler` turns every way a ``--scheduler`` address can fail into one
sentence before :class:`distributed.Client` is asked to connect.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from ._validate import NeurowaveError

__all__ = ["die_with_parent", "check_scheduler", "SCHEDULER_TIMEOUT"]

#: seconds to wait for a dask scheduler, in all (probe and connection)
SCHEDULER_TIMEOUT = 8.0

_PR_SET_PDEATHSIG = 1


def _pdeathsig(sig):
    """Ask the kernel to send ``sig`` to this process when its parent ends (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover
        return False


def _watch_parent(parent, interval):
    import time

    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent=None, *, interval=0.5):
    """Make this (child) process end when its parent does; call first in the child.

    Parameters
    ----------
    parent : int | None
        The parent's pid as the parent saw it (``os.getpid()`` before the fork or
        spawn); default: the current parent.
    interval : float
        Seconds between two checks of the parent by the watcher thread.
    """
    parent = os.getppid() if parent is None else int(parent)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)  # the parent's signal watcher does not live here
    except (ValueError, OSError):  # not the main thread
        pass
    _pdeathsig(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request: end now
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent, interval), daemon=True, name="neurowave-parent-watch"
    ).start()


def _parse_address(address):
    """``(host, port)`` of a dask scheduler address, or a sentence."""
    from urllib.parse import urlsplit

    text = str(address).strip()
    if "://" not in text:
        text = "tcp://" + text
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    scheme = text.split("://", 1)[0]
    if (
        scheme not in ("tcp", "tls", "ws", "wss")
        or not host
        or port is None
        or parts.path not in ("", "/")
    ):
        raise NeurowaveError(
            f"--scheduler {address!r} is not a dask scheduler address; pass "
            "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786."
        )
    return scheme, host, port


def check_scheduler(address, *, timeout=SCHEDULER_TIMEOUT):
    """Check that a dask scheduler could be listening at ``address``; one sentence if
    the address is malformed (at once) or nothing answers there (within ``timeout``)."""
    import socket

    scheme, host, port = _parse_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            first = _first_bytes(sock, 8, min(timeout, 3.0)) if scheme == "tcp" else None
    except socket.gaierror:
        raise NeurowaveError(
            f"--scheduler {address}: the host {host!r} is not known. Check the address."
        ) from None
    except (OSError, TimeoutError) as err:
        why = (
            "nothing answered"
            if isinstance(err, (TimeoutError, socket.timeout))
            else (os.strerror(err.errno).lower() if err.errno else "the connection failed")
        )
        raise NeurowaveError(
            f"Cannot reach the dask scheduler at {address} ({why}). Check the address and "
            "that the scheduler is running."
        ) from None
    if first is not None:
        # a dask scheduler speaks first: the byte count of its handshake (uint64 LE)
        size = int.from_bytes(first, "little") if len(first) == 8 else None
        if size is None or not 0 < size < _MAX_HANDSHAKE:
            raise NeurowaveError(
                f"The peer at {address} is not a dask scheduler (it did not answer with a "
                "dask handshake). Check the address and port."
            )
    return host, port


#: largest first message a dask scheduler sends (its handshake is well under 1 KiB)
_MAX_HANDSHAKE = 1 << 20


def _first_bytes(sock, n, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                break
            data += chunk
    except (OSError, TimeoutError):
        pass
    return data
