"""One conformance test that every reader passes (DESIGN.md's wave grid).

For each format a small file is written by neo, mne, scipy, Pillow/tifffile or
neurowave itself; reading it must give: the right dims/coords/attrs, positions where
the writer put them, NaN where no electrode sits and for bad/flat channels, the values
neo/mne return in µV, and an input file whose bytes did not change. The in-memory
inputs (a ``neo.Block``, a ``neo.AnalogSignal``, an ``mne.io.Raw``, read back from
those files by neo/mne) pass the same test, with their samples left unchanged.
"""

import hashlib
import warnings

import numpy as np
import pytest

from neurowave import make_channel_grid, validate_grid
from neurowave.io import read, write_netcdf

CASES = [
    "nix_cobrawap",
    "nix_cmp",
    "fif_montage",
    "edf_dig",
    "brainvision_bids",
    "mat",
    "tiff_folder",
    "tiff_file",
    "netcdf",
    "neo_block_memory",
    "neo_signal_memory",
    "mne_raw_memory",
]


def _in_memory(case, writers, tmp_path):
    """A Neo or MNE object read back from the file of a file case, and what reading it
    must give (the file case's expectations, with the object's source and format)."""
    if case == "mne_raw_memory":
        import mne

        path, exp = writers.fif_montage(tmp_path)
        obj = mne.io.read_raw_fif(path, preload=True, verbose=False)
        exp.fmt, exp.source = "mne", "in-memory mne Raw 'curved_ecog_raw.fif'"
        return obj, exp, {}
    import neo

    path, exp = writers.nix_cobrawap(tmp_path)
    with neo.NixIO(str(path), mode="ro") as r:
        blk = r.read_block()
    exp.fmt = "neo"
    if case == "neo_block_memory":
        exp.source = "in-memory neo.Block 'blk'"
        return blk, exp, {}
    exp.source = "in-memory neo.AnalogSignal 'LFP'"
    return blk.segments[0].analogsignals[0], exp, {}


def _samples_hash(obj):
    data = (
        obj.get_data()
        if hasattr(obj, "get_data")
        else obj.segments[0].analogsignals[0].magnitude
        if hasattr(obj, "segments")
        else obj.magnitude
    )
    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()


def _write(case, writers, tmp_path):
    if case.endswith("_memory"):
        return _in_memory(case, writers, tmp_path)
    if case == "tiff_folder":
        return (
            *writers.tiff(tmp_path, frames_as_files=True),
            dict(frame_rate=25.0, pixel_size=0.05, dff=False),
        )
    if case == "tiff_file":
        return (
            *writers.tiff(tmp_path, frames_as_files=False),
            dict(frame_rate=25.0, pixel_size=0.05, dff=False),
        )
    if case == "netcdf":
        from types import SimpleNamespace

        rng = np.random.default_rng(8)
        vals = rng.normal(size=(50, 4))
        vals[:, 2] = np.nan
        names = ["a", "b", "c", "d"]
        pos = {"a": (0.0, 0.0), "b": (1.5, 0.2), "c": (0.3, 2.0), "d": (2.2, 2.5)}
        g = make_channel_grid(
            vals,
            sampling_rate=100.0,
            x=[p[0] for p in pos.values()],
            y=[p[1] for p in pos.values()],
            channels=names,
            attrs={"format": "netcdf", "positions_source": "test", "units": "uV"},
        )
        path = tmp_path / "grid.nc"
        g.attrs["source"] = str(path)
        write_netcdf(g, path)
        return (
            path,
            SimpleNamespace(
                layout="channel",
                names=names,
                pos=pos,
                values=vals,
                sampling_rate=100.0,
                fmt="netcdf",
                dead=["c"],
            ),
            {},
        )
    path, exp = getattr(writers, case)(tmp_path)
    kw = {"picks": exp.picks} if hasattr(exp, "picks") else {}
    return path, exp, kw


def _site(grid, x, y):
    ix = np.flatnonzero(np.isclose(grid["x"].values, x, atol=1e-6))
    iy = np.flatnonzero(np.isclose(grid["y"].values, y, atol=1e-6))
    assert ix.size == 1 and iy.size == 1, f"no site at ({x}, {y})"
    return grid.values[:, iy[0], ix[0]]


