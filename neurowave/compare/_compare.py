"""``neurowave.compare``: a model's waves and a recording's waves, number for number."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError, check_band, validate_type
from ..grid import _valid_sites, site_positions, validate_grid
from . import stats as _stats
from .scale import array_extent, convert, make_scale

__all__ = ["compare", "CompareResult", "METRICS", "EXTRA_METRICS", "load_model_export",
           "load_recording", "coupling_reading"]

#: The metrics compared, in report order.
METRICS = ("speed", "pgd", "direction", "wavelength", "frequency", "patterns")
#: Metrics measured over wave frames only (the rest over all analysed frames).
WAVE_FRAME_METRICS = ("speed", "direction", "wavelength")
#: Further metrics, compared when the analysis provides them: ``pattern_speed`` is the
#: speed of the pattern-specific fits (plane, target and rotating waves; DESIGN.md:
#: radial and rotating waves have low PGD, so their speeds come from these fits) over
#: the frames classified as one of those patterns.
EXTRA_METRICS = ("pattern_speed",)
_MOVING = ("planar", "radial_out", "radial_in", "rotating")
_FALLBACK_PATTERNS = ("planar", "radial_out", "radial_in", "rotating", "synchronous", "other")
_HIDDEN_DIMS = ("sample", "time", "unit", "y", "x")
#: below this many effective (independent) frames on a side, a distance is flagged
MIN_EFFECTIVE = 5.0


def _patterns():
    try:
        from ..waves.patterns import PATTERNS

        return tuple(PATTERNS)
    except ImportError:  # pragma: no cover - the patterns module always exists
        return _FALLBACK_PATTERNS


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def load_model_export(model):
    """Return a model export Dataset (``hidden`` with dims sample, time, unit, y, x).

    Anything that is not a model export raises a ValueError that says how to make one.

    Parameters
    ----------
    model : xarray.Dataset | path-like
        A model export or the path of a netCDF file holding one.

    Returns
    -------
    xarray.Dataset
        The export, with ``attrs["source"]`` set to the file when read from one.

    Examples
    --------
    >>> from neurowave.compare._simdata import simulate_model_export
    >>> ds = load_model_export(simulate_model_export(n_steps=20, n_samples=1, n_units=1))
    >>> ds["hidden"].dims
    ('sample', 'time', 'unit', 'y', 'x')
    """
    source = None
    if isinstance(model, (str, Path)):
        from ..io import read

        source = str(model)
        model = read(model)
    hint = "Write one with `neurowave export RUN_DIR --out model.nc`."
    if source is None and isinstance(model, xr.Dataset) and model.attrs.get("source"):
        where = str(model.attrs["source"])  # name the file it came from
    else:
        where = f"{source}" if source else "`model`"
    if isinstance(model, xr.DataArray):
        raise NeurowaveError(
            f"{where} is a wave grid (a {model.attrs.get('kind', 'recording')}), not a model "
            f"export with a `hidden` variable (sample, time, unit, y, x). {hint}"
        )
    if not isinstance(model, xr.Dataset):
        raise NeurowaveTypeError(
            f"`model` must be a model export (xarray.Dataset) or its netCDF path, got "
            f"{type(model).__name__}. {hint}"
        )
    if "hidden" not in model.data_vars:
        raise NeurowaveError(
            f"{where} is not a model export: it has no `hidden` variable "
            f"(found {sorted(map(str, model.data_vars))}). {hint}"
        )
    dims = tuple(model["hidden"].dims)
    if set(dims) != set(_HIDDEN_DIMS):
        raise NeurowaveError(
            f"{where} is not a model export: `hidden` has dims {dims}, expected "
            f"{_HIDDEN_DIMS}. {hint}"
        )
    if source and not model.attrs.get("source"):
        model.attrs["source"] = source
    return model


def load_recording(recording, *, positions=None):
    """Return the recording as a validated wave grid and what validation learned.

    Parameters
    ----------
    recording : xarray.DataArray | path-like
        A wave grid, or a file any :func:`neurowave.io.read` reader opens.
    positions : path-like | None
        Electrode map for a file (see :func:`neurowave.io.read`).

    Returns
    -------
    grid : xarray.DataArray
    info : neurowave.GridInfo

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", duration=0.5, seed=0)
    >>> load_recording(grid)[1].n_valid_sites
    96
    """
    source = None
    if isinstance(recording, (str, Path)):
        from ..io import read

        source = str(recording)
        recording = read(recording, positions=positions) if positions is not None else read(recording)
    elif positions is not None:
        raise NeurowaveError(
            "`positions` applies to a recording read from a file; the grid given already "
            "carries its positions (x, y coords)."
        )
    if isinstance(recording, xr.Dataset) and "hidden" in recording.data_vars:
        raise NeurowaveError(
            f"{source or '`recording`'} is a model export, not a recording. Pass the model "
            "first and the recording second: neurowave compare MODEL.nc RECORDING."
        )
    info = validate_grid(recording, name=source or "recording")
    if source and not recording.attrs.get("source"):
        recording.attrs["source"] = source
    return recording, info


from ._model import MODEL_SITES  # noqa: E402,F401  (re-exported)


def _hidden_grid_all(ds, sample, unit):
    try:
        from ..models import hidden_grid
    except ImportError:
        hidden_grid = None
    if hidden_grid is not None:
        return hidden_grid(ds, sample=sample, unit=unit)
    from ..grid import make_grid

    h = ds["hidden"].isel(sample=sample, unit=unit).transpose("time", "y", "x")
    attrs = {k: v for k, v in ds.attrs.items() if k not in ("sampling_rate",)}
    return make_grid(
        h.data, sampling_rate=float(ds.attrs.get("sampling_rate", 1.0)),
        x=ds["x"].values, y=ds["y"].values, t0=float(ds["time"].values[0]),
        time_units="step", space_units="cell", kind="model",
        source=str(ds.attrs.get("source", ds.attrs.get("model", "model"))), attrs=attrs,
    )


# ---------------------------------------------------------------------------
# pooled measures
# ---------------------------------------------------------------------------


def _frame_rate(frames):
    t = np.asarray(frames["time"].values, float)
    if t.size < 2:
        return float("nan")
    dt = np.median(np.diff(t))
    return 1.0 / dt if dt > 0 else float("nan")


@dataclass
class _Side:
    """Per-frame values of one side, pooled over trials."""

    values: dict  # metric -> ndarray (wave-frame metrics already restricted)
    groups: dict  # metric -> trial label per value
    frame_rate: float  # frames per time unit
    period: float  # median oscillation period, native time units
    extent: float
    positions: np.ndarray
    time_units: str
    space_units: str
    speed_units: str
    n_frames: int
    n_wave_frames: int
    n_trials: int


def _speed_to_native(values, units, time_units, space_units):
    """Express speeds in native space units per native time unit (mm/s, cells/step).

    DESIGN.md reports recording speeds in m/s (= mm/ms); a frames variable without
    a ``units`` attribute is taken to follow it.
    """
    u = (units or "").replace(" ", "").lower()
    if u in ("m/s", "mm/ms"):
        return values * 1e3
    if not u and time_units == "s" and space_units == "mm":
        return values * 1e3
    return values


def _pool(analyses, positions, valid_sites, info):
    """Concatenate the frames of several analyses of one side into a _Side."""
    pats = []
    vals = {m: [] for m in METRICS + EXTRA_METRICS}
    groups = {m: [] for m in METRICS + EXTRA_METRICS}
    rates, speed_units = [], None
    known = np.array(_patterns())
    n_frames = n_wave = 0
    for k, an in enumerate(analyses):
        fr = an.frames
        is_wave = np.asarray(fr["is_wave"].values, bool)
        n_frames += is_wave.size
        n_wave += int(is_wave.sum())
        rates.append(_frame_rate(fr))
        if speed_units is None:
            speed_units = fr["speed"].attrs.get("units") or an.summary.get("summary", {}).get(
                "speed", {}).get("units")
        for m in ("speed", "pgd", "direction", "wavelength", "frequency"):
            v = np.asarray(fr[m].values, float)
            if m in WAVE_FRAME_METRICS:
                v = v[is_wave]
            vals[m].append(v)
            groups[m].append(np.full(v.size, k))
        p = np.asarray(fr["pattern"].values).astype(str)
        p = np.where(np.isin(p, known), p, "other")  # as analyze counts unknown labels
        pats.append(p)
        groups["patterns"].append(np.full(p.size, k))
        if "fit_speed" in fr:
            v = np.asarray(fr["fit_speed"].values, float)[np.isin(p, _MOVING)]
        else:
            v = np.zeros(0)
        vals["pattern_speed"].append(v)
        groups["pattern_speed"].append(np.full(v.size, k))
    values = {m: np.concatenate(vals[m]) for m in METRICS + EXTRA_METRICS if m != "patterns"}
    values["patterns"] = np.concatenate(pats)
    groups = {m: np.concatenate(g) for m, g in groups.items()}
    native = _speed_to_native(values["speed"], speed_units, info.time_units, info.space_units)
    if not np.array_equal(native, values["speed"], equal_nan=True):
        speed_units = f"{info.space_units}/{info.time_units}"
    values["speed"] = native
    fit_units = None
    for an in analyses:
        if "fit_speed" in an.frames:
            fit_units = an.frames["fit_speed"].attrs.get("units")
            break
    values["pattern_speed"] = _speed_to_native(values["pattern_speed"], fit_units,
                                               info.time_units, info.space_units)
    f = values["frequency"]
    f = np.abs(f[np.isfinite(f)])
    period = 1.0 / np.median(f) if f.size and np.median(f) > 0 else float("nan")
    return _Side(
        values=values, groups=groups, frame_rate=float(np.nanmedian(rates)), period=float(period),
        extent=array_extent(positions[valid_sites], info.spacing), positions=positions,
        time_units=info.time_units, space_units=info.space_units,
        speed_units=speed_units or f"{info.space_units}/{info.time_units}", n_frames=n_frames,
        n_wave_frames=n_wave, n_trials=len(analyses),
    )


def _pooled_events(analyses, trials):
    """Events of all trials: the analyze ``summary["events"]`` block and the event list."""
    import pandas as pd

    frames, total = [], 0.0
    for an, (s, u) in zip(analyses, trials):
        total += float(an.summary.get("input", {}).get("duration") or 0.0)
        ev = getattr(an, "events", None)
        if ev is not None and len(ev):
            frames.append(ev.assign(sample=s, unit=u))
    if not frames:
        return {"n": 0, "rate": 0.0, "median_duration": None, "by_pattern": {}}, []
    ev = pd.concat(frames, ignore_index=True)
    summary = {
        "n": int(len(ev)),
        "rate": float(len(ev) / total) if total else None,
        "median_duration": float(np.median(ev["duration"].values)),
        "by_pattern": {str(k): int(v) for k, v in ev["pattern"].value_counts().items()},
    }
    records = json.loads(ev.to_json(orient="records"))
    return summary, records


def _pooled_summary(template, side, extra_input, analyses, trials):
    """An analyze-style summary for pooled model trials (DESIGN.md keys)."""
    out = json.loads(json.dumps(template, default=_json_default))
    v = side.values

    def q(a, p):
        a = a[np.isfinite(a)]
        return float(np.quantile(a, p)) if a.size else None

    d = v["direction"][np.isfinite(v["direction"])]
    z = np.exp(1j * np.deg2rad(d)).mean() if d.size else np.nan
    pats = _patterns()
    n = max(1, v["patterns"].size)
    summ = out.setdefault("summary", {})
    speed_units = summ.get("speed", {}).get("units", side.speed_units)
    summ.update({
        "frequency": {**summ.get("frequency", {}), "median": q(v["frequency"], 0.5)},
        "pgd": {**summ.get("pgd", {}), "median": q(v["pgd"], 0.5), "p90": q(v["pgd"], 0.9)},
        "wave_fraction": side.n_wave_frames / max(1, side.n_frames),
        "speed": {**summ.get("speed", {}), "median": q(v["speed"], 0.5),
                  "q25": q(v["speed"], 0.25), "q75": q(v["speed"], 0.75),
                  "units": side.speed_units},
        "direction": {**summ.get("direction", {}),
                      "mean_deg": float(np.mod(np.rad2deg(np.angle(z)), 360)) if d.size else None,
                      "resultant_length": float(np.abs(z)) if d.size else None},
        "wavelength": {**summ.get("wavelength", {}), "median": q(v["wavelength"], 0.5),
                       "units": side.space_units},
        "patterns": {p: float(np.sum(v["patterns"] == p) / n) for p in pats},
    })
    if speed_units != side.speed_units:
        summ["speed"]["units"] = side.speed_units
    summ["events"], ev_list = _pooled_events(analyses, trials)
    if "events" in out:
        out["events"] = ev_list
    summ["pooled"] = {"n_trials": side.n_trials, "n_frames": side.n_frames,
                      "n_wave_frames": side.n_wave_frames}
    out.setdefault("input", {}).update(extra_input)
    return out


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


# ---------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------


@dataclass
class CompareResult:
    """What :func:`compare` found.

    Attributes
    ----------
    model, recording : dict
        The analyze JSON of each side (DESIGN.md); the model's is pooled over its
        (sample, unit) trials and says so in ``input`` and ``summary["pooled"]``.
    scale : dict
        How model steps and cells were mapped (``mode`` "physical", "partial" or
        "scale-free", the extents, periods and units used).
    distances : dict
        Metric -> ``distance``, ``ci_low``, ``ci_high``, ``test``, ``statistic``,
        ``p_value`` and more (see :mod:`neurowave.compare.stats`).
    values : dict
        ``{"model": {metric: array}, "recording": {metric: array}}`` in the common
        units of ``scale`` (what the distances were computed on).
    examples : dict
        ``{"model": WaveAnalysis, "recording": WaveAnalysis}``: the analysis of the
        model trial with the most wave frames and of the recording (for figures).
    """

    model: dict
    recording: dict
    scale: dict
    distances: dict
    values: dict = field(repr=False, default_factory=dict)
    examples: dict = field(repr=False, default_factory=dict)
    controls: dict = field(default_factory=dict)

    def to_dict(self):
        """The JSON of DESIGN.md as a dict (NaN as None)."""
        from .._outputs import to_jsonable

        d = {
            "neurowave_version": _version(),
            "model": self.model,
            "recording": self.recording,
        }
        if self.controls:
            d["controls"] = self.controls
        d.update({"scale": self.scale, "distances": self.distances})
        return to_jsonable(d)

    @property
    def control_names(self):
        """The controls measured (``"cut_coupling"``, ``"untrained"``), in column order."""
        return [n for n in CONTROL_TITLES if n in self.controls]

    def _median(self, side, m):
        v = self.values.get(side, {}).get(m)
        if v is None:
            return None
        if m == "patterns":
            v = np.asarray(v).astype(str)
            if not v.size:
                return None
            k, c = np.unique(v, return_counts=True)
            return str(k[np.argmax(c)])
        v = np.asarray(v, float)
        v = v[np.isfinite(v)]
        if not v.size:
            return None
        if m == "direction":
            return float(np.mod(np.rad2deg(np.angle(np.exp(1j * np.deg2rad(v)).mean())), 360))
        return float(np.median(v))

    def to_json(self, path=None):
        """Return the JSON text; with ``path`` also write it atomically."""
        d = self.to_dict()
        if path is not None:
            from .._outputs import write_json_atomic

            write_json_atomic(d, path)
        return json.dumps(d, indent=2, allow_nan=False)

    def to_frame(self):
        """One row per metric: medians of each side (common units), distance, CI, test.

        Returns
        -------
        pandas.DataFrame
            Index ``metric``; columns ``model``, ``recording``, ``units``, ``distance``,
            ``ci_low``, ``ci_high``, ``test``, ``statistic``, ``p_value``.
        """
        import pandas as pd

        rows = []
        for m in [m for m in METRICS + EXTRA_METRICS if m in self.distances or m in METRICS]:
            d = self.distances.get(m, {})
            if m == "direction":
                a, b = d.get("mean_deg_model"), d.get("mean_deg_recording")
            elif m == "patterns":
                fa, fb = d.get("fractions_model") or {}, d.get("fractions_recording") or {}
                a = max(fa, key=fa.get) if fa else None
                b = max(fb, key=fb.get) if fb else None
            else:
                a, b = d.get("median_model"), d.get("median_recording")
            ctl = {n: self._median(n, m) for n in self.control_names}
            rows.append({
                "metric": m, "model": a, **ctl, "recording": b, "units": d.get("units", ""),
                "distance": d.get("distance"), "ci_low": d.get("ci_low"),
                "ci_high": d.get("ci_high"), "test": d.get("test"),
                "statistic": d.get("statistic"), "p_value": d.get("p_value"),
            })
        return pd.DataFrame(rows).set_index("metric")

    def table_rows(self):
        """Rows of the side-by-side terminal table (header first)."""
        names = self.control_names
        ctl_titles = tuple(CONTROL_TITLES[n] for n in names)
        rows = [("metric", "model" if not names else "trained") + ctl_titles
                + ("recording", "units", "distance [95% CI]", "test", "p")]
        df = self.to_frame()

        def f(x):
            if x is None or (isinstance(x, float) and not np.isfinite(x)):
                return "-"
            return x if isinstance(x, str) else f"{x:.3g}"

        sides = [self.model] + [self.controls[n] for n in names] + [self.recording]
        wf = [s.get("summary", {}).get("wave_fraction") for s in sides]
        neff = [s.get("summary", {}).get("pooled", {}).get("n_eff_wave_frames") for s in sides]
        if neff[-1] is None:
            d = self.distances.get("speed", {})
            neff[-1] = d.get("n_eff_recording")
        rows.append(("wave fraction",) + tuple(f(x) for x in wf) + ("", "", "", ""))
        rows.append(("eff. wave frames",) + tuple("-" if x is None else f"{x:.0f}" for x in neff)
                    + ("independent", "", "", ""))
        for m, r in df.iterrows():
            units = r["units"]
            if m == "patterns":
                units = "most frequent"
            dist = f(r["distance"])
            if dist != "-":
                dist += f" [{f(r['ci_low'])}, {f(r['ci_high'])}]"
                if self.distances.get(m, {}).get("few_frames"):
                    dist += " *"
            rows.append((m, f(r["model"])) + tuple(f(r[n]) for n in names)
                        + (f(r["recording"]), units, dist, r["test"] or "-", f(r["p_value"])))
        return rows

    def footnotes(self):
        """Notes on metrics whose distance rests on too few independent frames."""
        return [f"* {m}: {d['note']}" for m, d in self.distances.items() if d.get("few_frames")]

    def plot(self, *, show=False):
        """Overview figure: distributions of every metric, directions, pattern fractions.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .report import plot_overview

        fig = plot_overview(self)
        if show:  # pragma: no cover - interactive
            import matplotlib.pyplot as plt

            plt.show()
        return fig

    def write_report(self, path, *, overwrite=False):
        """Write figures and one self-contained ``index.html`` into the folder ``path``."""
        from .report import write_report

        return write_report(self, path, overwrite=overwrite)


