"""In-memory inputs of :func:`neurowave.read`: Neo objects and MNE Raw, no file written."""

import os

import numpy as np
import pandas as pd
import pytest

import neurowave as nw
from neurowave import NeurowaveError
from neurowave.datasets import simulate_wave
from neurowave.io import read_neo
from neurowave.waves import analyze

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

SPEED, DIRECTION, FS = 0.25, 60.0, 500.0


def _plane_wave_signal(seed=3, *, cobrawap=True, **kw):
    """A simulated plane wave on a Utah layout as a Cobrawap-style AnalogSignal: channels
    in scrambled order, ``x_coords``/``y_coords`` in electrode cells, ``spatial_scale``."""
    grid, truth = simulate_wave(
        "planar",
        speed=SPEED,
        direction=DIRECTION,
        frequency=8.0,
        duration=2.0,
        sampling_rate=FS,
        snr_db=10,
        seed=seed,
    )
    vals = grid.values.reshape(grid.shape[0], -1)
    iy, ix = np.divmod(np.arange(vals.shape[1]), grid.sizes["x"])
    perm = np.random.default_rng(seed).permutation(np.flatnonzero(np.isfinite(vals).all(0)))
    aa = {"channel_names": np.array([f"e{k}" for k in perm])}
    ann = {}
    if cobrawap:
        aa.update(x_coords=ix[perm], y_coords=iy[perm])
        ann["spatial_scale"] = 0.4 * pq.mm
    sig = neo.AnalogSignal(
        vals[:, perm] * 0.05,
        units="mV",
        sampling_rate=FS * pq.Hz,
        name="LFP",
        array_annotations=aa,
        **ann,
        **kw,
    )
    return sig, truth, grid, perm


def _block(sig):
    seg = neo.Segment(name="trial")
    seg.analogsignals.append(sig)
    blk = neo.Block(name="utah")
    blk.segments.append(seg)
    return blk


@pytest.fixture
def no_files(tmp_path, monkeypatch):
    """Run in an empty folder where neither neo's NIX writer nor HDF5 may open a file."""
    import h5py

    def refuse(*a, **k):
        raise AssertionError("a file was opened for an in-memory object")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(neo, "NixIO", refuse)
    monkeypatch.setattr(neo.io, "NixIO", refuse)
    monkeypatch.setattr(h5py, "File", refuse)
    yield tmp_path
    assert not os.listdir(tmp_path), "reading an in-memory object wrote a file"


def test_block_in_memory_gives_the_simulated_speed_and_direction(no_files):
    sig, truth, _, _ = _plane_wave_signal()
    grid = nw.read(_block(sig))
    assert grid.dims == ("time", "y", "x") and grid.shape == (1000, 10, 10)
    assert grid.attrs["source"] == "in-memory neo.Block 'utah'"
    assert "spatial_scale 0.4 mm" in grid.attrs["positions_source"]
    s = analyze(grid, band=(6, 10), seed=0).summary["summary"]
    assert s["speed"]["median"] == pytest.approx(truth.speed, rel=0.05)
    err = (s["direction"]["mean_deg"] - truth.direction + 180) % 360 - 180
    assert abs(err) < 5.0


def test_block_segment_and_signal_read_alike_and_match_the_simulation():
    sig, _, sim, _ = _plane_wave_signal()
    blk = _block(sig)
    a, b, c = nw.read(blk), nw.read(blk.segments[0]), nw.read(sig)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.values, c.values)
    # the scrambled channels land where the simulation put them, in µV
    np.testing.assert_allclose(a.values, sim.values * 50.0, rtol=1e-6)
    assert a.attrs["units"] == "uV" and a.attrs["format"] == "neo"
    assert b.attrs["source"] == "in-memory neo.Segment 'trial'"
    assert c.attrs["neo_signal"] == "LFP"


def test_selectors_by_name_and_index():
    sig, _, _, _ = _plane_wave_signal()
    other = sig.duplicate_with_new_data(sig.magnitude * 2)
    other.name = "double"
    other.array_annotate(**sig.array_annotations)
    blk = _block(sig)
    blk.segments[0].analogsignals.append(other)
    one = nw.read(blk, signal="double")
    np.testing.assert_allclose(one.values, 2 * nw.read(blk).values)
    np.testing.assert_array_equal(nw.read(blk, signal=1).values, one.values)
    with pytest.raises(NeurowaveError, match=r"no signal named 'x'.*'LFP', 'double'"):
        nw.read(blk, signal="x")
    with pytest.raises(NeurowaveError, match=r"block=1 .* leave block out"):
        nw.read(blk.segments[0], block=1)
    with pytest.raises(NeurowaveError, match=r"segment=2 .* leave segment out"):
        nw.read(sig, segment=2)


