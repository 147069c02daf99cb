"""Choosing block, segment and signal by index or name; units rescaled to µV."""

import neo
import numpy as np
import pytest
import quantities as pq

from neurowave.io import read_neo


def _two_signal_file(path):
    rng = np.random.default_rng(12)
    xy = {"x_coords": np.array([0, 1, 0, 1]), "y_coords": np.array([0, 0, 1, 1])}
    a = neo.AnalogSignal(
        rng.normal(size=(100, 4)),
        units="V",
        sampling_rate=1 * pq.kHz,
        name="lfp",
        array_annotations=xy,
        spatial_scale=0.4 * pq.mm,
    )
    b = neo.AnalogSignal(
        rng.normal(size=(50, 4)),
        units="mV",
        sampling_rate=2 * pq.kHz,
        name="mua",
        array_annotations=xy,
        spatial_scale=400 * pq.um,
    )
    segs = [neo.Segment(name="baseline"), neo.Segment(name="seizure")]
    segs[0].analogsignals.append(a)
    segs[1].analogsignals.extend([a.copy(), b])
    blk = neo.Block(name="day1")
    blk.segments.extend(segs)
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)
    return a, b


def test_select_by_name_and_index(tmp_path):
    p = tmp_path / "two.nix"
    a, b = _two_signal_file(p)
    g = read_neo(p, block="day1", segment="seizure", signal="mua")
    assert g.attrs["sampling_rate"] == 2000.0 and g.shape == (50, 2, 2)
    np.testing.assert_allclose(g["x"].values, [0.0, 0.4])  # 400 um -> 0.4 mm
    np.testing.assert_allclose(g.values[:, 1, 0], b.magnitude[:, 2] * 1e3)  # mV -> uV
    g0 = read_neo(p, segment=0, signal=0)
    np.testing.assert_allclose(g0.values[:, 0, 1], a.magnitude[:, 1] * 1e6)  # V -> uV
    assert g0.attrs["neo_segment"] == "baseline" and g0.attrs["neo_signal"] == "lfp"
    with pytest.raises(ValueError, match=r"no signal named 'spikes'.*'lfp', 'mua'"):
        read_neo(p, segment="seizure", signal="spikes")
    with pytest.raises(ValueError, match="segment 5 does not exist"):
        read_neo(p, segment=5)
