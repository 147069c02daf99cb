"""Benchmarks of the wave measures: what users run, and the core pipeline (issues 2, 13).

**Table 1 -- the command users run, as a whole process.** ``neurowave analyze FILE.nc
--band 10 20`` with every other option at its default (surrogate test, patterns,
events), on a 96-site Utah array at 1 kHz (float32 netCDF, a 15 Hz plane wave at
0.2 m/s towards 30 deg in pink noise at 10 dB, ``benchmarks/recording.py``) of 60 s,
600 s and 1 h; wall time, CPU time and peak RSS from ``/usr/bin/time -v``, including
Python's start-up and imports. Beside it, in the same run, a plain vectorised SciPy
pipeline as a process (``benchmarks/scipy_pipeline.py``: sosfiltfilt, hilbert,
gradient, PGD, speed; no surrogates, patterns or events; the hour in 10-minute
blocks). Each is run ``--repeat`` times: best and spread. The answers are checked
against the truth (median speed within 5 %, direction within 5 deg, classified
frames planar >= 90 %). Targets (issue 13) on 2 cores: 600 s at >= 10 M
site-samples/s (under 6 s), peak RSS <= 660 MB, not slower than the SciPy pipeline;
1 h with peak RSS <= 1 GB. ``--format nix`` writes the recordings as NIX instead (the
layout ``neo.NixIO`` writes, ``recording.py``); the hour (1.4 GB) is then read lazily by
``read_neo`` and streamed (the SciPy pipeline reads netCDF only, so it is left out).

**Table 2 -- the core pipeline in-process** (band-pass, phase, gradient, PGD / speed /
direction, wave frames with surrogates; no patterns or events) against a per-frame
NumPy loop, as before:

(a) a Utah array, 96 sites x 1 kHz x 60 s, in memory;
(b) a 100 x 100-pixel x 25 Hz x 10-minute imaging stack, dask-chunked by minute
    (the per-frame baseline runs on the first minute and is scaled to ten);
(c) a 1-hour 96-site 1 kHz recording generated lazily with dask, reduced to summary
    numbers chunk by chunk: its peak memory is set by the chunk, not the length
    (10 minutes are run too, for comparison).

Run::

    nice -n 10 python benchmarks/measures.py                  # table 1: 60 s, 600 s, 1 h
    nice -n 5 python benchmarks/measures.py --format nix --durations 3600   # 1 h of NIX
    python benchmarks/measures.py --durations 60 600 --repeat 5
    python benchmarks/measures.py --core a b c                # table 2
    python benchmarks/measures.py --core a --quick            # 10 s instead of 60 s
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import tracemalloc

import numpy as np

N_SURR = 99


# --------------------------------------------------------------------------- data
def _plane_block(t, x, y, *, f, speed, direction, snr_db, seed, dtype=np.float32):
    """cos(2 pi f t - k u.r) + white noise at ``snr_db``: (len(t), len(y), len(x))."""
    k = 2 * np.pi * f / speed
    u = np.array([np.cos(np.deg2rad(direction)), np.sin(np.deg2rad(direction))])
    spatial = (k * (u[0] * x[None, :] + u[1] * y[:, None])).astype(dtype)
    wt = (2 * np.pi * f * t).astype(dtype)
    out = np.cos(wt[:, None, None] - spatial[None])
    rng = np.random.default_rng(seed)
    out += rng.standard_normal(out.shape, dtype=dtype) * dtype(np.sqrt(0.5 / 10 ** (snr_db / 10)))
    return out


def utah_grid(duration, *, dtype=np.float64):
    import neurowave as nw

    fs = 1000.0
    t = np.arange(int(duration * fs)) / fs
    x = y = np.arange(10) * 0.4
    data = _plane_block(
        t, x, y, f=15.0, speed=200.0, direction=30.0, snr_db=10, seed=0, dtype=np.float32
    ).astype(dtype)
    data[:, [0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
    return nw.make_grid(data, sampling_rate=fs, spacing=0.4), (12.0, 18.0)


def lazy_grid(duration, *, fs, shape, spacing, f, speed, chunk_s, corners=False):
    """A dask-backed plane-wave grid generated chunk by chunk (never whole in memory)."""
    import dask.array as da

    import neurowave as nw

    ny, nx = shape
    n = int(duration * fs)
    step = int(chunk_s * fs)
    x = np.arange(nx) * spacing
    y = np.arange(ny) * spacing

    def block(block_info=None):
        (t0, t1), _, _ = block_info[None]["array-location"]
        b = _plane_block(
            np.arange(t0, t1) / fs, x, y, f=f, speed=speed, direction=30.0, snr_db=10, seed=t0
        )
        if corners:
            b[:, [0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
        return b

    chunks = (tuple([step] * (n // step) + ([n % step] if n % step else [])), (ny,), (nx,))
    arr = da.map_blocks(
        block, chunks=chunks, dtype=np.float32, meta=np.empty((0, 0, 0), np.float32)
    )
    return nw.make_grid(arr, sampling_rate=fs, x=x, y=y)


# --------------------------------------------------------------------------- pipelines
def pipeline(grid, band, *, n_surrogates=N_SURR):
    """The measures through the public API; returns the per-frame outputs."""
    from neurowave.waves import (
        compute_frame_measures,
        compute_phase,
        compute_phase_gradient,
        detect_wave_frames,
    )

    ph = compute_phase(grid, band=band)
    g = compute_phase_gradient(ph)
    fm = compute_frame_measures(ph, g)  # PGD, speed, direction, wavelength, frequency
    frames = detect_wave_frames(ph, gradient=g, n_surrogates=n_surrogates, pgd=fm["pgd"])
    return frames.assign(speed=fm["speed"], direction=fm["direction"])


def baseline(data, fs, band, x, y, *, n_surrogates=N_SURR, step=1, seed=0):
    """A straightforward implementation: filter and Hilbert per array, then a loop over
    frames (gradient by wrapped differences, PGD, direction, speed, surrogates)."""
    import scipy.signal as ss

    sos = ss.butter(4, band, btype="bandpass", fs=fs, output="sos")
    nt = data.shape[0]
    flat = data.reshape(nt, -1)
    ok = np.isfinite(flat).all(axis=0)
    z = np.full(flat.shape, np.nan + 0j)
    z[:, ok] = ss.hilbert(ss.sosfiltfilt(sos, flat[:, ok], axis=0), axis=0)
    phase = np.angle(z).reshape(data.shape)
    dxs, dys = np.diff(x).mean(), np.diff(y).mean()
    rng = np.random.default_rng(seed)

    def grad(p):
        ddx = np.angle(np.exp(1j * np.diff(p, axis=1))) / dxs
        ddy = np.angle(np.exp(1j * np.diff(p, axis=0))) / dys
        nan = np.nan
        gx = np.nanmean(
            [
                np.pad(ddx, ((0, 0), (1, 0)), constant_values=nan),
                np.pad(ddx, ((0, 0), (0, 1)), constant_values=nan),
            ],
            axis=0,
        )
        gy = np.nanmean(
            [
                np.pad(ddy, ((1, 0), (0, 0)), constant_values=nan),
                np.pad(ddy, ((0, 1), (0, 0)), constant_values=nan),
            ],
            axis=0,
        )
        return gx, gy

    def pgd_of(gx, gy):
        m = np.isfinite(gx) & np.isfinite(gy)
        return np.hypot(gx[m].mean(), gy[m].mean()) / np.hypot(gx[m], gy[m]).mean(), m

    pgd = np.empty(nt)
    direction = np.empty(nt)
    speed = np.empty(nt)
    pval = np.full(nt, np.nan)
    valid = np.flatnonzero(ok)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for t in range(nt):
            gx, gy = grad(phase[t])
            pgd[t], m = pgd_of(gx, gy)
            mx, my = gx[m].mean(), gy[m].mean()
            direction[t] = np.degrees(np.arctan2(-my, -mx)) % 360
            a, b = max(t - 1, 0), min(t + 1, nt - 1)
            w = np.angle(z[b] * np.conj(z[a])).reshape(-1)[ok].mean() * fs / (b - a)
            speed[t] = abs(w) / np.hypot(mx, my)
            if t % step == step // 2:
                cnt = 0
                for _ in range(n_surrogates):
                    p = phase[t].reshape(-1).copy()
                    p[valid] = p[rng.permutation(valid)]
                    cnt += pgd_of(*grad(p.reshape(phase[t].shape)))[0] >= pgd[t]
                pval[t] = (1 + cnt) / (1 + n_surrogates)
    return pgd, direction, speed, pval


# --------------------------------------------------------------------------- cases
def _measure(fn, trace=True):
    """(wall seconds, CPU seconds of this process, tracemalloc peak bytes) of ``fn()``.

    On a shared machine the wall time includes waiting for a core; the process CPU time
    (all threads) is what the work itself took.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = None
    if trace:
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return secs, cpu, peak


