"""Hostile but well-formed inputs (issue 36): each gives the truth or exit 2 with one
sentence, never an internal error, and no command replaces an input or a file it did
not write.

``ROWS`` is the table: one row per class, the command line built from the fixture
files, the expected exit code and a piece of the sentence (or a check of the truth).
Every row also asserts that the inputs are unchanged byte for byte and that no
temporary ``.part`` file is left anywhere under the test folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from neurowave.cli import main

PYTHON_INTERNALS = re.compile(
    r"Traceback|unexpected keyword argument|has no attribute|object is not|"
    r"\b[A-Z][A-Za-z]*(Error|Exception)\b|internal error|<[a-z_.]+ object at 0x"
)


def _sha(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Inputs of the table: a recording and its hostile variants, a model export,
    TIFF stacks, a huge-declared netCDF, damaged checkpoints."""
    import netCDF4
    import tifffile
    import torch

    from neurowave.datasets import simulate_model_export, simulate_wave
    from neurowave.grid import make_channel_grid
    from neurowave.io import write_netcdf
    from neurowave.models.train import load_checkpoint

    d = tmp_path_factory.mktemp("hostile")
    g, _ = simulate_wave(
        "planar",
        speed=0.3,
        direction=60.0,
        frequency=10.0,
        duration=1.0,
        sampling_rate=200.0,
        snr_db=10.0,
        seed=1,
    )
    write_netcdf(g, d / "rec.nc")
    bad = g.copy()
    bad.attrs["sampling_rate"] = 400.0
    write_netcdf(bad, d / "rate.nc")
    write_netcdf(g.isel(time=slice(None, None, -1)), d / "backwards.nc")
    order = np.random.default_rng(0).permutation(g.sizes["time"])
    write_netcdf(g.isel(time=order), d / "shuffled.nc")
    t = g["time"].values.copy()
    t[10] = t[9]
    write_netcdf(g.assign_coords(time=t), d / "repeated.nc")
    x = g["x"].values.copy()
    x[3] = np.nan
    write_netcdf(g.assign_coords(x=x), d / "nan_coord.nc")
    flat = g.values.reshape(g.sizes["time"], -1)
    same = make_channel_grid(
        flat, sampling_rate=200.0, x=np.zeros(flat.shape[1]), y=np.zeros(flat.shape[1])
    )
    write_netcdf(same, d / "one_position.nc")
    x2, y2 = np.tile(np.arange(10.0), 10), np.repeat(np.arange(10.0), 10)
    x2[5], y2[5] = x2[4], y2[4]
    write_netcdf(make_channel_grid(flat, sampling_rate=200.0, x=x2, y=y2), d / "shared_position.nc")
    write_netcdf(
        simulate_model_export(
            "planar",
            speed=0.3,
            frequency=0.05,
            shape=(8, 8),
            n_steps=40,
            n_samples=1,
            n_units=1,
            seed=2,
        ),
        d / "model.nc",
    )
    with netCDF4.Dataset(d / "huge.nc", "w") as nc:  # 9 KB declaring 96 x 2e9 samples
        nc.createDimension("time", 2_000_000_000)
        nc.createDimension("channel", 96)
        nc.createVariable("signal", "f4", ("time", "channel"), chunksizes=(1 << 16, 96))
        nc.createVariable("time", "f8", ("time",), chunksizes=(1 << 20,))
        for c in ("x", "y"):
            nc.createVariable(c, "f8", ("channel",))[:] = np.arange(96) % 10
        nc.sampling_rate = 1000.0
    rng = np.random.default_rng(3)
    with tifffile.TiffWriter(d / "two_series.tif") as w:
        w.write(rng.random((50, 8, 8), dtype=np.float32))
        w.write(rng.random((50, 8, 8), dtype=np.float32))
    with tifffile.TiffWriter(d / "mixed_series.tif") as w:
        w.write(rng.random((5, 8, 8), dtype=np.float32))
        w.write(rng.random((5, 9, 9), dtype=np.float32))
    ck = load_checkpoint("pretrained:cornn-tetrominoes-small")
    ck = {k: v for k, v in ck.items() if not k.startswith("_")}
    torch.save({k: v for k, v in ck.items() if k != "state_dict"}, d / "no_weights.pt")
    torch.save({**ck, "config": {**ck["config"], "hidden_channels": 10**6}}, d / "huge_config.pt")
    (d / "notes.txt").write_text("my notes\n")
    (d / "theirs").mkdir()
    (d / "theirs" / "keep.txt").write_text("not neurowave's\n")
    os.link(d / "rec.nc", d / "hardlink.json")
    os.symlink(d / "rec.nc", d / "symlink.json")
    return d


