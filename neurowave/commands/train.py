"""``neurowave train``: train a wave RNN or a baseline on a segmentation task."""

from __future__ import annotations

import json

from .._validate import NeurowaveError


def _kv(text):
    if "=" not in text:
        raise NeurowaveError(f"Options are KEY=VALUE, got {text!r}; e.g. --config n_steps=50.")
    k, v = text.split("=", 1)
    try:
        v = json.loads(v)
    except json.JSONDecodeError:
        pass
    return k.strip(), v


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train a wave RNN (cornn) or a baseline on a segmentation task",
        description="Train a model on a procedurally generated task. Keeps the checkpoint "
        "with the best validation fg-IoU (best.pt), the last one for --resume (last.pt), "
        "a metrics log (metrics.jsonl) and run.json with test scores.",
    )
    p.add_argument("--task", required=True, help="task or preset, e.g. tetrominoes, tetrominoes-small")
    p.add_argument("--model", required=True, help="cornn, convlstm, cnn or unet")
    p.add_argument("--readout", help="fft, linear, last, mean or max (recurrent models)")
    p.add_argument("--epochs", type=int, default=10, help="total epochs (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data order (default 0)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help="model option, e.g. n_steps=50 or mlp_hidden=[64,64,64] (repeatable)")
    p.add_argument("--task-option", action="append", default=[], metavar="KEY=VALUE",
                   help="task option, e.g. n_train=1000 (repeatable)")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--out", required=True, help="run directory")
    return p


def run(args):
    import torch

    from neurowave.models import get_task, list_models, train
    from neurowave._validate import check_option

    from ._util import print_table

    check_option("model", args.model, list_models())
    if args.epochs < 1:
        raise NeurowaveError(f"--epochs must be at least 1, got {args.epochs}.")
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = dict(_kv(t) for t in args.config)
    if args.readout is not None:
        if args.model not in ("cornn", "convlstm"):
            raise NeurowaveError(f"--readout applies to cornn and convlstm, not {args.model}; drop it.")
        cfg["readout"] = args.readout
    task = get_task(args.task, **dict(_kv(t) for t in args.task_option))
    r = train(args.model, task, model_config=cfg, epochs=args.epochs, batch_size=args.batch_size,
              lr=args.lr, seed=args.seed, device=args.device, out=args.out, resume=args.resume,
              verbose=True)
    t = r["test"]
    print_table(
        [("model", f"{args.model} ({r['n_parameters']} parameters)"),
         ("task", f"{task.name} {json.dumps({k: v for k, v in task.spec().items() if k != 'name'})}"),
         ("best epoch", r["best_epoch"]),
         ("test fg-IoU", f"{t['fg_iou']:.3f} (all background: {r['all_background_fg_iou']:.3f})"),
         ("test pixel accuracy", f"{t['pixel_accuracy']:.3f}"),
         ("test foreground accuracy", f"{t['foreground_accuracy']:.3f}"),
         ("training time", f"{r['train_seconds']:.0f} s"),
         ("run", args.out)],
        title="neurowave train",
    )
    return 0
