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
from .scale import convert, make_scale, region_extent

__all__ = ["compare", "CompareResult", "METRICS", "EXTRA_METRICS", "MARGINS",
           "load_model_export", "load_recording", "coupling_reading"]

#: The metrics compared, in report order.
METRICS = ("speed", "pgd", "direction", "wavelength", "frequency", "patterns")
#: Metrics measured over wave frames only (the rest over all analysed frames).
WAVE_FRAME_METRICS = ("speed", "direction", "wavelength")
#: Further metrics, compared when the analysis provides them: ``pattern_speed`` is the
#: speed of the pattern-specific fits (plane, target and rotating waves:
#: radial and rotating waves have low PGD, so their speeds come from these fits) over
#: the frames classified as one of those patterns.
EXTRA_METRICS = ("pattern_speed",)
_MOVING = ("planar", "radial_out", "radial_in", "rotating")
_FALLBACK_PATTERNS = ("planar", "radial_out", "radial_in", "rotating", "synchronous", "other")
_HIDDEN_DIMS = ("sample", "time", "unit", "y", "x")
#: below this many effective (independent) frames on a side, a distance is flagged
#: and its verdict is "undecided"
MIN_EFFECTIVE = 5.0
#: The effect size behind each metric's verdict (see :mod:`neurowave.compare.stats`):
#: ratio of the medians for positive scale quantities, difference of the medians for
#: PGD, the aligned circular W1 for directions and the total variation for patterns.
EFFECT_KINDS = {"speed": "ratio", "wavelength": "ratio", "pattern_speed": "ratio",
                "frequency": "ratio", "pgd": "difference", "direction": "distance",
                "patterns": "distance"}
#: Default equivalence margins (the methods page gives the reasons): a factor for
#: ratios, PGD units for PGD, degrees for directions, a fraction for patterns.
MARGINS = {"speed": 1.25, "wavelength": 1.25, "pattern_speed": 1.25, "frequency": 1.25,
           "pgd": 0.1, "direction": 20.0, "patterns": 0.15}
#: Margin of the scale-free frequency row: W1 distance of frequency / median frequency.
FREQUENCY_SHAPE_MARGIN = 0.1


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


