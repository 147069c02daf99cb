"""Figures of a comparison and one self-contained HTML report.

Every figure function takes a :class:`~neurowave.compare.CompareResult` and returns a
:class:`matplotlib.figure.Figure`; :func:`make_animation` returns GIF bytes;
:func:`write_report` writes them all (PNG, GIF, ``compare.json``) and an
``index.html`` that embeds every image as base64, so the page works offline, alone.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from .._validate import NeurowaveError
from ._format import format_effect, format_margin
from ._metrics import SIDE_LABELS, pattern_names
from .stats import circular_mean

__all__ = [
    "plot_phase_maps",
    "plot_distributions",
    "plot_directions",
    "plot_patterns",
    "plot_overview",
    "make_animation",
    "write_report",
]

COLORS = {
    "model": "#d95f02",
    "cut_coupling": "#7570b3",
    "untrained": "#666666",
    "recording": "#1b9e77",
}
#: Column labels of the sides: the registry's table (kept under its earlier name).
LABELS = SIDE_LABELS
_EXTRA_COLORS = ("#e7298a", "#66a61e", "#e6ab02", "#a6761d")
VERDICT_COLORS = {"equivalent": "#1a9641", "different": "#d7191c", "undecided": "#777777"}
#: Font sizes: figures are drawn at most 12 inches wide at 100 dpi, the width of the
#: report page, so these are the sizes a reader sees.
_FS = {"title": 11, "label": 10, "tick": 9, "note": 9}
_LINEAR = ("speed", "pgd", "wavelength", "frequency")
_TITLES = {
    "speed": "speed",
    "pgd": "PGD",
    "wavelength": "wavelength",
    "frequency": "frequency",
    "direction": "direction",
    "patterns": "patterns",
    "pattern_speed": "speed from pattern fits",
}


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _num(x, fmt=".3g"):
    """Format a number that may be None or NaN."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return format(x, fmt)


def _units(result, metric):
    return result.distances.get(metric, {}).get("units", "") or ""


def _sides(result):
    """The sides of a result, in column order (model first, recording last)."""
    return list(getattr(result, "sides", ("model", "recording")))


def _color(side, k=0):
    return COLORS.get(side, _EXTRA_COLORS[k % len(_EXTRA_COLORS)])


def _label(side, result=None):
    """The column label of a side: the model is "trained" beside its controls."""
    if side == "model" and result is not None and len(_sides(result)) > 2:
        return "trained"
    return SIDE_LABELS.get(side, side.replace("_", " "))


def _summary_of(result, side):
    """The analyze-style JSON of one side (the model, a control or the recording)."""
    if side in ("model", "recording"):
        return getattr(result, side)
    controls = getattr(result, "controls", None) or {}
    return controls.get(side) or {}


def _verdict_text(d, *, lines=False):
    """``equivalent (x0.98 [0.95, 1.02], margin x1.25)`` for a ``distances`` entry
    (with ``lines``: the verdict, then the effect on a second line)."""
    v = d.get("verdict")
    if v is None:
        return "no verdict"
    if d.get("few_frames"):
        v += " (too few frames)"
    eff = format_effect(d, dash="")
    if not eff:
        return v
    return (
        f"{v}\n{eff}, margin {format_margin(d)}"
        if lines
        else f"{v} ({eff}, margin {format_margin(d)})"
    )


# ---------------------------------------------------------------------------
# phase maps and animation
# ---------------------------------------------------------------------------


#: the fit resultant that scores a frame of each moving pattern (report figures)
_FIT_OF = {
    "planar": "r_plane",
    "radial_out": "r_radial",
    "radial_in": "r_radial",
    "rotating": "r_rotating",
}


def _frame_score(analysis):
    """Per frame, how clearly it shows its wave, and in words: the resultant of its
    pattern's fit where wave frames are moving patterns (frames rewritten by
    :func:`~neurowave.compare._model.as_wave_frames`), else its PGD."""
    fr = analysis.frames
    if "pgd_is_wave" not in fr:
        return np.asarray(fr["pgd"].values, float), "PGD"
    pats = np.asarray(fr["pattern"].values).astype(str)
    score = np.full(pats.size, np.nan)
    for pat, var in _FIT_OF.items():
        if var in fr:
            sel = pats == pat
            score[sel] = np.asarray(fr[var].values, float)[sel]
    return score, "pattern fit"


