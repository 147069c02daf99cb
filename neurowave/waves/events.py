"""Wave events: runs of wave frames, and Cobrawap's trigger-time route for slow waves.

* :func:`detect_wave_events` turns the per-frame output of ``analyze`` (``pattern``,
  ``is_wave``, ``speed``, ``direction``, ``pgd``) into events: runs of frames with the
  same wave pattern, short gaps bridged, short runs dropped.
* :func:`detect_trigger_waves` follows the Cobrawap pipeline for slow waves (Celotto et
  al. 2020; Gutzen et al. 2024): one trigger time per site and upward transition
  (a phase crossing or a threshold crossing), triggers grouped into waves by
  clustering in space-time, and each wave's time-lag map fitted by a plane
  (``t = t0 + s . p``, slowness ``s``) whose inverse gives speed and direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option, check_positive, validate_type
from ._est_common import speed_factor, units, wrap
from ..grid import _sampling_rate, grid_spacing, site_positions

__all__ = ["WAVE_PATTERNS", "detect_wave_events"]

#: Patterns that make a frame part of a wave event.
WAVE_PATTERNS = ("planar", "radial_out", "radial_in", "rotating")

_EVENT_COLUMNS = [
    "start", "end", "duration", "pattern", "speed", "direction", "pgd",
    "n_frames", "rotation", "speed_q25", "speed_q75", "direction_spread",
]


def _circmean_deg(a):
    a = np.asarray(a, float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return np.nan, np.nan
    z = np.exp(1j * np.deg2rad(a)).mean()
    return float(np.rad2deg(np.angle(z)) % 360.0), float(np.abs(z))


def detect_wave_events(frames, *, min_duration=None, max_gap=None, patterns=WAVE_PATTERNS):
    """Group consecutive wave frames into wave events.

    A frame belongs to an event when its ``pattern`` is one of ``patterns`` (without a
    ``pattern`` variable: when ``is_wave`` is true, pattern ``"planar"``). Runs of the
    same pattern separated by at most ``max_gap`` of other frames are joined; runs
    shorter than ``min_duration`` are dropped.

    Parameters
    ----------
    frames : xarray.Dataset
        Per-frame measures over ``time`` as produced by ``analyze`` (``.frames``): at
        least ``pattern`` or ``is_wave``; ``speed``, ``direction``, ``pgd``,
        ``rotation``, ``frequency`` and ``fit_speed`` are used when present. The speed
        of radial and rotating events comes from ``fit_speed`` (the pattern-specific
        fit of :func:`classify_patterns`, which ``analyze`` carries into its frames)
        when present, since a phase-gradient speed is meaningless for them.
    min_duration : float | None
        Shortest event, in the time units of ``frames`` (s or steps). Default: one
        period of the median ``frequency`` when present, else 5 samples.
    max_gap : float | None
        Longest gap bridged inside an event, in time units. Default: a quarter of that
        period, else 2 samples.
    patterns : sequence of str
        Patterns that count as waves.

    Returns
    -------
    events : pandas.DataFrame
        One row per event, columns ``start``, ``end`` (times of the first and last
        frame), ``duration`` (``end - start`` plus one sample), ``pattern``, ``speed``
        (median over the event's frames), ``direction`` (circular mean, degrees; NaN for
        radial and rotating events), ``pgd`` (mean), ``n_frames``, ``rotation``
        (+1/-1/0), ``speed_q25``, ``speed_q75`` and ``direction_spread`` (resultant
        length of the frame directions). ``attrs`` hold the thresholds and units.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> pat = np.array(["other"] * 10 + ["planar"] * 30 + ["other"] * 10, dtype=object)
    >>> fr = xr.Dataset({"pattern": ("time", pat), "speed": ("time", np.full(50, 0.3)),
    ...                  "direction": ("time", np.full(50, 90.0)), "pgd": ("time", np.ones(50))},
    ...                 coords={"time": np.arange(50) / 100.0})
    >>> ev = detect_wave_events(fr, min_duration=0.1)
    >>> len(ev), ev.pattern[0], float(ev.speed[0]), round(float(ev.duration[0]), 2)
    (1, 'planar', 0.3, 0.3)
    """
    if not isinstance(frames, xr.Dataset):
        raise TypeError(
            f"`frames` must be an xarray.Dataset over time (analyze(...).frames), got "
            f"{type(frames).__name__}."
        )
    if "time" not in frames.dims:
        raise ValueError("`frames` has no 'time' dimension. Pass analyze(...).frames.")
    if "pattern" not in frames and "is_wave" not in frames:
        raise ValueError(
            "`frames` needs a `pattern` or an `is_wave` variable. Pass analyze(...).frames "
            "or add classify_patterns(phase)['pattern']."
        )
    t = np.asarray(frames["time"].values, float)
    n = len(t)
    dt = float(np.median(np.diff(t))) if n > 1 else 1.0
    if "pattern" in frames:
        lab = np.asarray(frames["pattern"].values).astype(str)
    else:
        lab = np.where(np.asarray(frames["is_wave"].values, bool), "planar", "other")
    patterns = tuple(patterns)
    is_ev = np.isin(lab, patterns)
    period = None
    if "frequency" in frames:
        f = np.asarray(frames["frequency"].values, float)
        f = np.abs(f[np.isfinite(f)])
        if f.size and np.median(f) > 0:
            period = 1.0 / float(np.median(f))
    if min_duration is None:
        min_duration = period if period is not None else 5 * dt
    if max_gap is None:
        max_gap = period / 4.0 if period is not None else 2 * dt
    min_duration = check_positive(min_duration, "min_duration", allow_zero=True)
    max_gap = check_positive(max_gap, "max_gap", allow_zero=True)

    # runs of identical wave labels
    runs = []
    i = 0
    while i < n:
        if not is_ev[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and lab[j + 1] == lab[i]:
            j += 1
        runs.append([i, j, lab[i]])
        i = j + 1
    # bridge short gaps between runs of the same pattern
    merged = []
    for r in runs:
        if merged and merged[-1][2] == r[2]:
            gap = (r[0] - merged[-1][1] - 1) * dt
            if gap <= max_gap + 1e-12 * max(dt, 1):
                merged[-1][1] = r[1]
                continue
        merged.append(r)

    def get(name, sl):
        if name in frames:
            return np.asarray(frames[name].values[sl], float)
        return np.full(sl.stop - sl.start, np.nan)

    rows = []
    for a, b, p in merged:
        dur = (b - a + 1) * dt
        if dur < min_duration - 1e-12 * max(dt, 1):
            continue
        sl = slice(a, b + 1)
        keep = lab[sl] == p
        sp = get("speed", sl)[keep]
        if p != "planar" and "fit_speed" in frames:
            # radial and rotating waves: speed from the pattern-specific fit
            sp = get("fit_speed", sl)[keep]
        sp = sp[np.isfinite(sp)]
        dmean, dres = _circmean_deg(get("direction", sl)[keep])
        if p != "planar":
            dmean = np.nan
        rot = 0
        if "rotation" in frames:
            rv = np.asarray(frames["rotation"].values[sl])[keep]
            rv = rv[np.isfinite(rv.astype(float))] if rv.size else rv
            if rv.size:
                rot = int(np.sign(np.sum(np.sign(rv.astype(float)))))
        pg = get("pgd", sl)[keep]
        rows.append(
            dict(
                start=float(t[a]),
                end=float(t[b]),
                duration=float(dur),
                pattern=str(p),
                speed=float(np.median(sp)) if sp.size else np.nan,
                direction=dmean,
                pgd=float(np.nanmean(pg)) if np.isfinite(pg).any() else np.nan,
                n_frames=int(keep.sum()),
                rotation=rot,
                speed_q25=float(np.percentile(sp, 25)) if sp.size else np.nan,
                speed_q75=float(np.percentile(sp, 75)) if sp.size else np.nan,
                direction_spread=dres if p == "planar" else np.nan,
            )
        )
    ev = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
    ev.attrs.update(
        min_duration=float(min_duration),
        max_gap=float(max_gap),
        patterns=list(patterns),
        time_units=str(frames["time"].attrs.get("units", "s")),
        speed_units=str(frames["speed"].attrs.get("units", "")) if "speed" in frames else "",
    )
    return ev
