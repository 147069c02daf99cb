"""`neurowave analyze --kw`: the k-omega block of the JSON, its figure and its errors."""

import json

import pytest

from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import write_netcdf


def test_kw_block_and_figure(tmp_path, capsys):
    path = tmp_path / "plane.nc"
    grid, truth = simulate_wave("planar", speed=0.2, direction=60, frequency=15,
                                duration=3.0, snr_db=10, seed=0, dead_sites=2)
    write_netcdf(grid, path)
    out = tmp_path / "summary.json"
    plots = tmp_path / "plots"
    code = main(["analyze", str(path), "--kw", "--band", "10", "20", "--surrogates", "19",
                 "--json", str(out), "--plots", str(plots)])
    assert code == 0
    assert "k-omega peak" in capsys.readouterr().out
    s = json.loads(out.read_text())
    kw = s["kw"]
    assert kw["speed"] == pytest.approx(truth.speed, rel=0.05)
    assert abs(kw["direction"] - truth.direction) < 5
    assert kw["frequency"] == pytest.approx(15, rel=0.01)
    assert kw["travelling_index"] > 0.9
    assert kw["speed_ci"][0] < kw["speed"] < kw["speed_ci"][1]
    assert kw["units"] == "m/s" and kw["band"] == [10.0, 20.0] and kw["segments"] >= 3
    assert "kw_spectrum.png" in {p.name for p in plots.iterdir()}
    # without --kw the JSON has no such block
    code = main(["analyze", str(path), "--band", "10", "20", "--surrogates", "0",
                 "--json", str(out), "--overwrite"])
    assert code == 0 and "kw" not in json.loads(out.read_text())


def test_kw_on_a_layout_too_small_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "strip.nc"
    grid, _ = simulate_wave("planar", layout="grid", shape=(2, 8), speed=0.2, frequency=15,
                            duration=2.0, snr_db=10, seed=0)
    write_netcdf(grid, path)
    out = tmp_path / "o.json"
    code = main(["analyze", str(path), "--kw", "--surrogates", "0", "--json", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "Traceback" not in err
    assert "three sites wide" in err
    assert not out.exists()


def test_kw_on_a_model_export_is_one_sentence(tmp_path, capsys):
    import numpy as np
    import xarray as xr

    grid, _ = simulate_wave("planar", layout="grid", shape=(8, 8), spacing=1.0, speed=0.5,
                            frequency=0.05, duration=100, sampling_rate=1.0,
                            time_units="step", space_units="cell", seed=0)
    ds = xr.Dataset(
        {"hidden": (("sample", "time", "unit", "y", "x"), grid.values[None, :, None])},
        coords={"time": ("time", np.arange(100.0), {"units": "step"}),
                "y": ("y", np.arange(8.0), {"units": "cell"}),
                "x": ("x", np.arange(8.0), {"units": "cell"})},
        attrs={"kind": "model", "sampling_rate": 1.0, "model": "sim"},
    )
    path = tmp_path / "model.nc"
    write_netcdf(ds, path)
    out = tmp_path / "m.json"
    code = main(["analyze", str(path), "--kw", "--json", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "compare --kw" in err
    assert not out.exists()
