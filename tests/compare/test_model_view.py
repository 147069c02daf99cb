"""analyze_model: a model export measured object by object, on ground truth.

Simulated exports whose waves live inside the pieces of the label map (plane, radial
out and in at a known speed in cells/step, and synchronous pieces), measured by the
default path (the API and `neurowave analyze`), recover pattern and speed; bad model
inputs get one sentence naming the fix; exports without a label map still analyse
over the whole grid and say so.
"""

import json

import numpy as np
import pytest

from neurowave.cli import main
from neurowave.compare import StatsOptions, analyze_model, compare, object_masks
from neurowave.datasets import simulate_model_export, simulate_object_export

PATTERNS = ["planar", "radial_out", "radial_in", "synchronous"]


@pytest.fixture(scope="module", params=[0.3, 0.5])
def objects(request):
    speed = request.param
    ds = simulate_object_export(
        PATTERNS, speed=speed, frequency=0.06, n_samples=2, n_pieces=3, seed=3
    )
    return speed, ds, analyze_model(ds)


@pytest.fixture(scope="module")
def export_ds():
    return simulate_object_export(
        PATTERNS, speed=0.3, frequency=0.06, n_samples=2, n_pieces=3, seed=3
    )


def test_object_masks_are_connected_regions_of_one_class():
    lab = np.zeros((8, 8), int)
    lab[0:2, 0:4] = 1
    lab[2:4, 0:4] = 2  # touches piece 1 but is another class
    lab[6:8, 6:8] = 1
    lab[7, 0] = 3  # one cell: too small
    masks = object_masks(lab)
    assert [int(m.sum()) for m in masks] == [8, 8, 4]
    assert not (masks[0] & masks[1]).any()


def test_default_path_recovers_pattern_and_speed_of_piece_confined_waves(objects):
    speed, _ds, res = objects
    s = res.summary
    view = s["params"]["model_view"]
    assert view["model_sites"] == "objects" and view["wave_frames"] == "patterns"
    assert view["n_trials"] == 2 * 3 * len(PATTERNS) == s["input"]["n_trials"]
    lo, hi = s["params"]["band"]
    assert lo < 0.06 < hi  # from the pooled spectrum of 60-step trials
    units = s["summary"]["units"]
    for u, pattern in enumerate(PATTERNS):
        r = units[str(u)]
        if pattern == "synchronous":
            assert r["wave_fraction"] < 0.05
            assert r["patterns"]["synchronous"] > 0.9
            continue
        assert r["wave_fraction"] > 0.9, pattern
        assert max(r["patterns"], key=r["patterns"].get) == pattern
        assert r["speed"]["median"] == pytest.approx(speed, rel=0.1), pattern
        assert r["frequency"] == pytest.approx(0.06, rel=0.1)
    # pooled: three of four units carry waves
    assert s["summary"]["wave_fraction"] == pytest.approx(0.75, abs=0.05)
    assert s["summary"]["speed"]["median"] == pytest.approx(speed, rel=0.1)
    assert s["summary"]["pooled"]["n_eff_wave_frames"] > 20


