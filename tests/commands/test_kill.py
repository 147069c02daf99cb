"""Interrupted work loses nothing: commands really killed with SIGKILL.

``analyze``, ``compare`` and ``export`` run as subprocesses over an earlier output of
the same command; each is stopped with SIGKILL at a moment it is writing (the new
file written to its temporary name but not yet renamed, or a figure of a new plot or
report folder written). The earlier outputs must be intact, byte for byte, and no
partial output may appear (temporary files, hidden by a leading dot, may remain:
SIGKILL leaves no chance to remove them).

``train`` is killed in the middle of its second epoch; ``--resume`` then continues
from the last checkpoint and must end with exactly the weights (bitwise) of an
uninterrupted run with the same seed.

The moment is chosen by a small driver that wraps the command and pauses it at that
point (it writes a marker file, then sleeps), so the kill lands there every time.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

DRIVER = textwrap.dedent('''
    """Run `neurowave ARGS`, pausing (marker file, then sleep) at NW_PAUSE_AT."""
    import os, sys, time

    where = os.environ.get("NW_PAUSE_AT", "")
    marker = os.environ.get("NW_MARKER", "")
    targets = set(filter(None, os.environ.get("NW_TARGETS", "").split(os.pathsep)))
    count = int(os.environ.get("NW_PAUSE_COUNT", "1"))
    seen = [0]

    def pause():
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)

    if where == "rename":  # the new content is complete under its temporary name
        real_replace = os.replace

        def replace(src, dst, *a, **k):
            if os.path.abspath(os.fspath(dst)) in targets:
                pause()
            return real_replace(src, dst, *a, **k)

        os.replace = replace
    elif where == "savefig":  # a new plot/report folder is half written
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        real_savefig = Figure.savefig

        def savefig(self, *a, **k):
            out = real_savefig(self, *a, **k)
            seen[0] += 1
            if seen[0] >= count:
                pause()
            return out

        Figure.savefig = savefig
    elif where == "step":  # training, in the middle of an epoch
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
''')


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    p = tmp_path_factory.mktemp("driver") / "nw_driver.py"
    p.write_text(DRIVER)
    return p


def _env(**extra):
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env["OMP_NUM_THREADS"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _run(args, *, timeout=300):
    r = subprocess.run(
        [sys.executable, "-m", "neurowave.cli", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert r.returncode == 0, r.stderr
    return r


def _kill_at(driver, args, tmp, *, where, targets=(), count=1, timeout=300):
    """Start the command, wait until it pauses at ``where``, SIGKILL it."""
    marker = tmp / f"paused-{where}-{time.monotonic_ns()}"
    env = _env(
        NW_PAUSE_AT=where,
        NW_MARKER=marker,
        NW_PAUSE_COUNT=count,
        NW_TARGETS=os.pathsep.join(os.path.abspath(t) for t in targets),
    )
    proc = subprocess.Popen(
        [sys.executable, str(driver), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    t0 = time.monotonic()
    try:
        while not marker.exists():
            if proc.poll() is not None:
                err = proc.stderr.read().decode()
                pytest.fail(
                    f"the command ended (code {proc.returncode}) before reaching {where}: {err}"
                )
            if time.monotonic() - t0 > timeout:
                pytest.fail(f"the command never reached {where}")
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _snapshot(folder):
    """{relative path: sha256} of the visible files and folders under ``folder``."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue  # temporary names: hidden
        out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from neurowave.datasets import simulate_model_export, simulate_wave
    from neurowave.io import write_netcdf

    d = tmp_path_factory.mktemp("kill_inputs")
    grid, _ = simulate_wave(
        "planar", speed=0.3, frequency=10.0, duration=1.0, sampling_rate=200.0, snr_db=10.0, seed=1
    )
    write_netcdf(grid, d / "rec.nc")
    model = simulate_model_export(
        "planar",
        speed=0.3,
        frequency=0.05,
        shape=(10, 10),
        n_steps=80,
        n_samples=1,
        n_units=1,
        seed=2,
    )
    write_netcdf(model, d / "model.nc")
    return d


def test_analyze_killed_while_writing_keeps_the_earlier_outputs(driver, inputs, tmp_path):
    out = tmp_path / "out"
    js, plots = out / "a.json", out / "plots"
    base = [
        "analyze",
        str(inputs / "rec.nc"),
        "--surrogates",
        "0",
        "--json",
        str(js),
        "--plots",
        str(plots),
    ]
    _run(base)
    before = _snapshot(out)
    assert {"a.json", "plots", "plots/pgd.png", "plots/measures.png"} <= set(before)
    again = [*base[:-2], "--plots", str(plots), "--overwrite", "--pgd-threshold", "0.3"]
    # killed with the new JSON complete under its temporary name
    _kill_at(driver, again, tmp_path, where="rename", targets=[js])
    assert _snapshot(out) == before
    # killed with the new plot folder half written
    _kill_at(driver, again, tmp_path, where="savefig", count=1)
    assert _snapshot(out) == before
    # and the command still works afterwards, replacing both
    _run(again)
    after = _snapshot(out)
    assert set(after) == set(before) and after["a.json"] != before["a.json"]