def _version():
    from .._version import __version__

    return __version__


# ---------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------


def _model_band(band, model_band, model_dt, grid_info, scale_dt):
    """The band for the model side, checked against what the model can support."""
    if model_band is None and band is not None and scale_dt is not None:
        model_band = (band[0] * scale_dt, band[1] * scale_dt)
        what = (f"the band {band[0]:g}-{band[1]:g} Hz, which at model_dt={model_dt} is "
                f"{model_band[0]:.4g}-{model_band[1]:.4g} cycles/step")
        fix = "Pass a narrower --band, another --model-dt or an explicit --model-band."
    elif model_band is not None:
        what = f"`model_band` {tuple(model_band)!r} cycles/step"
        fix = None
    else:
        return None
    try:
        return check_band(model_band, grid_info.sampling_rate, n_times=grid_info.n_times,
                          name="model_band", time_units="step")
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


def compare(model, recording, *, band=None, model_band=None, model_dt=None, model_dx=None,
            positions=None, samples=None, units=None, steps=None, model_sites=None,
            controls=True, max_trials=None, n_boot=500, ci=0.95, seed=0, progress=False,
            **analyze_kw):
    """Put a model's waves and a recording's waves through the same measures.

    Both sides go through :func:`neurowave.waves.analyze`. The model export is
    measured by :func:`neurowave.compare.analyze_model` (by default each object of each
    sample on its own, within twice the trained horizon, in one band from the pooled
    model spectrum; samples, objects and units pooled as trials); the recording's
    frames are taken as they come. The controls the export records (the same model
    with its coupling cut, the untrained model of the same architecture) are measured
    the same way, on the same trials and in the same band. For each metric (``speed``, ``pgd``,
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
    positions : path-like | None
        Electrode map for a recording read from a file.
    samples, units : int | list of int | None
        Which model samples and hidden units to pool (None: all).
    steps : int | None
        Measure the model's first ``steps`` steps (default: twice its trained horizon,
        or all recorded steps).
    model_sites : {"objects", "foreground", "all"} | None
        Each object of each sample on its own (default; an export without a ``label``
        map falls back to the whole grid and says so), the objects' cells together
        (``label > 0``), or the whole grid (see :func:`analyze_model`). The array
        extent of the scale-free units stays that of the whole grid.
    controls : bool
        Measure the controls the export records (``hidden_cut_coupling``,
        ``hidden_untrained``) beside the model.
    max_trials : int | None
        Measure at most this many model trials, drawn with ``seed`` (None: all).
    n_boot : int
        Bootstrap resamples of each confidence interval.
    ci : float
        Confidence level.
    seed : int
        Seed of the trial draw, the surrogates and the bootstrap.
    progress : bool
        Show a progress bar over the model trials.
    **analyze_kw
        Passed to :func:`neurowave.waves.analyze` on both sides (e.g. ``phase_method``,
        ``pgd_threshold``, ``n_surrogates``).

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
    0.375 array widths per cycle.

    >>> from neurowave.compare._simdata import simulate_model_export
    >>> from neurowave.datasets import simulate_wave
    >>> model = simulate_model_export("planar", speed=0.3, frequency=0.05, n_steps=100,
    ...                               n_samples=1, n_units=2, seed=0)
    >>> rec, _ = simulate_wave("planar", speed=0.015, frequency=10, duration=1.0,
    ...                        sampling_rate=200, snr_db=10, seed=0)
    >>> res = compare(model, rec, n_boot=50)
    >>> d = res.distances["speed"]
    >>> d["units"], round(d["median_model"], 1), round(d["median_recording"], 1)
    ('array widths/cycle', 0.4, 0.4)
    """
    from ..waves import analyze

    validate_type(n_boot, "int", "n_boot")
    if max_trials is not None:
        validate_type(max_trials, "int", "max_trials")
        if max_trials < 1:
            raise NeurowaveError(f"`max_trials` must be at least 1 or None, got {max_trials}.")
    ds = load_model_export(model)
    rec, rec_info = load_recording(recording, positions=positions)
    if band is not None:
        band = check_band(band, rec_info.sampling_rate, n_times=rec_info.n_times,
                          time_units=rec_info.time_units)
    # physical scale first: it may turn `band` into the model's band
    scale_dt = None
    if model_dt is not None:
        from .scale import parse_quantity

        scale_dt = parse_quantity(model_dt, kind="time", name="model_dt")
    if model_dx is not None:
        from .scale import parse_quantity

        parse_quantity(model_dx, kind="length", name="model_dx")

    from ._model import analyze_model, resolve_view, trial_grid

    view = resolve_view(ds, model_sites=model_sites, samples=samples, units=units,
                        steps=steps, max_trials=max_trials, seed=seed)
    first = trial_grid(ds, view, view.trials[0], whole=True)  # geometry and units
    model_info = validate_grid(first, name="model hidden grid", check_valid=False)
    mband = _model_band(band, model_band, model_dt, model_info, scale_dt)
    mband_source = "user" if mband is not None else "pooled spectrum of the model trials"

    # recording side
    rec_an = analyze(rec, band=band, seed=seed, **analyze_kw)
    rec_side = _pool([rec_an], site_positions(rec), _valid_sites(rec), rec_info)

    # model side: trials (sample, object, unit) pooled
    path = str(model) if isinstance(model, (str, Path)) else str(ds.attrs.get("source", ""))
    man = analyze_model(ds, view=view, band=mband, seed=seed, progress=progress, path=path,
                        **analyze_kw)
    mband = man.band
    model_side, best = man.side, man.example
    model_summary = man.summary
    model_summary["params"]["band_source"] = mband_source
    ctrl = {}
    if controls:
        for name in ("cut_coupling", "untrained"):
            if f"hidden_{name}" in ds.data_vars:
                ctrl[name] = analyze_model(ds, view=view, band=mband, seed=seed,
                                           variable=f"hidden_{name}", path=path,
                                           progress=progress, **analyze_kw)
    rec_summary = json.loads(json.dumps(rec_an.summary, default=_json_default))

    scale = make_scale(
        model_dt=model_dt, model_dx=model_dx, model_extent=model_side.extent,
        recording_extent=rec_side.extent, model_period=model_side.period,
        recording_period=rec_side.period,
        model_units=(model_side.time_units, model_side.space_units),
        recording_units=(rec_side.time_units, rec_side.space_units),
    )
    if rec_side.time_units != "s" or rec_side.space_units != "mm":
        if scale.mode != "scale-free":
            raise NeurowaveError(
                f"The recording is in {rec_side.time_units} and {rec_side.space_units}, so "
                "model_dt/model_dx (seconds, millimetres) cannot map the model onto it. "
                "Leave them out for a scale-free comparison."
            )

    metrics = METRICS + tuple(
        m for m in EXTRA_METRICS if model_side.values[m].size or rec_side.values[m].size)
    values = {"model": {}, "recording": {}}
    for side_name, side in (("model", model_side), ("recording", rec_side)):
        for m in metrics:
            v = side.values[m]
            if m != "patterns":
                v = convert(v, metric="speed" if m == "pattern_speed" else m,
                            side=side_name, scale=scale)
            values[side_name][m] = v
    controls_d = _control_results(ctrl, man, scale, rec_side, metrics, model_dt, model_dx,
                                  controls, ds)
    for name, c in ctrl.items():
        values[name] = controls_d.pop(f"_values_{name}")

    def block(side):
        b = side.frame_rate * side.period
        return max(1, int(round(b))) if np.isfinite(b) else 1

    ba, bb = block(model_side), block(rec_side)
    kw = dict(block_a=ba, block_b=bb, n_boot=n_boot, ci=ci, seed=seed)
    distances = {}
    units_of = {"speed": scale.speed_units, "pgd": "", "wavelength": scale.wavelength_units,
                "frequency": scale.frequency_units, "pattern_speed": scale.speed_units}
    for m in metrics:
        a, b = values["model"][m], values["recording"][m]
        ga, gb = model_side.groups[m], rec_side.groups[m]
        if m == "direction":
            d = _stats.compare_circular(a, b, groups_a=ga, groups_b=gb, **kw)
            d["note"] = ("directions are in each array's own frame; without a common "
                         "orientation only their spread (resultant length) compares directly")
        elif m == "patterns":
            d = _stats.compare_categorical(a, b, categories=_patterns(), groups_a=ga,
                                           groups_b=gb, **kw)
        else:
            d = _stats.compare_linear(a, b, groups_a=ga, groups_b=gb, units=units_of[m], **kw)
        d["over"] = ("wave frames" if m in WAVE_FRAME_METRICS else
                     "frames classified planar, radial or rotating (pattern fits)"
                     if m == "pattern_speed" else "all analysed frames")
        d["block_model"], d["block_recording"] = ba, bb
        few = [f"{side} {int(d.get('n_' + side, 0))} frames (effective "
               f"{d.get('n_eff_' + side, 0):.1f})" for side in ("model", "recording")
               if d.get("n_eff_" + side) is not None and d["n_eff_" + side] < MIN_EFFECTIVE]
        d["few_frames"] = bool(few)
        if few:
            d["note"] = (f"too few independent frames for the interval and the test to mean "
                         f"much: {', '.join(few)}")
        distances[m] = d

    scale_d = scale.to_dict()
    scale_d["model_band"] = list(mband) if mband is not None else None
    scale_d["model_band_source"] = mband_source
    model_summary.setdefault("params", {})["band_source"] = mband_source
    scale_d["bootstrap"] = {"n_boot": n_boot, "ci": ci, "seed": seed,
                            "block_model_frames": ba, "block_recording_frames": bb,
                            "method": "circular-block bootstrap within trials, "
                                      "block = frames per median cycle"}
    return CompareResult(
        model=model_summary, recording=rec_summary, scale=scale_d, distances=distances,
        values=values, examples={"model": best, "recording": rec_an}, controls=controls_d,
    )