def case_a(quick=False):
    from neurowave.waves.frames import _default_step

    duration = 10.0 if quick else 60.0
    grid, band = utah_grid(duration)
    n_ss = grid.sizes["time"] * 96

    def run():
        out = pipeline(grid, band)
        return out["is_wave"].values.mean()

    run()  # warm-up (imports, FFT plans)
    runs = [_measure(run, trace=False) for _ in range(3)]
    best = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    _, _, peak = _measure(run)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    step = _default_step(grid.assign_attrs(band=list(band)), 1000.0)
    t0, c0 = time.perf_counter(), time.process_time()
    baseline(grid.values, 1000.0, band, grid.x.values, grid.y.values, step=step)
    base, base_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "case": f"(a) Utah 96 sites x 1 kHz x {duration:g} s (float64 input)",
        "site_samples": n_ss,
        "seconds": best,
        "rate": n_ss / best,
        "cpu_seconds": cpu,
        "cpu_rate": n_ss / cpu,
        "baseline_seconds": base,
        "baseline_rate": n_ss / base,
        "baseline_cpu_seconds": base_cpu,
        "speedup": base / best,
        "input_bytes": grid.nbytes,
        "peak_bytes": peak,
        "peak_over_input": peak / grid.nbytes,
        "maxrss_mb": rss,
        "target_rate": 20e6,
        "target_peak_over_input": 3.0,
    }


