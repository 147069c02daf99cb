import numpy as np
import pytest

from neurowave import make_channel_grid, make_grid
from neurowave.io import read, read_netcdf, write_netcdf


def _grid():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(64, 10, 10))
    data[:, 0, 0] = np.nan
    return make_grid(
        data,
        sampling_rate=500.0056,
        spacing=0.4,
        source="sim",
        attrs={
            "band": [1.0, 13.0],
            "subject": "P1",
            "config": {"a": 1, "b": [1, 2]},
            "flag": True,
            "channel_names": ["a", "b"],
        },
    )


def test_grid_round_trip_is_exact(tmp_path):
    g = _grid()
    p = tmp_path / "g.nc"
    write_netcdf(g, p)
    r = read(p)
    assert r.identical(g)
    assert np.isnan(r.values[:, 0, 0]).all()
    assert r.attrs["config"] == {"a": 1, "b": [1, 2]} and r.attrs["flag"] is True


def test_channel_round_trip_is_exact(tmp_path):
    g = make_channel_grid(
        np.arange(30.0).reshape(10, 3),
        sampling_rate=200.0,
        x=[0, 1, 2.5],
        y=[0, 1, 0],
        channels=["G1", "G2", "G3"],
    )
    g[:, 1] = np.nan
    write_netcdf(g, tmp_path / "c.nc")
    assert read_netcdf(tmp_path / "c.nc").identical(g)


def test_lazy_open_keeps_dask(tmp_path):
    write_netcdf(_grid(), tmp_path / "g.nc")
    r = read_netcdf(tmp_path / "g.nc", chunks={"time": 16})
    assert hasattr(r.data, "dask")


def test_not_a_netcdf(tmp_path):
    p = tmp_path / "x.nc"
    p.write_text("hello, I am text")
    with pytest.raises(ValueError, match="not a readable netCDF"):
        read_netcdf(p)
    (tmp_path / "e.nc").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        read_netcdf(tmp_path / "e.nc")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_netcdf(tmp_path / "missing.nc")


def test_failed_write_leaves_no_file(tmp_path):
    g = _grid()
    g.attrs["bad"] = object()
    with pytest.raises(TypeError):
        write_netcdf(g, tmp_path / "g.nc")
    assert list(tmp_path.iterdir()) == []
