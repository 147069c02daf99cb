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

__all__ = [
    "plot_phase_maps",
    "plot_distributions",
    "plot_directions",
    "plot_patterns",
    "plot_overview",
    "make_animation",
    "write_report",
]

COLORS = {"model": "#d95f02", "recording": "#1b9e77"}
LABELS = {"model": "model", "recording": "recording"}
_LINEAR = ("speed", "pgd", "wavelength", "frequency")
_TITLES = {"speed": "speed", "pgd": "PGD", "wavelength": "wavelength",
           "frequency": "frequency", "direction": "direction", "patterns": "patterns",
           "pattern_speed": "speed from pattern fits"}


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


# ---------------------------------------------------------------------------
# phase maps and animation
# ---------------------------------------------------------------------------


def _best_frames(analysis, n):
    """Indices of the ``n`` wave frames with the highest PGD, spread over time."""
    fr = analysis.frames
    pgd = np.asarray(fr["pgd"].values, float)
    wave = np.asarray(fr["is_wave"].values, bool)
    score = np.where(wave, pgd, -1.0 + np.nan_to_num(pgd, nan=-1.0) * 1e-3)
    order = np.argsort(-np.nan_to_num(score, nan=-2.0))
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
        cm = cmap.with_extremes(bad="0.85")
        im = ax.imshow(masked, origin="lower", extent=extent, cmap=cm, vmin=-np.pi,
                       vmax=np.pi, interpolation="nearest")
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return im


def _tu(analysis):
    return analysis.frames["time"].attrs.get("units") or analysis.phase["time"].attrs.get("units", "")


def plot_phase_maps(result, *, n=4):
    """Phase maps of the ``n`` strongest wave frames of each side, side by side.

    Rows: model (the trial with the most wave frames), recording. Colour: phase in
    radians on a cyclic map; grey: dead sites.
    """
    plt = _plt()
    fig, axes = plt.subplots(2, n, figsize=(2.3 * n + 1.0, 5.0), squeeze=False,
                             layout="constrained")
    im = None
    for r, side in enumerate(("model", "recording")):
        an = result.examples.get(side)
        if an is None:
            for ax in axes[r]:
                ax.axis("off")
            continue
        idx = _best_frames(an, n)
        for c in range(n):
            ax = axes[r, c]
            if c >= len(idx):
                ax.axis("off")
                continue
            i = idx[c]
            t = float(an.frames["time"].values[i])
            pgd = float(an.frames["pgd"].values[i])
            im = _draw_phase(ax, an.phase, _phase_time_index(an, i),
                             title=f"t = {t:.4g} {_tu(an)}, PGD {pgd:.2f}")
        axes[r, 0].set_ylabel(LABELS[side], fontsize=11, color=COLORS[side])
        axes[r, 0].yaxis.label.set_visible(True)
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=0.8, label="phase (rad)")
        cb.set_ticks([-np.pi, 0, np.pi], labels=["-\u03c0", "0", "\u03c0"])
    fig.suptitle("Example wave frames (highest PGD)")
    return fig


