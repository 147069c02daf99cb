"""The whole measure pipeline on one wave grid, and its JSON summary."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError, check_band, check_option, validate_type
from .._version import __version__
from ._xr import MIN_SITES, check_measure_input, speed_scale

__all__ = ["analyze", "WaveAnalysis", "LongWaveWarning", "Execution"]


@dataclass
class WaveAnalysis:
    """Result of :func:`analyze`.

    Attributes
    ----------
    summary : dict
        The JSON summary: ``neurowave_version``, ``input``, ``params``,
        ``summary`` (frequency, pgd, wave_fraction, speed, direction, wavelength,
        patterns, events) and ``events`` (one dict per wave event).
    frames : xarray.Dataset
        Per analysed frame (edges trimmed, see ``summary["params"]["edge_trim"]``):
        ``pgd``, ``p_value``, ``is_wave``, ``speed``, ``direction``, ``wavelength``,
        ``frequency``, ``pattern`` (str), ``rotation`` (+1/-1/0) and the pattern fits.
    phase : xarray.DataArray
    gradient : xarray.Dataset
    grid : xarray.DataArray
    events : pandas.DataFrame | None
    kw_spectrum : xarray.DataArray | None
        The k-omega spectrum behind ``summary["kw"]`` (``analyze(..., kw=True)``).
    """

    summary: dict
    frames: xr.Dataset
    phase: xr.DataArray
    gradient: xr.Dataset
    grid: xr.DataArray
    events: object = field(default=None, repr=False)
    kw_spectrum: object = field(default=None, repr=False)

    def to_json(self, path=None):
        """The summary as JSON text; written atomically to ``path`` when given."""
        from .._outputs import json_text

        return json_text(self.summary, path)

    def table(self):
        """Rows ``(measure, value)`` for a short terminal table."""
        s = self.summary["summary"]
        inp = self.summary["input"]
        par = self.summary["params"]

        def f(v, fmt="{:.3g}"):
            return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) \
                else fmt.format(v)

        fu = "Hz" if inp["time_units"] == "s" else f"cycles/{inp['time_units']}"
        rows = [
            ("sites", f"{inp['n_valid_sites']} valid of {inp['n_sites']} "
                      f"({'x'.join(map(str, inp['grid_shape']))})"),
            ("duration", f"{f(inp['duration'])} {inp['time_units']} at "
                         f"{f(inp['sampling_rate'])} /{inp['time_units']}"),
            ("band", f"{f(par['band'][0])}-{f(par['band'][1])} {fu} ({par['band_source']})"),
            ("phase", par["phase_method"]),
            ("frequency", f"{f(s['frequency']['median'])} {fu}"),
            ("PGD", f"median {f(s['pgd']['median'])}, p90 {f(s['pgd']['p90'])}"),
            ("wave frames", f"{f(100 * s['wave_fraction'], '{:.1f}')} % "
                            f"(PGD >= {par['pgd_threshold']:g}, p <= {par['alpha']:g})"),
            ("speed", f"{f(s['speed']['median'])} {s['speed']['units']} "
                      f"[{f(s['speed']['q25'])}, {f(s['speed']['q75'])}]"),
            ("direction", f"{f(s['direction']['mean_deg'], '{:.1f}')} deg "
                          f"(R = {f(s['direction']['resultant_length'], '{:.2f}')})"),
            ("wavelength", f"{f(s['wavelength']['median'])} {s['wavelength']['units']}"),
            ("patterns", ", ".join(f"{k} {100 * v:.0f}%" for k, v in s["patterns"].items()
                                   if v)
             + ("  (sites on one line: only planar along the line or synchronous are "
                "possible)" if par.get("patterns", {}).get("layout") == "collinear" else "")),
            ("events", str(s["events"]["n"])),
        ]
        kw = self.summary.get("kw")
        if kw:
            rows.append(("k-omega peak",
                         f"{f(kw['speed'])} {kw['units']} [{f(kw['speed_ci'][0])}, "
                         f"{f(kw['speed_ci'][1])}], {f(kw['direction'], '{:.0f}')} deg, "
                         f"{f(kw['frequency'])} {fu}, travelling index "
                         f"{f(kw['travelling_index'], '{:.2f}')}"))
        return rows


def positions_source(grid):
    """Where the sites' positions of ``grid`` came from (``attrs["positions_source"]``
    set by the readers; else the grid's own coordinates)."""
    src = grid.attrs.get("positions_source")
    if src:
        return str(src)
    if grid.attrs.get("kind") == "model":
        return "model grid cells (x, y in cells)"
    return "the grid's own x, y coordinates"


