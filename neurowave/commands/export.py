"""``neurowave export``: write a model's hidden states as a netCDF model export."""

from __future__ import annotations

from .._validate import NeurowaveError, NeurowaveIsADirectoryError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write hidden states of a run or pretrained:NAME to netCDF",
        description="Run a recurrent model on N fresh images of its task and write the "
        "hidden states (sample, time, unit, y, x) with images, labels (the object map), "
        "predictions, the trained horizon, dt and the model config to a netCDF file that "
        "`neurowave analyze`/`compare` and plain xarray read. By default it records the "
        "trained horizon T (past T the dynamics were never trained; a longer --steps "
        "window is recorded as asked and the file says whether the states stay bounded "
        "in it) and the controls `compare` measures beside the model: the same model "
        "with its coupling's neighbour taps cut and the untrained model of its "
        "architecture. It prints the fg-IoU of the predictions and, for a CoRNN, "
        "warnings when a unit's oscillators are off or its states grow.",
    )
    p.add_argument("source", metavar="RUN", help="run directory, checkpoint or pretrained:NAME")
    p.add_argument("--task", help="task or preset (default: the one the model was trained on)")
    p.add_argument("--n", type=int, default=16, help="number of images")
    p.add_argument("--seed", type=int, default=0, help="seed of the images")
    p.add_argument(
        "--untrained",
        action="store_true",
        help="same architecture with fresh weights from --seed (a control)",
    )
    p.add_argument(
        "--no-controls",
        action="store_true",
        help="do not record the controls (coupling cut, untrained) that "
        "`neurowave compare` measures beside the model",
    )
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="torch device")
    p.add_argument("--out", required=True, help="output .nc file")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a model export of an earlier run at --out (never an input "
        "nor a file neurowave did not write)",
    )
    from ._util import add_model_view_options

    add_model_view_options(p, export=True)
    return p


def run(args):
    from pathlib import Path

    import torch

    from neurowave.models import export_hidden, get_model, load_model, write_export
    from neurowave.models._cli import task_for

    if args.n < 1:
        raise NeurowaveError(f"--n must be at least 1, got {args.n}.")
    from .._outputs import OutputGuard
    from .evaluate import _source_paths

    out = Path(args.out)
    if out.is_dir():
        raise NeurowaveIsADirectoryError(
            f"{out} is a directory; pass a file name such as model.nc."
        )
    OutputGuard(_source_paths(args.source), overwrite=args.overwrite).file(
        out, option="--out", kind="netcdf"
    )
    model, ckpt = load_model(args.source, device=args.device)
    task = task_for(ckpt, args.task, source=args.source)
    source = str(args.source)
    if args.untrained:
        torch.manual_seed(args.seed)
        model = get_model(ckpt["model"], **ckpt["config"]).to(args.device).eval()
        source = f"untrained {ckpt['model']} (seed {args.seed}) shaped like {args.source}"
    for name, sel in (("--sample", args.sample), ("--unit", args.unit)):
        n_of = (
            args.n
            if name == "--sample"
            else int(getattr(model.config, "hidden_channels", 0) or 10**9)
        )
        bad = [i for i in (sel or []) if not 0 <= i < n_of]
        if bad:
            raise NeurowaveError(
                f"{name} {bad[0]} is out of range: the export holds {n_of} "
                f"{name[2:]}s (0-{n_of - 1}); pass one of them."
            )
    if args.steps is not None and args.steps < 2:
        raise NeurowaveError(f"--steps must be at least 2, got {args.steps}.")
    ds = export_hidden(
        model,
        task,
        n=args.n,
        seed=args.seed,
        n_steps=args.steps,
        device=args.device,
        source=source,
        controls=not args.no_controls,
    )
    if args.sample is not None:
        ds = ds.isel(sample=sorted(set(args.sample)))
    if args.unit is not None:
        ds = ds.isel(unit=sorted(set(args.unit)))
    if args.model_sites is not None:
        ds.attrs["model_sites"] = args.model_sites
    if args.steps is not None:
        ds.attrs["analysis_steps"] = int(args.steps)
    write_export(ds, out)
    _report(ds, out)
    return 0


def _report(ds, out):
    """The one-line summary of a written export, then its warnings."""
    from neurowave.models import segmentation_scores

    h = ds["hidden"]
    ctl = ", ".join(ds.attrs.get("controls") or []) or "none"
    names = ds["label"].attrs.get("class_names")
    s = segmentation_scores(
        ds["prediction"].values,
        ds["label"].values,
        len(names) if names else int(ds.attrs["config"]["n_classes"]),
    )
    print(
        f"neurowave export: wrote {out} (hidden {dict(h.sizes)}, {ds.attrs['model']} on "
        f"{ds.attrs['task']}, trained horizon {ds.attrs['n_steps_trained']} steps, "
        f"{h.sizes['time']} recorded; controls: {ctl}; fg-IoU {s['fg_iou']:.3f}, "
        f"published metric {s['fg_iou_paper']:.3f}, on {h.sizes['sample']} images)"
    )
    for var, ok in (ds.attrs.get("states_bounded") or {}).items():
        if not ok:
            r = max(ds.attrs["bound_ratio"][var])
            print(
                f"warning: {var}: the states are not bounded in the recorded window: max "
                f"|y| reaches {r:.3g}x its max over the first T/2 steps (bound: 2x)."
            )
    for w in (ds.attrs.get("oscillator_diagnostics") or {}).get("warnings", []):
        print(f"warning: {w}")
