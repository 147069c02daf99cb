"""The k-omega peaks of both sides of a comparison (``compare(..., kw=True)``): the
recording's over its band, the model's over whole hidden grids, in common units, and
their comparison (the ``kw`` blocks of the JSON)."""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError
from ._pool import speed_to_native
from ._view import whole_hidden_grid
from .scale import convert
from .stats import circular_mean

__all__ = ["kw_distances", "kw_compare"]


def _num(v):
    return float(v) if v is not None else float("nan")


def _clean(v):
    if isinstance(v, (list, tuple)):
        return [_clean(a) for a in v]
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v


def kw_distances(model_blocks, rec_block, *, scale, model_side, rec_side):
    """Compare the recording's k-omega peak with the model trials' peaks.

    ``model_blocks``: the ``kw`` block of each analysed model trial; ``rec_block``: the
    recording's. Speeds and wavelengths go into the common units of ``scale`` (physical,
    or scale-free: array widths per cycle and wavelength / array extent). Returns
    ``(model_kw, distance)``: the model's pooled block (medians and quartiles over
    trials) and the comparison (per metric: each side's value, the recording's
    interval, the model's quartiles over trials, the model/recording ratio or the
    difference), or ``(None, None)`` when a side has no block.
    """
    blocks = [b for b in model_blocks if b]
    if not blocks or not rec_block:
        return None, None

    def native_speed(values, block, side):
        return speed_to_native(
            np.asarray(values, float), block.get("units"), side.time_units, side.space_units
        )

    m_speed = convert(
        np.concatenate([native_speed([_num(b["speed"])], b, model_side) for b in blocks]),
        metric="speed",
        side="model",
        scale=scale,
    )
    r_speed = convert(
        native_speed(
            [_num(rec_block["speed"]), *map(_num, rec_block["speed_ci"])], rec_block, rec_side
        ),
        metric="speed",
        side="recording",
        scale=scale,
    )
    m_wl = convert(
        np.array([_num(b["wavelength"]) for b in blocks]),
        metric="wavelength",
        side="model",
        scale=scale,
    )
    r_wl = convert(
        np.array([_num(rec_block["wavelength"]), *map(_num, rec_block["wavelength_ci"])]),
        metric="wavelength",
        side="recording",
        scale=scale,
    )
    m_ti = np.array([_num(b["travelling_index"]) for b in blocks])
    m_dir = np.array([_num(b["direction"]) for b in blocks])

    def q(a):
        a = a[np.isfinite(a)]
        return [float(np.quantile(a, p)) for p in (0.25, 0.5, 0.75)] if a.size else [None] * 3

    mean_deg, resultant = circular_mean(m_dir)
    model_kw = {
        "n_trials": len(blocks),
        "speed": dict(
            zip(("q25", "median", "q75"), q(m_speed), strict=True), units=scale.speed_units
        ),
        "wavelength": dict(
            zip(("q25", "median", "q75"), q(m_wl), strict=True), units=scale.wavelength_units
        ),
        "travelling_index": dict(zip(("q25", "median", "q75"), q(m_ti), strict=True)),
        "direction": {"mean_deg": mean_deg, "resultant_length": resultant},
        "trials": blocks,
    }

    def ratio(a, b):
        return a / b if a is not None and b is not None and np.isfinite(b) and b != 0 else None

    ms, mw, mt = q(m_speed)[1], q(m_wl)[1], q(m_ti)[1]
    rt = rec_block.get("travelling_index")
    distance = {
        "over": "the whole recording's k-omega peak, and the median of the model trials' peaks",
        "speed": {
            "model": ms,
            "model_q25_q75": [q(m_speed)[0], q(m_speed)[2]],
            "recording": _clean(float(r_speed[0])),
            "recording_ci": _clean([float(r_speed[1]), float(r_speed[2])]),
            "ratio": _clean(ratio(ms, float(r_speed[0]))),
            "units": scale.speed_units,
        },
        "wavelength": {
            "model": mw,
            "model_q25_q75": [q(m_wl)[0], q(m_wl)[2]],
            "recording": _clean(float(r_wl[0])),
            "recording_ci": _clean([float(r_wl[1]), float(r_wl[2])]),
            "ratio": _clean(ratio(mw, float(r_wl[0]))),
            "units": scale.wavelength_units,
        },
        "travelling_index": {
            "model": mt,
            "recording": rt,
            "recording_ci": rec_block.get("travelling_index_ci"),
            "difference": None if mt is None or rt is None else mt - rt,
        },
        "direction": {
            "model": model_kw["direction"]["mean_deg"],
            "recording": rec_block.get("direction"),
            "note": "directions are in each array's own frame",
        },
    }
    _regimes(distance, rec_block, blocks)
    return _clean(model_kw), distance