def _best_frames(analysis, n, *, waves_only=True):
    """Indices of the ``n`` clearest wave frames, spread over time: the highest PGD, or
    the best pattern fit where wave frames are moving patterns (:func:`_frame_score`).

    With ``waves_only`` (the default) only wave frames are chosen, so fewer than ``n``
    (or none) may come back; otherwise frames that are not waves fill the rest.
    """
    fr = analysis.frames
    pgd, _ = _frame_score(analysis)
    wave = np.asarray(fr["is_wave"].values, bool)
    score = np.where(wave, pgd, -1.0 + np.nan_to_num(pgd, nan=-1.0) * 1e-3)
    order = np.argsort(-np.nan_to_num(score, nan=-2.0))
    if waves_only:
        order = [i for i in order if wave[i]]
    chosen = []
    min_gap = max(1, len(pgd) // (4 * n))
    for i in order:
        if all(abs(int(i) - c) >= min_gap for c in chosen):
            chosen.append(int(i))
        if len(chosen) == n:
            break
    return sorted(chosen)


def _phase_time_index(analysis, frame_index):
    """Index into ``analysis.phase`` of the frame ``frame_index`` of ``analysis.frames``."""
    t = float(analysis.frames["time"].values[frame_index])
    pt = np.asarray(analysis.phase["time"].values, float)
    return int(np.argmin(np.abs(pt - t)))


def _draw_phase(ax, phase_da, ti, *, title=None):
    import matplotlib as mpl

    ph = np.asarray(phase_da.isel(time=ti).values, float)
    cmap = mpl.colormaps["twilight"]
    if "channel" in phase_da.dims:
        x = np.asarray(phase_da["x"].values, float)
        y = np.asarray(phase_da["y"].values, float)
        ok = np.isfinite(ph)
        im = ax.scatter(x[ok], y[ok], c=ph[ok], cmap=cmap, vmin=-np.pi, vmax=np.pi, s=60)
        ax.scatter(x[~ok], y[~ok], marker="x", color="0.6", s=30)
    else:
        x = np.asarray(phase_da["x"].values, float)
        y = np.asarray(phase_da["y"].values, float)
        dx = np.median(np.diff(x)) if x.size > 1 else 1.0
        dy = np.median(np.diff(y)) if y.size > 1 else 1.0
        extent = (x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2)
        masked = np.ma.masked_invalid(ph)
        cm = cmap.with_extremes(bad=(0.0, 0.0, 0.0, 0.0))  # NaN sites: the hatching below
        from matplotlib.patches import Rectangle

        ax.add_patch(
            Rectangle(
                (extent[0], extent[2]),
                extent[1] - extent[0],
                extent[3] - extent[2],
                facecolor="white",
                edgecolor="0.7",
                hatch="////",
                lw=0,
                zorder=0,
            )
        )
        im = ax.imshow(
            masked,
            origin="lower",
            extent=extent,
            cmap=cm,
            vmin=-np.pi,
            vmax=np.pi,
            interpolation="nearest",
            zorder=1,
        )
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=_FS["note"])
    return im


def _tu(analysis):
    return analysis.frames["time"].attrs.get("units") or analysis.phase["time"].attrs.get(
        "units", ""
    )


def plot_phase_maps(result, *, n=4):
    """Phase maps of the ``n`` strongest wave frames of each side, one row per side.

    Only wave frames are drawn (under the comparison's definition: moving patterns,
    chosen by their pattern fit, or PGD above the threshold and beating the surrogates,
    chosen by PGD); a side with fewer shows what it has and says so, a side with none
    says that.
    Rows: the model (the trial with the most wave frames), any controls, the
    recording. Colour: phase on a cyclic map; hatched: sites not analysed (dead
    electrodes, cells outside the object).
    """
    plt = _plt()
    sides = _sides(result)
    patterns = (result.params or {}).get("wave_frames", "pgd") == "patterns"
    fig, axes = plt.subplots(
        len(sides),
        n,
        figsize=(min(12.0, 2.4 * n + 1.6), 2.5 * len(sides)),
        squeeze=False,
        layout="constrained",
    )
    im = None
    for r, side in enumerate(sides):
        an = result.examples.get(side)
        idx = _best_frames(an, n) if an is not None else []
        for c in range(n):
            ax = axes[r, c]
            if c >= len(idx):
                ax.set_xticks([])
                ax.set_yticks([])
                for sp in ax.spines.values():
                    sp.set_visible(False)
                if c == len(idx):
                    if an is None:
                        msg = "not analysed"
                    elif not idx and patterns:
                        msg = "no wave frames:\nno frame classified\nas a moving pattern"
                    elif not idx:
                        msg = "no wave frames:\nPGD never passed\nthe threshold and\nthe surrogates"
                    else:
                        msg = (
                            f"only {len(idx)} wave\nframe{'s' if len(idx) > 1 else ''} "
                            "in this\ntrial"
                        )
                    ax.text(
                        0.5,
                        0.5,
                        msg,
                        ha="center",
                        va="center",
                        transform=ax.transAxes,
                        fontsize=_FS["label"],
                        color=_color(side),
                    )
                continue
            i = idx[c]
            t = float(an.frames["time"].values[i])
            pgd = float(an.frames["pgd"].values[i])
            title = f"t = {t:.4g} {_tu(an)}, PGD {pgd:.2f}"
            score, what = _frame_score(an)
            if what != "PGD":
                title += f"\n{an.frames['pattern'].values[i]}, {what} {score[i]:.2f}"
            im = _draw_phase(ax, an.phase, _phase_time_index(an, i), title=title)
        axes[r, 0].set_ylabel(_label(side, result), fontsize=_FS["title"], color=_color(side))
        axes[r, 0].yaxis.label.set_visible(True)
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=0.8, label="phase (rad)")
        cb.set_ticks([-np.pi, 0, np.pi], labels=["-\u03c0", "0", "\u03c0"])
    which = (
        "moving patterns with the best pattern fit"
        if patterns
        else "the highest PGD among wave frames"
    )
    fig.suptitle(f"Example wave frames ({which}; hatched: not analysed)", fontsize=_FS["title"])
    return fig


