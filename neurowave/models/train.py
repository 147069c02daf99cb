"""Training, evaluation, checkpoints and pretrained weights.

A *run directory* holds ``best.pt`` (the checkpoint of the best validation fg-IoU),
``last.pt`` (for resuming), ``metrics.jsonl`` (one JSON line per epoch) and
``run.json`` (configuration, seed, timing, machine and final test scores).
Checkpoints are plain ``torch.save`` dicts of tensors and JSON-able values, loaded
with ``weights_only=True``. ``pretrained:NAME`` names weights shipped in
``neurowave/models/pretrained/`` whose sha256 is checked at load.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .._outputs import atomic_file, run_lock, write_text_atomic
from .._validate import (
    NeurowaveError,
    NeurowaveFileExistsError,
    NeurowaveFileNotFoundError,
    check_option,
    describe_cause,
)
from .._version import __version__
from .config import config_to_dict
from .metrics import segmentation_scores
from .registry import get_model
from .tasks import task_from_spec

__all__ = [
    "train",
    "train_seeds",
    "evaluate",
    "predict",
    "resolve_device",
    "load_checkpoint",
    "load_model",
    "save_checkpoint",
    "pretrained_dir",
    "list_pretrained",
    "default_pretrained",
    "machine_info",
    "CHECKPOINT_FORMAT",
]

CHECKPOINT_FORMAT = "neurowave-checkpoint-2"
#: Older checkpoint formats that load_checkpoint upgrades in memory. Format 1 predates
#: the CoRNN's ``encoder_layers`` and ``readout_bias`` options: its CoRNNs had two
#: convolutions per encoder and a biased linear readout.
_UPGRADES = {
    "neurowave-checkpoint-1": {"cornn": {"encoder_layers": [2, 2, 2], "readout_bias": True}}
}


def resolve_device(device="cpu"):
    """``torch.device`` for ``"cpu"`` or ``"cuda"``; a sentence when CUDA is unavailable.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        device = device.type
    if device not in ("cpu", "cuda"):
        raise NeurowaveError(f"`device` must be 'cpu' or 'cuda', got {device!r}.")
    if device == "cuda" and not torch.cuda.is_available():
        raise NeurowaveError(
            "CUDA was requested but no CUDA device is available to PyTorch "
            f"(torch {torch.__version__}); pass --device cpu or install a CUDA build of PyTorch."
        )
    return torch.device(device)


def machine_info():
    """A short description of the machine (for training metadata)."""
    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": str(torch.__version__),
        "torch_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
    }
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


#: least seconds between two per-batch progress lines when output is not a terminal
BATCH_LINE_SECONDS = 1.0


def _atomic_save(obj, path):
    with atomic_file(path) as tmp:
        torch.save(obj, tmp)


def _atomic_json(obj, path):
    write_text_atomic(json.dumps(obj, indent=2, default=float) + "\n", path)


def _atomic_text(text, path):
    write_text_atomic(text, path)