def load_recording(recording, *, positions=None, read_options=None):
    """Return the recording as a validated wave grid and what validation learned.

    Parameters
    ----------
    recording : xarray.DataArray | path-like
        A wave grid, or a file any :func:`neurowave.io.read` reader opens.
    positions : path-like | None
        Electrode map for a file (see :func:`neurowave.io.read`).
    read_options : dict | None
        Further keywords of :func:`neurowave.io.read` for a file (e.g. ``frame_rate``
        and ``pixel_size`` of an image stack).

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
        kw = dict(read_options or {})
        if positions is not None:
            kw["positions"] = positions
        recording = read(recording, **kw)
    elif positions is not None or read_options:
        raise NeurowaveError(
            "`positions` and `read_options` apply to a recording read from a file; the "
            "grid given already carries its positions (x, y coords) and rate."
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
    extent: float  # median extent of the analysed regions (native space units)
    positions: np.ndarray
    time_units: str
    space_units: str
    speed_units: str
    n_frames: int
    n_wave_frames: int
    n_trials: int
    extents: np.ndarray = None  # extent of the region of each analysis (group label k)

    def extent_of(self, metric):
        """The region extent of every value of ``metric`` (one per value)."""
        return self.extents[np.asarray(self.groups[metric], int)]


def _speed_to_native(values, units, time_units, space_units):
    """Express speeds in native space units per native time unit (mm/s, cells/step).

    neurowave reports recording speeds in m/s (= mm/ms); a frames variable without
    a ``units`` attribute is taken to follow it.
    """
    u = (units or "").replace(" ", "").lower()
    if u in ("m/s", "mm/ms"):
        return values * 1e3
    if not u and time_units == "s" and space_units == "mm":
        return values * 1e3
    return values


def _pool(analyses, positions, valid_sites, info):
    """Concatenate the frames of several analyses of one side into a _Side.

    The extent of each analysis is that of the region it analysed (the valid sites of
    its grid, :func:`~neurowave.compare.scale.region_extent`): a model grid cut to one
    object has the object's extent.
    """
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
    extents = np.array([region_extent(an.grid) for an in analyses], float)
    return _Side(
        values=values, groups=groups, frame_rate=float(np.nanmedian(rates)), period=float(period),
        extent=float(np.median(extents)), extents=extents, positions=positions,
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
    """An analyze-style summary for pooled model trials (the same keys)."""
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
        The analyze JSON of each side; the model's is pooled over its
        (sample, unit) trials and says so in ``input`` and ``summary["pooled"]``.
    scale : dict
        How model steps and cells were mapped (``mode`` "physical", "partial" or
        "scale-free", the extents, periods and units used).
    distances : dict
        Metric -> the effect size (``effect``, ``effect_ci_low``, ``effect_ci_high``,
        ``effect_name``), the equivalence ``margin`` (and ``margin_note``), the
        ``verdict`` (``"equivalent"``, ``"different"`` or ``"undecided"``) with
        ``p_equivalence`` and ``p_difference``, and the ``distance``, ``ci_low``,
        ``ci_high``, ``test``, ``statistic``, ``p_value`` of the two distributions
        (see :mod:`neurowave.compare.stats`).
    values : dict
        ``{"model": {metric: array}, "recording": {metric: array}}`` in the common
        units of ``scale`` (what the distances were computed on).
    examples : dict
        ``{"model": WaveAnalysis, "recording": WaveAnalysis}``: the analysis of the
        model trial with the most wave frames and of the recording (for figures).
    sides : tuple of str | None
        The sides shown as columns of the table and the report, in order (keys of
        ``values`` and ``examples``). None: ``"model"``, any further keys of ``values``
        (controls of the model, e.g. ``"cut_coupling"``), ``"recording"``. The effects
        and verdicts compare ``"model"`` with ``"recording"``.
    """

    model: dict
    recording: dict
    scale: dict
    distances: dict
    values: dict = field(repr=False, default_factory=dict)
    examples: dict = field(repr=False, default_factory=dict)
    controls: dict = field(default_factory=dict)
    sides: tuple = None

    def __post_init__(self):
        if self.sides is None:  # the model, its controls (further keys of values), the recording
            middle = [k for k in self.values if k not in ("model", "recording")]
            self.sides = ("model", *middle, "recording")
        self.sides = tuple(self.sides)

    def to_dict(self):
        """The comparison as a JSON-ready dict (NaN as None)."""
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
        from .._outputs import json_text

        return json_text(self.to_dict(), path)

    @property
    def side_labels(self):
        """Column label of each side, in the order of :attr:`sides` (the model is
        "trained" beside its controls)."""
        labels = dict(SIDE_LABELS, model="trained" if len(self.sides) > 2 else "model")
        return [labels.get(s, s.replace("_", " ")) for s in self.sides]

    def summary_of(self, side):
        """The analyze JSON of one side: the model, a control or the recording."""
        if side in ("model", "recording"):
            return getattr(self, side)
        return (self.controls or {}).get(side) or {}

    def centre(self, side, metric):
        """The typical value of ``metric`` on ``side`` in common units: the median (the
        circular mean for directions, the most frequent pattern for patterns)."""
        v = self.values.get(side, {}).get(metric)
        if v is None:
            return None
        v = np.asarray(v)
        if metric == "patterns":
            if v.size == 0:
                return None
            labels, counts = np.unique(v.astype(str), return_counts=True)
            return str(labels[np.argmax(counts)])
        v = np.asarray(v, float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return None
        if metric == "direction":
            z = np.exp(1j * np.deg2rad(v)).mean()
            return float(np.mod(np.rad2deg(np.angle(z)), 360.0))
        return float(np.median(v))

    def to_frame(self):
        """One row per metric: each side's typical value (common units), the effect size
        with its interval, margin and verdict, and the distance, its CI and the test.

        Returns
        -------
        pandas.DataFrame
            Index ``metric``; one column per side (``model``, ``recording``, and any
            controls), then ``units``, ``effect``, ``effect_ci_low``, ``effect_ci_high``,
            ``effect_kind``, ``margin``, ``verdict``, ``distance``, ``ci_low``,
            ``ci_high``, ``test``, ``statistic``, ``p_value``.
        """
        import pandas as pd

        rows = []
        for m in [m for m in METRICS + EXTRA_METRICS if m in self.distances or m in METRICS]:
            d = self.distances.get(m, {})
            row = {"metric": m}
            for side in self.sides:
                row[side] = self.centre(side, m)
            row.update({k: d.get(k) for k in (
                "units", "effect", "effect_ci_low", "effect_ci_high", "effect_kind", "margin",
                "verdict", "distance", "ci_low", "ci_high", "test", "statistic", "p_value")})
            row["units"] = row["units"] or ""
            rows.append(row)
        return pd.DataFrame(rows).set_index("metric")

    def table_rows(self):
        """Rows of the side-by-side terminal table (header first): each side's typical
        value, the effect size with its interval, the margin and the verdict."""
        level = int(round(100 * (1 - 2 * self.scale.get("verdicts", {}).get("alpha", 0.05))))
        rows = [("metric", *self.side_labels, "units", f"effect [{level}% CI]", "margin",
                 "verdict")]
        df = self.to_frame()
        summaries = [self.summary_of(side) for side in self.sides]
        wf = [s.get("summary", {}).get("wave_fraction") for s in summaries]
        neff = [s.get("summary", {}).get("pooled", {}).get("n_eff_wave_frames")
                for s in summaries]
        if neff[-1] is None:
            neff[-1] = self.distances.get("speed", {}).get("n_eff_recording")
        rows.append(("wave fraction", *(_fmt_value(x) for x in wf), "", "", "", ""))
        rows.append(("eff. wave frames", *("-" if x is None else f"{x:.0f}" for x in neff),
                     "independent", "", "", ""))
        for m, r in df.iterrows():
            d = self.distances.get(m, {})
            units = "most frequent" if m == "patterns" else r["units"]
            verdict = r["verdict"] or "-"
            if d.get("few_frames"):
                verdict += " *"
            if d.get("same_evidence_as"):
                verdict += f" (={d['same_evidence_as']})"
            rows.append((m, *(_fmt_value(r[side]) for side in self.sides), units,
                         format_effect(d), format_margin(d), verdict))
        return rows

    def footnotes(self):
        """Notes under the table: metrics resting on too few independent frames, and
        rows that carry the same evidence as another."""
        notes = [f"* {m}: {d['note']}" for m, d in self.distances.items() if d.get("few_frames")]
        for m, d in self.distances.items():
            if d.get("same_evidence_as"):
                notes.append(f"(={d['same_evidence_as']}) {m}: {d['evidence_note']}")
        return notes

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


#: Column labels of the sides of a comparison.
SIDE_LABELS = {"model": "model", "cut_coupling": "cut coupling", "untrained": "untrained",
               "recording": "recording"}


def _fmt_value(x, fmt=".3g"):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return x if isinstance(x, str) else format(x, fmt)


def format_effect(d, *, dash="-"):
    """The effect of one ``distances`` entry as text: ``x0.98 [0.95, 1.02]`` for a ratio,
    ``+0.03 [0.01, 0.05]`` for a difference, ``4.1 [0, 7.9]`` for a distance."""
    e = d.get("effect")
    if e is None or not np.isfinite(e):
        return dash
    lo, hi = d.get("effect_ci_low"), d.get("effect_ci_high")
    kind = d.get("effect_kind")
    head = {"ratio": f"x{e:.3g}", "difference": f"{e:+.3g}"}.get(kind, f"{e:.3g}")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return head
    return f"{head} [{lo:.3g}, {hi:.3g}]"


def format_margin(d, *, dash="-"):
    """The equivalence margin of one ``distances`` entry: ``x1.25``, ``+-0.1``, ``<20``."""
    m = d.get("margin")
    if m is None:
        return dash
    return {"ratio": f"x{m:g}", "difference": f"+-{m:g}"}.get(d.get("effect_kind"), f"<{m:g}")


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


def _block(side):
    """Bootstrap block and effective-size divisor of a side: frames per median cycle."""
    b = side.frame_rate * side.period
    return max(1, int(round(b))) if np.isfinite(b) else 1


def common_values(side, side_name, scale, metrics):
    """One side's values of each metric in the common units of ``scale``.

    Lengths are divided by the extent of the region each value was measured on.
    """
    out = {}
    for m in metrics:
        v = side.values[m]
        if m != "patterns":
            v = convert(v, metric="speed" if m == "pattern_speed" else m, side=side_name,
                        scale=scale, extent=side.extent_of(m))
        out[m] = v
    return out


def _metric_tau(metric, values, groups, kind):
    """Integrated autocorrelation time (in values) of one side's series of ``metric``."""
    tau = _stats.autocorrelation_time
    if metric == "patterns":
        v = np.asarray(values).astype(str)
        cats, counts = np.unique(v, return_counts=True)
        common = [c for c, n in zip(cats, counts) if 0.05 <= n / max(1, v.size) <= 0.95]
        return max([tau((v == c).astype(float), groups=groups) for c in common], default=1.0)
    v = np.asarray(values, float)
    if metric == "direction":
        r = np.deg2rad(v)
        return max(tau(np.cos(r), groups=groups), tau(np.sin(r), groups=groups))
    if kind == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)
    return tau(v, groups=groups)