def make_animation(result, *, n_frames=36, cycles=1.5, fps=12, dpi=85):
    """An animated GIF (bytes) of a wave from each side, played side by side.

    Each panel plays ``n_frames`` phase maps spanning about ``cycles`` oscillation
    cycles around that side's strongest wave frame.
    """
    plt = _plt()
    from PIL import Image

    sides = [s for s in _sides(result) if result.examples.get(s) is not None]
    segs, has_waves = {}, {}
    for side in sides:
        an = result.examples[side]
        nt = an.phase.sizes["time"]
        best = _best_frames(an, 1)
        has_waves[side] = bool(best)
        if not best and an.frames.sizes["time"]:
            best = _best_frames(an, 1, waves_only=False)
        centre = _phase_time_index(an, best[0]) if best else 0
        f = np.asarray(an.frames["frequency"].values, float)
        f = np.abs(f[np.isfinite(f)])
        pt = np.asarray(an.phase["time"].values, float)
        dt = np.median(np.diff(pt)) if pt.size > 1 else 1.0
        per_cycle = (1.0 / np.median(f)) / dt if f.size and np.median(f) > 0 else n_frames
        step = max(1, int(round(cycles * per_cycle / n_frames)))
        start = int(np.clip(centre - step * n_frames // 2, 0, max(0, nt - step * n_frames)))
        idx = np.arange(start, start + step * n_frames, step)
        segs[side] = idx[idx < nt]
    fig, axes = plt.subplots(
        1, len(sides), figsize=(3.2 * len(sides), 3.6), squeeze=False, layout="constrained"
    )
    frames = []
    n = min(len(v) for v in segs.values()) if segs else 0
    for k in range(n):
        for j, side in enumerate(sides):
            ax = axes[0, j]
            ax.clear()
            an = result.examples[side]
            ti = int(segs[side][k])
            t = float(an.phase["time"].values[ti])
            title = f"{_label(side, result)}  t = {t:.4g} {_tu(an)}"
            if not has_waves[side]:
                title += f"\n(no wave frames: best {_frame_score(an)[1]})"
            _draw_phase(ax, an.phase, ti, title=title)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        buf.seek(0)
        frames.append(Image.open(buf).convert("RGB").convert("P", palette=Image.ADAPTIVE))
    plt.close(fig)
    if not frames:
        raise NeurowaveError("Nothing to animate: no side has phase maps.")
    out = io.BytesIO()
    frames[0].save(
        out, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0
    )
    return out.getvalue()


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------


def _finite(result, side, metric):
    v = result.values.get(side, {}).get(metric)
    if v is None:
        return None
    v = np.asarray(v, float)
    return v[np.isfinite(v)]


def _axis_range(vals, metric):
    """Bins for values of several sides: each side's central 99 % inside the range (so
    every median lies inside its own bars), on a log axis when the sides are positive
    and differ by more than a factor of 30."""
    present = [v for v in vals if v is not None and v.size]
    if metric == "pgd":
        return np.linspace(0.0, 1.0, 41), False
    if not present:
        return np.linspace(0.0, 1.0, 41), False
    lows = [np.quantile(v, 0.005) for v in present]
    highs = [np.quantile(v, 0.995) for v in present]
    lo, hi = min(lows), max(highs)
    positive = all(np.all(v > 0) for v in present)
    log = positive and lo > 0 and hi / lo > 30.0
    if log:
        return np.geomspace(lo / 1.05, hi * 1.05, 41), True
    if not hi > lo:
        pad = 0.5 * abs(lo) if lo else 0.5
        lo, hi = lo - pad, hi + pad
    pad = 0.02 * (hi - lo)
    return np.linspace(lo - pad, hi + pad, 41), False


def _ridges(ax, result, metric):
    """One histogram per side, stacked (each scaled to its own peak, so none is
    squashed by another), with the side's median as a dark bar inside its own bars."""
    sides = _sides(result)
    vals = [_finite(result, s, metric) for s in sides]
    if metric == "pgd":  # in [0, 1] by construction; rounding may step over 1
        vals = [None if v is None else np.clip(v, 0.0, 1.0) for v in vals]
    bins, log = _axis_range(vals, metric)
    lo, hi = bins[0], bins[-1]
    n_rows = len(sides)
    for k, (side, v) in enumerate(zip(sides, vals, strict=True)):
        y0 = n_rows - 1 - k
        col = _color(side, k)
        if v is None or v.size == 0:
            what = (
                "no wave frames" if metric in ("speed", "direction", "wavelength") else "no values"
            )
            ax.text(
                np.sqrt(lo * hi) if log else (lo + hi) / 2,
                y0 + 0.4,
                what,
                ha="center",
                va="center",
                fontsize=_FS["note"],
                color=col,
            )
            continue
        h, _ = np.histogram(v, bins=bins)  # values beyond the axis are counted in the label
        h = h / max(1, h.max()) * 0.82
        ax.stairs(h + y0, bins, baseline=y0, fill=True, color=col, alpha=0.35, lw=0)
        ax.stairs(h + y0, bins, baseline=y0, color=col, lw=1.2)
        med = float(np.median(v))
        ax.plot([med, med], [y0, y0 + 0.9], color=col, lw=2.2, solid_capstyle="butt")
    labels = []
    for s_, v in zip(sides, vals, strict=True):
        if v is None or v.size == 0:
            labels.append(_label(s_, result))
        else:
            off = int(np.sum((v < lo) | (v > hi)))
            labels.append(
                f"{_label(s_, result)}\nmedian {np.median(v):.3g}\nn = {v.size}"
                + (f" ({off} off axis)" if off else "")
            )
    ax.set_yticks([n_rows - 1 - k + 0.4 for k in range(n_rows)], labels, fontsize=_FS["note"])
    for k, t in enumerate(ax.get_yticklabels()):
        t.set_color(_color(sides[k], k))
    ax.set_ylim(0, n_rows + 0.05)
    if log:
        ax.set_xlim(lo / 1.02, hi * 1.02)
    else:
        ax.set_xlim(lo - 0.015 * (hi - lo), hi + 0.015 * (hi - lo))
    if log:
        ax.set_xscale("log")
    ax.tick_params(axis="x", labelsize=_FS["tick"])
    units = _units(result, metric)
    ax.set_xlabel(
        f"{_TITLES[metric]}" + (f" ({units})" if units else "") + (", log axis" if log else ""),
        fontsize=_FS["label"],
    )
    d = result.distances.get(metric, {})
    ax.set_title(
        f"{_TITLES[metric]}: {_verdict_text(d, lines=True)}",
        fontsize=_FS["label"],
        color=VERDICT_COLORS.get(d.get("verdict"), "black"),
    )


def _hist(ax, result, metric):
    """Distributions of one metric on every side (kept for the overview figure)."""
    _ridges(ax, result, metric)


def _distribution_metrics(result):
    return _LINEAR + tuple(m for m in ("pattern_speed",) if m in result.distances)


def plot_distributions(result):
    """The distributions of speed, PGD, wavelength and frequency (common units), and of
    the pattern-fit speed when the analysis provides it: one panel per metric, one
    stacked histogram per side, each side's median marked inside its own bars; a log
    axis where the sides differ by orders of magnitude. Panel titles give the verdict,
    the effect size with its interval and the margin."""
    plt = _plt()
    metrics = _distribution_metrics(result)
    ncol = min(3, len(metrics))
    nrow = -(-len(metrics) // ncol)
    n_sides = len(_sides(result))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(12.0, nrow * (0.85 * n_sides + 2.0)),
        squeeze=False,
        layout="constrained",
    )
    # the grid may have more panels than metrics; the spare ones are hidden below
    for ax, m in zip(axes.ravel(), metrics, strict=False):
        _ridges(ax, result, m)
    for ax in axes.ravel()[len(metrics) :]:
        ax.axis("off")
    if len(metrics) < axes.size:
        axes.ravel()[-1].text(
            0.02,
            0.95,
            "Each row: one side, its histogram\nscaled to its own peak; the bar\n"
            "is its median. Title: the verdict,\nthe effect size with its interval\n"
            "and the equivalence margin\n(x: ratio model / recording).",
            transform=axes.ravel()[-1].transAxes,
            va="top",
            fontsize=_FS["label"],
        )
    fig.suptitle(
        "Distributions per side (bar: median; speed, wavelength over wave frames)",
        fontsize=_FS["title"],
    )
    return fig


def _rose(ax, values, color, title, d=None, side=None, *, has_mean=True):
    v = np.asarray(values, float) if values is not None else np.zeros(0)
    v = v[np.isfinite(v)]
    bins = np.linspace(0, 2 * np.pi, 25)
    if v.size:
        counts, _ = np.histogram(np.deg2rad(np.mod(v, 360)), bins=bins)
        frac = counts / counts.sum()
        ax.bar(
            bins[:-1],
            frac,
            width=np.diff(bins),
            align="edge",
            color=color,
            alpha=0.6,
            edgecolor="white",
        )
        mean_deg, resultant = circular_mean(v)
        if has_mean:
            ax.annotate(
                "",
                xy=(np.deg2rad(mean_deg), resultant * frac.max()),
                xytext=(0, 0),
                arrowprops=dict(arrowstyle="->", color="k", lw=1.5),
            )
            title += f"\nmean {mean_deg:.0f}\u00b0, R = {resultant:.2f}, n = {v.size}"
        else:  # the table's Rayleigh test finds no mean direction: none is drawn
            title += f"\nno mean direction (R = {resultant:.2f}), n = {v.size}"
    else:
        title += "\nno wave frames"
    ax.set_title(title, fontsize=_FS["label"], color=color)
    ax.set_yticklabels([])
    ax.tick_params(labelsize=_FS["tick"])


def plot_directions(result):
    """Rose plots of the direction of travel over wave frames, one per side."""
    plt = _plt()
    sides = _sides(result)
    fig, axes = plt.subplots(
        1,
        len(sides),
        figsize=(min(12.0, 3.6 * len(sides) + 0.5), 4.2),
        subplot_kw={"projection": "polar"},
        squeeze=False,
        layout="constrained",
    )
    for k, (ax, side) in enumerate(zip(axes[0], sides, strict=True)):
        direction = result.summary_of(side).get("summary", {}).get("direction") or {}
        _rose(
            ax,
            result.values.get(side, {}).get("direction"),
            _color(side, k),
            _label(side, result),
            has_mean=not ("mean_deg" in direction and direction["mean_deg"] is None),
        )
    d = result.distances.get("direction", {})
    sub = "Direction of travel (deg, CCW from +x, each array's own frame)"
    if d.get("distance") is not None:
        sub += (
            f"\nshape (mean directions aligned): {_verdict_text(d, lines=True)}"
            f"\nas measured: circular W1 = {d['distance']:.1f}\u00b0"
        )
    fig.suptitle(sub, fontsize=_FS["title"], color=VERDICT_COLORS.get(d.get("verdict"), "black"))
    return fig


def _pattern_bars(ax, result):
    sides = _sides(result)
    d = result.distances.get("patterns", {})
    fr = {}
    for side in sides:
        v = result.values.get(side, {}).get("patterns")
        if v is not None and len(v):
            v = np.asarray(v).astype(str)
            fr[side] = {c: float(np.mean(v == c)) for c in _pattern_names(result)}
    cats = list(_pattern_names(result))
    x = np.arange(len(cats))
    w = 0.8 / max(1, len(sides))
    for k, side in enumerate(sides):
        f = fr.get(side, {})
        ax.bar(
            x - 0.4 + w * (k + 0.5),
            [f.get(c, 0) for c in cats],
            w,
            color=_color(side, k),
            label=_label(side, result),
        )
    ax.set_xticks(x, [c.replace("_", " ") for c in cats], fontsize=_FS["label"])
    ax.tick_params(axis="y", labelsize=_FS["tick"])
    ax.set_ylabel("fraction of frames", fontsize=_FS["label"])
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=_FS["label"])
    return d


def _pattern_names(result):
    d = result.distances.get("patterns", {})
    names = list(d.get("fractions_model") or d.get("fractions_recording") or [])
    if not names:
        names = list(pattern_names())
    return names


def plot_patterns(result):
    """Fractions of analysed frames in each wave pattern, side by side."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10.0, 3.8), layout="constrained")
    d = _pattern_bars(ax, result)
    if d.get("distance") is not None:
        ax.set_title(
            f"Wave patterns: {_verdict_text(d)}; chi-square p = {_num(d.get('p_value'), '.2g')}",
            fontsize=_FS["title"],
            color=VERDICT_COLORS.get(d.get("verdict"), "black"),
        )
    return fig


def plot_overview(result):
    """One figure: the four distributions, a rose per side and the pattern fractions."""
    plt = _plt()
    sides = _sides(result)
    fig = plt.figure(figsize=(15, 8.0), layout="constrained")
    gs = fig.add_gridspec(2, max(4, len(sides) + 2))
    for j, m in enumerate(_LINEAR):
        _ridges(fig.add_subplot(gs[0, j]), result, m)
    for j, side in enumerate(sides):
        _rose(
            fig.add_subplot(gs[1, j], projection="polar"),
            result.values.get(side, {}).get("direction"),
            _color(side, j),
            f"direction: {_label(side, result)}",
        )
    _pattern_bars(fig.add_subplot(gs[1, len(sides) :]), result)
    return fig


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
.wide{overflow-x:auto;max-width:100%} .wide table{font-size:.86em}
.note{color:#555;font-size:.9em} .model{color:#d95f02;font-weight:600}
.recording{color:#1b9e77;font-weight:600} code{background:#f4f4f4;padding:0 .2em}
"""


def _fmt(x, digits=3):
    if x is None:
        return "&ndash;"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return "&ndash;" if not np.isfinite(x) else f"{x:.{digits}g}"
    if isinstance(x, (list, tuple)):
        return ", ".join(_fmt(v, digits) for v in x)
    return html.escape(str(x))


def _img(data, mime, alt, file_name):
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img src="data:{mime};base64,{b64}" alt="{html.escape(alt)}">'
        f'<figcaption class="note">{html.escape(alt)} (<code>{html.escape(file_name)}</code>)'
        f"</figcaption></figure>"
    )


