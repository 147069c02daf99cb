"""The whole GPU check of issue 17 in one script, sized for one 15-minute device lease.

Run on the device machine from the repository root, with the published code carried
beside it in an ignored folder. Here, once, on a committed tree:

    mkdir -p .peer && cp -r /work/shared/peer/traveling-waves-integrate .peer/
    echo /.peer/ >> "$(git rev-parse --git-path info/exclude)"

then the device tool's ``run`` with ``carry: [".peer"]``, ``timeout_s: 600`` and

    set -o pipefail; NEUROWAVE_PEER=.peer PYTHONPATH=. PYTHONUNBUFFERED=1 python3 \\
        benchmarks/gpu_check.py --out "$OUT" --commit <sha> 2>&1 | tee "$OUT/log.txt"

(the machine's own PyTorch and Triton are used; ``import neurowave.models`` needs none
of the readers' packages). Its ``train_step_cuda.json`` goes to
``benchmarks/results/``, the weights and their JSON to ``neurowave/models/pretrained/``.

A dry run of every part at toy size on the CPU (no figure from it is a GPU figure;
8.6 min on the shared 2-core development VM, most of it Triton's interpreter):

    python benchmarks/gpu_check.py --smoke --out /tmp/gpu_check_smoke

What it does, in order, and how it budgets ``--budget-min`` (default 8 minutes of the
script's own wall time; the lease's 15 minutes also pay the machine's start, 1-2 min,
and must leave room for a second try):

0. at once, in the background: generate and cache the paper-scale Tetrominoes splits
   (64x64, 7-px blocks, 10,000/1,000/1,000 images; CPU only, overlaps 1-2);
1. numerics (~0.5 min): on the GPU, the Triton recurrence against the plain PyTorch path
   at the published setting: hidden states, logits and every parameter's gradient;
2. timing (eager child ~0.5 min, at most 3; compile child <= ``--compile-timeout``,
   default ``0.3 x budget``, the reference's compilation included): ``benchmarks/train_step.py --device cuda`` at batch 64 and 256 --
   the published code eager and under ``torch.compile``, and ours; what finished is kept;
3. reproduction (the rest, minus 1 min for step 4): CoRNN-linear x seeds first (the
   must-hold run: test fg-IoU by the published metric after every epoch, and the
   training minutes until it first reaches 0.95), then CoRNN-fft, ConvLSTM-linear,
   CNN L=2 and L=8 x seeds at once. Every run is ``neurowave.models.train`` (Adam,
   ``--lr``, batch ``--batch``, gradient clip 1), one process per seed on the one GPU
   (``train_seeds``), stopped at the end of the epoch that crosses its wave's deadline
   (epochs reached are reported) or at ``--max-epochs``;
4. summary: the table beside the published values, ``train_step_cuda.json``, the best
   CoRNN-linear weights (``cornn-tetrominoes-paper.pt``) with their sha256 and metadata.

Everything goes under ``--out`` (at most 8 files, as the device tool returns): log.txt
(by ``tee``), train_step_cuda.json, reproduction.md, cornn-tetrominoes-paper.pt and
.json, runs.tar.gz (every run's run.json and metrics.jsonl, and the raw timing JSON).
The fg-IoU beside the published values is the published one: ``loss_metrics.calc_iou``
of the published code, per image over the pixels whose true label is foreground, mean
over the test images. Matrix products use TF32 in the reproduction (``--no-tf32`` to
turn it off; convolutions use it by PyTorch's default anyway); timing and numerics are
plain float32.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from train_step import peer_dir  # noqa: E402

MLP = (256, 256, 256)
#: name -> (registry model, config), at the published Tetrominoes setting.
RUNS = {
    "cornn-linear": (
        "cornn",
        dict(hidden_channels=2, c_mid=16, n_steps=100, dt=0.1, readout="linear", mlp_hidden=MLP),
    ),
    "cornn-fft": (
        "cornn",
        dict(hidden_channels=2, c_mid=16, n_steps=100, dt=0.1, readout="fft", mlp_hidden=MLP),
    ),
    "convlstm-linear": (
        "convlstm",
        dict(hidden_channels=2, n_steps=20, readout="linear", mlp_hidden=MLP),
    ),
    "cnn-L2": ("cnn", dict(n_layers=2, channels=16, mlp_hidden=MLP)),
    "cnn-L8": ("cnn", dict(n_layers=8, channels=16, mlp_hidden=MLP)),
}
PUBLISHED = {
    "cornn-linear": ".98 +- .01",
    "cornn-fft": ".97 +- .01",
    "convlstm-linear": ".94 +- .03",
    "cnn-L2": ".14",
    "cnn-L8": ".64 +- .22",
}
TASK = ("tetrominoes", dict(size=64, block=7, max_pieces=5, n_train=10000, n_val=1000, n_test=1000))
SMOKE_TASK = ("tetrominoes", dict(size=16, block=2, max_pieces=3, n_train=16, n_val=8, n_test=8))
SMOKE_SIZES = dict(n_steps=4, mlp_hidden=(8,), c_mid=4)
TARGET = 0.95


_T0 = time.time()  # the script's start time


def log(msg):
    print(f"[{time.time() - _T0:6.1f} s] {msg}", flush=True)


def published_iou(pred, label):
    """The published fg-IoU: ``loss_metrics.calc_iou(ignore_class=0)`` summed per image,
    divided by the number of images (as ``produce_scores.py`` does)."""
    import torch

    sys.path.insert(0, str(peer_dir()))
    import loss_metrics  # the published code's metric

    pred = torch.as_tensor(np.asarray(pred), dtype=torch.int64)
    label = torch.as_tensor(np.asarray(label), dtype=torch.int64)
    total = loss_metrics.calc_iou(pred, label, ignore_class=0, num_classes=6)
    return float(total) / len(label)


class EpochProbe:
    """``train`` callback: test fg-IoU (published metric) after each epoch; stop at a deadline."""

    def __init__(self, task_spec, deadline, device):
        self.task_spec, self.deadline, self.device = task_spec, deadline, device
        self._test = None

    def __call__(self, *, model, epoch, row):
        from neurowave.models import predict, task_from_spec

        if self._test is None:
            self._test = task_from_spec(self.task_spec).split("test")
        x, y = self._test
        pred = predict(model, x, batch_size=250, device=self.device)
        return {"test_fg_iou_paper": published_iou(pred, y), "stop": time.time() > self.deadline}


def task_of(smoke):
    from neurowave.models import get_task

    name, opts = SMOKE_TASK if smoke else TASK
    return get_task(name, **opts)


def config_of(name, smoke):
    model, cfg = RUNS[name]
    cfg = dict(cfg)
    if smoke:
        cfg["mlp_hidden"] = SMOKE_SIZES["mlp_hidden"]
        if "n_steps" in cfg:
            cfg["n_steps"] = SMOKE_SIZES["n_steps"]
        if "c_mid" in cfg:
            cfg["c_mid"] = SMOKE_SIZES["c_mid"]
        if model == "cnn":
            cfg["channels"] = 4
    return model, cfg


# -------------------------------------------------------------------------------------
# 1. numerics: Triton recurrence against the plain path
# -------------------------------------------------------------------------------------


def numerics(device, smoke):
    """Max |difference| Triton vs plain: hidden states, logits, gradients (relative)."""
    import torch
    import torch.nn.functional as F

    from neurowave.models import get_model
    from neurowave.models.cornn import recurrence_backend

    size, n_steps, b = (12, 4, 2) if smoke else (64, 100, 8)
    torch.manual_seed(0)
    model = get_model("cornn", n_steps=n_steps).to(device)
    x = torch.rand(b, 3, size, size, device=device)
    y = torch.randint(0, 6, (b, size, size), device=device)

    def run(backend):
        os.environ["NEUROWAVE_RECURRENCE"] = backend
        model.zero_grad()
        logits, hidden = model(x, return_hidden=True)
        F.cross_entropy(logits, y).backward()
        grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
        return logits.detach(), hidden.detach(), grads

    try:
        with torch.no_grad():
            enc = model.encode(x)
        os.environ["NEUROWAVE_RECURRENCE"] = "auto"
        chosen = recurrence_backend(*enc, model.W_y.weight)
        lf, hf, gf = run("triton")
        lp, hp, gp = run("plain")
    finally:
        os.environ.pop("NEUROWAVE_RECURRENCE", None)
    rel = {k: float((gf[k] - gp[k]).abs().max() / gp[k].abs().max().clamp_min(1e-30)) for k in gp}
    out = {
        "auto_backend": chosen,
        "batch": b,
        "size": size,
        "n_steps": n_steps,
        "max_abs_hidden_diff": float((hf - hp).abs().max()),
        "max_abs_logit_diff": float((lf - lp).abs().max()),
        "max_rel_grad_diff": max(rel.values()),
        "worst_grad": max(rel, key=rel.get),
    }
    out["ok"] = (
        out["max_abs_hidden_diff"] < 1e-4
        and out["max_abs_logit_diff"] < 1e-3
        and out["max_rel_grad_diff"] < 1e-3
    )
    return out


# -------------------------------------------------------------------------------------
# 2. timing (benchmarks/train_step.py) and 3. reproduction
# -------------------------------------------------------------------------------------


def timing(args, work):
    raw = work / "train_step_raw.json"
    cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "train_step.py"),
        "--json",
        str(raw),
        "--compile-timeout",
        str(args.compile_timeout),
        "--eager-timeout",
        "900" if args.smoke else "180",
    ]
    if args.smoke:
        cmd += [
            "--device",
            "cpu",
            "--size",
            "16",
            "--n-steps",
            "4",
            "--batch",
            "2",
            "--repeats",
            "2",
            "--warmup",
            "1",
        ]
    else:
        cmd += ["--device", "cuda", "--batch", "64", "256", "--repeats", "10"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    print(res.stdout + res.stderr[-3000:], flush=True)
    return json.loads(raw.read_text()) if raw.exists() else {"error": res.stderr[-2000:]}


def train_wave(names, task, args, deadline, work, device):
    """All seeds of ``names`` at once (one process each); {name: [train results]}."""
    from neurowave.models import train_seeds

    def one(name):
        model, cfg = config_of(name, args.smoke)
        return name, train_seeds(
            model,
            task,
            seeds=args.seeds,
            jobs=len(args.seeds),
            threads=1,
            out=work / name,
            model_config=cfg,
            epochs=args.max_epochs,
            batch_size=args.batch,
            lr=args.lr,
            weight_decay=args.weight_decay,
            device=device,
            callback=EpochProbe(task.spec(), deadline, device),
        )

    with ThreadPoolExecutor(len(names)) as ex:
        return dict(ex.map(one, names))


def minutes_to_target(history):
    total = 0.0
    for row in history:
        total += row["seconds"]
        if row.get("test_fg_iou_paper", 0.0) >= TARGET:
            return total / 60
    return None


def score_runs(results, task, device, smoke):
    """Test fg-IoU (published and ours) of each run's best weights."""
    from neurowave.models import get_model, predict

    x, y = task.split("test")
    table = {}
    for name, runs in results.items():
        model_name, _ = config_of(name, smoke)
        rows = []
        for r in runs:
            m = get_model(model_name, **r["config"])
            m.load_state_dict(r["state_dict"])
            pred = predict(m.to(device), x, batch_size=250, device=device)
            rows.append(
                {
                    "seed": r["seed"],
                    "fg_iou_paper": published_iou(pred, y),
                    "fg_iou": r["test"]["fg_iou"],
                    "epochs_run": r["epochs_run"],
                    "best_epoch": r["best_epoch"],
                    "train_minutes": r["train_seconds"] / 60,
                    "minutes_to_095": minutes_to_target(r["history"]),
                    "n_parameters": r["n_parameters"],
                }
            )
        vals = [r["fg_iou_paper"] for r in rows]
        table[name] = {
            "runs": rows,
            "fg_iou_paper_mean": float(np.mean(vals)),
            "fg_iou_paper_sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
            "published": PUBLISHED[name],
        }
    return table


