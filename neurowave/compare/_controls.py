"""The controls of a comparison: what cutting the model's coupling did to each unit's
waves (:func:`coupling_reading`), and the ``controls`` block of the JSON
(:func:`control_results`).
"""

from __future__ import annotations

from ._pool import common_values, scale_between

__all__ = ["coupling_reading", "control_results"]


def coupling_reading(trained, cut, *, oscillators=None):
    """Per unit, whether the coupling carries the model's waves, and one sentence.

    A unit's waves are *carried by the coupling* when cutting it leaves at most half
    their wave fraction, *not carried* when at least three quarters survive, *partly*
    in between; a unit with under 5 % wave frames shows no waves to judge.

    Parameters
    ----------
    trained, cut : dict
        Analyze JSON of the model and of its coupling-cut control (``summary["units"]``).
    oscillators : dict | None
        The export's oscillator diagnostics (``attrs["oscillator_diagnostics"]``, per unit
        ``live_omega_foreground``): where a unit's natural frequencies are off, waves
        that survive the cut are not put down to them.

    Returns
    -------
    units : dict
        unit -> ``{"trained", "cut_coupling", "ratio", "carried"}`` (carried: "yes",
        "partly", "no" or "no waves").
    sentence : str
    """
    units, carried, survive, partly, none, dead = {}, [], [], [], [], []
    live = (oscillators or {}).get("live_omega_foreground") or []
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
            off = int(u) < len(live) and live[int(u)] is not None and live[int(u)] < 0.5
            (dead if off else survive).append(f"unit {u} ({a:.2f} → {b:.2f})")
        else:
            verdict = "partly"
            partly.append(f"unit {u} ({a:.2f} → {b:.2f})")
        units[u] = {"trained": a, "cut_coupling": b, "ratio": ratio, "carried": verdict}
    parts = []
    if carried:
        parts.append(
            f"the coupling carries the waves of {', '.join(carried)}: cutting it removes them"
        )
    if partly:
        parts.append(f"it carries part of those of {', '.join(partly)}")
    if survive:
        parts.append(
            f"the waves of {', '.join(survive)} survive the cut, so they are set "
            "by the encoders' spatial maps (e.g. a natural frequency that varies "
            "across an object), not carried from place to place"
        )
    if dead:
        parts.append(
            f"the waves of {', '.join(dead)} survive the cut, so they are not "
            "carried from place to place; with the unit's natural frequency off "
            "(0 over most object pixels) they are not the oscillators' either, but "
            "phase set by the encoders' damping and input maps"
        )
    if none:
        parts.append(f"{', '.join('unit ' + u for u in none)} shows no waves")
    if not parts:
        return units, "No unit could be judged."
    text = "; ".join(parts)
    return units, "Wave fraction, model → coupling cut: " + text[0].lower() + text[1:] + "."


def control_results(ctrl, man, scale, rec_side, metrics, model_dt, model_dx, wanted, ds):
    """The ``controls`` block: each control's analyze JSON, its values in the common
    units (popped by the caller as ``_values_NAME``), and the coupling reading."""
    if not ctrl:
        if not wanted:
            return {}
        return {
            "note": "the export records no controls (an older export, a simulation or a "
            "model without them); re-export with `neurowave export`, or pass "
            "`controls=` to `neurowave.models.export_states` for a model of your "
            "own, to measure the cut-coupling and untrained controls"
        }
    out = {}
    for name, c in ctrl.items():
        cs = scale_between(c.side, rec_side, model_dt=model_dt, model_dx=model_dx)
        out[f"_values_{name}"] = common_values(c.side, name, cs, metrics)
        out[name] = c.summary
    if "cut_coupling" in ctrl:
        diag = ds.attrs.get("oscillator_diagnostics")
        units, sentence = coupling_reading(
            man.summary,
            ctrl["cut_coupling"].summary,
            oscillators=diag if isinstance(diag, dict) else None,
        )
        out["coupling"] = {"units": units, "sentence": sentence}
    out["description"] = {
        name: str(ds[f"hidden_{name}"].attrs.get("long_name", name)).removeprefix("control: ")
        for name in ctrl
    }
    return out