def _regimes(distance, rec_block, blocks):
    """Say what each interval is, and present a peak below the array's wavenumber
    resolution as what it is: its wavenumber is not resolved (the wavelength is longer
    than the array can measure), so its speed and wavelength are lower bounds with no
    interval, not estimates with a tight one."""
    interval = rec_block.get("interval") or "jackknife over the segments"
    distance["intervals"] = {
        "recording_ci": f"{interval} (the recording's own peak)",
        "model_q25_q75": "quartiles of the model trials' peaks",
    }
    regime = rec_block.get("regime")
    distance["recording_regime"] = regime
    m_regimes = [b.get("regime") for b in blocks]
    distance["model_regimes"] = {r: m_regimes.count(r) for r in set(m_regimes) if r}
    distance["measures"] = (
        "phase velocity of the dominant k-omega peak in the band, not "
        "the propagation of discharges (for that, fit delays: "
        "neurowave.waves.fit_delay_plane)"
    )
    if regime != "sub-resolution":
        return
    k, kres = rec_block.get("wavenumber"), rec_block.get("k_resolution")
    for m in ("speed", "wavelength"):
        distance[m]["recording_ci"] = None
        distance[m]["recording_kind"] = "lower bound (sub-resolution)"
        distance[m]["ratio"] = None
    res = (
        f" (|k| {k:.3g} below the resolution {kres:.3g} cycles per space unit)"
        if k is not None and kres is not None
        else ""
    )
    distance["note"] = (
        f"the recording's k-omega peak is sub-resolution{res}: its wavelength "
        "is longer than the array can resolve, so its speed and wavelength are "
        "lower bounds, given without an interval and not compared"
    )


def kw_compare(ds, rec, rec_summary, *, model_band, scale, model_side, rec_side, max_trials=16):
    """k-omega peaks of both sides and their comparison (``compare(..., kw=True)``).

    The recording's peak over its analysis band; the model's over each whole hidden
    grid (sample, unit; at most ``max_trials``, in order) over the model band. A model
    grid whose spectrum cannot be computed (too short, too small) is left out and
    listed. Returns ``(model_kw, recording_kw, distance)``.
    """
    from ..waves.kw import kw_summary

    rec_block, _ = kw_summary(rec, band=tuple(rec_summary["params"]["band"]))
    blocks, skipped = [], []
    pairs = [(s, u) for s in range(ds.sizes["sample"]) for u in range(ds.sizes["unit"])]
    for s, u in pairs[:max_trials]:
        g = whole_hidden_grid(ds, s, u)
        try:
            b, _ = kw_summary(g, band=tuple(model_band))
        except ValueError as err:
            skipped.append({"sample": s, "unit": u, "reason": str(err)})
            continue
        b.update(sample=s, unit=u)
        blocks.append(b)
    if not blocks:
        raise NeurowaveError(
            "No model hidden grid gives a k-omega spectrum "
            f"({skipped[0]['reason'] if skipped else 'no trials'}); leave out kw."
        )
    model_kw, distance = kw_distances(
        blocks, rec_block, scale=scale, model_side=model_side, rec_side=rec_side
    )
    model_kw["skipped"] = skipped
    model_kw["over"] = "whole hidden grids (sample, unit)"
    return model_kw, _clean(rec_block), distance
