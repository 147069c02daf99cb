"""Image stacks read frame by frame: a lazy grid equal to the eager one, built without
the whole stack in memory."""

import numpy as np
import pytest
import xarray as xr

import neurowave.io.imaging as imaging
from neurowave import validate_grid
from neurowave.io import read_imaging


def _without_lazy(attrs):
    return {k: v for k, v in attrs.items() if k != "lazy"}


@pytest.mark.parametrize("as_files", [True, False], ids=["folder", "multipage"])
@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(baseline="median", transpose=True),
        dict(baseline=20.0, mask=0.3, bin=2),
        dict(dff=False, mask=None),
    ],
    ids=["mean", "median-transposed", "percentile-binned", "raw"],
)
def test_lazy_stack_equals_eager(writers, tmp_path, as_files, kw):
    path, exp = writers.tiff(tmp_path, frames_as_files=as_files)
    lazy = read_imaging(path, frame_rate=25.0, pixel_size=0.05, lazy=True, chunk_frames=7, **kw)
    eager = read_imaging(path, frame_rate=25.0, pixel_size=0.05, lazy=False, **kw)
    assert hasattr(lazy.data, "dask") and lazy.attrs["lazy"] is True
    assert lazy.data.chunks[0] == (7, 7, 7, 7, 2)  # 30 frames in blocks of 7
    assert not hasattr(eager.data, "dask") and eager.attrs["lazy"] is False
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.isnan(lazy.values), np.isnan(eager.values))
    assert _without_lazy(lazy.attrs) == _without_lazy(eager.attrs)
    if kw.get("mask", "otsu") == "otsu" and not kw.get("transpose"):
        # the dark band of rows is background (NaN), the bright pixels are kept
        assert np.isnan(lazy.values[:, : exp.background_rows]).all()
        assert np.isfinite(lazy.values[:, exp.background_rows :]).all()
    if not kw:  # ΔF/F against the pixel's mean, from the file's counts
        raw = exp.values.reshape(-1, *exp.shape)
        f0 = raw.mean(axis=0)
        np.testing.assert_allclose(
            lazy.values[:, 5, 5], (raw[:, 5, 5] - f0[5, 5]) / f0[5, 5], rtol=1e-9
        )


def test_stack_first_pass_never_holds_the_stack(writers, tmp_path, monkeypatch):
    """The mask and baseline come from blocks of frames: no read asks for more frames
    than a block, and the grid is built without reading the frames again."""
    path, _ = writers.tiff(tmp_path, frames_as_files=False)
    asked = []
    real = imaging._load_pages

    def spy(p, a, b):
        asked.append(b - a)
        return real(p, a, b)

    monkeypatch.setattr(imaging, "_load_pages", spy)
    g = read_imaging(path, frame_rate=25.0, pixel_size=0.05, lazy=True, chunk_frames=4)
    assert asked and max(asked) <= 4 and sum(asked) == 30  # one pass over the stack
    n_before = len(asked)
    g.isel(time=slice(8, 12)).compute()
    assert asked[n_before:] == [4]  # computing a slice reads only its block
    assert validate_grid(g).n_valid_sites == 12 * 9


def test_stack_lazy_by_default_when_large(writers, tmp_path, monkeypatch):
    path, _ = writers.tiff(tmp_path, frames_as_files=True)
    size = sum(f.stat().st_size for f in path.iterdir())
    monkeypatch.setattr(imaging, "LAZY_BYTES", size)
    assert read_imaging(path, frame_rate=25.0, pixel_size=0.05).attrs["lazy"] is True
    monkeypatch.setattr(imaging, "LAZY_BYTES", size + 1)
    assert read_imaging(path, frame_rate=25.0, pixel_size=0.05).attrs["lazy"] is False


@pytest.mark.realdata
def test_widefield_stack_lazy_equals_eager(data_dir):
    from neurowave import datasets

    path = datasets.fetch_widefield_mouse()
    kw = dict(frame_rate=25.0, pixel_size=0.05)
    lazy = read_imaging(path, lazy=True, **kw)
    eager = read_imaging(path, lazy=False, **kw)
    assert lazy.data.numblocks[0] > 1
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-12, atol=1e-12)
    assert lazy.attrs["n_background_pixels"] == eager.attrs["n_background_pixels"] > 0
