"""Do the hidden states of the trained CoRNN travel as waves? neurowave's own measures,
with the cut-coupling and untrained controls.

Main view: the product's default path for a model export,
:func:`neurowave.compare.analyze_model` -- each piece of each of ``--n`` test images
on its own (all other cells NaN), the first ``2 T`` steps (``T`` = 30 the trained
horizon; 60 steps hold two cycles of the band's lower edge), one band from the pooled
spectrum of all trials (or ``--band``), wave frame = a frame classified planar,
radial_out, radial_in or rotating, its speed the pattern fit's (cells/step). The PGD
of a whole piece is near zero for waves that enter a piece from all of its edges, so
PGD alone cannot see them.

Validation on ground truth, on the same piece masks, length and band: a simulated
synchronous oscillation, plane and radial waves at the coupling's speed, a standing
wave and a *phase precession* (uncoupled oscillators whose frequency rises towards a
piece's interior: no propagation, yet a radial phase pattern). The last one shows
what phase measures cannot tell from a wave, hence the causal control:

Coupling cut (:func:`neurowave.models.cut_coupling`): each 3x3 kernel of ``W_y``
summed onto its centre tap: every pixel keeps its own oscillator (omega, alpha, y0)
and a spatially uniform state evolves exactly as before, but no pixel feels how it
differs from its neighbours. Patterns that survive the cut unchanged (same wave
fraction, speed and phase spread -- the mean |phase - piece's circular mean phase|)
are set by the encoders' spatial maps, not carried from place to place; patterns that
the coupling carries or organises vanish or change. ``neurowave export`` records both
controls and ``neurowave compare`` measures them beside the model by default.

Old view, kept for comparison (labelled "PGD view"): ``--steps`` (200) steps, the
automatic band, frames that pass the PGD threshold and surrogate test.

    python benchmarks/model_waves.py [--source pretrained:NAME] [--n 8] [--no-pgd-view]

``--source`` defaults to the default pretrained model
(:func:`neurowave.models.default_pretrained`, the paper-geometry CoRNN).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np

PATTERN_NAMES = ("planar", "radial_out", "radial_in", "rotating", "synchronous", "other")


def piece_masks(label):
    """One boolean (y, x) mask per object of a label image (the product's objects)."""
    from neurowave.compare import object_masks

    return object_masks(label)


def phase_spread(res):
    """Mean |phase - region's circular mean phase| over the frames of each trial."""
    out = []
    for an in res.analyses:
        fr = an.frames
        z = np.exp(1j * an.phase.sel(time=fr["time"]).values.reshape(fr.sizes["time"], -1))
        z = z[:, np.isfinite(z).all(0)]
        out.append(np.abs(np.angle(z * np.conj(z.mean(1, keepdims=True)))).mean())
    return float(np.mean(out))


def summarize(res, unit=None):
    """Per unit (or pooled) the product's summary, plus the phase spread."""
    s = res.summary["summary"]
    if unit is not None:
        r = s["units"][str(unit)]
        sub = type(res)(
            summary=res.summary,
            view=res.view,
            band=res.band,
            analyses=[a for a, t in zip(res.analyses, res.trials, strict=True) if t[2] == unit],
            trials=[t for t in res.trials if t[2] == unit],
        )
        spread = phase_spread(sub)
    else:
        r = {
            "wave_fraction": s["wave_fraction"],
            "speed": s["speed"],
            "frequency": s["frequency"]["median"],
            "patterns": s["patterns"],
            "n_trials": s["pooled"]["n_trials"],
        }
        spread = phase_spread(res)
    return dict(
        n_pieces=r["n_trials"],
        wave_fraction=r["wave_fraction"],
        patterns={p: r["patterns"].get(p, 0.0) for p in PATTERN_NAMES},
        speed=r["speed"],
        frequency=r["frequency"],
        phase_spread=spread,
    )


def simulated_controls(masks, *, steps, band, speed=0.3, frequency=None):
    """The default path on ground truth confined to ``masks`` (pieces of the export).

    ``frequency`` (cycles/step) defaults to the centre of ``band``, so that the
    simulated waves pass the band the model is measured in.

    Each mask becomes one sample of a simulated export with that piece as its only
    object, measured by :func:`neurowave.compare.analyze_model` in ``band``.
    """
    import xarray as xr
    from scipy import ndimage

    from neurowave.compare import analyze_model
    from neurowave.datasets import simulate_wave

    ny, nx = masks[0].shape
    if frequency is None:
        frequency = float(np.mean(band))

    def sim(pattern, mask, snr_db=10, **kw):
        ys, xs = np.nonzero(mask)
        g, _ = simulate_wave(
            pattern,
            layout="grid",
            shape=(ny, nx),
            spacing=1.0,
            time_units="step",
            space_units="cell",
            sampling_rate=1.0,
            duration=steps,
            frequency=frequency,
            speed=speed,
            center=(xs.mean(), ys.mean()),
            snr_db=snr_db,
            noise="white",
            seed=0,
            **kw,
        )
        return g.values

    def precession(mask):
        f = frequency * (0.92 + 0.07 * ndimage.distance_transform_edt(mask))
        t = np.arange(steps)[:, None, None]
        noise = 0.1 * np.random.default_rng(0).standard_normal((steps, ny, nx))
        return np.cos(2 * np.pi * f * t) + noise

    makers = {
        "synchronous": lambda m: sim("synchronous", m),
        "planar": lambda m: sim("planar", m, direction=90.0),
        "radial_in": lambda m: sim("radial_in", m),
        "radial_out": lambda m: sim("radial_out", m),
        "standing": lambda m: (
            sim("planar", m, snr_db=None, direction=90.0) + sim("planar", m, direction=270.0)
        ),
        "phase precession": precession,
    }
    out = {}
    for name, make in makers.items():
        h = np.stack([make(m) for m in masks])[:, :, None].astype(np.float32)
        ds = xr.Dataset(
            {
                "hidden": (("sample", "time", "unit", "y", "x"), h),
                "label": (("sample", "y", "x"), np.stack(masks).astype(np.int16)),
            },
            coords={
                "time": ("time", np.arange(1.0, steps + 1), {"units": "step"}),
                "y": ("y", np.arange(float(ny)), {"units": "cell"}),
                "x": ("x", np.arange(float(nx)), {"units": "cell"}),
            },
            attrs={
                "kind": "model",
                "model": "simulated",
                "sampling_rate": 1.0,
                "source": f"simulated {name}",
            },
        )
        out[name] = summarize(analyze_model(ds, band=band), unit=0)
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
                        r = analyze(g, n_surrogates=n_surrogates, seed=0, classify=False).summary[
                            "summary"
                        ]
                    except ValueError as err:  # e.g. too few valid sites
                        print(f"  sample {s} unit {u}: {err}", file=sys.stderr)
                        continue
                rows.append(
                    dict(
                        unit=u,
                        wave_fraction=r["wave_fraction"],
                        speed=r["speed"]["median"],
                        frequency=r["frequency"]["median"],
                        pgd=r["pgd"]["median"],
                    )
                )
    out = {}
    for u in sorted({r["unit"] for r in rows}):
        ru = [r for r in rows if r["unit"] == u]
        out[f"unit {u}"] = {}
        for k in ("wave_fraction", "speed", "frequency", "pgd"):
            v = np.array([r[k] for r in ru if r[k] is not None], float)
            v = v[np.isfinite(v)]
            out[f"unit {u}"][k] = float(np.median(v)) if v.size else None
    return out


def run(source, *, n=8, horizon=None, band=None, steps=200, seed=0, old_view=True):
    import torch

    from neurowave.compare import analyze_model
    from neurowave.models import export_hidden, load_model, untrained_like
    from neurowave.models._cli import task_for

    torch.set_num_threads(1)
    model, ckpt = load_model(source)
    task = task_for(ckpt, None, source=source)
    result = {
        "source": source,
        "n_images": n,
        "n_steps_trained": int(ckpt["config"].get("n_steps", 0)),
        "dt": float(ckpt["config"].get("dt", 1.0)),
        "patterns": {},
        "pgd_view": {},
        "foreground_accuracy": {},
    }
    ref = None
    for label, m in (("trained", model), ("untrained", untrained_like(model, seed=seed))):
        ds = export_hidden(m, task, n=n, seed=seed, n_steps=horizon, source=label)
        result["foreground_accuracy"][label] = float(
            (ds.prediction == ds.label).where(ds.label > 0).mean()
        )
        for var, cut in (("hidden", False), ("hidden_cut_coupling", True)):
            res = analyze_model(
                ds,
                variable=var,
                band=band if ref is None else ref.band,
                view=None if ref is None else ref.view,
            )
            if ref is None:
                ref = res
                result["band"] = list(res.band)
                result["band_source"] = res.summary["params"]["band_source"]
                result["horizon"] = res.view.steps
                result["model_view"] = res.view.describe()
                masks = [mk for s in res.view.samples for mk in res.view.masks[s]]
            for u in res.view.units:
                key = f"{label}{', coupling cut' if cut else ''}, unit {u}"
                result["patterns"][key] = summarize(res, unit=u)
        if old_view:
            ds = export_hidden(m, task, n=n, seed=seed, n_steps=steps, controls=False)
            result["pgd_view"][label] = pgd_view(ds)
    result["pgd_view_steps"] = steps
    result["simulations"] = simulated_controls(
        masks, steps=result["horizon"], band=tuple(result["band"]), speed=result["dt"]
    )
    return result


def _fmt(v, f="{:.2f}"):
    return "n/a" if v is None else f.format(v)


def print_tables(res):
    dt = res["dt"]
    print(
        f"dt = {dt}: the Laplacian coupling carries waves at 1 cell per unit time, "
        f"i.e. {dt} cells/step. Steps 1-{res['horizon']} (trained T = "
        f"{res['n_steps_trained']}), band {res['band'][0]:.3f}-{res['band'][1]:.3f} "
        f"cycles/step ({res['band_source']}), per piece: {res['model_view']}."
    )
    head = (
        "| {} | wave fraction | speed (cells/step) median [q25, q75] | frequency "
        "(cycles/step) | phase spread (rad) | planar | radial_out | radial_in | synchronous |"
    )
    sep = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"

    def row(name, s):
        p = s["patterns"]
        sp = s["speed"]
        return (
            f"| {name} | {s['wave_fraction']:.2f} | {_fmt(sp['median'])} "
            f"[{_fmt(sp['q25'])}, {_fmt(sp['q75'])}] | {_fmt(s['frequency'], '{:.3f}')} | "
            f"{s['phase_spread']:.2f} | "
            f"{p['planar']:.2f} | {p['radial_out']:.2f} | {p['radial_in']:.2f} | "
            f"{p['synchronous']:.2f} |"
        )

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
        print(
            f"\nPGD view (old): {res['pgd_view_steps']} steps, automatic band, per piece, "
            "PGD wave frames; medians over pieces"
        )
        print(
            "| model, unit | wave fraction | speed (cells/step) | frequency (cycles/step) | PGD |"
        )
        print("| --- | --- | --- | --- | --- |")
        for label, units in res["pgd_view"].items():
            for u, s in units.items():
                print(
                    f"| {label}, {u} | {_fmt(s['wave_fraction'])} | {_fmt(s['speed'])} | "
                    f"{_fmt(s['frequency'], '{:.3f}')} | {_fmt(s['pgd'])} |"
                )
    print("\nforeground accuracy:", {k: round(v, 3) for k, v in res["foreground_accuracy"].items()})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--source",
        default=None,
        help="run directory, checkpoint or pretrained:NAME (default: the default pretrained model)",
    )
    p.add_argument("--n", type=int, default=8)
    p.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="steps measured (default: twice the trained horizon)",
    )
    p.add_argument(
        "--band",
        type=float,
        nargs=2,
        default=None,
        help="cycles/step (default: from the pooled spectrum)",
    )
    p.add_argument("--steps", type=int, default=200, help="length of the old PGD view")
    p.add_argument("--no-pgd-view", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    a = p.parse_args(argv)
    if a.source is None:
        from neurowave.models import default_pretrained

        a.source = f"pretrained:{default_pretrained()}"
    res = run(
        a.source,
        n=a.n,
        horizon=a.horizon,
        band=tuple(a.band) if a.band else None,
        steps=a.steps,
        seed=a.seed,
        old_view=not a.no_pgd_view,
    )
    print_tables(res)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