def save_checkpoint(path, *, model, task, **extra):
    """Save ``model`` (weights, registry name, config) and the task spec to ``path`` atomically."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "neurowave_version": __version__,
        "model": model.model_name,
        "config": config_to_dict(model.config),
        "task": task.spec(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **extra,
    }
    _atomic_save(state, path)


def sha256sum(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pretrained_dir():
    """Folder of the shipped pretrained weights."""
    return Path(__file__).parent / "pretrained"


def list_pretrained():
    """Names usable as ``pretrained:NAME``.

    Examples
    --------
    >>> "cornn-tetrominoes-small" in list_pretrained()
    True
    """
    return tuple(sorted(p.stem for p in pretrained_dir().glob("*.json")))


#: pretrained CoRNNs in order of preference: the paper-geometry model, then the small one
#: kept for fast tests (see :func:`default_pretrained`)
PREFERRED_PRETRAINED = ("cornn-tetrominoes-paper", "cornn-tetrominoes-small")


def default_pretrained():
    """Name of the default pretrained model (``neurowave demo``, the docs, ``neurowave list``).

    The CoRNN trained at the paper's geometry (64 x 64 images, 7-pixel blocks, T = 100)
    when it is shipped, else the small CoRNN.

    Examples
    --------
    >>> default_pretrained()
    'cornn-tetrominoes-paper'
    """
    names = list_pretrained()
    for name in PREFERRED_PRETRAINED:
        if name in names:
            return name
    raise NeurowaveFileNotFoundError(
        "No pretrained CoRNN is shipped with this installation; reinstall neurowave."
    )


def _resolve_source(source):
    """Checkpoint path for a run directory, a ``.pt`` file or ``pretrained:NAME``."""
    s = str(source)
    if s.startswith("pretrained:"):
        name = s.split(":", 1)[1]
        if name not in list_pretrained():
            raise NeurowaveError(
                f"No pretrained weights named {name!r}; available: "
                f"{', '.join(list_pretrained()) or 'none'}."
            )
        meta = json.loads((pretrained_dir() / f"{name}.json").read_text())
        path = pretrained_dir() / meta["file"]
        if not path.exists():
            raise NeurowaveFileNotFoundError(
                f"{path}: the pretrained weights file is missing; reinstall neurowave."
            )
        digest = sha256sum(path)
        if digest != meta["sha256"]:
            raise NeurowaveError(
                f"{path} is corrupted: its sha256 {digest[:12]}... does not match the shipped "
                f"{meta['sha256'][:12]}...; reinstall neurowave."
            )
        return path, meta
    p = Path(s)
    if not p.exists():
        raise NeurowaveFileNotFoundError(
            f"{p}: no such run directory or checkpoint. Pass a folder made by `neurowave train`, "
            "a .pt checkpoint or pretrained:NAME."
        )
    if p.is_dir():
        for name in ("best.pt", "last.pt"):
            if (p / name).exists():
                return p / name, None
        raise NeurowaveFileNotFoundError(
            f"{p} holds no best.pt or last.pt; pass a run directory made by `neurowave train`."
        )
    return p, None


def load_checkpoint(source):
    """Load a checkpoint dict from a run dir, a ``.pt`` file or ``pretrained:NAME``.

    Raises a one-sentence ``ValueError`` for an unreadable or foreign file.
    """
    path, meta = _resolve_source(source)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, corrupted or not a torch file at all
        raise NeurowaveError(
            f"{path} is not a readable neurowave checkpoint ({describe_cause(err)}); "
            "it may be truncated or corrupted: retrain or pass another checkpoint."
        ) from None
    if isinstance(ckpt, dict) and ckpt.get("format") in _UPGRADES:
        old = _UPGRADES[ckpt["format"]].get(ckpt.get("model"), {})
        ckpt["config"] = {**old, **ckpt.get("config", {})}
        ckpt["format"] = CHECKPOINT_FORMAT
    if (
        isinstance(ckpt, dict)
        and ckpt.get("model") == "cornn"
        and isinstance(ckpt.get("config"), dict)
        and "omega_init" not in ckpt["config"]
    ):
        # trained before CoRNNConfig.omega_init existed: from PyTorch's initialisation
        ckpt["config"] = {**ckpt["config"], "omega_init": "default", "omega_bias": 1.0}
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise NeurowaveError(
            f"{path} is not a neurowave checkpoint (no {CHECKPOINT_FORMAT!r} marker); "
            "pass a file written by `neurowave train`."
        )
    missing = [k for k, t in _CHECKPOINT_KEYS.items() if not isinstance(ckpt.get(k), t)]
    if missing:
        raise NeurowaveError(
            f"{path} is an incomplete neurowave checkpoint: it lacks {missing[0]!r}; "
            "pass a checkpoint written by `neurowave train`."
        )
    ckpt["_path"] = str(path)
    if meta is not None:
        ckpt["_pretrained"] = meta
    return ckpt


#: what every checkpoint holds, and of which type
_CHECKPOINT_KEYS = {"model": str, "config": dict, "task": dict, "state_dict": dict}
#: largest integer option of a model config a checkpoint may ask for (channels, layers,
#: hidden sizes); larger values are refused before a model is built
MAX_CONFIG_INT = 65_536
#: most time steps a checkpoint's recurrent model may ask for
MAX_CONFIG_STEPS = 10_000


def _config_numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _config_numbers(v)


def check_checkpoint_config(ckpt):
    """Refuse a checkpoint whose config is out of sane bounds or does not fit its
    weights, before the model is built (one sentence naming the file and the key).

    The model is first built on PyTorch's ``meta`` device, which allocates nothing, and
    its parameter count compared with the stored weights'.
    """
    from .registry import list_models

    path, name = ckpt.get("_path", "the checkpoint"), ckpt["model"]
    check_option("model", name, list_models(), extra=f" ({path})")
    for key, value in ckpt["config"].items():
        limit = MAX_CONFIG_STEPS if key == "n_steps" else MAX_CONFIG_INT
        for v in _config_numbers(value):
            if not math.isfinite(v) or abs(v) > limit:
                raise NeurowaveError(
                    f"{path}: the model config asks for {key}={value!r}, beyond the sane "
                    f"bound {limit}; the checkpoint is corrupted or not neurowave's."
                )
    try:
        with torch.device("meta"):
            shape = get_model(name, **ckpt["config"])
    except (TypeError, ValueError) as err:
        raise NeurowaveError(
            f"{path}: the model config does not build a {name} ({describe_cause(err)}); "
            "the checkpoint is corrupted or not neurowave's."
        ) from None
    # sizes, not shapes: a model may load weights stored in an older layout (a 1x1
    # convolution's (out, in, 1, 1) as a linear layer's (out, in))
    want = {k: v.numel() for k, v in shape.state_dict().items()}
    have = {k: int(v.numel()) if hasattr(v, "numel") else -1 for k, v in ckpt["state_dict"].items()}
    if want != have:
        raise NeurowaveError(
            f"{ckpt['_path']}: the weights do not fit a {name} with the stored config; "
            "the checkpoint is corrupted, retrain it."
        )


def load_model(source, *, device="cpu"):
    """Rebuild the model of a checkpoint (eval mode). Returns ``(model, checkpoint)``.

    Examples
    --------
    >>> model, ckpt = load_model("pretrained:cornn-tetrominoes-small")
    >>> model.model_name, ckpt["task"]["name"]
    ('cornn', 'tetrominoes')
    """
    ckpt = load_checkpoint(source)
    check_checkpoint_config(ckpt)
    model = get_model(ckpt["model"], **ckpt["config"])
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError:
        raise NeurowaveError(
            f"{ckpt['_path']}: the weights do not fit a {ckpt['model']} with the stored config; "
            "the checkpoint is corrupted, retrain it."
        ) from None
    model.to(resolve_device(device)).eval()
    return model, ckpt


def check_compatible(model, task):
    """Raise a sentence when ``task`` images/classes do not fit ``model``."""
    c = model.config
    if task.in_channels != c.in_channels or task.n_classes != c.n_classes:
        raise NeurowaveError(
            f"The model takes {c.in_channels}-channel images and predicts {c.n_classes} classes, "
            f"but task {task.name!r} has {task.in_channels} channel(s) and {task.n_classes} classes; "
            "pass the task the model was trained on."
        )


@torch.no_grad()
def predict(model, images, *, batch_size=64, device="cpu", return_hidden=False):
    """Predicted labels (and hidden states) for float32 ``images`` ``(n, C, H, W)``."""
    device = resolve_device(device)
    model.eval()
    preds, hiddens = [], []
    for i in range(0, len(images), batch_size):
        x = torch.as_tensor(images[i : i + batch_size], device=device)
        if return_hidden:
            logits, h = model(x, return_hidden=True)
            hiddens.append(h.cpu().numpy())
        else:
            logits = model(x)
        preds.append(logits.argmax(1).cpu().numpy())
    pred = np.concatenate(preds) if preds else np.zeros((0,) + images.shape[2:], np.int64)
    if return_hidden:
        return pred, np.concatenate(hiddens)
    return pred


def evaluate(model, task, *, split="test", n=None, batch_size=64, device="cpu", cache=True):
    """Scores of ``model`` on a split of ``task`` (see :func:`segmentation_scores`)."""
    check_compatible(model, task)
    x, y = task.split(split, n=n, cache=cache)
    pred = predict(model, x, batch_size=batch_size, device=device)
    scores = segmentation_scores(pred, y, task.n_classes, class_names=task.class_names)
    scores["n_images"] = int(len(x))
    scores["split"] = split
    return scores


def _all_background_iou(task, split="val"):
    _, y = task.split(split)
    return segmentation_scores(np.zeros_like(y), y, task.n_classes)["fg_iou"]


def train(
    model_name,
    task,
    *,
    model_config=None,
    epochs=10,
    batch_size=32,
    lr=1e-3,
    weight_decay=0.0,
    clip=1.0,
    seed=0,
    device="cpu",
    out=None,
    resume=False,
    progress=None,
    verbose=False,
    nproc=1,
    callback=None,
    lr_schedule="constant",
):
    """Train ``model_name`` on ``task``; keep the best validation checkpoint.

    With ``nproc > 1`` (or when started by ``torchrun``, which sets ``WORLD_SIZE``) the
    model trains data-parallel (:class:`~torch.nn.parallel.DistributedDataParallel`,
    gloo on CPU, nccl on CUDA): every global batch of ``batch_size`` images is split
    across the processes, whose gradients are summed so that a step equals the
    single-process step on the whole batch; process 0 alone validates and writes the
    run directory.

    Parameters
    ----------
    model_name : str
        A name from :func:`~neurowave.models.list_models`.
    task : Task
        From :func:`~neurowave.models.get_task`.
    model_config : dict | None
        Options of the model's config; ``in_channels`` and ``n_classes`` come from the task.
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    batch_size, lr, weight_decay, clip : training hyper-parameters (Adam, gradient-norm clip).
    lr_schedule : {"constant", "cosine"}
        ``"cosine"`` lowers the rate from ``lr`` to 0 along half a cosine over all the
        steps of the ``epochs`` (per step; a resumed run takes the rate of its step, so
        it continues the same schedule). Best when the epoch budget is fixed in advance.
    seed : int
        Seeds the weights and the order of the training images.
    device : {"cpu", "cuda"}
    out : path-like | None
        Run directory (checkpoints, metrics log, run.json). ``None`` keeps all in memory.
    resume : bool
        Continue from ``out/last.pt``.
    progress : bool | None
        Show a progress bar (default: on a terminal).
    verbose : bool
        Print one line per epoch and, without a progress bar (output not a terminal),
        one line per batch (at most one every ``BATCH_LINE_SECONDS``).
    nproc : int
        Processes to train in (started here, one torch thread each on CPU when the
        threads do not go further). Within a process group started by ``torchrun``,
        leave it at 1: the group is used as is.
    callback : callable | None
        Called after each epoch's validation as ``callback(model=..., epoch=..., row=...)``
        (``row`` is a copy of the epoch's log line); a dict it returns is added to the log
        line, and a true ``"stop"`` in it ends training after this epoch (e.g. at a
        deadline). Its own time is not counted in ``seconds``.

    Returns
    -------
    result : dict
        ``model`` (best weights loaded), ``history`` (per-epoch dicts), ``best_epoch``,
        ``val`` and ``test`` scores, ``train_seconds``, ``n_parameters``. In a process
        group started by ``torchrun``, processes other than 0 return None.
    """
    if isinstance(nproc, bool) or int(nproc) != nproc or nproc < 1:
        raise NeurowaveError(f"`nproc` must be a positive integer, got {nproc!r}.")
    check_option("lr_schedule", lr_schedule, LR_SCHEDULES)
    kwargs = dict(
        model_config=model_config,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        clip=clip,
        seed=seed,
        device=device,
        out=out,
        resume=resume,
        progress=progress,
        verbose=verbose,
        callback=callback,
        lr_schedule=lr_schedule,
    )
    if callback is not None and int(nproc) > 1:
        raise NeurowaveError(
            "train(callback=...) runs in one process only; leave nproc at 1 "
            "(or drop the callback) for multi-process training."
        )
    with _lock_run(out):  # a second run writing the same folder gets a sentence
        if int(nproc) > 1:
            return _spawn_train(model_name, task, int(nproc), kwargs)
        import torch.distributed as dist

        if (
            dist.is_available()
            and not dist.is_initialized()
            and int(os.environ.get("WORLD_SIZE", "1")) > 1
        ):  # started by torchrun
            dist.init_process_group(_backend(device))
            try:
                return _train(model_name, task, **kwargs)
            finally:
                dist.destroy_process_group()
        return _train(model_name, task, **kwargs)


def _backend(device):
    return "nccl" if resolve_device(device).type == "cuda" else "gloo"


def _loopback_interface():
    """Name of the loopback network interface (``lo`` on Linux, ``lo0`` on macOS)."""
    import socket

    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):  # pragma: no cover
        return None
    for name in names:
        if name == "lo" or name.startswith("lo0"):
            return name
    return None


def _worker(rank, world, store_path, threads, model_name, task, kwargs, parent=None):
    import torch.distributed as dist

    from .._proc import die_with_parent

    die_with_parent(parent)  # a killed parent leaves no training process behind
    # rendezvous through a file in a private folder (no TCP store listening anywhere),
    # and gloo's own connections on the loopback interface only
    iface = _loopback_interface()
    if iface and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = iface
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world))
    torch.set_num_threads(threads)
    store = dist.FileStore(str(store_path), world)
    dist.init_process_group(_backend(kwargs["device"]), store=store, rank=rank, world_size=world)
    try:
        _train(model_name, task, **kwargs)
    finally:
        dist.destroy_process_group()


def _spawn_train(model_name, task, nproc, kwargs):
    """Train in ``nproc`` fresh processes; the result is read back from the run directory."""
    import torch.multiprocessing as mp

    resolve_device(kwargs["device"])
    tmp = None
    if kwargs["out"] is None:
        tmp = tempfile.TemporaryDirectory(prefix="neurowave-train-")
        kwargs = {**kwargs, "out": tmp.name}
    out = Path(kwargs["out"])
    if not kwargs["resume"]:
        _check_new_run(out)
    for split in ("train", "val", "test"):  # generate (and cache) the data once, here
        task.split(split)
    threads = max(1, torch.get_num_threads() // nproc)
    rendezvous = tempfile.TemporaryDirectory(prefix="neurowave-ddp-")  # mode 0700
    try:
        mp.spawn(
            _worker,
            args=(
                nproc,
                Path(rendezvous.name) / "store",
                threads,
                model_name,
                task,
                kwargs,
                os.getpid(),
            ),
            nprocs=nproc,
            join=True,
        )
        result = json.loads((out / "run.json").read_text())
        result["model"], _ = load_model(out, device=kwargs["device"])
        result["model_name"] = model_name
        return result
    finally:
        rendezvous.cleanup()
        if tmp is not None:
            tmp.cleanup()


#: the files :func:`train` writes in a run directory
RUN_FILES = ("best.pt", "last.pt", "metrics.jsonl", "run.json")


def _check_new_run(out):
    """A new run never replaces files in ``out``: an earlier run needs --resume, and a
    file of a run's name that neurowave did not write is left alone."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NeurowaveFileExistsError(
            f"--out {out} exists and is not a folder; pass a new folder for the run."
        )
    if any(out.glob("*.pt")):
        raise NeurowaveFileExistsError(
            f"{out} already holds a run; pass --resume to continue it or choose a new --out."
        )
    present = [n for n in RUN_FILES if (out / n).exists()]
    if present:
        raise NeurowaveFileExistsError(
            f"{out} already holds {present[0]}, which a new run would replace; choose a new "
            "--out (or --resume an earlier run)."
        )


