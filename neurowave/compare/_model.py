"""Model exports measured the way that sees their waves: object by object, within the
trained horizon, in one band from the pooled model spectrum.

A wave RNN that segments images carries its waves *inside* the objects (pieces,
digits): each object is a medium of its own, bounded by the background. Over the
whole grid these waves cancel (at most a few percent of frames show one pattern), and
over a whole object a wave that enters from all of its edges has a PGD near zero. So
by default (:data:`DEFAULT_SITES` ``"objects"``) each object of each sample
(a connected region of one class in the export's ``label`` map) is measured as a
region of its own, every cell outside it NaN; a frame is a *wave frame* when
:func:`neurowave.waves.classify_patterns` calls it a moving pattern (planar,
radial_out, radial_in or rotating), and its speed is the speed of that pattern's fit
(cells/step; radial and rotating waves take their speeds from the pattern
fits). Validated on simulated piece-confined plane, radial and synchronous activity
(tests/compare/test_model_view.py) and, causally, by cutting the model's coupling
(:func:`neurowave.models.cut_coupling`).

Samples, objects and units are pooled as trials; the JSON has a per-unit breakdown.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._validate import NeurowaveError, check_band, check_option, validate_type

__all__ = ["analyze_model", "ModelAnalysis", "ModelView", "resolve_view", "object_masks",
           "MODEL_SITES", "DEFAULT_SITES", "WAVE_PATTERNS"]

#: How a model export's cells are measured: each object on its own, the objects' cells
#: together, or the whole grid.
from .._model_view import DEFAULT_SITES, MODEL_SITES  # noqa: E402
#: Patterns that move: a frame classified as one of them is a wave frame of the
#: objects view.
WAVE_PATTERNS = ("planar", "radial_out", "radial_in", "rotating")
#: Half-width of the model band around the pooled spectral peak, relative to the peak,
#: at least: as for recordings (:func:`neurowave.waves.choose_band`). Short trials get
#: a wider band (see :func:`choose_model_band`).
MODEL_BAND_FRACTION = 0.15
#: ... and at most.
MAX_BAND_FRACTION = 0.45
#: Fewest cells an object needs to be measured (a tetromino of the smallest task has 4).
MIN_OBJECT_CELLS = 4


def object_masks(label, *, min_cells=MIN_OBJECT_CELLS):
    """The objects of one label map: connected regions of one class each.

    Parameters
    ----------
    label : array (y, x) of int
        Class per cell, 0 = background.
    min_cells : int
        Objects with fewer cells are left out.

    Returns
    -------
    list of ndarray of bool, shape (y, x)

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((6, 6), int); lab[0:2, 0:2] = 1; lab[3:6, 3:5] = 2; lab[0, 5] = 2
    >>> [int(m.sum()) for m in object_masks(lab)]
    [4, 6]
    """
    from scipy import ndimage

    lab = np.asarray(label)
    out = []
    for c in np.unique(lab):
        if c <= 0:
            continue
        comp, n = ndimage.label(lab == c)
        for k in range(1, n + 1):
            m = comp == k
            if m.sum() >= min_cells:
                out.append((np.argwhere(m)[0].tolist(), m))
    out.sort(key=lambda t: t[0])  # reading order of each object's first cell
    return [m for _, m in out]


@dataclass
class ModelView:
    """How a model export is measured (echoed in ``params["model_view"]``).

    Attributes
    ----------
    sites : {"objects", "foreground", "all"}
        What was measured (after any fallback).
    requested_sites : str
    samples, units : list of int
    steps : int
        The first ``steps`` steps of each trial.
    n_steps_trained, n_steps_recorded : int | None
    trials : list of (sample, object, unit)
        ``object`` is the index of the object in its sample (-1: whole grid or all
        objects' cells together).
    wave_frames : {"patterns", "pgd"}
        Frames classified as a moving pattern, or frames passing the PGD threshold and
        surrogate test (whole-grid views, as for recordings).
    notes : list of str
    """

    sites: str
    requested_sites: str
    samples: list
    units: list
    steps: int
    n_steps_trained: int | None
    n_steps_recorded: int
    trials: list
    wave_frames: str
    masks: dict = field(repr=False, default_factory=dict)
    notes: list = field(default_factory=list)
    n_trials_total: int = 0

    def describe(self):
        """One line for the terminal."""
        what = {"objects": "each object of each sample on its own",
                "foreground": "the objects' cells (label > 0)",
                "all": "the whole grid"}[self.sites]
        horizon = (f", trained horizon T = {self.n_steps_trained}"
                   if self.n_steps_trained else "")
        wf = ("wave frame = moving pattern (planar/radial/rotating fit)"
              if self.wave_frames == "patterns" else "wave frame = PGD threshold + surrogates")
        return (f"{what}; steps 1-{self.steps}{horizon}; samples {_span(self.samples)}, "
                f"units {_span(self.units)}; {len(self.trials)} trials; {wf}")

    def to_dict(self):
        return {
            "model_sites": self.sites, "requested_model_sites": self.requested_sites,
            "samples": list(self.samples), "units": list(self.units), "steps": self.steps,
            "n_steps_trained": self.n_steps_trained, "n_steps_recorded": self.n_steps_recorded,
            "n_trials": len(self.trials), "n_trials_available": self.n_trials_total,
            "wave_frames": self.wave_frames, "notes": list(self.notes),
            "description": self.describe(),
        }


def _span(idx):
    idx = list(idx)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{idx[0]}-{idx[-1]}"
    return ", ".join(map(str, idx))


def _indices(sel, n, name, flag):
    if sel is None:
        return list(range(n))
    vals = [sel] if np.isscalar(sel) else list(sel)
    out = []
    for v in vals:
        validate_type(v, "int", name)
        v = int(v)
        if not 0 <= v < n:
            raise NeurowaveError(
                f"{flag} {v} is out of range: the export holds {n} {name}s "
                f"(0-{n - 1}); pass one of them, or leave {flag} out to pool all."
            )
        out.append(v)
    return sorted(set(out))


def _trained_steps(ds):
    t = ds.attrs.get("n_steps_trained")
    if t is None:
        cfg = ds.attrs.get("config")
        if isinstance(cfg, str):
            try:
                cfg = json.loads(cfg[5:] if cfg.startswith("json:") else cfg)
            except ValueError:
                cfg = None
        if isinstance(cfg, dict) and "n_steps" in cfg and ds.attrs.get("model") in (
                "cornn", "convlstm"):
            t = cfg["n_steps"]
    try:
        return None if t is None else int(t)
    except (TypeError, ValueError):
        return None


def resolve_view(ds, *, model_sites=None, samples=None, units=None, steps=None,
                 max_trials=None, seed=0):
    """Decide what of a model export is measured; raise one sentence on a bad choice.

    Parameters
    ----------
    ds : xarray.Dataset
        A model export.
    model_sites : {"objects", "foreground", "all"} | None
        ``"objects"`` (default): each object of each sample (``label`` map) on its own;
        an export without ``label`` (older versions, simulations) falls back to the
        whole grid and says so. None: the export's own default view
        (``attrs["model_sites"]``, set by ``neurowave export --model-sites``), else
        ``"objects"``.
    samples, units : int | list of int | None
        Which samples and hidden units (None: all).
    steps : int | None
        Measure the first ``steps`` steps. Default: the export's
        ``attrs["analysis_steps"]`` (``neurowave export --steps``), else twice the
        trained horizon (:func:`neurowave.models.default_steps`) where the export
        records it, else all recorded steps.
    max_trials : int | None
        Measure at most this many trials, drawn with ``seed`` (None: all).

    Returns
    -------
    ModelView
    """
    explicit = model_sites is not None
    if model_sites is None:
        model_sites = ds.attrs.get("model_sites") or DEFAULT_SITES
    check_option("model_sites", model_sites, MODEL_SITES)
    notes = []
    if steps is None and ds.attrs.get("analysis_steps") is not None:
        steps = int(ds.attrs["analysis_steps"])
    n_rec = int(ds.sizes["time"])
    ss = _indices(samples, int(ds.sizes["sample"]), "sample", "--sample")
    uu = _indices(units, int(ds.sizes["unit"]), "unit", "--unit")
    trained = _trained_steps(ds)
    if steps is None:
        steps = min(n_rec, 2 * trained) if trained else n_rec
        if trained and n_rec < 2 * trained:
            notes.append(f"the export records {n_rec} steps, fewer than twice the trained "
                         f"horizon ({2 * trained}); re-export with `neurowave export` for "
                         "the default window")
    else:
        validate_type(steps, "int", "steps")
        if not 2 <= steps <= n_rec:
            raise NeurowaveError(
                f"--steps {steps} is out of range: the export records {n_rec} steps; pass "
                f"2-{n_rec}, or re-export with `neurowave export ... --steps {steps}`."
            )
    sites = model_sites
    has_label = "label" in ds.data_vars and set(ds["label"].dims) == {"sample", "y", "x"}
    if sites in ("objects", "foreground") and not has_label:
        if sites == "foreground" or explicit:
            raise NeurowaveError(
                f"--model-sites {sites} needs the export's `label` object map, which this "
                "export lacks (written by an older neurowave or not by `neurowave export`); "
                "re-export the model with `neurowave export`, or pass --model-sites all."
            )
    if sites == "objects" and not has_label:
        sites = "all"
        notes.append("the export has no `label` object map (an older export or a "
                     "simulation), so the whole grid was measured; re-export with "
                     "`neurowave export` to measure each object on its own")
    masks, trials = {}, []
    for s in ss:
        if sites == "objects":
            ms = object_masks(ds["label"].isel(sample=s).values)
            masks[s] = ms
            trials += [(s, k, u) for k in range(len(ms)) for u in uu]
        elif sites == "foreground":
            masks[s] = [np.asarray(ds["label"].isel(sample=s).values) > 0]
            trials += [(s, -1, u) for u in uu]
        else:
            masks[s] = [None]
            trials += [(s, -1, u) for u in uu]
    if not trials:
        raise NeurowaveError(
            f"The selected samples hold no object of {MIN_OBJECT_CELLS} cells or more in "
            "their `label` map; pass --model-sites all to measure the whole grid."
        )
    n_total = len(trials)
    if max_trials is not None and len(trials) > max_trials:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(trials), size=int(max_trials), replace=False))
        trials = [trials[i] for i in keep]
        notes.append(f"{len(trials)} of {n_total} trials drawn (max_trials, seed {seed})")
    return ModelView(
        sites=sites, requested_sites=model_sites, samples=ss, units=uu, steps=int(steps),
        n_steps_trained=trained, n_steps_recorded=n_rec, trials=trials,
        wave_frames="patterns" if sites == "objects" else "pgd", masks=masks, notes=notes,
        n_trials_total=n_total,
    )


#: cells of NaN margin kept around an object's bounding box when its trial grid is cut
#: to it: more than the reach of the gradient's neighbourhood (1.75 cells), so every
#: local measure sees the same neighbours as on the whole grid
CROP_MARGIN = 3


def trial_grid(ds, view, trial, variable="hidden", *, whole=False, crop=True):
    """The wave grid of one trial ``(sample, object, unit)`` of ``view`` (``whole``:
    without its mask).

    An object's grid is cut to its bounding box plus :data:`CROP_MARGIN` cells (the
    cells outside the object stay NaN; coordinates are kept), so that a 64 x 64 model
    with 200-cell pieces is not analysed, and held in memory, as 4,096-site grids.
    ``crop=False`` keeps the whole grid."""
    from ._compare import _hidden_grid_all

    s, k, u = trial
    if variable == "hidden":
        g = _hidden_grid_all(ds, s, u)
    else:
        from ..models.export import hidden_grid

        g = hidden_grid(ds, sample=s, unit=u, variable=variable)
    attrs = dict(g.attrs)
    g = g.isel(time=slice(0, view.steps))
    mask = None if whole else view.masks[s][max(k, 0)]
    if mask is not None:
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        if crop and rows.size:  # cut first, so that only the box is masked
            sy = slice(max(rows[0] - CROP_MARGIN, 0), rows[-1] + CROP_MARGIN + 1)
            sx = slice(max(cols[0] - CROP_MARGIN, 0), cols[-1] + CROP_MARGIN + 1)
            ydim, xdim = g.dims[-2:]
            g, mask = g.isel({ydim: sy, xdim: sx}), mask[sy, sx]
        g = g.where(mask[None, :, :])
    g.attrs = attrs
    if k >= 0:
        g.attrs["source"] = f"{attrs.get('source', '')} object {k}"
    return g


#: trials whose spectra choose the model band (the first ones of the view)
MODEL_BAND_POOL = 64


def choose_model_band(grids, *, fraction=MODEL_BAND_FRACTION, max_pool=MODEL_BAND_POOL):
    """One band for every trial, from the pooled spectrum of their grids.

    Each site of each grid is standardised (mean removed, unit variance, so that no
    unit, object or site outweighs the others); the grids are joined along time
    (absent sites as zeros, which add no power) and zero-padded to 256 steps, and
    :func:`neurowave.waves.choose_band` takes the dominant peak ``f0`` of their
    average spectrum, no slower than two cycles of one trial. Short trials never make
    the spectrum "too short".

    The band is ``f0 (1 +- fraction)``, widened for short trials until the band-pass
    filter settles within a fifth of a trial (its response time ``1 / (2 width)`` at
    most ``n / 5`` steps, the edge that :func:`neurowave.waves.analyze` trims), up to
    ``+-45 %``: 60-step trials of the shipped CoRNN (``f0`` about 0.07 cycles/step) get
    about 0.04-0.10 cycles/step.

    Parameters
    ----------
    grids : list of xarray.DataArray
        Wave grids of equal shape (the trials).
    fraction : float
        Half-width of the band relative to the peak.

    Returns
    -------
    (float, float) | None
        None when every grid is silent.
    """
    from ..grid import make_grid, validate_grid
    from ..waves import choose_band

    parts = []
    for g in grids[:max_pool]:
        a = np.asarray(g.values, float)
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            a = a - np.nanmean(a, axis=0, keepdims=True)
            sd = np.nanstd(a, axis=0, keepdims=True)
            a = np.where(sd > 0, a / sd, 0.0)
        if not np.isfinite(a).any() or not np.nanmax(np.abs(a)) > 0:
            continue
        parts.append(np.nan_to_num(a))
    if not parts:
        return None
    g0 = grids[0]
    info = validate_grid(g0, name="model hidden grid", check_valid=False)
    data = np.concatenate(parts, axis=0)
    if data.shape[0] < 256:
        data = np.concatenate([data, np.zeros((256 - data.shape[0],) + data.shape[1:])])
    joined = make_grid(data, sampling_rate=info.sampling_rate, x=g0["x"].values,
                       y=g0["y"].values, time_units=info.time_units,
                       space_units=info.space_units, kind="model")
    how = "Pass --model-band LO HI in cycles/step"
    n = int(g0.sizes["time"])
    fmin = 2.2 / (n / info.sampling_rate) / (1 - fraction)
    try:
        band = choose_band(joined, fraction=fraction, fmin=fmin)
    except ValueError as err:
        raise NeurowaveError(f"No band stands out in the spectrum of the model's hidden units "
                         f"({str(err).rstrip('.')}). {how}.") from None
    f0 = 0.5 * (band[0] + band[1])
    wide = float(np.clip(5.0 * info.sampling_rate / (4.0 * n * f0), fraction,
                         MAX_BAND_FRACTION))
    # ... keeping two cycles of the lower edge within one trial
    wide = max(fraction, min(wide, 1.0 - 2.02 * info.sampling_rate / (n * f0)))
    if wide > fraction:
        band = (f0 * (1 - wide), min(f0 * (1 + wide), 0.49 * info.sampling_rate))
    try:
        return check_band(band, info.sampling_rate, n_times=n, name="model_band",
                          time_units=info.time_units)
    except ValueError:
        lo = 2.0 * info.sampling_rate / n * 1.001
        if lo < band[1]:
            return (float(lo), float(band[1]))
        raise NeurowaveError(
            f"The model's hidden units peak at {np.mean(band):.3g} cycles/step, too slow "
            f"for {n} steps (two cycles need {2 / band[0]:.0f}). {how}, or pass more "
            "--steps (re-export with `neurowave export ... --steps N`)."
        ) from None


def _as_pattern_frames(an):
    """Rewrite a trial's frames for the objects view: wave frame = moving pattern, its
    speed the pattern fit's, wavelength = speed / frequency; the direction stays the
    frame's direction of -mean grad phi, as for recordings (for a radial frame its net
    drift); ``pgd_is_wave`` keeps the PGD test."""
    fr = an.frames
    pats = np.asarray(fr["pattern"].values).astype(str)
    moving = np.isin(pats, WAVE_PATTERNS)
    fr["pgd_is_wave"] = fr["is_wave"].copy()
    fr["is_wave"] = ("time", moving)
    sp = np.asarray(fr["fit_speed"].values, float) if "fit_speed" in fr else np.full(
        moving.size, np.nan)
    sp = np.where(moving, sp, np.nan)
    units = fr["fit_speed"].attrs.get("units") if "fit_speed" in fr else None
    fr["speed"] = ("time", sp, {"units": units or fr["speed"].attrs.get("units", "")})
    f = np.abs(np.asarray(fr["frequency"].values, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        wl = np.where(f > 0, sp / f, np.nan)
    fr["wavelength"] = ("time", wl, dict(fr["wavelength"].attrs))

    an.frames = fr
    return an


@dataclass
class ModelAnalysis:
    """What :func:`analyze_model` found.

    Attributes
    ----------
    summary : dict
        The analyze JSON, pooled over trials, with ``params["model_view"]``
        (what was measured, :class:`ModelView`), ``summary["pooled"]`` (trials, frames,
        wave frames and effective independent wave frames) and ``summary["units"]``
        (the same measures per hidden unit).
    view : ModelView
    band : (float, float)
    analyses : list of WaveAnalysis
        One per measured trial (frames rewritten for the objects view).
    trials : list of (sample, object, unit)
        The trials measured, in the order of ``analyses``.
    skipped : list of dict
    example : WaveAnalysis
        The trial with the most wave frames (for figures).
    """

    summary: dict
    view: ModelView
    band: tuple
    analyses: list = field(repr=False)
    trials: list = field(repr=False)
    skipped: list = field(repr=False, default_factory=list)
    example: object = field(repr=False, default=None)
    side: object = field(repr=False, default=None)

    def to_json(self, path=None):
        """The summary as JSON text; written atomically to ``path`` when given."""
        from .._outputs import json_text

        return json_text(self.summary, path)

    def table(self):
        """Rows ``(measure, value)`` for the terminal: pooled, then one row per unit."""
        s = self.summary["summary"]
        p = self.summary["params"]
        pooled = s["pooled"]

        def f(v, fmt="{:.3g}"):
            return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) \
                else fmt.format(v)

        su = s["speed"]["units"]
        rows = [
            ("measured", p["model_view"]["description"]),
            ("band", f"{f(p['band'][0])}-{f(p['band'][1])} cycles/step ({p['band_source']})"),
            ("frequency", f"{f(s['frequency']['median'])} cycles/step"),
            ("PGD", f"median {f(s['pgd']['median'])}, p90 {f(s['pgd']['p90'])}"),
            ("wave frames", f"{f(100 * s['wave_fraction'], '{:.1f}')} % of "
                            f"{pooled['n_frames']} ({pooled['n_wave_frames']} frames, "
                            f"{f(pooled['n_eff_wave_frames'], '{:.0f}')} effective)"),
            ("speed", f"{f(s['speed']['median'])} {su} [{f(s['speed']['q25'])}, "
                      f"{f(s['speed']['q75'])}]"),
            ("direction", f"{f(s['direction']['mean_deg'], '{:.1f}')} deg "
                          f"(R = {f(s['direction']['resultant_length'], '{:.2f}')})"),
            ("wavelength", f"{f(s['wavelength']['median'])} {s['wavelength']['units']}"),
            ("patterns", ", ".join(f"{k} {100 * v:.0f}%" for k, v in s["patterns"].items()
                                   if v)),
        ]
        for u, r in s["units"].items():
            rows.append((f"unit {u}", f"wave fraction {f(r['wave_fraction'], '{:.2f}')}, "
                         f"speed {f(r['speed']['median'])} {su}, frequency "
                         f"{f(r['frequency'])} cycles/step, {r['n_trials']} trials"))
        for note in p["model_view"]["notes"]:
            rows.append(("note", note))
        return rows


def _unit_block(side):
    b = side.frame_rate * side.period
    return max(1, int(round(b))) if np.isfinite(b) else 1


def _unit_summary(side):
    sp = side.values["speed"]
    sp = sp[np.isfinite(sp)]
    f = side.values["frequency"]
    f = f[np.isfinite(f)]
    pats = side.values["patterns"]
    from ._compare import _patterns

    block = _unit_block(side)
    q = (lambda p: float(np.quantile(sp, p))) if sp.size else (lambda p: None)
    return {
        "wave_fraction": side.n_wave_frames / max(1, side.n_frames),
        "speed": {"median": q(0.5), "q25": q(0.25), "q75": q(0.75), "units": side.speed_units},
        "frequency": float(np.median(f)) if f.size else None,
        "patterns": {p: float(np.mean(pats == p)) if pats.size else 0.0 for p in _patterns()},
        "n_trials": side.n_trials, "n_frames": side.n_frames,
        "n_wave_frames": side.n_wave_frames,
        "n_eff_wave_frames": side.n_wave_frames / block if side.n_wave_frames else 0.0,
    }


def analyze_model(model, *, model_sites=None, samples=None, units=None, steps=None,
                  band=None, variable="hidden", max_trials=None, seed=0, view=None,
                  progress=False, path=None, **analyze_kw):
    """Measure the waves of a model export the way that sees them.

    By default each object of each sample (its ``label`` map) is a region of its own
    (cells outside it NaN), over the first ``2 T`` steps (``T`` the trained horizon),
    in one band chosen from the pooled spectrum of all trials, with wave frames those
    classified as a moving pattern (see the module docstring). Every sample, object
    and unit is a trial; the pooled measures follow the analyze JSON, and
    ``summary["units"]`` breaks them down per hidden unit.

    Parameters
    ----------
    model : xarray.Dataset | path-like
        A model export (``neurowave export``) or its netCDF file.
    model_sites : {"objects", "foreground", "all"} | None
        Each object on its own (default), the objects' cells together, or the whole
        grid. ``"foreground"`` and ``"all"`` use the PGD wave frames of recordings.
        None: the export's default view (:func:`resolve_view`).
    samples, units : int | list of int | None
        Which samples and hidden units (None: all).
    steps : int | None
        Measure the first ``steps`` steps (default: twice the trained horizon, or all).
    band : (float, float) | None
        Band in cycles/step (default: from the pooled spectrum).
    variable : str
        ``"hidden"``, or a control recorded in the export (``"hidden_cut_coupling"``,
        ``"hidden_untrained"``).
    max_trials : int | None
        Measure at most this many trials (None: all).
    seed : int
        Seed of the trial draw and surrogates.
    view : ModelView | None
        Measure exactly these trials (e.g. those of the trained model, for a control).
    progress : bool
        Show a progress bar over the trials.
    **analyze_kw
        Passed to :func:`neurowave.waves.analyze` (e.g. ``phase_method``). In the
        objects view ``n_surrogates`` defaults to 0: its wave frames do not use the
        surrogate test.

    Returns
    -------
    ModelAnalysis

    Examples
    --------
    >>> from neurowave.compare._simdata import simulate_object_export
    >>> ds = simulate_object_export(["radial_out", "synchronous"], n_samples=1, speed=0.3)
    >>> res = analyze_model(ds)
    >>> s = res.summary["summary"]
    >>> round(s["units"]["0"]["speed"]["median"], 1), s["units"]["1"]["wave_fraction"] < 0.1
    (0.3, True)
    """
    from tqdm.auto import tqdm

    from ..grid import _valid_sites, site_positions, validate_grid
    from ..waves import analyze
    from ._compare import _pool, _pooled_summary, load_model_export

    ds = load_model_export(model)
    src = str(model) if not hasattr(model, "data_vars") else str(ds.attrs.get("source", ""))
    if variable not in ds.data_vars:
        from ..models.export import hidden_grid

        hidden_grid(ds, variable=variable)  # raises the sentence naming the fix
    if view is None:
        view = resolve_view(ds, model_sites=model_sites, samples=samples, units=units,
                            steps=steps, max_trials=max_trials, seed=seed)
    kw = dict(analyze_kw)
    # model trials are short: the pattern of every step, as the objects view expects
    kw.setdefault("pattern_rate", None)
    if view.wave_frames == "patterns":
        kw.setdefault("n_surrogates", 0)
        kw["classify"] = True
    first = whole = trial_grid(ds, view, view.trials[0], variable, whole=True)
    info = validate_grid(whole, name="model hidden grid", check_valid=False)
    band_source = "user"
    if band is not None:
        band = check_band(band, info.sampling_rate, n_times=info.n_times, name="model_band",
                          time_units=info.time_units)
    else:
        band = choose_model_band([trial_grid(ds, view, t, variable, crop=False)
                                  for t in view.trials[:MODEL_BAND_POOL]])
        band_source = "pooled spectrum of the model trials"
        if band is None:
            raise NeurowaveError(
                "Every selected model trial is silent or constant; there are no waves to "
                "measure. Pass other --unit/--sample, or check the export."
            )
    analyses, used, skipped = [], [], []
    best, best_n = None, -1
    for t in tqdm(view.trials, desc=f"model trials ({variable})", disable=not progress,
                  leave=False):
        g = trial_grid(ds, view, t, variable)
        arr = np.asarray(g.values, float)
        n_valid = int(np.isfinite(arr).any(axis=0).sum())
        reason = None
        if n_valid < 3:
            reason = f"{n_valid} valid sites"
        else:
            flat = arr.reshape(arr.shape[0], -1)
            flat = flat[:, np.isfinite(flat).any(axis=0)]
            if np.nanstd(flat, axis=0).max() < 1e-12 * max(1.0, float(np.nanmax(np.abs(flat)))):
                reason = "silent or constant"
        if reason:
            skipped.append({"sample": t[0], "object": t[1], "unit": t[2], "reason": reason})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            an = analyze(g, band=band, seed=seed, **kw)
        if view.wave_frames == "patterns":
            an = _as_pattern_frames(an)
        analyses.append(an)
        used.append(t)
        n_w = int(np.asarray(an.frames["is_wave"].values, bool).sum())
        if n_w > best_n:
            best, best_n = an, n_w
    if not analyses:
        raise NeurowaveError(
            f"Every selected model trial ({len(view.trials)}) is silent, constant or has "
            "fewer than 3 valid sites; there are no waves to measure. Pass other "
            "--unit/--sample (or --model-sites all)."
        )
    side = _pool(analyses, site_positions(first), _valid_sites(first), info)
    pairs = [(s, u) for s, _, u in used]
    extra = {
        "path": path if path is not None else src,
        "source": str(ds.attrs.get("source", "")),
        "kind": "model",
        "model": ds.attrs.get("model"),
        "task": ds.attrs.get("task"),
        "variable": variable,
        "n_samples": int(ds.sizes["sample"]),
        "n_units": int(ds.sizes["unit"]),
        "model_sites": view.sites,
        "trials": [list(t) for t in used],
        "n_trials": len(used),
        "skipped_trials": skipped,
    }
    summary = _pooled_summary(analyses[0].summary, side, extra, analyses, pairs)
    summary["input"].update({"duration": float(view.steps), "n_steps_trained":
                             view.n_steps_trained})
    params = summary.setdefault("params", {})
    params["band"] = [float(band[0]), float(band[1])]
    params["band_source"] = band_source
    params["model_view"] = view.to_dict()
    if view.wave_frames == "patterns":
        params["speed_estimator"] = ("pattern fit per frame (planar |omega|/|k|, radial "
                                     "|omega|/|slope|, rotating |omega| x radius)")
    block = _unit_block(side)
    summary["summary"]["pooled"].update({
        "frames_per_cycle": block,
        "n_eff_frames": side.n_frames / block,
        "n_eff_wave_frames": side.n_wave_frames / block if side.n_wave_frames else 0.0,
    })
    per_unit = {}
    for u in view.units:
        idx = [i for i, t in enumerate(used) if t[2] == u]
        if not idx:
            continue
        su = _pool([analyses[i] for i in idx], site_positions(first), _valid_sites(first), info)
        per_unit[str(u)] = _unit_summary(su)
    summary["summary"]["units"] = per_unit
    return ModelAnalysis(summary=summary, view=view, band=tuple(band), analyses=analyses,
                         trials=used, skipped=skipped, example=best, side=side)