def case_b(quick=False):
    import dask

    from neurowave.waves.frames import _default_step

    minutes = 2 if quick else 10
    fs, band = 25.0, (1.5, 2.5)
    grid = lazy_grid(
        60.0 * minutes, fs=fs, shape=(100, 100), spacing=0.1, f=2.0, speed=20.0, chunk_s=60.0
    )
    n_ss = grid.sizes["time"] * 100 * 100

    def run():
        out = pipeline(grid, band)
        with dask.config.set(scheduler="threads", num_workers=2):
            return float(out["is_wave"].mean().compute())

    secs, cpu, peak = _measure(run)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # same data, first minute, in memory: our pipeline vs the per-frame loop
    first = grid.isel(time=slice(0, int(60 * fs))).compute()
    step = _default_step(first.assign_attrs(band=list(band)), fs)
    t_ours = _measure(lambda: pipeline(first, band)["is_wave"].values, trace=False)[0]
    t0 = time.perf_counter()
    baseline(first.values.astype(np.float64), fs, band, first.x.values, first.y.values, step=step)
    base = time.perf_counter() - t0
    n_first = first.sizes["time"] * 10000
    return {
        "case": f"(b) imaging 100x100 px x 25 Hz x {minutes} min (float32, dask by minute)",
        "site_samples": n_ss,
        "seconds": secs,
        "rate": n_ss / secs,
        "cpu_seconds": cpu,
        "cpu_rate": n_ss / cpu,
        "first_minute_in_memory_rate": n_first / t_ours,
        "baseline_first_minute_rate": n_first / base,
        "speedup": base / t_ours,
        "input_bytes": n_ss * 4,
        "peak_bytes": peak,
        "peak_over_input": peak / (n_ss * 4),
        "maxrss_mb": rss,
    }


