"""The whole measure pipeline on one wave grid, and its JSON summary (DESIGN.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import check_band, check_option, validate_type
from .._version import __version__
from ._xr import MIN_SITES, check_measure_input, speed_scale

__all__ = ["analyze", "WaveAnalysis"]


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


def _edge_samples(n_times, fs, band):
    lo, hi = band
    width = max(hi - lo, 1e-12)
    return int(min(np.ceil(fs / (2.0 * width)), n_times // 5))


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
        differences between sites this many apart; > 1 for pixel-dense imaging.
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
    gradient = compute_phase_gradient(phase, step=gradient_step)
    fm = compute_frame_measures(phase, gradient)
    fr = detect_wave_frames(phase, threshold=float(pgd_threshold), n_surrogates=n_surrogates,
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
        edge_trim = _edge_samples(info.n_times, fs, band)
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
                       gradient_step)
    return WaveAnalysis(summary=summary, frames=frames, phase=phase, gradient=gradient,
                        grid=grid, events=events)


def _summary(frames, events, info, grid, band, band_source, phase_method, pgd_threshold,
             n_surrogates, alpha, seed, step, edge_trim, pattern_params, path, file_format,
             speed_units, gradient_step=1):
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

