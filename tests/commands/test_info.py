"""``neurowave info``: what a reader sees."""

import importlib.util
import json
from pathlib import Path

import pytest

from neurowave.cli import main


def _writers():
    spec = importlib.util.spec_from_file_location(
        "io_writers", Path(__file__).parents[1] / "io" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_info_nix_with_map(tmp_path, capsys):
    w = _writers()
    path, exp = w.write_nix_cmp(tmp_path)
    out = tmp_path / "facts.json"
    assert main(["info", str(path), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    facts = json.loads(out.read_text())
    assert facts["format"] == "nix"
    assert facts["layout"].startswith("regular grid")
    assert facts["grid_shape"] == [10, 10]
    assert facts["n_sites"] == 100 and facts["n_valid_sites"] == 96
    assert facts["n_no_electrode"] == 4 and facts["n_dead_sites"] == 0
    assert facts["spacing"] == pytest.approx(0.4)
    assert facts["sampling_rate"] == pytest.approx(500.0)
    assert facts["duration"] == pytest.approx(300 / 500.0)
    assert facts["units"] == "uV"
    assert facts["positions_source"].endswith("utah_mapped.cmp")
    for word in ("nix", "10, 10", "0.4 mm", "500 Hz", "0.6 s", "utah_mapped.cmp"):
        assert word in text, word


def test_info_fif_channel_types_and_bads(tmp_path, capsys):
    w = _writers()
    path, exp = w.write_fif_montage(tmp_path)
    out = tmp_path / "f.json"
    assert main(["info", str(path), "--json", str(out)]) == 0
    facts = json.loads(out.read_text())
    assert facts["layout"].startswith("irregular")
    assert facts["channel_types"] == {"ecog": 20}
    assert facts["n_dead_sites"] == 1 and facts["dead_channels"] == ["G7"]
    assert facts["positions_source"].endswith("(montage)")
    assert facts["flattening_distortion"]["max"] < 0.02
    assert "ecog: 20" in capsys.readouterr().out


@pytest.mark.realdata
def test_info_utah_seizure(data_dir, capsys):
    assert main(["info", str(data_dir / "seizure-utah" / "example_seizure_waves.mat")]) == 0
    text = capsys.readouterr().out
    assert "500.00562 Hz" in text and "9.99989 s" in text and "0.4 mm" in text


@pytest.mark.realdata
def test_info_widefield_needs_pixel_size(data_dir, capsys):
    folder = str(data_dir / "widefield-mouse")
    assert main(["info", folder]) == 2
    assert "--pixel-size" in capsys.readouterr().err
    assert main(["info", folder, "--pixel-size", "0.05"]) == 0
    text = capsys.readouterr().out
    assert "100, 100" in text and "25 Hz" in text and "0.05 mm" in text


def test_info_model_export(tmp_path, capsys):
    import numpy as np
    import xarray as xr

    from neurowave.io import write_netcdf

    ds = xr.Dataset({"hidden": (("sample", "time", "unit", "y", "x"), np.zeros((2, 5, 3, 4, 4)))},
                    attrs={"kind": "model", "model": "cornn", "task": "tetrominoes"})
    p = tmp_path / "model.nc"
    write_netcdf(ds, p)
    out = tmp_path / "m.json"
    assert main(["info", str(p), "--json", str(out)]) == 0
    facts = json.loads(out.read_text())
    assert facts["hidden_shape"] == [2, 5, 3, 4, 4] and facts["model"] == "cornn"
    assert "cornn" in capsys.readouterr().out
