"""The whole measure pipeline on one wave grid: :func:`analyze` and its result.

:func:`analyze` runs band choice, phase, gradient, frame measures, the surrogate test,
patterns and events on a wave grid, chunk by chunk for long recordings, and returns a
:class:`WaveAnalysis` (frames, events, phase, gradient and the JSON summary).
:class:`MeasureOptions` groups the settings of the measures, :class:`Execution` those of
the run (chunks, workers, progress); :class:`LongWaveWarning` names the settings for a
stationary wave much longer than the array.

The pieces live below this module: the measure stage chunk by chunk in
:mod:`._pipeline`, the engine that runs the chunks in :mod:`._execution`, the JSON
summary in :mod:`._summary`. (This module was ``neurowave.waves.analyze`` until the
function of that name hid it; ``neurowave.waves.analyze`` is the function.)
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError, check_option, validate_type
from ._execution import Execution, _chunks, _run_chunks
from ._pipeline import _analyze_chunk, _assemble, _lazy_phase, _plan
from ._summary import positions_source, summarize  # noqa: F401 (positions_source: the commands read it here)
from ._xr import MIN_SITES, check_measure_input

__all__ = ["analyze", "WaveAnalysis", "MeasureOptions", "LongWaveWarning", "Execution"]


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

    def to_neo(self, *, block=False):
        """The results as a ``neo.Segment`` (or Block); see :func:`neurowave.io.to_neo`."""
        from ..io.neo_out import to_neo  # the readers' side: measures never import neo

        return to_neo(self, block=block)

    def table(self):
        """Rows ``(measure, value)`` for a short terminal table."""
        s = self.summary["summary"]
        inp = self.summary["input"]
        par = self.summary["params"]

        def f(v, fmt="{:.3g}"):
            return (
                "n/a"
                if v is None or (isinstance(v, float) and not np.isfinite(v))
                else fmt.format(v)
            )

        fu = "Hz" if inp["time_units"] == "s" else f"cycles/{inp['time_units']}"
        rows = [
            (
                "sites",
                f"{inp['n_valid_sites']} valid of {inp['n_sites']} "
                f"({'x'.join(map(str, inp['grid_shape']))})",
            ),
            (
                "duration",
                f"{f(inp['duration'])} {inp['time_units']} at "
                f"{f(inp['sampling_rate'])} /{inp['time_units']}",
            ),
            ("band", f"{f(par['band'][0])}-{f(par['band'][1])} {fu} ({_band_source(par, fu, f)})"),
            ("phase", par["phase_method"]),
            ("frequency", f"{f(s['frequency']['median'])} {fu}"),
            ("PGD", f"median {f(s['pgd']['median'])}, p90 {f(s['pgd']['p90'])}"),
            (
                "wave frames",
                f"{f(100 * s['wave_fraction'], '{:.1f}')} % "
                f"(PGD >= {par['pgd_threshold']:g}, p <= {par['alpha']:g})",
            ),
            (
                "speed",
                f"{f(s['speed']['median'])} {s['speed']['units']} median, "
                f"IQR [{f(s['speed']['q25'])}, {f(s['speed']['q75'])}] over wave frames",
            ),
            (
                "direction",
                f"{f(s['direction']['mean_deg'], '{:.1f}')} deg "
                f"(R = {f(s['direction']['resultant_length'], '{:.2f}')})",
            ),
            ("wavelength", f"{f(s['wavelength']['median'])} {s['wavelength']['units']}"),
            (
                "patterns",
                ", ".join(f"{k} {100 * v:.0f}%" for k, v in s["patterns"].items() if v)
                + (
                    "  (sites on one line: only planar along the line or synchronous are possible)"
                    if par.get("patterns", {}).get("layout") == "collinear"
                    else ""
                ),
            ),
            ("events", str(s["events"]["n"])),
        ]
        if inp.get("kind", "recording") != "model":  # what a recording's speed measures
            rows.insert(
                8,
                (
                    "speed is",
                    "the phase velocity of the band-passed signal, not "
                    "the propagation of discharges: for that fit delays "
                    "(neurowave.waves.compute_delays and "
                    "fit_delay_plane, waves/delays.py)",
                ),
            )
        note = s.get("wave_definitions", {}).get("note")
        if note:  # the PGD and the pattern definitions of a wave frame disagree
            rows.insert(7, ("note", note))
        kw = self.summary.get("kw")
        if kw:
            rows.append(_kw_row(kw, fu, f))
        return rows


def _band_source(par, fu, f):
    """Where the band came from, and for a band chosen from the data, which peak."""
    choice = par.get("band_choice")
    if par["band_source"] != "data" or not choice:
        return par["band_source"]
    if choice.get("method") == "fooof":
        cf, height, _ = choice["chosen_peak"]
        return (
            f"data: FOOOF peak at {f(cf)} {fu}, {f(10 * height, '{:.1f}')} dB above the "
            f"aperiodic fit (exponent {f(choice['aperiodic_exponent'], '{:.2f}')}), the "
            f"highest of {len(choice['peaks'])}"
        )
    return f"data: strongest spectral peak ({choice.get('reason', '')})"


def _kw_row(kw, fu, f):
    """The table's k-omega row: skipped, sub-resolution (no interval) or resolved."""
    if kw.get("computed") is False:
        return ("k-omega", kw["note"])
    rest = (
        f"{f(kw['direction'], '{:.0f}')} deg, {f(kw['frequency'])} {fu}, travelling "
        f"index {f(kw['travelling_index'], '{:.2f}')}"
    )
    if kw.get("regime") == "sub-resolution":
        bound = kw.get("speed_lower_bound")
        return (
            "k-omega peak",
            f"sub-resolution: |k| {f(kw['wavenumber'])} below the array's resolution "
            f"{f(kw['k_resolution'])} cycles/{kw['space_units']}, speed not resolved"
            + (f" (> {f(bound)} {kw['units']})" if bound is not None else "")
            + f"; {rest}",
        )
    ci = kw.get("speed_ci") or [None, None]
    interval = (
        f", {kw['interval']} [{f(ci[0])}, {f(ci[1])}]"
        if kw.get("interval") and ci[0] is not None
        else ""
    )
    return ("k-omega peak", f"phase speed {f(kw['speed'])} {kw['units']}{interval}; {rest}")