def _q(x, q):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if x.size else None


class LongWaveWarning(UserWarning):
    """Few wave frames, but the recording holds a stationary wave much longer than the array.

    ``settings`` holds the :func:`analyze` options the message names
    (``gradient_step``, ``gradient_window``), ``min_duration`` the recording length
    (time units) at which the median speed is known to about 3 % (1 s.d.), and
    ``wavelength`` the wavelength of the whole recording's lag map (space units).
    """

    def __init__(self, message, *, settings=None, min_duration=None, wavelength=None):
        super().__init__(message)
        self.settings = dict(settings or {})
        self.min_duration = min_duration
        self.wavelength = wavelength


def _long_wave_hint(phase, info, band, gradient_step):
    """A LongWaveWarning naming the settings for a stationary wave much longer than the array.

    The whole recording's lag map (each site's phasor relative to the array's phase,
    averaged over time) is fitted with a plane. If the plane explains most of the map
    and the wave it describes is at least twice the array's diameter long, per-frame
    gradients are dominated by noise. The residual of the fit gives the lag noise per
    unit time, from which follow the coherence window that lifts the lag difference
    across the stencil to 1.5 times its noise, and the recording length at which the
    whole-recording wavenumber is known to 2 % (about 3 % in the median speed).
    Returns None otherwise: noise, synchronous activity and waves the frames resolve
    fit poorly or are short.
    """
    from ..grid import site_positions

    # lag map: each site's phasor relative to the array's phase, averaged over time
    # (lazy on dask until .values; a dead site has no samples and stays NaN)
    space = [d for d in phase.dims if d != "time"]
    u = np.exp(1j * phase.astype(np.float32))
    m = u.sum(space)
    rel = u * np.conj(m / np.maximum(abs(m), 1e-12))
    n = rel.count("time")
    lag = (rel.sum("time") / n.clip(min=1)).where(n > 0).values.ravel()
    pos = site_positions(phase)
    ok = np.isfinite(lag) & np.all(np.isfinite(pos), axis=1)
    if ok.sum() < 6:
        return None
    psi = np.angle(lag[ok])
    p = pos[ok] - pos[ok].mean(axis=0)
    A = np.column_stack([np.ones(len(p)), p])
    coef, *_ = np.linalg.lstsq(A, psi, rcond=None)
    resid = psi - A @ coef
    ss = float(np.sum((psi - psi.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss if ss > 0 else 0.0
    k = float(np.hypot(coef[1], coef[2]))
    diameter = float(np.max(np.ptp(p, axis=0)))
    if r2 < 0.5 or k <= 0 or 2 * np.pi / k < 2 * diameter:
        return None
    lam = 2 * np.pi / k
    fc = 0.5 * (band[0] + band[1])
    duration = phase.sizes["time"] / info.sampling_rate
    if info.layout == "grid":
        step = max(1, (min(s for s in info.grid_shape if s > 1) - 1) // 2)
    else:
        step = 3
    step = int(max(step, gradient_step))
    sigma = float(np.sqrt(np.sum(resid ** 2) / max(len(psi) - 3, 1)))  # lag noise, whole run
    sigma_1 = sigma * np.sqrt(duration)  # ... per unit time
    spacing = float(info.spacing or diameter / 10)
    window = (1.5 * sigma_1 / (k * step * spacing)) ** 2
    window = float(np.clip(window, 10.0 / fc, max(duration / 4, 10.0 / fc)))
    cov = sigma ** 2 * np.linalg.inv(A.T @ A)[1:, 1:]
    khat = coef[1:] / k
    rel = float(np.sqrt(khat @ cov @ khat)) / k  # relative s.e. of |k|, whole recording
    need = float(duration * (rel / 0.02) ** 2)
    tu = info.time_units
    settings = {"gradient_step": step, "gradient_window": float(f"{window:.3g}")}
    msg = (
        f"Few wave frames, but the lags between sites fit a stationary wave about "
        f"{lam:.3g} {info.space_units} long ({lam / diameter:.0f} times the array), "
        f"which per-frame gradients cannot resolve; pass gradient_step={step} and "
        f"gradient_window={window:.3g} (in {tu}; CLI --gradient-step/--gradient-window)"
        + (f", and expect the speed to about {150 * rel:.0f} % (1 s.d.) from this "
           f"{duration:.3g}-{tu} recording: about "
           f"{need:.3g} {tu} bring it to 3 %." if need > duration else ".")
    )
    return LongWaveWarning(msg, settings=settings, min_duration=need, wavelength=lam)


def _edge_samples(n_times, fs, band, window=None):
    lo, hi = band
    width = max(hi - lo, 1e-12)
    half = np.ceil(fs / (2.0 * width))
    if window is not None:  # the coherence window is cut short at the ends
        half = max(half, np.ceil(float(window) * fs / 2.0))
    return int(min(half, n_times // 5))


#: frames of phase whose surrogate tests share permutations (see surrogate_kernel)
_SURROGATE_GROUP = 256
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


def _pattern_steps(fs, band, rate):
    """(fine, coarse): samples between classified frames where the pattern changes
    (``rate`` frames per cycle of the band's upper edge) and elsewhere (one frame per
    cycle, a whole number of fine steps)."""
    if rate is None:
        return 1, 1
    fine = max(1, int(np.floor(fs / (float(rate) * float(band[1])))))
    return fine, fine * max(1, int(round(float(rate))))


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
                "pass a longer chunk or None.")
    size = max(unit, int(round(want / unit)) * unit)
    return [(a, min(a + size, e1)) for a in range(e0, e1, size)]


def _analyze_chunk(grid, lo, a, b, e0, opts):
    """Per-frame results of the frames [a, b) (global indices) of ``grid``, whose
    samples start at global index ``lo``. Returns (frames dict, pattern dict | None,
    pattern attrs, phase, gradient, speed attrs)."""
    from .frames import detect_wave_frames
    from .gradient import compute_phase_gradient
    from .measures import compute_frame_measures
    from .phase import compute_phase

    if hasattr(grid.data, "dask"):
        # read this chunk in this thread (chunks run in parallel); the scheduler passed
        # as a function spares dask its look for a distributed client
        from dask.local import get_sync

        grid = grid.compute(scheduler=get_sync)
    phase = compute_phase(grid, band=opts["band"], method=opts["phase_method"])
    gphase = phase
    if opts["gradient_window"] is not None:
        from .gradient import compute_coherent_phase

        gphase = compute_coherent_phase(phase, window=opts["gradient_window"])
    gradient = compute_phase_gradient(gphase, step=opts["gradient_step"])
    fm = compute_frame_measures(phase, gradient)
    sl = slice(a - lo, b - lo)
    fr = detect_wave_frames(gphase.isel(time=sl), threshold=opts["pgd_threshold"],
                            n_surrogates=opts["n_surrogates"], alpha=opts["alpha"],
                            seed=opts["seed"], gradient=gradient.isel(time=sl),
                            surrogate_step=opts["surrogate_step"], pgd=fm["pgd"].isel(time=sl))
    out = {
        "pgd": fr["pgd"].values, "p_value": fr["p_value"].values,
        "is_wave": fr["is_wave"].values,
        "_valid": np.isfinite(grid.values.reshape(grid.sizes["time"], -1)).any(axis=0),
    }
    for v in ("speed", "direction", "wavelength", "frequency"):
        out[v] = fm[v].values[sl]
    pats, pattern_attrs = None, {}
    if opts["classify"]:
        pats, pattern_attrs = _classify_chunk(phase, gradient, lo, a, b, e0, opts)
    return out, pats, pattern_attrs, phase, gradient, dict(fm["speed"].attrs)


def _classify_chunk(phase, gradient, lo, a, b, e0, opts):
    """Patterns of the frames [a, b): every ``coarse``-th analysed frame, and every
    ``fine``-th frame between two coarse frames whose patterns differ."""
    from .patterns import classify_patterns

    fine, coarse = opts["pattern_step"], opts["pattern_coarse"]
    nloc = phase.sizes["time"]
    kw = dict(opts["pattern_kwargs"])
    kw.setdefault("flow", "veto")

    def run(index):  # global indices -> dict of arrays
        ds = classify_patterns(phase, gradient=gradient, frames=index - lo, **kw)
        return ds, {v: ds[v].values for v in ds.data_vars}

    first = a + (-(a - e0)) % coarse
    cidx = np.arange(first, b, coarse)
    # the next coarse frame after the chunk (in its overlap), so that a change of
    # pattern across the chunk's end is refined too
    nxt = (cidx[-1] if cidx.size else first - coarse) + coarse
    if nxt < lo + nloc - 1 and nxt < opts["e1"]:
        cidx = np.append(cidx, nxt)
    if cidx.size == 0:
        return None, {}
    ds, res = run(cidx)
    index = cidx
    if coarse > fine and cidx.size > 1:
        code = np.asarray(res["pattern"]).astype(str)
        change = np.flatnonzero(code[1:] != code[:-1])
        if change.size:
            extra = (cidx[change][:, None] + fine * np.arange(1, coarse // fine)[None, :]).ravel()
            ds2, res2 = run(extra)
            index = np.concatenate([cidx, extra])
            order = np.argsort(index, kind="stable")
            index = index[order]
            res = {v: np.concatenate([res[v], res2[v]])[order] for v in res}
    keep = index < b
    res = {v: x[keep] for v, x in res.items()}
    res["index"] = index[keep]
    attrs = {k: v for k, v in ds.attrs.items() if isinstance(v, (int, float, str))}
    attrs["_var_attrs"] = {v: dict(ds[v].attrs) for v in ds.data_vars}
    return res, attrs


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
    with warnings.catch_warnings(record=True) as caught, \
            threadpool_limits(limits=1, user_api="blas"):
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
            raise NeurowaveError("Execution(pool='processes') needs a platform that forks "
                                 "(Linux, macOS); pass pool='threads'.")
        return True
    import threading

    # forking a process whose other threads may hold locks (a dask worker's, a server's)
    # is unsafe: there, and off Linux, threads
    return (can_fork and sys.platform.startswith("linux")
            and threading.current_thread() is threading.main_thread())


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

        bar = tqdm(total=len(chunks), desc=execution.desc or "analyze", unit="chunk",
                   leave=False)
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

        with threadpool_limits(limits=1, user_api="blas"), \
                ThreadPoolExecutor(max_workers=n_threads) as pool:
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
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_STATE
    _FORK_STATE = (grid, pad, n, e0, opts)
    try:
        # the workers are forked when the pool starts: they see _FORK_STATE as set here
        import os

        from .._proc import die_with_parent  # workers end with this process (issue 36)

        with ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
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


def analyze(
    grid,
    *,
    band=None,
    phase_method="hilbert",
    pgd_threshold=0.5,
    n_surrogates=99,
    alpha=0.05,
    seed=0,
    surrogate_step=None,
    edge_trim=None,
    gradient_step=1,
    gradient_window=None,
    classify=True,
    pattern_kwargs=None,
    event_kwargs=None,
    path=None,
    file_format=None,
    pattern_rate=4.0,
    execution=None,
    kw=False,
):
    """Measure the waves of a wave grid: band, phase, gradient, frames, patterns, events.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (recording or model; ``("time", "y", "x")`` or ``("time", "channel")``),
        in memory or dask-backed (a lazy reader's grid is read chunk by chunk).
    band : (float, float) | None
        Band in Hz (cycles/step for models); None chooses it around the dominant
        spectral peak (:func:`~neurowave.waves.choose_band`), reported in ``params``.
    phase_method : {"hilbert", "generalized", "wavelet"}
    pgd_threshold : float
        PGD a wave frame must reach (default 0.5).
    n_surrogates, alpha, seed, surrogate_step
        Surrogate test of :func:`~neurowave.waves.detect_wave_frames`.
    edge_trim : int | None
        Samples left out at each end (filter edge effects); default half a period of the
        band width, at most a fifth of the recording.
    gradient_step : int
        Stencil of the phase gradient (:func:`~neurowave.waves.compute_phase_gradient`):
        differences between sites this many apart; > 1 for pixel-dense imaging and for
        waves much longer than the array.
    gradient_window : float | None
        Average the lags between sites coherently over this window (time units) before
        the gradient (:func:`~neurowave.waves.compute_coherent_phase`); the surrogate
        test shuffles the averaged phase. For stationary waves much longer than the
        array, whose phase advances a fraction of a radian across it: with a wide
        ``gradient_step`` and a window of 20-40 cycles they are measured to within
        10 % (10 dB) or 20 % (0 dB) from recordings of 12-30 s (methods page). None
        (default) measures each frame on its own.
    classify : bool
        Classify frame patterns and group wave events
        (:func:`~neurowave.waves.classify_patterns` and
        :func:`~neurowave.waves.detect_wave_events`).
    pattern_kwargs, event_kwargs : dict | None
        Thresholds passed to those two.
    path, file_format : str | None
        Reported in ``input`` (the CLI sets them); default the grid's ``source``.
    pattern_rate : float | None
        Patterns are classified on one frame per cycle of the band's upper edge, and on
        ``pattern_rate`` frames per cycle (default 4) between two such frames whose
        patterns differ. A pattern is a relation between the phases of the sites,
        which changes no faster than the band allows, so the cost follows the band,
        not the sampling rate, and changes of pattern are still placed to a fraction
        of a cycle. Every other frame takes the pattern of the nearest classified frame
        (``frames["classified"]`` marks the classified ones; ``params["patterns"]``
        gives ``frame_step``, ``refine_step``, ``n_classified`` and the
        ``classified_fractions``). None classifies every frame.
    execution : Execution | None
        Chunking, threads and progress bar (:class:`Execution`). A recording longer
        than one chunk is streamed: each chunk is read, band-passed and measured with
        the overlap its filter needs, so memory is set by the chunk and the results
        equal those of the whole recording in memory to float32 precision (surrogate
        tests and classified frames are aligned across chunks).
    kw : bool
        Add a ``kw`` block to the summary: the dominant wave of the whole recording's
        wavenumber-frequency spectrum over the band (:func:`~neurowave.waves.kw_summary`:
        speed, direction, wavelength, frequency, travelling index, jackknife
        intervals over 10 segments, range warnings).

    Returns
    -------
    WaveAnalysis
        For a streamed recording, ``phase`` and ``gradient`` are lazy (dask) arrays,
        computed only if asked for.

    Notes
    -----
    The speed of a frame is ``|mean dphi/dt| / |mean grad phi|`` over its valid sites,
    which noise does not bias the way it biases a median of per-site speeds. Summary
    speed, direction and wavelength are taken over wave frames; pattern fractions over
    the classified frames.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, truth = simulate_wave("planar", speed=0.2, direction=60, frequency=15,
    ...                             duration=2.0, snr_db=10, seed=0)
    >>> res = analyze(grid, n_surrogates=19)
    >>> s = res.summary["summary"]
    >>> round(s["speed"]["median"], 2), round(s["direction"]["mean_deg"]), s["wave_fraction"]
    (0.2, 60, 1.0)
    """
    from .._validate import check_positive
    from ._xr import time_depth
    from .filter import choose_band
    from .phase import PHASE_METHODS

    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    check_option("phase_method", phase_method, PHASE_METHODS)
    validate_type(pgd_threshold, "numeric", "pgd_threshold")
    if not 0 <= float(pgd_threshold) <= 1:
        raise NeurowaveError(f"`pgd_threshold` must be between 0 and 1, got {pgd_threshold!r}.")
    if execution is None:
        execution = Execution()
    if not isinstance(execution, Execution):
        raise NeurowaveTypeError(f"`execution` must be a neurowave.waves.Execution or None, got "
                        f"{type(execution).__name__}.")
    if pattern_rate is not None:
        pattern_rate = check_positive(pattern_rate, "pattern_rate")
    if band is None:
        band = choose_band(grid)
        band_source = "data"
    else:
        band = check_band(band, info.sampling_rate, n_times=info.n_times,
                          time_units=info.time_units)
        band_source = "user"
    fs = info.sampling_rate
    n = info.n_times
    if edge_trim is None:
        edge_trim = _edge_samples(n, fs, band, gradient_window)
    validate_type(edge_trim, "int", "edge_trim")
    edge_trim = int(edge_trim)
    if not 0 <= 2 * edge_trim < n:
        raise NeurowaveError(
            f"`edge_trim` ({edge_trim}) leaves no frame of the {n} samples. "
            "Pass a smaller edge_trim or a longer recording."
        )
    e0, e1 = edge_trim, n - edge_trim
    if surrogate_step is None:
        surrogate_step = max(1, int(fs / (2.0 * (band[1] - band[0]))))
    validate_type(surrogate_step, "int", "surrogate_step")
    if surrogate_step < 1:
        raise NeurowaveError(f"`surrogate_step` must be a positive integer, got {surrogate_step!r}.")
    pstep, pcoarse = _pattern_steps(fs, band, pattern_rate) if classify else (1, 1)
    pad = 2 * time_depth(fs, band) + 2  # ten periods of the band width: ~1e-6 of the phase
    if gradient_window is not None:
        pad += int(round(float(gradient_window) * fs)) // 2 + 1
    unit = int(np.lcm(_SURROGATE_GROUP * int(surrogate_step), pcoarse))
    chunks = _chunks(e0, e1, info.n_valid_sites or info.n_sites, fs, unit, execution, pad)
    opts = dict(band=band, phase_method=phase_method, gradient_window=gradient_window,
                gradient_step=gradient_step, pgd_threshold=float(pgd_threshold),
                n_surrogates=n_surrogates, alpha=alpha, seed=seed,
                surrogate_step=int(surrogate_step), classify=classify, pattern_step=pstep,
                pattern_coarse=pcoarse, e1=e1,
                pattern_kwargs=dict(pattern_kwargs or {}))
    if len(chunks) == 1:
        results = [_analyze_chunk(grid, 0, e0, e1, e0, opts)]
        phase, gradient = results[0][3], results[0][4]
    else:
        results = _run_chunks(grid, chunks, pad, n, e0, opts, execution)
        phase, gradient = _lazy_phase(grid, band, phase_method, gradient_window,
                                      gradient_step, chunks[0][1] - chunks[0][0])
    if hasattr(grid.data, "dask"):  # sites were not scanned up front
        import dataclasses

        valid = np.logical_or.reduce([r[0]["_valid"] for r in results])
        info = dataclasses.replace(info, n_valid_sites=int(valid.sum()))
    frames, pattern_params, speed_attrs, classified_codes = _assemble(
        grid, results, e0, e1, info, classify, pstep, pcoarse)
    del results
    hint = None
    if gradient_window is None and float(np.mean(frames["is_wave"].values)) < 0.5:
        hint = _long_wave_hint(phase.isel(time=slice(e0, e1)), info, band, gradient_step)
        if hint is not None:
            warnings.warn(hint, stacklevel=2)
    frames["speed"].attrs = speed_attrs
    frames["direction"].attrs = {"units": "deg", "long_name": "direction of travel"}
    frames["wavelength"].attrs = {"units": info.space_units}
    frames["frequency"].attrs = {"units": "Hz" if info.time_units == "s"
                                 else f"cycles/{info.time_units}"}
    events = None
    if classify:
        from .events import detect_wave_events

        events = detect_wave_events(frames, **(event_kwargs or {}))
        pattern_params = {**pattern_params, "events": {
            k: (list(v) if isinstance(v, (list, tuple)) else v)
            for k, v in events.attrs.items()
            if isinstance(v, (int, float, str, list, tuple))}}

    summary = _summary(frames, events, info, grid, band, band_source, phase_method,
                       pgd_threshold, n_surrogates, alpha, seed, int(surrogate_step),
                       edge_trim, pattern_params, path, file_format, speed_attrs["units"],
                       gradient_step, gradient_window, classified_codes=classified_codes,
                       n_chunks=len(chunks))
    kw_spectrum = None
    if kw:
        from .kw import kw_summary

        summary["kw"], kw_spectrum = kw_summary(grid, band=band)
    return WaveAnalysis(summary=summary, frames=frames, phase=phase, gradient=gradient,
                        grid=grid, events=events, kw_spectrum=kw_spectrum)


def _lazy_phase(grid, band, method, window, step, chunk):
    """Phase and gradient of the whole grid as lazy dask arrays (never computed here)."""
    from .gradient import compute_coherent_phase, compute_phase_gradient
    from .phase import compute_phase

    if not hasattr(grid.data, "dask"):
        grid = grid.chunk({"time": int(chunk)})
    phase = compute_phase(grid, band=band, method=method)
    gphase = phase if window is None else compute_coherent_phase(phase, window=window)
    return phase, compute_phase_gradient(gphase, step=step)


def _assemble(grid, results, e0, e1, info, classify, pstep, pcoarse):
    """The frames Dataset over [e0, e1) from the chunks' results, and the pattern codes
    of every analysed frame."""
    from .patterns import PATTERNS

    time = grid["time"].isel(time=slice(e0, e1))
    data = {}
    for v in ("pgd", "p_value", "is_wave", "speed", "direction", "wavelength", "frequency"):
        data[v] = np.concatenate([r[0][v] for r in results])
    frames = xr.Dataset({v: ("time", x) for v, x in data.items()}, coords={"time": time})
    frames["pgd"].attrs = {"long_name": "phase gradient directionality", "units": "1"}
    frames["p_value"].attrs = {"long_name": "surrogate p-value of the PGD"}
    speed_attrs = results[0][5]
    n = e1 - e0
    if not classify:
        wave = frames["is_wave"].values
        frames["pattern"] = ("time", np.where(wave, "planar", "other").astype(object))
        frames["rotation"] = ("time", np.zeros(n, int))
        codes = np.where(wave, PATTERNS.index("planar"), PATTERNS.index("other"))
        return frames, {}, speed_attrs, codes
    parts = [r[1] for r in results if r[1] is not None]
    pattern_params = dict(next((r[2] for r in results if r[1] is not None), {}))
    var_attrs = pattern_params.pop("_var_attrs", {})
    pats = {v: np.concatenate([p[v] for p in parts]) for v in parts[0]}
    index = pats.pop("index") - e0
    # every analysed frame takes the pattern of the nearest classified frame
    pos = np.arange(n)
    right = np.clip(np.searchsorted(index, pos), 0, len(index) - 1)
    left = np.clip(right - 1, 0, len(index) - 1)
    near = np.where(np.abs(index[left] - pos) <= np.abs(index[right] - pos), left, right)
    lookup = {p: i for i, p in enumerate(PATTERNS)}
    codes_c = _codes(pats["pattern"], lookup)
    for v, x in pats.items():
        if v == "pgd":
            continue
        name = v if v not in frames else f"pattern_{v}"
        if v == "pattern":
            frames[name] = ("time", np.asarray(PATTERNS, dtype=object)[codes_c[near]])
        else:
            if x.dtype.kind == "f":
                x = x.astype(np.float32)
            frames[name] = ("time", x[near])
        frames[name].attrs = var_attrs.get(v, {})
    classified = np.zeros(n, bool)
    classified[index] = True
    frames["classified"] = ("time", classified)
    frames["classified"].attrs = {"long_name": "pattern classified on this frame (the others "
                                               "take the nearest classified frame's)"}
    pattern_params = dict(pattern_params, frame_step=int(pcoarse), refine_step=int(pstep),
                          n_classified=int(len(index)),
                          classified_fractions={p: float(np.mean(codes_c == i))
                                                for i, p in enumerate(PATTERNS)})
    return frames, pattern_params, speed_attrs, codes_c[near]


def _codes(labels, lookup):
    """int8 codes of an object array of pattern names (hashing, not string copies)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    table = np.array([lookup.get(str(u), lookup["other"]) for u in uniques], np.int8)
    return table[codes]


def _summary(frames, events, info, grid, band, band_source, phase_method, pgd_threshold,
             n_surrogates, alpha, seed, step, edge_trim, pattern_params, path, file_format,
             speed_units, gradient_step=1, gradient_window=None, classified_codes=None,
             n_chunks=1):
    from .patterns import PATTERNS

    n = frames.sizes["time"]
    wave = np.asarray(frames["is_wave"].values, bool)
    pgd = frames["pgd"].values
    sp = frames["speed"].values[wave]
    di = frames["direction"].values[wave]
    di = di[np.isfinite(di)]
    if di.size:
        z = np.exp(1j * np.deg2rad(di)).mean()
        mean_deg = float(np.mod(np.degrees(np.angle(z)), 360.0))
        rlen = float(np.abs(z))
    else:
        mean_deg = rlen = None
    if classified_codes is not None:  # codes of every analysed frame
        cnt = np.bincount(np.asarray(classified_codes, np.int64), minlength=len(PATTERNS))
        tot = max(int(cnt.sum()), 1)
        fractions = {p: (float(cnt[i] / tot) if n else 0.0) for i, p in enumerate(PATTERNS)}
    else:
        pats = np.asarray(frames["pattern"].values).astype(str)
        fractions = {p: (float(np.mean(pats == p)) if n else 0.0) for p in PATTERNS}
        unknown = 1.0 - sum(fractions.values())
        if unknown > 1e-12:  # a label outside PATTERNS counts as "other"
            fractions["other"] += unknown
    ev_list, ev_summary = [], {"n": 0, "rate": 0.0, "median_duration": None, "by_pattern": {}}
    if events is not None and len(events):
        cols = [c for c in ("start", "end", "duration", "pattern", "speed", "direction", "pgd",
                            "rotation") if c in events.columns]
        ev_list = [{c: (r[c].item() if hasattr(r[c], "item") else r[c]) for c in cols}
                   for _, r in events[cols].iterrows()]
        ev_summary = {
            "n": int(len(events)),
            "rate": float(len(events) / info.duration),
            "median_duration": float(np.median(events["duration"].values)),
            "by_pattern": {str(k): int(v) for k, v in events["pattern"].value_counts().items()},
        }
    src = path if path is not None else grid.attrs.get("source", "")
    fmt = file_format if file_format is not None else grid.attrs.get("format", None)
    _, unit = speed_scale(info.time_units, info.space_units)
    return {
        "neurowave_version": __version__,
        "input": {
            "path": str(src),
            "format": fmt,
            "kind": grid.attrs.get("kind", "recording"),
            "positions_source": positions_source(grid),
            "n_sites": info.n_sites,
            "n_valid_sites": info.n_valid_sites,
            "grid_shape": list(info.grid_shape),
            "sampling_rate": info.sampling_rate,
            "duration": info.duration,
            "spacing": info.spacing,
            "time_units": info.time_units,
            "space_units": info.space_units,
        },
        "params": {
            "band": [float(band[0]), float(band[1])],
            "band_source": band_source,
            "phase_method": phase_method,
            "pgd_threshold": float(pgd_threshold),
            "n_surrogates": int(n_surrogates),
            "alpha": float(alpha),
            "seed": int(seed),
            "surrogate_step": int(step),
            "edge_trim": int(edge_trim),
            "gradient_step": int(gradient_step),
            "gradient_window": None if gradient_window is None else float(gradient_window),
            "speed_estimator": "|mean dphi/dt| / |mean grad phi| per frame",
            "n_chunks": int(n_chunks),
            "patterns": {k: v for k, v in pattern_params.items() if k != "events"},
            "events": pattern_params.get("events", {}),
        },
        "summary": {
            "frequency": {"median": _q(frames["frequency"].values, 0.5)},
            "pgd": {"median": _q(pgd, 0.5), "p90": _q(pgd, 0.9)},
            "wave_fraction": float(wave.mean()) if n else 0.0,
            "speed": {"median": _q(sp, 0.5), "q25": _q(sp, 0.25), "q75": _q(sp, 0.75),
                      "units": speed_units or unit},
            "direction": {"mean_deg": mean_deg, "resultant_length": rlen},
            "wavelength": {"median": _q(frames["wavelength"].values[wave], 0.5),
                           "units": info.space_units},
            "patterns": fractions,
            "events": ev_summary,
        },
        "events": ev_list,
    }

