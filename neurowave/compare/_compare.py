"""``compare()``: a model's waves and a recording's waves, number for number.

The top of :mod:`neurowave.compare`: it reads both inputs, measures each side
(:func:`neurowave.waves.analyze`, :func:`~neurowave.compare.analyze_model` for the model
and its controls), maps them into common units (:mod:`neurowave.compare.scale`) and
hands them to the verdicts (:func:`~neurowave.compare._verdicts.compare_metrics`).
"""

from __future__ import annotations

import json
from pathlib import Path

from .._json import json_default_or_str
from .._validate import NeurowaveError, NeurowaveTypeError, check_band
from ..grid import site_positions, validate_grid
from ..io.model_export import read_model_export
from ._controls import control_results
from ._deprecation import pop_moved
from ._inputs import load_recording
from ._metrics import EXTRA_METRICS, METRICS, MIN_EFFECTIVE
from ._model import analyze_model, as_wave_frames
from ._pool import common_values, frames_per_cycle, pool, pooled_summary, scale_between
from ._result import CompareResult
from ._verdicts import StatsOptions, compare_metrics
from ._view import VIEW_OPTIONS, as_view, trial_grid
from .scale import parse_quantity

__all__ = ["compare", "load_recording", "load_model_export"]

#: A model export as :func:`compare` reads it (:func:`neurowave.io.read_model_export`).
load_model_export = read_model_export


def _model_band(band, model_band, model_dt, grid_info, scale_dt):
    """The band for the model side, checked against what the model can support."""
    if model_band is None and band is not None and scale_dt is not None:
        model_band = (band[0] * scale_dt, band[1] * scale_dt)
        what = (
            f"the band {band[0]:g}-{band[1]:g} Hz, which at model_dt={model_dt} is "
            f"{model_band[0]:.4g}-{model_band[1]:.4g} cycles/step"
        )
        fix = "Pass a narrower --band, another --model-dt or an explicit --model-band."
    elif model_band is not None:
        what = f"`model_band` {tuple(model_band)!r} cycles/step"
        fix = None
    else:
        return None
    try:
        return check_band(
            model_band,
            grid_info.sampling_rate,
            n_times=grid_info.n_times,
            name="model_band",
            time_units="step",
        )
    except ValueError as err:
        reason = str(err)
        nyq = grid_info.sampling_rate / 2
        n = grid_info.n_times
        if "Nyquist" in reason:
            why = f"its Nyquist frequency is {nyq:g} cycles/step"
            fix = fix or "Pass an upper edge below it."
        elif "too short" in reason:
            why = f"its {n} steps hold fewer than two cycles of the lower edge"
            fix = fix or f"Pass a lower edge of at least {2.0 / n:.3g} cycles/step."
        else:
            raise
        raise NeurowaveError(f"The model cannot support {what}: {why}. {fix}") from None


def _bands(ds, view, rec_info, band, model_band, model_dt, model_dx):
    """The recording's band (checked) and the model's (None: from its spectrum).

    The physical scale comes first: with ``model_dt`` the recording's band is also the
    model's, unless ``model_band`` is given."""
    if band is not None:
        band = check_band(
            band, rec_info.sampling_rate, n_times=rec_info.n_times, time_units=rec_info.time_units
        )
    scale_dt = None if model_dt is None else parse_quantity(model_dt, kind="time", name="model_dt")
    if model_dx is not None:
        parse_quantity(model_dx, kind="length", name="model_dx")
    first = trial_grid(ds, view, view.trials[0], whole=True)  # geometry and units
    model_info = validate_grid(first, name="model hidden grid", check_valid=False)
    return band, _model_band(band, model_band, model_dt, model_info, scale_dt)


def _moved_keywords(options, view, stats, read_options):
    """``view``, ``stats`` and ``read_options`` with the keywords of earlier versions that
    ``options`` (the ``**analyze_options`` of :func:`compare`) still carries."""
    moved = pop_moved(
        options,
        VIEW_OPTIONS,
        func="compare",
        new="view={...} (or view=resolve_view(ds, ...))",
        given=view,
        stacklevel=4,
    )
    view = moved or view
    moved = pop_moved(
        options,
        ("n_boot", "ci", "margins", "alpha"),
        func="compare",
        new="stats=StatsOptions(...)",
        given=stats,
        stacklevel=4,
    )
    stats = StatsOptions(**moved) if moved else (stats or StatsOptions())
    if not isinstance(stats, StatsOptions):
        raise NeurowaveTypeError(
            f"`stats` must be a StatsOptions, e.g. StatsOptions(n_boot=200), got "
            f"{type(stats).__name__}."
        )
    moved = pop_moved(
        options, ("positions",), func="compare", new="read_options={'positions': ...}", stacklevel=4
    )
    if moved.get("positions") is not None:
        read_options = {**(read_options or {}), "positions": moved["positions"]}
    return view, stats, read_options