@dataclass
class MeasureOptions:
    """The settings of the measures :func:`analyze` applies (its measure stage).

    Every field has the default of ``neurowave analyze``; pass
    ``analyze(grid, options=MeasureOptions(...))``, or the same names as keywords
    (``analyze(grid, n_surrogates=19)``), which override the fields of ``options``.

    Attributes
    ----------
    phase_method : {"hilbert", "generalized", "wavelet"}
        How the phase is taken (:func:`~neurowave.waves.compute_phase`).
    pgd_threshold : float
        PGD a wave frame must reach (default 0.5).
    n_surrogates, alpha, seed, surrogate_step
        Surrogate test of :func:`~neurowave.waves.detect_wave_frames`;
        ``surrogate_step`` None: half a period of the band width.
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
    pattern_kwargs, event_kwargs : dict | None
        Thresholds passed to :func:`~neurowave.waves.classify_patterns` and
        :func:`~neurowave.waves.detect_wave_events`.
    """

    phase_method: str = "hilbert"
    pgd_threshold: float = 0.5
    n_surrogates: int = 99
    alpha: float = 0.05
    seed: int = 0
    surrogate_step: int | None = None
    edge_trim: int | None = None
    gradient_step: int = 1
    gradient_window: float | None = None
    classify: bool = True
    pattern_rate: float | None = 4.0
    pattern_kwargs: dict | None = None
    event_kwargs: dict | None = None


#: the fields of MeasureOptions, which analyze also takes as keywords
MEASURE_OPTIONS = tuple(f.name for f in dataclasses.fields(MeasureOptions))


