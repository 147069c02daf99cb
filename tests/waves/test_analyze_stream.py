"""analyze on long recordings: streamed in chunks it equals the whole recording in
memory; patterns on a band-tied frame rate, refined where they change."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.io import read_netcdf, write_netcdf
from neurowave.waves import Execution, analyze

FS, BAND = 500.0, (6.0, 14.0)
KW = dict(band=BAND, n_surrogates=19, surrogate_step=4, seed=1)


@pytest.fixture(scope="module")
def mixed():
    """9 s on a 10 x 10 grid: a plane wave, a rotating wave, a plane wave again."""
    parts = []
    for k, (pattern, extra) in enumerate(
        [
            ("planar", {"direction": 40.0}),
            ("rotating", {"rotation": 1}),
            ("planar", {"direction": 220.0}),
        ]
    ):
        g, _ = simulate_wave(
            pattern,
            layout="grid",
            shape=(10, 10),
            spacing=0.4,
            speed=0.2,
            frequency=10.0,
            duration=3.0,
            sampling_rate=FS,
            snr_db=10,
            seed=k,
            **extra,
        )
        parts.append(g.values)
    data = np.concatenate(parts)
    return nw.make_grid(data, sampling_rate=FS, spacing=0.4)


@pytest.fixture(scope="module")
def whole(mixed):
    return analyze(mixed, **KW)


def _compare(a, b):
    fa, fb = a.frames, b.frames
    assert fa.sizes == fb.sizes
    np.testing.assert_array_equal(fa["time"].values, fb["time"].values)
    # per-frame measures: float32 precision away from the recording's ends (the FFTs of
    # the first or last chunk and of the whole recording wrap around differently there,
    # within the filter's response time, ~5 periods of the band width)
    inner = slice(700, -700)
    wave = fa["is_wave"].values[inner] & fb["is_wave"].values[inner]
    for v in ("pgd", "frequency", "speed", "wavelength"):
        x, y = fa[v].values[inner], fb[v].values[inner]
        if v in ("speed", "wavelength"):  # ill-conditioned where the mean gradient is ~0
            x, y = x[wave], y[wave]
        np.testing.assert_allclose(y, x, rtol=1e-3, atol=1e-5, err_msg=v)
    d = (fa["direction"].values[inner] - fb["direction"].values[inner] + 180) % 360 - 180
    d = d[wave]
    assert np.nanmax(np.abs(d)) < 0.05
    # surrogate tests see the same permutations: p-values and wave frames agree
    assert np.mean(fa["p_value"].values == fb["p_value"].values) > 0.995
    assert np.mean(fa["is_wave"].values == fb["is_wave"].values) > 0.995
    np.testing.assert_array_equal(fa["classified"].values, fb["classified"].values)
    assert np.mean(fa["pattern"].values == fb["pattern"].values) > 0.995
    sa, sb = a.summary["summary"], b.summary["summary"]
    assert sb["speed"]["median"] == pytest.approx(sa["speed"]["median"], rel=1e-3)
    assert sb["wave_fraction"] == pytest.approx(sa["wave_fraction"], abs=5e-3)
    for p, f in sa["patterns"].items():
        assert sb["patterns"][p] == pytest.approx(f, abs=5e-3)
    assert sb["events"]["n"] == sa["events"]["n"]


def test_streamed_in_chunks_equals_the_whole_recording(mixed, whole):
    res = analyze(mixed, **KW, execution=Execution(chunk_duration=2.0, n_threads=2))
    assert res.summary["params"]["n_chunks"] >= 4 and whole.summary["params"]["n_chunks"] == 1
    _compare(whole, res)
    # the phase of a streamed recording stays lazy
    assert hasattr(res.phase.data, "dask") and hasattr(res.gradient["dx"].data, "dask")
    # and the science: both plane waves and the rotation are found
    pats = whole.summary["summary"]["patterns"]
    assert pats["planar"] > 0.5 and pats["rotating"] > 0.2


def test_a_lazy_netcdf_grid_is_read_chunk_by_chunk(mixed, whole, tmp_path):
    path = tmp_path / "mixed.nc"
    write_netcdf(mixed, path)
    lazy = read_netcdf(path, chunks={"time": 700})
    assert hasattr(lazy.data, "dask")
    res = analyze(lazy, **KW, execution=Execution(chunk_duration=2.0, n_threads=1))
    _compare(whole, res)
    assert res.summary["input"]["n_valid_sites"] == whole.summary["input"]["n_valid_sites"]


def test_a_lazy_nix_recording_is_read_block_by_block(mixed, whole, tmp_path, monkeypatch):
    """A NIX file (as neo writes it) read lazily streams through analyze: no read asks
    for more than one block of samples, each block is read a bounded number of times,
    and the results equal the whole recording in memory."""
    import neo
    import quantities as pq

    import neurowave.io.neo as nio_neo
    from neurowave.io import read

    ny, nx = mixed.sizes["y"], mixed.sizes["x"]
    iy, ix = np.divmod(np.arange(ny * nx), nx)
    sig = neo.AnalogSignal(
        mixed.values.reshape(mixed.sizes["time"], -1),
        units="uV",
        sampling_rate=FS * pq.Hz,
        spatial_scale=0.4 * pq.mm,
        array_annotations={"x_coords": ix, "y_coords": iy},
    )
    seg = neo.Segment()
    seg.analogsignals.append(sig)
    blk = neo.Block()
    blk.segments.append(seg)
    path = tmp_path / "mixed.nix"
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)
    reads = []
    real = nio_neo._nix_chunk

    def spy(p, datasets, calibration, a, b, dtype, factor):
        reads.append((a, b))
        return real(p, datasets, calibration, a, b, dtype, factor)

    monkeypatch.setattr(nio_neo, "_nix_chunk", spy)
    lazy = read(path, lazy=True, chunk_samples=500)
    assert hasattr(lazy.data, "dask") and not reads  # opening reads no samples
    np.testing.assert_allclose(lazy.x.values, mixed.x.values)
    res = analyze(lazy, **KW, execution=Execution(chunk_duration=2.0, n_threads=1))
    _compare(whole, res)
    n_blocks = lazy.data.numblocks[0]
    assert reads and max(b - a for a, b in reads) <= 500
    assert len(reads) <= 4 * n_blocks  # chunks overlap: a block is read a few times
    # forked worker processes (the CLI's default) read their blocks from the file too
    monkeypatch.setattr(nio_neo, "_nix_chunk", real)
    forked = analyze(
        lazy, **KW, execution=Execution(chunk_duration=2.0, n_threads=2, pool="processes")
    )
    _compare(whole, forked)


def test_patterns_on_a_band_tied_frame_rate_refined_where_they_change(mixed, whole):
    fr = whole.frames
    par = whole.summary["params"]["patterns"]
    # one frame per cycle of the upper edge (14 Hz at 500 Hz: every 32nd), four per
    # cycle (every 8th) between classified frames whose patterns differ
    assert par["frame_step"] == 32 and par["refine_step"] == 8
    idx = np.flatnonzero(fr["classified"].values)
    assert idx[0] == 0 and par["n_classified"] == idx.size
    steps = np.diff(idx)
    assert set(steps.tolist()) <= {8, 16, 24, 32} and (steps == 8).any()
    coarse = (fr.sizes["time"] - 1) // 32 + 1
    assert coarse <= idx.size < 1.5 * coarse
    # against classifying every frame: the same fractions, changes placed to a fraction
    # of a cycle
    every = analyze(mixed, **KW, pattern_rate=None)
    assert every.summary["params"]["patterns"]["n_classified"] == fr.sizes["time"]
    for p, f in every.summary["summary"]["patterns"].items():
        assert whole.summary["summary"]["patterns"][p] == pytest.approx(f, abs=0.03), p
    agree = np.mean(every.frames["pattern"].values == fr["pattern"].values)
    assert agree > 0.95
    # fractions of the classified frames are reported too
    assert sum(par["classified_fractions"].values()) == pytest.approx(1.0)


def test_bad_execution_options_name_the_fix(mixed):
    with pytest.raises(TypeError, match="Execution"):
        analyze(mixed, band=BAND, execution={"chunk_duration": 1.0})
    with pytest.raises(ValueError, match="chunk_duration"):
        analyze(mixed, band=BAND, execution=Execution(chunk_duration=1e-4))
    with pytest.raises(ValueError, match="pattern_rate"):
        analyze(mixed, band=BAND, pattern_rate=-1)


def test_processes_and_threads_give_the_same_frames(mixed, monkeypatch):
    """Chunks in forked processes (the default on Linux) or in threads: the same
    computation, the same frames; a warning raised in a worker process reaches the
    caller."""
    ex = dict(chunk_duration=2.0, n_threads=2)
    by_proc = analyze(mixed, **KW, execution=Execution(pool="processes", **ex))
    by_thread = analyze(mixed, **KW, execution=Execution(pool="threads", **ex))
    assert by_proc.summary["params"]["n_chunks"] >= 4
    for v in ("pgd", "p_value", "speed", "direction", "pattern", "classified"):
        np.testing.assert_array_equal(by_proc.frames[v].values, by_thread.frames[v].values)
    assert by_proc.summary["summary"] == by_thread.summary["summary"]

    import sys

    module = sys.modules["neurowave.waves._execution"]  # the engine calls _analyze_chunk
    inner = module._analyze_chunk

    def warns(*args, **kwargs):
        import warnings

        warnings.warn("from a worker", UserWarning, stacklevel=2)
        return inner(*args, **kwargs)

    monkeypatch.setattr(module, "_analyze_chunk", warns)  # the forked workers inherit it
    with pytest.warns(UserWarning, match="from a worker"):
        analyze(mixed, **KW, execution=Execution(pool="processes", **ex))
    with pytest.raises(ValueError, match="pool"):
        analyze(mixed, **KW, execution=Execution(pool="gpu", **ex))
