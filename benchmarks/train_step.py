"""One CoRNN training step at the published setting: neurowave against the published code.

Times forward + backward + Adam step of the published Tetrominoes CoRNN (64x64 RGB,
2 oscillator channels, c_mid 16, T = 100, dt = 0.1, linear readout, MLP 3 x 256;
176,124 parameters) in the published implementation (``../shared/peer/
traveling-waves-integrate``, built with its own ``utils.make_model``) and in
neurowave (``get_model("cornn")``, the default path), in the same process, on the same
batch, with the reference's weights mapped onto neurowave's (so both compute the same
function; the script checks the logits agree). Steps alternate between the two models
so that load from other jobs hits both alike; the ratio is of the medians, of wall
time and of process CPU time (all threads; steadier than wall time on a loaded machine).

Peak memory is measured per model in a fresh child process (``VmHWM``): the peak
resident set of a process that builds the model and runs ``--steps`` training steps,
and its growth over the resident set just before the first step.

    python benchmarks/train_step.py                       # batch 8, 2 threads
    python benchmarks/train_step.py --batch 8 --threads 2 --repeats 7 --readout linear

On a GPU (``--device cuda``) one run times, at each batch size (default 64 and 256),
the published code eager, the published code under ``torch.compile`` and neurowave's
default path (on CUDA: the Triton recurrence), and prints ms/step, images/s, the
memory a step allocates on the GPU (``torch.cuda.max_memory_allocated`` during the step
minus what was allocated before it: activations, gradients, workspaces; the weights and
Adam state, equal in both, are not counted) and the ratios:

    python benchmarks/train_step.py --device cuda --json train_step_cuda.json

The eager pair runs in one child process (steps alternating between the models, as on
the CPU), the compiled reference in another under ``--compile-timeout`` seconds (its
compilation is counted apart, not in ms/step), so a slow compile cannot overrun a GPU
session; what finished is kept. ``--size`` and ``--n-steps`` shrink the problem for a
dry run (``--device cpu --size 16 --n-steps 4 --batch 2``: the same code on the CPU,
for checking the script, never as a GPU figure).

The reference is located beside the repository (``<repo>/../shared/peer``, or
``shared/peer`` in a folder further up, as for a worktree) or by
``$NEUROWAVE_PEER``; its ``utils.py`` imports ``imageio`` only for GIFs, stubbed here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peer_dir():
    """``$NEUROWAVE_PEER``, else ``shared/peer`` beside the repository or one of its parents."""
    env = os.environ.get("NEUROWAVE_PEER")
    if env:
        return Path(env) / "traveling-waves-integrate"
    for parent in REPO.parents:
        path = parent / "shared" / "peer" / "traveling-waves-integrate"
        if path.is_dir():
            return path
    return REPO.parent / "shared" / "peer" / "traveling-waves-integrate"


def build_reference(readout, size=64, n_steps=100, dt=0.1):
    """The published CoRNN, built by the published ``utils.make_model``."""
    from neurowave.models.convert import PUBLISHED_READOUTS

    path = peer_dir()
    if not (path / "cornn_model2.py").exists():
        sys.exit(f"The published implementation is not at {path}; set NEUROWAVE_PEER.")
    sys.path.insert(0, str(path))
    sys.modules.setdefault("imageio", types.ModuleType("imageio"))
    import utils  # the reference's utils.py

    return utils.make_model(
        "cpu",
        "cornn_model2",
        6,
        size,
        dt,
        0,
        n_steps,
        3,
        16,
        2,
        3,
        size,
        "op",
        cell_type="lstm",
        num_layers=16,
        readout_type=PUBLISHED_READOUTS[readout],
    )


def build_pair(readout, seed=0, size=64, n_steps=100):
    import torch

    from neurowave.models import get_model
    from neurowave.models.convert import cornn_state_dict_from_published

    torch.manual_seed(seed)
    ref = build_reference(readout, size=size, n_steps=n_steps)
    ours = get_model("cornn", readout=readout, n_steps=n_steps)
    ours.load_state_dict(
        cornn_state_dict_from_published(ref.state_dict(), readout=readout, n_steps=n_steps)
    )
    return ref, ours


def make_step(model, x, y, reference):
    import torch
    import torch.nn.functional as F

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step():
        out = model(x)
        logits = out[0] if reference else out
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


def batch(n, seed=1, size=64):
    import torch

    g = torch.Generator().manual_seed(seed)
    return (
        torch.rand(n, 3, size, size, generator=g),
        torch.randint(0, 6, (n, size, size), generator=g),
    )


def _status_kib(field):
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, KiB. Unlike ``ru_maxrss``, the
    peak is not inherited from the parent that forked this child."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(which, args):
    import torch

    torch.set_num_threads(args.threads)
    ref, ours = build_pair(args.readout)
    model = ref if which == "reference" else ours
    del ref, ours
    x, y = batch(args.batch)
    step = make_step(model, x, y, which == "reference")
    before = _status_kib("VmRSS")
    for _ in range(args.steps):
        step()
    peak = _status_kib("VmHWM")
    print(json.dumps({"peak_kib": peak, "growth_kib": peak - before}))


# --------------------------------------------------------------------------------------
# Device mode: eager pair and compiled reference, each batch size, JSON lines from children
# --------------------------------------------------------------------------------------


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _step_memory_mib(step, device):
    """Memory one step allocates beyond what was allocated before it (GPU); None on CPU."""
    import torch

    if device.type != "cuda":
        return None
    _sync(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    step()
    _sync(device)
    return (torch.cuda.max_memory_allocated(device) - before) / 2**20


def _timed(steps, device, repeats):
    """Median seconds per step of each named step, steps alternating between them."""
    times = {k: [] for k in steps}
    for _ in range(repeats):
        for k, s in steps.items():
            _sync(device)
            t0 = time.perf_counter()
            s()
            _sync(device)
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}, times


def _emit(row):
    print("RESULT " + json.dumps(row), flush=True)


def device_child(kind, args):
    """``kind`` "eager": the published code eager and neurowave, alternating, per batch;
    "compile": the published code under torch.compile, per batch (compile time apart)."""
    import torch

    from neurowave.models.cornn import recurrence_backend

    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    for n in args.batch:
        ref, ours = build_pair(args.readout, size=args.size, n_steps=args.n_steps)
        ref.to(device)
        ours.to(device)
        x, y = (t.to(device) for t in batch(n, size=args.size))
        row = {"batch": n, "device": str(device), "size": args.size, "n_steps": args.n_steps}
        if kind == "eager":
            with torch.no_grad():
                logits, hidden = ref(x)
                ours_logits, ours_hidden = ours(x, return_hidden=True)
                row["max_abs_logit_diff"] = float((logits - ours_logits).abs().max())
                row["max_abs_hidden_diff"] = float((hidden - ours_hidden).abs().max())
                enc = ours.encode(x)
                row["neurowave_recurrence"] = recurrence_backend(*enc, ours.W_y.weight)
            del logits, hidden, ours_logits, ours_hidden, enc
            steps = {
                "published_eager": make_step(ref, x, y, True),
                "neurowave": make_step(ours, x, y, False),
            }
            for st in steps.values():
                for _ in range(args.warmup):
                    st()
        else:
            del ours
            compiled = torch.compile(ref, dynamic=False)  # static shapes: its best case
            step = make_step(compiled, x, y, True)
            t0 = time.perf_counter()
            step()  # compiles forward and backward
            _sync(device)
            row["compile_seconds"] = time.perf_counter() - t0
            for _ in range(args.warmup):
                step()
            steps = {"published_compile": step}
        med, all_times = _timed(steps, device, args.repeats)
        for k, st in steps.items():
            row[k] = {
                "ms_per_step": 1000 * med[k],
                "images_per_s": n / med[k],
                "ms_all": [1000 * t for t in all_times[k]],
                "step_memory_mib": _step_memory_mib(st, device),
            }
        _emit(row)
        del steps, ref, x, y
        if device.type == "cuda":
            torch.cuda.empty_cache()


def _run_child(kind, args, timeout):
    """Run a device child; its RESULT rows, and a note if it failed or timed out."""
    cmd = [
        sys.executable,
        __file__,
        "--device-child",
        kind,
        "--device",
        args.device,
        "--batch",
        *map(str, args.batch),
        "--threads",
        str(args.threads),
        "--repeats",
        str(args.repeats),
        "--warmup",
        str(args.warmup),
        "--readout",
        args.readout,
        "--size",
        str(args.size),
        "--n-steps",
        str(args.n_steps),
    ]
    t0 = time.time()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        stdout, note = (
            res.stdout,
            (
                None
                if res.returncode == 0
                else f"exit {res.returncode}: {res.stderr.strip()[-2000:]}"
            ),
        )
    except subprocess.TimeoutExpired as err:
        stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        note = f"stopped after {timeout:.0f} s (--{kind}-timeout)"
    rows = [json.loads(line[7:]) for line in stdout.splitlines() if line.startswith("RESULT ")]
    return rows, note, time.time() - t0


def device_benchmark(args):
    """Both children; a JSON-able dict with per-batch figures and ratios."""
    import torch

    eager, eager_note, eager_s = _run_child("eager", args, args.eager_timeout)
    if args.skip_compile:
        comp, comp_note, comp_s = [], "skipped (--skip-compile)", 0.0
    else:
        comp, comp_note, comp_s = _run_child("compile", args, args.compile_timeout)
    by_batch = {r["batch"]: dict(r) for r in eager}
    for r in comp:
        d = by_batch.setdefault(r["batch"], {"batch": r["batch"]})
        d["published_compile"] = r["published_compile"]
        d["compile_seconds"] = r["compile_seconds"]
    for d in by_batch.values():
        ours = d.get("neurowave", {}).get("ms_per_step")
        for base in ("published_eager", "published_compile"):
            other = d.get(base, {}).get("ms_per_step")
            if ours and other:
                d[f"speedup_vs_{base.split('_')[1]}"] = other / ours
                m_o = d["neurowave"]["step_memory_mib"]
                m_b = d[base]["step_memory_mib"]
                if m_o is not None and m_b:
                    d[f"step_memory_ratio_vs_{base.split('_')[1]}"] = m_o / m_b
    device_name = (
        torch.cuda.get_device_name(0)
        if args.device == "cuda" and torch.cuda.is_available()
        else f"cpu ({os.cpu_count()} CPUs)"
    )
    return {
        "device": device_name,
        "torch": torch.__version__,
        "readout": args.readout,
        "size": args.size,
        "n_steps": args.n_steps,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "batches": [by_batch[b] for b in sorted(by_batch)],
        "eager_child": {"seconds": eager_s, "note": eager_note},
        "compile_child": {"seconds": comp_s, "note": comp_note},
    }


def print_device_table(res):
    print(
        f"CoRNN training step (published setting, {res['size']}x{res['size']}, "
        f"T={res['n_steps']}, readout {res['readout']}) on {res['device']}, "
        f"torch {res['torch']}"
    )
    for d in res["batches"]:
        print(
            f"  batch {d['batch']}: max |logit diff| {d.get('max_abs_logit_diff', float('nan')):.1e}, "
            f"neurowave recurrence: {d.get('neurowave_recurrence', '?')}"
        )
        for k in ("published_eager", "published_compile", "neurowave"):
            if k in d:
                m = d[k]["step_memory_mib"]
                mem = f"{m:8.0f} MiB/step" if m is not None else "     n/a"
                print(
                    f"    {k:<18} {d[k]['ms_per_step']:9.2f} ms/step "
                    f"{d[k]['images_per_s']:9.0f} images/s  {mem}"
                )
        for k in ("speedup_vs_eager", "speedup_vs_compile"):
            if k in d:
                print(f"    {k}: {d[k]:.2f}x")
    for c in ("eager_child", "compile_child"):
        if res[c]["note"]:
            print(f"  {c}: {res[c]['note']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=None,
        help="batch size(s); default 8 on the CPU, 64 and 256 with --device cuda",
    )
    ap.add_argument(
        "--device",
        default="cpu",
        choices=["cpu", "cuda"],
        help="cpu: the CPU comparison (RSS); cuda: eager, compiled and ours",
    )
    ap.add_argument("--size", type=int, default=64, help="image size (64 published)")
    ap.add_argument("--n-steps", type=int, default=100, help="time steps (100 published)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per model (device)")
    ap.add_argument("--json", help="write the device-mode results to this file")
    ap.add_argument("--compile-timeout", type=float, default=300.0)
    ap.add_argument("--eager-timeout", type=float, default=300.0)
    ap.add_argument("--skip-compile", action="store_true")
    ap.add_argument("--device-child", choices=["eager", "compile"], help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="timed steps per model")
    ap.add_argument("--steps", type=int, default=2, help="steps per memory child")
    ap.add_argument("--readout", default="linear", choices=["linear", "fft", "last", "mean", "max"])
    ap.add_argument("--memory-of", choices=["reference", "neurowave"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.batch is None:
        args.batch = [64, 256] if args.device == "cuda" else [8]
    if args.device_child:
        return device_child(args.device_child, args)
    if args.device == "cuda" or args.json:
        if args.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                sys.exit("--device cuda: PyTorch sees no CUDA device here.")
        res = device_benchmark(args)
        print_device_table(res)
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
        return 0
    args.batch = args.batch[0]
    if args.memory_of:
        return memory_child(args.memory_of, args)

    import torch

    torch.set_num_threads(args.threads)
    ref, ours = build_pair(args.readout)
    x, y = batch(args.batch)
    with torch.no_grad():
        diff = float((ref(x)[0] - ours(x)).abs().max())
    steps = {"reference": make_step(ref, x, y, True), "neurowave": make_step(ours, x, y, False)}
    for s in steps.values():  # warm-up (allocator, oneDNN primitives, Adam state)
        s()
    times = {k: [] for k in steps}
    cpu = {k: [] for k in steps}
    for _ in range(args.repeats):
        for k, s in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            s()
            times[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
            print(
                f"  {k} step {1000 * times[k][-1]:.0f} ms, CPU time {1000 * cpu[k][-1]:.0f} ms "
                f"(load average {os.getloadavg()[0]:.1f})",
                file=sys.stderr,
                flush=True,
            )
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    mem = {}
    for which in steps:
        cmd = [
            sys.executable,
            __file__,
            "--memory-of",
            which,
            "--batch",
            str(args.batch),
            "--threads",
            str(args.threads),
            "--steps",
            str(args.steps),
            "--readout",
            args.readout,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        mem[which] = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"CoRNN training step, published setting (64x64, T=100, readout {args.readout}), "
        f"batch {args.batch}, {args.threads} torch threads, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  max |logit difference| for mapped weights: {diff:.2e}")
    for k in steps:
        ts = ", ".join(f"{1000 * t:.0f}" for t in times[k])
        print(
            f"  {k:<10} median {1000 * med[k]:7.0f} ms, CPU time {1000 * med_cpu[k]:7.0f} ms "
            f"(steps: {ts} ms)   "
            f"peak RSS {mem[k]['peak_kib'] / 1024:6.0f} MiB, "
            f"growth over the steps {mem[k]['growth_kib'] / 1024:6.0f} MiB"
        )
    print(
        f"  speed: neurowave {med['reference'] / med['neurowave']:.2f}x the reference "
        f"(CPU time: {med_cpu['reference'] / med_cpu['neurowave']:.2f}x); "
        f"peak memory {mem['neurowave']['peak_kib'] / mem['reference']['peak_kib']:.2f}x, "
        f"growth {mem['neurowave']['growth_kib'] / max(mem['reference']['growth_kib'], 1):.2f}x"
    )


if __name__ == "__main__":
    main()
