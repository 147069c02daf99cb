"""DSA of a model against a recording, on ground truth (neurodsp style).

Systems of known linear oscillatory dynamics: two damped, noise-driven complex modes
(10 and 17 Hz) seen through a random linear observation map on a grid of sites, with
observation noise. The same dynamics through another map and another array size
must come out close (compared with the baselines); another frequency or another
damping must come out far.
"""

import numpy as np
import pytest

from neurowave._validate import NeurowaveError
from neurowave.compare.dynamics import DynamicsSettings, compare_dynamics, describe
from neurowave.datasets import simulate_wave
from neurowave.grid import make_grid
from neurowave.models import export_states

FS = 250.0  # Hz; the model's step is 1 / FS
FREQS, RHOS = (10.0, 17.0), (0.97, 0.96)  # per-sample decay of each mode


def _latent(n, freqs, rhos, rng):
    lam = np.array([r * np.exp(2j * np.pi * f / FS) for f, r in zip(freqs, rhos, strict=True)])
    eps = rng.standard_normal((n, lam.size)) + 1j * rng.standard_normal((n, lam.size))
    z = np.zeros((n, lam.size), complex)
    for t in range(1, n):
        z[t] = lam * z[t - 1] + eps[t]
    return z


def _observe(z, shape, map_seed, rng, noise=0.3):
    """Sites see a random complex mixture of the modes (a mixing of sites, not a
    rotation of one map into the other), plus white noise."""
    m = np.random.default_rng(map_seed)
    n = shape[0] * shape[1]
    w = m.standard_normal((z.shape[1], n)) + 1j * m.standard_normal((z.shape[1], n))
    x = np.real(z @ w)
    x += noise * x.std() * rng.standard_normal(x.shape)
    return x.reshape((len(z),) + tuple(shape))


def _recording(freqs=FREQS, rhos=RHOS, shape=(10, 10), seed=0, duration=8.0):
    rng = np.random.default_rng(seed)
    x = _observe(_latent(int(duration * FS), freqs, rhos, rng), shape, 1, rng)
    return make_grid(x, sampling_rate=FS, spacing=0.4, kind="recording", source="simulated")


@pytest.fixture(scope="module")
def model():
    """The same dynamics through another map on another array (8 x 8), four runs."""
    rng = np.random.default_rng(10)
    hs = [_observe(_latent(int(2.0 * FS), FREQS, RHOS, rng), (8, 8), 2, rng) for _ in range(4)]
    return export_states(np.stack(hs)[:, :, None], dt=1 / FS, source="simulated model")


@pytest.fixture(scope="module")
def results(model):
    return {
        name: compare_dynamics(model, rec)
        for name, rec in [
            ("same", _recording()),
            ("frequency", _recording(freqs=(16.0, 27.0))),
            ("damping", _recording(rhos=(0.85, 0.83))),
        ]
    }


def test_same_dynamics_through_other_maps_and_array_sizes_are_close(results):
    same = results["same"]["model"]
    assert results["same"]["time_base"]["mode"] == "physical"  # the export's model_dt
    assert same["ratio"] < 1.5  # within what each system differs from itself
    for far in ("frequency", "damping"):
        assert results[far]["model"]["distance"] > 5 * same["distance"]


def test_other_frequency_or_damping_is_far(results):
    assert results["frequency"]["model"]["ratio"] > 5
    assert results["damping"]["model"]["ratio"] > 2


def test_settings_and_baselines_are_echoed(results):
    r = results["same"]
    assert r["settings"] == DynamicsSettings().to_dict()
    assert r["model"]["settings"] == r["settings"]
    assert r["model"]["baseline_of"] == "even against odd samples"
    assert r["recording"]["baseline_of"] == "first half against second half"
    assert r["model"]["baseline_recording"] == r["recording"]["baseline"]
    assert r["time_base"]["model_dt"] == pytest.approx(1 / FS)
    assert r["time_base"]["model_dt_source"] == "the export's model_dt"
    assert "DSA" in describe(r)


def _wave_model(frequency, n=4):
    hs = []
    for s in range(n):
        g, _ = simulate_wave(
            "planar",
            layout="grid",
            shape=(12, 12),
            spacing=1.0,
            speed=2.0,
            frequency=frequency / FS,
            direction=90 * s,
            duration=2 * FS,
            sampling_rate=1.0,
            snr_db=5,
            seed=s + 1,
            time_units="step",
            space_units="cell",
        )
        hs.append(g.values)
    return export_states(np.stack(hs)[:, :, None], dt=1 / FS)


def test_a_model_and_a_recording_of_the_same_wave_are_close():
    rec, _ = simulate_wave(
        "planar", speed=0.2, frequency=10, duration=6.0, sampling_rate=FS, snr_db=5, seed=0
    )
    # the recording's band as compare() passes it (that of its wave measures), around the
    # simulated 10 Hz; measured: 0.0070 against 0.081 (0.016 against 0.081 in the
    # narrower band the aperiodic-corrected spectrum picks, 8.5-11.5 Hz)
    same = compare_dynamics(_wave_model(10.0), rec, controls=False, band=(8.0, 12.0))["model"]
    other = compare_dynamics(_wave_model(17.0), rec, controls=False, band=(8.0, 12.0))["model"]
    assert other["distance"] > 5 * same["distance"]
    assert other["ratio"] > 3 * same["ratio"]


def test_without_model_dt_time_is_in_cycles_of_each_side():
    # the same dynamics at 1.6 times the frequency: different in physical time,
    # alike in each side's own cycles
    # (one mode each, so that each side's band centres on it)
    model = _recording(freqs=(10.0,), rhos=(0.97,), duration=4.0)
    hs = np.stack([model.values[:500], model.values[500:]])[:, :, None]
    fast = _recording(freqs=(16.0,), rhos=(0.97 ** (10 / 16),))
    phys = compare_dynamics(export_states(hs, dt=1 / FS), fast, controls=False)
    free = compare_dynamics(export_states(hs), fast, controls=False)
    assert free["time_base"]["mode"] == "cycles" and free["time_base"]["model_dt"] is None
    assert phys["model"]["distance"] > 5 * free["model"]["distance"]


def test_bad_settings_are_one_sentence():
    with pytest.raises(NeurowaveError, match="signal"):
        DynamicsSettings(signal="phase")
    with pytest.raises(NeurowaveError, match="band_fraction"):
        DynamicsSettings(band_fraction=1.5)
    with pytest.raises(NeurowaveError, match="settings"):
        compare_dynamics(
            export_states(np.ones((1, 10, 1, 2, 2))), _recording(duration=1.0), settings={"rank": 2}
        )
