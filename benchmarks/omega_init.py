"""Which initialisation keeps a CoRNN's natural frequencies live? A short, bounded test.

The shipped paper-geometry CoRNN ended training with ``omega = 0`` at every pixel in
both units (the final ReLU of the omega encoder switched off); the small one with one
unit dead. This script trains the paper geometry (``tetrominoes-paper``, T = 100,
dt = 0.1, the published encoders, MLP 64-64-64, batch 8, Adam 1e-3, clip 1.0) from
scratch for ``--steps`` optimizer steps under each initialisation of the omega
encoder, and prints, every ``--every`` steps, the fraction of foreground pixels with
live omega per unit, the median foreground omega, the growth ratio of the states
within T (max |y| over T / max over T/2), and the running training loss; at the end
the published-metric fg-IoU on ``--n-val`` validation images.

    python benchmarks/omega_init.py --steps 250 --threads 1

Initialisations (``CoRNNConfig.omega_init``): ``default`` (PyTorch's), ``bias`` (the
final omega layer's bias set to ``--bias``, so omega starts near that value at every
pixel), ``dirac`` (the published ``_init_encoders`` of ``cornn_model2.py``, defined
there but never called: identity kernels, zero biases).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inits", nargs="+", default=["default", "bias"])
    ap.add_argument("--bias", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=250)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--n-val", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write the measurements here")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F

    from neurowave.models import get_model, get_task, segmentation_scores
    from neurowave.models.diagnostics import compute_oscillator_diagnostics

    torch.set_num_threads(args.threads)
    n_img = args.steps * args.batch_size
    task = get_task("tetrominoes-paper", n_train=min(n_img, 10000), n_val=args.n_val, n_test=0)
    xtr, ytr = task.split("train", cache=False)
    xva, yva = task.split("val", cache=False)
    results = {}
    for init in args.inits:
        torch.manual_seed(args.seed)
        model = get_model(
            "cornn",
            in_channels=3,
            n_classes=6,
            hidden_channels=2,
            c_mid=16,
            n_steps=100,
            dt=0.1,
            readout="linear",
            encoder_layers=(3, 3, 4),
            readout_bias=False,
            mlp_hidden=(64, 64, 64),
            omega_init=init,
            omega_bias=args.bias,
        )
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        rng = np.random.default_rng(args.seed)
        order = rng.permutation(len(xtr))
        rows, losses, t0 = [], [], time.perf_counter()

        def record(step, model=model, losses=losses, rows=rows, t0=t0, init=init):
            d = compute_oscillator_diagnostics(model, xva[:16], yva[:16])
            row = {
                "step": step,
                "loss": float(np.mean(losses[-args.every :])) if losses else None,
                "live_fg": [u["live_omega_fraction"]["foreground"] for u in d["units"]],
                "omega_fg_median": [u["omega"]["foreground"]["q50"] for u in d["units"]],
                "growth_T": [u["growth_ratio"]["T"] for u in d["units"]],
                "seconds": time.perf_counter() - t0,
            }
            rows.append(row)
            print(init, json.dumps(row), flush=True)

        record(0)
        model.train()
        for step in range(1, args.steps + 1):
            i = (step - 1) * args.batch_size % len(xtr)
            idx = order[i : i + args.batch_size]
            loss = F.cross_entropy(model(torch.as_tensor(xtr[idx])), torch.as_tensor(ytr[idx]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            losses.append(loss.item())
            if step % args.every == 0:
                record(step)
        model.eval()
        with torch.no_grad():
            pred = np.concatenate(
                [
                    model(torch.as_tensor(xva[i : i + 16])).argmax(1).numpy()
                    for i in range(0, len(xva), 16)
                ]
            )
        s = segmentation_scores(pred, yva, 6)
        results[init] = {
            "rows": rows,
            "val_fg_iou_paper": s["fg_iou_paper"],
            "val_fg_iou": s["fg_iou"],
        }
        print(
            init,
            "val fg-IoU (published metric)",
            round(s["fg_iou_paper"], 4),
            "ours",
            round(s["fg_iou"], 4),
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
