"""`neurowave analyze --kw`: the k-omega block of the JSON, its figure and its errors."""

import json

import pytest

from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import write_netcdf


def test_kw_block_and_figure(tmp_path, capsys):
    path = tmp_path / "plane.nc"
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
    out = tmp_path / "summary.json"
    plots = tmp_path / "plots"
    code = main(
        [
            "analyze",
            str(path),
            "--kw",
            "--band",
            "10",
            "20",
            "--surrogates",
            "19",
            "--json",
            str(out),
            "--plots",
            str(plots),
        ]
    )
    assert code == 0
    assert "k-omega peak" in capsys.readouterr().out
    s = json.loads(out.read_text())
    kw = s["kw"]
    assert kw["speed"] == pytest.approx(truth.speed, rel=0.05)
    assert abs(kw["direction"] - truth.direction) < 5
    assert kw["frequency"] == pytest.approx(15, rel=0.01)
    assert kw["travelling_index"] > 0.9
    # 13 mm against a 3.6 mm array: sub-resolution, so no speed interval; the
    # jackknife's repeatability over segments is kept under its own name
    assert kw["regime"] == "sub-resolution" and kw["speed_ci"] == [None, None]
    lo, hi = kw["speed_ci_repeatability"]
    assert lo < kw["speed"] < hi and kw["speed_lower_bound"] < kw["speed"]
    assert kw["units"] == "m/s" and kw["band"] == [10.0, 20.0] and kw["segments"] >= 3
    assert "kw_spectrum.png" in {p.name for p in plots.iterdir()}
    # without --kw the JSON has no such block
    code = main(
        [
            "analyze",
            str(path),
            "--band",
            "10",
            "20",
            "--surrogates",
            "0",
            "--json",
            str(out),
            "--overwrite",
        ]
    )
    assert code == 0 and "kw" not in json.loads(out.read_text())


def test_kw_on_a_layout_too_small_is_skipped_with_a_note(tmp_path, capsys):
    """A 2 x 8 strip resolves no wavenumber across it: k-omega is skipped with a note
    in the JSON and the table, and the rest of the analysis is returned (exit 0)."""
    path = tmp_path / "strip.nc"
    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(2, 8),
        speed=0.2,
        frequency=15,
        duration=2.0,
        snr_db=10,
        seed=0,
    )
    write_netcdf(grid, path)
    out = tmp_path / "o.json"
    code = main(["analyze", str(path), "--kw", "--surrogates", "0", "--json", str(out)])
    table = capsys.readouterr().out
    assert code == 0
    s = json.loads(out.read_text())
    assert s["kw"]["computed"] is False and "three sites wide" in s["kw"]["note"]
    assert "k-omega skipped" in table and s["summary"]["frequency"]["median"] > 0


def test_kw_on_a_model_export_is_one_sentence(tmp_path, capsys):
    import numpy as np
    import xarray as xr

    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(8, 8),
        spacing=1.0,
        speed=0.5,
        frequency=0.05,
        duration=100,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        seed=0,
    )
    ds = xr.Dataset(
        {"hidden": (("sample", "time", "unit", "y", "x"), grid.values[None, :, None])},
        coords={
            "time": ("time", np.arange(100.0), {"units": "step"}),
            "y": ("y", np.arange(8.0), {"units": "cell"}),
            "x": ("x", np.arange(8.0), {"units": "cell"}),
        },
        attrs={"kind": "model", "sampling_rate": 1.0, "model": "sim"},
    )
    path = tmp_path / "model.nc"
    write_netcdf(ds, path)
    out = tmp_path / "m.json"
    code = main(["analyze", str(path), "--kw", "--json", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "compare --kw" in err
    assert not out.exists()


@pytest.mark.realdata
def test_strip_kw_returns_the_analysis(data_dir, tmp_path, capsys):
    """`analyze STRIP --kw` (6 ECoG contacts on a line) refused the whole analysis;
    now k-omega is skipped with a note and the rest comes back, exit 0."""
    from neurowave import datasets

    out = tmp_path / "strip.json"
    code = main(
        [
            "analyze",
            str(datasets.fetch_ecog_strip_bids()),
            "--kw",
            "--surrogates",
            "19",
            "--json",
            str(out),
        ]
    )
    table = capsys.readouterr().out
    assert code == 0
    s = json.loads(out.read_text())
    assert s["kw"] == {
        "computed": False,
        "regime": "not computed",
        "note": s["kw"]["note"],
        "band": s["params"]["band"],
        "warnings": [],
    }
    assert "on a line" in s["kw"]["note"] or "resolves no wavenumber" in s["kw"]["note"]
    assert "k-omega skipped" in table and s["summary"]["pgd"]["median"] is not None


@pytest.mark.realdata
def test_utah_kw_table_labels_every_interval(data_dir, tmp_path, capsys):
    """`analyze UTAH --kw` printed "k-omega peak 0.119 m/s [0.0889, 0.149]" beside
    "speed 0.0751 m/s [0.0695, 0.0817]": two unlabelled intervals of different kinds,
    while the JSON said the k-omega peak is sub-resolution. Now the k-omega row says
    sub-resolution with no interval, the speed row says its interval is an IQR over
    wave frames, the table says the speed is a phase velocity and points to the delay
    fit, and the plot's title says sub-resolution."""
    from neurowave import datasets

    out = tmp_path / "utah.json"
    plots = tmp_path / "plots"
    code = main(
        [
            "analyze",
            str(datasets.fetch_seizure_utah()),
            "--kw",
            "--surrogates",
            "19",
            "--json",
            str(out),
            "--plots",
            str(plots),
        ]
    )
    rows = {}
    for line in capsys.readouterr().out.splitlines()[1:]:
        key, _, value = line.strip().partition("  ")
        rows[key] = value.strip()
    assert code == 0
    kw = json.loads(out.read_text())["kw"]
    assert kw["regime"] == "sub-resolution" and kw["speed_ci"] == [None, None]
    row = rows["k-omega peak"]
    assert row.startswith("sub-resolution") and "speed not resolved" in row and "[" not in row
    assert "IQR [" in rows["speed"] and "over wave frames" in rows["speed"]
    assert "phase velocity" in rows["speed is"] and "delays" in rows["speed is"]
    assert (plots / "kw_spectrum.png").is_file()
