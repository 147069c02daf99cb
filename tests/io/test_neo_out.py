"""Wave results out as Neo objects and NIX files (:mod:`neurowave.io.neo_out`)."""

import hashlib
import json

import numpy as np
import pytest

from neurowave import NeurowaveError, make_grid
from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import read, to_neo, write_nix
from neurowave.io.neo_out import summary_from_neo
from neurowave.waves import analyze

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")

FS = 500.0
#: plane-wave bursts (direction in degrees), each 1 s, separated by 1 s of noise
BURSTS = (0.0, 90.0, 225.0)


def _bursts():
    """Plane waves at 0.3 m/s in three directions, each a 1-s burst between seconds of
    pink noise, on a Utah layout (a grid with several wave events)."""
    parts = []
    for k, d in enumerate(BURSTS):
        noise, _ = simulate_wave("noise", duration=1.0, sampling_rate=FS, seed=10 + k)
        wave, _ = simulate_wave(
            "planar",
            speed=0.3,
            direction=d,
            frequency=10.0,
            duration=1.0,
            sampling_rate=FS,
            snr_db=15,
            seed=k,
        )
        parts += [0.3 * noise.values, wave.values]
    noise, _ = simulate_wave("noise", duration=1.0, sampling_rate=FS, seed=20)
    parts.append(0.3 * noise.values)
    return make_grid(
        np.concatenate(parts) * 100.0,
        sampling_rate=FS,
        x=wave["x"].values,
        y=wave["y"].values,
        source="bursts",
    )


@pytest.fixture(scope="module")
def result():
    return analyze(_bursts(), band=(8.0, 12.0), seed=0)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _long(ev):
    """The events of the bursts (noise may add a short one: PGD of narrow-band noise)."""
    return ev[ev["duration"].values > 0.5]


def test_the_bursts_are_found_as_events(result):
    ev = _long(result.events)
    assert len(ev) == len(BURSTS)
    np.testing.assert_allclose(ev["start"].values, [1.0, 3.0, 5.0], atol=0.15)
    np.testing.assert_allclose(ev["speed"].values, 0.3, rtol=0.05)
    d = (ev["direction"].values - np.array(BURSTS) + 180) % 360 - 180
    assert np.all(np.abs(d) < 5)


def test_to_neo_holds_the_frames_and_the_events(result):
    seg = result.to_neo()
    assert isinstance(seg, neo.Segment)
    sigs = {s.name: s for s in seg.analogsignals}
    assert list(sigs) == [
        "pgd",
        "speed",
        "direction",
        "wavelength",
        "frequency",
        "is_wave",
        "pattern",
    ]
    fr = result.frames
    for name, unit in (
        ("pgd", "dimensionless"),
        ("speed", "m/s"),
        ("direction", "deg"),
        ("wavelength", "mm"),
        ("frequency", "Hz"),
        ("is_wave", "dimensionless"),
    ):
        sig = sigs[name]
        assert sig.units == pq.Quantity(1.0, unit).units
        assert sig.shape == (fr.sizes["time"], 1)
        np.testing.assert_allclose(
            sig.magnitude[:, 0], fr[name].values.astype(float), equal_nan=True
        )
        np.testing.assert_allclose(sig.times.rescale("s").magnitude, fr["time"].values, atol=1e-9)
    labels = sigs["pattern"].annotations["pattern_labels"]
    codes = sigs["pattern"].magnitude[:, 0].astype(int)
    np.testing.assert_array_equal(np.asarray(labels)[codes], fr["pattern"].values.astype(str))
    (ep,) = seg.epochs
    ev = result.events
    assert ep.name == "waves" and len(ep) == len(ev)
    np.testing.assert_allclose(ep.times.rescale("s").magnitude, ev["start"].values)
    np.testing.assert_allclose(ep.durations.rescale("s").magnitude, ev["duration"].values)
    np.testing.assert_array_equal(ep.labels, ev["pattern"].values.astype(str))
    np.testing.assert_allclose(ep.array_annotations["speed"], ev["speed"].values)
    np.testing.assert_allclose(ep.array_annotations["direction"], ev["direction"].values)
    np.testing.assert_array_equal(ep.array_annotations["wave_id"], np.arange(len(ev)))
    assert ep.annotations["speed_units"] == "m/s"
    assert json.loads(seg.annotations["neurowave_summary"])["summary"]["events"]["n"] == len(ev)
    blk = to_neo(result, block=True)
    assert isinstance(blk, neo.Block) and blk.segments[0].epochs[0].name == "waves"


def test_nixio_round_trip_keeps_the_events(result, tmp_path):
    path = tmp_path / "waves.nix"
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(result.to_neo(block=True))
    with neo.NixIO(str(path), mode="ro") as r:
        blk = r.read_block()
    (ep,) = blk.segments[0].epochs
    ev = result.events
    assert len(ep) == len(ev) and len(_long(ev)) == len(BURSTS)
    np.testing.assert_allclose(ep.times.rescale("s").magnitude, ev["start"].values)
    np.testing.assert_allclose(ep.array_annotations["speed"], ev["speed"].values)
    np.testing.assert_array_equal(ep.labels, ev["pattern"].values.astype(str))
    speed = next(s for s in blk.segments[0].analogsignals if s.name == "speed")
    np.testing.assert_allclose(speed.magnitude[:, 0], result.frames["speed"].values, equal_nan=True)
    assert summary_from_neo(blk) == json.loads(result.to_json())


