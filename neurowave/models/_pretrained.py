"""Ship a trained run as pretrained weights (maintainer tool, used once per release).

    python -m neurowave.models._pretrained RUN_DIR NAME

copies ``RUN_DIR/best.pt`` (weights, config, task spec; no optimizer state) to
``neurowave/models/pretrained/NAME.pt`` and writes ``NAME.json`` with its sha256 and
the training metadata (config, task, seed, epochs, best epoch, scores, training time
and machine) from ``RUN_DIR/run.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from .train import CHECKPOINT_FORMAT, _atomic_json, _atomic_save, pretrained_dir, sha256sum

__all__ = ["ship_pretrained"]

_KEEP = ("format", "neurowave_version", "model", "config", "task", "state_dict", "epoch",
         "best_val", "best_epoch", "seed", "train_seconds")


def ship_pretrained(run_dir, name, *, description=""):
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
        "train_seconds": run["train_seconds"],
        "machine": run["machine"],
        "device": run["device"],
        "scores": {"val": run["val"], "test": run["test"]},
        "all_background_fg_iou": run["all_background_fg_iou"],
        "neurowave_version": run["neurowave_version"],
    }
    _atomic_json(meta, pretrained_dir() / f"{name}.json")
    return meta


if __name__ == "__main__":  # pragma: no cover
    m = ship_pretrained(sys.argv[1], sys.argv[2], description=" ".join(sys.argv[3:]))
    print(json.dumps({k: m[k] for k in ("name", "sha256", "train_seconds")}, indent=1))