def _lock_run(out):
    """The exclusive lock of a run directory, taken by the process that writes it
    (process 0 of a torchrun group); nothing for an in-memory run."""
    if out is None or os.environ.get("RANK", "0") != "0":
        return nullcontext()
    return run_lock(out)


#: learning-rate schedules of :func:`train`
LR_SCHEDULES = ("constant", "cosine")


def _scheduled_lr(lr, schedule, step, total):
    """The rate at 0-based optimizer step ``step`` of ``total``."""
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))
    return lr


#: Settings a resumed run must share with the run it continues (``epochs`` too under a
#: schedule other than "constant", whose rate at a step depends on the total).
RECIPE_KEYS = ("batch_size", "lr", "lr_schedule", "weight_decay", "clip", "seed")


def _check_same_recipe(out, stored, asked):
    """Refuse to resume a run under other recipe settings than it was trained with."""
    if not stored:  # a checkpoint from before the recipe was stored with it
        return
    keys = RECIPE_KEYS + (("epochs",) if asked["lr_schedule"] != "constant" else ())
    diff = [k for k in keys if k in stored and stored[k] != asked[k]]
    if diff:
        was = ", ".join(f"{k} {stored[k]}" for k in diff)
        now = ", ".join(f"{k} {asked[k]}" for k in diff)
        raise NeurowaveError(
            f"{out} holds a run trained with {was}, but this call asks for {now}; pass the "
            "same settings to resume it, or a new --out directory for a new run."
        )


