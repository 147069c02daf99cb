"""Hypothesis properties of the measures: symmetries of direction and speed, dead sites."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import (
    compute_direction,
    compute_pgd,
    compute_phase,
    compute_phase_gradient,
    compute_speed,
)

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
BAND = (12, 18)
MID = slice(500, 1500)


def _circ_deg(a):
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


def _direction(grid):
    g = compute_phase_gradient(compute_phase(grid, band=BAND))
    d = compute_direction(g).isel(time=MID).values
    z = np.exp(1j * np.deg2rad(d)).mean()
    return np.degrees(np.angle(z)) % 360.0


def _as_channels(grid, theta_deg=0.0, scale=1.0):
    pos = nw.site_positions(grid)
    th = np.deg2rad(theta_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    p = scale * pos @ rot.T
    data = grid.values.reshape(grid.sizes["time"], -1)
    return nw.make_channel_grid(
        data, sampling_rate=grid.attrs["sampling_rate"], x=p[:, 0], y=p[:, 1]
    )


@st.composite
def planes(draw):
    direction = draw(st.floats(0, 360, allow_nan=False))
    speed = draw(st.floats(0.08, 0.4))
    seed = draw(st.integers(0, 10_000))
    grid, truth = simulate_wave(
        "planar", speed=speed, direction=direction, frequency=15, duration=2.0, snr_db=10, seed=seed
    )
    return grid, truth


@SETTINGS
@given(planes(), st.floats(-180, 180, allow_nan=False))
def test_rotating_the_layout_rotates_the_direction(plane, theta):
    grid, truth = plane
    d0 = _direction(_as_channels(grid))
    d1 = _direction(_as_channels(grid, theta_deg=theta))
    assert abs(_circ_deg(d1 - d0 - theta)) < 0.5
    assert abs(_circ_deg(d0 - truth.direction)) < 5.0


@SETTINGS
@given(planes())
def test_reversing_time_reverses_the_direction(plane):
    grid, _truth = plane
    rev = grid.copy(data=grid.values[::-1].copy())
    d0, d1 = _direction(grid), _direction(rev)
    assert abs(_circ_deg(d1 - d0 - 180.0)) < 2.0


@SETTINGS
@given(planes(), st.floats(0.2, 20.0))
def test_scaling_positions_scales_speed(plane, k):
    grid, _truth = plane
    scaled = grid.assign_coords(x=grid.x * k, y=grid.y * k)
    speeds = []
    for gr in (grid, scaled):
        ph = compute_phase(gr, band=BAND)
        speeds.append(
            float(
                compute_speed(ph, compute_phase_gradient(ph), per="frame").isel(time=MID).median()
            )
        )
    assert np.isfinite(speeds).all()
    assert abs(speeds[1] / speeds[0] / k - 1) < 1e-3


@SETTINGS
@given(st.integers(0, 10_000), st.sampled_from(["utah", "irregular"]), st.floats(0.0, 0.5))
def test_dead_sites_never_turn_a_frame_with_enough_valid_sites_into_nan(seed, layout, frac):
    rng = np.random.default_rng(seed)
    n_sites = 100 if layout == "utah" else 64
    n_alive = 96 if layout == "utah" else 64
    if layout == "irregular":  # least squares needs three non-collinear sites: leave >= 3
        n_dead = int(rng.integers(0, n_alive - 2))
    else:  # a grid site needs a valid neighbour along x and along y: kill up to half
        n_dead = int(frac * n_alive)
    grid, _ = simulate_wave(
        "planar",
        layout=layout,
        speed=0.2 if layout == "utah" else 1.0,
        frequency=15,
        duration=1.0,
        snr_db=10,
        seed=seed,
        dead_sites=n_dead,
    )
    ph = compute_phase(grid, band=BAND)
    g = compute_phase_gradient(ph)
    assert np.isfinite(compute_pgd(g).values).all()
    assert np.isfinite(compute_direction(g).values).all()
    assert np.isfinite(compute_speed(ph, g, per="frame").values).all()
    assert np.isnan(g.dx.values.reshape(len(ph.time), n_sites)[:, list(_dead(grid))]).all()


def _dead(grid):
    v = grid.values.reshape(grid.sizes["time"], -1)
    return np.flatnonzero(np.isnan(v).all(axis=0))
