"""What of a model export is measured: the objects of its ``label`` map, the
:class:`ModelView` chosen by :func:`resolve_view` (sites, samples, units, steps,
trials), and the wave grid of each trial (:func:`trial_grid`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._model_sites import DEFAULT_SITES, MODEL_SITES
from .._validate import NeurowaveError, NeurowaveTypeError, check_option, validate_type

__all__ = [
    "MODEL_SITES",
    "DEFAULT_SITES",
    "WAVE_FRAMES",
    "SPEED_ESTIMATORS",
    "MIN_OBJECT_CELLS",
    "CROP_MARGIN",
    "VIEW_OPTIONS",
    "object_masks",
    "ModelView",
    "resolve_view",
    "as_view",
    "trial_grid",
    "whole_hidden_grid",
]

#: the keywords of :func:`resolve_view` that a ``view=`` mapping may hold
VIEW_OPTIONS = ("model_sites", "samples", "units", "steps", "max_trials", "wave_frames")

#: The definitions of a wave frame, the default first: a frame classified as a moving
#: pattern (planar, radial or rotating fit), or a frame whose PGD passes the threshold
#: and the surrogate test. :func:`neurowave.compare.compare` applies one of them to the
#: model, its controls and the recording alike (the methods page says why
#: ``"patterns"`` is the default).
WAVE_FRAMES = ("patterns", "pgd")

#: The speed estimator that goes with each definition of a wave frame (one on every
#: side of a comparison, echoed as ``params["speed_estimator"]``).
SPEED_ESTIMATORS = {
    "patterns": (
        "pattern fit per frame (planar |omega|/|k|, radial |omega|/|slope|, "
        "rotating |omega| x radius)"
    ),
    "pgd": "|mean dphi/dt| / |mean grad phi| per frame",
}

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
        Frames classified as a moving pattern (the default), or frames passing the PGD
        threshold and surrogate test (:data:`WAVE_FRAMES`); :func:`compare` applies the
        same definition to the recording.
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

    @property
    def speed_estimator(self):
        """The speed estimator of :attr:`wave_frames` (:data:`SPEED_ESTIMATORS`)."""
        return SPEED_ESTIMATORS[self.wave_frames]

    def describe(self):
        """One line for the terminal."""
        what = {
            "objects": "each object of each sample on its own",
            "foreground": "the objects' cells (label > 0)",
            "all": "the whole grid",
        }[self.sites]
        horizon = f", trained horizon T = {self.n_steps_trained}" if self.n_steps_trained else ""
        wf = (
            "wave frame = moving pattern (planar/radial/rotating fit)"
            if self.wave_frames == "patterns"
            else "wave frame = PGD threshold + surrogates"
        )
        return (
            f"{what}; steps 1-{self.steps}{horizon}; samples {_span(self.samples)}, "
            f"units {_span(self.units)}; {len(self.trials)} trials; {wf}"
        )

    def to_dict(self):
        return {
            "wave_frames": self.wave_frames,
            "speed_estimator": self.speed_estimator,
            "model_sites": self.sites,
            "requested_model_sites": self.requested_sites,
            "samples": list(self.samples),
            "units": list(self.units),
            "steps": self.steps,
            "n_steps_trained": self.n_steps_trained,
            "n_steps_recorded": self.n_steps_recorded,
            "n_trials": len(self.trials),
            "n_trials_available": self.n_trials_total,
            "notes": list(self.notes),
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


def _attr_json(ds, name):
    """An attr that an export stores as a mapping (in memory) or as JSON (in netCDF)."""
    v = ds.attrs.get(name)
    if isinstance(v, str):
        try:
            v = json.loads(v[5:] if v.startswith("json:") else v)
        except ValueError:
            return None
    return v


def _default_steps(ds, n_rec, trained, notes):
    """The default window: the trained horizon T, or the whole recorded window where it
    is longer and the export shows the states bounded in it (issue 33)."""
    want = int(ds.attrs.get("analysis_steps") or n_rec)
    if not trained:
        return min(want, n_rec)
    if n_rec < trained:
        notes.append(
            f"the export records {n_rec} steps, fewer than the trained horizon "
            f"({trained}); re-export with `neurowave export` for the default window"
        )
        return n_rec
    if want <= trained:
        return min(want, n_rec)
    bounded = _attr_json(ds, "states_bounded")
    if isinstance(bounded, Mapping) and bounded.get("hidden") is True:
        return min(want, n_rec)
    notes.append(
        f"the export records {want} steps but does not show the states bounded "
        f"past the trained horizon T = {trained}; the default window is T (pass "
        "--steps to analyse a longer one)"
    )
    return trained


def _trained_steps(ds):
    t = ds.attrs.get("n_steps_trained")
    if t is None:
        cfg = _attr_json(ds, "config")
        if (
            isinstance(cfg, dict)
            and "n_steps" in cfg
            and ds.attrs.get("model") in ("cornn", "convlstm")
        ):
            t = cfg["n_steps"]
    try:
        return None if t is None else int(t)
    except (TypeError, ValueError):
        return None


def resolve_view(
    ds,
    *,
    model_sites=None,
    samples=None,
    units=None,
    steps=None,
    max_trials=None,
    wave_frames=None,
    seed=0,
):
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
        window the export records (``attrs["analysis_steps"]`` where
        ``neurowave export --steps`` set it) where it lies within the trained horizon
        T or the export shows the states bounded in it (``attrs["states_bounded"]``),
        else T (:func:`neurowave.models.default_steps`): a model's states are only
        known to stay bounded where it was trained.
    max_trials : int | None
        Measure at most this many trials, drawn with ``seed`` (None: all).
    wave_frames : {"patterns", "pgd"} | None
        The definition of a wave frame (:data:`WAVE_FRAMES`; None: ``"patterns"``,
        whatever the sites): a frame classified as a moving pattern, with the speed of
        its pattern fit, or a frame passing the PGD threshold and the surrogate test,
        with the gradient speed.

    Returns
    -------
    ModelView
    """
    wave_frames = WAVE_FRAMES[0] if wave_frames is None else wave_frames
    check_option("wave_frames", wave_frames, WAVE_FRAMES)
    if max_trials is not None:
        validate_type(max_trials, "int", "max_trials")
        if max_trials < 1:
            raise NeurowaveError(f"`max_trials` must be at least 1 or None, got {max_trials}.")
    explicit = model_sites is not None
    if model_sites is None:
        model_sites = ds.attrs.get("model_sites") or DEFAULT_SITES
    check_option("model_sites", model_sites, MODEL_SITES)
    notes = []
    n_rec = int(ds.sizes["time"])
    ss = _indices(samples, int(ds.sizes["sample"]), "sample", "--sample")
    uu = _indices(units, int(ds.sizes["unit"]), "unit", "--unit")
    trained = _trained_steps(ds)
    if steps is None:
        steps = _default_steps(ds, n_rec, trained, notes)
    else:
        validate_type(steps, "int", "steps")
        if not 2 <= steps <= n_rec:
            raise NeurowaveError(
                f"--steps {steps} is out of range: the export records {n_rec} steps; pass "
                f"2-{n_rec}, or re-export with `neurowave export ... --steps {steps}`."
            )
    sites = model_sites
    has_label = "label" in ds.data_vars and set(ds["label"].dims) == {"sample", "y", "x"}
    if sites in ("objects", "foreground") and not has_label and (sites == "foreground" or explicit):
        raise NeurowaveError(
            f"--model-sites {sites} needs the export's `label` object map, which this "
            "export lacks (written by an older neurowave or not by `neurowave export`); "
            "re-export the model with `neurowave export`, or pass --model-sites all."
        )
    if sites == "objects" and not has_label:
        sites = "all"
        notes.append(
            "the export has no `label` object map (an older export or a "
            "simulation), so the whole grid was measured; re-export with "
            "`neurowave export` to measure each object on its own"
        )
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
        sites=sites,
        requested_sites=model_sites,
        samples=ss,
        units=uu,
        steps=int(steps),
        n_steps_trained=trained,
        n_steps_recorded=n_rec,
        trials=trials,
        wave_frames=wave_frames,
        masks=masks,
        notes=notes,
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
    s, k, u = trial
    if variable == "hidden":
        g = whole_hidden_grid(ds, s, u)
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