#: Control name -> column title.
CONTROL_TITLES = {"cut_coupling": "cut coupling", "untrained": "untrained"}


def coupling_reading(trained, cut):
    """Per unit, whether the coupling carries the model's waves, and one sentence.

    A unit's waves are *carried by the coupling* when cutting it leaves at most half
    their wave fraction, *not carried* when at least three quarters survive, *partly*
    in between; a unit with under 5 % wave frames shows no waves to judge.

    Parameters
    ----------
    trained, cut : dict
        Analyze JSON of the model and of its coupling-cut control (``summary["units"]``).

    Returns
    -------
    units : dict
        unit -> ``{"trained", "cut_coupling", "ratio", "carried"}`` (carried: "yes",
        "partly", "no" or "no waves").
    sentence : str
    """
    units, carried, survive, partly, none = {}, [], [], [], []
    tu = trained.get("summary", {}).get("units", {})
    cu = cut.get("summary", {}).get("units", {})
    for u, r in tu.items():
        a = r.get("wave_fraction") or 0.0
        b = (cu.get(u) or {}).get("wave_fraction")
        if b is None:
            continue
        ratio = b / a if a > 0 else None
        if a < 0.05:
            verdict = "no waves"
            none.append(u)
        elif ratio <= 0.5:
            verdict = "yes"
            carried.append(f"unit {u} ({a:.2f} → {b:.2f})")
        elif ratio >= 0.75:
            verdict = "no"
            survive.append(f"unit {u} ({a:.2f} → {b:.2f})")
        else:
            verdict = "partly"
            partly.append(f"unit {u} ({a:.2f} → {b:.2f})")
        units[u] = {"trained": a, "cut_coupling": b, "ratio": ratio, "carried": verdict}
    parts = []
    if carried:
        parts.append(f"the coupling carries the waves of {', '.join(carried)}: cutting it "
                     "removes them")
    if partly:
        parts.append(f"it carries part of those of {', '.join(partly)}")
    if survive:
        parts.append(f"the waves of {', '.join(survive)} survive the cut, so they are set "
                     "by the encoders' spatial maps (e.g. a natural frequency that varies "
                     "across an object), not carried from place to place")
    if none:
        parts.append(f"{', '.join('unit ' + u for u in none)} shows no waves")
    if not parts:
        return units, "No unit could be judged."
    text = "; ".join(parts)
    return units, "Wave fraction, model → coupling cut: " + text[0].lower() + text[1:] + "."


