"""Wave frames: PGD threshold and the spatial-shuffle surrogate test."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import compute_phase, detect_wave_frames

MID = slice(750, 2250)


def test_plane_wave_frames_are_waves_with_small_p_values():
    grid, _ = simulate_wave(
        "planar",
        speed=0.15,
        direction=100,
        frequency=15,
        duration=3.0,
        snr_db=0,
        seed=4,
        dead_sites=6,
    )
    fr = detect_wave_frames(compute_phase(grid, band=(12, 18)))
    assert fr.is_wave.isel(time=MID).all()
    assert float(fr.p_value.isel(time=MID).max()) <= 0.01 + 1e-6  # 1 / (1 + 99)
    assert fr.attrs["surrogate_step"] == int(1000 / (2 * 6))


def test_noise_alone_gives_few_wave_frames_and_uniform_p_values():
    grid, _ = simulate_wave("noise", duration=3.0, seed=5, dead_sites=4)
    fr = detect_wave_frames(compute_phase(grid, band=(8, 12)))
    assert float(fr.is_wave.mean()) <= 0.1
    assert np.isfinite(fr.p_value.values).all()  # dead sites stay in place: no NaN frames


def test_surrogate_p_values_are_valid_under_the_null():
    # phases independent across sites: the site-shuffle null holds exactly, so p-values
    # are uniform and p <= 0.05 about 5 % of the time
    rng = np.random.default_rng(0)
    ph = rng.uniform(-np.pi, np.pi, (1500, 5, 5)).astype(np.float32)
    grid = nw.make_grid(ph, sampling_rate=100.0, spacing=1.0)
    fr = detect_wave_frames(grid, threshold=0.0, n_surrogates=39, seed=1)
    assert fr.attrs["surrogate_step"] == 1  # no band: every frame is tested
    frac = float((fr.p_value <= 0.05).mean())
    assert 0.03 < frac < 0.075
    assert 0.4 < float(fr.p_value.median()) < 0.6


def test_testing_every_frame_agrees_with_the_strided_test():
    grid, _ = simulate_wave("planar", speed=0.4, frequency=12, duration=2.0, snr_db=0, seed=2)
    ph = compute_phase(grid, band=(10, 14))
    a = detect_wave_frames(ph, n_surrogates=19)
    b = detect_wave_frames(ph, n_surrogates=19, surrogate_step=1)
    assert float((a.is_wave == b.is_wave).mean()) > 0.95


def test_threshold_only_and_arguments():
    grid, _ = simulate_wave("planar", speed=0.1, frequency=10, duration=2.0, seed=0)
    ph = compute_phase(grid, band=(8, 12))
    fr = detect_wave_frames(ph, n_surrogates=0)
    assert np.isnan(fr.p_value.values).all() and bool(fr.is_wave.isel(time=1000))
    with pytest.raises(ValueError, match="at least 19 surrogates"):
        detect_wave_frames(ph, n_surrogates=10)
    with pytest.raises(TypeError, match="threshold"):
        detect_wave_frames(ph, threshold="high")
