"""``neurowave info``: what a reader sees."""

import importlib.util
import json
from pathlib import Path

import pytest

from neurowave.cli import main


def _writers():
    spec = importlib.util.spec_from_file_location(
        "io_writers", Path(__file__).parents[1] / "io" / "conftest.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_info_nix_with_map(tmp_path, capsys):
    w = _writers()
    path, _exp = w.write_nix_cmp(tmp_path)
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
    path, _exp = w.write_fif_montage(tmp_path)
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


@pytest.mark.realdata
def test_info_widefield_background_is_masked_not_dead(data_dir, tmp_path, capsys):
    """The widefield stack's background outside the imaged hemisphere (4895 pixels the
    reader masks) was counted as "dead sites"; now it is counted as masked."""
    out = tmp_path / "wf.json"
    assert (
        main(
            ["info", str(data_dir / "widefield-mouse"), "--pixel-size", "0.05", "--json", str(out)]
        )
        == 0
    )
    facts = json.loads(out.read_text())
    assert facts["n_masked_outside_imaged_area"] == facts["n_background_pixels"] > 4000
    assert facts["n_dead_sites"] == 0
    assert facts["n_valid_sites"] + facts["n_masked_outside_imaged_area"] == facts["n_sites"]
    assert "masked outside imaged area" in capsys.readouterr().out


@pytest.mark.realdata
def test_info_strip_warns_of_implausible_amplitudes(data_dir, capsys):
    """The ECoG strip's sites have s.d. 34-48 V, a million times an ECoG's: info warns
    of the likely unit error (µV stored as V); the Utah seizure (0.7-1.8 mV) does not."""
    vhdr = next((data_dir / "ecog-strip-bids").rglob("*_ieeg.vhdr"))
    assert main(["info", str(vhdr)]) == 0
    err = capsys.readouterr().err
    assert "physically implausible" in err and "1e+06" in err and "stored or labelled as V" in err
    assert "34 V" in err and "48.5 V" in err
    assert main(["info", str(data_dir / "seizure-utah" / "example_seizure_waves.mat")]) == 0
    assert "implausible" not in capsys.readouterr().err


@pytest.mark.realdata
def test_info_mne_merged_grids_warn_and_picks_choose_one(data_dir, tmp_path, capsys):
    """The MNE sample ECoG file: its 16 x 16 (G*) and 8 x 8 (OFMG*) grids flattened onto
    one 320-site sheet (neighbour distances off by up to 44 %) get a warning naming
    the grids and the option that picks one; --picks 'G*' reads the 16 x 16 grid."""
    fif = str(data_dir / "ecog-mne" / "sample_ecog_ieeg.fif")
    out = tmp_path / "f.json"
    assert main(["info", fif, "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 grids" in err and "G* (256 contacts)" in err and "OFMG* (64 contacts)" in err
    assert "--picks 'G*'" in err and json.loads(out.read_text())["n_sites"] == 320
    assert main(["info", fif, "--picks", "G*", "--json", str(out), "--overwrite"]) == 0
    assert "grids" not in capsys.readouterr().err
    facts = json.loads(out.read_text())
    assert facts["n_sites"] == 256 and facts["flattening_distortion"]["max"] < 0.2
    assert main(["info", fif, "--picks", "OFMG*", "--json", str(out), "--overwrite"]) == 0
    assert json.loads(out.read_text())["n_sites"] == 64


def test_info_model_export(tmp_path, capsys):
    import numpy as np
    import xarray as xr

    from neurowave.io import write_netcdf

    ds = xr.Dataset(
        {"hidden": (("sample", "time", "unit", "y", "x"), np.zeros((2, 5, 3, 4, 4)))},
        attrs={"kind": "model", "model": "cornn", "task": "tetrominoes"},
    )
    p = tmp_path / "model.nc"
    write_netcdf(ds, p)
    out = tmp_path / "m.json"
    assert main(["info", str(p), "--json", str(out)]) == 0
    facts = json.loads(out.read_text())
    assert facts["hidden_shape"] == [2, 5, 3, 4, 4] and facts["model"] == "cornn"
    assert "cornn" in capsys.readouterr().out
