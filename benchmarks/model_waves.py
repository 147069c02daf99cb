"""Do the hidden states of the trained CoRNN travel as waves? neurowave's own measures,
with an untrained CoRNN of the same architecture as the control.

For each of ``--n`` test images, each piece and each hidden unit, the export (recorded
for ``--steps`` steps; the automatic band needs at least 128) is analysed with
:func:`neurowave.waves.analyze` over the pixels of that piece (all other pixels NaN,
i.e. absent sites), and over the whole grid. Prints per unit the median wave fraction,
PGD, frequency (cycles/step) and speed (cells/step, over wave frames) for the trained
model and the control. For reference, the untrained coupling (the discrete Laplacian)
carries waves at 1 cell per unit time, i.e. ``dt`` cells per step.

    python benchmarks/model_waves.py [--source pretrained:cornn-tetrominoes-small]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np


def _masks(ds, s, per_piece):
    from scipy import ndimage

    if not per_piece:
        return [None]
    comp, n = ndimage.label(ds["label"].values[s] > 0)
    return [comp == c for c in range(1, n + 1)]


def measure(ds, *, per_piece, units=None, n_surrogates=19):
    from neurowave.models import hidden_grid
    from neurowave.waves import analyze

    rows = []
    units = range(ds.sizes["unit"]) if units is None else units
    for s in range(ds.sizes["sample"]):
        for u in units:
          for mask in _masks(ds, s, per_piece):
            g = hidden_grid(ds, sample=s, unit=u).astype(float)
            if mask is not None:
                g = g.where(mask)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    r = analyze(g, n_surrogates=n_surrogates, seed=0, classify=False).summary["summary"]
                except ValueError as err:  # e.g. too few valid sites
                    print(f"  sample {s} unit {u}: {err}", file=sys.stderr)
                    continue
            rows.append(dict(unit=u, wave_fraction=r["wave_fraction"], speed=r["speed"]["median"],
                             frequency=r["frequency"]["median"], pgd=r["pgd"]["median"]))
    return rows


def summarize(rows):
    out = {}
    for k in ("wave_fraction", "speed", "frequency", "pgd"):
        v = np.array([r[k] for r in rows if r[k] is not None], float)
        v = v[np.isfinite(v)]
        out[k] = dict(median=float(np.median(v)) if v.size else None,
                      q25=float(np.percentile(v, 25)) if v.size else None,
                      q75=float(np.percentile(v, 75)) if v.size else None, n=int(v.size))
    return out


def run(source, *, n=8, steps=200, seed=0, n_surrogates=19):
    import torch

    from neurowave.models import export_hidden, get_model, load_model
    from neurowave.models._cli import task_for

    torch.set_num_threads(1)
    model, ckpt = load_model(source)
    task = task_for(ckpt, None, source=source)
    torch.manual_seed(seed)
    control = get_model(ckpt["model"], **ckpt["config"]).eval()
    result = {"source": source, "n_images": n, "steps": steps,
              "dt": float(ckpt["config"].get("dt", 1.0))}
    for label, m in (("trained", model), ("untrained", control)):
        ds = export_hidden(m, task, n=n, seed=seed, n_steps=steps)
        pieces = measure(ds, per_piece=True, n_surrogates=n_surrogates)
        grid = measure(ds, per_piece=False, n_surrogates=n_surrogates)
        result[label] = {"foreground_accuracy":
                         float((ds.prediction == ds.label).where(ds.label > 0).mean())}
        for u in range(ds.sizes["unit"]):
            result[label][f"unit {u}, per piece"] = summarize([r for r in pieces if r["unit"] == u])
            result[label][f"unit {u}, whole grid"] = summarize([r for r in grid if r["unit"] == u])
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", default="pretrained:cornn-tetrominoes-small")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    a = p.parse_args(argv)
    res = run(a.source, n=a.n, steps=a.steps, seed=a.seed)
    print(f"dt = {res['dt']}: the untrained coupling carries waves at ~{res['dt']} cells/step")
    print(f"| model | sites | wave fraction | speed (cells/step) | frequency (cycles/step) | PGD |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label in ("trained", "untrained"):
        for where in [k for k in res[label] if k.startswith("unit")]:
            s = res[label][where]
            f = lambda k: "n/a" if s[k]["median"] is None else f"{s[k]['median']:.3g} [{s[k]['q25']:.3g}, {s[k]['q75']:.3g}]"
            print(f"| {label} | {where} | {f('wave_fraction')} | {f('speed')} | {f('frequency')} | {f('pgd')} |")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