def effect_of(metric, scale, margins=None):
    """The effect size, its equivalence margin and why, for ``metric`` under ``scale``.

    Returns
    -------
    kind : {"ratio", "difference", "distance"}
    margin : float
    note : str
        The margin in words (reported in the JSON and the report).
    """
    margins = dict(margins or {})
    if metric == "frequency" and scale.frequency_units != "Hz":
        kind, margin = "distance", margins.get("frequency", FREQUENCY_SHAPE_MARGIN)
        note = (f"W1 distance of frequency / median frequency below {margin:g}: the shape of "
                "the rhythm (its absolute value needs model_dt)")
        return kind, float(margin), note
    kind = EFFECT_KINDS[metric]
    margin = float(margins.get(metric, MARGINS[metric]))
    if kind == "ratio":
        note = f"medians within a factor {margin:g} ({1 / margin:.3g} to {margin:g})"
    elif kind == "difference":
        note = f"medians within {margin:g} of each other"
    elif metric == "direction":
        note = (f"direction distributions within {margin:g} deg (circular W1 after aligning "
                "the mean directions: arrays share no common orientation)")
    else:
        note = f"total variation of the pattern fractions below {margin:g}"
    return kind, margin, note


def _check_margins(margins, *, frequency_in_hz=False):
    """Validate user margins; the frequency margin is a factor only when frequencies are
    compared in Hz (with ``model_dt``), else a W1 distance of relative frequencies."""
    if margins is None:
        return {}
    if not isinstance(margins, dict):
        raise NeurowaveTypeError(f"`margins` must be a dict of metric -> margin, e.g. "
                        f"{{'speed': 1.5}}, got {type(margins).__name__}.")
    out = {}
    for m, v in margins.items():
        if m not in MARGINS:
            raise NeurowaveError(f"`margins` has an unknown metric {m!r}; use one of "
                             f"{', '.join(MARGINS)}.")
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise NeurowaveError(f"The margin of {m} must be a number, got {v!r}.") from None
        ratio = EFFECT_KINDS[m] == "ratio" and (m != "frequency" or frequency_in_hz)
        if ratio and not v > 1:
            raise NeurowaveError(f"The margin of {m} is a factor and must be above 1 (e.g. 1.5), "
                             f"got {v!r}.")
        if not v > 0 or not np.isfinite(v):
            raise NeurowaveError(f"The margin of {m} must be a positive number, got {v!r}.")
        out[m] = v
    return out