def test_compare_killed_while_writing_keeps_the_earlier_outputs(driver, inputs, tmp_path):
    out = tmp_path / "out"
    js, rep = out / "c.json", out / "report"
    base = [
        "compare",
        str(inputs / "model.nc"),
        str(inputs / "rec.nc"),
        "--n-boot",
        "20",
        "--json",
        str(js),
        "--report",
        str(rep),
    ]
    _run(base)
    before = _snapshot(out)
    assert {"c.json", "report", "report/index.html", "report/compare.json"} <= set(before)
    again = [*base, "--overwrite", "--seed", "1"]
    _kill_at(driver, again, tmp_path, where="savefig", count=2)  # report half built
    assert _snapshot(out) == before
    _kill_at(driver, again, tmp_path, where="rename", targets=[js])  # report built, JSON last
    assert _snapshot(out) == before


def test_export_killed_while_writing_keeps_the_earlier_file(driver, tmp_path):
    out = tmp_path / "out"
    nc = out / "m.nc"
    base = ["export", "pretrained:cornn-tetrominoes-small", "--n", "1", "--out", str(nc)]
    _run(base)
    before = _snapshot(out)
    assert set(before) == {"m.nc"}
    _kill_at(
        driver,
        [*base[:4], "--seed", "3", "--overwrite", *base[4:]],
        tmp_path,
        where="rename",
        targets=[nc],
    )
    assert _snapshot(out) == before
    import xarray as xr

    with xr.open_dataset(nc) as ds:  # still a whole, readable export
        assert ds["hidden"].dims == ("sample", "time", "unit", "y", "x")


TRAIN = [
    "train",
    "--task",
    "tetrominoes-tiny",
    "--model",
    "cornn",
    "--epochs",
    "3",
    "--seed",
    "7",
    "--threads",
    "1",
    "--batch-size",
    "8",
    "--config",
    "n_steps=6",
    "--config",
    "mlp_hidden=[8]",
    "--task-option",
    "n_train=32",
    "--task-option",
    "n_val=8",
    "--task-option",
    "n_test=8",
]


def test_train_killed_mid_epoch_resumes_to_the_same_weights(driver, tmp_path):
    import torch

    whole, cut = tmp_path / "whole", tmp_path / "cut"
    _run([*TRAIN, "--out", str(whole)])
    # 32 images in batches of 8: 4 steps per epoch; stop after step 6 (mid epoch 2)
    _kill_at(driver, [*TRAIN, "--out", str(cut)], tmp_path, where="step", count=6)
    ck = torch.load(cut / "last.pt", map_location="cpu", weights_only=True)
    assert ck["epoch"] == 0  # the last finished epoch is the first
    assert len((cut / "metrics.jsonl").read_text().splitlines()) == 1
    assert not (cut / "run.json").exists()
    _run([*TRAIN, "--resume", "--out", str(cut)])
    for name in ("last.pt", "best.pt"):
        a = torch.load(whole / name, map_location="cpu", weights_only=True)
        b = torch.load(cut / name, map_location="cpu", weights_only=True)
        assert a["epoch"] == b["epoch"]
        assert a["state_dict"].keys() == b["state_dict"].keys()
        for k in a["state_dict"]:
            assert torch.equal(a["state_dict"][k], b["state_dict"][k]), (name, k)  # bitwise
    hist = [line for line in (cut / "metrics.jsonl").read_text().splitlines()]
    assert len(hist) == 3
    import json

    la = [json.loads(x)["train_loss"] for x in (whole / "metrics.jsonl").read_text().splitlines()]
    lb = [json.loads(x)["train_loss"] for x in hist]
    assert la == lb


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Three recordings of a study (issue 28)."""
    from neurowave.datasets import simulate_wave
    from neurowave.io import write_netcdf

    d = tmp_path_factory.mktemp("kill_batch")
    for k, name in enumerate(("s1", "s2", "s3")):
        grid, _ = simulate_wave(
            "planar",
            speed=0.3,
            frequency=10.0,
            duration=1.0,
            sampling_rate=200.0,
            snr_db=10.0,
            seed=10 + k,
        )
        write_netcdf(grid, d / f"{name}.nc")
    return d


@pytest.mark.parametrize("target", ["s2.json", "summary.csv"])
def test_a_batch_killed_mid_run_leaves_whole_files_and_the_rerun_completes_it(
    driver, batch, tmp_path, target
):
    """SIGKILL while a batch writes the second JSON (or the CSV): what is there is whole,
    nothing half written appears, and the rerun analyses only the rest, to the outputs
    of an uninterrupted run."""
    import csv
    import json

    base = ["analyze", str(batch / "*.nc"), "--surrogates", "0", "--band", "8", "12"]
    whole = tmp_path / "whole"
    _run([*base, "--json", str(whole)])
    out = tmp_path / "out"
    _kill_at(driver, [*base, "--json", str(out)], tmp_path, where="rename", targets=[out / target])
    left = _snapshot(out)
    kept = sorted(k for k in left if k.endswith(".json"))
    assert kept == (["s1.json"] if target == "s2.json" else ["s1.json", "s2.json", "s3.json"])
    assert "summary.csv" not in left  # written last, whole or not at all
    for name in kept:  # whole, and those of the uninterrupted run
        assert json.loads((out / name).read_text()) == json.loads((whole / name).read_text())
    r = _run([*base, "--json", str(out)])
    n_kept = len(kept)
    assert f"{n_kept} of 3 files kept from an earlier run" in r.stderr
    assert f"{3 - n_kept} analysed, {n_kept} kept from an earlier run, 0 failed." in r.stderr
    assert _snapshot(out) == _snapshot(whole)
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert [r["status"] for r in rows] == ["ok"] * 3
