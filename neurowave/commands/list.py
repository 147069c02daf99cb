"""``neurowave list``: the pretrained models (task, score), the tasks and the models."""

from __future__ import annotations

HELP = "list the pretrained models (task, score), the tasks and the models"
WHAT = ("pretrained", "tasks", "models")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "list",
        help=HELP,
        description=(
            "List what the model commands accept: pretrained weights (usable as "
            "pretrained:NAME by evaluate and export) with the task they were trained on and "
            "their shipped test score, the tasks and presets of `neurowave train --task`, and "
            "the models of `neurowave train --model` with their parameter counts at the "
            "default settings."
        ),
    )
    p.add_argument("what", nargs="?", choices=("all",) + WHAT, default="all", help="what to list")
    p.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="also write the lists as JSON (default: only the tables)",
    )
    return p


def pretrained_table():
    """One dict per pretrained model: name, whether it is the default, model, parameters,
    task, test fg-IoU by both metrics; the default model first."""
    import json

    from ..models import default_pretrained, list_pretrained
    from ..models.train import pretrained_dir

    names = list_pretrained()
    default = default_pretrained() if names else None
    rows = []
    for name in sorted(names, key=lambda n: n != default):
        meta = json.loads((pretrained_dir() / f"{name}.json").read_text())
        task = dict(meta["task"])
        rows.append(
            {
                "name": name,
                "default": name == default,
                "model": meta["model"],
                "n_parameters": meta.get("n_parameters"),
                "task": task.pop("name"),
                "task_options": task,
                "test_fg_iou": meta["scores"]["test"]["fg_iou"],
                "test_fg_iou_paper": meta["scores"]["test"].get("fg_iou_paper"),
                "description": meta.get("description", ""),
                "oscillator_diagnostics": meta.get("oscillator_diagnostics"),
            }
        )
    return rows


def _oscillator_text(diag):
    """``LIVE OMEGA`` and ``BOUNDED`` cells of a pretrained model's stored diagnostics."""
    if not diag:
        return "-", "-"
    live = "/".join(f"{100 * f:.0f}%" for f in diag["live_omega_foreground"])
    bounded = (
        "within 2T"
        if diag["bounded_within_2T"]
        else "within T"
        if diag["bounded_within_T"]
        else "no"
    )
    return live, bounded


def _oscillator_sentence(row):
    """One sentence on a pretrained CoRNN whose oscillators are off or whose states grow."""
    d = row["oscillator_diagnostics"]
    if not d:
        return None
    dead = [str(u) for u, f in enumerate(d["live_omega_foreground"]) if f < 0.5]
    parts = []
    if dead:
        units = " and ".join(dead)
        parts.append(
            f"its natural frequency omega is 0 at most object pixels in unit"
            f"{'s' if len(dead) > 1 else ''} {units} (oscillators off)"
        )
    if not d["bounded_within_T"]:
        parts.append(
            "its states grow within the trained horizon T (max |y| over T is "
            f"{max(d['growth_ratio_T']):.1f}x its max over T/2)"
        )
    elif not d["bounded_within_2T"]:
        parts.append("its states grow past the trained horizon T")
    return f"note: {row['name']}: " + "; ".join(parts) + "." if parts else None


def tasks_table():
    """One dict per task and preset: name, base task, image size, options."""
    from ..models import TASK_PRESETS, get_task, list_tasks

    rows = []
    for name in list_tasks():
        t = get_task(name)
        spec = dict(t.spec())
        rows.append(
            {
                "name": name,
                "task": spec.pop("name"),
                "preset": name in TASK_PRESETS,
                "n_classes": t.n_classes,
                "options": spec,
            }
        )
    return rows


def models_table():
    """One dict per model: name, recurrent, parameters at the default configuration."""
    from ..models import count_parameters, get_model, list_models

    rows = []
    for name in list_models():
        m = get_model(name)
        rows.append(
            {
                "name": name,
                "recurrent": bool(getattr(m, "recurrent", False)),
                "n_parameters_default": count_parameters(m),
            }
        )
    return rows


def run(args):
    from ._util import print_table, write_json_atomic

    what = WHAT if args.what == "all" else (args.what,)
    out = {}
    if "pretrained" in what:
        out["pretrained"] = rows = pretrained_table()
        print_table(
            [
                (
                    "NAME",
                    "MODEL",
                    "PARAMETERS",
                    "TASK",
                    "TEST fg-IoU",
                    "PUBLISHED METRIC",
                    "LIVE OMEGA (objects, per unit)",
                    "STATES BOUNDED",
                )
            ]
            + [
                (
                    r["name"] + (" (default)" if r["default"] else ""),
                    r["model"],
                    r["n_parameters"],
                    _task_text(r["task"], r["task_options"]),
                    f"{r['test_fg_iou']:.3f}",
                    "-" if r["test_fg_iou_paper"] is None else f"{r['test_fg_iou_paper']:.3f}",
                    *_oscillator_text(r["oscillator_diagnostics"]),
                )
                for r in rows
            ],
            title="pretrained models (pretrained:NAME; the default is the demo's and the docs'):",
        )
        for r in rows:
            sentence = _oscillator_sentence(r)
            if sentence:
                print(sentence)
    if "tasks" in what:
        out["tasks"] = rows = tasks_table()
        print_table(
            [("NAME", "CLASSES", "OPTIONS")]
            + [(r["name"], r["n_classes"], _task_text(r["task"], r["options"])) for r in rows],
            title="tasks (`neurowave train --task`):",
        )
    if "models" in what:
        out["models"] = rows = models_table()
        print_table(
            [("NAME", "KIND", "PARAMETERS (defaults)")]
            + [
                (
                    r["name"],
                    "recurrent" if r["recurrent"] else "feed-forward",
                    r["n_parameters_default"],
                )
                for r in rows
            ],
            title="models (`neurowave train --model`):",
        )
    if args.json:
        write_json_atomic(out, args.json)
    return 0


def _task_text(base, options):
    opts = ", ".join(
        f"{k}={v}"
        for k, v in options.items()
        if k in ("size", "block", "max_pieces", "digit_size", "max_digits", "n_train")
    )
    return f"{base} ({opts})" if opts else base
