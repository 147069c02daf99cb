"""A study at once (issue 28): ``neurowave analyze`` over many recordings, serially,
on a local cluster (``--workers 2``) and through a scheduler address (``--scheduler``,
a ``dask scheduler`` and two ``dask worker`` processes started here on 127.0.0.1).

The recordings are those of ``benchmarks/recording.py`` (96-site Utah array, 1 kHz,
float32 netCDF, a 15 Hz plane wave in pink noise), each with its own seed, written
once to ``--cache`` and reused. Each run is the command users run, as a process:
``neurowave analyze REC... --band 10 20 --json OUT`` (into a fresh OUT each time).
Beside it, this script samples every 50 ms the resident memory of the command (the
client) and of its workers (for ``--workers``, the processes it starts; for
``--scheduler``, the two ``dask worker`` processes), and watches OUT for the first
JSON. It prints, per mode and number of files: wall time, files per second, time to
the first result, the client's peak RSS, the workers' peak RSS (largest single worker,
and the sum over workers at any moment), and the ratio of the serial wall time to
each parallel mode's, measured in the same run. ``--n 50 200`` runs both sizes, to
show whether the client's peak grows with the number of files.

Run (on a quiet machine; the numbers of a loaded one are wrong)::

    python benchmarks/batch.py --n 50 200 --seconds 60            # docs/scale.rst table
    python benchmarks/batch.py --n 10 --seconds 10                # a quick check
    python benchmarks/batch.py --n 200 --modes serial workers --json batch.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

MODES = ("serial", "workers", "scheduler")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def write_study(cache, n, seconds):
    """``cache/rec{k:03d}.nc`` for k < n, each written once (kept between runs)."""
    from recording import write_recording

    cache = Path(cache) / f"utah96_{seconds:g}s"
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        p = cache / f"rec{k:03d}.nc"
        if not p.exists():
            tmp = p.with_name(f".{p.stem}.tmp.nc")  # whole files only under the real name
            write_recording(tmp, seconds, seed=k)
            os.replace(tmp, p)
            print(f"wrote {p}", file=sys.stderr, flush=True)
        paths.append(p)
    return paths


def _rss(pids):
    """{pid: RSS bytes} of the live processes among ``pids``."""
    import psutil

    out = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            out[pid] = psutil.Process(pid).memory_info().rss
    return out


def _children(pid):
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def start_cluster(folder, n_workers=2, timeout=60):
    """``dask scheduler`` and ``n_workers`` ``dask worker`` (one thread each, no nanny)
    on 127.0.0.1; returns (address, worker pids, processes)."""
    dask = str(Path(sys.executable).with_name("dask"))
    sched_file = Path(folder) / "scheduler.json"
    log = open(Path(folder) / "cluster.log", "wb")  # noqa: SIM115  (the processes keep it)
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    try:
        t0 = time.monotonic()
        while not (sched_file.exists() and sched_file.stat().st_size):
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.05)
        address = json.loads(sched_file.read_text())["address"]
        for k in range(n_workers):
            procs.append(
                subprocess.Popen(
                    [
                        dask,
                        "worker",
                        "--scheduler-file",
                        str(sched_file),
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--name",
                        f"w{k}",
                        "--local-directory",
                        str(Path(folder) / f"w{k}"),
                    ],
                    env=_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(n_workers, timeout=timeout)
    except BaseException:
        stop_cluster(procs)
        raise
    return address, [p.pid for p in procs[1:]], procs


def stop_cluster(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def run_mode(mode, paths, workdir, *, scheduler=None, worker_pids=(), timeout=7200):
    """One run of ``neurowave analyze``; a dict of its figures."""
    out = Path(tempfile.mkdtemp(prefix=f"out-{mode}-", dir=workdir)) / "json"
    cmd = [
        sys.executable,
        "-m",
        "neurowave.cli",
        "analyze",
        *map(str, paths),
        "--band",
        "10",
        "20",
        "--json",
        str(out),
    ]
    if mode == "workers":
        cmd += ["--workers", "2"]
    elif mode == "scheduler":
        cmd += ["--scheduler", scheduler]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client_peak = worker_peak = workers_sum_peak = 0
    first = None
    try:
        while proc.poll() is None:
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"{mode}: no end after {timeout} s")
            rss = _rss([proc.pid])
            client_peak = max(client_peak, rss.get(proc.pid, 0))
            pids = (
                list(worker_pids)
                if mode == "scheduler"
                else (_children(proc.pid) if mode == "workers" else [])
            )
            w = _rss(pids)
            if w:
                worker_peak = max(worker_peak, max(w.values()))
                workers_sum_peak = max(workers_sum_peak, sum(w.values()))
            if first is None and out.is_dir() and any(out.glob("*.json")):
                first = time.monotonic() - t0
            time.sleep(0.05)
        wall = time.monotonic() - t0
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode}: exit {proc.returncode}: {err[-2000:]}")
    n_json = len(list(out.glob("*.json")))
    shutil.rmtree(out.parent)
    if n_json != len(paths):
        raise RuntimeError(f"{mode}: {n_json} JSON for {len(paths)} files")
    mb = 1 / 2**20
    return {
        "mode": mode,
        "n_files": len(paths),
        "wall_s": wall,
        "files_per_s": len(paths) / wall,
        "first_result_s": first,
        "client_peak_mb": client_peak * mb,
        "worker_peak_mb": worker_peak * mb if mode != "serial" else None,
        "workers_sum_peak_mb": workers_sum_peak * mb if mode != "serial" else None,
    }


def _row(r):
    def f(v, fmt):
        width = int(fmt[1:].split(".")[0])
        return f"{'-':>{width}}" if v is None else format(v, fmt)

    return (
        f"{r['mode']:<10}{r['n_files']:>6}{r['wall_s']:>9.1f}{r['files_per_s']:>8.2f}"
        f"{f(r['first_result_s'], '>9.1f')}{r['client_peak_mb']:>9.0f}"
        f"{f(r['worker_peak_mb'], '>9.0f')}{f(r['workers_sum_peak_mb'], '>9.0f')}"
        f"{f(r.get('speedup'), '>8.2f')}"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=[200],
        help="numbers of files (each size a run of every mode; default 200)",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each recording")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    ap.add_argument(
        "--cache",
        default=str(cache / "neurowave" / "benchmarks" / "batch"),
        help="where the recordings are written once and reused",
    )
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    paths = write_study(args.cache, max(args.n), args.seconds)
    work = Path(tempfile.mkdtemp(prefix="batch-bench-"))
    results = []
    cluster = None
    try:
        if "scheduler" in args.modes:
            cluster = start_cluster(work)
        for n in sorted(args.n):
            serial = None
            for mode in args.modes:
                r = run_mode(
                    mode,
                    paths[:n],
                    work,
                    scheduler=cluster[0] if cluster else None,
                    worker_pids=cluster[1] if cluster else (),
                )
                if mode == "serial":
                    serial = r
                elif serial is not None:
                    r["speedup"] = serial["wall_s"] / r["wall_s"]
                results.append(r)
                print(_row(r), file=sys.stderr, flush=True)
    finally:
        if cluster is not None:
            stop_cluster(cluster[2])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.seconds:g} s of a 96-site array at 1 kHz per file; {os.cpu_count()} CPUs")
    print(
        f"{'mode':<10}{'files':>6}{'wall s':>9}{'files/s':>8}{'first s':>9}"
        f"{'client':>9}{'worker':>9}{'workers':>9}{'speedup':>8}"
    )
    print(f"{'':<10}{'':>6}{'':>9}{'':>8}{'':>9}{'MB':>9}{'MB':>9}{'sum MB':>9}{'x':>8}")
    for r in results:
        print(_row(r))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