def _control_results(ctrl, man, scale, rec_side, metrics, model_dt, model_dx, wanted, ds):
    """The ``controls`` block: each control's analyze JSON, its values in the common
    units (popped by the caller as ``_values_NAME``), and the coupling reading."""
    if not ctrl:
        if not wanted:
            return {}
        return {"note": "the export records no controls (an older export, a simulation or a "
                        "model without them); re-export with `neurowave export` to measure "
                        "the cut-coupling and untrained controls"}
    out = {}
    for name, c in ctrl.items():
        cs = make_scale(
            model_dt=model_dt, model_dx=model_dx, model_extent=c.side.extent,
            recording_extent=rec_side.extent, model_period=c.side.period,
            recording_period=rec_side.period,
            model_units=(c.side.time_units, c.side.space_units),
            recording_units=(rec_side.time_units, rec_side.space_units),
        )
        vals = {}
        for m in metrics:
            v = c.side.values[m]
            if m != "patterns":
                v = convert(v, metric="speed" if m == "pattern_speed" else m, side="model",
                            scale=cs)
            vals[m] = v
        out[f"_values_{name}"] = vals
        out[name] = c.summary
    if "cut_coupling" in ctrl:
        units, sentence = coupling_reading(man.summary, ctrl["cut_coupling"].summary)
        out["coupling"] = {"units": units, "sentence": sentence}
    out["description"] = {name: str(ds[f"hidden_{name}"].attrs.get("long_name", name))
                          .removeprefix("control: ") for name in ctrl}
    return out