def _fig_png(fig, dpi=100):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    _plt().close(fig)
    return buf.getvalue()


def _rate_units(tu):
    return "Hz" if tu == "s" else f"samples/{tu}" if tu else ""


def _freq_units(tu):
    return "Hz" if tu == "s" else f"cycles/{tu}" if tu else ""


def _side_rows(result):
    """Rows of the inputs table, one column per side, every number with its units."""
    sides = _sides(result)
    sc = result.scale

    def extent(side):
        units = sc.get(f"{side}_extent_units") or (
            None if side == "recording" else sc.get("model_extent_units")
        )
        return sc.get(f"{side}_extent"), units

    def period(side):
        return sc.get(f"{side}_period")

    def cell(side, label):
        s = _summary_of(result, side)
        inp, par, summ = s.get("input", {}), s.get("params", {}), s.get("summary", {})
        tu, su = inp.get("time_units") or "", inp.get("space_units") or ""
        if label == "source":
            return _fmt(inp.get("path") or inp.get("source"))
        if label == "what":
            return _fmt(inp.get("description"))
        if label == "kind":
            return _fmt(inp.get("kind"))
        if label == "sites (valid)":
            return f"{_fmt(inp.get('n_sites'))} ({_fmt(inp.get('n_valid_sites'))})"
        if label == "grid shape":
            g = inp.get("grid_shape")
            return (" &times; ".join(str(int(x)) for x in g) + " sites") if g else "&ndash;"
        if label == "site spacing":
            return _with(inp.get("spacing"), su)
        if label == "region extent":
            e, u = extent(side)
            rng = sc.get(f"{side}_extent_range")
            txt = _with(e, u)
            if rng and rng[0] != rng[1]:
                txt += f" (median; {_fmt(rng[0])} to {_fmt(rng[1])})"
            return txt
        if label == "sampling rate":
            return _with(inp.get("sampling_rate"), _rate_units(tu))
        if label == "duration":
            return _with(inp.get("duration"), tu)
        if label == "band":
            b = par.get("band")
            return f"{_fmt(b[0])}&ndash;{_fmt(b[1])} {_freq_units(tu)}" if b else "&ndash;"
        if label == "median period":
            return _with(period(side), tu)
        if label == "trials pooled":
            return _fmt(inp.get("n_trials", 1 if side == "recording" else None))
        if label == "wave fraction":
            wf = summ.get("wave_fraction")
            return "&ndash;" if wf is None else f"{100 * wf:.1f} % of frames"
        if label == "wave frames (effective)":
            d = result.distances.get("speed", {})
            if side in ("model", "recording") and d.get(f"n_{side}") is not None:
                return f"{_fmt(d.get(f'n_{side}'))} ({_fmt(d.get(f'n_eff_{side}'), 2)})"
            v = _finite(result, side, "speed")
            return "&ndash;" if v is None else _fmt(int(v.size))
        return "&ndash;"

    labels = [
        "source",
        "what",
        "kind",
        "sites (valid)",
        "grid shape",
        "site spacing",
        "region extent",
        "sampling rate",
        "duration",
        "band",
        "median period",
        "trials pooled",
        "wave fraction",
        "wave frames (effective)",
    ]
    rows = []
    for label in labels:
        cells = [cell(side, label) for side in sides]
        if label == "what" and all(c == "&ndash;" for c in cells):
            continue
        rows.append(f"<tr><th>{label}</th>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(rows)


def _with(x, units):
    v = _fmt(x)
    if v == "&ndash;" or not units:
        return v
    units = str(units)
    if units in ("step", "cell", "sample") and v != "1":
        units += "s"
    return f"{v} {html.escape(units)}"


def _distance_rows(result):
    sides = _sides(result)
    rows = []
    df = result.to_frame()
    for m, r in df.iterrows():
        d = result.distances.get(m, {})
        units = html.escape(str(r["units"] or ""))
        if m == "patterns":
            units = "most frequent pattern"
        verdict = r["verdict"] or "&ndash;"
        color = VERDICT_COLORS.get(r["verdict"], "#222")
        vtxt = f"<b style='color:{color}'>{html.escape(str(verdict))}</b>"
        if d.get("few_frames"):
            vtxt += " *"
        if d.get("same_evidence_as"):
            vtxt += f" (= {html.escape(d['same_evidence_as'])})"
        ci = (
            f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]" if r["ci_low"] is not None else "&ndash;"
        )
        cells = "".join(f"<td class='num'>{_fmt(r[side])}</td>" for side in sides)
        if m == "frequency" and d.get("effect_kind") == "distance":
            units = "f / own median f (medians 1 by construction)"
        elif m == "direction":
            units = "deg (circular mean; none: no mean direction)"
        rows.append(
            f"<tr><th>{m}</th>{cells}<td>{units}</td>"
            f"<td class='num'>{html.escape(format_effect(d, dash='-'))}</td>"
            f"<td class='num'>{html.escape(format_margin(d))}</td><td>{vtxt}</td>"
            f"<td class='num'>{_fmt(r['distance'])} {ci}</td>"
            f"<td>{_fmt(r['test'])}</td><td class='num'>{_fmt(r['p_value'], 2)}</td></tr>"
        )
    if result.distances.get("dynamics"):  # compare(..., dynamics=True): the DSA row
        from .dynamics import table_row

        metric, *vals = table_row(result.distances["dynamics"], sides)
        cells = "".join(f"<td class='num'>{html.escape(v)}</td>" for v in vals[: len(sides)])
        units, effect, margin, verdict = vals[len(sides) :]
        color = VERDICT_COLORS.get(verdict, "#222")
        rows.append(
            f"<tr><th>{html.escape(metric)}</th>{cells}<td>{html.escape(units)}</td>"
            f"<td class='num'>{html.escape(effect)}</td><td class='num'>"
            f"{html.escape(margin)}</td><td><b style='color:{color}'>{html.escape(verdict)}</b>"
            "</td><td>&ndash;</td><td>DSA</td><td>&ndash;</td></tr>"
        )
    return "\n".join(rows)


