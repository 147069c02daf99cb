"""``neurowave train``: train a wave RNN or a baseline on a segmentation task."""

from __future__ import annotations

import contextlib
import json

from neurowave._validate import NeurowaveFileNotFoundError

from .._validate import NeurowaveError


def _kv(text):
    if "=" not in text:
        raise NeurowaveError(f"Options are KEY=VALUE, got {text!r}; e.g. --config n_steps=50.")
    k, v = text.split("=", 1)
    with contextlib.suppress(json.JSONDecodeError):
        v = json.loads(v)
    return k.strip(), v


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train a wave RNN (cornn) or a baseline on a segmentation task",
        description="Train a model on a procedurally generated task. Keeps the checkpoint "
        "with the best validation fg-IoU (best.pt), the last one for --resume (last.pt), "
        "a metrics log (metrics.jsonl) and run.json with test scores. --like takes the "
        "recipe of a shipped model or an earlier run (see `neurowave list`); the defaults "
        "of --model cornn are the paper's (176,124 parameters, slow on a CPU). Without a "
        "terminal, progress is one line per batch (at most one a second).",
    )
    p.add_argument(
        "--like",
        metavar="SOURCE",
        default=None,
        help="recipe of pretrained:NAME or a run directory: its model, model "
        "options, task, learning rate, batch size and epochs, unless given "
        "here (default: none)",
    )
    p.add_argument(
        "--task",
        default=None,
        help="task or preset, e.g. tetrominoes, tetrominoes-small (default: the "
        "--like recipe's; required without --like)",
    )
    p.add_argument(
        "--model",
        default=None,
        help="cornn, convlstm, cnn or unet (default: the --like recipe's; required without --like)",
    )
    p.add_argument(
        "--readout",
        default=None,
        help="fft, linear, last, mean or max (recurrent models; default: the model's, linear)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"total epochs (default: {DEFAULTS['epochs']}, or the --like recipe's)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data order")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="torch device")
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"images per batch (default: {DEFAULTS['batch_size']}, or the --like recipe's)",
    )
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"Adam learning rate (default: {DEFAULTS['lr']:g}, or the --like recipe's)",
    )
    p.add_argument(
        "--lr-schedule",
        default=None,
        metavar="{constant,cosine}",
        help="learning rate over the run: constant, or cosine (from --lr down "
        "to 0 over all --epochs' steps; default: constant, or the --like "
        "recipe's)",
    )
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model option, e.g. n_steps=50 or mlp_hidden=[64,64,64] (repeatable; "
        "default: the model's defaults, or the --like recipe's)",
    )
    p.add_argument(
        "--task-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="task option, e.g. n_train=1000 (repeatable; default: the task's)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads, in all over --nproc processes (default: torch's choice)",
    )
    p.add_argument(
        "--nproc",
        type=int,
        default=1,
        help="train data-parallel in N processes (DistributedDataParallel; gloo on "
        "CPU, nccl on CUDA); --batch-size stays the global batch. Or start "
        "`python -m neurowave train ...` under torchrun, N processes per node",
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--out", required=True, help="run directory")
    return p


#: training settings when neither the command line nor a --like recipe gives them
DEFAULTS = {"epochs": 10, "batch_size": 32, "lr": 1e-3, "lr_schedule": "constant"}


def recipe(source):
    """Model, model options, task spec and training settings of ``pretrained:NAME`` or a
    run directory (its ``run.json``)."""
    from pathlib import Path

    from neurowave.models import list_pretrained
    from neurowave.models.train import pretrained_dir

    s = str(source)
    if s.startswith("pretrained:"):
        name = s.split(":", 1)[1]
        if name not in list_pretrained():
            raise NeurowaveError(
                f"--like {s}: no pretrained model of that name; available: "
                f"{', '.join(list_pretrained()) or 'none'} (see neurowave list)."
            )
        meta = json.loads((pretrained_dir() / f"{name}.json").read_text())
    else:
        run = Path(s) / "run.json"
        if not run.is_file():
            raise NeurowaveFileNotFoundError(
                f"--like {s}: give pretrained:NAME or a run directory "
                "holding run.json (written by neurowave train)."
            )
        meta = json.loads(run.read_text())
    cfg = {k: v for k, v in meta["config"].items() if k not in ("in_channels", "n_classes")}
    return {
        "model": meta["model"],
        "config": cfg,
        "task": meta["task"],
        "epochs": meta.get("epochs"),
        "batch_size": meta.get("batch_size"),
        "lr": meta.get("lr"),
        "lr_schedule": meta.get("lr_schedule"),
    }


def run(args):
    import torch

    from neurowave._validate import check_option
    from neurowave.models import get_task, list_models, task_from_spec, train

    from ._util import print_table

    like = recipe(args.like) if args.like else None
    model_name = args.model or (like["model"] if like else None)
    if model_name is None or (args.task is None and like is None):
        raise NeurowaveError(
            "Pass --task and --model, or --like pretrained:NAME (see neurowave "
            "list) to train with a shipped model's recipe."
        )
    check_option("model", model_name, list_models())
    settings = {
        k: getattr(args, k) if getattr(args, k) is not None else (like or {}).get(k) or v
        for k, v in DEFAULTS.items()
    }
    check_option("--lr-schedule", settings["lr_schedule"], ("constant", "cosine"))
    if settings["epochs"] < 1:
        raise NeurowaveError(f"--epochs must be at least 1, got {settings['epochs']}.")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.nproc < 1:
        raise NeurowaveError(f"--nproc must be at least 1, got {args.nproc}.")
    cfg = dict(like["config"]) if like and like["model"] == model_name else {}
    cfg.update(_kv(t) for t in args.config)
    if args.readout is not None:
        if model_name not in ("cornn", "convlstm"):
            raise NeurowaveError(
                f"--readout applies to cornn and convlstm, not {model_name}; drop it."
            )
        cfg["readout"] = args.readout
    task_options = dict(_kv(t) for t in args.task_option)
    if args.task is not None:
        task = get_task(args.task, **task_options)
    else:
        task = task_from_spec({**like["task"], **task_options})
    r = train(
        model_name,
        task,
        model_config=cfg,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        lr=settings["lr"],
        lr_schedule=settings["lr_schedule"],
        seed=args.seed,
        device=args.device,
        out=args.out,
        resume=args.resume,
        verbose=True,
        nproc=args.nproc,
    )
    if r is None:  # a torchrun process other than 0: process 0 reports
        return 0
    t = r["test"]
    print_table(
        [
            ("model", f"{model_name} ({r['n_parameters']} parameters)"),
            (
                "task",
                f"{task.name} {json.dumps({k: v for k, v in task.spec().items() if k != 'name'})}",
            ),
            ("best epoch", r["best_epoch"]),
            (
                "test fg-IoU",
                f"{t['fg_iou']:.3f} (all background: {r['all_background_fg_iou']:.3f})",
            ),
            ("test fg-IoU, published metric", f"{t['fg_iou_paper']:.3f}"),
            ("test pixel accuracy", f"{t['pixel_accuracy']:.3f}"),
            ("test foreground accuracy", f"{t['foreground_accuracy']:.3f}"),
            ("training time", f"{r['train_seconds']:.0f} s"),
            ("run", args.out),
        ],
        title="neurowave train",
    )
    return 0
