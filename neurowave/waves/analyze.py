"""The whole measure pipeline on one wave grid, and its JSON summary (DESIGN.md)."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import check_band, check_option, validate_type
from .._version import __version__
from ._xr import MIN_SITES, check_measure_input, speed_scale

__all__ = ["analyze", "WaveAnalysis", "LongWaveWarning"]


@dataclass
class WaveAnalysis:
    """Result of :func:`analyze`.

    Attributes
    ----------
    summary : dict
        The JSON summary of DESIGN.md: ``neurowave_version``, ``input``, ``params``,
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
    """

    summary: dict
    frames: xr.Dataset
    phase: xr.DataArray
    gradient: xr.Dataset
    grid: xr.DataArray
    events: object = field(default=None, repr=False)

    def to_json(self, path=None):
        """The summary as JSON text; written atomically to ``path`` when given."""
        from .._outputs import to_jsonable, write_json_atomic

        if path is not None:
            write_json_atomic(self.summary, path)
        return json.dumps(to_jsonable(self.summary), indent=2, allow_nan=False)

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
                                   if v)),
            ("events", str(s["events"]["n"])),
        ]
        return rows


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
):
    """Measure the waves of a wave grid: band, phase, gradient, frames, patterns, events.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (recording or model; ``("time", "y", "x")`` or ``("time", "channel")``).
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
        Classify frame patterns and group wave events (team ESTIMATORS'
        :func:`~neurowave.waves.classify_patterns` and
        :func:`~neurowave.waves.detect_wave_events`).
    pattern_kwargs, event_kwargs : dict | None
        Thresholds passed to those two.
    path, file_format : str | None
        Reported in ``input`` (the CLI sets them); default the grid's ``source``.

    Returns
    -------
    WaveAnalysis

    Notes
    -----
    The speed of a frame is ``|mean dphi/dt| / |mean grad phi|`` over its valid sites,
    which noise does not bias the way it biases a median of per-site speeds. Summary
    speed, direction and wavelength are taken over wave frames; pattern fractions over
    all analysed frames.

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
    from .filter import choose_band
    from .frames import detect_wave_frames
    from .gradient import compute_phase_gradient
    from .measures import compute_frame_measures
    from .phase import PHASE_METHODS, compute_phase

    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    check_option("phase_method", phase_method, PHASE_METHODS)
    validate_type(pgd_threshold, "numeric", "pgd_threshold")
    if not 0 <= float(pgd_threshold) <= 1:
        raise ValueError(f"`pgd_threshold` must be between 0 and 1, got {pgd_threshold!r}.")
    if band is None:
        band = choose_band(grid)
        band_source = "data"
    else:
        band = check_band(band, info.sampling_rate, n_times=info.n_times,
                          time_units=info.time_units)
        band_source = "user"
    fs = info.sampling_rate
    phase = compute_phase(grid, band=band, method=phase_method)
    gphase = phase
    if gradient_window is not None:
        from .gradient import compute_coherent_phase

        gphase = compute_coherent_phase(phase, window=gradient_window)
    gradient = compute_phase_gradient(gphase, step=gradient_step)
    fm = compute_frame_measures(phase, gradient)
    fr = detect_wave_frames(gphase, threshold=float(pgd_threshold), n_surrogates=n_surrogates,
                            alpha=alpha, seed=seed, gradient=gradient,
                            surrogate_step=surrogate_step, pgd=fm["pgd"])
    speed = fm["speed"]
    frames = xr.Dataset({
        "pgd": fr["pgd"],
        "p_value": fr["p_value"],
        "is_wave": fr["is_wave"],
        "speed": speed,
        "direction": fm["direction"],
        "wavelength": fm["wavelength"],
        "frequency": fm["frequency"],
    })
    if edge_trim is None:
        edge_trim = _edge_samples(info.n_times, fs, band, gradient_window)
    validate_type(edge_trim, "int", "edge_trim")
    edge_trim = int(edge_trim)
    if not 0 <= 2 * edge_trim < info.n_times:
        raise ValueError(
            f"`edge_trim` ({edge_trim}) leaves no frame of the {info.n_times} samples. "
            "Pass a smaller edge_trim or a longer recording."
        )
    sl = slice(edge_trim, info.n_times - edge_trim)
    frames = frames.isel(time=sl)
    pattern_params = {}
    if classify:
        from .patterns import classify_patterns

        pats = classify_patterns(phase.isel(time=sl),
                                 gradient=gradient.isel(time=sl), **(pattern_kwargs or {}))
        pattern_params = {k: v for k, v in pats.attrs.items()
                          if isinstance(v, (int, float, str))}
        for v in pats.data_vars:
            if v == "pgd":
                continue
            frames[v if v not in frames else f"pattern_{v}"] = pats[v]
    frames = frames.compute()
    hint = None
    if gradient_window is None and float(np.mean(frames["is_wave"].values)) < 0.5:
        hint = _long_wave_hint(phase.isel(time=sl), info, band, gradient_step)
        if hint is not None:
            warnings.warn(hint, stacklevel=2)
    if not classify:
        frames["pattern"] = ("time", np.where(frames["is_wave"].values, "planar", "other")
                             .astype(object))
        frames["rotation"] = ("time", np.zeros(frames.sizes["time"], int))
    frames["speed"].attrs = speed.attrs
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
                       pgd_threshold, n_surrogates, alpha, seed, fr.attrs["surrogate_step"],
                       edge_trim, pattern_params, path, file_format, speed.attrs["units"],
                       gradient_step, gradient_window)
    return WaveAnalysis(summary=summary, frames=frames, phase=phase, gradient=gradient,
                        grid=grid, events=events)


def _summary(frames, events, info, grid, band, band_source, phase_method, pgd_threshold,
             n_surrogates, alpha, seed, step, edge_trim, pattern_params, path, file_format,
             speed_units, gradient_step=1, gradient_window=None):
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