def compare_metrics(values_a, side_a, values_b, side_b, *, metrics, scale, margins=None,
                    n_boot=500, ci=0.95, alpha=0.05, seed=0):
    """Effect sizes, verdicts, distances and tests of side A against side B, per metric.

    ``values_a``/``values_b`` are :func:`common_values` of the two sides; ``side_a`` and
    ``side_b`` their pooled frames (trial labels, frames per cycle). Side A is the model
    (or a control of it), side B the recording; the keys of the result say
    ``model``/``recording`` whichever side A is.
    """
    cycle_a, cycle_b = _block(side_a), _block(side_b)
    units_of = {"speed": scale.speed_units, "pgd": "", "wavelength": scale.wavelength_units,
                "frequency": scale.frequency_units, "pattern_speed": scale.speed_units}
    distances = {}
    for m in metrics:
        a, b = values_a[m], values_b[m]
        ga, gb = side_a.groups[m], side_b.groups[m]
        kind, margin, margin_note = effect_of(m, scale, margins)
        # blocks: a median cycle of frames, or longer where the metric's own
        # autocorrelation lasts longer (then fewer frames are independent)
        tau_a, tau_b = _metric_tau(m, a, ga, kind), _metric_tau(m, b, gb, kind)
        ba, bb = max(cycle_a, int(np.ceil(tau_a))), max(cycle_b, int(np.ceil(tau_b)))
        kw = dict(block_a=ba, block_b=bb, n_boot=n_boot, ci=ci, seed=seed, alpha=alpha)
        if m == "direction":
            d = _stats.compare_circular(a, b, groups_a=ga, groups_b=gb, margin=margin, **kw)
            d["note"] = ("directions are in each array's own frame; the verdict compares the "
                         "shape of the two distributions with their mean directions aligned")
        elif m == "patterns":
            d = _stats.compare_categorical(a, b, categories=_patterns(), groups_a=ga,
                                           groups_b=gb, margin=margin, **kw)
        else:
            if m == "frequency" and kind == "distance":
                # W1 of frequency / own median: the effect is the linear distance itself
                d = _stats.compare_linear(a, b, groups_a=ga, groups_b=gb, units=units_of[m],
                                          effect="distance", margin=margin, **kw)
            else:
                d = _stats.compare_linear(a, b, groups_a=ga, groups_b=gb, units=units_of[m],
                                          effect=kind, margin=margin, **kw)
        d["margin_note"] = margin_note
        d["over"] = ("wave frames" if m in WAVE_FRAME_METRICS else
                     "frames classified planar, radial or rotating (pattern fits)"
                     if m == "pattern_speed" else "all analysed frames")
        d["block_model"], d["block_recording"] = ba, bb
        d["autocorrelation_time_model"], d["autocorrelation_time_recording"] = tau_a, tau_b
        few = [f"{side} {int(d.get('n_' + side, 0))} frames (effective "
               f"{d.get('n_eff_' + side, 0):.1f})" for side in ("model", "recording")
               if d.get("n_eff_" + side) is not None and d["n_eff_" + side] < MIN_EFFECTIVE]
        d["few_frames"] = bool(few)
        if few:
            d["note"] = (f"too few independent frames for the interval and the verdict to "
                         f"mean much: {', '.join(few)}")
            if d.get("verdict") is not None:
                d["verdict"] = "undecided"
        if m == "speed" and scale.mode != "physical":
            d["same_evidence_as"] = "wavelength"
            d["evidence_note"] = (
                "without model_dt and model_dx, speed x period / region extent is the "
                "wavelength in region widths up to the spread of the period: one piece of "
                "evidence with the wavelength row, not a second one")
        distances[m] = d
    return distances


