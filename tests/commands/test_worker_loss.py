"""A lost worker loses nothing (issue 28): ``neurowave analyze --scheduler ADDRESS`` on a
real cluster (``dask scheduler`` and two ``dask worker`` processes, started here on the
loopback address), one worker SIGKILLed while it analyses a file. The scheduler gives
its tasks to the other worker; the batch must complete with the JSON of a serial run.

Every wait is bounded and every process is stopped in the fixture's teardown, even when
the test fails, so a broken cluster fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

N_FILES = 6
ROOT = str(Path(__file__).resolve().parents[2])


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def _dask(*args, log):
    """``dask ARGS`` (the CLI of ``distributed``) as a process of its own session."""
    return subprocess.Popen(
        [_dask_exe(), *args],
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _dask_exe():
    exe = Path(sys.executable).with_name("dask")
    if not exe.exists():
        pytest.skip("the `dask` command of distributed is not installed beside python")
    return str(exe)


def _wait(cond, timeout, what):
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _stop(procs):
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # its own session: all of it
                os.killpg(p.pid, signal.SIGKILL)
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(15)


@pytest.fixture
def cluster(tmp_path):
    """(address, Client of the test, {worker address: pid}) of a real local cluster."""
    from distributed import Client

    sched_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "wb")  # noqa: SIM115  (closed in finally)
    procs = []
    client = None
    try:
        procs.append(
            _dask(
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
                log=log,
            )
        )
        _wait(
            lambda: sched_file.exists() and sched_file.stat().st_size > 0, 60, "the dask scheduler"
        )
        address = json.loads(sched_file.read_text())["address"]
        for k in range(2):
            procs.append(
                _dask(
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
                    "--death-timeout",
                    "60",
                    "--local-directory",
                    str(tmp_path / f"w{k}"),
                    log=log,
                )
            )
        client = Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        yield address, client, pids
    finally:
        if client is not None:
            client.close(timeout=10)
        _stop(procs)
        log.close()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from neurowave.datasets import simulate_wave
    from neurowave.io import write_netcdf

    d = tmp_path_factory.mktemp("study")
    for k in range(N_FILES):
        grid, _ = simulate_wave(
            "planar",
            speed=0.2 + 0.02 * k,
            direction=30.0 * k,
            frequency=12.0,
            duration=4.0,
            snr_db=10.0,
            seed=k,
        )
        write_netcdf(grid, d / f"rec{k}.nc")
    return d


ARGS = ["--band", "8", "16", "--surrogates", "19"]


def test_a_worker_killed_mid_run_loses_nothing(study, cluster, tmp_path):
    address, client, pids = cluster
    serial = tmp_path / "serial"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "neurowave.cli",
            "analyze",
            str(study / "*.nc"),
            *ARGS,
            "--json",
            str(serial),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    out = tmp_path / "dist"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurowave.cli",
            "analyze",
            str(study / "*.nc"),
            *ARGS,
            "--json",
            str(out),
            "--scheduler",
            address,
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        victim = [None]

        def busy():  # a worker is analysing a file of the batch
            for addr, keys in client.processing().items():
                if keys and addr in pids:
                    victim[0] = addr
                    return True
            return proc.poll() is not None

        _wait(busy, 60, "a worker to start on a file")
        assert victim[0] is not None, "the batch ended before a worker could be killed"
        n_done_at_kill = len(list(out.glob("*.json"))) if out.exists() else 0
        os.kill(pids[victim[0]], signal.SIGKILL)
        _wait(
            lambda: victim[0] not in client.scheduler_info()["workers"],
            30,
            "the scheduler to see the worker gone",
        )
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(15)
    assert proc.returncode == 0, err
    assert n_done_at_kill < N_FILES  # the kill landed mid-run
    assert f"{N_FILES} analysed, 0 failed." in err
    names = sorted(p.name for p in serial.glob("*.json"))
    assert len(names) == N_FILES and sorted(p.name for p in out.glob("*.json")) == names
    for name in names:
        assert json.loads((out / name).read_text()) == json.loads((serial / name).read_text())
    assert (out / "summary.csv").read_text() == (serial / "summary.csv").read_text()
