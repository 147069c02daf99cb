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

import warnings
from dataclasses import dataclass, field

import numpy as np

from .._validate import NeurowaveError, check_band
from ..io.model_export import read_model_export
from ._deprecation import pop_moved
from ._metrics import WAVE_PATTERNS, pattern_names
from ._pool import frames_per_cycle, pool, pooled_summary, speed_to_native
from ._view import VIEW_OPTIONS, ModelView, as_view, trial_grid

__all__ = [
    "analyze_model",
    "ModelAnalysis",
    "as_wave_frames",
    "choose_model_band",
    "MODEL_BAND_FRACTION",
    "MAX_BAND_FRACTION",
    "MODEL_BAND_POOL",
]

#: Half-width of the model band around the pooled spectral peak, relative to the peak,
#: at least: as for recordings (:func:`neurowave.waves.choose_band`). Short trials get
#: a wider band (see :func:`choose_model_band`).
MODEL_BAND_FRACTION = 0.15
#: ... and at most.
MAX_BAND_FRACTION = 0.45


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
    joined = make_grid(
        data,
        sampling_rate=info.sampling_rate,
        x=g0["x"].values,
        y=g0["y"].values,
        time_units=info.time_units,
        space_units=info.space_units,
        kind="model",
    )
    how = "Pass --model-band LO HI in cycles/step"
    n = int(g0.sizes["time"])
    fmin = 2.2 / (n / info.sampling_rate) / (1 - fraction)
    try:
        band = choose_band(joined, fraction=fraction, fmin=fmin)
    except ValueError as err:
        raise NeurowaveError(
            f"No band stands out in the spectrum of the model's hidden units "
            f"({str(err).rstrip('.')}). {how}."
        ) from None
    f0 = 0.5 * (band[0] + band[1])
    wide = float(np.clip(5.0 * info.sampling_rate / (4.0 * n * f0), fraction, MAX_BAND_FRACTION))
    # ... keeping two cycles of the lower edge within one trial
    wide = max(fraction, min(wide, 1.0 - 2.02 * info.sampling_rate / (n * f0)))
    if wide > fraction:
        band = (f0 * (1 - wide), min(f0 * (1 + wide), 0.49 * info.sampling_rate))
    try:
        return check_band(
            band, info.sampling_rate, n_times=n, name="model_band", time_units=info.time_units
        )
    except ValueError:
        lo = 2.0 * info.sampling_rate / n * 1.001
        if lo < band[1]:
            return (float(lo), float(band[1]))
        raise NeurowaveError(
            f"The model's hidden units peak at {np.mean(band):.3g} cycles/step, too slow "
            f"for {n} steps (two cycles need {2 / band[0]:.0f}). {how}, or pass more "
            "--steps (re-export with `neurowave export ... --steps N`)."
        ) from None