def _measure(ds, rec, *, view, band, mband, seed, progress, path, controls, analyze_options):
    """Analyze the recording, the model and its controls; return
    ``(recording analysis, model analysis, {control: model analysis})``."""
    from ..waves import analyze

    rec_an = as_wave_frames(analyze(rec, band=band, seed=seed, **analyze_options), view.wave_frames)
    man = analyze_model(
        ds, view=view, band=mband, seed=seed, progress=progress, path=path, **analyze_options
    )
    ctrl = {}
    if controls:
        for name in ("cut_coupling", "untrained"):
            if f"hidden_{name}" in ds.data_vars:
                ctrl[name] = analyze_model(
                    ds,
                    view=view,
                    band=man.band,
                    seed=seed,
                    variable=f"hidden_{name}",
                    path=path,
                    progress=progress,
                    **analyze_options,
                )
    return rec_an, man, ctrl


def _recording_side(rec, rec_info, rec_an, view):
    """The pooled recording side and its JSON: analyze's, with the wave-frame measures
    (wave fraction, speed, direction, wavelength) summarised again where the frames were
    rewritten for ``view.wave_frames``, and the wave-frame definition and speed
    estimator of the comparison in ``params``."""
    side = pool([rec_an], site_positions(rec), rec_info)
    summary = json.loads(json.dumps(rec_an.summary, default=json_default_or_str))
    if view.wave_frames != "pgd":
        events = summary["summary"].get("events"), summary.get("events")
        summary = pooled_summary(summary, side, {}, [rec_an], [(0, 0)])
        summary["summary"].pop("pooled", None)
        summary["summary"]["events"], summary["events"] = events
    summary["params"]["wave_frames"] = view.wave_frames
    summary["params"]["speed_estimator"] = view.speed_estimator
    return side, summary


def _scale_block(
    scale, *, mband, mband_source, model_side, rec_side, distances, metrics, stats, seed
):
    """The ``scale`` block of the JSON: the scale, the model band, the bootstrap and the
    rule of the verdicts."""
    scale_d = scale.to_dict()
    scale_d["model_band"] = list(mband) if mband is not None else None
    scale_d["model_band_source"] = mband_source
    scale_d["model_extent_range"] = [
        float(model_side.extents.min()),
        float(model_side.extents.max()),
    ]
    scale_d["extent_of"] = (
        "the analysed region: the valid (not all-NaN) sites of each analysed grid"
    )
    scale_d["bootstrap"] = {
        "n_boot": stats.n_boot,
        "ci": stats.ci,
        "seed": seed,
        "block_model_frames": frames_per_cycle(model_side),
        "block_recording_frames": frames_per_cycle(rec_side),
        "method": "hierarchical bootstrap: trials drawn with replacement, "
        "then circular blocks within each of one median cycle "
        "or, where longer, the metric's integrated "
        "autocorrelation time (per metric: distances[m]"
        "['block_model'], ['block_recording'])",
    }
    scale_d["verdicts"] = {
        "alpha": stats.alpha,
        "effect_ci": 1 - 2 * stats.alpha,
        "margins": {m: distances[m].get("margin") for m in metrics},
        "rule": (
            "equivalent: the effect's 1 - 2 alpha interval lies inside the margin (two "
            "one-sided tests); different: it lies wholly beyond the margin; otherwise "
            "undecided (also whenever a side has fewer than "
            f"{MIN_EFFECTIVE:g} effective frames)"
        ),
    }
    return scale_d


def _extras(
    ds, rec, *, summaries, distances, kw, dynamics, mband, scale, sides, view, model_dt, controls
):
    """The model's oscillator diagnostics where the export records them (issue 33), and
    the optional comparisons: both sides' k-omega peaks (``kw``) and the DSA distance of
    their dynamics (``dynamics``), added to the summaries and distances."""
    model_summary, rec_summary = summaries
    diag = ds.attrs.get("oscillator_diagnostics")
    if isinstance(diag, dict):  # live natural frequencies and state growth, per unit
        model_summary["oscillators"] = diag
    if kw:
        from ._komega import kw_compare

        model_summary["kw"], rec_summary["kw"], distances["kw"] = kw_compare(
            ds,
            rec,
            rec_summary,
            model_band=mband,
            scale=scale,
            model_side=sides[0],
            rec_side=sides[1],
        )
    if dynamics:
        from .dynamics import DynamicsSettings, compare_dynamics

        distances["dynamics"] = compare_dynamics(
            ds,
            rec,
            model_dt=model_dt,
            band=rec_summary["params"]["band"],
            model_band=mband,
            steps=view.steps,
            samples=view.samples,
            units=view.units,
            controls=controls,
            settings=dynamics if isinstance(dynamics, DynamicsSettings) else None,
        )


