"""Lazy reading of a long Utah-array recording: peak memory against the array size.

Writes a synthetic 96-channel, 1-hour, 1 kHz int16 recording (the size of a
Blackrock ``.ns2`` LFP file, ~0.69 GB) as raw binary in a temporary folder, with a
Utah-style ``.csv`` map beside it, then in separate processes:

* ``lazy``: ``neurowave.io.read(..., lazy=True)`` (neo ``RawBinarySignalIO`` proxy
  objects -> a dask-backed ``("time", "y", "x")`` grid) and a full pass over the hour
  (per-site mean and standard deviation, computed chunk by chunk);
* ``eager``: the same statistics after loading the whole signal into memory as
  float32 (the baseline), measured in the same run.

Prints peak resident memory of each and the ratios. Usage::

    nice -n 10 python benchmarks/read_lazy.py [--hours 1] [--rate 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_CH = 96


def write_recording(folder, hours, rate, seed=0):
    folder = Path(folder)
    path = folder / "utah_1h.raw"
    n = int(hours * 3600 * rate)
    rng = np.random.default_rng(seed)
    block = int(rate * 60)  # one minute at a time
    with open(path, "wb") as f:
        for start in range(0, n, block):
            m = min(block, n - start)
            f.write(rng.integers(-3000, 3000, size=(m, N_CH), dtype=np.int16).tobytes())
    cells = [
        (r, c)
        for r in range(10)
        for c in range(10)
        if (r, c) not in {(0, 0), (0, 9), (9, 0), (9, 9)}
    ]
    (folder / "utah_1h.csv").write_text(
        "channel,row,col\n" + "".join(f"ch{k},{r},{c}\n" for k, (r, c) in enumerate(cells))
    )
    return path, n


def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stage(kind, path, rate):
    import neo  # noqa: F401  (both stages pay the same imports)

    import neurowave.io as nio

    base = _rss()
    t = time.perf_counter()
    kw = dict(
        io_kwargs=dict(dtype="int16", nb_channel=N_CH, sampling_rate=rate, signal_gain=0.25),
        positions=str(Path(path).with_suffix(".csv")),
    )
    if kind == "lazy":
        g = nio.read(path, lazy=True, **kw)
        assert hasattr(g.data, "dask")
        t_open = time.perf_counter() - t
        mean = g.mean("time").values
        std = g.std("time").values
    else:
        raw = np.fromfile(path, dtype=np.int16).reshape(-1, N_CH)
        data = raw.astype(np.float32) * np.float32(0.25)
        del raw
        t_open = time.perf_counter() - t
        mean = data.mean(0, dtype=np.float64)
        std = data.std(0, dtype=np.float64)
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # bytes (Linux: KiB)
    print(
        json.dumps(
            {
                "kind": kind,
                "peak_rss": peak,
                "base_rss": base,
                "seconds": elapsed,
                "open_s": t_open,
                "mean0": float(np.nanmean(mean)),
                "std0": float(np.nanmean(std)),
            }
        )
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--keep", default=None, help="folder for the recording (default: a temp dir)")
    ap.add_argument("--stage", choices=["lazy", "eager"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.stage:
        stage(a.stage, a.path, a.rate)
        return
    with tempfile.TemporaryDirectory(dir=a.keep) as tmp:
        t = time.perf_counter()
        path, n = write_recording(tmp, a.hours, a.rate)
        print(
            f"wrote {path.stat().st_size / 2**20:.0f} MiB ({n} samples x {N_CH} channels) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        f32 = n * N_CH * 4
        res = {}
        for kind in ("eager", "lazy"):
            env = dict(os.environ, OMP_NUM_THREADS="1")
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--stage",
                    kind,
                    "--path",
                    str(path),
                    "--rate",
                    str(a.rate),
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            if out.returncode:
                sys.exit(out.stderr)
            res[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        if not np.isclose(res["lazy"]["std0"], res["eager"]["std0"], rtol=1e-4):
            sys.exit(f"lazy and eager statistics differ: {res}")
        print(f"array as float32: {f32 / 2**20:.0f} MiB")
        for kind in ("eager", "lazy"):
            r = res[kind]
            r["extra"] = r["peak_rss"] - r["base_rss"]
            print(
                f"{kind:5s}: peak RSS {r['peak_rss'] / 2**20:7.0f} MiB, of which "
                f"{r['extra'] / 2**20:7.0f} MiB above the post-import baseline "
                f"({r['extra'] / f32:.3f} x array); {r['seconds']:.1f} s "
                f"(open {r['open_s']:.2f} s)"
            )
        print(
            f"lazy / eager memory above baseline: {res['lazy']['extra'] / res['eager']['extra']:.3f}"
        )


if __name__ == "__main__":
    main()
