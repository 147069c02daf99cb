"""One side of a comparison pooled over its trials: per-frame values of every metric,
the trial of each value, frames per cycle, region extents, and an analyze-style summary
of the pooled frames (:func:`pool`, :func:`pooled_summary`); :func:`common_values` puts
a pooled side into the common units of a :class:`~neurowave.compare.scale.Scale`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .._json import json_default_or_str
from ._metrics import EXTRA_METRICS, METRICS, WAVE_FRAME_METRICS, WAVE_PATTERNS, pattern_names
from .scale import convert, make_scale, region_extent
from .stats import circular_mean

__all__ = [
    "Side",
    "frame_rate",
    "native_speed_units",
    "speed_to_native",
    "pool",
    "pooled_events",
    "pooled_summary",
    "pooled_definitions",
    "classified_fractions",
    "mean_direction",
    "frames_per_cycle",
    "common_values",
    "scale_between",
]

#: Level of the Rayleigh test below which a side has a mean direction of travel.
DIRECTION_ALPHA = 0.05


def frame_rate(frames):
    """Frames per time unit of a frames Dataset (from its median time step)."""
    t = np.asarray(frames["time"].values, float)
    if t.size < 2:
        return float("nan")
    dt = np.median(np.diff(t))
    return 1.0 / dt if dt > 0 else float("nan")


@dataclass
class Side:
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
    extents: np.ndarray | None = None  # extent of the region of each analysis (group label k)

    def extent_of(self, metric):
        """The region extent of every value of ``metric`` (one per value)."""
        return self.extents[np.asarray(self.groups[metric], int)]


def native_speed_units(info):
    """Space units per time unit of a grid (``mm/s``; ``cells/step`` for a model, the
    spelling of the design notes)."""
    return _plural_cells(f"{info.space_units}/{info.time_units}")


def _plural_cells(units):
    """``cell/step`` -> ``cells/step`` (one spelling of model speeds); others unchanged."""
    return units.replace("cell/", "cells/") if units else units


def speed_to_native(values, units, time_units, space_units):
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


def pool(analyses, positions, info):
    """Concatenate the frames of several analyses of one side into a :class:`Side`.

    The extent of each analysis is that of the region it analysed (the valid sites of
    its grid, :func:`~neurowave.compare.scale.region_extent`): a model grid cut to one
    object has the object's extent.
    """
    pats = []
    vals = {m: [] for m in METRICS + EXTRA_METRICS}
    groups = {m: [] for m in METRICS + EXTRA_METRICS}
    rates, speed_units = [], None
    known = np.array(pattern_names())
    n_frames = n_wave = 0
    for k, an in enumerate(analyses):
        fr = an.frames
        is_wave = np.asarray(fr["is_wave"].values, bool)
        n_frames += is_wave.size
        n_wave += int(is_wave.sum())
        rates.append(frame_rate(fr))
        if speed_units is None:
            speed_units = fr["speed"].attrs.get("units") or an.summary.get("summary", {}).get(
                "speed", {}
            ).get("units")
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
            v = np.asarray(fr["fit_speed"].values, float)[np.isin(p, WAVE_PATTERNS)]
        else:
            v = np.zeros(0)
        vals["pattern_speed"].append(v)
        groups["pattern_speed"].append(np.full(v.size, k))
    values = {m: np.concatenate(vals[m]) for m in METRICS + EXTRA_METRICS if m != "patterns"}
    values["patterns"] = np.concatenate(pats)
    groups = {m: np.concatenate(g) for m, g in groups.items()}
    native = speed_to_native(values["speed"], speed_units, info.time_units, info.space_units)
    if not np.array_equal(native, values["speed"], equal_nan=True):
        speed_units = native_speed_units(info)
    values["speed"] = native
    fit_units = None
    for an in analyses:
        if "fit_speed" in an.frames:
            fit_units = an.frames["fit_speed"].attrs.get("units")
            break
    values["pattern_speed"] = speed_to_native(
        values["pattern_speed"], fit_units, info.time_units, info.space_units
    )
    f = values["frequency"]
    f = np.abs(f[np.isfinite(f)])
    period = 1.0 / np.median(f) if f.size and np.median(f) > 0 else float("nan")
    extents = np.array([region_extent(an.grid) for an in analyses], float)
    return Side(
        values=values,
        groups=groups,
        frame_rate=float(np.nanmedian(rates)),
        period=float(period),
        extent=float(np.median(extents)),
        extents=extents,
        positions=positions,
        time_units=info.time_units,
        space_units=info.space_units,
        speed_units=_plural_cells(speed_units) or native_speed_units(info),
        n_frames=n_frames,
        n_wave_frames=n_wave,
        n_trials=len(analyses),
    )


def pooled_events(analyses, trials):
    """Events of all trials: the analyze ``summary["events"]`` block and the event list."""
    import pandas as pd

    frames, total = [], 0.0
    for an, (s, u) in zip(analyses, trials, strict=True):
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


def _joined(analyses, names):
    """The frames variables ``names`` of all analyses, joined along time (None where an
    analysis lacks one)."""
    out = {}
    for v in names:
        if all(v in an.frames for an in analyses):
            out[v] = np.concatenate([np.asarray(an.frames[v].values) for an in analyses])
    return out


def pooled_definitions(analyses, *, wave_frames, pgd_threshold, alpha, n_sites=None):
    """:func:`neurowave.waves.patterns.compare_wave_definitions` on the frames of all
    ``analyses`` together (the PGD test of each frame is ``pgd_is_wave`` where the
    frames were rewritten for ``wave_frames="patterns"``), with ``used``: the
    definition the comparison counts."""
    import xarray as xr

    from ..waves.patterns import compare_wave_definitions

    j = _joined(analyses, ("is_wave", "pgd_is_wave", "pattern", "pgd", "p_value", "off_array"))
    if "pgd_is_wave" in j:
        j["is_wave"] = j.pop("pgd_is_wave")
    frames = xr.Dataset({k: ("time", v) for k, v in j.items()})
    out = compare_wave_definitions(
        frames, pgd_threshold=pgd_threshold, alpha=alpha, n_sites=n_sites
    )
    out["used"] = wave_frames
    out["of"] = f"the {frames.sizes['time']} frames of {len(analyses)} trial(s) pooled"
    return out


def classified_fractions(analyses):
    """Fraction of the frames the classifier itself labelled (``classified``; all frames
    where the analyses classified every frame) in each pattern, over all ``analyses``."""
    j = _joined(analyses, ("pattern", "classified"))
    if "pattern" not in j:
        return {}
    pats = j["pattern"].astype(str)
    if "classified" in j:
        pats = pats[j["classified"].astype(bool)]
    n = max(1, pats.size)
    return {p: float(np.sum(pats == p) / n) for p in pattern_names()}


def mean_direction(directions, n_eff, *, alpha=DIRECTION_ALPHA):
    """The circular mean direction, its resultant length R and the Rayleigh test of R on
    ``n_eff`` effective (independent) frames: the mean is None where the test cannot
    reject a uniform distribution (``p > alpha``), so that no direction is printed for
    a side that has none."""
    mean_deg, r = circular_mean(directions)
    if r is None or not np.isfinite(r) or not n_eff:
        return None, r, None
    z = n_eff * r * r  # Rayleigh, with the small-sample correction of Zar (1999, 27.4)
    p = float(
        np.clip(
            np.exp(np.sqrt(1 + 4 * n_eff + 4 * (n_eff**2 - z * n_eff)) - (1 + 2 * n_eff)), 0.0, 1.0
        )
    )
    return (mean_deg if p <= alpha else None), r, p


def pooled_summary(template, side, extra_input, analyses, trials):
    """An analyze-style summary for pooled model trials (the same keys)."""
    out = json.loads(json.dumps(template, default=json_default_or_str))
    v = side.values

    def q(a, p):
        a = a[np.isfinite(a)]
        return float(np.quantile(a, p)) if a.size else None

    block = frames_per_cycle(side)
    mean_deg, resultant, p_rayleigh = mean_direction(v["direction"], side.n_wave_frames / block)
    pats = pattern_names()
    n = max(1, v["patterns"].size)
    summ = out.setdefault("summary", {})
    speed_units = summ.get("speed", {}).get("units", side.speed_units)
    summ.update(
        {
            "frequency": {**summ.get("frequency", {}), "median": q(v["frequency"], 0.5)},
            "pgd": {**summ.get("pgd", {}), "median": q(v["pgd"], 0.5), "p90": q(v["pgd"], 0.9)},
            "wave_fraction": side.n_wave_frames / max(1, side.n_frames),
            "speed": {
                **summ.get("speed", {}),
                "median": q(v["speed"], 0.5),
                "q25": q(v["speed"], 0.25),
                "q75": q(v["speed"], 0.75),
                "units": side.speed_units,
            },
            "direction": {
                **summ.get("direction", {}),
                "mean_deg": mean_deg,
                "resultant_length": resultant,
                "p_rayleigh": p_rayleigh,
                "mean_note": None
                if mean_deg is not None or resultant is None
                else (
                    f"no mean direction: resultant length {resultant:.2f} on "
                    f"{side.n_wave_frames / block:.1f} effective wave frames "
                    f"(Rayleigh p {p_rayleigh:.2g} > {DIRECTION_ALPHA:g})"
                ),
            },
            "wavelength": {
                **summ.get("wavelength", {}),
                "median": q(v["wavelength"], 0.5),
                "units": side.space_units,
            },
            "patterns": {p: float(np.sum(v["patterns"] == p) / n) for p in pats},
        }
    )
    if speed_units != side.speed_units:
        summ["speed"]["units"] = side.speed_units
    summ["events"], ev_list = pooled_events(analyses, trials)
    if "events" in out:
        out["events"] = ev_list
    summ["pooled"] = {
        "n_trials": side.n_trials,
        "n_frames": side.n_frames,
        "n_wave_frames": side.n_wave_frames,
    }
    params = out.get("params", {})
    if "patterns" in params and any("pattern" in an.frames for an in analyses):
        params["patterns"]["classified_fractions"] = classified_fractions(analyses)
        params["patterns"]["classified_fractions_of"] = f"{len(analyses)} trial(s) pooled"
    if "wave_definitions" in summ:
        wf = "patterns" if any("pgd_is_wave" in an.frames for an in analyses) else "pgd"
        summ["wave_definitions"] = pooled_definitions(
            analyses,
            wave_frames=wf,
            pgd_threshold=params.get("pgd_threshold", 0.5),
            alpha=params.get("alpha", 0.05),
            n_sites=out.get("input", {}).get("n_valid_sites") if len(analyses) == 1 else None,
        )
    out.setdefault("input", {}).update(extra_input)
    return out


def frames_per_cycle(side):
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
            v = convert(
                v,
                metric="speed" if m == "pattern_speed" else m,
                side=side_name,
                scale=scale,
                extent=side.extent_of(m),
            )
        out[m] = v
    return out


def scale_between(model_side, rec_side, *, model_dt=None, model_dx=None):
    """The :class:`~neurowave.compare.scale.Scale` that maps a pooled model side (or a
    control of it) and a pooled recording side into common units."""
    return make_scale(
        model_dt=model_dt,
        model_dx=model_dx,
        model_extent=model_side.extent,
        recording_extent=rec_side.extent,
        model_period=model_side.period,
        recording_period=rec_side.period,
        model_units=(model_side.time_units, model_side.space_units),
        recording_units=(rec_side.time_units, rec_side.space_units),
    )
