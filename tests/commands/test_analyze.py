"""`neurowave analyze`: table, JSON summary, plots; bad input is one sentence and exit 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import write_netcdf


@pytest.fixture(scope="module")
def plane_nc(tmp_path_factory):
    path = tmp_path_factory.mktemp("an") / "plane.nc"
    grid, truth = simulate_wave(
        "planar",
        speed=0.2,
        direction=60,
        frequency=15,
        duration=3.0,
        snr_db=10,
        seed=0,
        dead_sites=2,
    )
    write_netcdf(grid, path)
    return path, truth


def test_analyze_prints_a_table_and_writes_the_json(plane_nc, tmp_path, capsys):
    path, _truth = plane_nc
    out = tmp_path / "res" / "summary.json"
    plots = tmp_path / "plots"
    code = main(
        ["analyze", str(path), "--json", str(out), "--surrogates", "19", "--plots", str(plots)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "speed" in text and "m/s" in text and "wave frames" in text
    s = json.loads(out.read_text())
    assert s["input"]["path"] == str(path) and s["input"]["format"] == "netcdf"
    assert s["input"]["n_valid_sites"] == 94
    assert s["summary"]["speed"]["median"] == pytest.approx(0.2, rel=0.05)
    assert abs(s["summary"]["direction"]["mean_deg"] - 60) < 3
    assert s["params"]["n_surrogates"] == 19
    assert sorted(p.name for p in plots.iterdir()) == [
        ".neurowave-output.json",
        "measures.png",
        "pgd.png",
    ]  # with its manifest


def test_a_long_wave_gets_a_one_line_hint_and_the_hinted_options_measure_it(tmp_path, capsys):
    path = tmp_path / "long.nc"
    grid, _truth = simulate_wave(
        "planar",
        speed=1.0,
        direction=123,
        frequency=4,
        duration=60.0,
        snr_db=10,
        seed=1,
        sampling_rate=250.0,
    )
    # 250 mm: 70 times the array
    write_netcdf(grid, path)
    out = tmp_path / "a.json"
    assert main(["analyze", str(path), "--surrogates", "19", "--json", str(out)]) == 0
    err = capsys.readouterr().err
    hint = [ln for ln in err.splitlines() if ln.startswith("neurowave: warning:")]
    assert len(hint) == 1 and "--gradient-window" in hint[0] and "Traceback" not in err
    assert json.loads(out.read_text())["summary"]["wave_fraction"] < 0.5
    assert "gradient_step=4" in hint[0]
    window = hint[0].split("gradient_window=")[1].split()[0]
    assert (
        main(
            [
                "analyze",
                str(path),
                "--surrogates",
                "19",
                "--json",
                str(out),
                "--gradient-step",
                "4",
                "--gradient-window",
                window,
                "--overwrite",
            ]
        )
        == 0
    )
    s = json.loads(out.read_text())
    assert s["params"]["gradient_window"] == float(window)
    assert s["summary"]["speed"]["median"] == pytest.approx(1.0, rel=0.1)
    assert abs(s["summary"]["direction"]["mean_deg"] - 123) < 10


def test_band_and_phase_options(plane_nc, tmp_path):
    path, _ = plane_nc
    out = tmp_path / "s.json"
    assert (
        main(
            [
                "analyze",
                str(path),
                "--band",
                "12",
                "18",
                "--phase",
                "generalized",
                "--surrogates",
                "19",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    s = json.loads(out.read_text())
    assert s["params"]["band"] == [12.0, 18.0] and s["params"]["band_source"] == "user"
    assert s["params"]["phase_method"] == "generalized"


def test_model_export_is_analysed_via_sample_and_unit(tmp_path):
    import xarray as xr

    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(12, 12),
        spacing=1.0,
        speed=0.5,
        frequency=0.05,
        duration=200,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        seed=0,
    )
    h = np.stack([np.zeros_like(grid.values), grid.values], axis=1)[None]  # unit 1 holds the wave
    ds = xr.Dataset(
        {"hidden": (("sample", "time", "unit", "y", "x"), h)},
        coords={
            "time": ("time", np.arange(200.0), {"units": "step"}),
            "y": ("y", np.arange(12.0), {"units": "cell"}),
            "x": ("x", np.arange(12.0), {"units": "cell"}),
        },
        attrs={"kind": "model", "sampling_rate": 1.0, "model": "sim"},
    )
    path = tmp_path / "model.nc"
    write_netcdf(ds, path)
    out = tmp_path / "m.json"
    assert (
        main(
            [
                "analyze",
                str(path),
                "--unit",
                "1",
                "--band",
                "0.04",
                "0.06",
                "--surrogates",
                "19",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    s = json.loads(out.read_text())
    assert s["input"]["kind"] == "model" and s["summary"]["speed"]["units"] == "cells/step"
    assert s["summary"]["speed"]["median"] == pytest.approx(0.5, rel=0.05)


def _bad_files(tmp):
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    files = {}
    files["not_netcdf"] = tmp / "fake.nc"
    files["not_netcdf"].write_text("this is not a netCDF file\n")
    write_netcdf(grid * np.nan, tmp / "allnan.nc")
    files["all_nan"] = tmp / "allnan.nc"
    one = grid.where((grid.x == grid.x[3]) & (grid.y == grid.y[3]))
    write_netcdf(one, tmp / "one.nc")
    files["single_site"] = tmp / "one.nc"
    write_netcdf(grid.rename(time="t"), tmp / "notime.nc")
    files["no_time"] = tmp / "notime.nc"
    write_netcdf(grid.isel(x=0), tmp / "dims.nc")
    files["wrong_dims"] = tmp / "dims.nc"
    return files


@pytest.mark.parametrize(
    "case,extra",
    [
        ("not_netcdf", []),
        ("all_nan", []),
        ("single_site", []),
        ("no_time", []),
        ("wrong_dims", []),
        ("good", ["--band", "10", "600"]),
        ("good", ["--band", "0.5", "3"]),
        ("missing", []),
    ],
)
def test_bad_input_is_one_sentence_exit_2_and_no_output(
    case, extra, tmp_path, plane_nc, capsys, assert_user_error
):
    files = _bad_files(tmp_path)
    files["good"] = plane_nc[0] if case != "good" or "0.5" not in extra else None
    if case == "good" and "0.5" in extra:  # 1 s of data: too short for a 0.5 Hz edge
        g, _ = simulate_wave("planar", duration=1.0, seed=0)
        write_netcdf(g, tmp_path / "short.nc")
        files["good"] = tmp_path / "short.nc"
    files["missing"] = tmp_path / "nope.nc"
    out = tmp_path / "out.json"
    plots = tmp_path / "plots"
    code = main(["analyze", str(files[case]), "--json", str(out), "--plots", str(plots)] + extra)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("neurowave: error: ") and "\n" not in err
    assert_user_error(err)
    assert not out.exists() and not plots.exists()


def test_subprocess_error_has_no_traceback(tmp_path):
    bad = tmp_path / "fake.nc"
    bad.write_text("garbage")
    out = tmp_path / "o.json"
    r = subprocess.run(
        [sys.executable, "-m", "neurowave.cli", "analyze", str(bad), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
