"""Effect sizes and verdicts of a comparison, metric by metric: the effect and margin of
each metric (:func:`effect_of`), the statistics options (:class:`StatsOptions`), and
:func:`compare_metrics`, which runs the tests of :mod:`neurowave.compare.stats` on two
pooled sides with blocks of one cycle or one autocorrelation time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validate import NeurowaveError, NeurowaveTypeError, validate_type
from ._metrics import (
    EFFECT_KINDS,
    FREQUENCY_SHAPE_MARGIN,
    MARGINS,
    MIN_EFFECTIVE,
    WAVE_FRAME_METRICS,
    pattern_names,
)
from ._pool import frames_per_cycle, mean_direction
from .stats import autocorrelation_time, compare_categorical, compare_circular, compare_linear

__all__ = [
    "StatsOptions",
    "effect_of",
    "effect_is",
    "check_margins",
    "metric_tau",
    "verdict_and_test",
    "compare_metrics",
]


@dataclass(frozen=True)
class StatsOptions:
    """How the two sides of a comparison are tested (echoed in ``scale["bootstrap"]`` and
    ``scale["verdicts"]``).

    Attributes
    ----------
    n_boot : int
        Bootstrap resamples of each confidence interval.
    ci : float
        Confidence level of the distances' intervals.
    alpha : float
        Level of each one-sided test of the verdicts (the effects' intervals are
        ``1 - 2 alpha``).
    margins : dict | None
        Equivalence margins by metric, replacing those of
        :data:`~neurowave.compare.MARGINS` (a factor above 1 for ``speed``,
        ``wavelength``, ``pattern_speed`` and ``frequency`` in Hz; PGD units for
        ``pgd``; degrees for ``direction``; a fraction for ``patterns``; for the
        scale-free ``frequency`` row, the W1 distance of frequency / median frequency).

    Examples
    --------
    >>> StatsOptions(n_boot=200, margins={"speed": 1.5}).checked().margins
    {'speed': 1.5}
    """

    n_boot: int = 500
    ci: float = 0.95
    alpha: float = 0.05
    margins: dict | None = None

    def checked(self, *, frequency_in_hz=False):
        """These options validated (one sentence on a bad value), margins as floats."""
        validate_type(self.n_boot, "int", "n_boot")
        if not 0 < self.alpha < 0.5:
            raise NeurowaveError(
                f"`alpha` must be between 0 and 0.5 (e.g. 0.05), got {self.alpha!r}."
            )
        return replace(self, margins=check_margins(self.margins, frequency_in_hz=frequency_in_hz))


def metric_tau(metric, values, groups, kind):
    """Integrated autocorrelation time (in values) of one side's series of ``metric``."""
    tau = autocorrelation_time
    if metric == "patterns":
        v = np.asarray(values).astype(str)
        cats, counts = np.unique(v, return_counts=True)
        common = [
            c for c, n in zip(cats, counts, strict=True) if 0.05 <= n / max(1, v.size) <= 0.95
        ]
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
        note = (
            f"W1 distance of frequency / median frequency below {margin:g}: the shape of "
            "the rhythm (its absolute value needs model_dt)"
        )
        return kind, float(margin), note
    kind = EFFECT_KINDS[metric]
    margin = float(margins.get(metric, MARGINS[metric]))
    if kind == "ratio":
        note = f"medians within a factor {margin:g} ({1 / margin:.3g} to {margin:g})"
    elif kind == "difference":
        note = f"medians within {margin:g} of each other"
    elif metric == "direction":
        note = (
            f"direction distributions within {margin:g} deg (circular W1 after aligning "
            "the mean directions: arrays share no common orientation)"
        )
    else:
        note = f"total variation of the pattern fractions below {margin:g}"
    return kind, margin, note


