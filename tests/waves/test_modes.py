"""Complex SVD modes of phase fields."""

import numpy as np
import pytest

from neurowave.datasets import simulate_wave
from neurowave.waves import compute_phase, compute_phase_modes


def _phase(pattern, **kw):
    grid, truth = simulate_wave(
        pattern, duration=1.2, sampling_rate=500.0, frequency=10.0, seed=0, **kw
    )
    return compute_phase(grid, band=(6.0, 14.0)).isel(time=slice(100, -100)), truth


@pytest.mark.parametrize("direction", [0.0, 135.0, 290.0])
def test_plane_wave_is_one_mode_with_its_speed(direction):
    ph, _truth = _phase("planar", speed=0.1, direction=direction, snr_db=10)
    m = compute_phase_modes(ph, n_modes=3)
    assert float(m.explained[0]) > 0.9
    assert float(m.plane_r[0]) > 0.95
    d = (float(m.direction[0]) - direction + 180) % 360 - 180
    assert abs(d) < 5
    assert abs(float(m.speed[0]) - 0.1) / 0.1 < 0.1
    assert abs(float(m.frequency[0]) - 10.0) < 0.5
    assert m.speed.attrs["units"] == "m/s"
    # dead corners stay NaN in the spatial modes
    assert np.isnan(m.spatial.values[0, 0, 0])
    # the modes reconstruct the phasors
    z = np.exp(1j * ph.values[:, 1:-1, 1:-1]).reshape(len(ph.time), -1)
    rec = m.temporal.values[:, :1] @ m.spatial.values[:1, 1:-1, 1:-1].reshape(1, -1)
    assert np.abs(rec - z).mean() < 0.2


def test_rotating_wave_is_not_a_plane_and_noise_spreads():
    ph, _ = _phase("rotating", snr_db=10)
    m = compute_phase_modes(ph)
    assert float(m.explained[0]) > 0.8
    assert float(m.plane_r[0]) < 0.6  # spatial phase winds around the centre
    noise, _ = _phase("noise")
    mn = compute_phase_modes(noise, n_modes=5)
    assert float(mn.explained[0]) < 0.5
    with pytest.raises(ValueError, match="n_modes"):
        compute_phase_modes(ph, n_modes=0)
