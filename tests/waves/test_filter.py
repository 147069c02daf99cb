"""Band-pass filter and the data-driven band."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import bandpass, choose_band


def _two_tone(fs=1000.0, dur=4.0):
    t = np.arange(int(fs * dur)) / fs
    x = np.cos(2 * np.pi * 10 * t + 0.3)[:, None] + np.cos(2 * np.pi * 60 * t)[:, None]
    x = np.repeat(x, 6, axis=1)
    x[:, 2] = np.nan
    return t, nw.make_channel_grid(x, sampling_rate=fs, x=np.arange(6.0), y=np.arange(6.0) % 2)


def test_bandpass_keeps_the_band_with_zero_phase_and_removes_the_rest():
    t, g = _two_tone()
    out = bandpass(g, band=(8, 12))
    y = out.values[1000:3000, 0].astype(float)
    ref = np.cos(2 * np.pi * 10 * t[1000:3000] + 0.3)
    # amplitude and phase of the 10 Hz component preserved, 60 Hz gone (> 40 dB down)
    e = np.exp(-2j * np.pi * 10 * t[1000:3000])
    assert abs(y @ e) / abs(ref @ e) == pytest.approx(1.0, abs=0.02)
    assert abs(np.angle((y @ e) / (ref @ e))) < 0.01
    e60 = np.exp(-2j * np.pi * 60 * t[1000:3000])
    assert abs(y @ e60) / abs(ref @ e) < 0.01
    assert out.dtype == np.float32 and out.attrs["band"] == [8.0, 12.0]
    assert np.isnan(out.values[:, 2]).all() and np.isfinite(out.values[:, [0, 1, 3]]).all()


@pytest.mark.parametrize("freq", [4.0, 10.0, 23.0, 40.0])
def test_choose_band_finds_the_peak_over_pink_noise(freq):
    grid, _ = simulate_wave(
        "planar", frequency=freq, speed=0.2, duration=4.0, snr_db=0, seed=int(freq), dead_sites=5
    )
    lo, hi = choose_band(grid)
    centre = 0.5 * (lo + hi)
    assert lo < freq < hi
    assert centre == pytest.approx(freq, rel=0.05)


def test_choose_band_on_a_model_grid_in_cycles_per_step():
    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(12, 12),
        spacing=1.0,
        speed=0.5,
        frequency=0.05,
        duration=400,
        sampling_rate=1.0,
        snr_db=10,
        time_units="step",
        space_units="cell",
        seed=1,
    )
    lo, hi = choose_band(grid)
    assert lo < 0.05 < hi and hi < 0.5


def test_band_errors_name_the_fix():
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(ValueError, match="below Nyquist"):
        bandpass(grid, band=(10, 600))
    with pytest.raises(ValueError, match="too short"):
        bandpass(grid, band=(1, 5))
    with pytest.raises(ValueError, match="increasing"):
        bandpass(grid, band=(12, 8))
    with pytest.raises(TypeError, match="order"):
        bandpass(grid, band=(8, 12), order=2.5)


def test_choose_band_ignores_the_shoulder_of_an_upstream_low_pass():
    import scipy.signal as ss

    grid, _ = simulate_wave(
        "planar", frequency=9.0, speed=0.2, duration=6.0, snr_db=0, sampling_rate=500.0, seed=7
    )
    sos = ss.butter(12, 45.0, fs=500.0, output="sos")  # > 80 dB down by 60 Hz
    x = grid.values.reshape(3000, -1)
    ok = np.isfinite(x[0])
    x[:, ok] = ss.sosfiltfilt(sos, x[:, ok], axis=0)
    lo, hi = choose_band(grid.copy(data=x.reshape(grid.shape)))
    assert lo < 9.0 < hi


def test_model_grids_keep_the_spectral_peak_rule_and_say_so():
    """Model grids (time in steps) take the spectral-peak rule compare's model bands were
    validated with; band_choice says so. Recordings take the FOOOF peak."""
    from neurowave.waves import band_choice

    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(12, 12),
        spacing=1.0,
        speed=0.5,
        frequency=0.05,
        duration=400,
        sampling_rate=1.0,
        snr_db=10,
        time_units="step",
        space_units="cell",
        seed=1,
    )
    (lo, hi), choice = band_choice(grid)
    assert choice["method"] == "spectral peak" and "model grid" in choice["reason"]
    assert (lo + hi) / 2 == pytest.approx(0.05, rel=0.05)
    assert (hi - lo) / (hi + lo) == pytest.approx(0.15)  # f0 (1 -+ fraction)
    rec, _ = simulate_wave("planar", frequency=10, speed=0.2, duration=4.0, snr_db=0, seed=3)
    (lo, hi), choice = band_choice(rec)
    assert choice["method"] == "fooof" and lo < choice["chosen_peak"][0] < hi
    assert choice["chosen_peak"][0] == pytest.approx(10, rel=0.05)
