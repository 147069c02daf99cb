"""Ship a trained run as pretrained weights (maintainer tool, used once per release).

    python -m neurowave.models._pretrained RUN_DIR NAME "description" [--note "machine note"]

copies ``RUN_DIR/best.pt`` (weights, config, task spec; no optimizer state) to
``neurowave/models/pretrained/NAME.pt`` and writes ``NAME.json`` with its sha256 and
the training metadata (config, task, seed, epochs, best epoch, batch size, learning
rate and schedule, gradient clipping, weight decay, the checkpoint selection criterion,
scores, training time and machine, the per-epoch history of loss, validation scores
and seconds) from ``RUN_DIR/run.json``, and, for a CoRNN, its oscillator diagnostics
on the first 64 test images (:func:`~neurowave.models.compute_oscillator_diagnostics`,
summarized: live natural frequencies per unit, growth of the states, warnings), which
``neurowave list`` shows. ``--note`` adds a sentence on the machine's conditions during
training (e.g. other jobs sharing it), so that the training time can be read right.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .train import CHECKPOINT_FORMAT, _atomic_json, _atomic_save, pretrained_dir, sha256sum

__all__ = ["ship_pretrained", "shipped_diagnostics"]

#: Test images of the oscillator diagnostics stored with a shipped model.
DIAGNOSTIC_IMAGES = 64

#: How :func:`neurowave.models.train` picks the checkpoint it keeps (``best.pt``).
SELECTION = "best validation fg-IoU (ours, per class over the split), checked every epoch"


def shipped_diagnostics(model, task_spec, *, n=DIAGNOSTIC_IMAGES):
    """Summarized oscillator diagnostics of ``model`` on the first ``n`` test images of
    its task (all of them if fewer; ``None`` for a model without oscillators)."""
    from .diagnostics import compute_oscillator_diagnostics, has_oscillators, summarize_diagnostics
    from .tasks import task_from_spec

    if not has_oscillators(model):
        return None
    task = task_from_spec(task_spec)
    x, y = task.split("test", n=min(int(n), task.sizes["test"]), cache=False)
    return summarize_diagnostics(compute_oscillator_diagnostics(model, x, y))


_KEEP = (
    "format",
    "neurowave_version",
    "model",
    "config",
    "task",
    "state_dict",
    "epoch",
    "best_val",
    "best_epoch",
    "seed",
    "train_seconds",
)


def ship_pretrained(run_dir, name, *, description="", note=None):
    run_dir = Path(run_dir)
    ckpt = torch.load(run_dir / "best.pt", map_location="cpu", weights_only=True)
    assert ckpt["format"] == CHECKPOINT_FORMAT
    run = json.loads((run_dir / "run.json").read_text())
    slim = {k: ckpt[k] for k in _KEEP if k in ckpt}
    path = pretrained_dir() / f"{name}.pt"
    _atomic_save(slim, path)
    meta = {
        "name": name,
        "file": path.name,
        "sha256": sha256sum(path),
        "description": description,
        "model": run["model"],
        "config": run["config"],
        "n_parameters": run["n_parameters"],
        "task": run["task"],
        "seed": run["seed"],
        "epochs": run["epochs"],
        "best_epoch": run["best_epoch"],
        "batch_size": run["batch_size"],
        "lr": run["lr"],
        "lr_schedule": run.get("lr_schedule", "constant"),
        "clip": run.get("clip"),
        "weight_decay": run.get("weight_decay"),
        "selection": run.get("selection", SELECTION),
        "train_seconds": run["train_seconds"],
        "history": [
            {
                k: e[k]
                for k in ("epoch", "train_loss", "val_fg_iou", "val_fg_iou_paper", "seconds")
                if k in e
            }
            for e in run.get("history", [])
        ],
        "machine": dict(run["machine"], **({"note": note} if note else {})),
        "device": run["device"],
        "scores": {"val": run["val"], "test": run["test"]},
        "all_background_fg_iou": run["all_background_fg_iou"],
        "neurowave_version": run["neurowave_version"],
    }
    from .train import load_model

    model, _ = load_model(path)
    meta["oscillator_diagnostics"] = shipped_diagnostics(model, run["task"])
    _atomic_json(meta, pretrained_dir() / f"{name}.json")
    return meta


if __name__ == "__main__":  # pragma: no cover
    ap = argparse.ArgumentParser(description="ship a run directory's best.pt as pretrained weights")
    ap.add_argument("run_dir")
    ap.add_argument("name")
    ap.add_argument("description", nargs="*")
    ap.add_argument("--note", help="the machine's conditions during training")
    a = ap.parse_args()
    m = ship_pretrained(a.run_dir, a.name, description=" ".join(a.description), note=a.note)
    print(json.dumps({k: m[k] for k in ("name", "sha256", "train_seconds")}, indent=1))
