"""Lazy reading: neo proxy objects into dask-backed grids, equal to eager reading."""

import numpy as np

from neurowave import validate_grid
from neurowave.io import read


def _raw_binary(tmp_path, n=5000, nc=8):
    rng = np.random.default_rng(11)
    data = rng.integers(-2000, 2000, size=(n, nc)).astype("<i2")
    data[:, 5] = 7  # a flat channel
    p = tmp_path / "rec.raw"
    p.write_bytes(data.tobytes())
    m = tmp_path / "rec.csv"
    m.write_text("channel,row,col\n" + "".join(f"ch{k},{k // 4},{k % 4}\n" for k in range(nc)))
    return p, data


def test_raw_binary_lazy_equals_eager(tmp_path):
    p, data = _raw_binary(tmp_path)
    kw = dict(io_kwargs=dict(dtype="int16", nb_channel=8, sampling_rate=1000.0, signal_gain=0.5))
    lazy = read(p, lazy=True, chunk_samples=1024, **kw)
    assert hasattr(lazy.data, "dask") and lazy.attrs["lazy"] is True
    assert lazy.data.chunks[0][0] == 1024
    eager = read(p, lazy=False, **kw)
    assert not hasattr(eager.data, "dask")
    assert lazy.dims == eager.dims == ("time", "y", "x") and lazy.shape == (5000, 2, 4)
    # gain 0.5 in the file's (dimensionless -> taken as is) units
    np.testing.assert_allclose(lazy.values[:, 0, 1], data[:, 1] * 0.5)
    np.testing.assert_allclose(lazy.values[:, 1, 0], eager.values[:, 1, 0])
    # lazy mode never reads the data to look for flat channels; eager mode marks them
    assert np.isnan(eager.values[:, 1, 1]).all()
    assert validate_grid(lazy).n_valid_sites == 8


def test_nix_lazy_equals_eager(writers, tmp_path):
    p, exp = writers.nix_cobrawap(tmp_path)
    lazy = read(p, lazy=True)
    eager = read(p)
    assert hasattr(lazy.data, "dask")
    np.testing.assert_allclose(lazy.values, eager.values, rtol=1e-6, equal_nan=True)


def test_mne_lazy_equals_eager(writers, tmp_path):
    from neurowave.io import read_mne

    p, exp = writers.fif_montage(tmp_path)
    lazy = read_mne(p, preload=False)
    eager = read_mne(p)
    assert hasattr(lazy.data, "dask") and not hasattr(eager.data, "dask")
    np.testing.assert_array_equal(lazy.sel(channel="G3").values, exp.values[:, 2])
    np.testing.assert_array_equal(lazy.values, eager.values)  # bad channel G7 NaN in both
