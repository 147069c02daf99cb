"""``neurowave export``: write a model's hidden states as a netCDF model export."""

from __future__ import annotations


def add_parser(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write hidden states of a run or pretrained:NAME to netCDF",
        description="Run a recurrent model on N fresh images of its task and write the "
        "hidden states (sample, time, unit, y, x) with images, labels and predictions to a "
        "netCDF file that `neurowave analyze`/`compare` and plain xarray read.",
    )
    p.add_argument("source", metavar="RUN", help="run directory, checkpoint or pretrained:NAME")
    p.add_argument("--task", help="task or preset (default: the one the model was trained on)")
    p.add_argument("--n", type=int, default=16, help="number of images (default 16)")
    p.add_argument("--seed", type=int, default=0, help="seed of the images (default 0)")
    p.add_argument("--steps", type=int, metavar="T",
                   help="record T steps of hidden states (default: the model's own T)")
    p.add_argument("--untrained", action="store_true",
                   help="same architecture with fresh weights from --seed (a control)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--out", required=True, help="output .nc file")
    return p


def run(args):
    from pathlib import Path

    import torch

    from neurowave.models import export_hidden, get_model, load_model, write_export

    from neurowave.models._cli import task_for

    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}.")
    out = Path(args.out)
    if out.is_dir():
        raise IsADirectoryError(f"{out} is a directory; pass a file name such as model.nc.")
    model, ckpt = load_model(args.source, device=args.device)
    task = task_for(ckpt, args.task, source=args.source)
    source = str(args.source)
    if args.untrained:
        torch.manual_seed(args.seed)
        model = get_model(ckpt["model"], **ckpt["config"]).to(args.device).eval()
        source = f"untrained {ckpt['model']} (seed {args.seed}) shaped like {args.source}"
    ds = export_hidden(model, task, n=args.n, seed=args.seed, n_steps=args.steps, device=args.device, source=source)
    write_export(ds, out)
    h = ds["hidden"]
    print(f"neurowave export: wrote {out} (hidden {dict(h.sizes)}, {ds.attrs['model']} on "
          f"{ds.attrs['task']}, accuracy {float((ds.prediction == ds.label).mean()):.3f})")
    return 0
