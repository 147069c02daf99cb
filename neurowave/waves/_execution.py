"""The execution engine of :func:`~neurowave.waves.analyze`: chunks of time run in turn,
in threads, or in worker processes forked from this one.

:class:`Execution` says how; :func:`_chunks` cuts the analysed frames into chunks;
:func:`_run_chunks` runs :func:`~neurowave.waves._pipeline._analyze_chunk` on each
(:func:`_one_chunk`: the chunk with the overlap its filters need), in this thread, in
threads (:func:`_run_chunks`) or in forked workers (:func:`_run_forked`,
:func:`_chunk_in_child`), and returns the results in order with the workers' warnings
raised again here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from .._validate import NeurowaveError, check_option
from ._pipeline import _analyze_chunk

__all__ = ["Execution", "POOLS"]

#: default chunk of the streaming path, in site-samples (~16 MB of float32 input)
_CHUNK_SITE_SAMPLES = 4_000_000


@dataclass
class Execution:
    """How :func:`analyze` runs: chunks of time, threads, progress.

    Attributes
    ----------
    chunk_duration : float | None
        Length of the time chunks (time units) a long recording is processed in, each
        with the overlap its filters and phase need; peak memory is set by the chunk,
        not by the recording. None: about 4 million site-samples per chunk (40 s of a
        96-site array at 1 kHz), rounded to whole groups of surrogate tests; a
        recording shorter than 1.5 chunks is processed whole.
    n_threads : int | None
        Chunks processed at once. None: the number of CPUs, at most 2 (each worker
        holds a chunk in memory).
    pool : {"auto", "processes", "threads"}
        What processes the chunks at once: worker processes forked from this one
        (they inherit the grid and the loaded modules, so nothing is re-imported or
        copied up front; each returns its chunk's per-frame results), or threads of
        this process. Threads contend for the interpreter lock in the many small
        array operations of the fits, so two of them ran no faster than one in our
        benchmarks (``benchmarks/measures.py``); processes do not share it. ``"auto"``:
        processes where forking is safe (Linux, called from the main thread), threads
        elsewhere (e.g. inside a dask worker).
    progress : bool
        A progress bar over the chunks on stderr.
    desc : str | None
        Label of the progress bar (the CLI gives the file name).
    """

    chunk_duration: float | None = None
    n_threads: int | None = None
    pool: str = "auto"
    progress: bool = False
    desc: str | None = None


def _chunks(e0, e1, n_sites, fs, unit, execution, pad):
    """[(a, b)] chunks of the analysed frames [e0, e1): multiples of ``unit`` samples."""
    n = e1 - e0
    if execution.chunk_duration is None:
        want = max(_CHUNK_SITE_SAMPLES // max(n_sites, 1), 8 * pad)
        if n <= 1.5 * want:
            return [(e0, e1)]
    else:
        want = float(execution.chunk_duration) * fs
        if want < 2:
            raise NeurowaveError(
                f"`chunk_duration` ({execution.chunk_duration!r}) is shorter than two samples; "
                "pass a longer chunk or None."
            )
    size = max(unit, int(round(want / unit)) * unit)
    return [(a, min(a + size, e1)) for a in range(e0, e1, size)]


def _trim_heap():
    """Give the memory freed by a chunk back to the system (glibc keeps it per thread
    otherwise, so that peak memory would grow with the threads, not with one chunk)."""
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 (glibc only)
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


#: POOLS of :class:`Execution`
POOLS = ("auto", "processes", "threads")

#: (grid, pad, n, e0, opts) of the analysis being run, read by forked workers
_FORK_STATE = None


def _one_chunk(grid, ab, pad, n, e0, opts):
    a, b = ab
    lo, hi = max(0, a - pad), min(n, b + pad)
    res = _analyze_chunk(grid.isel(time=slice(lo, hi)), lo, a, b, e0, opts)
    res = res[:3] + (None, None) + res[5:]  # the chunk's phase is not kept
    _trim_heap()
    return res


def _chunk_in_child(ab):
    """One chunk in a forked worker: its results and the warnings it raised."""
    from threadpoolctl import threadpool_limits

    grid, pad, n, e0, opts = _FORK_STATE
    with (
        warnings.catch_warnings(record=True) as caught,
        threadpool_limits(limits=1, user_api="blas"),
    ):
        warnings.simplefilter("always")
        res = _one_chunk(grid, ab, pad, n, e0, opts)
    return res, [(w.message, w.category) for w in caught]


def _use_processes(execution):
    import multiprocessing as mp
    import sys

    pool = check_option("pool", execution.pool, POOLS)
    if pool == "threads":
        return False
    can_fork = "fork" in mp.get_all_start_methods()
    if pool == "processes":
        if not can_fork:
            raise NeurowaveError(
                "Execution(pool='processes') needs a platform that forks "
                "(Linux, macOS); pass pool='threads'."
            )
        return True
    import threading

    # forking a process whose other threads may hold locks (a dask worker's, a server's)
    # is unsafe: there, and off Linux, threads
    return (
        can_fork
        and sys.platform.startswith("linux")
        and threading.current_thread() is threading.main_thread()
    )


def _run_chunks(grid, chunks, pad, n, e0, opts, execution):
    """Results of :func:`_analyze_chunk` for each chunk, in order (workers, progress)."""
    import os

    n_threads = execution.n_threads
    if n_threads is None:
        n_threads = min(2, os.cpu_count() or 1)
    n_threads = max(1, min(int(n_threads), len(chunks)))
    processes = _use_processes(execution)
    bar = None
    if execution.progress and len(chunks) > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(chunks), desc=execution.desc or "analyze", unit="chunk", leave=False)
    try:
        if n_threads == 1:
            out = []
            for ab in chunks:
                out.append(_one_chunk(grid, ab, pad, n, e0, opts))
                if bar is not None:
                    bar.update()
            return out
        if processes:
            return _run_forked(grid, chunks, pad, n, e0, opts, n_threads, bar)
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        with (
            threadpool_limits(limits=1, user_api="blas"),
            ThreadPoolExecutor(max_workers=n_threads) as pool,
        ):
            futures = [pool.submit(_one_chunk, grid, ab, pad, n, e0, opts) for ab in chunks]
            out = []
            for f in futures:
                out.append(f.result())
                if bar is not None:
                    bar.update()
            return out
    finally:
        if bar is not None:
            bar.close()


def _run_forked(grid, chunks, pad, n, e0, opts, n_workers, bar):
    """The chunks in ``n_workers`` processes forked from this one (see Execution.pool)."""
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_STATE
    _FORK_STATE = (grid, pad, n, e0, opts)
    try:
        # the workers are forked when the pool starts: they see _FORK_STATE as set here
        from .._proc import die_with_parent  # workers end with this process (issue 36)

        with ProcessPoolExecutor(
            max_workers=n_workers,
            mp_context=mp.get_context("fork"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            futures = [pool.submit(_chunk_in_child, ab) for ab in chunks]
            out = []
            for f in futures:
                res, caught = f.result()
                for message, category in caught:
                    warnings.warn(message, category, stacklevel=4)
                out.append(res)
                if bar is not None:
                    bar.update()
            return out
    finally:
        _FORK_STATE = None