def _controls_html(result):
    """The controls section: trained / cut coupling / untrained / recording columns and
    the sentence on which waves the coupling carries."""
    ctl = getattr(result, "controls", None) or {}
    names = [n for n in ("cut_coupling", "untrained") if n in ctl]
    if not names:
        note = ctl.get("note")
        return f"<p class='note'>{html.escape(note)}.</p>" if note else ""
    titles = {"cut_coupling": "cut coupling", "untrained": "untrained"}
    sides = (
        [("model", "trained", result.model)]
        + [(n, titles[n], ctl[n]) for n in names]
        + [("recording", "recording", result.recording)]
    )
    head = "".join(
        f"<th class='{'recording' if k == 'recording' else 'model'}'>{t}</th>" for k, t, _ in sides
    )

    def get(d, *path):
        for k in path:
            d = d.get(k) if isinstance(d, dict) else None
        return d

    def med(side, m):
        return result.centre(side, m)

    rows = [
        ("wave fraction", [_fmt(get(s, "summary", "wave_fraction")) for _, _, s in sides]),
        (
            "effective independent wave frames",
            [
                _fmt(get(s, "summary", "pooled", "n_eff_wave_frames"), 2)
                if k != "recording"
                else _fmt(result.distances.get("speed", {}).get("n_eff_recording"), 2)
                for k, _, s in sides
            ],
        ),
        (
            f"speed (native: {html.escape(str(get(result.model, 'summary', 'speed', 'units')))}"
            " | recording m/s)",
            [_fmt(get(s, "summary", "speed", "median")) for _, _, s in sides],
        ),
        (
            "frequency (native: cycles/step | Hz)",
            [_fmt(get(s, "summary", "frequency", "median")) for _, _, s in sides],
        ),
    ]
    for m in ("speed", "wavelength", "direction", "patterns"):
        units = html.escape(str(result.distances.get(m, {}).get("units", "")))
        label = {
            "speed": f"speed ({units})",
            "wavelength": f"wavelength ({units})",
            "direction": "direction (deg, circular mean)",
            "patterns": "most frequent pattern",
        }[m]
        rows.append((label, [_fmt(med(k, m)) for k, _, _ in sides]))
    body = "\n".join(
        f"<tr><th>{label}</th>" + "".join(f"<td class='num'>{c}</td>" for c in cells) + "</tr>"
        for label, cells in rows
    )
    sentence = html.escape(get(ctl, "coupling", "sentence") or "")
    desc = "; ".join(
        f"<b>{titles[n]}</b>: {html.escape(str(get(ctl, 'description', n) or ''))}" for n in names
    )
    return (
        f"<h2>Controls</h2>\n<p>{sentence}</p>\n<table><tr><th></th>{head}</tr>\n{body}\n"
        f"</table>\n<p class='note'>The controls run on the same images, trials and band as "
        f"the model. {desc}.</p>"
    )