def compare(
    model,
    recording,
    *,
    band=None,
    model_band=None,
    model_dt=None,
    model_dx=None,
    read_options=None,
    view=None,
    controls=True,
    stats=None,
    seed=0,
    progress=False,
    kw=False,
    dynamics=False,
    **analyze_options,
):
    """Put a model's waves and a recording's waves through the same measures.

    Both sides go through :func:`neurowave.waves.analyze`. The model export is
    measured by :func:`neurowave.compare.analyze_model` (by default each object of each
    sample on its own, within twice the trained horizon, in one band from the pooled
    model spectrum; samples, objects and units pooled as trials); the recording's
    frames are taken as they come, with the same definition of a wave frame. The
    controls the export records (coupling cut, untrained) are measured the same way,
    on the same trials and in the same band. For each metric (``speed``, ``pgd``,
    ``direction``, ``wavelength``, ``frequency``, ``patterns``) the two distributions
    are compared with a distance, its block-bootstrap confidence interval and a test
    (see :mod:`neurowave.compare.stats`), in common units (see
    :mod:`neurowave.compare.scale`).

    Parameters
    ----------
    model : xarray.Dataset | path-like
        A model export (``hidden`` with dims sample, time, unit, y, x) or its netCDF file.
    recording : xarray.DataArray | path-like
        A wave grid or a file any neurowave reader opens.
    band : (float, float) | None
        Pass band of the recording (Hz); None chooses it from the data. With
        ``model_dt`` (and no ``model_band``) it is applied to the model too.
    model_band : (float, float) | None
        Pass band of the model in cycles/step; None chooses it from the data.
    model_dt, model_dx : str | float | None
        Physical size of one model step (e.g. ``"1ms"``; a number is seconds) and of
        one model cell (e.g. ``"0.4mm"``; a number is millimetres). Without them the
        comparison is scale-free.
    read_options : dict | None
        Keywords of :func:`neurowave.io.read` for a recording read from a file: its
        electrode map (``positions``), ``frame_rate`` and ``pixel_size`` of an image
        stack, ...
    view : ModelView | dict | None
        What of the model is measured: the keywords of :func:`resolve_view`
        (``model_sites``: each object of each sample on its own, the default, an export
        without a ``label`` map falling back to the whole grid; ``"foreground"``; or
        ``"all"``; ``samples`` and ``units`` to pool, None: all; ``steps``, default
        twice the trained horizon; ``max_trials``, drawn with ``seed``;
        ``wave_frames``, for every side: ``"patterns"``, the default, or ``"pgd"``, see
        :func:`~neurowave.compare.resolve_view`), or a :class:`ModelView`. Scale-free lengths are relative to the
        extent of the region each trial measured.
    controls : bool
        Measure the controls the export records (``hidden_cut_coupling``,
        ``hidden_untrained``) beside the model.
    stats : StatsOptions | None
        Bootstrap resamples, confidence level, equivalence margins (replacing those of
        :data:`MARGINS`) and level of the verdicts' tests (default
        ``StatsOptions()``).
    seed : int
        Seed of the trial draw, the surrogates and the bootstrap.
    progress : bool
        Show a progress bar over the model trials.
    kw : bool
        Add each side's k-omega peak (the model's over whole hidden grids, the
        ``kw`` blocks) and ``distances["kw"]``, which compares them.
    dynamics : bool | DynamicsSettings
        Add ``distances["dynamics"]``, the DSA distances of the model's and controls'
        dynamics to the recording's beside each system's own (settings: a
        :class:`~neurowave.compare.dynamics.DynamicsSettings`; :func:`compare_dynamics`).
    **analyze_options
        Passed to :func:`neurowave.waves.analyze` on both sides (e.g.
        ``phase_method``, ``pgd_threshold``, ``n_surrogates``). The keywords of
        earlier versions (``positions``; ``samples``, ``units``, ``steps``,
        ``model_sites``, ``max_trials``; ``n_boot``, ``ci``, ``margins``, ``alpha``)
        still work, with a FutureWarning naming the new spelling.

    Returns
    -------
    CompareResult
        Both sides' analyze JSON, the ``controls`` (analyze JSON of each control and
        the sentence saying which waves the coupling carries), the ``scale`` used, the
        ``distances`` per metric, the values compared and one example analysis per
        side for figures.

    See Also
    --------
    neurowave.waves.analyze : The measures applied to each side.
    neurowave.compare.report.write_report : Figures and the HTML page.

    Examples
    --------
    A model whose plane waves are 6 cells long on a 16-cell grid, against a Utah
    recording whose plane waves are 1.5 mm long on its 4 mm array: both travel
    0.375 region widths per cycle, and the verdict says so.

    >>> from neurowave.datasets import simulate_model_export, simulate_wave
    >>> model = simulate_model_export("planar", speed=0.3, frequency=0.05, n_steps=100,
    ...                               n_samples=1, n_units=2, seed=0)
    >>> rec, _ = simulate_wave("planar", speed=0.015, frequency=10, duration=1.0,
    ...                        sampling_rate=200, snr_db=10, seed=0)
    >>> res = compare(model, rec, stats=StatsOptions(n_boot=50))
    >>> d = res.distances["wavelength"]
    >>> d["units"], round(d["median_model"], 1), round(d["median_recording"], 1)
    ('region widths', 0.4, 0.4)
    >>> d["verdict"], d["margin"]
    ('equivalent', 1.25)
    """
    view, stats, read_options = _moved_keywords(analyze_options, view, stats, read_options)
    stats = stats.checked(frequency_in_hz=model_dt is not None)
    ds = read_model_export(model)
    rec, rec_info = load_recording(recording, read_options=read_options)
    view = as_view(ds, view, seed=seed)
    band, mband = _bands(ds, view, rec_info, band, model_band, model_dt, model_dx)
    mband_source = "user" if mband is not None else "pooled spectrum of the model trials"

    path = str(model) if isinstance(model, (str, Path)) else str(ds.attrs.get("source", ""))
    rec_an, man, ctrl = _measure(
        ds,
        rec,
        view=view,
        band=band,
        mband=mband,
        seed=seed,
        progress=progress,
        path=path,
        controls=controls,
        analyze_options=analyze_options,
    )
    mband, model_side, model_summary = man.band, man.side, man.summary
    model_summary["params"]["band_source"] = mband_source
    rec_side, rec_summary = _recording_side(rec, rec_info, rec_an, view)

    scale = scale_between(model_side, rec_side, model_dt=model_dt, model_dx=model_dx)
    if (rec_side.time_units != "s" or rec_side.space_units != "mm") and scale.mode != "scale-free":
        raise NeurowaveError(
            f"The recording is in {rec_side.time_units} and {rec_side.space_units}, so "
            "model_dt/model_dx (seconds, millimetres) cannot map the model onto it. "
            "Leave them out for a scale-free comparison."
        )

    # pattern_speed is the speed itself when wave frames are moving patterns
    metrics = METRICS + tuple(
        m
        for m in EXTRA_METRICS
        if view.wave_frames == "pgd" and (model_side.values[m].size or rec_side.values[m].size)
    )
    values = {
        name: common_values(side, name, scale, metrics)
        for name, side in (("model", model_side), ("recording", rec_side))
    }
    controls_d = control_results(
        ctrl, man, scale, rec_side, metrics, model_dt, model_dx, controls, ds
    )
    for name in ctrl:
        values[name] = controls_d.pop(f"_values_{name}")
    distances = compare_metrics(
        values["model"],
        model_side,
        values["recording"],
        rec_side,
        metrics=metrics,
        scale=scale,
        stats=stats,
        seed=seed,
    )
    _extras(
        ds,
        rec,
        summaries=(model_summary, rec_summary),
        distances=distances,
        kw=kw,
        dynamics=dynamics,
        mband=mband,
        scale=scale,
        sides=(model_side, rec_side),
        view=view,
        model_dt=model_dt,
        controls=controls,
    )
    scale_d = _scale_block(
        scale,
        mband=mband,
        mband_source=mband_source,
        model_side=model_side,
        rec_side=rec_side,
        distances=distances,
        metrics=metrics,
        stats=stats,
        seed=seed,
    )
    return CompareResult(
        model=model_summary,
        recording=rec_summary,
        scale=scale_d,
        distances=distances,
        values=values,
        examples={
            "model": man.example,
            "recording": rec_an,
            **{name: c.example for name, c in ctrl.items()},
        },
        controls=controls_d,
        params={"wave_frames": view.wave_frames, "speed_estimator": view.speed_estimator},
    )
