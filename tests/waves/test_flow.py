"""Optical flow on phase: velocity against simulated truth, NaN sites, layouts."""

import numpy as np
import pytest

from neurowave.datasets import simulate_wave
from neurowave.waves import compute_optical_flow, compute_order_parameter, compute_phase


def _phase(pattern, **kw):
    kw.setdefault("duration", 1.0)
    kw.setdefault("sampling_rate", 500.0)
    grid, truth = simulate_wave(pattern, frequency=10.0, **kw)
    ph = compute_phase(grid, band=(6.0, 14.0))
    return ph.isel(time=slice(75, -75)), truth


def _rel_error(flow, speed, direction):
    th = np.deg2rad(direction)
    vx, vy = flow.vx.values, flow.vy.values
    return np.nanmedian(np.hypot(vx - speed * np.cos(th), vy - speed * np.sin(th))) / speed


@pytest.mark.parametrize("method", ["horn-schunck", "charbonnier"])
def test_plane_wave_velocity_noise_free(method):
    ph, _truth = _phase("planar", speed=0.3, direction=30.0, seed=0)
    flow = compute_optical_flow(ph, method=method)
    assert _rel_error(flow, 0.3, 30.0) < 0.02
    assert flow.vx.attrs["units"] == "m/s"
    assert float(compute_order_parameter(flow).min()) > 0.99


@pytest.mark.parametrize(
    "layout,extra", [("utah", {"dead_sites": 6}), ("irregular", {"shape": (8, 8), "spacing": 0.5})]
)
def test_plane_wave_velocity_10db(layout, extra):
    ph, _truth = _phase(
        "planar", speed=0.2, direction=200.0, snr_db=10, seed=1, layout=layout, **extra
    )
    for radius, tol in ((1.5, 0.3), (2.5, 0.12)):
        flow = compute_optical_flow(ph, alpha=1.0, gradient_radius=radius)
        # the mean vector of the field carries the wave's velocity; noise in the
        # gradient biases it low, less so with the wider gradient neighbourhood
        vx = float(flow.vx.mean(skipna=True))
        vy = float(flow.vy.mean(skipna=True))
        assert abs(np.hypot(vx, vy) - 0.2) / 0.2 < tol, (radius, np.hypot(vx, vy))
        d = (np.degrees(np.arctan2(vy, vx)) - 200.0 + 180) % 360 - 180
        assert abs(d) < 10
    # dead sites stay NaN, live ones are finite
    dead = ph.isnull().all("time")
    assert bool(flow.vx.isnull().all("time").equals(dead))
    assert bool(flow.vx.notnull().all("time").equals(~dead))


def test_order_parameter_separates_patterns():
    op = {}
    for pat in ("planar", "radial_out", "rotating"):
        ph, _ = _phase(pat, snr_db=10, seed=2)
        op[pat] = float(compute_order_parameter(compute_optical_flow(ph)).median())
    assert op["planar"] > 0.9
    assert op["radial_out"] < 0.3
    assert op["rotating"] < 0.3


def test_rotating_field_is_tangential_and_model_units():
    grid, truth = simulate_wave(
        "rotating",
        rotation=1,
        frequency=0.05,
        speed=0.5,
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
    flow = compute_optical_flow(ph)
    assert flow.vx.attrs["units"] == "cells/step"
    yy, xx = np.meshgrid(ph.y.values, ph.x.values, indexing="ij")
    rx, ry = xx - truth.center[0], yy - truth.center[1]
    r = np.hypot(rx, ry)
    far = r > 2.0
    # v = omega r theta_hat for a CCW rotation: speed grows with radius
    omega = 2 * np.pi * 0.05
    vt = (-ry * flow.vx.values + rx * flow.vy.values) / np.where(r > 0, r, 1)
    ratio = np.median(vt[:, far] / (omega * r[far]))
    assert 0.8 < ratio < 1.2


def test_lazy_and_errors():
    ph, _ = _phase("planar", seed=0)
    lazy = compute_optical_flow(ph.chunk({"time": 100}))
    assert lazy.vx.chunks is not None
    np.testing.assert_allclose(
        lazy.vx.values, compute_optical_flow(ph).vx.values, rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="method"):
        compute_optical_flow(ph, method="lucas")
    with pytest.raises(ValueError, match="alpha"):
        compute_optical_flow(ph, alpha=-1)
    with pytest.raises(TypeError, match="compute_optical_flow"):
        compute_order_parameter(ph)
