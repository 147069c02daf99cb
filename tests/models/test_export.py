import numpy as np
import pytest
import xarray as xr

import neurowave
from neurowave.models import export_hidden, get_model, get_task, hidden_grid, write_export


def _model():
    import torch

    torch.manual_seed(0)
    return get_model("cornn", n_steps=12, mlp_hidden=(8,))


def test_export_follows_the_contract_and_opens_with_plain_xarray(tmp_path):
    task = get_task("tetrominoes-tiny")
    ds = export_hidden(_model(), task, n=3, seed=4)
    assert ds["hidden"].dims == ("sample", "time", "unit", "y", "x")
    # the trained horizon T = 12 by default, and the two controls on the same images
    assert ds["hidden"].shape == (3, 12, 2, 16, 16)
    assert ds.attrs["n_steps_trained"] == 12 and ds.attrs["n_steps_recorded"] == 12
    assert ds.attrs["controls"] == ["cut_coupling", "untrained"]
    assert ds["hidden_untrained"].shape == ds["hidden_cut_coupling"].shape == (3, 12, 2, 16, 16)
    # the window's boundedness (model and controls) and the oscillator diagnostics
    assert set(ds.attrs["states_bounded"]) == {"hidden", "hidden_cut_coupling", "hidden_untrained"}
    assert len(ds.attrs["bound_ratio"]["hidden"]) == 2
    diag = ds.attrs["oscillator_diagnostics"]
    assert len(diag["live_omega_foreground"]) == 2 and isinstance(diag["warnings"], list)
    assert ds["time"].attrs["units"] == "step" and ds["x"].attrs["units"] == "cell"
    assert ds.attrs["kind"] == "model" and ds.attrs["sampling_rate"] == 1.0
    assert ds.attrs["dt"] == 0.1 and ds.attrs["config"]["n_steps"] == 12
    assert ds.attrs["task"] == "tetrominoes"
    images, labels = task.generate(3, seed=4)
    np.testing.assert_array_equal(ds["label"].values, labels)
    np.testing.assert_array_equal(ds["image"].values, images)
    p = tmp_path / "m.nc"
    write_export(ds, p)
    plain = xr.open_dataset(p)
    np.testing.assert_array_equal(plain["hidden"].values, ds["hidden"].values)
    plain.close()
    back = neurowave.io.read_netcdf(p)
    assert back.attrs["config"] == ds.attrs["config"]
    g = hidden_grid(back, sample=2, unit=1)
    info = neurowave.validate_grid(g)
    assert info.time_units == "step" and info.space_units == "cell" and info.sampling_rate == 1.0
    assert g.attrs["kind"] == "model"
    np.testing.assert_array_equal(g.values, ds["hidden"].values[2, :, 1])


def test_export_is_deterministic_for_a_seed(tmp_path):
    task = get_task("tetrominoes-tiny")
    a = export_hidden(_model(), task, n=2, seed=7)
    b = export_hidden(_model(), task, n=2, seed=7)
    c = export_hidden(_model(), task, n=2, seed=8)
    xr.testing.assert_identical(a, b)
    assert not np.array_equal(a["hidden"].values, c["hidden"].values)
    write_export(a, tmp_path / "a.nc")
    write_export(b, tmp_path / "b.nc")
    xr.testing.assert_identical(
        xr.open_dataset(tmp_path / "a.nc").load(), xr.open_dataset(tmp_path / "b.nc").load()
    )


def test_export_errors():
    task = get_task("tetrominoes-tiny")
    with pytest.raises(ValueError, match="recurrent"):
        export_hidden(get_model("cnn", n_layers=2), task, n=1)
    with pytest.raises(ValueError, match="trained on"):
        export_hidden(_model(), get_task("drum-small"), n=1)
    ds = export_hidden(_model(), task, n=1)
    with pytest.raises(ValueError, match="below 2"):
        hidden_grid(ds, unit=2)
    with pytest.raises(TypeError, match="model export"):
        hidden_grid(ds["hidden"])


def test_a_window_past_the_horizon_is_flagged_where_the_states_grow():
    """The shipped default model grows past T (its oscillators are off); its coupling-cut
    control stays bounded. The export says so for a 2T window, and records T by default."""
    import torch

    from neurowave.models import default_pretrained, load_model, task_from_spec

    torch.set_num_threads(1)
    model, ckpt = load_model(f"pretrained:{default_pretrained()}")
    task = task_from_spec(ckpt["task"])
    ds = export_hidden(model, task, n=2, seed=0, n_steps=200)
    assert ds.attrs["states_bounded"] == {
        "hidden": False,
        "hidden_cut_coupling": True,
        "hidden_untrained": True,
    }
    assert min(ds.attrs["bound_ratio"]["hidden"]) > 2.0
    assert max(ds.attrs["bound_ratio"]["hidden_cut_coupling"]) <= 2.0
    assert ds.attrs["oscillator_diagnostics"]["live_omega_foreground"] == [0.0, 0.0]
    assert export_hidden(model, task, n=1, controls=False).sizes["time"] == 100