def test_no_events_give_an_empty_epoch(tmp_path):
    grid, _ = simulate_wave("noise", duration=1.0, sampling_rate=FS, seed=0)
    res = analyze(grid, band=(8.0, 12.0), seed=0)
    assert len(res.events) == 0
    out = write_nix(res, tmp_path / "none.nix")
    with neo.NixIO(str(out), mode="ro") as r:
        (ep,) = r.read_block().segments[0].epochs
    assert ep.name == "waves" and len(ep) == 0
    with pytest.raises(NeurowaveError, match="carries no neurowave summary"):
        summary_from_neo(neo.Segment(name="other"))


def _recording(tmp_path):
    """The burst recording as a Cobrawap-style NIX file."""
    grid = _bursts()
    vals = grid.values.reshape(grid.shape[0], -1)
    iy, ix = np.divmod(np.arange(vals.shape[1]), grid.sizes["x"])
    ok = np.isfinite(vals).all(0)
    sig = neo.AnalogSignal(
        vals[:, ok],
        units="uV",
        sampling_rate=FS * pq.Hz,
        name="LFP",
        array_annotations={"x_coords": ix[ok], "y_coords": iy[ok]},
        spatial_scale=0.4 * pq.mm,
    )
    seg = neo.Segment(name="rec")
    seg.analogsignals.append(sig)
    blk = neo.Block(name="neurowave")  # the results' name, taken: they go in neurowave_2
    blk.segments.append(seg)
    path = tmp_path / "rec.nix"
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)
    return path


def test_write_nix_adds_a_block_to_a_copy_and_never_touches_the_recording(result, tmp_path):
    rec = _recording(tmp_path)
    before = _sha(rec)
    out = write_nix(result, tmp_path / "out" / "with_waves.nix", recording=rec)
    assert _sha(rec) == before
    with neo.NixIO(str(out), mode="ro") as r:
        blocks = r.read_all_blocks()
    assert [b.name for b in blocks] == ["neurowave", "neurowave_2"]
    np.testing.assert_array_equal(
        blocks[0].segments[0].analogsignals[0].magnitude, read_raw_samples(rec)
    )
    assert len(blocks[1].segments[0].epochs[0]) == len(result.events)
    with pytest.raises(NeurowaveError, match="never rewrites an input"):
        write_nix(result, rec, recording=rec)
    assert _sha(rec) == before


def read_raw_samples(path):
    with neo.NixIO(str(path), mode="ro") as r:
        return r.read_block().segments[0].analogsignals[0].magnitude


def test_cli_analyze_nix_leaves_the_recording_byte_identical(tmp_path, capsys):
    rec = _recording(tmp_path)
    before = _sha(rec)
    out, js = tmp_path / "out.nix", tmp_path / "out.json"
    code = main(
        [
            "analyze",
            str(rec),
            "--band",
            "8",
            "12",
            "--nix",
            str(out),
            "--json",
            str(js),
            "--surrogates",
            "19",
        ]
    )
    assert code == 0
    assert _sha(rec) == before
    events = json.loads(js.read_text())["events"]
    with neo.NixIO(str(out), mode="ro") as r:
        blocks = r.read_all_blocks()
    assert [b.name for b in blocks] == ["neurowave", "neurowave_2"]
    (ep,) = blocks[1].segments[0].epochs
    assert len(ep) == len(events) >= len(BURSTS)
    np.testing.assert_allclose(ep.times.magnitude, [e["start"] for e in events])
    np.testing.assert_allclose(ep.array_annotations["speed"], [e["speed"] for e in events])
    assert read(out).shape == read(rec).shape  # block 0 is still the recording
    # the input itself as --nix: refused before any work, the file unchanged
    capsys.readouterr()
    assert main(["analyze", str(rec), "--nix", str(rec)]) == 2
    assert "is the input" in capsys.readouterr().err
    assert _sha(rec) == before


def test_cli_nix_of_a_non_nix_input_holds_the_results_only(tmp_path):
    from neurowave.io import write_netcdf

    nc = tmp_path / "bursts.nc"
    write_netcdf(_bursts(), nc)
    out = tmp_path / "waves.nix"
    assert (
        main(["analyze", str(nc), "--band", "8", "12", "--nix", str(out), "--surrogates", "19"])
        == 0
    )
    with neo.NixIO(str(out), mode="ro") as r:
        (blk,) = r.read_all_blocks()
    assert blk.name == "neurowave" and len(blk.segments[0].epochs[0]) >= len(BURSTS)
    nc2 = tmp_path / "other.nc"
    write_netcdf(_bursts(), nc2)
    assert main(["analyze", str(nc), str(nc2), "--nix", str(tmp_path / "x.nix")]) == 2
    assert not (tmp_path / "x.nix").exists()


def test_to_neo_needs_physical_units():
    grid, _ = simulate_wave(
        "planar",
        speed=0.5,
        frequency=0.1,
        duration=100,
        sampling_rate=1,
        time_units="step",
        space_units="cell",
        seed=0,
    )
    res = analyze(grid, band=(0.08, 0.12))
    with pytest.raises(NeurowaveError, match=r"measured in step and cell.*seconds and millimetres"):
        res.to_neo()
