"""What a comparison found: :class:`CompareResult`, its JSON, its table and its figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ._format import fmt_value, format_effect, format_margin
from ._metrics import CONTROL_TITLES, EXTRA_METRICS, METRICS, SIDE_LABELS
from .stats import circular_mean

__all__ = ["CompareResult"]


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
    params : dict
        What every side shares: ``wave_frames`` (the definition of a wave frame,
        :data:`~neurowave.compare._view.WAVE_FRAMES`) and ``speed_estimator``; both
        are repeated in each side's ``params``.
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
    sides: tuple | None = None
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.sides is None:  # the model, its controls (further keys of values), the recording
            middle = [k for k in self.values if k not in ("model", "recording")]
            self.sides = ("model", *middle, "recording")
        self.sides = tuple(self.sides)

    def to_dict(self):
        """The comparison as a JSON-ready dict (NaN as None)."""
        from .._outputs import to_jsonable

        d = {
            "neurowave_version": __version__,
            "params": dict(self.params),
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
        if metric == "direction":
            return self.mean_direction(side)
        v = np.asarray(v, float)
        if (
            metric == "frequency"
            and self.distances.get("frequency", {}).get("effect_kind") == "distance"
        ):  # relative to its own median: 1 by construction
            v = v[np.isfinite(v)]
            return f"IQR {np.subtract(*np.quantile(v, [0.75, 0.25])):.3g}" if v.size else None
        v = v[np.isfinite(v)]
        if v.size == 0:
            return None
        return float(np.median(v))

    def mean_direction(self, side):
        """The mean direction of ``side`` in degrees, or ``"none (R 0.07)"`` where its
        directions have none (Rayleigh test on its effective wave frames,
        :func:`~neurowave.compare._pool.mean_direction`)."""
        from ._pool import mean_direction

        v = self.values.get(side, {}).get("direction")
        if v is None:
            return None
        s = self.summary_of(side).get("summary", {})
        n_eff = s.get("pooled", {}).get("n_eff_wave_frames")
        if n_eff is None:  # the recording: the direction row's effective frames
            n_eff = self.distances.get("direction", {}).get("n_eff_recording")
        if n_eff is None:
            return circular_mean(v)[0]
        mean, r, _ = mean_direction(v, n_eff)
        if mean is None and r is not None:
            return f"none (R {r:.2f})"
        return mean

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
            row.update(
                {
                    k: d.get(k)
                    for k in (
                        "units",
                        "effect",
                        "effect_ci_low",
                        "effect_ci_high",
                        "effect_kind",
                        "margin",
                        "verdict",
                        "distance",
                        "ci_low",
                        "ci_high",
                        "test",
                        "statistic",
                        "p_value",
                    )
                }
            )
            row["units"] = row["units"] or ""
            rows.append(row)
        return pd.DataFrame(rows).set_index("metric")

    def table_rows(self):
        """Rows of the side-by-side terminal table (header first): each side's typical
        value, the effect size with its interval, the margin and the verdict."""
        level = int(round(100 * (1 - 2 * self.scale.get("verdicts", {}).get("alpha", 0.05))))
        wf_def = self.params.get("wave_frames")
        head = f"metric [wave frames: {wf_def}]" if wf_def else "metric"
        rows = [(head, *self.side_labels, "units", f"effect [{level}% CI]", "margin", "verdict")]
        df = self.to_frame()
        summaries = [self.summary_of(side) for side in self.sides]
        wf = [s.get("summary", {}).get("wave_fraction") for s in summaries]
        neff = [s.get("summary", {}).get("pooled", {}).get("n_eff_wave_frames") for s in summaries]
        if neff[-1] is None:
            neff[-1] = self.distances.get("speed", {}).get("n_eff_recording")
        rows.append(("wave fraction", *(fmt_value(x) for x in wf), "", "", "", ""))
        rows.append(
            (
                "eff. wave frames",
                *("-" if x is None else f"{x:.0f}" for x in neff),
                "independent",
                "",
                "",
                "",
            )
        )
        for m, r in df.iterrows():
            d = self.distances.get(m, {})
            units = {"patterns": "most frequent", "direction": "deg (mean)"}.get(m, r["units"])
            if m == "frequency" and d.get("effect_kind") == "distance":
                units = "f / own median f"
            verdict = r["verdict"] or "-"
            if d.get("few_frames"):
                verdict += " *"
            if d.get("same_evidence_as"):
                verdict += f" (={d['same_evidence_as']})"
            rows.append(
                (
                    m,
                    *(fmt_value(r[side]) for side in self.sides),
                    units,
                    format_effect(d),
                    format_margin(d),
                    verdict,
                )
            )
        if self.distances.get("dynamics"):  # compare(..., dynamics=True)
            from .dynamics import table_row

            rows.append(table_row(self.distances["dynamics"], self.sides))
        return rows

    def footnotes(self):
        """Notes under the table: metrics resting on too few independent frames, and
        rows that carry the same evidence as another."""
        notes = [f"* {m}: {d['note']}" for m, d in self.distances.items() if d.get("few_frames")]
        for m, d in self.distances.items():
            if d.get("same_evidence_as"):
                notes.append(f"(={d['same_evidence_as']}) {m}: {d['evidence_note']}")
        for m, d in self.distances.items():
            if d.get("verdict_note"):
                notes.append(f"{m} verdict: {d['verdict_note']}")
        notes += [
            f"effect of {m}: {d['effect_is']}"
            for m, d in self.distances.items()
            if d.get("effect_is")
        ]
        for w in (self.model.get("oscillators") or {}).get("warnings", []):
            notes.append(f"model oscillators: {w}")
        if self.distances.get("dynamics"):
            from .dynamics import describe

            notes.append(describe(self.distances["dynamics"]))
        for side, label in zip(self.sides, self.side_labels, strict=True):
            s = self.summary_of(side).get("summary", {})
            note = (s.get("direction") or {}).get("mean_note")
            if note:
                notes.append(f"{label} direction: {note}")
            wd = s.get("wave_definitions") or {}
            if wd.get("note"):
                notes.append(
                    f"{label}: wave frames by {wd.get('used', '?')}; the other "
                    f"definition differs: {wd['note']}"
                )
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