def _measure_options(options, measure):
    """``options`` (default MeasureOptions()) with the keywords ``measure`` applied, checked."""
    from .._validate import check_positive
    from .phase import PHASE_METHODS

    if options is None:
        options = MeasureOptions()
    if not isinstance(options, MeasureOptions):
        raise NeurowaveTypeError(
            f"`options` must be a neurowave.waves.MeasureOptions or None, "
            f"got {type(options).__name__}."
        )
    unknown = sorted(set(measure) - set(MEASURE_OPTIONS))
    if unknown:
        raise NeurowaveTypeError(
            f"analyze() got unknown option(s) {', '.join(map(repr, unknown))}; the measure "
            f"options are {', '.join(MEASURE_OPTIONS)} (see neurowave.waves.MeasureOptions)."
        )
    if measure:
        options = dataclasses.replace(options, **measure)
    if options.pattern_rate is not None:
        options = dataclasses.replace(
            options, pattern_rate=check_positive(options.pattern_rate, "pattern_rate")
        )
    check_option("phase_method", options.phase_method, PHASE_METHODS)
    validate_type(options.pgd_threshold, "numeric", "pgd_threshold")
    if not 0 <= float(options.pgd_threshold) <= 1:
        raise NeurowaveError(
            f"`pgd_threshold` must be between 0 and 1, got {options.pgd_threshold!r}."
        )
    return options


def _execution(execution):
    if execution is None:
        return Execution()
    if not isinstance(execution, Execution):
        raise NeurowaveTypeError(
            f"`execution` must be a neurowave.waves.Execution or None, got "
            f"{type(execution).__name__}."
        )
    return execution


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
    r2 = 1.0 - float(np.sum(resid**2)) / ss if ss > 0 else 0.0
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
    sigma = float(np.sqrt(np.sum(resid**2) / max(len(psi) - 3, 1)))  # lag noise, whole run
    sigma_1 = sigma * np.sqrt(duration)  # ... per unit time
    spacing = float(info.spacing or diameter / 10)
    window = (1.5 * sigma_1 / (k * step * spacing)) ** 2
    window = float(np.clip(window, 10.0 / fc, max(duration / 4, 10.0 / fc)))
    cov = sigma**2 * np.linalg.inv(A.T @ A)[1:, 1:]
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
        + (
            f", and expect the speed to about {150 * rel:.0f} % (1 s.d.) from this "
            f"{duration:.3g}-{tu} recording: about "
            f"{need:.3g} {tu} bring it to 3 %."
            if need > duration
            else "."
        )
    )
    return LongWaveWarning(msg, settings=settings, min_duration=need, wavelength=lam)


