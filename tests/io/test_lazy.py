"""Lazy reading: neo proxy objects into dask-backed grids, equal to eager reading."""

import numpy as np
import pytest
import xarray as xr

from neurowave import validate_grid
from neurowave._validate import NeurowaveError
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


def _without(attrs, *keys):
    return {k: v for k, v in attrs.items() if k not in keys}


@pytest.mark.parametrize("kind", ["nix_cobrawap", "nix_cmp"])
def test_nix_lazy_equals_eager(writers, tmp_path, kind):
    p, exp = getattr(writers, kind)(tmp_path)
    lazy = read(p, lazy=True, chunk_samples=64)
    eager = read(p)
    assert hasattr(lazy.data, "dask") and lazy.attrs["lazy"] is True
    assert lazy.data.chunks[0] == (64, 64, 64, 64, 44)  # several time blocks
    assert not hasattr(eager.data, "dask") and eager.attrs["lazy"] is False
    # same grid: values, dims, coordinates (and their attrs), every attr but `lazy`
    xr.testing.assert_identical(lazy.compute().assign_attrs(lazy=False), eager)
    assert _without(lazy.attrs, "lazy") == _without(eager.attrs, "lazy")
    values = lazy.compute()
    for k, name in enumerate(exp.names):  # every channel at its position, neo's µV values
        x, y = exp.pos[name]
        np.testing.assert_allclose(values.sel(x=x, y=y, method="nearest").values, exp.values[:, k])


def test_nix_lazy_by_default_when_large(writers, tmp_path, monkeypatch):
    import neurowave.io.neo as nio_neo

    p, _ = writers.nix_cobrawap(tmp_path)
    assert nio_neo.NIX_LAZY_BYTES <= nio_neo.LAZY_BYTES
    monkeypatch.setattr(nio_neo, "NIX_LAZY_BYTES", p.stat().st_size)
    assert read(p).attrs["lazy"] is True
    monkeypatch.setattr(nio_neo, "NIX_LAZY_BYTES", p.stat().st_size + 1)
    assert read(p).attrs["lazy"] is False


def test_nix_lazy_selects_block_segment_signal(writers, tmp_path):
    """Names and indices select the same signal lazily and eagerly, t_start included."""
    import neo
    import quantities as pq

    s0, _, _ = writers.nix_signal(seed=3)
    s1, _, _ = writers.nix_signal(seed=4)
    s1.name = "LFP2"
    s1.t_start = 2.5 * pq.s
    blk = neo.Block(name="blk")
    for k, sigs in enumerate(([s0], [s0.copy(), s1])):
        seg = neo.Segment(name=f"trial{k}")
        seg.analogsignals.extend(sigs)
        blk.segments.append(seg)
    p = tmp_path / "two.nix"
    with neo.NixIO(str(p), mode="ow") as w:
        w.write_block(blk)
    for sel in (dict(segment="trial1", signal="LFP2"), dict(segment=1, signal=1)):
        lazy = read(p, lazy=True, chunk_samples=100, **sel)
        eager = read(p, lazy=False, **sel)
        assert lazy.attrs["neo_signal"] == "LFP2" and lazy.attrs["neo_segment"] == "trial1"
        xr.testing.assert_identical(lazy.compute().assign_attrs(lazy=False), eager)
        assert float(lazy["time"][0]) == pytest.approx(2.5)
    with pytest.raises(NeurowaveError, match="no signal named 'nope'"):
        read(p, lazy=True, segment=1, signal="nope")


@pytest.mark.realdata
def test_utah_recording_as_nix_lazy_equals_eager(data_dir, tmp_path):
    """The example Utah seizure recording, written as NIX the Cobrawap way, reads
    identically lazily (several dask chunks) and eagerly."""
    import neo
    import quantities as pq
    import scipy.io

    from neurowave import datasets

    m = scipy.io.loadmat(datasets.fetch_seizure_utah())
    pos = m["position"]  # mm, electrode centres
    sig = neo.AnalogSignal(
        m["data"],
        units="uV",
        sampling_rate=float(np.squeeze(m["fs"])) * pq.Hz,
        name="LFP",
        spatial_scale=0.4 * pq.mm,
        array_annotations={
            "x_coords": np.round((pos[:, 0] - 0.2) / 0.4).astype(int),
            "y_coords": np.round((pos[:, 1] - 0.2) / 0.4).astype(int),
            "channel_names": np.array([f"e{k}" for k in range(len(pos))]),
        },
    )
    seg = neo.Segment(name="seizure")
    seg.analogsignals.append(sig)
    blk = neo.Block(name="utah", subject="patient")
    blk.segments.append(seg)
    p = tmp_path / "utah_seizure.nix"
    with neo.NixIO(str(p), mode="ow") as w:
        w.write_block(blk)
    lazy = read(p, lazy=True, chunk_samples=1024)
    eager = read(p, lazy=False)
    assert lazy.data.numblocks[0] == 5 and lazy.shape == (5000, 10, 10)
    xr.testing.assert_identical(lazy.compute().assign_attrs(lazy=False), eager)
    assert lazy.attrs["subject"] == "patient"
    assert validate_grid(lazy).n_valid_sites == 96
    for k in (0, 40, 95):  # every column lands on its electrode (0.4 mm lattice from 0)
        x, y = pos[k]
        np.testing.assert_array_equal(
            lazy.sel(x=x - 0.2, y=y - 0.2, method="nearest").values, m["data"][:, k]
        )


def test_mne_lazy_equals_eager(writers, tmp_path):
    from neurowave.io import read_mne

    p, exp = writers.fif_montage(tmp_path)
    lazy = read_mne(p, preload=False)
    eager = read_mne(p)
    assert hasattr(lazy.data, "dask") and not hasattr(eager.data, "dask")
    np.testing.assert_array_equal(lazy.sel(channel="G3").values, exp.values[:, 2])
    np.testing.assert_array_equal(lazy.values, eager.values)  # bad channel G7 NaN in both


def test_nix_lazy_truncated_file_names_the_fix(writers, tmp_path):
    p, _ = writers.nix_cobrawap(tmp_path)
    grid = read(p, lazy=True)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])  # cut after it was opened
    with pytest.raises(NeurowaveError, match=r"cannot be read.*truncated"):
        _ = grid.values
    with pytest.raises(NeurowaveError, match="not a readable NIX file"):
        read(p, lazy=True)