def make_animation(result, *, n_frames=36, cycles=1.5, fps=12, dpi=85):
    """An animated GIF (bytes) of a wave from each side, played side by side.

    Each panel plays ``n_frames`` phase maps spanning about ``cycles`` oscillation
    cycles around that side's strongest wave frame.
    """
    plt = _plt()
    from PIL import Image

    sides = [s for s in ("model", "recording") if result.examples.get(s) is not None]
    segs = {}
    for side in sides:
        an = result.examples[side]
        nt = an.phase.sizes["time"]
        centre = _phase_time_index(an, _best_frames(an, 1)[0]) if an.frames.sizes["time"] else 0
        f = np.asarray(an.frames["frequency"].values, float)
        f = np.abs(f[np.isfinite(f)])
        pt = np.asarray(an.phase["time"].values, float)
        dt = np.median(np.diff(pt)) if pt.size > 1 else 1.0
        per_cycle = (1.0 / np.median(f)) / dt if f.size and np.median(f) > 0 else n_frames
        step = max(1, int(round(cycles * per_cycle / n_frames)))
        start = int(np.clip(centre - step * n_frames // 2, 0, max(0, nt - step * n_frames)))
        idx = np.arange(start, start + step * n_frames, step)
        segs[side] = idx[idx < nt]
    fig, axes = plt.subplots(1, len(sides), figsize=(3.2 * len(sides), 3.4), squeeze=False,
                             layout="constrained")
    frames = []
    n = min(len(v) for v in segs.values()) if segs else 0
    for k in range(n):
        for j, side in enumerate(sides):
            ax = axes[0, j]
            ax.clear()
            an = result.examples[side]
            ti = int(segs[side][k])
            t = float(an.phase["time"].values[ti])
            _draw_phase(ax, an.phase, ti, title=f"{LABELS[side]}  t = {t:.4g} {_tu(an)}")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        buf.seek(0)
        frames.append(Image.open(buf).convert("RGB").convert("P", palette=Image.ADAPTIVE))
    plt.close(fig)
    if not frames:
        raise NeurowaveError("Nothing to animate: no side has phase maps.")
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(1000 / fps), loop=0)
    return out.getvalue()


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------


def _hist(ax, result, metric):
    a = np.asarray(result.values["model"][metric], float)
    b = np.asarray(result.values["recording"][metric], float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    both = np.concatenate([a, b])
    if both.size == 0:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
    else:
        lo, hi = np.quantile(both, [0.01, 0.99])
        if metric == "pgd":
            lo, hi = 0.0, 1.0
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        bins = np.linspace(lo, hi, 31)
        for side, v in (("model", a), ("recording", b)):
            if v.size:
                ax.hist(np.clip(v, lo, hi), bins=bins, density=True, histtype="stepfilled",
                        alpha=0.35, color=COLORS[side], label=f"{LABELS[side]} (n={v.size})")
                ax.axvline(np.median(v), color=COLORS[side], lw=1.5, ls="--")
    d = result.distances.get(metric, {})
    units = _units(result, metric)
    ax.set_xlabel(f"{_TITLES[metric]}" + (f" ({units})" if units else ""))
    ax.set_ylabel("density")
    dist = d.get("distance")
    if dist is not None and np.isfinite(dist):
        ax.set_title(f"{_TITLES[metric]}: W1 = {dist:.3g} [{_num(d.get('ci_low'))}, "
                     f"{_num(d.get('ci_high'))}]", fontsize=9)
    else:
        ax.set_title(_TITLES[metric], fontsize=9)
    ax.legend(fontsize=7, frameon=False)


def plot_distributions(result):
    """Overlaid distributions of speed, PGD, wavelength and frequency (common units),
    and of the pattern-fit speed when the analysis provides it."""
    plt = _plt()
    metrics = _LINEAR + tuple(m for m in ("pattern_speed",) if m in result.distances)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.8 * len(metrics), 3.4),
                             layout="constrained")
    for ax, m in zip(axes, metrics):
        _hist(ax, result, m)
    fig.suptitle("Distributions (dashed: medians; speed, wavelength, direction over wave frames)")
    return fig


