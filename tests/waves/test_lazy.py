"""A dask-backed grid stays lazy through every measure until asked, and gives the same numbers."""

import dask
import dask.array as da
import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import (
    bandpass,
    compute_direction,
    compute_frequency,
    compute_pgd,
    compute_phase,
    compute_phase_gradient,
    compute_speed,
    compute_wavelength,
    detect_wave_frames,
)

CALLS = {"n": 0}


def _counted(block):
    CALLS["n"] += 1
    return block


@pytest.fixture(params=["utah", "irregular"])
def grids(request):
    grid, _truth = simulate_wave(
        "planar",
        layout=request.param,
        speed=0.2 if request.param == "utah" else 1.0,
        direction=40,
        frequency=10,
        duration=6.0,
        snr_db=10,
        seed=1,
        dead_sites=3,
    )
    chunks = (2000,) + grid.shape[1:]
    lazy = grid.copy(data=da.from_array(grid.values, chunks=chunks).map_blocks(_counted))
    return grid, lazy


def test_dask_grid_stays_lazy_and_matches_numpy(grids):
    grid, lazy = grids
    band = (8, 12)
    CALLS["n"] = 0
    filt = bandpass(lazy, band=band)
    ph = compute_phase(lazy, band=band)
    g = compute_phase_gradient(ph)
    outs = {
        "pgd": compute_pgd(g),
        "direction": compute_direction(g),
        "speed": compute_speed(ph, g, per="frame"),
        "site_speed": compute_speed(ph, g),
        "wavelength": compute_wavelength(g),
        "frequency": compute_frequency(ph),
        "frames": detect_wave_frames(ph, gradient=g, n_surrogates=19),
    }
    assert CALLS["n"] == 0  # nothing computed yet
    for v in [filt, ph, g.dx, g.dy] + [o for k, o in outs.items() if k != "frames"]:
        assert dask.is_dask_collection(v.data)
    assert dask.is_dask_collection(outs["frames"].p_value.data)

    ref_ph = compute_phase(grid, band=band)
    mid = slice(1500, 4500)
    lazy_ph = ph.isel(time=mid).values
    assert CALLS["n"] > 0
    d = np.abs(np.angle(np.exp(1j * (lazy_ph - ref_ph.isel(time=mid).values))))
    assert np.nanmax(d) < 0.02
    ref_dir = compute_direction(compute_phase_gradient(ref_ph)).isel(time=mid).values
    dd = np.abs(((outs["direction"].isel(time=mid).values - ref_dir) + 180) % 360 - 180)
    assert np.nanmax(dd) < 1.0
    assert float(outs["frames"].is_wave.isel(time=mid).mean()) == 1.0


def test_time_chunked_filter_matches_the_whole_signal():
    grid, _ = simulate_wave("planar", frequency=10, duration=8.0, snr_db=0, seed=2)
    lazy = grid.chunk({"time": 2000})
    a = bandpass(lazy, band=(8, 12)).isel(time=slice(1000, 7000)).values
    b = bandpass(grid, band=(8, 12)).isel(time=slice(1000, 7000)).values
    ok = np.isfinite(b)
    assert np.abs(a[ok] - b[ok]).max() < 0.02 * np.abs(b[ok]).max()


def test_validate_does_not_scan_a_lazy_grid():
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    lazy = grid.copy(data=da.from_array(grid.values, chunks=(250, 10, 10)).map_blocks(_counted))
    CALLS["n"] = 0
    compute_phase(lazy, band=(8, 12))
    assert CALLS["n"] == 0
    assert nw.validate_grid(grid).n_valid_sites == 96