_DISTANCE_NAMES = {
    "speed": "Wasserstein-1",
    "pattern_speed": "Wasserstein-1",
    "pgd": "Wasserstein-1",
    "wavelength": "Wasserstein-1",
    "frequency": "Wasserstein-1",
    "direction": "circular Wasserstein-1 (deg)",
    "patterns": "total variation",
}


def _verdict_summary(result):
    """One sentence: how many metrics are equivalent, different or undecided."""
    counted = {
        m: d.get("verdict")
        for m, d in result.distances.items()
        if d.get("verdict") and not d.get("same_evidence_as")
    }
    parts = []
    for v in ("equivalent", "different", "undecided"):
        ms = [m for m, x in counted.items() if x == v]
        if ms:
            parts.append(f"<b style='color:{VERDICT_COLORS[v]}'>{v}</b>: {', '.join(ms)}")
    if not parts:
        return ""
    return (
        "<p>Model against recording, one verdict per independent piece of evidence "
        "&mdash; " + "; ".join(parts) + ".</p>"
    )


def _reading(result):
    """A few sentences on what this comparison's numbers do and do not say."""
    sc = result.scale
    items = []
    if sc.get("mode") == "scale-free":
        items.append(
            "Without <code>--model-dt</code>/<code>--model-dx</code> wavelengths are in widths "
            "of the region analysed on each side (the valid sites of the array, or the cells "
            "of the model's object), and speeds in those widths per oscillation cycle: "
            "speed &times; period is the wavelength, so the two rows are one piece of "
            "evidence (marked &ldquo;= wavelength&rdquo;). Equal values mean the same number "
            "of region widths per cycle, not the same speed in m/s. Frequencies compare only "
            "in the shape of their distribution."
        )
    else:
        items.append(
            "Physical units rest on the mapping given for one model step and one model cell; "
            "a different mapping scales model speeds, wavelengths and frequencies with it."
        )
    items.append(
        "Directions are measured in each array's own frame: the verdict compares the shape "
        "of the two direction distributions with their mean directions aligned; the mean "
        "directions themselves compare only where the arrays share an orientation."
    )
    items.append(
        "Each verdict answers two questions about an effect size (the ratio or difference "
        "of the medians, or a distance): <i>are they the same?</i> &mdash; "
        "<b>equivalent</b> when the effect's whole interval lies inside the stated margin "
        "(two one-sided tests); <i>do they differ?</i> &mdash; <b>different</b> only when "
        "the interval lies wholly beyond the margin; otherwise <b>undecided</b>. The "
        "p-value of the last column tests whether the two distributions are identical; "
        "with hundreds of frames it rejects on trivial differences (in noise, say), so it "
        "does not set the verdict."
    )
    for m, d in result.distances.items():
        if d.get("few_frames"):
            items.append(
                f"<b>{html.escape(m)}</b>: {html.escape(d['note'])}; the verdict is undecided."
            )
    for side in _sides(result):
        frac = _summary_of(result, side).get("summary", {}).get("wave_fraction")
        if frac is not None and frac < 0.05:
            items.append(
                f"The {html.escape(_label(side, result))} has few wave frames ({100 * frac:.1f} %): "
                "its speed, direction and wavelength distributions rest on few frames, or "
                "none."
            )
    return "<ul>" + "".join(f"<li>{t}</li>" for t in items) + "</ul>"


