"""PGD, direction, speed and wavelength of frames and sites, units."""

import numpy as np
import pytest

from neurowave.datasets import simulate_wave
from neurowave.waves import (
    compute_direction,
    compute_pgd,
    compute_phase,
    compute_phase_gradient,
    compute_speed,
    compute_wavelength,
)

MID = slice(750, 2250)


def _measures(grid, band):
    ph = compute_phase(grid, band=band)
    g = compute_phase_gradient(ph)
    return ph, g


@pytest.mark.parametrize("direction", [0.0, 90.0, 215.0, 359.0])
def test_plane_wave_direction_speed_wavelength(direction):
    grid, truth = simulate_wave(
        "planar", speed=0.25, direction=direction, frequency=20, duration=3.0, seed=0
    )
    ph, g = _measures(grid, (16, 24))
    pgd = compute_pgd(g).isel(time=MID)
    d = compute_direction(g).isel(time=MID).values
    assert float(pgd.min()) > 0.99
    err = np.angle(np.exp(1j * np.deg2rad(d - truth.direction)))
    assert np.degrees(np.abs(err)).max() < 0.5
    sp = compute_speed(ph, g, per="frame").isel(time=MID)
    assert float(sp.median()) == pytest.approx(0.25, rel=0.01) and sp.attrs["units"] == "m/s"
    site = compute_speed(ph, g).isel(time=MID)
    assert site.dims == grid.dims and float(site.median()) == pytest.approx(0.25, rel=0.02)
    wl = compute_wavelength(g, per="frame").isel(time=MID)
    assert float(wl.median()) == pytest.approx(truth.wavelength, rel=0.01)
    assert wl.attrs["units"] == "mm"
    assert compute_wavelength(g).dims == grid.dims


def test_pgd_is_low_for_radial_rotating_and_noise():
    for pattern in ("radial_out", "rotating", "noise"):
        grid, _ = simulate_wave(
            pattern,
            layout="grid",
            shape=(12, 12),
            spacing=0.4,
            speed=0.05,
            frequency=10,
            duration=3.0,
            seed=1,
        )
        _, g = _measures(grid, (8, 12))
        assert float(compute_pgd(g).isel(time=MID).median()) < 0.3, pattern


def test_model_grid_speed_in_cells_per_step():
    grid, _truth = simulate_wave(
        "planar",
        layout="grid",
        shape=(16, 16),
        spacing=1.0,
        speed=0.4,
        direction=45,
        frequency=0.04,
        duration=600,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        seed=0,
    )
    ph, g = _measures(grid, (0.03, 0.05))
    sp = compute_speed(ph, g, per="frame").isel(time=slice(150, 450))
    assert sp.attrs["units"] == "cells/step"
    assert float(sp.median()) == pytest.approx(0.4, rel=0.02)
    assert float(compute_direction(g).isel(time=slice(150, 450)).median()) == pytest.approx(
        45, abs=1
    )
    assert g.attrs["gradient_units"] == "rad/cell"


def test_frames_with_too_few_sites_are_nan_and_bad_gradient_is_refused():
    grid, _ = simulate_wave(
        "planar", layout="grid", shape=(3, 3), spacing=0.4, duration=2.0, seed=0
    )
    ph, g = _measures(grid, (8, 12))
    assert np.isfinite(compute_pgd(g).values).all()
    assert np.isnan(compute_pgd(g, min_sites=10).values).all()
    with pytest.raises(TypeError, match="compute_phase_gradient"):
        compute_pgd(ph)
    with pytest.raises(ValueError, match="per"):
        compute_speed(ph, g, per="channel")