def compare(model, recording, *, band=None, model_band=None, model_dt=None, model_dx=None,
            positions=None, read_options=None, samples=None, units=None, steps=None,
            model_sites=None, controls=True, max_trials=None, n_boot=500, ci=0.95, seed=0,
            progress=False, margins=None, alpha=0.05,
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
    read_options : dict | None
        Further keywords of :func:`neurowave.io.read` for a recording read from a file
        (e.g. ``frame_rate`` and ``pixel_size`` of an image stack).
    samples, units : int | list of int | None
        Which model samples and hidden units to pool (None: all).
    steps : int | None
        Measure the model's first ``steps`` steps (default: twice its trained horizon,
        or all recorded steps).
    model_sites : {"objects", "foreground", "all"} | None
        Each object of each sample on its own (default; an export without a ``label``
        map falls back to the whole grid and says so), the objects' cells together
        (``label > 0``), or the whole grid (see :func:`analyze_model`). Scale-free
        lengths are relative to the extent of the region each trial measured (an
        object's cells, the objects' cells, the whole grid).
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
    margins : dict | None
        Equivalence margins by metric, replacing those of :data:`MARGINS` (a factor
        above 1 for ``speed``, ``wavelength``, ``pattern_speed`` and ``frequency`` in
        Hz; PGD units for ``pgd``; degrees for ``direction``; a fraction for
        ``patterns``; for the scale-free ``frequency`` row, the W1 distance of
        frequency / median frequency).
    alpha : float
        Level of each one-sided test of the verdicts (the effects' intervals are
        ``1 - 2 alpha``).
    **analyze_kw
        Passed to :func:`neurowave.waves.analyze` on both sides (e.g. ``phase_method``,
        ``pgd_threshold``, ``n_surrogates``; ``kw=True`` adds each side's k-omega peak,
        the model's over whole hidden grids, and ``distances["kw"]``, which compares
        them).

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

    >>> from neurowave.compare._simdata import simulate_model_export
    >>> from neurowave.datasets import simulate_wave
    >>> model = simulate_model_export("planar", speed=0.3, frequency=0.05, n_steps=100,
    ...                               n_samples=1, n_units=2, seed=0)
    >>> rec, _ = simulate_wave("planar", speed=0.015, frequency=10, duration=1.0,
    ...                        sampling_rate=200, snr_db=10, seed=0)
    >>> res = compare(model, rec, n_boot=50)
    >>> d = res.distances["wavelength"]
    >>> d["units"], round(d["median_model"], 1), round(d["median_recording"], 1)
    ('region widths', 0.4, 0.4)
    >>> d["verdict"], d["margin"]
    ('equivalent', 1.25)
    """
    from ..waves import analyze

    validate_type(n_boot, "int", "n_boot")
    margins = _check_margins(margins, frequency_in_hz=model_dt is not None)
    if not 0 < alpha < 0.5:
        raise NeurowaveError(f"`alpha` must be between 0 and 0.5 (e.g. 0.05), got {alpha!r}.")
    if max_trials is not None:
        validate_type(max_trials, "int", "max_trials")
        if max_trials < 1:
            raise NeurowaveError(f"`max_trials` must be at least 1 or None, got {max_trials}.")
    ds = load_model_export(model)
    rec, rec_info = load_recording(recording, positions=positions, read_options=read_options)
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

    want_kw = bool(analyze_kw.pop("kw", False))  # k-omega peaks: below, whole grids
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
    sides = {"model": model_side, "recording": rec_side}
    values = {name: common_values(side, name, scale, metrics) for name, side in sides.items()}
    controls_d = _control_results(ctrl, man, scale, rec_side, metrics, model_dt, model_dx,
                                  controls, ds)
    for name, c in ctrl.items():
        values[name] = controls_d.pop(f"_values_{name}")
    distances = compare_metrics(values["model"], model_side, values["recording"], rec_side,
                                metrics=metrics, scale=scale, margins=margins, n_boot=n_boot,
                                ci=ci, alpha=alpha, seed=seed)
    ba, bb = _block(model_side), _block(rec_side)

    if want_kw:  # compare(..., kw=True): both sides' k-omega peaks
        from ._kw import kw_compare

        model_summary["kw"], rec_summary["kw"], distances["kw"] = kw_compare(
            ds, rec, rec_summary, model_band=mband, scale=scale, model_side=model_side,
            rec_side=rec_side)

    scale_d = scale.to_dict()
    scale_d["model_band"] = list(mband) if mband is not None else None
    scale_d["model_band_source"] = mband_source
    model_summary.setdefault("params", {})["band_source"] = mband_source
    scale_d["model_extent_range"] = [float(model_side.extents.min()),
                                     float(model_side.extents.max())]
    scale_d["extent_of"] = ("the analysed region: the valid (not all-NaN) sites of each "
                            "analysed grid")
    scale_d["bootstrap"] = {"n_boot": n_boot, "ci": ci, "seed": seed,
                            "block_model_frames": ba, "block_recording_frames": bb,
                            "method": "hierarchical bootstrap: trials drawn with replacement, "
                                      "then circular blocks within each of one median cycle "
                                      "or, where longer, the metric's integrated "
                                      "autocorrelation time (per metric: distances[m]"
                                      "['block_model'], ['block_recording'])"}
    scale_d["verdicts"] = {
        "alpha": alpha, "effect_ci": 1 - 2 * alpha,
        "margins": {m: distances[m].get("margin") for m in metrics},
        "rule": ("equivalent: the effect's 1 - 2 alpha interval lies inside the margin (two "
                 "one-sided tests); different: it lies wholly beyond the margin; otherwise "
                 "undecided (also whenever a side has fewer than "
                 f"{MIN_EFFECTIVE:g} effective frames)"),
    }
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
        out[f"_values_{name}"] = common_values(c.side, name, cs, metrics)
        out[name] = c.summary
    if "cut_coupling" in ctrl:
        units, sentence = coupling_reading(man.summary, ctrl["cut_coupling"].summary)
        out["coupling"] = {"units": units, "sentence": sentence}
    out["description"] = {name: str(ds[f"hidden_{name}"].attrs.get("long_name", name))
                          .removeprefix("control: ") for name in ctrl}
    return out