def analyze(
    grid,
    *,
    band=None,
    options=None,
    execution=None,
    kw=False,
    path=None,
    file_format=None,
    **measure,
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
    options : MeasureOptions | None
        The settings of the measures (phase method, PGD threshold, surrogate test,
        edge trim, gradient stencil and window, pattern classification, events:
        :class:`MeasureOptions`); None: the defaults.
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
    path, file_format : str | None
        Reported in ``input`` (the CLI sets them); default the grid's ``source``.
    **measure
        Fields of :class:`MeasureOptions` by name (``phase_method``, ``pgd_threshold``,
        ``n_surrogates``, ``alpha``, ``seed``, ``surrogate_step``, ``edge_trim``,
        ``gradient_step``, ``gradient_window``, ``classify``, ``pattern_rate``,
        ``pattern_kwargs``, ``event_kwargs``), applied over ``options``: the keywords
        of earlier versions, kept so that existing calls run unchanged.

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
    >>> res = analyze(grid, options=MeasureOptions(n_surrogates=19))
    >>> s = res.summary["summary"]
    >>> round(s["speed"]["median"], 2), round(s["direction"]["mean_deg"]), s["wave_fraction"]
    (0.2, 60, 1.0)
    """
    info = check_measure_input(grid, "grid", min_sites=MIN_SITES)
    options = _measure_options(options, measure)
    execution = _execution(execution)
    plan = _plan(grid, info, band, options)
    plan.chunks = _chunks(
        plan.e0,
        plan.e1,
        info.n_valid_sites or info.n_sites,
        info.sampling_rate,
        plan.unit,
        execution,
        plan.pad,
    )
    frames, info, patterns, phase = _measure(grid, info, plan, options, execution)
    events, pattern_params = None, patterns["params"]
    if options.classify:
        from .events import detect_wave_events

        events = detect_wave_events(frames, **(options.event_kwargs or {}))
        pattern_params = {
            **pattern_params,
            "events": {
                k: (list(v) if isinstance(v, (list, tuple)) else v)
                for k, v in events.attrs.items()
                if isinstance(v, (int, float, str, list, tuple))
            },
        }
    summary = summarize(
        frames,
        events,
        grid=grid,
        info=info,
        plan=plan,
        options=options,
        pattern_params=pattern_params,
        classified_codes=patterns["codes"],
        path=path,
        file_format=file_format,
    )
    if options.classify:  # the PGD and the pattern definitions of a wave frame, side by side
        from .patterns import compare_wave_definitions

        summary["summary"]["wave_definitions"] = compare_wave_definitions(
            frames,
            pgd_threshold=float(options.pgd_threshold),
            alpha=float(options.alpha),
            n_sites=info.n_valid_sites,
        )
    kw_spectrum = None
    if kw:
        from .kw import kw_summary

        summary["kw"], kw_spectrum = kw_summary(grid, band=plan.band)
    return WaveAnalysis(
        summary=summary,
        frames=frames,
        phase=phase[0],
        gradient=phase[1],
        grid=grid,
        events=events,
        kw_spectrum=kw_spectrum,
    )


def _measure(grid, info, plan, options, execution):
    """Frames of the analysed span, chunk by chunk; the info with the valid sites seen;
    ``{"params", "codes"}`` of the patterns; (phase, gradient) of the whole grid.

    Warns (:class:`LongWaveWarning`) when few frames are waves but the recording holds
    a stationary wave much longer than the array."""
    opts = plan.chunk_options(options)
    e0, e1 = plan.e0, plan.e1
    if len(plan.chunks) == 1:
        results = [_analyze_chunk(grid, 0, e0, e1, e0, opts)]
        phase, gradient = results[0][3], results[0][4]
    else:
        results = _run_chunks(grid, plan.chunks, plan.pad, info.n_times, e0, opts, execution)
        phase, gradient = _lazy_phase(
            grid,
            plan.band,
            options.phase_method,
            options.gradient_window,
            options.gradient_step,
            plan.chunks[0][1] - plan.chunks[0][0],
        )
    if hasattr(grid.data, "dask"):  # sites were not scanned up front
        valid = np.logical_or.reduce([r[0]["_valid"] for r in results])
        info = dataclasses.replace(info, n_valid_sites=int(valid.sum()))
    frames, pattern_params, speed_attrs, classified_codes = _assemble(
        grid, results, e0, e1, info, options.classify, plan.pattern_step, plan.pattern_coarse
    )
    del results
    if options.gradient_window is None and float(np.mean(frames["is_wave"].values)) < 0.5:
        hint = _long_wave_hint(
            phase.isel(time=slice(e0, e1)), info, plan.band, options.gradient_step
        )
        if hint is not None:
            warnings.warn(hint, stacklevel=3)
    frames["speed"].attrs = speed_attrs
    frames["direction"].attrs = {"units": "deg", "long_name": "direction of travel"}
    frames["wavelength"].attrs = {"units": info.space_units}
    frames["frequency"].attrs = {
        "units": "Hz" if info.time_units == "s" else f"cycles/{info.time_units}"
    }
    return frames, info, {"params": pattern_params, "codes": classified_codes}, (phase, gradient)