def _rose(ax, values, color, title, d=None, side=None):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    bins = np.linspace(0, 2 * np.pi, 25)
    if v.size:
        counts, _ = np.histogram(np.deg2rad(np.mod(v, 360)), bins=bins)
        frac = counts / counts.sum()
        ax.bar(bins[:-1], frac, width=np.diff(bins), align="edge", color=color, alpha=0.6,
               edgecolor="white")
        z = np.exp(1j * np.deg2rad(v)).mean()
        ax.annotate("", xy=(np.angle(z), np.abs(z) * frac.max()), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", color="k", lw=1.5))
        title += f"\nmean {np.mod(np.rad2deg(np.angle(z)), 360):.0f}\u00b0, R = {np.abs(z):.2f}, n = {v.size}"
    else:
        title += "\nno wave frames"
    ax.set_title(title, fontsize=9)
    ax.set_yticklabels([])


def plot_directions(result):
    """Rose plots of the direction of travel over wave frames, one per side."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 4.0), subplot_kw={"projection": "polar"},
                             layout="constrained")
    for ax, side in zip(axes, ("model", "recording")):
        _rose(ax, result.values[side]["direction"], COLORS[side], LABELS[side])
    d = result.distances.get("direction", {})
    dist = d.get("distance")
    sub = "Direction of travel (deg, CCW from +x, each array's own frame)"
    if dist is not None and np.isfinite(dist):
        sub += f"\ncircular W1 = {dist:.1f}\u00b0, Kuiper p = {_num(d.get('p_value'), '.2g')}"
    fig.suptitle(sub, fontsize=10)
    return fig


def plot_patterns(result):
    """Fractions of analysed frames in each wave pattern, side by side."""
    plt = _plt()
    d = result.distances.get("patterns", {})
    fa = d.get("fractions_model") or {}
    fb = d.get("fractions_recording") or {}
    cats = list(fa or fb)
    fig, ax = plt.subplots(figsize=(7.5, 3.4), layout="constrained")
    x = np.arange(len(cats))
    w = 0.38
    ax.bar(x - w / 2, [fa.get(c, 0) for c in cats], w, color=COLORS["model"], label="model")
    ax.bar(x + w / 2, [fb.get(c, 0) for c in cats], w, color=COLORS["recording"],
           label="recording")
    ax.set_xticks(x, [c.replace("_", " ") for c in cats])
    ax.set_ylabel("fraction of frames")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False)
    dist = d.get("distance")
    if dist is not None and np.isfinite(dist):
        ax.set_title(f"Wave patterns: total variation {_num(dist, '.2f')} "
                     f"[{_num(d.get('ci_low'), '.2f')}, {_num(d.get('ci_high'), '.2f')}], "
                     f"chi-square p = {_num(d.get('p_value'), '.2g')}", fontsize=10)
    return fig


def plot_overview(result):
    """One figure: the four distributions, both roses and the pattern fractions."""
    plt = _plt()
    fig = plt.figure(figsize=(15, 7.5), layout="constrained")
    gs = fig.add_gridspec(2, 4)
    for j, m in enumerate(_LINEAR):
        _hist(fig.add_subplot(gs[0, j]), result, m)
    for j, side in enumerate(("model", "recording")):
        _rose(fig.add_subplot(gs[1, j], projection="polar"), result.values[side]["direction"],
              COLORS[side], f"direction: {LABELS[side]}")
    ax = fig.add_subplot(gs[1, 2:])
    d = result.distances.get("patterns", {})
    fa = d.get("fractions_model") or {}
    fb = d.get("fractions_recording") or {}
    cats = list(fa or fb)
    x = np.arange(len(cats))
    ax.bar(x - 0.19, [fa.get(c, 0) for c in cats], 0.38, color=COLORS["model"], label="model")
    ax.bar(x + 0.19, [fb.get(c, 0) for c in cats], 0.38, color=COLORS["recording"],
           label="recording")
    ax.set_xticks(x, [c.replace("_", " ") for c in cats], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of frames")
    ax.legend(frameon=False)
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
    return (f'<figure><img src="data:{mime};base64,{b64}" alt="{html.escape(alt)}">'
            f'<figcaption class="note">{html.escape(alt)} (<code>{html.escape(file_name)}</code>)'
            f"</figcaption></figure>")


def _fig_png(fig, dpi=100):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    _plt().close(fig)
    return buf.getvalue()


def _side_rows(result):
    keys = [("source", ("input", "path")), ("what", ("input", "description")),
            ("kind", ("input", "kind")),
            ("sites (valid)", None), ("grid shape", ("input", "grid_shape")),
            ("sampling rate", ("input", "sampling_rate")), ("duration", ("input", "duration")),
            ("time / space units", None), ("band", ("params", "band")),
            ("trials pooled", ("input", "n_trials")),
            ("wave fraction", ("summary", "wave_fraction"))]
    rows = []
    for label, path in keys:
        cells = []
        for side in ("model", "recording"):
            s = getattr(result, side)
            if label == "sites (valid)":
                inp = s.get("input", {})
                cells.append(f"{_fmt(inp.get('n_sites'))} ({_fmt(inp.get('n_valid_sites'))})")
            elif label == "time / space units":
                inp = s.get("input", {})
                cells.append(f"{_fmt(inp.get('time_units'))} / {_fmt(inp.get('space_units'))}")
            else:
                v = s
                for k in path:
                    v = v.get(k) if isinstance(v, dict) else None
                cells.append(_fmt(v))
        if label == "what" and cells == ["&ndash;", "&ndash;"]:
            continue
        rows.append(f"<tr><th>{label}</th><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
    return "\n".join(rows)


def _distance_rows(result):
    rows = []
    df = result.to_frame()
    for m, r in df.iterrows():
        units = html.escape(str(r["units"] or ""))
        if m == "patterns":
            units = "most frequent pattern"
        ci = (f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
              if r["ci_low"] is not None else "&ndash;")
        if result.distances.get(m, {}).get("few_frames"):
            ci += " *"
        rows.append(
            f"<tr><th>{m}</th><td class='num'>{_fmt(r['model'])}</td>"
            f"<td class='num'>{_fmt(r['recording'])}</td><td>{units}</td>"
            f"<td class='num'>{_fmt(r['distance'])}</td><td class='num'>{ci}</td>"
            f"<td>{_fmt(r['test'])}</td><td class='num'>{_fmt(r['statistic'])}</td>"
            f"<td class='num'>{_fmt(r['p_value'], 2)}</td></tr>")
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
    sides = [("model", "trained", result.model)] + [
        (n, titles[n], ctl[n]) for n in names] + [("recording", "recording", result.recording)]
    head = "".join(f"<th class='{'recording' if k == 'recording' else 'model'}'>{t}</th>"
                   for k, t, _ in sides)

    def get(d, *path):
        for k in path:
            d = d.get(k) if isinstance(d, dict) else None
        return d

    def med(side, m):
        return result._median(side, m)

    rows = [("wave fraction", [_fmt(get(s, "summary", "wave_fraction")) for _, _, s in sides]),
            ("effective independent wave frames",
             [_fmt(get(s, "summary", "pooled", "n_eff_wave_frames"), 2)
              if k != "recording" else _fmt(result.distances.get("speed", {}).get(
                  "n_eff_recording"), 2) for k, _, s in sides]),
            (f"speed (native: {html.escape(str(get(result.model, 'summary', 'speed', 'units')))}"
             " | recording m/s)", [_fmt(get(s, "summary", "speed", "median")) for _, _, s in sides]),
            ("frequency (native: cycles/step | Hz)",
             [_fmt(get(s, "summary", "frequency", "median")) for _, _, s in sides])]
    for m in ("speed", "wavelength", "direction", "patterns"):
        units = html.escape(str(result.distances.get(m, {}).get("units", "")))
        label = {"speed": f"speed ({units})", "wavelength": f"wavelength ({units})",
                 "direction": "direction (deg, circular mean)",
                 "patterns": "most frequent pattern"}[m]
        rows.append((label, [_fmt(med(k, m)) for k, _, _ in sides]))
    body = "\n".join(f"<tr><th>{label}</th>" + "".join(f"<td class='num'>{c}</td>" for c in cells)
                     + "</tr>" for label, cells in rows)
    sentence = html.escape(get(ctl, "coupling", "sentence") or "")
    desc = "; ".join(f"<b>{titles[n]}</b>: {html.escape(str(get(ctl, 'description', n) or ''))}"
                     for n in names)
    return (f"<h2>Controls</h2>\n<p>{sentence}</p>\n<table><tr><th></th>{head}</tr>\n{body}\n"
            f"</table>\n<p class='note'>The controls run on the same images, trials and band as "
            f"the model. {desc}.</p>")


_DISTANCE_NAMES = {"speed": "Wasserstein-1", "pattern_speed": "Wasserstein-1",
                   "pgd": "Wasserstein-1", "wavelength": "Wasserstein-1",
                   "frequency": "Wasserstein-1", "direction": "circular Wasserstein-1 (deg)",
                   "patterns": "total variation"}


def _reading(result):
    """A few sentences on what this comparison's numbers do and do not say."""
    sc = result.scale
    items = []
    if sc.get("mode") == "scale-free":
        items.append(
            "Without <code>--model-dt</code>/<code>--model-dx</code> speeds and wavelengths "
            "are relative to each array's own size and rhythm: equal values mean the same "
            "number of wavelengths across the array per cycle, not the same speed in m/s. "
            "Frequencies are compared only in the shape of their distribution.")
    else:
        items.append(
            "Physical units rest on the mapping given for one model step and one model cell; "
            "a different mapping scales model speeds, wavelengths and frequencies with it.")
    items.append(
        "Directions are measured in each array's own frame; only their spread "
        "(resultant length) compares across arrays without a common orientation.")
    items.append(
        "A p-value says whether the two distributions differ given this much data "
        "(with effective sample sizes for correlated frames); the distance and its "
        "interval say by how much. Large samples make small differences significant.")
    for m, d in result.distances.items():
        if d.get("few_frames"):
            items.append(f"<b>{html.escape(m)}</b>: {html.escape(d['note'])}.")
    dm = result.model.get("summary", {}).get("wave_fraction")
    dr = result.recording.get("summary", {}).get("wave_fraction")
    for side, frac in (("model", dm), ("recording", dr)):
        if frac is not None and frac < 0.05:
            items.append(
                f"The {side} has few wave frames ({100 * frac:.1f} %): its speed, direction "
                "and wavelength distributions rest on few frames, or none.")
    return "<ul>" + "".join(f"<li>{t}</li>" for t in items) + "</ul>"


def render_html(result, images, *, title="neurowave compare"):
    """The report page as a string; ``images`` is a list of (bytes, mime, caption, file)."""
    from .._version import __version__

    sc = result.scale
    figs = "\n".join(_img(*im) for im in images)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">neurowave {html.escape(__version__)}: the same wave measures on
<span class="model">the model</span> and <span class="recording">the recording</span>.</p>
<h2>Inputs</h2>
<table><tr><th></th><th class="model">model</th><th class="recording">recording</th></tr>
{_side_rows(result)}
</table>
{_controls_html(result)}
<h2>Units</h2>
<p>Comparison in <b>{html.escape(str(sc.get('mode')))}</b> units: {html.escape(str(sc.get('note')))}.
Array extent: model {_fmt(sc.get('model_extent'))} {html.escape(str(sc.get('model_extent_units')))},
recording {_fmt(sc.get('recording_extent'))} {html.escape(str(sc.get('recording_extent_units')))};
median period: model {_fmt(sc.get('model_period'))}, recording {_fmt(sc.get('recording_period'))}.</p>
<h2>Distances</h2>
<table><tr><th>metric</th><th class="model">model</th><th class="recording">recording</th><th>units</th>
<th>distance</th><th>{int(round(100 * sc.get('bootstrap', {}).get('ci', 0.95)))}% CI</th><th>test</th><th>statistic</th><th>p</th></tr>
{_distance_rows(result)}
</table>
<p class="note">Model and recording columns: medians (direction: circular mean; patterns: the
most frequent). Distances: {"; ".join(f"{k}: {v}" for k, v in _DISTANCE_NAMES.items())}.
Confidence intervals are basic bootstrap intervals from a circular-block bootstrap (blocks of one median cycle,
never across model trials); tests use effective sample sizes (frames / block), because
neighbouring frames are not independent. Speed, direction and wavelength are taken over
wave frames, PGD, frequency and patterns over all analysed frames; the speed from
pattern fits (plane, target and rotating waves, whose PGD is low by nature) over the
frames classified as one of those patterns. A distance near zero
with a wide interval means "not distinguishable with this much data", not "the same".
Directions are in each array's own frame.</p>
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
    """Give a report folder ordinary permissions (temporary folders are created 0700)."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    folder = Path(folder)
    os.chmod(folder, 0o777 & ~umask)
    for f in folder.iterdir():
        os.chmod(f, 0o666 & ~umask)


def build_report(result, folder, *, animation=True):
    """Write the figures and ``index.html`` into an existing ``folder``."""
    folder = Path(folder)
    images = []
    specs = [
        ("phase_maps.png", plot_phase_maps, "Phase maps of the strongest wave frames, model (top) and recording (bottom)"),
        ("distributions.png", plot_distributions, "Speed, PGD, wavelength and frequency distributions in common units"),
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
        images.insert(1, (gif, "image/gif", "A wave from each side, animated (phase maps)", "waves.gif"))
    (folder / "index.html").write_text(render_html(result, images), encoding="utf-8")
    return folder / "index.html"