def test_positions_argument_array_and_table():
    sig, _, sim, perm = _plane_wave_signal(cobrawap=False)
    with pytest.raises(NeurowaveError, match=r"carries no electrode positions.*positions="):
        nw.read(sig)
    iy, ix = np.divmod(perm, 10)
    xy = np.column_stack([0.4 * ix, 0.4 * iy])
    g = nw.read(sig, positions=xy)
    np.testing.assert_allclose(g.values, sim.values * 50.0, rtol=1e-6)
    table = pd.DataFrame(xy, columns=["x", "y"], index=[f"e{k}" for k in perm])
    np.testing.assert_array_equal(nw.read(sig, positions=table.iloc[::-1]).values, g.values)
    with pytest.raises(NeurowaveError, match=r"shape \(50, 2\).*96 channels.*one \(x, y\) row"):
        nw.read(sig, positions=xy[:50])
    with pytest.raises(NeurowaveError, match="give it `x` and `y` columns"):
        nw.read(sig, positions=table.rename(columns={"x": "col"}))


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(sampling_rate=0 * pq.Hz), "no usable sampling rate.*sampling_rate= in Hz"),
        (dict(sampling_rate=1 * pq.mm), "no usable sampling rate"),
        (dict(units="mm"), "units of mm, not a voltage.*rescale"),
        (dict(spatial_scale=0.4 * pq.s), "spatial_scale is 0.4 s, not a length"),
    ],
)
def test_bad_objects_get_one_sentence_naming_the_fix(bad, match):
    sig, _, _, _ = _plane_wave_signal()
    kw = dict(
        units=sig.units,
        sampling_rate=sig.sampling_rate,
        name="LFP",
        array_annotations=sig.array_annotations,
        spatial_scale=sig.annotations["spatial_scale"],
    )
    kw.update(bad)
    units = kw.pop("units")
    obj = neo.AnalogSignal(sig.magnitude, units=units, **kw)
    with pytest.raises(NeurowaveError, match=match) as err:
        nw.read(obj)
    msg = str(err.value)
    assert msg.replace("e.g. ", "").count(". ") == 0 and msg.endswith(".")  # one sentence


def test_objects_that_are_not_signals():
    irr = neo.IrregularlySampledSignal([0.0, 0.1, 0.3] * pq.s, np.zeros((3, 2)), units="mV")
    with pytest.raises(NeurowaveError, match=r"IrregularlySampledSignal.*regular clock"):
        read_neo(irr)
    with pytest.raises(NeurowaveError, match=r"not a ndarray.*make_channel_grid"):
        nw.read(np.zeros((10, 4)))
    sig, _, _, _ = _plane_wave_signal()
    with pytest.raises(NeurowaveError, match=r"lazy apply to files.*already in memory"):
        nw.read(sig, lazy=True)
    with pytest.raises(NeurowaveError, match="has no segments"):
        nw.read(neo.Block(name="empty"))


def test_unitless_signal_takes_units():
    sig, _, sim, _ = _plane_wave_signal()
    raw = neo.AnalogSignal(
        sig.magnitude,
        units="dimensionless",
        sampling_rate=FS * pq.Hz,
        array_annotations=sig.array_annotations,
        spatial_scale=0.4 * pq.mm,
    )
    g = nw.read(raw, units="mV")
    assert g.attrs["units"] == "uV"
    np.testing.assert_allclose(g.values, sim.values * 50.0, rtol=1e-6)
    with pytest.raises(NeurowaveError, match="not a voltage"):
        nw.read(raw, units="s")


def test_mne_raw_in_memory(no_files):
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(0)
    names = [f"G{k}" for k in range(6)]
    raw = mne.io.RawArray(
        rng.normal(size=(6, 300)) * 1e-5, mne.create_info(names, 250.0, "ecog"), verbose=False
    )
    with pytest.raises(NeurowaveError, match=r"in-memory mne RawArray has no montage.*set_montage"):
        nw.read(raw)
    xy = np.array([[k % 3 * 4.0, k // 3 * 4.0] for k in range(6)])
    g = nw.read(raw, positions=xy)
    assert g.dims == ("time", "y", "x") and g.shape == (300, 2, 3)
    assert g.attrs["source"] == "in-memory mne RawArray"
    np.testing.assert_allclose(g.values.reshape(300, -1), raw.get_data().T * 1e6)
    raw.set_montage(
        mne.channels.make_dig_montage(
            {n: [p[0] / 1000, p[1] / 1000, 0.05] for n, p in zip(names, xy, strict=True)},
            coord_frame="head",
        )
    )
    g2 = nw.read(raw)
    np.testing.assert_allclose(g2.values.reshape(300, -1), raw.get_data().T * 1e6)
