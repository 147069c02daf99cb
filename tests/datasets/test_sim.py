"""Simulators: the grids carry exactly the analytic truth they claim."""

import numpy as np
import pytest

from neurowave import validate_grid
from neurowave.datasets import (
    LAYOUTS,
    PATTERNS,
    curved_ecog_layout,
    simulate_wave,
    utah_layout,
)
from neurowave.grid import site_positions


def _phase_lag(grid, i, j, f):
    """Phase of site j relative to site i at frequency f (rad), from the data."""
    a = grid.values.reshape(grid.sizes["time"], -1)
    t = grid["time"].values
    e = np.exp(-2j * np.pi * f * t)
    return np.angle((a[:, j] @ e) * np.conj(a[:, i] @ e))


def test_utah_layout_has_96_sites_without_corners():
    lay = utah_layout()
    assert lay.mask.sum() == 96
    assert (
        not lay.mask[0, 0] and not lay.mask[-1, -1] and not lay.mask[0, -1] and not lay.mask[-1, 0]
    )
    grid, _ = simulate_wave("planar", duration=0.2, seed=0)
    info = validate_grid(grid)
    assert info.n_valid_sites == 96 and info.grid_shape == (10, 10)
    assert info.spacing == pytest.approx(0.4)


@pytest.mark.parametrize("direction", [0.0, 120.0, 250.0])
def test_planar_phase_matches_travel_direction_and_speed(direction):
    speed, f = 0.2, 12.0  # m/s -> 200 mm/s, wavelength 16.7 mm
    grid, truth = simulate_wave(
        "planar", speed=speed, direction=direction, frequency=f, duration=1.0, seed=1
    )
    pos = site_positions(grid)
    i, j = 11, 88
    d = pos[j] - pos[i]
    u = np.array([np.cos(np.deg2rad(direction)), np.sin(np.deg2rad(direction))])
    # a site further along the travel direction lags: phase(j) - phase(i) = -k u.d
    expected = -2 * np.pi * f / (speed * 1000) * (u @ d)
    assert np.angle(np.exp(1j * (_phase_lag(grid, i, j, f) - expected))) == pytest.approx(
        0, abs=1e-6
    )
    assert truth.direction == pytest.approx(direction % 360)
    assert truth.wavelength == pytest.approx(speed * 1000 / f)


def test_rotating_sense_positive_is_counter_clockwise():
    f = 8.0
    grid, truth = simulate_wave(
        "rotating",
        layout="grid",
        shape=(11, 11),
        spacing=1.0,
        frequency=f,
        rotation=1,
        duration=1.0,
    )
    a = grid.values
    c = 5
    # site at +x of centre leads the site at +y (ccw travel reaches +x first)
    lag = _phase_lag(grid, c * 11 + c + 3, (c + 3) * 11 + c, f)
    assert lag == pytest.approx(-np.pi / 2, abs=1e-6)
    assert truth.rotation == 1
    grid2, _truth2 = simulate_wave(
        "rotating",
        layout="grid",
        shape=(11, 11),
        spacing=1.0,
        frequency=f,
        rotation=-1,
        duration=1.0,
    )
    assert _phase_lag(grid2, c * 11 + c + 3, (c + 3) * 11 + c, f) == pytest.approx(
        np.pi / 2, abs=1e-6
    )
    assert a.shape == grid2.shape


def test_radial_out_lags_with_distance_and_radial_in_leads():
    f = 10.0
    out, _ = simulate_wave(
        "radial_out", layout="grid", shape=(9, 9), spacing=0.5, speed=0.1, frequency=f, duration=1.0
    )
    inn, _ = simulate_wave(
        "radial_in", layout="grid", shape=(9, 9), spacing=0.5, speed=0.1, frequency=f, duration=1.0
    )
    centre, edge = 4 * 9 + 4, 4 * 9 + 6  # 1 mm away
    k = 2 * np.pi * f / 100.0
    assert _phase_lag(out, centre, edge, f) == pytest.approx(-k * 1.0, abs=1e-6)
    assert _phase_lag(inn, centre, edge, f) == pytest.approx(k * 1.0, abs=1e-6)


