"""Do the hidden states of the trained CoRNN travel as waves? neurowave's own measures,
with an untrained CoRNN of the same architecture as the control.

Main view (per piece, trained horizon). For each of ``--n`` test images, each piece
(all other pixels NaN, i.e. absent sites) and each hidden unit, the first
``--horizon`` steps of the export (the model integrates ``T`` = 30 steps; 60 steps
are the shortest record that holds two cycles of the band's lower edge) go through
:func:`neurowave.waves.analyze` with an explicit ``--band`` (cycles/step) and pattern
classification. The *wave fraction* is the fraction of frames whose pattern is a wave
(planar, radial_out, radial_in, rotating); the speed is the pattern fit's speed
(``fit_speed``, cells/step) over those frames. The PGD of a whole piece is near zero
for waves that enter a piece from all of its edges, so PGD alone cannot see them.

Validation on ground truth, on the same piece masks, length and band: a simulated
synchronous oscillation, plane and radial waves at the coupling's speed, a standing
wave and a *phase precession* (uncoupled oscillators whose frequency rises towards a
piece's interior: no propagation, yet a radial phase pattern). The last one shows
what phase measures cannot tell from a wave, hence the causal control:

Coupling cut. Each model is run again with each 3x3 kernel of its coupling ``W_y``
replaced by its sum on the centre tap: every pixel keeps its own oscillator (omega,
alpha, y0) and a spatially uniform state evolves exactly as before, but no pixel feels
how it differs from its neighbours. Patterns that survive the cut unchanged (same
wave fraction, speed and phase spread -- the mean |phase - piece's circular mean
phase|) are set by the encoders' spatial maps, not carried from place to place;
patterns that the coupling carries or organises vanish or change (synchronous,
implausibly fast or disordered).

Old view, kept for comparison (labelled "PGD view"): ``--steps`` (200) steps, the
automatic band, frames that pass the PGD threshold and surrogate test.

    python benchmarks/model_waves.py [--source pretrained:cornn-tetrominoes-small] [--n 8]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import warnings

import numpy as np

WAVE_PATTERNS = ("planar", "radial_out", "radial_in", "rotating")
PATTERN_NAMES = WAVE_PATTERNS + ("synchronous", "other")
HORIZON = 60
BAND = (0.035, 0.09)


def piece_masks(label):
    """One boolean (y, x) mask per connected piece of a label image."""
    from scipy import ndimage

    comp, n = ndimage.label(np.asarray(label) > 0)
    return [comp == c for c in range(1, n + 1)]


def cut_coupling(model):
    """A copy of a CoRNN whose coupling ``W_y`` no longer couples neighbours.

    Each 3x3 kernel is replaced by its sum on the centre tap: a spatially uniform state
    evolves exactly as before (same natural frequencies, same channel mixing), but a
    pixel no longer feels how it differs from its neighbours, so nothing is carried
    from place to place.
    """
    import torch

    m = copy.deepcopy(model)
    with torch.no_grad():
        total = m.W_y.weight.sum(dim=(-2, -1))
        m.W_y.weight.zero_()
        m.W_y.weight[:, :, 1, 1] = total
    return m


def pattern_measure(grid, *, band=BAND, n_surrogates=19):
    """Wave-pattern fraction, pattern fractions, fit speeds and frequency of one grid."""
    from neurowave.waves import analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(grid, band=band, n_surrogates=n_surrogates, seed=0, classify=True)
    fr = res.frames
    pats = np.asarray(fr["pattern"].values).astype(str)
    wave = np.isin(pats, WAVE_PATTERNS)
    speeds = np.asarray(fr["fit_speed"].values, float)[wave]
    z = np.exp(1j * res.phase.sel(time=fr["time"]).values.reshape(fr.sizes["time"], -1))
    z = z[:, np.isfinite(z).all(0)]
    spread = np.abs(np.angle(z * np.conj(z.mean(1, keepdims=True)))).mean()
    return dict(wave_fraction=float(wave.mean()), phase_spread=float(spread),
                patterns={p: float(np.mean(pats == p)) for p in PATTERN_NAMES},
                speeds=speeds[np.isfinite(speeds)].tolist(),
                frequency=res.summary["summary"]["frequency"]["median"],
                pgd_wave_fraction=res.summary["summary"]["wave_fraction"])


def pattern_view(ds, *, band=BAND, n_surrogates=19):
    """:func:`pattern_measure` of every piece of every sample, per unit."""
    from neurowave.models import hidden_grid

    rows = []
    for s in range(ds.sizes["sample"]):
        for mask in piece_masks(ds["label"].values[s]):
            for u in range(ds.sizes["unit"]):
                g = hidden_grid(ds, sample=s, unit=u).astype(float).where(mask)
                rows.append(dict(unit=u, **pattern_measure(g, band=band, n_surrogates=n_surrogates)))
    return rows


def summarize_patterns(rows):
    """Mean fractions over pieces; speed median and quartiles over pooled wave frames."""
    sp = np.concatenate([r["speeds"] for r in rows]) if rows else np.array([])
    fq = np.array([r["frequency"] for r in rows if r["frequency"] is not None], float)
    q = (lambda p: float(np.percentile(sp, p))) if sp.size else (lambda p: None)
    return dict(
        n_pieces=len(rows),
        wave_fraction=float(np.mean([r["wave_fraction"] for r in rows])),
        patterns={p: float(np.mean([r["patterns"][p] for r in rows])) for p in PATTERN_NAMES},
        speed=dict(median=q(50), q25=q(25), q75=q(75), n_frames=int(sp.size)),
        frequency=float(np.median(fq)) if fq.size else None,
        pgd_wave_fraction=float(np.mean([r["pgd_wave_fraction"] for r in rows])),
        phase_spread=float(np.mean([r["phase_spread"] for r in rows])),
    )


def simulated_controls(masks, *, steps=HORIZON, band=BAND, speed=0.3, frequency=0.06,
                       n_surrogates=19):
    """The pattern measure on ground truth confined to ``masks`` (pieces of the export)."""
    import xarray as xr
    from scipy import ndimage

    from neurowave import make_grid
    from neurowave.datasets import simulate_wave

    ny, nx = masks[0].shape

    def sim(pattern, mask, snr_db=10, **kw):
        ys, xs = np.nonzero(mask)
        g, _ = simulate_wave(pattern, layout="grid", shape=(ny, nx), spacing=1.0,
                             time_units="step", space_units="cell", sampling_rate=1.0,
                             duration=steps, frequency=frequency, speed=speed,
                             center=(xs.mean(), ys.mean()), snr_db=snr_db, noise="white",
                             seed=0, **kw)
        return g

    def precession(mask):
        f = frequency * (0.92 + 0.07 * ndimage.distance_transform_edt(mask))
        t = np.arange(steps)[:, None, None]
        noise = 0.1 * np.random.default_rng(0).standard_normal((steps, ny, nx))
        return make_grid(np.cos(2 * np.pi * f * t) + noise, sampling_rate=1.0,
                         time_units="step", space_units="cell", kind="model")

    makers = {
        "synchronous": lambda m: sim("synchronous", m),
        "planar": lambda m: sim("planar", m, direction=90.0),
        "radial_in": lambda m: sim("radial_in", m),
        "radial_out": lambda m: sim("radial_out", m),
        "standing": lambda m: sim("planar", m, snr_db=None, direction=90.0)
        + sim("planar", m, direction=270.0),
        "phase precession": precession,
    }
    out = {}
    for name, make in makers.items():
        rows = []
        for mask in masks:
            g = make(mask)
            g.attrs.update(time_units="step", space_units="cell")
            rows.append(pattern_measure(g.where(xr.DataArray(mask, dims=("y", "x"))),
                                        band=band, n_surrogates=n_surrogates))
        out[name] = summarize_patterns(rows)
    return out


def pgd_view(ds, *, n_surrogates=19):
    """The old view: per piece, default band, PGD wave frames (speed over them)."""
    from neurowave.models import hidden_grid
    from neurowave.waves import analyze

    rows = []
    for s in range(ds.sizes["sample"]):
        for mask in piece_masks(ds["label"].values[s]):
            for u in range(ds.sizes["unit"]):
                g = hidden_grid(ds, sample=s, unit=u).astype(float).where(mask)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        r = analyze(g, n_surrogates=n_surrogates, seed=0,
                                    classify=False).summary["summary"]
                    except ValueError as err:  # e.g. too few valid sites
                        print(f"  sample {s} unit {u}: {err}", file=sys.stderr)
                        continue
                rows.append(dict(unit=u, wave_fraction=r["wave_fraction"],
                                 speed=r["speed"]["median"], frequency=r["frequency"]["median"],
                                 pgd=r["pgd"]["median"]))
    out = {}
    for u in sorted({r["unit"] for r in rows}):
        ru = [r for r in rows if r["unit"] == u]
        out[f"unit {u}"] = {}
        for k in ("wave_fraction", "speed", "frequency", "pgd"):
            v = np.array([r[k] for r in ru if r[k] is not None], float)
            v = v[np.isfinite(v)]
            out[f"unit {u}"][k] = float(np.median(v)) if v.size else None
    return out


def run(source, *, n=8, horizon=HORIZON, band=BAND, steps=200, seed=0, n_surrogates=19,
        old_view=True):
    import torch

    from neurowave.models import export_hidden, get_model, load_model
    from neurowave.models._cli import task_for

    torch.set_num_threads(1)
    model, ckpt = load_model(source)
    task = task_for(ckpt, None, source=source)
    torch.manual_seed(seed)
    control = get_model(ckpt["model"], **ckpt["config"]).eval()
    result = {"source": source, "n_images": n, "horizon": horizon, "band": list(band),
              "n_steps_trained": int(ckpt["config"].get("n_steps", 0)),
              "dt": float(ckpt["config"].get("dt", 1.0)), "patterns": {}, "pgd_view": {}}
    masks = None
    for label, m in (("trained", model), ("untrained", control)):
        for cut in (False, True):
            ds = export_hidden(cut_coupling(m) if cut else m, task, n=n, seed=seed,
                               n_steps=horizon)
            rows = pattern_view(ds, band=band, n_surrogates=n_surrogates)
            for u in range(ds.sizes["unit"]):
                key = f"{label}{', coupling cut' if cut else ''}, unit {u}"
                result["patterns"][key] = summarize_patterns([r for r in rows if r["unit"] == u])
            if masks is None:
                masks = [mk for s in range(ds.sizes["sample"])
                         for mk in piece_masks(ds["label"].values[s])]
                result["foreground_accuracy"] = {}
            if not cut:
                result["foreground_accuracy"][label] = float(
                    (ds.prediction == ds.label).where(ds.label > 0).mean())
        if old_view:
            ds = export_hidden(m, task, n=n, seed=seed, n_steps=steps)
            result["pgd_view"][label] = pgd_view(ds, n_surrogates=n_surrogates)
    result["pgd_view_steps"] = steps
    result["simulations"] = simulated_controls(masks, steps=horizon, band=band,
                                               speed=result["dt"], n_surrogates=n_surrogates)
    return result


def _fmt(v, f="{:.2f}"):
    return "n/a" if v is None else f.format(v)


def print_tables(res):
    dt = res["dt"]
    print(f"dt = {dt}: the Laplacian coupling carries waves at 1 cell per unit time, "
          f"i.e. {dt} cells/step. Steps 1-{res['horizon']} (trained T = "
          f"{res['n_steps_trained']}), band {res['band']} cycles/step, per piece.")
    head = ("| {} | wave fraction | speed (cells/step) median [q25, q75] | frequency "
            "(cycles/step) | phase spread (rad) | planar | radial_out | radial_in | synchronous |")
    sep = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"

    def row(name, s):
        p = s["patterns"]
        sp = s["speed"]
        return (f"| {name} | {s['wave_fraction']:.2f} | {_fmt(sp['median'])} "
                f"[{_fmt(sp['q25'])}, {_fmt(sp['q75'])}] | {_fmt(s['frequency'], '{:.3f}')} | "
                f"{s['phase_spread']:.2f} | "
                f"{p['planar']:.2f} | {p['radial_out']:.2f} | {p['radial_in']:.2f} | "
                f"{p['synchronous']:.2f} |")

    print("\nValidation on ground truth (same piece masks, length and band):")
    print(head.format("simulation"))
    print(sep)
    for k, s in res["simulations"].items():
        print(row(k, s))
    print("\nHidden states:")
    print(head.format("model, unit"))
    print(sep)
    for k, s in res["patterns"].items():
        print(row(k, s))
    if res["pgd_view"]:
        print(f"\nPGD view (old): {res['pgd_view_steps']} steps, automatic band, per piece, "
              "PGD wave frames; medians over pieces")
        print("| model, unit | wave fraction | speed (cells/step) | frequency (cycles/step) | PGD |")
        print("| --- | --- | --- | --- | --- |")
        for label, units in res["pgd_view"].items():
            for u, s in units.items():
                print(f"| {label}, {u} | {_fmt(s['wave_fraction'])} | {_fmt(s['speed'])} | "
                      f"{_fmt(s['frequency'], '{:.3f}')} | {_fmt(s['pgd'])} |")
    print("\nforeground accuracy:", {k: round(v, 3) for k, v in res["foreground_accuracy"].items()})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", default="pretrained:cornn-tetrominoes-small")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--horizon", type=int, default=HORIZON)
    p.add_argument("--band", type=float, nargs=2, default=BAND)
    p.add_argument("--steps", type=int, default=200, help="length of the old PGD view")
    p.add_argument("--no-pgd-view", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    a = p.parse_args(argv)
    res = run(a.source, n=a.n, horizon=a.horizon, band=tuple(a.band), steps=a.steps,
              seed=a.seed, old_view=not a.no_pgd_view)
    print_tables(res)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
