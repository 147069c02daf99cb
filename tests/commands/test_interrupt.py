"""Interrupts stop and clean up (issue 36), with real signals to real processes.

* SIGTERM and Ctrl-C (SIGINT) while ``export`` writes its netCDF file stop it within
  15 s with exit code 143/130, leave no temporary ``.part`` file and keep the earlier
  export byte for byte; the same for ``train`` in the middle of an epoch.
* SIGKILL of ``analyze`` while its forked chunk workers run leaves no worker alive.
* ``train --nproc 2`` listens on nothing beyond loopback.

The moment of the signal is chosen by a small driver that pauses the command there
(it writes a marker file, then sleeps), as in ``test_kill.py``.
"""

from __future__ import annotations

import glob
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="signals and /proc (Linux)"
)

DRIVER = textwrap.dedent("""
    import os, sys, time

    where, marker = os.environ["NW_PAUSE_AT"], os.environ["NW_MARKER"]
    count, seen = int(os.environ.get("NW_PAUSE_COUNT", "1")), [0]

    def pause():
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)

    if where == "written":  # the new file complete under its temporary name
        import xarray as xr

        real = xr.Dataset.to_netcdf

        def to_netcdf(self, *a, **k):
            out = real(self, *a, **k)
            pause()
            return out

        xr.Dataset.to_netcdf = to_netcdf
    elif where == "step":
        import torch

        real_step = torch.optim.Adam.step

        def step(self, *a, **k):
            out = real_step(self, *a, **k)
            seen[0] += 1
            if seen[0] >= count:
                pause()
            return out

        torch.optim.Adam.step = step
    from neurowave.cli import main

    sys.exit(main(sys.argv[1:]))
""")


def _env(**extra):
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _cli(args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "neurowave.cli", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def _signal_at(tmp, args, *, where, sig, count=1):
    """Start the command under the driver, wait for its pause, send ``sig``; return
    (exit code, seconds from the signal to the exit, stderr)."""
    driver = tmp / "nw_driver.py"
    driver.write_text(DRIVER)
    marker = tmp / f"paused-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, str(driver), *args],
        env=_env(NW_PAUSE_AT=where, NW_MARKER=marker, NW_PAUSE_COUNT=count),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        t0 = time.monotonic()
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"ended before {where}: {proc.stderr.read().decode()}")
            assert time.monotonic() - t0 < 240, f"never reached {where}"
            time.sleep(0.02)
        proc.send_signal(sig)
        t1 = time.monotonic()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 30 s after {sig!r}")
        return proc.returncode, time.monotonic() - t1, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()


def _parts(folder):
    return sorted(str(p) for p in Path(folder).rglob("*.part"))


EXPORT = ["export", "pretrained:cornn-tetrominoes-small", "--n", "1", "--no-controls"]


@pytest.mark.parametrize(
    "sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_export_stops_on_a_signal_while_writing_and_leaves_no_temp_file(tmp_path, sig, code):
    out = tmp_path / "out" / "m.nc"
    r = _cli([*EXPORT, "--out", str(out)])
    assert r.returncode == 0, r.stderr
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    got, seconds, err = _signal_at(
        tmp_path,
        [*EXPORT, "--seed", "3", "--overwrite", "--out", str(out)],
        where="written",
        sig=sig,
    )
    assert got == code, err
    assert seconds < 15
    assert _parts(tmp_path / "out") == []
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before


TRAIN = [
    "train",
    "--task",
    "tetrominoes-tiny",
    "--model",
    "cnn",
    "--epochs",
    "2",
    "--batch-size",
    "4",
    "--threads",
    "1",
    "--config",
    "n_layers=1",
    "--config",
    "channels=2",
    "--config",
    "mlp_hidden=[4]",
    "--task-option",
    "n_train=16",
    "--task-option",
    "n_val=4",
    "--task-option",
    "n_test=4",
]


def test_train_stops_on_sigterm_mid_epoch_and_frees_its_folder(tmp_path):
    run = tmp_path / "run"
    got, seconds, err = _signal_at(
        tmp_path, [*TRAIN, "--out", str(run)], where="step", sig=signal.SIGTERM, count=6
    )  # epoch 2 of 2
    assert got == 143, err
    assert seconds < 15
    assert _parts(run) == []
    assert (run / "last.pt").is_file()  # epoch 1 kept, for --resume
    r = _cli([*TRAIN, "--resume", "--out", str(run)])  # the lock went with the process
    assert r.returncode == 0, r.stderr


def _children(pid):
    out = []
    for st in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(st).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(Path(st).parent.name))
    return out


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_analyze_killed_leaves_no_forked_worker(tmp_path, sig):
    from neurowave.datasets import simulate_wave
    from neurowave.io import write_netcdf

    grid, _ = simulate_wave(
        "planar", speed=0.3, frequency=10.0, duration=12.0, sampling_rate=200.0, seed=1
    )
    write_netcdf(grid, tmp_path / "long.nc")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurowave.cli",
            "analyze",
            str(tmp_path / "long.nc"),
            "--surrogates",
            "0",
            "--threads",
            "2",
            "--chunk",
            "0.5",
            "--band",
            "5",
            "45",
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        t0, workers = time.monotonic(), []
        while len(workers) < 2 and proc.poll() is None and time.monotonic() - t0 < 120:
            workers = _children(proc.pid)
            time.sleep(0.02)
        assert len(workers) >= 2, "no forked workers seen: " + proc.stderr.read().decode()
        os.kill(proc.pid, sig)
        t1 = time.monotonic()
        proc.wait(30)
        assert time.monotonic() - t1 < 15
        assert proc.returncode == (-sig if sig == signal.SIGKILL else 143)
        while any(_alive(w) for w in workers) and time.monotonic() - t1 < 10:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()


def _listening(pids):
    """(address, port) of the TCP sockets in LISTEN state owned by ``pids``."""
    inodes = set()
    for pid in pids:
        for fd in glob.glob(f"/proc/{pid}/fd/*"):
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:
                addr, port = f[1].split(":")
                out.add((addr, int(port, 16)))
    return out


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


def test_data_parallel_training_listens_on_loopback_only(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurowave.cli",
            *TRAIN[:6],
            "1",
            *TRAIN[7:],
            "--nproc",
            "2",
            "--out",
            str(tmp_path / "run"),
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = set()
    try:
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < 240:
            tree, i = [proc.pid], 0
            while i < len(tree):
                tree += _children(tree[i])
                i += 1
            seen |= _listening(tree)
            time.sleep(0.1)
        assert proc.wait(30) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()
    assert seen, "no listening socket seen: the check saw nothing"
    assert {a for a, _ in seen} <= LOOPBACK, seen


def test_the_local_cluster_listens_on_loopback_with_tls_and_no_http_server():
    pytest.importorskip("distributed")
    from neurowave.commands.analyze import local_cluster

    client, cluster = local_cluster(1)
    try:
        info = client.scheduler_info()
        tree, i = [os.getpid()], 0
        while i < len(tree):
            tree += _children(tree[i])
            i += 1
        seen = _listening(tree)
        ports = {int(info["address"].rsplit(":", 1)[1])}
        for addr, w in info["workers"].items():
            ports.add(int(addr.rsplit(":", 1)[1]))
            if w.get("nanny"):
                ports.add(int(w["nanny"].rsplit(":", 1)[1]))
    finally:
        client.close()
        cluster.close()
    assert seen and {a for a, _ in seen} <= LOOPBACK, seen
    assert {p for _, p in seen} <= ports, f"an HTTP server listens: {seen} vs {ports}"
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return
    assert info["address"].startswith("tls://")