def effect_is(metric, d):
    """What the effect of one ``distances`` entry is, in words (the table and the report
    print it beside the number)."""
    kind = d.get("effect_kind")
    if metric == "direction":
        diff, none = d.get("mean_difference_deg"), d.get("no_mean_direction")
        if none:
            means = (
                f"; the {' and the '.join(none)} {'have' if len(none) > 1 else 'has'} "
                "no mean direction (Rayleigh test), "
                "so there is no mean difference and the alignment is arbitrary: the "
                "effect measures how the spreads differ"
            )
        elif diff is not None:
            means = (
                f"; the mean directions differ by {abs(diff):.0f} deg, each in its "
                "array's own frame"
            )
        else:
            means = ""
        return "circular W1 of the directions after aligning their means" + means
    if metric == "patterns":
        return "total variation distance of the pattern fractions"
    if kind == "distance":
        return (
            "W1 distance of frequency / each side's own median frequency: the spread "
            "of the rhythm (both medians are 1 by construction)"
        )
    if kind == "ratio":
        return "ratio of the medians, model / recording"
    return "difference of the medians, model - recording"


def verdict_and_test(d, alpha):
    """Make the verdict of one ``distances`` entry agree with its distribution test.

    The verdict rests on the effect's interval against the margin; ``test`` and
    ``p_value`` test whether the two distributions differ at all, on the effective
    numbers of frames. A "different" verdict the test does not back (``p_value >
    alpha`` or no test) becomes "undecided", and ``verdict_note`` says why; an
    "equivalent" verdict beside a test that tells the distributions apart stays (a
    difference smaller than the margin is what equivalence means) and says so.
    ``test_rejects`` records whether the test tells the distributions apart.
    """
    p, verdict, test = d.get("p_value"), d.get("verdict"), d.get("test") or "distribution"
    rejects = p is not None and np.isfinite(p) and p <= alpha
    n_eff = ", ".join(
        f"{d['n_eff_' + s]:.1f} {s}"
        for s in ("model", "recording")
        if d.get("n_eff_" + s) is not None
    )
    on = f" on {n_eff} effective frames" if n_eff else ""
    if verdict == "different" and not rejects:
        d["verdict"] = "undecided"
        d["verdict_note"] = (
            f"the effect's interval lies beyond the margin, but the {test} test does not "
            f"tell the two distributions apart (p {p:.2g} > {alpha:g}{on}): undecided"
            if p is not None and np.isfinite(p)
            else "the effect's interval lies beyond the margin, but no test of the two "
            "distributions backs it: undecided"
        )
    elif verdict == "equivalent" and rejects:
        d["verdict_note"] = (
            f"the {test} test tells the distributions apart (p {p:.2g}{on}), "
            "by less than the margin: equivalent within it"
        )
    d["test_rejects"] = bool(rejects)
    return d


def check_margins(margins, *, frequency_in_hz=False):
    """Validate user margins; the frequency margin is a factor only when frequencies are
    compared in Hz (with ``model_dt``), else a W1 distance of relative frequencies."""
    if margins is None:
        return {}
    if not isinstance(margins, dict):
        raise NeurowaveTypeError(
            f"`margins` must be a dict of metric -> margin, e.g. "
            f"{{'speed': 1.5}}, got {type(margins).__name__}."
        )
    out = {}
    for m, v in margins.items():
        if m not in MARGINS:
            raise NeurowaveError(
                f"`margins` has an unknown metric {m!r}; use one of {', '.join(MARGINS)}."
            )
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise NeurowaveError(f"The margin of {m} must be a number, got {v!r}.") from None
        ratio = EFFECT_KINDS[m] == "ratio" and (m != "frequency" or frequency_in_hz)
        if ratio and not v > 1:
            raise NeurowaveError(
                f"The margin of {m} is a factor and must be above 1 (e.g. 1.5), got {v!r}."
            )
        if not v > 0 or not np.isfinite(v):
            raise NeurowaveError(f"The margin of {m} must be a positive number, got {v!r}.")
        out[m] = v
    return out


def _no_mean_direction(d, a, b):
    """Drop the mean directions (and their difference) of the sides whose directions
    have none on their effective frames (Rayleigh test, :func:`mean_direction`)."""
    none = []
    for side, v in (("model", a), ("recording", b)):
        if mean_direction(v, d.get(f"n_eff_{side}") or 0)[0] is None:
            d[f"mean_deg_{side}"] = None
            none.append(side)
    if none:
        d["mean_difference_deg"] = None
        d["no_mean_direction"] = none