def as_wave_frames(an, wave_frames):
    """Rewrite one analysis's frames under the definition of a wave frame ``wave_frames``.

    ``"pgd"``: the frames as :func:`neurowave.waves.analyze` gives them (PGD threshold
    and surrogates; speed |mean dphi/dt| / |mean grad phi|). ``"patterns"``: a wave frame
    is a frame classified as a moving pattern (its own label or, where analyze classified
    every few frames, the nearest classified frame's), its speed the pattern fit's,
    wavelength = speed / frequency; the direction stays the frame's direction of
    -mean grad phi (for a radial frame its net drift); ``pgd_is_wave`` keeps the PGD
    test. The model and the recording of a comparison go through the same rewrite.
    """
    if wave_frames == "pgd":
        return an
    fr = an.frames
    if "fit_speed" not in fr:
        raise NeurowaveError(
            "wave_frames='patterns' needs the pattern classification of every analysed "
            "frame; leave classify=True (or pass wave_frames='pgd')."
        )
    pats = np.asarray(fr["pattern"].values).astype(str)
    moving = np.isin(pats, WAVE_PATTERNS)
    fr["pgd_is_wave"] = fr["is_wave"].copy()
    fr["is_wave"] = ("time", moving)
    sp = np.where(moving, np.asarray(fr["fit_speed"].values, float), np.nan)
    units = fr["fit_speed"].attrs.get("units")
    fr["speed"] = ("time", sp, {"units": units or fr["speed"].attrs.get("units", "")})
    inp = an.summary.get("input", {})
    native = speed_to_native(sp, units, inp.get("time_units"), inp.get("space_units"))
    f = np.abs(np.asarray(fr["frequency"].values, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        wl = np.where(f > 0, native / f, np.nan)  # space units
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
            return (
                "n/a"
                if v is None or (isinstance(v, float) and not np.isfinite(v))
                else fmt.format(v)
            )

        su = s["speed"]["units"]
        rows = [
            ("measured", p["model_view"]["description"]),
            ("band", f"{f(p['band'][0])}-{f(p['band'][1])} cycles/step ({p['band_source']})"),
            ("frequency", f"{f(s['frequency']['median'])} cycles/step"),
            ("PGD", f"median {f(s['pgd']['median'])}, p90 {f(s['pgd']['p90'])}"),
            (
                "wave frames",
                f"{f(100 * s['wave_fraction'], '{:.1f}')} % of "
                f"{pooled['n_frames']} ({pooled['n_wave_frames']} frames, "
                f"{f(pooled['n_eff_wave_frames'], '{:.0f}')} effective)",
            ),
            (
                "speed",
                f"{f(s['speed']['median'])} {su} [{f(s['speed']['q25'])}, {f(s['speed']['q75'])}]",
            ),
            (
                "direction",
                f"{f(s['direction']['mean_deg'], '{:.1f}')} deg "
                f"(R = {f(s['direction']['resultant_length'], '{:.2f}')})",
            ),
            ("wavelength", f"{f(s['wavelength']['median'])} {s['wavelength']['units']}"),
            ("patterns", ", ".join(f"{k} {100 * v:.0f}%" for k, v in s["patterns"].items() if v)),
        ]
        for u, r in s["units"].items():
            rows.append(
                (
                    f"unit {u}",
                    f"wave fraction {f(r['wave_fraction'], '{:.2f}')}, "
                    f"speed {f(r['speed']['median'])} {su}, frequency "
                    f"{f(r['frequency'])} cycles/step, {r['n_trials']} trials",
                )
            )
        for note in p["model_view"]["notes"]:
            rows.append(("note", note))
        return rows


def _unit_summary(side):
    sp = side.values["speed"]
    sp = sp[np.isfinite(sp)]
    f = side.values["frequency"]
    f = f[np.isfinite(f)]
    pats = side.values["patterns"]
    block = frames_per_cycle(side)
    q = (lambda p: float(np.quantile(sp, p))) if sp.size else (lambda p: None)
    return {
        "wave_fraction": side.n_wave_frames / max(1, side.n_frames),
        "speed": {"median": q(0.5), "q25": q(0.25), "q75": q(0.75), "units": side.speed_units},
        "frequency": float(np.median(f)) if f.size else None,
        "patterns": {p: float(np.mean(pats == p)) if pats.size else 0.0 for p in pattern_names()},
        "n_trials": side.n_trials,
        "n_frames": side.n_frames,
        "n_wave_frames": side.n_wave_frames,
        "n_eff_wave_frames": side.n_wave_frames / block if side.n_wave_frames else 0.0,
    }


def _measure_trials(ds, view, variable, *, band, seed, progress, options):
    """Analyze every trial of ``view``; return ``(analyses, trials measured, skipped
    trials, the analysis with the most wave frames)``."""
    from tqdm.auto import tqdm

    from ..waves import analyze

    analyses, used, skipped = [], [], []
    best, best_n = None, -1
    for t in tqdm(
        view.trials, desc=f"model trials ({variable})", disable=not progress, leave=False
    ):
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
            an = analyze(g, band=band, seed=seed, **options)
        an = as_wave_frames(an, view.wave_frames)
        analyses.append(an)
        used.append(t)
        n_w = int(np.asarray(an.frames["is_wave"].values, bool).sum())
        if n_w > best_n:
            best, best_n = an, n_w
    return analyses, used, skipped, best


def analyze_model(
    model,
    *,
    view=None,
    band=None,
    variable="hidden",
    seed=0,
    progress=False,
    path=None,
    **analyze_kw,
):
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
    view : ModelView | dict | None
        What is measured: a :class:`ModelView` (exactly its trials, e.g. those of the
        trained model, for a control) or the keywords of :func:`resolve_view`:
        ``model_sites`` (each object on its own, the default; ``"foreground"``, the
        objects' cells together; ``"all"``, the whole grid), ``samples`` and ``units``
        (None: all), ``steps`` (default: twice the trained horizon, or all),
        ``max_trials`` (None: all) and ``wave_frames`` (``"patterns"``, the default, or
        ``"pgd"``: see :func:`as_wave_frames`).
        None: the export's default view. The keywords ``model_sites``, ``samples``,
        ``units``, ``steps`` and ``max_trials`` of earlier versions still work, with a
        FutureWarning.
    band : (float, float) | None
        Band in cycles/step (default: from the pooled spectrum).
    variable : str
        ``"hidden"``, or a control recorded in the export (``"hidden_cut_coupling"``,
        ``"hidden_untrained"``).
    seed : int
        Seed of the trial draw and surrogates.
    progress : bool
        Show a progress bar over the trials.
    **analyze_kw
        Passed to :func:`neurowave.waves.analyze` (e.g. ``phase_method``). With
        pattern wave frames ``n_surrogates`` defaults to 0: they do not use the
        surrogate test.

    Returns
    -------
    ModelAnalysis

    Examples
    --------
    >>> from neurowave.datasets import simulate_object_export
    >>> ds = simulate_object_export(["radial_out", "synchronous"], n_samples=1, speed=0.3)
    >>> res = analyze_model(ds)
    >>> s = res.summary["summary"]
    >>> round(s["units"]["0"]["speed"]["median"], 1), s["units"]["1"]["wave_fraction"] < 0.1
    (0.3, True)
    """
    from ..grid import site_positions, validate_grid

    ds = read_model_export(model)
    src = str(model) if not hasattr(model, "data_vars") else str(ds.attrs.get("source", ""))
    if variable not in ds.data_vars:
        from ..models.export import hidden_grid

        hidden_grid(ds, variable=variable)  # raises the sentence naming the fix
    moved = pop_moved(
        analyze_kw,
        VIEW_OPTIONS,
        func="analyze_model",
        new="view={...} (or view=resolve_view(ds, ...))",
        given=view,
    )
    view = as_view(ds, moved or view, seed=seed)
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
        band = check_band(
            band,
            info.sampling_rate,
            n_times=info.n_times,
            name="model_band",
            time_units=info.time_units,
        )
    else:
        band = choose_model_band(
            [trial_grid(ds, view, t, variable, crop=False) for t in view.trials[:MODEL_BAND_POOL]]
        )
        band_source = "pooled spectrum of the model trials"
        if band is None:
            raise NeurowaveError(
                "Every selected model trial is silent or constant; there are no waves to "
                "measure. Pass other --unit/--sample, or check the export."
            )
    analyses, used, skipped, best = _measure_trials(
        ds, view, variable, band=band, seed=seed, progress=progress, options=kw
    )
    if not analyses:
        raise NeurowaveError(
            f"Every selected model trial ({len(view.trials)}) is silent, constant or has "
            "fewer than 3 valid sites; there are no waves to measure. Pass other "
            "--unit/--sample (or --model-sites all)."
        )
    side = pool(analyses, site_positions(first), info)
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
    summary = pooled_summary(analyses[0].summary, side, extra, analyses, pairs)
    summary["input"].update(
        {"duration": float(view.steps), "n_steps_trained": view.n_steps_trained}
    )
    params = summary.setdefault("params", {})
    params["band"] = [float(band[0]), float(band[1])]
    params["band_source"] = band_source
    params["model_view"] = view.to_dict()
    params["wave_frames"] = view.wave_frames
    params["speed_estimator"] = view.speed_estimator
    block = frames_per_cycle(side)
    summary["summary"]["pooled"].update(
        {
            "frames_per_cycle": block,
            "n_eff_frames": side.n_frames / block,
            "n_eff_wave_frames": side.n_wave_frames / block if side.n_wave_frames else 0.0,
        }
    )
    per_unit = {}
    for u in view.units:
        idx = [i for i, t in enumerate(used) if t[2] == u]
        if not idx:
            continue
        su = pool([analyses[i] for i in idx], site_positions(first), info)
        per_unit[str(u)] = _unit_summary(su)
    summary["summary"]["units"] = per_unit
    return ModelAnalysis(
        summary=summary,
        view=view,
        band=tuple(band),
        analyses=analyses,
        trials=used,
        skipped=skipped,
        example=best,
        side=side,
    )
