"""The measure stage of :func:`~neurowave.waves.analyze`, chunk by chunk.

:func:`_plan` resolves the settings of one analysis (band, edge trim, surrogate step,
pattern steps, the chunks and their overlap); :func:`_analyze_chunk` measures the frames
of one chunk (phase, gradient, frame measures, surrogate test, and
:func:`_classify_chunk` the patterns); :func:`_assemble` joins the chunks' results into
the frames Dataset; :func:`_lazy_phase` gives the whole recording's phase and gradient
lazily when it was streamed. The engine that runs the chunks is
:mod:`neurowave.waves._execution`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, check_band, validate_type

#: frames of phase whose surrogate tests share permutations (see surrogate_kernel)
_SURROGATE_GROUP = 256


def _edge_samples(n_times, fs, band, window=None):
    """Samples trimmed at each end: half a period of the band width (or of the
    coherence window), at most a fifth of the recording."""
    lo, hi = band
    width = max(hi - lo, 1e-12)
    half = np.ceil(fs / (2.0 * width))
    if window is not None:  # the coherence window is cut short at the ends
        half = max(half, np.ceil(float(window) * fs / 2.0))
    return int(min(half, n_times // 5))


def _pattern_steps(fs, band, rate):
    """(fine, coarse): samples between classified frames where the pattern changes
    (``rate`` frames per cycle of the band's upper edge) and elsewhere (one frame per
    cycle, a whole number of fine steps)."""
    if rate is None:
        return 1, 1
    fine = max(1, int(np.floor(fs / (float(rate) * float(band[1])))))
    return fine, fine * max(1, int(round(float(rate))))


@dataclass
class _Plan:
    """The resolved settings of one analysis (what :func:`_plan` works out)."""

    band: tuple
    band_source: str
    edge_trim: int
    surrogate_step: int
    e0: int
    e1: int
    pattern_step: int
    pattern_coarse: int
    pad: int
    unit: int
    #: how the band was chosen from the data (:func:`~neurowave.waves.filter.band_choice`)
    band_choice: dict | None = None
    #: [(a, b)] the chunks of [e0, e1) (set by analyze from the Execution)
    chunks: list = field(default_factory=list)

    def chunk_options(self, options):
        """The ``opts`` dict every chunk is measured with (:func:`_analyze_chunk`)."""
        return dict(
            band=self.band,
            phase_method=options.phase_method,
            gradient_window=options.gradient_window,
            gradient_step=options.gradient_step,
            pgd_threshold=float(options.pgd_threshold),
            n_surrogates=options.n_surrogates,
            alpha=options.alpha,
            seed=options.seed,
            surrogate_step=self.surrogate_step,
            classify=options.classify,
            pattern_step=self.pattern_step,
            pattern_coarse=self.pattern_coarse,
            e1=self.e1,
            pattern_kwargs=dict(options.pattern_kwargs or {}),
        )


def _plan(grid, info, band, options):
    """Band (chosen from the data when None), analysed frames [e0, e1), surrogate and
    pattern steps, overlap of the chunks and the unit their lengths are multiples of."""
    from ._xr import time_depth
    from .filter import band_choice

    choice = None
    if band is None:
        band, choice = band_choice(grid)
        band_source = "data"
    else:
        band = check_band(
            band, info.sampling_rate, n_times=info.n_times, time_units=info.time_units
        )
        band_source = "user"
    fs, n = info.sampling_rate, info.n_times
    edge_trim = options.edge_trim
    if edge_trim is None:
        edge_trim = _edge_samples(n, fs, band, options.gradient_window)
    validate_type(edge_trim, "int", "edge_trim")
    edge_trim = int(edge_trim)
    if not 0 <= 2 * edge_trim < n:
        raise NeurowaveError(
            f"`edge_trim` ({edge_trim}) leaves no frame of the {n} samples. "
            "Pass a smaller edge_trim or a longer recording."
        )
    surrogate_step = options.surrogate_step
    if surrogate_step is None:
        surrogate_step = max(1, int(fs / (2.0 * (band[1] - band[0]))))
    validate_type(surrogate_step, "int", "surrogate_step")
    if surrogate_step < 1:
        raise NeurowaveError(
            f"`surrogate_step` must be a positive integer, got {surrogate_step!r}."
        )
    pstep, pcoarse = _pattern_steps(fs, band, options.pattern_rate) if options.classify else (1, 1)
    pad = 2 * time_depth(fs, band) + 2  # ten periods of the band width: ~1e-6 of the phase
    if options.gradient_window is not None:
        pad += int(round(float(options.gradient_window) * fs)) // 2 + 1
    unit = int(np.lcm(_SURROGATE_GROUP * int(surrogate_step), pcoarse))
    return _Plan(
        band=band,
        band_source=band_source,
        band_choice=choice,
        edge_trim=edge_trim,
        surrogate_step=int(surrogate_step),
        e0=edge_trim,
        e1=n - edge_trim,
        pattern_step=pstep,
        pattern_coarse=pcoarse,
        pad=pad,
        unit=unit,
    )


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
    fr = detect_wave_frames(
        gphase.isel(time=sl),
        threshold=opts["pgd_threshold"],
        n_surrogates=opts["n_surrogates"],
        alpha=opts["alpha"],
        seed=opts["seed"],
        gradient=gradient.isel(time=sl),
        surrogate_step=opts["surrogate_step"],
        pgd=fm["pgd"].isel(time=sl),
    )
    out = {
        "pgd": fr["pgd"].values,
        "p_value": fr["p_value"].values,
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
            _ds2, res2 = run(extra)
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
    frames["classified"].attrs = {
        "long_name": "pattern classified on this frame (the others "
        "take the nearest classified frame's)"
    }
    pattern_params = dict(
        pattern_params,
        frame_step=int(pcoarse),
        refine_step=int(pstep),
        n_classified=int(len(index)),
        classified_fractions={p: float(np.mean(codes_c == i)) for i, p in enumerate(PATTERNS)},
    )
    return frames, pattern_params, speed_attrs, codes_c[near]


def _codes(labels, lookup):
    """int8 codes of an object array of pattern names (hashing, not string copies)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    table = np.array([lookup.get(str(u), lookup["other"]) for u in uniques], np.int8)
    return table[codes]