def case_c(quick=False, minutes=60, window_min=5):
    """Lazy 96-site recording; the lazy outputs are computed in consecutive windows of
    ``window_min`` minutes (each window's graph is culled to its chunks and their
    neighbours), so memory holds a few chunks whatever the length. ``window_min=None``
    computes the whole graph at once: dask's ordering of ``map_overlap`` graphs then
    keeps a few MB per chunk, so that peak grows slowly with the length."""
    import dask

    if quick:
        minutes = min(minutes, 5)
    fs, band = 1000.0, (12.0, 18.0)
    grid = lazy_grid(
        60.0 * minutes,
        fs=fs,
        shape=(10, 10),
        spacing=0.4,
        f=15.0,
        speed=200.0,
        chunk_s=60.0,
        corners=True,
    )
    n_ss = grid.sizes["time"] * 96
    n_t = grid.sizes["time"]

    def run():
        out = pipeline(grid, band)
        wave = out["is_wave"]
        spd = out["speed"].where(wave)
        step = n_t if window_min is None else int(window_min * 60 * fs)
        n_wave = n_sp = sum_sp = 0.0
        with dask.config.set(scheduler="threads", num_workers=2):
            for a in range(0, n_t, step):
                sl = slice(a, min(n_t, a + step))
                w, c, s = dask.compute(
                    wave.isel(time=sl).sum(), spd.isel(time=sl).count(), spd.isel(time=sl).sum()
                )
                n_wave += float(w)
                n_sp += float(c)
                sum_sp += float(s)
        return n_wave / n_t, sum_sp / max(n_sp, 1)

    secs, cpu, peak = _measure(run)
    mode = "whole graph" if window_min is None else f"{window_min:g}-min windows"
    return {
        "case": f"(c) lazy Utah 96 sites x 1 kHz x {minutes} min (float32, 60-s chunks, {mode})",
        "site_samples": n_ss,
        "seconds": secs,
        "rate": n_ss / secs,
        "cpu_seconds": cpu,
        "cpu_rate": n_ss / cpu,
        "input_bytes": grid.nbytes,
        "chunk_bytes": int(60 * fs * 100 * 4),
        "peak_bytes": peak,
        "peak_over_chunk": peak / (60 * fs * 100 * 4),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(name, quick, kw, q):
    try:
        q.put({"a": case_a, "b": case_b, "c": case_c}[name](quick, **kw))
    except BaseException as err:  # pragma: no cover - reported by the parent
        q.put({"case": name, "error": repr(err)})


def run_case(name, quick=False, **kw):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(name, quick, kw, q))
    p.start()
    res = q.get()
    p.join()
    return res


def _report(r):
    if "error" in r:
        print(f"{r['case']}: FAILED {r['error']}")
        return
    print(r["case"])
    print(
        f"  {r['site_samples'] / 1e6:.1f} M site-samples in {r['seconds']:.2f} s wall: "
        f"{r['rate'] / 1e6:.1f} M site-samples/s; CPU {r['cpu_seconds']:.2f} s: "
        f"{r['cpu_rate'] / 1e6:.1f} M site-samples per CPU-second"
    )
    if "baseline_rate" in r:
        print(
            f"  per-frame NumPy loop: {r['baseline_seconds']:.2f} s "
            f"({r['baseline_rate'] / 1e6:.2f} M/s); ratio {r['speedup']:.1f}x"
        )
    if "baseline_first_minute_rate" in r:
        print(
            f"  first minute in memory: {r['first_minute_in_memory_rate'] / 1e6:.1f} M/s; "
            f"per-frame loop {r['baseline_first_minute_rate'] / 1e6:.2f} M/s; "
            f"ratio {r['speedup']:.1f}x"
        )
    line = f"  peak traced memory {r['peak_bytes'] / 2**20:.0f} MiB"
    if "peak_over_input" in r:
        line += f" = {r['peak_over_input']:.2f}x the input ({r['input_bytes'] / 2**20:.0f} MiB)"
    if "peak_over_chunk" in r:
        line += (
            f" = {r['peak_over_chunk']:.1f}x one chunk ({r['chunk_bytes'] / 2**20:.0f} MiB);"
            f" input {r['input_bytes'] / 2**20:.0f} MiB"
        )
    print(line + f"; process peak RSS {r['maxrss_mb']:.0f} MiB")
    if "target_rate" in r:
        ok_rate = r["rate"] >= r["target_rate"]
        ok_cpu = r["cpu_rate"] >= r["target_rate"]
        ok_mem = r["peak_over_input"] <= r["target_peak_over_input"]
        print(
            f"  targets: rate >= 20 M/s {'OK' if ok_rate else 'MISSED'} (wall), "
            f"{'OK' if ok_cpu else 'MISSED'} (CPU), "
            f"peak <= 3x input {'OK' if ok_mem else 'MISSED'}"
        )