def compare_metrics(values_a, side_a, values_b, side_b, *, metrics, scale, stats=None, seed=0):
    """Effect sizes, verdicts, distances and tests of side A against side B, per metric.

    ``values_a``/``values_b`` are :func:`common_values` of the two sides; ``side_a`` and
    ``side_b`` their pooled frames (trial labels, frames per cycle). Side A is the model
    (or a control of it), side B the recording; the keys of the result say
    ``model``/``recording`` whichever side A is. ``stats`` (a :class:`StatsOptions`)
    sets the bootstrap, the confidence level, the margins and the test level.
    """
    stats = stats or StatsOptions()
    cycle_a, cycle_b = frames_per_cycle(side_a), frames_per_cycle(side_b)
    units_of = {
        "speed": scale.speed_units,
        "pgd": "",
        "wavelength": scale.wavelength_units,
        "frequency": scale.frequency_units,
        "pattern_speed": scale.speed_units,
    }
    distances = {}
    for m in metrics:
        a, b = values_a[m], values_b[m]
        ga, gb = side_a.groups[m], side_b.groups[m]
        kind, margin, margin_note = effect_of(m, scale, stats.margins)
        # blocks: a median cycle of frames, or longer where the metric's own
        # autocorrelation lasts longer (then fewer frames are independent)
        tau_a, tau_b = metric_tau(m, a, ga, kind), metric_tau(m, b, gb, kind)
        ba, bb = max(cycle_a, int(np.ceil(tau_a))), max(cycle_b, int(np.ceil(tau_b)))
        kw = dict(
            block_a=ba, block_b=bb, n_boot=stats.n_boot, ci=stats.ci, seed=seed, alpha=stats.alpha
        )
        if m == "direction":
            d = compare_circular(a, b, groups_a=ga, groups_b=gb, margin=margin, **kw)
            d["note"] = (
                "directions are in each array's own frame; the verdict compares the "
                "shape of the two distributions with their mean directions aligned"
            )
            _no_mean_direction(d, a, b)
        elif m == "patterns":
            d = compare_categorical(
                a, b, categories=pattern_names(), groups_a=ga, groups_b=gb, margin=margin, **kw
            )
        else:
            # the scale-free frequency row (kind "distance": W1 of frequency / own
            # median) takes the linear distance itself as its effect
            d = compare_linear(
                a, b, groups_a=ga, groups_b=gb, units=units_of[m], effect=kind, margin=margin, **kw
            )
        d["margin_note"] = margin_note
        verdict_and_test(d, stats.alpha)
        d["effect_is"] = effect_is(m, d)
        d["over"] = (
            "wave frames"
            if m in WAVE_FRAME_METRICS
            else "frames classified planar, radial or rotating (pattern fits)"
            if m == "pattern_speed"
            else "all analysed frames"
        )
        d["block_model"], d["block_recording"] = ba, bb
        d["autocorrelation_time_model"], d["autocorrelation_time_recording"] = tau_a, tau_b
        few = [
            f"{side} {int(d.get('n_' + side, 0))} frames (effective "
            f"{d.get('n_eff_' + side, 0):.1f})"
            for side in ("model", "recording")
            if d.get("n_eff_" + side) is not None and d["n_eff_" + side] < MIN_EFFECTIVE
        ]
        d["few_frames"] = bool(few)
        if few:
            d["note"] = (
                f"too few independent frames for the interval and the verdict to "
                f"mean much: {', '.join(few)}"
            )
            if d.get("verdict") is not None:
                d["verdict"] = "undecided"
        if m == "speed" and scale.mode != "physical":
            d["same_evidence_as"] = "wavelength"
            d["evidence_note"] = (
                "without model_dt and model_dx, speed x period / region extent is the "
                "wavelength in region widths up to the spread of the period: one piece of "
                "evidence with the wavelength row, not a second one"
            )
        distances[m] = d
    return distances