def markdown(table, task):
    lines = [
        f"Tetrominoes {task.params['size']}x{task.params['size']}, block "
        f"{task.params['block']}, {task.sizes['train']} training images; test fg-IoU by "
        "the published metric (mean +- sd over seeds).",
        "",
        "| model | parameters | fg-IoU (published metric) | seeds | epochs | train min "
        "| our fg-IoU | published |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, t in table.items():
        runs = t["runs"]
        vals = ", ".join(f"{r['fg_iou_paper']:.3f}" for r in runs)
        lines.append(
            f"| {name} | {runs[0]['n_parameters']} | {t['fg_iou_paper_mean']:.3f} +- "
            f"{t['fg_iou_paper_sd']:.3f} ({vals}) | {len(runs)} | "
            f"{', '.join(str(r['epochs_run']) for r in runs)} | "
            f"{np.mean([r['train_minutes'] for r in runs]):.1f} | "
            f"{np.mean([r['fg_iou'] for r in runs]):.3f} | {t['published']} |"
        )
    return "\n".join(lines) + "\n"


def save_weights(results, table, task, out, commit, smoke):
    """The CoRNN-linear seed with the best validation fg-IoU, as a pretrained file + JSON."""
    import torch

    from neurowave.models import get_model
    from neurowave.models.train import save_checkpoint, sha256sum

    runs = results["cornn-linear"]
    best = max(runs, key=lambda r: r["val"]["fg_iou"])
    model_name, _ = config_of("cornn-linear", smoke)
    m = get_model(model_name, **best["config"])
    m.load_state_dict(best["state_dict"])
    name = "cornn-tetrominoes-paper" + ("-smoke" if smoke else "")
    path = out / f"{name}.pt"
    save_checkpoint(
        path,
        model=m,
        task=task,
        seed=best["seed"],
        meta={
            k: best[k] for k in ("epochs", "batch_size", "lr", "weight_decay", "clip", "machine")
        },
    )
    row = next(r for r in table["cornn-linear"]["runs"] if r["seed"] == best["seed"])
    meta = {
        "name": name,
        "file": path.name,
        "sha256": sha256sum(path),
        "description": "CoRNN (linear readout) at the published Tetrominoes setting, "
        f"trained on {best['machine'].get('cuda_device', 'cpu')} by "
        f"benchmarks/gpu_check.py, seed {best['seed']}, the best of seeds "
        f"{[r['seed'] for r in runs]} by validation fg-IoU",
        "model": model_name,
        "config": best["config"],
        "n_parameters": best["n_parameters"],
        "task": task.spec(),
        "seed": best["seed"],
        "epochs_run": best["epochs_run"],
        "best_epoch": best["best_epoch"],
        "train_seconds": best["train_seconds"],
        "test_fg_iou_paper": row["fg_iou_paper"],
        "test": best["test"],
        "val": best["val"],
        "machine": best["machine"],
        "commit": commit,
        "torch": torch.__version__,
    }
    (out / f"{name}.json").write_text(json.dumps(meta, indent=2, default=float) + "\n")
    return meta


def git_commit():
    """HEAD, with ``+dirty`` if the tree has uncommitted changes; None without git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.environ.get("OUT", "gpu_check_out"))
    p.add_argument(
        "--budget-min",
        type=float,
        default=8.0,
        help="the script's own wall-time budget in minutes (default 8)",
    )
    p.add_argument(
        "--compile-timeout",
        type=float,
        default=None,
        help="seconds for the compiled reference (default 0.3 x budget)",
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max-epochs", type=int, default=300, help="published: 300")
    p.add_argument("--batch", type=int, default=64, help="published: 64")
    p.add_argument("--lr", type=float, default=1e-3, help="published: 1e-3")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument(
        "--cornn-share",
        type=float,
        default=0.45,
        help="share of the reproduction time for the CoRNN-linear wave",
    )
    p.add_argument("--no-tf32", action="store_true")
    p.add_argument("--work", default=None, help="folder for the runs (default: a temp dir)")
    p.add_argument("--commit", default=None, help="the commit measured (default: git HEAD)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="every part at toy size on the CPU (numerics and timing with Triton "
        "in its interpreter, the training runs on the plain path)",
    )
    args = p.parse_args(argv)
    start = time.time()
    budget = 60 * (args.budget_min if not args.smoke else max(args.budget_min, 30.0))
    if args.compile_timeout is None:
        args.compile_timeout = 60.0 if args.smoke else 0.3 * budget
    if args.smoke:
        args.max_epochs = min(args.max_epochs, 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # checkpoints of every run stay outside --out (the device tool returns 8 files)
    work = Path(args.work or tempfile.mkdtemp(prefix="gpu_check_"))
    work.mkdir(parents=True, exist_ok=True)
    commit = args.commit or git_commit()
    if args.smoke:
        os.environ["TRITON_INTERPRET"] = "1"
    import torch

    if args.smoke:
        device = "cpu"
    elif not torch.cuda.is_available():
        sys.exit("No CUDA device is visible to PyTorch; run with --smoke for a CPU dry run.")
    else:
        device = "cuda"
    summary = {
        "smoke": args.smoke,
        "commit": commit,
        "budget_min": budget / 60,
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu (smoke)",
        "torch": torch.__version__,
        "seeds": args.seeds,
        "tf32_reproduction": not (args.smoke or args.no_tf32),
        "phases_s": {},
    }
    log(f"gpu_check on {summary['device']}, commit {commit}, budget {budget / 60:.1f} min")

    # 0. the data, in the background (a separate process, cached for all the runs)
    task = task_of(args.smoke)
    gen = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                f"import sys; sys.path.insert(0, {str(REPO)!r}); from neurowave.models import task_from_spec; "
                f"t = task_from_spec({task.spec()!r}); [t.split(s) for s in ('train', 'val', 'test')]"
            ),
        ]
    )

    # 1. numerics
    t = time.time()
    try:
        summary["numerics"] = numerics(device, args.smoke)
    except Exception as err:  # keep going: the rest of the check still tells a lot
        summary["numerics"] = {"error": repr(err)}
    summary["phases_s"]["numerics"] = time.time() - t
    log(f"numerics: {summary['numerics']}")

    # 2. timing
    t = time.time()
    summary["timing"] = timing(args, work)
    summary["phases_s"]["timing"] = time.time() - t
    b64 = next(
        (
            d
            for d in summary["timing"].get("batches", [])
            if d["batch"] == (2 if args.smoke else 64)
        ),
        {},
    )
    for k in (
        "speedup_vs_eager",
        "speedup_vs_compile",
        "step_memory_ratio_vs_eager",
        "step_memory_ratio_vs_compile",
    ):
        # a smoke run's ratios (CPU, toy size, Triton interpreted) are no figure at all
        summary[k] = None if args.smoke else b64.get(k)
    log(
        f"timing: speedup vs eager {summary['speedup_vs_eager']}, "
        f"vs compile {summary['speedup_vs_compile']}"
    )

    # 3. reproduction, in two waves
    t = time.time()
    gen.wait()
    if args.smoke:  # the training runs take the plain path (Triton training is a unit test)
        os.environ.pop("TRITON_INTERPRET", None)
    if not args.smoke and not args.no_tf32:  # for the training processes started from here on
        os.environ["NVIDIA_TF32_OVERRIDE"] = "1"
        os.environ["TORCH_ALLOW_TF32_CUBLAS_OVERRIDE"] = "1"
    reserve = 60.0 if not args.smoke else 5.0
    left = budget - (time.time() - start) - reserve
    first_deadline = time.time() + args.cornn_share * left
    second_deadline = time.time() + left
    results = {}
    try:
        log(
            f"reproduction: {left / 60:.1f} min left; CoRNN-linear until "
            f"{(first_deadline - start) / 60:.1f} min, the rest until "
            f"{(second_deadline - start) / 60:.1f} min"
        )
        results.update(train_wave(["cornn-linear"], task, args, first_deadline, work, device))
        log("reproduction: CoRNN-linear done")
        results.update(
            train_wave(
                [n for n in RUNS if n != "cornn-linear"], task, args, second_deadline, work, device
            )
        )
        log("reproduction: all done")
    except Exception as err:
        summary["reproduction_error"] = repr(err)
        log(f"reproduction failed: {err!r}")
    summary["phases_s"]["reproduction"] = time.time() - t

    # 4. summary
    if results:
        table = score_runs(results, task, device, args.smoke)
        summary["table"] = table
        md = markdown(table, task)
        (out / "reproduction.md").write_text(md)
        print(md, flush=True)
        if "cornn-linear" in table:
            cl = table["cornn-linear"]
            summary["fg_iou_paper"] = cl["fg_iou_paper_mean"]
            summary["fg_iou_paper_sd"] = cl["fg_iou_paper_sd"]
            per_seed = [r["minutes_to_095"] for r in cl["runs"]]
            summary["minutes_to_095_per_seed"] = per_seed
            # the slowest seed; None unless every seed reached 0.95
            summary["minutes_to_095"] = (
                max(per_seed) if all(m is not None for m in per_seed) else None
            )
            summary["minutes_to_095_note"] = (
                f"training minutes (epochs + validation, not the per-epoch test probe) with "
                f"{len(args.seeds)} seeds sharing the GPU; slowest seed"
            )
            summary["weights"] = save_weights(results, table, task, out, commit, args.smoke)
    summary["wall_s"] = time.time() - start
    name = "gpu_check_smoke.json" if args.smoke else "train_step_cuda.json"
    (out / name).write_text(json.dumps(summary, indent=2, default=float) + "\n")
    with tarfile.open(out / "runs.tar.gz", "w:gz") as tar:
        for f in sorted(work.rglob("*")):
            if f.suffix in (".json", ".jsonl"):
                tar.add(f, arcname=str(f.relative_to(work)))
    log(f"wrote {out / name} ({summary['wall_s'] / 60:.1f} min); checkpoints in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
