"""Pattern-specific fits: plane, target and rotating waves against simulated truth."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import (
    classify_patterns,
    compute_phase,
    fit_pattern_speeds,
    fit_plane,
    fit_radial,
    fit_rotating,
)


def _phase(pattern, *, layout="utah", seed=0, **kw):
    grid, truth = simulate_wave(
        pattern,
        layout=layout,
        duration=1.2,
        sampling_rate=500.0,
        frequency=10.0,
        snr_db=10,
        seed=seed,
        **kw,
    )
    return compute_phase(grid, band=(6.0, 14.0)).isel(time=slice(75, -75)), truth, grid


@pytest.mark.parametrize(
    "layout,extra", [("utah", {}), ("irregular", {"shape": (8, 8), "spacing": 0.5})]
)
@pytest.mark.parametrize("speed,direction", [(0.2, 10.0), (0.4, 225.0)])
def test_plane_fit(layout, extra, speed, direction):
    ph, _truth, _ = _phase("planar", layout=layout, speed=speed, direction=direction, **extra)
    fit = fit_plane(ph)
    assert abs(float(fit.speed.median()) - speed) / speed < 0.10
    d = (float(fit.direction.median()) - direction + 180) % 360 - 180
    assert abs(d) < 5
    assert float(fit.r.median()) > 0.95
    assert float(fit.rho.median()) > 0.8


@pytest.mark.parametrize("pattern,sense", [("radial_out", 1), ("radial_in", -1)])
def test_radial_fit(pattern, sense):
    ph, _truth, _grid = _phase(pattern, speed=0.15, center=(1.5, 2.1))
    fit = fit_radial(ph)
    assert abs(float(fit.speed.median()) - 0.15) / 0.15 < 0.10
    assert (fit.sense.values == sense).mean() > 0.95
    err = np.hypot(fit.cx.values - 1.5, fit.cy.values - 2.1)
    assert np.median(err) < 0.4  # within one grid spacing


@pytest.mark.parametrize("rotation", [1, -1])
def test_rotating_fit(rotation):
    ph, _truth, _ = _phase("rotating", rotation=rotation, center=(2.1, 1.7))
    fit = fit_rotating(ph)
    assert (fit.rotation.values == rotation).mean() > 0.95
    err = np.hypot(fit.cx.values - 2.1, fit.cy.values - 1.7)
    assert np.median(err) < 0.4
    assert abs(float(fit.angular_velocity.median()) - 2 * np.pi * 10) / (2 * np.pi * 10) < 0.05
    # linear speed at the median distance of the sites from the centre
    pos = nw.site_positions(ph)
    valid = ph.notnull().any("time").values.ravel()
    rmed = np.median(np.hypot(pos[valid, 0] - 2.1, pos[valid, 1] - 1.7))
    assert (
        abs(float(fit.speed.median()) - 2 * np.pi * 10 * rmed / 1000)
        / (2 * np.pi * 10 * rmed / 1000)
        < 0.1
    )


def test_surrogate_p_values():
    wave, _, _ = _phase("planar", speed=0.1)
    noise, _, _ = _phase("noise")
    pw = fit_plane(wave.isel(time=slice(0, 40, 4)), n_surrogates=99, seed=1).p_value.values
    pn = fit_plane(noise.isel(time=slice(0, 400, 20)), n_surrogates=99, seed=1).p_value.values
    assert (pw <= 0.01).all()
    assert np.median(pn) > 0.1
    pr = fit_radial(
        _phase("radial_out", speed=0.1)[0].isel(time=slice(0, 20, 4)), n_surrogates=49
    ).p_value
    assert (pr.values <= 0.05).all()
    po = fit_rotating(_phase("rotating")[0].isel(time=slice(0, 20, 4)), n_surrogates=49).p_value
    assert (po.values <= 0.05).all()


def test_pattern_speeds_follow_patterns():
    ph, _truth, _ = _phase("radial_out", speed=0.2)
    pats = classify_patterns(ph)
    sp = fit_pattern_speeds(ph, pats)
    sel = pats.pattern.values.astype(str) == "radial_out"
    assert sel.mean() > 0.9
    assert abs(np.median(sp.speed.values[sel]) - 0.2) / 0.2 < 0.10
    assert np.isnan(sp.direction.values[sel]).all()
    with pytest.raises(ValueError, match="one pattern per frame"):
        fit_pattern_speeds(ph, pats.isel(time=slice(0, 5)))


def test_model_units():
    grid, _truth = simulate_wave(
        "planar",
        speed=0.5,
        direction=90.0,
        frequency=0.05,
        duration=200,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        layout="grid",
        shape=(12, 12),
        spacing=1.0,
        seed=0,
    )
    ph = compute_phase(grid, band=(0.03, 0.07)).isel(time=slice(40, -40))
    fit = fit_plane(ph)
    assert fit.speed.attrs["units"] == "cells/step"
    assert abs(float(fit.speed.median()) - 0.5) / 0.5 < 0.05
    assert abs(float(fit.direction.median()) - 90) < 3


def test_hull_distance_and_phase_turn_around_a_centre():
    """Distances from the sites' convex hull in spacings (negative inside), and the
    phase turn around a point: one whole turn (closed loop) for a rotation around an
    enclosed centre, the small angle the array subtends for a plane seen from afar."""
    from neurowave.waves.fits import _Geometry, _turn_around

    yy, xx = np.mgrid[0:10, 0:10] * 0.4
    pos = np.c_[xx.ravel(), yy.ravel()]
    geo = _Geometry(pos, np.ones(len(pos), bool))
    c = np.array([[1.8, 1.8], [1.8, -0.4], [3.6 + 0.2, 1.0], [-0.4, -0.4]])
    d = geo.hull_distance(c)
    np.testing.assert_allclose(d[:3], [-4.5, 1.0, 0.5], atol=1e-9)
    assert d[3] == pytest.approx(np.hypot(1, 1))
    rot = np.arctan2(pos[:, 1] - 1.7, pos[:, 0] - 1.9)  # s = +1 around (1.9, 1.7)
    plane = 0.37 * pos[:, 0]  # travels along -x
    phi = np.angle(np.exp(1j * np.stack([rot, -rot, plane])))
    cen = np.array([[1.9, 1.7], [1.9, 1.7], [1.8, 1.8 + 1 / 0.37]])
    wnd, cov = _turn_around(phi, pos, cen, np.array([1.0, -1.0, 1.0]), 0.4)
    np.testing.assert_allclose(wnd[:2], 1.0, atol=1e-9)  # the winding number, either sense
    assert cov[0] > 0.9 and 0.1 < wnd[2] < 0.3 and wnd[2] < cov[2] < 0.4
