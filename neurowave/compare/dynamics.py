"""Dynamics compared: Dynamical Similarity Analysis (DSA) of a model and a recording.

The wave statistics of :func:`neurowave.compare.compare` ask whether a model's waves
*look* like a recording's; DSA (Ostrow et al., NeurIPS 2023) asks whether the two
systems *evolve* alike, up to a change of coordinates. Each side is reduced to a
low-dimensional trajectory and a linear operator is fitted to its delay embedding
(HAVOK dynamic mode decomposition); two operators are compared by a distance that is
invariant to an invertible change of coordinates of the state (by default the
Wasserstein distance between their eigenvalue spectra: oscillation frequencies and
damping rates per sample of a common time base). Fitting and distance are those of
the ``dsa-metric`` package (import name ``DSA``).

What is done to each side (every choice is a field of :class:`DynamicsSettings`,
echoed in the result):

1. Sites (recording electrodes; model cells of every hidden unit) are standardised
   (mean removed, unit variance); absent (all-NaN) sites are left out.
2. Band-pass around the side's band centre ``fc`` with half-width
   ``band_fraction * fc`` (the same *relative* width on both sides, wider than the
   wave-measure bands so that damping, which widens a spectral peak, stays visible),
   then principal components: the ``n_components`` strongest of each side, from its
   own data (DSA does not need the two sides in the same coordinates).
3. ``signal="analytic"``: the analytic signal of each component, real and imaginary
   parts as features (``2 n_components``); ``"raw"``: the band-passed components.
4. One time base: with the model's step known (``model_dt``, seconds, or the export's
   ``attrs["model_dt"]``), both sides are resampled to ``samples_per_cycle`` samples per
   cycle of the faster side's band centre, in physical time, so that a model
   oscillating at 20 Hz and a recording at 35 Hz come out different. Without it, each
   side is resampled to ``samples_per_cycle`` samples per cycle of *its own* band
   centre: dynamics are compared in units of each side's own period (like the
   scale-free speed of :mod:`neurowave.compare.scale`), so that a frequency difference
   alone does not count (the ``frequency`` row reports it).
5. ``trim_cycles`` cycles at each end of every trajectory are dropped (filter edges).
6. DMD on a delay embedding of ``n_delays`` samples, truncated to ``rank`` modes,
   fitted to all trajectories of a side at once (model: each sample a trajectory;
   recording: one trajectory).

The baseline says how far each system is from itself: the recording's first half
against its second half, the model's even samples against its odd samples (its first
half of steps against its second with a single sample). ``ratio = distance /
max(baselines)``: about 1 or below, the model is as close to the recording as each is
to itself; well above 1, their dynamics differ.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from .._validate import NeurowaveError, check_option, validate_type

__all__ = [
    "DynamicsSettings",
    "compare_dynamics",
    "dynamics_distance",
    "describe",
    "table_row",
    "SIGNALS",
    "SCORE_METHODS",
    "ALIKE_RATIO",
]

#: what DMD is fitted to: the band-passed analytic signal (real and imaginary parts)
#: or the band-passed signal itself
SIGNALS = ("analytic", "raw")
#: distances between fitted operators offered by dsa-metric
SCORE_METHODS = ("wasserstein", "angular", "euclidean")
#: a model side is "alike" the recording when its distance is at most this many times
#: the larger baseline (same dynamics through other maps: below 0.5 in the ground-truth
#: tests; another frequency or damping: above 2)
ALIKE_RATIO = 1.5
#: the model variables compared, and their names in the result
VARIABLES = {
    "hidden": "model",
    "hidden_cut_coupling": "cut_coupling",
    "hidden_untrained": "untrained",
}


@dataclass(frozen=True)
class DynamicsSettings:
    """Every choice of the dynamics comparison (echoed in the result).

    Attributes
    ----------
    n_components : int
        Principal components kept on each side.
    signal : {"analytic", "raw"}
        DMD on the analytic signal (real and imaginary parts) of the band-passed
        components, or on the band-passed components.
    band_fraction : float
        Half-width of each side's band relative to its centre.
    samples_per_cycle : float
        Samples per cycle of the common time base (see the module docstring).
    n_delays : int
        Length of the delay embedding (samples).
    rank : int | None
        DMD modes kept (None: ``n_components``). Modes beyond the signal's are fitted
        to noise, whose eigenvalues scatter and swamp a spectral distance; a small
        rank keeps the dominant dynamics (ground-truth tests:
        tests/compare/test_dynamics.py).
    score_method : {"wasserstein", "angular", "euclidean"}
        ``"wasserstein"``: distance between the eigenvalue spectra (cheap, exact);
        ``"angular"``/``"euclidean"``: DSA's Procrustes distance over orthogonal
        changes of coordinates, fitted by gradient descent (``iters``, ``lr``).
    iters : int
    lr : float
    trim_cycles : float
        Cycles dropped at each end of every trajectory.
    max_sites : int
        At most this many sites per side (evenly spread) enter the components.
    """

    n_components: int = 4
    signal: str = "analytic"
    band_fraction: float = 0.5
    samples_per_cycle: float = 8.0
    n_delays: int = 2
    rank: int | None = None
    score_method: str = "wasserstein"
    iters: int = 500
    lr: float = 0.01
    trim_cycles: float = 1.0
    max_sites: int = 4096

    def __post_init__(self):
        for name in ("n_components", "n_delays", "iters", "max_sites"):
            validate_type(getattr(self, name), "int", name)
            if getattr(self, name) < 1:
                raise NeurowaveError(f"`{name}` must be at least 1, got {getattr(self, name)}.")
        check_option("signal", self.signal, SIGNALS)
        check_option("score_method", self.score_method, SCORE_METHODS)
        if self.rank is not None:
            validate_type(self.rank, "int", "rank")
            if self.rank < 1:
                raise NeurowaveError(f"`rank` must be at least 1 or None, got {self.rank}.")
        if not 0 < float(self.band_fraction) < 1:
            raise NeurowaveError(
                f"`band_fraction` must be between 0 and 1 (e.g. 0.5), got {self.band_fraction!r}."
            )
        if not float(self.samples_per_cycle) >= 3:
            raise NeurowaveError(
                f"`samples_per_cycle` must be 3 or more (e.g. 8), got {self.samples_per_cycle!r}."
            )
        if not float(self.trim_cycles) >= 0:
            raise NeurowaveError(f"`trim_cycles` must be 0 or more, got {self.trim_cycles!r}.")

    @property
    def n_features(self):
        return self.n_components * (2 if self.signal == "analytic" else 1)

    @property
    def dmd_rank(self):
        return self.rank if self.rank is not None else self.n_components

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["rank"] = self.dmd_rank
        return d


# ---------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------


def _standardise(x):
    """(K, T, N) -> sites standardised over all trajectories; absent sites dropped."""
    flat = x.reshape(-1, x.shape[-1])
    keep = np.isfinite(flat).all(axis=0)
    x = x[..., keep]
    flat = flat[:, keep]
    sd = flat.std(axis=0)
    keep = sd > 0
    return (x[..., keep] - flat[:, keep].mean(axis=0)) / sd[keep]


def dynamics_band(centres, fraction):
    """The band of a dynamics comparison: ``centre (1 +- fraction)``, from the lowest
    to the highest of ``centres`` (one centre: one side's own band).

    Examples
    --------
    >>> dynamics_band([20.0, 35.0], 0.5)
    (10.0, 52.5)
    """
    return float(min(centres)) * (1 - fraction), float(max(centres)) * (1 + fraction)


def _prepare(x, rate, band, out_rate, settings):
    """Trajectories ``(K, T, N)`` sampled at ``rate`` -> DMD input ``(K, T', F)``.

    ``band`` is the dynamics band and ``out_rate`` the common rate, in the units of
    ``rate``; ``trim_cycles`` count cycles of the band's centre."""
    from scipy import signal as sps

    x = _standardise(np.asarray(x))
    if x.shape[-1] < 1:
        raise NeurowaveError(
            "A side of the dynamics comparison has no site with finite, "
            "varying values; check the recording and the export."
        )
    if x.shape[-1] > settings.max_sites:
        x = x[..., np.linspace(0, x.shape[-1] - 1, settings.max_sites).round().astype(int)]
    nyq = 0.5 * rate
    lo, hi = band[0], min(band[1], 0.95 * nyq)
    if not 0 < lo < hi:
        raise NeurowaveError(
            f"The dynamics band {band[0]:.3g}-{band[1]:.3g} does not fit below Nyquist "
            f"({nyq:.3g}) of a side sampled at {rate:.3g}; pass a lower band or a smaller "
            "band_fraction."
        )
    centre = 0.5 * (lo + hi)
    sos = sps.butter(4, [lo, hi], btype="band", fs=rate, output="sos")
    y = sps.sosfiltfilt(sos, x, axis=1)
    flat = y.reshape(-1, y.shape[-1])
    flat = flat - flat.mean(axis=0)
    k = min(settings.n_components, *flat.shape)
    # randomized SVD (Halko et al. 2011): the leading components of a 64 x 64 x units
    # model without the cost of a full decomposition
    from sklearn.utils.extmath import randomized_svd

    _, s, vt = randomized_svd(flat, k, n_oversamples=10, n_iter=4, random_state=0)
    comp = (flat @ vt.T).reshape(y.shape[0], y.shape[1], k)
    explained = float((s**2).sum() / max(float((flat**2).sum()), 1e-300))
    if settings.signal == "analytic":
        a = sps.hilbert(comp, axis=1)
        comp = np.concatenate([a.real, a.imag], axis=-1)
    trim = int(round(settings.trim_cycles * rate / centre))
    if comp.shape[1] - 2 * trim < 4 * rate / centre:
        trim = 0  # short trajectories: keep their edges rather than lose them
    comp = comp[:, trim : comp.shape[1] - trim]
    t = np.arange(comp.shape[1]) / rate
    tn = np.arange(0.0, t[-1] + 1e-12, 1.0 / out_rate)
    out = np.empty((comp.shape[0], tn.size, comp.shape[-1]))
    for i in range(comp.shape[0]):
        for j in range(comp.shape[-1]):
            out[i, :, j] = np.interp(tn, t, comp[i, :, j])
    out /= out.std() or 1.0
    return out, explained


def _max_delays(x):
    """Most delays a DMD of trajectories ``(K, T, F)`` can embed: the Hankel matrix
    needs as many rows, ``K (T - d + 1)``, as columns, ``F d``."""
    k, t, f = x.shape
    return int(k * (t + 1) // (f + k))


def usable_delays(sets, settings):
    """The delay embedding of one comparison: ``settings.n_delays``, shortened to what
    the shortest set of trajectories holds (the same for every fit, so that the
    operators compared have the same size)."""
    d = min([settings.n_delays] + [_max_delays(x) for x in sets])
    if d < min(2, settings.n_delays):
        short = min(sets, key=lambda x: x.shape[0] * x.shape[1])
        raise NeurowaveError(
            f"A side holds {short.shape[0]} trajectories of {short.shape[1]} samples of the "
            "common time base, too few to fit its dynamics; record more steps or samples, "
            "or pass fewer n_components / more samples_per_cycle."
        )
    return d


def _fit(x, settings, n_delays=None):
    """The DMD operator (dsa-metric's HAVOK DMD) of trajectories ``(K, T, F)``."""
    from DSA import DMD

    d = settings.n_delays if n_delays is None else n_delays
    rank = min(settings.dmd_rank, x.shape[-1] * d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dmd = DMD(x, n_delays=d, rank=rank, device="cpu")
        dmd.fit()
    return dmd.A_v


def _score(a, b, settings):
    from DSA import SimilarityTransformDist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd = SimilarityTransformDist(
            iters=settings.iters, score_method=settings.score_method, lr=settings.lr, device="cpu"
        )
        return float(sd.fit_score(a, b))


def _halves(x):
    """Two halves of a side: even/odd trajectories, or the two halves in time."""
    if x.shape[0] >= 2:
        return x[0::2], x[1::2], "even against odd samples"
    n = x.shape[1] // 2
    return x[:, :n], x[:, n : 2 * n], "first half against second half"


def dynamics_distance(a, b, *, settings=None):
    """DSA distance between two sets of prepared trajectories ``(K, T, F)`` and the
    baseline of each (its halves against each other).

    Returns
    -------
    dict
        ``distance``, ``baseline_a``, ``baseline_b``, ``ratio`` (distance over the
        larger baseline) and how the halves were made.
    """
    settings = settings or DynamicsSettings()
    a1, a2, how_a = _halves(a)
    b1, b2, how_b = _halves(b)
    nd = usable_delays([a, b, a1, a2, b1, b2], settings)

    def fit(x):
        return _fit(x, settings, nd)

    base_a = _score(fit(a1), fit(a2), settings)
    base_b = _score(fit(b1), fit(b2), settings)
    d = _score(fit(a), fit(b), settings)
    return {
        "distance": d,
        "baseline_a": base_a,
        "baseline_b": base_b,
        "ratio": d / max(base_a, base_b, 1e-300),
        "halves_a": how_a,
        "halves_b": how_b,
        "n_delays": nd,
    }


# ---------------------------------------------------------------------------
# a model export against a recording
# ---------------------------------------------------------------------------


def _recording_side(rec, info, band):
    from ..waves import choose_band

    if band is None:
        band = choose_band(rec)
    x = np.asarray(rec.transpose("time", ...).values, float).reshape(rec.sizes["time"], -1)
    return x[None], float(info.sampling_rate), (float(band[0]), float(band[1]))


def _model_window(ds, steps, samples, units):
    from ._view import resolve_view

    view = resolve_view(ds, model_sites="all", samples=samples, units=units, steps=steps)
    return view


def _model_band(ds, steps, samples, units):
    """The band :func:`neurowave.compare.analyze_model` chooses by default (pooled
    spectrum of the trials of the export's default view)."""
    from ._model import MODEL_BAND_POOL, choose_model_band
    from ._view import resolve_view, trial_grid

    view = resolve_view(ds, samples=samples, units=units, steps=steps)
    band = choose_model_band(
        [trial_grid(ds, view, t, crop=False) for t in view.trials[:MODEL_BAND_POOL]]
    )
    if band is None:
        raise NeurowaveError(
            "Every selected model trial is silent or constant; there are no "
            "dynamics to compare. Pass other samples/units."
        )
    return band


def _model_array(ds, variable, view):
    h = ds[variable].isel(sample=view.samples, unit=view.units, time=slice(0, view.steps))
    h = np.asarray(h.transpose("sample", "time", "unit", "y", "x").values, np.float32)
    return h.reshape(h.shape[0], h.shape[1], -1)


def compare_dynamics(
    model,
    recording,
    *,
    model_dt=None,
    band=None,
    model_band=None,
    settings=None,
    steps=None,
    samples=None,
    units=None,
    controls=True,
    positions=None,
    read_options=None,
):
    """DSA distance between a model's hidden-state dynamics and a recording's.

    See the module docstring for what is done to each side. The trained model and the
    controls the export records (coupling cut, untrained) are each compared with the
    recording, beside their baselines.

    Parameters
    ----------
    model : xarray.Dataset | path-like
        A model export (``neurowave export``, :func:`neurowave.models.export_states`).
    recording : xarray.DataArray | path-like
        A wave grid or a file any neurowave reader opens.
    model_dt : str | float | None
        Duration of one model step (``"1ms"``; a number is seconds). None: the
        export's ``attrs["model_dt"]`` where it records one, else the scale-free
        time base (each side in cycles of its own band centre).
    band : (float, float) | None
        The recording's band (Hz), e.g. the one of the wave measures; its centre
        centres the dynamics band. None: chosen from the data.
    model_band : (float, float) | None
        The model's band (cycles/step), likewise; None: from the pooled spectrum of
        the model trials (:func:`neurowave.compare.analyze_model`'s choice).
    settings : DynamicsSettings | None
    steps, samples, units
        What of the export enters, as in :func:`neurowave.compare.compare` (default:
        the same window of steps as the wave measures, all samples and units; every
        cell of every unit is a site).
    controls : bool
        Also compare the controls the export records.
    positions, read_options
        For a recording read from a file (see :func:`neurowave.compare.compare`).

    Returns
    -------
    dict
        ``method``, ``settings``, ``time_base`` (``mode`` ``"physical"`` or
        ``"cycles"``, rate, note), ``recording`` (band, baseline, ...), and per model
        side (``model``, ``cut_coupling``, ``untrained``) ``{"distance", "baseline",
        "baseline_recording", "ratio", "band", "settings", ...}``.

    Examples
    --------
    A model whose hidden state carries a 10 Hz wave (step 5 ms), against recordings of
    a 10 Hz and a 20 Hz wave:

    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.models import export_states
    >>> import numpy as np
    >>> def wave(f, seed):
    ...     return simulate_wave("planar", speed=0.2, frequency=f, duration=3.0,
    ...                          sampling_rate=200, snr_db=10, seed=seed)[0]
    >>> model = export_states(np.stack([wave(10, 1).values, wave(10, 2).values])[:, :, None],
    ...                       dt=0.005)
    >>> near = compare_dynamics(model, wave(10, 0))
    >>> far = compare_dynamics(model, wave(20, 0))
    >>> near["time_base"]["mode"], far["model"]["distance"] > 5 * near["model"]["distance"]
    ('physical', True)
    """
    from ..io.model_export import read_model_export as load_model_export
    from ._inputs import load_recording
    from .scale import parse_quantity

    settings = settings or DynamicsSettings()
    if not isinstance(settings, DynamicsSettings):
        raise NeurowaveError(
            f"`settings` must be a DynamicsSettings, got {type(settings).__name__}."
        )
    ds = load_model_export(model)
    rec, rec_info = load_recording(recording, positions=positions, read_options=read_options)
    if rec_info.time_units != "s":
        raise NeurowaveError(
            f"The recording's time is in {rec_info.time_units!r}, not seconds; "
            "the dynamics comparison needs a recording in physical time."
        )
    dt_source = "user"
    if model_dt is None and ds.attrs.get("model_dt") is not None:
        model_dt, dt_source = ds.attrs["model_dt"], "the export's model_dt"
    dt = None if model_dt is None else parse_quantity(model_dt, kind="time", name="model_dt")
    view = _model_window(ds, steps, samples, units)
    if model_band is None:
        model_band = _model_band(ds, steps, samples, units)
    mfc = 0.5 * (model_band[0] + model_band[1])  # cycles/step
    x_rec, fs, band = _recording_side(rec, rec_info, band)
    rfc = 0.5 * (band[0] + band[1])  # Hz
    spc = float(settings.samples_per_cycle)
    frac = float(settings.band_fraction)
    if dt is not None:
        common = spc * max(rfc, mfc / dt)  # Hz
        r_band = dynamics_band([rfc, mfc / dt], frac)  # Hz, both sides
        m_rate, m_band, m_out, r_out = 1.0 / dt, r_band, common, common
        time_base = {
            "mode": "physical",
            "rate": common,
            "units": "Hz",
            "model_dt": dt,
            "model_dt_source": dt_source,
            "band": list(r_band),
            "band_units": "Hz",
            "note": f"physical time: both sides band-passed {r_band[0]:.3g}-"
            f"{r_band[1]:.3g} Hz and resampled to {common:.4g} Hz ({spc:g} "
            f"samples per cycle of the faster rhythm), model step = "
            f"{dt * 1e3:g} ms",
        }
    else:
        r_band, m_band = dynamics_band([rfc], frac), dynamics_band([mfc], frac)
        m_rate, m_out, r_out = 1.0, spc * mfc, spc * rfc
        time_base = {
            "mode": "cycles",
            "rate": spc,
            "units": "samples per cycle",
            "model_dt": None,
            "model_dt_source": None,
            "note": f"no model_dt: each side band-passed around its own rhythm "
            f"(+-{100 * frac:.0f} %) and resampled to {spc:g} samples per "
            "cycle of it (time in cycles: the frequency row compares the "
            "rhythms themselves)",
        }
    time_base["recording_band"], time_base["model_band"] = list(r_band), list(m_band)
    rec_traj, rec_ev = _prepare(x_rec, fs, r_band, r_out, settings)
    variables = ["hidden"] + (
        [v for v in ("hidden_cut_coupling", "hidden_untrained") if v in ds.data_vars]
        if controls
        else []
    )
    sides = {
        VARIABLES[v]: _prepare(_model_array(ds, v, view), m_rate, m_band, m_out, settings)
        for v in variables
    }
    halves = {k: _halves(t) for k, (t, _) in sides.items()}
    r1, r2, how_r = _halves(rec_traj)
    nd = usable_delays(
        [rec_traj, r1, r2]
        + [t for t, _ in sides.values()]
        + [h for a, b, _ in halves.values() for h in (a, b)],
        settings,
    )
    time_base["n_delays"] = nd
    time_base["window_cycles"] = nd / spc

    def fit(x):
        return _fit(x, settings, nd)

    rec_op = fit(rec_traj)
    rec_base = _score(fit(r1), fit(r2), settings)
    out = {
        "method": "DSA (Ostrow et al., NeurIPS 2023), dsa-metric: HAVOK DMD + "
        f"{settings.score_method} distance",
        "settings": settings.to_dict(),
        "time_base": time_base,
        "recording": {
            "band": list(band),
            "band_centre": rfc,
            "baseline": rec_base,
            "baseline_of": how_r,
            "explained_variance": rec_ev,
            "n_trajectories": int(rec_traj.shape[0]),
            "n_samples": int(rec_traj.shape[1]),
        },
    }
    for name, (traj, ev) in sides.items():
        a1, a2, how_m = halves[name]
        d = _score(fit(traj), rec_op, settings)
        base = _score(fit(a1), fit(a2), settings)
        ratio = d / max(base, rec_base, 1e-300)
        out[name] = {
            "distance": d,
            "baseline": base,
            "baseline_recording": rec_base,
            "ratio": ratio,
            "verdict": "alike" if ratio <= ALIKE_RATIO else "different",
            "alike_ratio": ALIKE_RATIO,
            "baseline_of": how_m,
            "band": [float(model_band[0]), float(model_band[1])],
            "band_units": "cycles/step",
            "steps": int(view.steps),
            "n_trajectories": int(traj.shape[0]),
            "n_samples": int(traj.shape[1]),
            "explained_variance": ev,
            "settings": settings.to_dict(),
        }
    return out


def describe(result):
    """One sentence for the report: what the DSA row means on these data.

    Examples
    --------
    >>> r = {"model": {"distance": 0.04, "baseline": 0.012, "ratio": 3.4},
    ...      "recording": {"baseline": 0.005}, "time_base": {"note": "time in cycles"}}
    >>> describe(r)[:80]
    "Dynamical similarity (DSA): the model's hidden-state dynamics are 3.4 times fart"
    """
    m = result["model"]
    rb = result["recording"]["baseline"]
    word = (
        "as close to the recording as each system is to itself"
        if m["ratio"] <= ALIKE_RATIO
        else f"{m['ratio']:.1f} times farther from the recording than either system is from itself"
    )
    ctl = [
        f"{k.replace('_', ' ')} {result[k]['ratio']:.1f}"
        for k in ("cut_coupling", "untrained")
        if k in result
    ]
    return (
        f"Dynamical similarity (DSA): the model's hidden-state dynamics are {word} "
        f"(distance {m['distance']:.3g}; baselines: model {m['baseline']:.3g}, "
        f"recording {rb:.3g}"
        + (f"; ratio of the controls: {', '.join(ctl)}" if ctl else "")
        + f"; {result['time_base']['note']})."
    )


def table_row(result, sides):
    """The ``dynamics (DSA)`` row of the comparison table.

    Parameters
    ----------
    result : dict
        From :func:`compare_dynamics`.
    sides : sequence of str
        The table's columns, e.g. ``("model", "cut_coupling", "untrained", "recording")``:
        each model side shows its distance to the recording, the recording its
        baseline (its halves against each other).

    Returns
    -------
    tuple
        ``(metric, *values, units, effect, margin, verdict)``.

    Examples
    --------
    >>> r = {"model": {"distance": 0.04, "baseline": 0.012, "ratio": 3.4,
    ...                "verdict": "different"}, "recording": {"baseline": 0.005}}
    >>> table_row(r, ("model", "recording"))
    ('dynamics (DSA)', '0.04', 'self 0.005', 'DSA distance', 'ratio 3.4 (model self 0.012)', 'ratio <=1.5', 'different')
    """
    vals = []
    for side in sides:
        if side == "recording":
            vals.append(f"self {result['recording']['baseline']:.3g}")
        else:
            vals.append(f"{result[side]['distance']:.3g}" if side in result else "-")
    m = result["model"]
    return (
        "dynamics (DSA)",
        *vals,
        "DSA distance",
        f"ratio {m['ratio']:.2g} (model self {m['baseline']:.3g})",
        f"ratio <={ALIKE_RATIO:g}",
        m["verdict"],
    )