def whole_hidden_grid(ds, sample, unit):
    """The whole hidden grid of one (sample, unit) of a model export, as a wave grid
    (:func:`neurowave.models.hidden_grid` where the models import, else built here)."""
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
        h.data,
        sampling_rate=float(ds.attrs.get("sampling_rate", 1.0)),
        x=ds["x"].values,
        y=ds["y"].values,
        t0=float(ds["time"].values[0]),
        time_units="step",
        space_units="cell",
        kind="model",
        source=str(ds.attrs.get("source", ds.attrs.get("model", "model"))),
        attrs=attrs,
    )


def as_view(ds, view=None, *, seed=0):
    """The :class:`ModelView` of ``ds`` that ``view`` asks for.

    Parameters
    ----------
    ds : xarray.Dataset
        A model export.
    view : ModelView | dict | None
        A view already resolved (used as it is: e.g. the trained model's, for its
        controls), the keywords of :func:`resolve_view` (:data:`VIEW_OPTIONS`), or None
        for the export's default view.
    seed : int
        Seed of the trial draw (``max_trials``).

    Returns
    -------
    ModelView
    """
    if isinstance(view, ModelView):
        return view
    if view is None:
        view = {}
    if not isinstance(view, Mapping):
        raise NeurowaveTypeError(
            "`view` must be a ModelView (from resolve_view) or a dict of "
            f"{', '.join(VIEW_OPTIONS)}, got {type(view).__name__}."
        )
    unknown = sorted(set(view) - set(VIEW_OPTIONS))
    if unknown:
        raise NeurowaveError(f"`view` has unknown keys {unknown}; use {', '.join(VIEW_OPTIONS)}.")
    return resolve_view(ds, seed=seed, **view)
