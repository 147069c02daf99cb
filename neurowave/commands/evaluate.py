"""``neurowave evaluate``: score a trained model on a freshly generated test set."""

from __future__ import annotations

from .._validate import NeurowaveError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "evaluate",
        help="score a run or pretrained:NAME on a task's test set",
        description="Score a trained model (run directory, .pt checkpoint or pretrained:NAME) "
        "on a freshly generated test set: pixel accuracy, foreground accuracy, fg-IoU (per class "
        "over the whole set) and the published fg-IoU (per image over true-foreground pixels).",
    )
    p.add_argument("source", metavar="RUN", help="run directory, checkpoint or pretrained:NAME")
    p.add_argument("--task", help="task or preset (default: the one the model was trained on)")
    p.add_argument("--n", type=int, help="number of test images (default: the task's test size)")
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "val", "test"),
        help="which split of the task to generate",
    )
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="torch device")
    p.add_argument(
        "--diag-n",
        type=int,
        default=64,
        metavar="N",
        help="images of the oscillator diagnostics (CoRNN: live natural "
        "frequencies per unit, growth of the states over T/2, T and 2T; "
        "default 64 of the evaluated images; 0 skips them)",
    )
    p.add_argument(
        "--controls",
        action="store_true",
        help="also score the controls on the same images: the same model with "
        "its coupling's neighbour taps cut (CoRNN) and the untrained model "
        "of its architecture, each with its oscillator diagnostics",
    )
    p.add_argument("--json", metavar="OUT", help="write the scores as JSON (default: none)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the --json file of an earlier run (never an input)",
    )
    return p


def _source_paths(source):
    """The files a RUN argument reads: the folder and its checkpoints, or the file."""
    from pathlib import Path

    s = str(source)
    if s.startswith("pretrained:"):
        return []
    p = Path(s)
    if p.is_dir():
        return [p, *p.glob("*.pt"), p / "run.json"]
    return [p]


def run(args):
    from neurowave.models import count_parameters, evaluate, load_model, task_from_spec
    from neurowave.models._cli import task_for

    from .._outputs import OutputGuard
    from ._util import print_table, write_json_atomic

    OutputGuard(_source_paths(args.source), overwrite=args.overwrite).file(
        args.json, option="--json", kind="json"
    )
    model, ckpt = load_model(args.source, device=args.device)
    task = task_for(ckpt, args.task, source=args.source)
    if args.n is not None and args.n < 1:
        raise NeurowaveError(f"--n must be at least 1, got {args.n}.")
    if args.diag_n < 0:
        raise NeurowaveError(f"--diag-n must be 0 or more images, got {args.diag_n}.")
    scores = evaluate(model, task, split=args.split, n=args.n, device=args.device, cache=False)
    out = {
        "source": str(args.source),
        "checkpoint": ckpt["_path"],
        "model": ckpt["model"],
        "config": ckpt["config"],
        "n_parameters": count_parameters(model),
        "task": task.spec(),
        "scores": scores,
    }
    rows = [
        ("model", f"{ckpt['model']} ({out['n_parameters']} parameters)"),
        ("task", task.name),
        ("images", scores["n_images"]),
        ("fg-IoU", f"{scores['fg_iou']:.4f}"),
        ("fg-IoU, published metric", f"{scores['fg_iou_paper']:.4f}"),
        ("pixel accuracy", f"{scores['pixel_accuracy']:.4f}"),
        ("foreground accuracy", f"{scores['foreground_accuracy']:.4f}"),
    ]
    meta = ckpt.get("_pretrained")
    same_task = task.spec() == task_from_spec(ckpt["task"]).spec()  # by name or preset
    if meta is not None and same_task and not (args.n is None and args.split == "test"):
        rows.append(
            (
                "shipped fg-IoU",
                "not checked: the shipped score is on the whole test split (drop --n and --split)",
            )
        )
    if meta is not None and same_task and args.n is None and args.split == "test":
        shipped = meta["scores"]["test"]["fg_iou"]
        out["shipped_scores"] = meta["scores"]["test"]
        out["reproduced"] = abs(shipped - scores["fg_iou"]) < 5e-4
        rows.append(
            (
                "shipped fg-IoU",
                f"{shipped:.4f} ({'reproduced' if out['reproduced'] else 'NOT reproduced'})",
            )
        )
        paper = meta["scores"]["test"].get("fg_iou_paper")
        if paper is not None:
            ok = abs(paper - scores["fg_iou_paper"]) < 5e-4
            out["reproduced"] = out["reproduced"] and ok
            rows.append(
                (
                    "shipped fg-IoU, published metric",
                    f"{paper:.4f} ({'reproduced' if ok else 'NOT reproduced'})",
                )
            )
    for k, v in scores["iou_per_class"].items():
        rows.append((f"  IoU {k}", "n/a" if v != v else f"{v:.3f}"))
    warnings = _diagnose(model, task, args, scores, out, rows)
    print_table(rows, title=f"neurowave evaluate {args.source}")
    for w in warnings:
        print(f"warning: {w}")
    if args.json:
        write_json_atomic(out, args.json)
    return 0


def _diagnose(model, task, args, scores, out, rows):
    """Oscillator diagnostics of the model (and with ``--controls`` the controls' scores
    and diagnostics) into ``out`` and ``rows``; returns the warnings to print."""
    from neurowave.models import CONTROLS, cut_coupling, evaluate, untrained_like
    from neurowave.models.diagnostics import (
        compute_oscillator_diagnostics,
        diagnostic_rows,
        has_oscillators,
    )

    models = {"model": model}
    if args.controls:
        if hasattr(model, "W_y"):
            models["cut_coupling"] = cut_coupling(model)
        models["untrained"] = untrained_like(model)
    k = min(args.diag_n, scores["n_images"])
    images = labels = None
    if k and has_oscillators(model):
        images, labels = task.split(args.split, n=k, cache=False)
    warnings = []
    for name, m in models.items():
        label = "" if name == "model" else f"{name.replace('_', ' ')}: "
        if name != "model":
            s = evaluate(m, task, split=args.split, n=args.n, device=args.device, cache=False)
            out.setdefault("controls", {})[name] = {"description": CONTROLS[name], "scores": s}
            rows.append(
                (
                    f"{label}fg-IoU, published metric",
                    f"{s['fg_iou_paper']:.4f} (fg-IoU {s['fg_iou']:.4f})",
                )
            )
        if images is None:
            continue
        d = compute_oscillator_diagnostics(m, images, labels, device=args.device)
        if name == "model":
            out["oscillator_diagnostics"] = d
        else:
            out["controls"][name]["oscillator_diagnostics"] = d
        rows.extend(diagnostic_rows(d, prefix=label))
        warnings += [f"{label}{w}" for w in d["warnings"]]
    if images is not None:
        rows.append(("oscillator diagnostics", f"on the first {k} {args.split} images"))
    return warnings