def _train(
    model_name,
    task,
    *,
    model_config,
    epochs,
    batch_size,
    lr,
    weight_decay,
    clip,
    seed,
    device,
    out,
    resume,
    progress,
    verbose,
    callback=None,
    lr_schedule="constant",
):
    import torch.distributed as dist
    from tqdm.auto import tqdm

    world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    if callback is not None and world > 1:  # under torchrun
        raise NeurowaveError(
            "train(callback=...) runs in one process only; leave nproc at 1 "
            "(or drop the callback) for multi-process training."
        )
    rank = dist.get_rank() if world > 1 else 0
    dev = resolve_device(device)
    if dev.type == "cuda" and world > 1:
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
    cfg = dict(model_config or {})
    cfg.update(in_channels=task.in_channels, n_classes=task.n_classes)
    torch.manual_seed(seed)
    model = get_model(model_name, **cfg)
    model.to(dev)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, start_epoch, best = [], 0, (-1.0, -1)
    best_state = None
    train_seconds = 0.0
    out = Path(out) if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if resume and (out / "last.pt").exists():
            ck = load_checkpoint(out / "last.pt")
            if (
                ck["model"] != model_name
                or ck["task"] != task.spec()
                or ck["config"] != config_to_dict(model.config)
            ):
                raise NeurowaveError(
                    f"{out} holds a run of {ck['model']} on {ck['task']['name']} with other settings; "
                    "pass a new --out directory or the same settings to resume."
                )
            _check_same_recipe(
                out,
                ck.get("meta"),
                dict(
                    batch_size=int(batch_size),
                    lr=float(lr),
                    lr_schedule=lr_schedule,
                    weight_decay=float(weight_decay),
                    clip=clip,
                    seed=int(seed),
                    epochs=int(epochs),
                ),
            )
            model.load_state_dict(ck["state_dict"])
            opt.load_state_dict(ck["optimizer"])
            if ck.get("torch_rng_state") is not None:
                torch.set_rng_state(ck["torch_rng_state"])
            history = list(ck.get("history", []))
            start_epoch = int(ck["epoch"]) + 1
            best = (float(ck.get("best_val", -1.0)), int(ck.get("best_epoch", -1)))
            train_seconds = float(ck.get("train_seconds", 0.0))
            if (out / "best.pt").exists():
                best_state = load_checkpoint(out / "best.pt")["state_dict"]
        elif not resume and rank == 0:
            _check_new_run(out)
    xtr, ytr = task.split("train")
    xva, yva = task.split("val")
    n = len(xtr)
    if n == 0:
        raise NeurowaveError("The task has no training images; pass n_train > 0.")
    show = (sys.stderr.isatty() if progress is None else bool(progress)) and rank == 0
    verbose = verbose and rank == 0
    meta = {
        "model": model_name,
        "config": config_to_dict(model.config),
        "task": task.spec(),
        "seed": int(seed),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "lr_schedule": lr_schedule,
        "weight_decay": float(weight_decay),
        "clip": clip,
        "selection": "best validation fg-IoU (ours, per class over the split), checked every epoch",
        "device": dev.type,
        "nproc": world,
        "machine": machine_info(),
        "neurowave_version": __version__,
    }
    for epoch in range(start_epoch, int(epochs)):
        t0 = time.perf_counter()
        model.train()
        g = np.random.default_rng(np.random.SeedSequence([int(seed), epoch, 12345]))
        order = g.permutation(n)
        losses = []
        bar = tqdm(
            range(0, n, batch_size),
            disable=not show,
            leave=False,
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
        )
        n_batches, last_line = -(-n // batch_size), time.perf_counter()
        for b, i in enumerate(bar):
            idx = order[i : i + batch_size]
            if world == 1:
                x = torch.as_tensor(xtr[idx], device=dev)
                y = torch.as_tensor(ytr[idx], device=dev)
                loss = F.cross_entropy(net(x), y)
                shown = loss.detach()
            else:
                # this process's share of the global batch; the summed loss over the
                # global batch's pixels, times world (DDP averages the gradients)
                mine, share = idx[rank::world], 1.0
                if len(mine) == 0:  # fewer images than processes: take part with weight 0
                    mine, share = idx[:1], 0.0
                x = torch.as_tensor(xtr[mine], device=dev)
                y = torch.as_tensor(ytr[mine], device=dev)
                total = F.cross_entropy(net(x), y, reduction="sum") * share
                n_pix = len(idx) * ytr[0].size
                loss = total * (world / n_pix)
                shown = total.detach() / n_pix
                dist.all_reduce(shown)
            if not torch.isfinite(shown):
                raise FloatingPointError(
                    f"The training loss became {shown.item()} at epoch {epoch + 1}; lower --lr."
                )
            rate = _scheduled_lr(lr, lr_schedule, epoch * n_batches + b, int(epochs) * n_batches)
            for group in opt.param_groups:
                group["lr"] = rate
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(shown.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
            now = time.perf_counter()
            if (
                verbose
                and not show
                and (now - last_line >= BATCH_LINE_SECONDS or b + 1 == n_batches)
            ):
                # no progress bar (not a terminal): one line per batch, at most one a second
                last_line = now
                print(
                    f"epoch {epoch + 1}/{epochs} batch {b + 1}/{n_batches}: loss "
                    f"{np.mean(losses[-20:]):.4f} ({now - t0:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
        if rank != 0:  # process 0 alone validates and writes the run directory
            continue
        pred = predict(model, xva, batch_size=64, device=dev)
        val = segmentation_scores(pred, yva, task.n_classes, class_names=task.class_names)
        dt = time.perf_counter() - t0
        train_seconds += dt
        row = {
            "epoch": epoch + 1,
            "train_loss": float(np.mean(losses)),
            "val_fg_iou": val["fg_iou"],
            "val_fg_iou_paper": val["fg_iou_paper"],
            "val_pixel_accuracy": val["pixel_accuracy"],
            "val_foreground_accuracy": val["foreground_accuracy"],
            "seconds": dt,
        }
        stop = False
        if callback is not None:
            added = dict(callback(model=model, epoch=epoch + 1, row=dict(row)) or {})
            stop = bool(added.pop("stop", False))
            row.update(added)
        history.append(row)
        improved = val["fg_iou"] > best[0]
        if improved:
            best = (val["fg_iou"], epoch + 1)
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if verbose:
            print(
                f"epoch {epoch + 1}/{epochs}: loss {row['train_loss']:.4f}  "
                f"val fg-IoU {row['val_fg_iou']:.3f}  ({dt:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        if out is not None:
            extra = dict(
                epoch=epoch,
                history=history,
                best_val=best[0],
                best_epoch=best[1],
                train_seconds=train_seconds,
                seed=int(seed),
                meta=meta,
            )
            if improved:
                save_checkpoint(out / "best.pt", model=model, task=task, **extra)
            # a kill at any moment leaves last.pt of a finished epoch; a resumed run
            # continues from it as if never stopped (the torch RNG state included)
            save_checkpoint(
                out / "last.pt",
                model=model,
                task=task,
                optimizer=opt.state_dict(),
                torch_rng_state=torch.get_rng_state(),
                **extra,
            )
            _atomic_text("".join(json.dumps(r) + "\n" for r in history), out / "metrics.jsonl")
        if stop:
            break
    if rank != 0:
        return None
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    val = evaluate(model, task, split="val", device=dev)
    test = evaluate(model, task, split="test", device=dev)
    from .registry import count_parameters

    result = {
        **meta,
        "n_parameters": count_parameters(model),
        "history": history,
        "best_epoch": best[1],
        "epochs_run": len(history),
        "val": val,
        "test": test,
        "train_seconds": train_seconds,
        "all_background_fg_iou": _all_background_iou(task, "test"),
    }
    if out is not None:
        _atomic_json({k: v for k, v in result.items()}, out / "run.json")
    result["model"] = model
    result["model_name"] = model_name
    return result


def _train_seed_worker(args):
    """One seed's :func:`train` in a worker process; returns the result without the model."""
    model_name, task_spec, seed, threads, kwargs = args
    torch.set_num_threads(threads)
    result = train(model_name, task_from_spec(task_spec), seed=seed, **kwargs)
    model = result.pop("model")
    result["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return result


def train_seeds(model_name, task, *, seeds, jobs=None, threads=None, out=None, **kwargs):
    """Train ``model_name`` once per seed, the seeds as concurrent processes on one device.

    Each seed is an ordinary :func:`train` run in its own process (started with
    ``spawn``), so its result is exactly that of ``train(..., seed=s)`` run alone; up to
    ``jobs`` run at once, sharing the CPU cores or the one GPU (``device="cuda"``), where
    small models leave most of the device idle and several runs fill it.

    Parameters
    ----------
    model_name : str
    task : Task
    seeds : sequence of int
    jobs : int | None
        Processes at once (default: one per seed).
    threads : int | None
        Torch threads per process (default: the CPU cores shared out, at least 1).
    out : path-like | None
        Parent folder; seed ``s`` writes its run directory ``out/seed<s>``.
    **kwargs
        Passed to :func:`train` (``model_config``, ``epochs``, ``batch_size``, ``lr``,
        ``device``, ...); ``progress`` is off.

    Returns
    -------
    list of dict
        One :func:`train` result per seed, in the order of ``seeds``, with
        ``state_dict`` (best weights, on the CPU) in place of ``model``.

    Examples
    --------
    >>> from neurowave.models import get_task
    >>> task = get_task("tetrominoes-tiny", n_train=8, n_val=4, n_test=4)
    >>> runs = train_seeds("cnn", task, seeds=[0, 1], epochs=1, batch_size=4,
    ...                    model_config=dict(n_layers=1, channels=2, mlp_hidden=(4,)))
    >>> [r["seed"] for r in runs]
    [0, 1]
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise NeurowaveError("`seeds` is empty; pass at least one seed, e.g. seeds=[0, 1, 2].")
    if len(set(seeds)) != len(seeds):
        raise NeurowaveError(f"`seeds` repeats a seed ({seeds}); pass distinct seeds.")
    jobs = len(seeds) if jobs is None else int(jobs)
    if jobs < 1:
        raise NeurowaveError(f"`jobs` must be at least 1, got {jobs}.")
    resolve_device(kwargs.get("device", "cpu"))  # a sentence now, not one per worker
    threads = int(threads) if threads else max(1, (os.cpu_count() or 1) // min(jobs, len(seeds)))
    kwargs = {**kwargs, "progress": False}
    args = []
    for s in seeds:
        kw = dict(kwargs)
        if out is not None:
            kw["out"] = str(Path(out) / f"seed{s}")
        args.append((model_name, task.spec(), s, threads, kw))
    if jobs == 1:
        return [_train_seed_worker(a) for a in args]
    for split in ("train", "val", "test"):  # generate (and cache) the data once, here
        task.split(split)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(seeds)), mp_context=mp.get_context("spawn")
    ) as ex:
        return list(ex.map(_train_seed_worker, args))
