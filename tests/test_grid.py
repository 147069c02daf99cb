import numpy as np
import pytest
import xarray as xr

from neurowave import make_channel_grid, make_grid, site_positions, validate_grid


def test_make_grid_coords_and_attrs():
    g = make_grid(np.zeros((50, 3, 4)), sampling_rate=500.0056, spacing=0.4, source="x.mat")
    assert g.dims == ("time", "y", "x")
    np.testing.assert_allclose(g.x.values, [0, 0.4, 0.8, 1.2])
    np.testing.assert_allclose(np.diff(g.time.values), 1 / 500.0056)
    assert g.time.attrs["units"] == "s" and g.x.attrs["units"] == "mm"
    assert g.attrs["kind"] == "recording" and g.attrs["source"] == "x.mat"
    info = validate_grid(g)
    assert info.layout == "grid" and info.grid_shape == (3, 4)
    assert info.sampling_rate == pytest.approx(500.0056)
    assert info.spacing == pytest.approx(0.4)


def test_dead_sites_are_counted_not_dropped():
    data = np.random.default_rng(0).normal(size=(40, 10, 10))
    data[:, [0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
    g = make_grid(data, sampling_rate=100.0, spacing=0.4)
    info = validate_grid(g)
    assert info.n_sites == 100 and info.n_valid_sites == 96


def test_channel_grid_positions():
    g = make_channel_grid(
        np.zeros((10, 3)), sampling_rate=100.0, x=[0, 1, 2], y=[5, 6, 7], channels=["a", "b", "c"]
    )
    np.testing.assert_allclose(site_positions(g), [[0, 5], [1, 6], [2, 7]])
    assert validate_grid(g).layout == "channel"


def test_model_grid_units():
    g = make_grid(
        np.zeros((20, 4, 4)), sampling_rate=1.0, time_units="step", space_units="cell", kind="model"
    )
    info = validate_grid(g)
    assert (info.time_units, info.space_units) == ("step", "cell")


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.zeros((10, 3)), TypeError, "xarray.DataArray"),
        (xr.DataArray(np.zeros((3, 3)), dims=("y", "x")), ValueError, "no time axis"),
        (xr.DataArray(np.zeros((3, 3, 3)), dims=("a", "b", "time")), ValueError, "dims"),
    ],
)
def test_validate_grid_errors_name_the_fix(bad, exc, words):
    with pytest.raises(exc, match=words):
        validate_grid(bad)


def test_validate_grid_all_nan_and_single_site():
    g = make_grid(np.full((10, 2, 2), np.nan), sampling_rate=10.0)
    with pytest.raises(ValueError, match="all NaN"):
        validate_grid(g)
    data = np.full((10, 2, 2), np.nan)
    data[:, 0, 0] = 1.0
    with pytest.raises(ValueError, match="at least 2"):
        validate_grid(make_grid(data, sampling_rate=10.0))


def test_transposed_grid_error_suggests_transpose():
    g = make_grid(np.zeros((10, 2, 3)), sampling_rate=10.0).transpose("time", "x", "y")
    with pytest.raises(ValueError, match="transpose"):
        validate_grid(g)


def test_wrong_shapes():
    with pytest.raises(ValueError, match="make_channel_grid"):
        make_grid(np.zeros((10, 3)), sampling_rate=10.0)
    with pytest.raises(ValueError, match="one position per channel"):
        make_channel_grid(np.zeros((10, 3)), sampling_rate=10.0, x=[0, 1], y=[0, 1])
    with pytest.raises(ValueError, match="positive"):
        make_grid(np.zeros((10, 2, 2)), sampling_rate=-1)