# --------------------------------------------------------------------------- table 1
def _time_v(cmd, env=None, timeout=3600):
    """Run ``cmd`` under /usr/bin/time -v: (wall s, user+sys s, peak RSS MB, stdout).

    The peak RSS is that of the whole process tree (the analysis forks worker
    processes): the largest sum of the resident sets of the process and all its
    descendants, sampled every 20 ms, or /usr/bin/time's figure (the largest single
    process) if that is larger. Pages the workers share with their parent count in
    each, so the sum errs high.
    """
    import subprocess
    import threading

    import psutil

    proc = subprocess.Popen(
        ["/usr/bin/time", "-v", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = [0]
    done = threading.Event()

    def sample():
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += p.memory_info().rss
            except psutil.NoSuchProcess:
                break
            peak[0] = max(peak[0], total)
            done.wait(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        done.set()
        watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr[-2000:]}")
    info = {}
    for line in stderr.splitlines():
        k, _, v = line.strip().rpartition(": ")
        info[k] = v
    h, m, sec = ([0, 0] + info["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
    wall = 3600 * float(h) + 60 * float(m) + float(sec)
    cpu = float(info["User time (seconds)"]) + float(info["System time (seconds)"])
    rss = max(float(info["Maximum resident set size (kbytes)"]) / 1024, peak[0] / 2**20)
    return wall, cpu, rss, stdout


def _stats(xs):
    xs = sorted(xs)
    return {"best": xs[0], "median": xs[len(xs) // 2], "worst": xs[-1], "runs": xs}


def process_case(duration, folder, repeat=3, baseline=True, fmt="nc"):
    """Table 1 for one recording length (seconds), the recording as netCDF or NIX."""
    from recording import BAND, TRUTH, write_nix_recording, write_recording

    path = os.path.join(folder, f"utah_{int(duration)}s.{fmt}")
    if not os.path.exists(path):
        t = time.perf_counter()
        (write_nix_recording if fmt == "nix" else write_recording)(path, duration)
        print(
            f"wrote {path} ({os.path.getsize(path) / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - t:.0f} s",
            file=sys.stderr,
        )
    env = dict(os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(here)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    out_json = os.path.join(folder, f"utah_{int(duration)}s.json")
    ours = [
        _time_v(
            [
                sys.executable,
                "-m",
                "neurowave.cli",
                "analyze",
                path,
                "--band",
                str(BAND[0]),
                str(BAND[1]),
                "--json",
                out_json,
            ],
            env,
        )
        for _ in range(repeat)
    ]
    base = []
    if baseline:
        cmd = [
            sys.executable,
            os.path.join(here, "scipy_pipeline.py"),
            path,
            "--band",
            str(BAND[0]),
            str(BAND[1]),
        ]
        if duration > 600:
            cmd += ["--block", "600"]
        base = [_time_v(cmd, env) for _ in range(repeat)]
    with open(out_json) as f:
        s = json.load(f)
    sm = s["summary"]
    classified = s["params"]["patterns"].get("classified_fractions", sm["patterns"])
    d = (sm["direction"]["mean_deg"] - TRUTH["direction"] + 180) % 360 - 180
    n_ss = 96 * int(duration * 1000)
    res = {
        "duration": duration,
        "format": fmt,
        "site_samples": n_ss,
        "file_mb": os.path.getsize(path) / 2**20,
        "wall": _stats([r[0] for r in ours]),
        "cpu": _stats([r[1] for r in ours]),
        "rss_mb": _stats([r[2] for r in ours]),
        "speed_median": sm["speed"]["median"],
        "speed_error": sm["speed"]["median"] / TRUTH["speed"] - 1,
        "direction_error_deg": d,
        "classified_planar": classified["planar"],
        "n_classified": s["params"]["patterns"].get("n_classified"),
        "n_chunks": s["params"].get("n_chunks"),
    }
    if base:
        res.update(
            base_wall=_stats([r[0] for r in base]),
            base_cpu=_stats([r[1] for r in base]),
            base_rss_mb=_stats([r[2] for r in base]),
            base_answer=json.loads(base[0][3].strip().splitlines()[-1]),
        )
    return res


def _report_process(results, machine):
    fmts = sorted({r.get("format", "nc") for r in results})
    print(
        f"Table 1: `neurowave analyze FILE.{'|'.join(fmts)} --band 10 20` (defaults) as a whole "
        f"process; {machine}"
    )
    print(
        "| recording | site-samples | wall best (spread) s | M site-samples/s | CPU s | "
        "peak RSS MB | SciPy pipeline wall best (spread) s | SciPy RSS MB | speed err | "
        "dir err | classified planar |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        w = r["wall"]
        line = (
            f"| {r['duration']:g} s {r.get('format', 'nc')} | {r['site_samples'] / 1e6:.1f} M | {w['best']:.2f} "
            f"({w['best']:.2f}-{w['worst']:.2f}) | {r['site_samples'] / w['best'] / 1e6:.1f} | "
            f"{r['cpu']['best']:.1f} | {r['rss_mb']['worst']:.0f} | "
        )
        if "base_wall" in r:
            b = r["base_wall"]
            line += (
                f"{b['best']:.2f} ({b['best']:.2f}-{b['worst']:.2f}) | "
                f"{r['base_rss_mb']['worst']:.0f} | "
            )
        else:
            line += "- | - | "
        line += (
            f"{100 * r['speed_error']:+.1f} % | {r['direction_error_deg']:+.1f} deg | "
            f"{100 * r['classified_planar']:.0f} % |"
        )
        print(line)
    for r in results:
        if r["duration"] == 600 and r.get("format", "nc") == "nc":  # the netCDF case
            ok = [
                r["site_samples"] / r["wall"]["best"] >= 10e6,
                r["rss_mb"]["worst"] <= 660,
                "base_wall" not in r or r["wall"]["best"] <= r["base_wall"]["best"],
                abs(r["speed_error"]) <= 0.05
                and abs(r["direction_error_deg"]) <= 5
                and r["classified_planar"] >= 0.9,
            ]
            names = [
                ">= 10 M site-samples/s",
                "peak RSS <= 660 MB",
                "not slower than SciPy",
                "right answer",
            ]
            print(
                "600 s targets: "
                + ", ".join(
                    f"{n} {'OK' if o else 'MISSED'}" for n, o in zip(names, ok, strict=True)
                )
            )
        if r["duration"] >= 3600:
            print(
                f"1 h target: peak RSS <= 1 GB {'OK' if r['rss_mb']['worst'] <= 1024 else 'MISSED'}"
            )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--durations",
        nargs="*",
        type=float,
        default=[60, 600, 3600],
        help="recording lengths in seconds for table 1 (default 60 600 3600)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each process (default 3)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the SciPy pipeline")
    ap.add_argument(
        "--format",
        choices=["nc", "nix"],
        default="nc",
        help="table 1: write the recordings as netCDF (default) or NIX (read "
        "lazily by neurowave when >= 256 MiB)",
    )
    ap.add_argument(
        "--folder",
        default=None,
        help="where the recordings are written (default: a temporary folder)",
    )
    ap.add_argument(
        "--core",
        nargs="*",
        metavar="CASE",
        default=None,
        help="table 2 instead: a, b and/or c (default all)",
    )
    ap.add_argument("--quick", action="store_true", help="table 2: shorter recordings")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    results = []
    if args.core is None:
        import platform
        import tempfile

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        machine = (
            f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
            f"load average {os.getloadavg()[0]:.1f} at start"
        )
        folder = args.folder or tempfile.mkdtemp(prefix="neurowave-bench-")
        for d in args.durations:
            r = process_case(
                d,
                folder,
                repeat=1 if d > 600 else args.repeat,
                baseline=not args.no_baseline and args.format == "nc",
                fmt=args.format,
            )
            results.append(r)
            print(json.dumps(r), file=sys.stderr)
        machine += f", {os.getloadavg()[0]:.1f} at the end"
        _report_process(results, machine)
    else:
        cases = args.core or ["a", "b", "c"]
        bad = [c for c in cases if c not in ("a", "b", "c")]
        if bad:
            ap.error(f"unknown case(s) {bad}; choose from a, b, c")
        for c in cases:
            if c == "c" and not args.quick:
                for kw in ({"minutes": 10}, {"minutes": 60, "window_min": None}):
                    rc = run_case("c", **kw)
                    _report(rc)
                    results.append(rc)
            r = run_case(c, args.quick)
            _report(r)
            results.append(r)
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