@pytest.mark.parametrize("case", CASES)
def test_reader_conformance(case, writers, tmp_path):
    path, exp, kw = _write(case, writers, tmp_path)
    memory = case.endswith("_memory")
    before = _samples_hash(path) if memory else writers.hashes(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean file reads without warnings
        grid = read(path, **kw)
    after = _samples_hash(path) if memory else writers.hashes(path)
    assert after == before, "reading changed the input"

    # dims, coords, attrs per DESIGN.md
    info = validate_grid(grid)
    assert info.layout == exp.layout
    if exp.layout == "grid":
        assert grid.dims == ("time", "y", "x")
        assert grid.shape[1:] == exp.shape
    else:
        assert grid.dims == ("time", "channel")
        assert grid["x"].dims == ("channel",) and grid["y"].dims == ("channel",)
    assert grid["time"].attrs["units"] == "s"
    assert grid["x"].attrs["units"] == "mm" and grid["y"].attrs["units"] == "mm"
    assert grid.attrs["kind"] == "recording"
    assert grid.attrs["source"] == (exp.source if memory else str(path))
    assert grid.attrs["format"] == exp.fmt
    assert grid.attrs["positions_source"]
    assert grid.attrs["sampling_rate"] == pytest.approx(exp.sampling_rate, rel=1e-9)
    assert np.allclose(np.diff(grid["time"].values), 1 / exp.sampling_rate)
    if case.startswith("tiff"):
        assert grid.attrs["units"] == "counts"
    else:
        assert grid.attrs["units"] == "uV"

    # positions and values
    if case.startswith("tiff"):
        flat = grid.values.reshape(grid.shape[0], -1)
        bg = np.arange(flat.shape[1]) < exp.background_rows * exp.shape[1]
        assert np.isnan(flat[:, bg]).all(), "background pixels must be NaN"
        np.testing.assert_array_equal(flat[:, ~bg], exp.values[:, ~bg])
        assert np.allclose(grid["x"].values, 0.05 * np.arange(exp.shape[1]))
        return
    for k, name in enumerate(exp.names):
        if exp.layout == "grid":
            got = _site(grid, *exp.pos[name])
        else:
            got = grid.sel(channel=name).values
            if hasattr(exp, "pos"):
                assert float(grid["x"].sel(channel=name)) == pytest.approx(
                    exp.pos[name][0], abs=1e-6
                )
                assert float(grid["y"].sel(channel=name)) == pytest.approx(
                    exp.pos[name][1], abs=1e-6
                )
        if name in exp.dead:
            assert np.isnan(got).all(), f"{name} is dead/bad and must be NaN"
        else:
            np.testing.assert_array_equal(got, exp.values[:, k])
    if case != "netcdf":
        assert sorted(grid.attrs["dead_channels"]) == sorted(exp.dead)
    if exp.layout == "grid":
        for x, y in exp.empty:
            assert np.isnan(_site(grid, x, y)).all(), "no electrode there: must be NaN"
        assert info.n_valid_sites == len(exp.names) - len(exp.dead)
    if case in ("fif_montage", "mne_raw_memory"):
        # a curved sheet flattened: neighbour distances keep the 4 mm pitch (3-D chord)
        nx = exp.nx
        for iy in range(exp.ny):
            for ix in range(nx):
                a = f"G{iy * nx + ix + 1}"
                for b in ([f"G{iy * nx + ix + 2}"] if ix + 1 < nx else []) + (
                    [f"G{(iy + 1) * nx + ix + 1}"] if iy + 1 < exp.ny else []
                ):
                    d3 = np.linalg.norm(exp.pos3d[a] - exp.pos3d[b])
                    pa = np.array(
                        [float(grid["x"].sel(channel=a)), float(grid["y"].sel(channel=a))]
                    )
                    pb = np.array(
                        [float(grid["x"].sel(channel=b)), float(grid["y"].sel(channel=b))]
                    )
                    assert np.linalg.norm(pa - pb) == pytest.approx(d3, rel=0.02)
        # axes keep head order and sign: grid rows advance along head y (+)
        assert float(grid["y"].sel(channel="G6")) > float(grid["y"].sel(channel="G1"))
        assert grid.attrs["distortion"]["max"] < 0.02
        assert grid.attrs["distortion"]["projection_max"] > grid.attrs["distortion"]["max"]
