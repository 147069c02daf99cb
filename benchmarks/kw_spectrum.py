"""Benchmark of the wavenumber-frequency spectrum (issue 18).

A 600-s, 96-site (Utah: 10 x 10 at 0.4 mm, corners dead), 1 kHz recording of a plane
wave in noise; ``compute_kw_spectrum(grid, band=(4, 40))`` with its defaults (1-s Hann
windows, half overlapping: 1199 windows; 37 frequencies; 64 x 64 wavenumbers), timed
against a baseline measured in the same process on the same data: ``scipy.signal.welch``
of every site with the same windows (the per-site power spectrum that the k-omega
spectrum generalises; the time FFTs are the work both share).

(a) the recording in memory (NumPy, float32: 230 MB);
(b) the same recording generated lazily with dask in 60-s chunks (never whole in
    memory): the spectrum's peak memory is set by the chunk, not the length. Its
    baseline is one pass that generates and sums the chunks.

Each case runs in a fresh process; it prints wall time, the ratio to its baseline,
the peak of the memory the spectrum allocates (tracemalloc: NumPy buffers; the
recording itself is not counted), the process's peak RSS (which includes generating
the recording and the baseline), the CPU time of the spectrum (all threads; a fair
figure on a loaded machine) and the 1-min load average, and the speed and direction
read off the spectrum (truth:
0.2 m/s towards 30 deg at 15 Hz). Run::

    python benchmarks/kw_spectrum.py            # both
    python benchmarks/kw_spectrum.py a          # one case
    python benchmarks/kw_spectrum.py a --quick  # 60 s instead of 600 s

Target on 2 cores: (a) under 5 s for the spectrum; (b) peak RSS well below the
recording's size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time

import numpy as np

FS = 1000.0
BAND = (4.0, 40.0)
CHUNK_S = 60.0


def _block(t0, t1, x, y, seed):
    """cos(2 pi 15 t - k u.r) + white noise at 10 dB, float32, corners NaN."""
    t = np.arange(t0, t1) / FS
    k = 2 * np.pi * 15.0 / 200.0  # 0.2 m/s = 200 mm/s
    u = np.array([np.cos(np.deg2rad(30.0)), np.sin(np.deg2rad(30.0))])
    spatial = (k * (u[0] * x[None, :] + u[1] * y[:, None])).astype(np.float32)
    out = np.cos((2 * np.pi * 15.0 * t).astype(np.float32)[:, None, None] - spatial[None])
    rng = np.random.default_rng(seed)
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(np.sqrt(0.05))
    out[:, [0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
    return out


def _coords():
    return np.arange(10) * 0.4, np.arange(10) * 0.4


def _grid(duration, lazy):
    import dask.array as da

    import neurowave as nw

    x, y = _coords()
    n = int(duration * FS)
    if not lazy:
        return nw.make_grid(_block(0, n, x, y, 0), sampling_rate=FS, x=x, y=y)
    step = int(CHUNK_S * FS)

    def block(block_info=None):
        (t0, t1), _, _ = block_info[None]["array-location"]
        return _block(t0, t1, x, y, t0)

    chunks = (tuple([step] * (n // step) + ([n % step] if n % step else [])), (10,), (10,))
    arr = da.map_blocks(
        block, chunks=chunks, dtype=np.float32, meta=np.empty((0, 0, 0), np.float32)
    )
    return nw.make_grid(arr, sampling_rate=FS, x=x, y=y)


def _case(name, duration, out):
    import dask
    import scipy.signal as ss

    from neurowave.waves import compute_kw_spectrum, estimate_kw_wave

    dask.config.set(scheduler="threads", num_workers=2)
    lazy = name == "b"
    grid = _grid(duration, lazy)
    # baseline, same process, same data
    t0 = time.perf_counter()
    if lazy:
        float(grid.data[:, 1:-1, 1:-1].sum().compute())
    else:
        flat = grid.values.reshape(grid.shape[0], -1)
        ok = np.isfinite(flat).all(0)
        ss.welch(np.ascontiguousarray(flat[:, ok].T), fs=FS, nperseg=1000, noverlap=500, axis=-1)
    base = time.perf_counter() - t0
    import tracemalloc

    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    spec = compute_kw_spectrum(grid, band=BAND)
    spec = spec.compute()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    est = estimate_kw_wave(spec)
    out.put(
        {
            "case": name,
            "duration_s": duration,
            "lazy": lazy,
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "load_avg_1min": round(os.getloadavg()[0], 2),
            "baseline": "dask pass (generate + sum)" if lazy else "scipy.signal.welch per site",
            "baseline_s": round(base, 3),
            "ratio": round(wall / base, 2),
            "n_windows": int(spec.attrs["n_windows"]),
            "shape": list(spec.shape),
            "spectrum_peak_alloc_mb": round(peak / 2**20, 1),
            "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "input_mb": round(grid.size * 4 / 2**20, 1),
            "speed": round(est.speed, 4),
            "direction": round(est.direction, 2),
            "frequency": round(est.frequency, 3),
        }
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cases", nargs="*", default=["a", "b"])
    p.add_argument("--quick", action="store_true", help="60 s instead of 600 s")
    args = p.parse_args(argv)
    duration = 60.0 if args.quick else 600.0
    ctx = mp.get_context("spawn")
    for name in args.cases:
        q = ctx.Queue()
        proc = ctx.Process(target=_case, args=(name, duration, q))
        proc.start()
        res = None
        while res is None and (proc.is_alive() or not q.empty()):
            try:
                res = q.get(timeout=1.0)
            except Exception:  # queue.Empty: still running
                continue
        proc.join()
        if res is None:
            raise SystemExit(f"case {name} failed (exit code {proc.exitcode})")
        print(json.dumps(res))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