def test_analyze_command_uses_the_same_default_path(objects, tmp_path, capsys):
    speed, ds, _res = objects
    from neurowave.io import write_netcdf

    path = tmp_path / "objects.nc"
    write_netcdf(ds, path)
    out = tmp_path / "a.json"
    assert main(["analyze", str(path), "--json", str(out), "--unit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "each object of each sample on its own" in printed
    d = json.loads(out.read_text())
    assert d["params"]["model_view"]["units"] == [1]
    assert d["summary"]["patterns"]["radial_out"] > 0.9
    assert d["summary"]["speed"]["median"] == pytest.approx(speed, rel=0.1)


def test_old_export_without_label_falls_back_to_the_whole_grid_and_says_so(capsys, tmp_path):
    ds = simulate_model_export(
        "planar", speed=0.3, frequency=0.05, n_steps=100, n_samples=1, n_units=1, seed=0
    )
    res = analyze_model(ds)
    view = res.summary["params"]["model_view"]
    assert view["model_sites"] == "all" and view["requested_model_sites"] == "objects"
    assert any("no `label`" in n and "neurowave export" in n for n in view["notes"])
    assert res.summary["summary"]["speed"]["median"] == pytest.approx(0.3, rel=0.1)
    from neurowave.io import write_netcdf

    write_netcdf(ds, tmp_path / "old.nc")
    assert main(["analyze", str(tmp_path / "old.nc")]) == 0
    assert "whole grid was measured" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--unit", "7"], "--unit 7 is out of range: the export holds 4 units"),
        (["--sample", "2"], "--sample 2 is out of range: the export holds 2 samples"),
        (["--steps", "500"], "--steps 500 is out of range: the export records 60 steps"),
    ],
)
def test_bad_model_choices_are_one_sentence(export_ds, tmp_path, capsys, argv, match):
    from neurowave.io import write_netcdf

    path = tmp_path / "m.nc"
    write_netcdf(export_ds, path)
    assert main(["analyze", str(path)] + argv) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_bad_model_choices_in_compare_and_export(export_ds, tmp_path, capsys):
    ds = export_ds
    from neurowave.datasets import simulate_wave

    rec, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(ValueError, match="--unit 9 is out of range"):
        compare(ds, rec, view={"units": 9})
    old = ds.drop_vars("label")
    with pytest.raises(ValueError, match=r"needs the export's `label` object map.*re-export"):
        compare(old, rec, view={"model_sites": "objects"})
    # without recorded controls compare says how to get them
    res = compare(old, rec, stats=StatsOptions(n_boot=20), view={"max_trials": 2})
    assert "re-export" in res.controls["note"]
    assert (
        main(
            [
                "export",
                "pretrained:cornn-tetrominoes-small",
                "--n",
                "2",
                "--unit",
                "3",
                "--out",
                str(tmp_path / "x.nc"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "--unit 3 is out of range" in err and not (tmp_path / "x.nc").exists()
    assert main(["analyze", str(tmp_path / "nothing.nc"), "--unit", "0"]) == 2
    capsys.readouterr()


def test_model_options_are_rejected_for_recordings(tmp_path, capsys):
    from neurowave.datasets import simulate_wave
    from neurowave.io import write_netcdf

    rec, _ = simulate_wave("planar", duration=1.0, seed=0)
    write_netcdf(rec, tmp_path / "rec.nc")
    assert main(["analyze", str(tmp_path / "rec.nc"), "--unit", "0"]) == 2
    assert "apply to model exports only" in capsys.readouterr().err


def test_object_grids_cut_to_their_bounding_box_measure_as_the_whole_grid(export_ds, monkeypatch):
    """Each object is analysed on its bounding box plus a NaN margin (memory and time of
    a 64 x 64 model), with the same frames as on the whole grid, up to float rounding."""
    import importlib

    mod = importlib.import_module("neurowave.compare._model")
    cut = analyze_model(export_ds)
    view = cut.view
    g = mod.trial_grid(export_ds, view, view.trials[0])
    full = mod.trial_grid(export_ds, view, view.trials[0], crop=False)
    assert g.sizes["y"] * g.sizes["x"] < full.sizes["y"] * full.sizes["x"]
    # every valid cell of the whole grid is kept, with its coordinates
    assert int(np.isfinite(g.values).any(0).sum()) == int(np.isfinite(full.values).any(0).sum())
    assert set(g["x"].values) <= set(full["x"].values)
    orig = mod.trial_grid
    monkeypatch.setattr(mod, "trial_grid", lambda *a, **k: orig(*a, **{"crop": False, **k}))
    whole = analyze_model(export_ds, view=view, band=cut.band)
    assert len(cut.analyses) == len(whole.analyses) > 0
    for a, b in zip(cut.analyses, whole.analyses, strict=True):
        np.testing.assert_array_equal(a.frames["is_wave"].values, b.frames["is_wave"].values)
        np.testing.assert_array_equal(a.frames["pattern"].values, b.frames["pattern"].values)
        for k in ("speed", "frequency", "wavelength"):
            np.testing.assert_allclose(
                a.frames[k].values, b.frames[k].values, rtol=1e-5, equal_nan=True
            )
    assert cut.summary["summary"]["wave_fraction"] == whole.summary["summary"]["wave_fraction"]


def test_analyze_model_takes_a_view_and_still_the_keywords_of_earlier_versions(export_ds):
    """``view={"samples": 1, "units": 0}`` and the older ``samples=1, units=0`` (with a
    FutureWarning) measure the same trials, the objects of sample 1 in unit 0."""
    new = analyze_model(export_ds, view={"samples": 1, "units": 0})
    with pytest.warns(FutureWarning, match="view="):
        old = analyze_model(export_ds, samples=1, units=0)
    assert new.trials == old.trials and {(s, u) for s, _, u in new.trials} == {(1, 0)}
    assert new.summary["summary"]["speed"] == old.summary["summary"]["speed"]
    with pytest.raises(ValueError, match="unknown keys"):
        analyze_model(export_ds, view={"sample": 1})