def _peer(kind):
    """A local TCP port: closed, or held by a non-dask server that speaks first."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    if kind == "closed":
        srv.close()
        return port, None
    srv.listen(4)

    def serve():
        try:
            while True:
                c, _ = srv.accept()
                c.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\xff" * 64)
                time.sleep(0.5)
                c.close()
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    return port, srv


A = ["analyze", "--surrogates", "0"]

#: id -> (argv with {d} for the fixture folder, exit code, piece of the message or a
#: callable checking the outputs)
ROWS = {
    # output guards: data loss
    "json-is-input": ([*A, "{d}/rec.nc", "--json", "{d}/rec.nc"], 2, "is the input"),
    "csv-is-input": ([*A, "{d}/rec.nc", "--csv", "{d}/rec.nc"], 2, "is the input"),
    "hardlink-to-input": (
        [*A, "{d}/rec.nc", "--json", "{d}/hardlink.json", "--overwrite"],
        2,
        "is the input",
    ),
    "symlink-to-input": (
        [*A, "{d}/rec.nc", "--json", "{d}/symlink.json", "--overwrite"],
        2,
        "is the input",
    ),
    "info-json-is-input": (["info", "{d}/rec.nc", "--json", "{d}/rec.nc"], 2, "is the input"),
    "compare-json-is-input": (
        ["compare", "{d}/model.nc", "{d}/rec.nc", "--json", "{d}/model.nc"],
        2,
        "is the input",
    ),
    "plots-hold-the-input": (
        [*A, "{d}/rec.nc", "--plots", "{d}", "--overwrite"],
        2,
        "holds the input",
    ),
    "report-holds-the-input": (
        ["compare", "{d}/model.nc", "{d}/rec.nc", "--report", "{d}", "--overwrite"],
        2,
        "holds the input",
    ),
    "export-out-is-checkpoint": (
        ["export", "{d}/huge_config.pt", "--out", "{d}/huge_config.pt"],
        2,
        "is the input",
    ),
    "foreign-file-with-overwrite": (
        [*A, "{d}/rec.nc", "--json", "{d}/notes.txt", "--overwrite"],
        2,
        "not a JSON file neurowave wrote",
    ),
    "foreign-folder-with-overwrite": (
        [*A, "{d}/rec.nc", "--plots", "{d}/theirs", "--overwrite"],
        2,
        "did not write",
    ),
    # coordinates are the truth
    "contradicting-rate": ([*A, "{d}/rate.nc"], 2, "sampling_rate=400"),
    "shuffled-time": ([*A, "{d}/shuffled.nc"], 2, "out of order"),
    "repeated-stamp": ([*A, "{d}/repeated.nc"], 2, "repeats the time stamp"),
    "non-finite-coordinate": ([*A, "{d}/nan_coord.nc"], 2, "non-finite `x`"),
    "sites-at-one-position": ([*A, "{d}/one_position.nc"], 2, "at one position"),
    "two-sites-share-a-position": (
        [*A, "{d}/shared_position.nc"],
        2,
        "ch4 and ch5 at the same position",
    ),
    # bounded before allocating
    "huge-declared-size": (["info", "{d}/huge.nc"], 2, "declares a time axis"),
    "huge-declared-size-lazy": ([*A, "{d}/huge.nc"], 2, "declares a time axis"),
    "checkpoint-config-out-of-bounds": (
        ["evaluate", "{d}/huge_config.pt", "--n", "1"],
        2,
        "beyond the sane bound",
    ),
    "checkpoint-without-weights": (
        ["evaluate", "{d}/no_weights.pt", "--n", "1"],
        2,
        "lacks 'state_dict'",
    ),
    # readers read everything or say what they leave out
    "multi-series-tiff": (
        [
            "info",
            "{d}/two_series.tif",
            "--frame-rate",
            "10",
            "--pixel-size",
            "0.05",
            "--json",
            "{out}/info.json",
        ],
        0,
        lambda out: json.loads((out / "info.json").read_text())["n_times"] == 100,
    ),
    "multi-series-tiff-mixed": (
        ["info", "{d}/mixed_series.tif", "--frame-rate", "10", "--pixel-size", "0.05"],
        2,
        "series 1: (5, 9, 9)",
    ),
    # schedulers
    "scheduler-malformed": (
        [*A, "{d}/rec.nc", "--scheduler", "tcp://host:port:9"],
        2,
        "not a dask scheduler address",
    ),
    "scheduler-closed-port": (
        [*A, "{d}/rec.nc", "--scheduler", "tcp://127.0.0.1:{closed}"],
        2,
        "Cannot reach the dask scheduler",
    ),
    "scheduler-not-dask": (
        [*A, "{d}/rec.nc", "--scheduler", "tcp://127.0.0.1:{peer}"],
        2,
        "is not a dask scheduler",
    ),
}


@pytest.mark.parametrize("row", list(ROWS), ids=list(ROWS))
def test_hostile_input_gives_the_truth_or_one_sentence(row, files, tmp_path, capsys):
    argv, code, expect = ROWS[row]
    closed, _ = _peer("closed")
    peer, srv = _peer("talker")
    inputs = {p: _sha(p) for p in files.rglob("*") if p.is_file() and not p.is_symlink()}
    fill = dict(d=files, out=tmp_path, closed=closed, peer=peer)
    t0 = time.monotonic()
    try:
        got = main([a.format(**fill) for a in argv])
    finally:
        if srv is not None:
            srv.close()
    err = capsys.readouterr().err
    assert time.monotonic() - t0 < 15
    assert got == code, err
    if callable(expect):
        assert expect(tmp_path)
    else:
        line = err.strip().splitlines()[-1]
        assert line.startswith("neurowave: error:") and expect in line, err
        assert not PYTHON_INTERNALS.search(line.removeprefix("neurowave: error:")), line
    assert {p: _sha(p) for p in inputs} == inputs  # no input touched
    assert not [p for p in files.rglob("*.part")] + [p for p in tmp_path.rglob("*.part")]


def test_a_backwards_time_axis_is_read_as_physical_time(files, tmp_path, capsys):
    """The same recording stored backwards in time gives the same waves."""
    for name in ("rec", "backwards"):
        assert (
            main([*A, str(files / f"{name}.nc"), "--json", str(tmp_path / f"{name}.json")]) == 0
        ), capsys.readouterr().err
    a, b = (
        json.loads((tmp_path / f"{n}.json").read_text())["summary"] for n in ("rec", "backwards")
    )
    assert a["direction"]["mean_deg"] == pytest.approx(60.0, abs=10)
    assert b["direction"]["mean_deg"] == pytest.approx(a["direction"]["mean_deg"], abs=1e-6)
    assert b["speed"]["median"] == pytest.approx(a["speed"]["median"], rel=1e-6)


def test_an_unreachable_scheduler_is_a_sentence_within_ten_seconds(monkeypatch):
    """A host that never answers (a blackholed address): the probe's own timeout."""
    from neurowave import _proc

    def hang(*a, timeout=None, **k):
        time.sleep(min(timeout, 0.2))
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    t0 = time.monotonic()
    with pytest.raises(_proc.NeurowaveError, match="nothing answered"):
        _proc.check_scheduler("tcp://10.255.255.1:8786")
    assert time.monotonic() - t0 < 10
    assert _proc.SCHEDULER_TIMEOUT <= 10


def test_a_second_train_to_the_same_folder_refuses(tmp_path, capsys):
    """Two runs given one --out: the second gets a sentence, not a silent race."""
    from neurowave._outputs import run_lock

    run = tmp_path / "run"
    argv = [
        "train",
        "--task",
        "tetrominoes-tiny",
        "--model",
        "cnn",
        "--epochs",
        "1",
        "--config",
        "n_layers=1",
        "--config",
        "channels=2",
        "--config",
        "mlp_hidden=[4]",
        "--task-option",
        "n_train=4",
        "--task-option",
        "n_val=2",
        "--task-option",
        "n_test=2",
        "--out",
        str(run),
    ]
    with run_lock(run):  # the first run, still writing
        assert main(argv) == 2
    assert "in use by another neurowave run" in capsys.readouterr().err
    assert sorted(p.name for p in run.iterdir()) == [".neurowave.lock"]
    (run / "run.json").write_text("{}")  # not a run neurowave can continue or replace
    assert main(argv) == 2
    assert "already holds run.json" in capsys.readouterr().err
