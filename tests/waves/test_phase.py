"""Hilbert, generalized and wavelet phase; instantaneous frequency."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import compute_analytic_signal, compute_frequency, compute_phase


def _circ(a):
    return np.angle(np.exp(1j * a))


@pytest.mark.parametrize("method", ["hilbert", "generalized", "wavelet"])
def test_phase_of_a_plane_wave_matches_the_analytic_phase(method):
    f, speed, direction = 12.0, 0.15, 30.0
    grid, _ = simulate_wave(
        "planar", frequency=f, speed=speed, direction=direction, duration=3.0, seed=0
    )
    ph = compute_phase(grid, band=(9, 15), method=method)
    pos = nw.site_positions(grid)
    k = 2 * np.pi * f / (speed * 1000)
    u = np.array([np.cos(np.deg2rad(direction)), np.sin(np.deg2rad(direction))])
    c = np.array([1.8, 1.8])
    t = grid["time"].values[:, None]
    truth = 2 * np.pi * f * t - k * ((pos - c) @ u)[None, :]
    err = _circ(ph.values.reshape(len(t), -1) - truth)[750:2250]
    err = err[:, np.isfinite(err[0])]
    assert np.abs(err).max() < 0.05
    assert ph.attrs["phase_method"] == method and ph.attrs["band"] == [9.0, 15.0]
    assert ph.dims == grid.dims and ph.dtype == np.float32
    assert np.isnan(ph.values[:, 0, 0]).all()  # Utah corner stays dead


def test_generalized_phase_equals_hilbert_on_a_narrow_band_signal():
    grid, _ = simulate_wave("planar", frequency=10, duration=3.0, snr_db=20, seed=3)
    h = compute_phase(grid, band=(8, 12), method="hilbert").values
    g = compute_phase(grid, band=(8, 12), method="generalized").values
    ok = np.isfinite(h)
    d = np.abs(_circ(h[ok] - g[ok]))
    assert np.median(d) < 1e-5
    assert np.mean(d > 0.01) < 0.01


def _two_component(fs=1000.0, dur=4.0):
    t = np.arange(int(fs * dur)) / fs
    # a 10 Hz rhythm plus a weaker 25 Hz one: the broadband analytic signal's phase
    # runs backwards where the two nearly cancel (negative instantaneous frequency)
    x = np.cos(2 * np.pi * 10 * t) + 0.8 * np.cos(2 * np.pi * 25 * t + 1.0)
    data = np.tile(x[:, None], (1, 3))
    return nw.make_channel_grid(data, sampling_rate=fs, x=[0.0, 1.0, 0.0], y=[0.0, 0.0, 1.0])


def test_generalized_phase_stays_monotone_where_broadband_hilbert_slips():
    grid = _two_component()
    h = compute_phase(grid, band=(5, 40), method="hilbert").values[:, 0].astype(float)
    g = compute_phase(grid, band=(5, 40), method="generalized").values[:, 0].astype(float)
    mid = slice(500, 3500)
    dh = _circ(np.diff(h))[mid]
    dg = _circ(np.diff(g))[mid]
    assert (dh < -1e-3).sum() > 50  # Hilbert phase slips backwards ...
    assert (dg < -1e-6).sum() == 0  # ... generalized phase never does
    # and it keeps the rhythm: 10 cycles per second on average
    cycles = np.sum(dg) / (2 * np.pi) / 3.0
    assert cycles == pytest.approx(10.0, rel=0.03)


def test_analytic_signal_amplitude_and_frequency():
    grid, _ = simulate_wave("synchronous", layout="irregular", frequency=7.0, duration=3.0, seed=1)
    z = compute_analytic_signal(grid, band=(5, 9))
    assert np.iscomplexobj(z.values)
    assert np.median(np.abs(z.values[750:2250])) == pytest.approx(1.0, rel=0.02)
    fr = compute_frequency(compute_phase(grid, band=(5, 9)))
    assert float(fr.isel(time=slice(750, 2250)).median()) == pytest.approx(7.0, rel=0.01)
    assert fr.attrs["units"] == "Hz"


def test_phase_errors_name_the_fix():
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(ValueError, match="method"):
        compute_phase(grid, band=(8, 12), method="fft")
    with pytest.raises(ValueError, match="too short"):
        compute_phase(grid, band=(0.5, 3))