@pytest.mark.parametrize("noise", ["pink", "white"])
@pytest.mark.parametrize("snr_db", [0.0, 10.0])
def test_noise_level_matches_snr(noise, snr_db):
    clean, _ = simulate_wave("planar", duration=2.0, seed=3)
    noisy, truth = simulate_wave("planar", duration=2.0, seed=3, snr_db=snr_db, noise=noise)
    resid = (noisy - clean).values.reshape(2000, -1)
    resid = resid[:, np.isfinite(resid[0])]
    measured = 10 * np.log10(0.5 / resid.var(axis=0).mean())
    assert measured == pytest.approx(snr_db, abs=0.05)
    assert truth.snr_db == snr_db
    # pink noise has more power below 10 Hz than above 100 Hz; white does not
    spec = np.abs(np.fft.rfft(resid, axis=0)) ** 2
    f = np.fft.rfftfreq(2000, 1e-3)
    ratio = spec[(f > 1) & (f < 10)].mean() / spec[(f > 100) & (f < 400)].mean()
    assert (ratio > 10) if noise == "pink" else (0.5 < ratio < 2)
    # spatially independent: no common component across sites
    c = np.corrcoef(resid.T)[np.triu_indices(resid.shape[1], 1)]
    assert abs(c.mean()) < 0.02


def test_dead_sites_count_and_mask():
    grid, truth = simulate_wave("planar", dead_sites=5, seed=2, duration=0.2)
    dead = np.all(np.isnan(grid.values.reshape(200, -1)), axis=0)
    assert dead.sum() == 4 + 5 and len(truth.dead_sites) == 5
    assert set(truth.dead_sites) <= set(np.flatnonzero(dead))
    mask = np.zeros(64, bool)
    mask[[3, 7]] = True
    g2, t2 = simulate_wave("noise", layout="irregular", dead_sites=mask, seed=2, duration=0.2)
    assert t2.dead_sites == (3, 7)
    assert (
        np.isnan(g2.values[:, [3, 7]]).all() and np.isfinite(np.delete(g2.values, [3, 7], 1)).all()
    )


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_and_layout_is_a_valid_grid(layout, pattern):
    grid, truth = simulate_wave(pattern, layout=layout, duration=0.3, seed=0, snr_db=10)
    info = validate_grid(grid)
    assert info.layout == ("grid" if layout in ("utah", "grid") else "channel")
    assert truth.pattern == pattern
    assert grid.attrs["truth"]["pattern"] == pattern


def test_curved_ecog_positions_are_projected_and_shorter_than_the_sheet():
    lay = curved_ecog_layout((8, 8), 10.0, radius=60.0)
    assert np.allclose(np.linalg.norm(lay.xyz - [0, 0, -60.0], axis=1), 60.0)
    d_flat = np.linalg.norm(lay.positions[0] - lay.positions[-1])
    d_sheet = np.linalg.norm(lay.sheet[0] - lay.sheet[-1])
    assert d_flat < d_sheet and d_flat > 0.85 * d_sheet


def test_model_units_cells_per_step():
    grid, truth = simulate_wave(
        "planar",
        layout="grid",
        shape=(16, 16),
        spacing=1.0,
        speed=0.5,
        frequency=0.05,
        duration=200,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
    )
    assert grid.attrs["kind"] == "model" and grid["time"].attrs["units"] == "step"
    assert truth.wavelength == pytest.approx(10.0)  # 0.5 cells/step / 0.05 cycles/step


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="pattern"):
        simulate_wave("spiral")
    with pytest.raises(ValueError, match="Nyquist"):
        simulate_wave("planar", frequency=600)
    with pytest.raises(ValueError, match="rotation"):
        simulate_wave("rotating", rotation=2)
    with pytest.raises(TypeError, match="unexpected"):
        simulate_wave("planar", layout="utah", jitter=0.1)
