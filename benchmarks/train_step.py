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

    return utils.make_model("cpu", "cornn_model2", 6, size, dt, 0, n_steps, 3, 16, 2, 3, size,
                            "op", cell_type="lstm", num_layers=16,
                            readout_type=PUBLISHED_READOUTS[readout])


def build_pair(readout, seed=0):
    import torch

    from neurowave.models import get_model
    from neurowave.models.convert import cornn_state_dict_from_published

    torch.manual_seed(seed)
    ref = build_reference(readout)
    ours = get_model("cornn", readout=readout)
    ours.load_state_dict(cornn_state_dict_from_published(ref.state_dict(), readout=readout,
                                                         n_steps=100))
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


def batch(n, seed=1):
    import torch

    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 64, 64, generator=g), torch.randint(0, 6, (n, 64, 64), generator=g)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="timed steps per model")
    ap.add_argument("--steps", type=int, default=2, help="steps per memory child")
    ap.add_argument("--readout", default="linear",
                    choices=["linear", "fft", "last", "mean", "max"])
    ap.add_argument("--memory-of", choices=["reference", "neurowave"], help=argparse.SUPPRESS)
    args = ap.parse_args()
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
            print(f"  {k} step {1000 * times[k][-1]:.0f} ms, CPU time {1000 * cpu[k][-1]:.0f} ms "
                  f"(load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    mem = {}
    for which in steps:
        cmd = [sys.executable, __file__, "--memory-of", which, "--batch", str(args.batch),
               "--threads", str(args.threads), "--steps", str(args.steps),
               "--readout", args.readout]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        mem[which] = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"CoRNN training step, published setting (64x64, T=100, readout {args.readout}), "
          f"batch {args.batch}, {args.threads} torch threads, torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"  max |logit difference| for mapped weights: {diff:.2e}")
    for k in steps:
        ts = ", ".join(f"{1000 * t:.0f}" for t in times[k])
        print(f"  {k:<10} median {1000 * med[k]:7.0f} ms, CPU time {1000 * med_cpu[k]:7.0f} ms "
              f"(steps: {ts} ms)   "
              f"peak RSS {mem[k]['peak_kib'] / 1024:6.0f} MiB, "
              f"growth over the steps {mem[k]['growth_kib'] / 1024:6.0f} MiB")
    print(f"  speed: neurowave {med['reference'] / med['neurowave']:.2f}x the reference "
          f"(CPU time: {med_cpu['reference'] / med_cpu['neurowave']:.2f}x); "
          f"peak memory {mem['neurowave']['peak_kib'] / mem['reference']['peak_kib']:.2f}x, "
          f"growth {mem['neurowave']['growth_kib'] / max(mem['reference']['growth_kib'], 1):.2f}x")


if __name__ == "__main__":
    main()