def _same_measures(result):
    """The wave-frame definition and the speed estimator every side shares, in words."""
    p = result.params or {}
    wf = {
        "patterns": "a wave frame is a frame classified as a moving pattern (planar, "
        "radial or rotating fit)",
        "pgd": "a wave frame is a frame whose PGD passes the threshold and the surrogate test",
    }.get(p.get("wave_frames"))
    if wf is None:
        return "wave frames and speeds as each side's analysis defines them"
    return (
        f"on every side {wf} (wave_frames = {html.escape(p['wave_frames'])}), and its "
        f"speed is the {html.escape(p.get('speed_estimator', ''))}"
    )


def render_html(result, images, *, title="neurowave compare"):
    """The report page as a string; ``images`` is a list of (bytes, mime, caption, file)."""
    from .._version import __version__

    sc = result.scale
    sides = _sides(result)
    figs = "\n".join(_img(*im) for im in images)
    head = "".join(
        f'<th style="color:{_color(s, k)}">{html.escape(_label(s, result))}</th>'
        for k, s in enumerate(sides)
    )
    alpha = sc.get("verdicts", {}).get("alpha", 0.05)
    level = int(round(100 * (1 - 2 * alpha)))
    ci = int(round(100 * sc.get("bootstrap", {}).get("ci", 0.95)))
    margins = "; ".join(
        f"{m}: {html.escape(d['margin_note'])}"
        for m, d in result.distances.items()
        if d.get("margin_note")
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">neurowave {html.escape(__version__)}: the same wave measures on
<span class="model">the model</span>{" and its controls" if len(sides) > 2 else ""} and
<span class="recording">the recording</span>: {_same_measures(result)}.</p>
<h2>Inputs</h2>
<table><tr><th></th>{head}</tr>
{_side_rows(result)}
</table>
{_controls_html(result)}
<h2>Units</h2>
<p>Comparison in <b>{html.escape(str(sc.get("mode")))}</b> units: {html.escape(str(sc.get("note")))}.
The region extents and median periods behind the scale-free units are in the inputs table.</p>
<h2>Verdicts</h2>
{_verdict_summary(result)}
<div class="wide"><table><tr><th>metric</th>{head}<th>units</th>
<th>effect [{level}% CI]</th><th>margin</th><th>verdict</th>
<th>distance [{ci}% CI]</th><th>test</th><th>p (identical?)</th></tr>
{_distance_rows(result)}
</table></div>
<ul class="note">{"".join(f"<li>{html.escape(t)}</li>" for t in result.footnotes())}</ul>
<p class="note">Side columns: medians in common units (direction: circular mean; patterns:
the most frequent). Effect sizes: the ratio of the medians (x) for speeds, wavelengths and
frequencies in Hz, the difference of the medians for PGD, the circular W1 distance with the
mean directions aligned for directions, the total variation for patterns and, without a time
scale, the W1 distance of frequency / median frequency. Margins: {margins}.
Intervals come from a hierarchical bootstrap (model trials drawn with replacement, then blocks of
one median cycle within each trial, because neighbouring frames are not independent); the
effect's {level}% interval is the one of the two one-sided tests at &alpha; = {alpha:g}.
Distances: {"; ".join(f"{k}: {v}" for k, v in _DISTANCE_NAMES.items())}; their tests use
effective sample sizes (frames / block). Speed, direction and wavelength are taken over
wave frames, PGD, frequency and patterns over all analysed frames; with PGD wave frames,
the speed from pattern fits (plane, target and rotating waves, whose PGD is low by
nature) is a row of its own over the frames classified as one of those patterns (with
pattern wave frames it is the speed row itself). A verdict "different" needs the test of
the two distributions to reject too. * too few independent frames: undecided.</p>
<h2>Reading the numbers</h2>
{_reading(result)}
<h2>Figures</h2>
{figs}
</body></html>
"""


def write_report(result, path, *, overwrite=False, animation=True):
    """Write the report folder of a comparison, with one self-contained HTML page.

    The folder holds PNG figures, an animated GIF, ``compare.json`` and ``index.html``
    (every image embedded as base64). It appears only when complete; an existing
    non-empty folder is an error unless ``overwrite``.

    Parameters
    ----------
    result : CompareResult
    path : path-like
        The folder to write.
    overwrite : bool
        Replace an existing non-empty folder.
    animation : bool
        Include the animated GIF (the slowest figure).

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.
    """
    from .._outputs import atomic_directory, write_json_atomic

    path = Path(path)
    with atomic_directory(path, overwrite=overwrite) as tmp:
        build_report(result, tmp, animation=animation)
        write_json_atomic(result.to_dict(), tmp / "compare.json")
        publishable(tmp)
    return path / "index.html"


def publishable(folder):
    """Give a report folder and its files the user's umask (temporary folders are 0700)."""
    from .._outputs import give_user_mode

    folder = Path(folder)
    give_user_mode(folder)
    for f in folder.iterdir():
        give_user_mode(f)


def build_report(result, folder, *, animation=True):
    """Write the figures and ``index.html`` into an existing ``folder``."""
    folder = Path(folder)
    images = []
    specs = [
        (
            "phase_maps.png",
            plot_phase_maps,
            "Phase maps of the strongest wave frames of each side (wave frames only)",
        ),
        (
            "distributions.png",
            plot_distributions,
            "Speed, PGD, wavelength and frequency distributions in common units, one histogram per side with its median",
        ),
        ("directions.png", plot_directions, "Direction of travel over wave frames (rose plots)"),
        ("patterns.png", plot_patterns, "Fractions of frames per wave pattern"),
    ]
    for name, fn, caption in specs:
        data = _fig_png(fn(result))
        (folder / name).write_bytes(data)
        images.append((data, "image/png", caption, name))
    if animation:
        gif = make_animation(result)
        (folder / "waves.gif").write_bytes(gif)
        images.insert(
            1, (gif, "image/gif", "A wave from each side, animated (phase maps)", "waves.gif")
        )
    (folder / "index.html").write_text(render_html(result, images), encoding="utf-8")
    return folder / "index.html"
