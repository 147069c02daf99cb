"""Simulated model exports and recordings of known relation, shared by compare tests.

Matched pair: model plane waves of 6 cells on a 16-cell grid at 0.05 cycles/step
(0.375 array widths per cycle); a Utah recording of plane waves of 1.5 mm on a 4 mm
array at 10 Hz (0.015 m/s, also 0.375 array widths per cycle).
"""

import pytest

from neurowave.datasets import simulate_model_export, simulate_wave

MODEL_SPEED = 0.3  # cells/step
MODEL_FREQ = 0.05  # cycles/step
REC_SPEED = 0.015  # m/s -> 1.5 mm wavelength at 10 Hz
REC_FREQ = 10.0


@pytest.fixture(scope="session")
def model_planar():
    return simulate_model_export(
        "planar",
        speed=MODEL_SPEED,
        frequency=MODEL_FREQ,
        shape=(16, 16),
        n_steps=120,
        n_samples=1,
        n_units=2,
        snr_db=10.0,
        seed=1,
    )


def recording(pattern="planar", speed=REC_SPEED, seed=2):
    grid, _ = simulate_wave(
        pattern,
        layout="utah",
        speed=speed,
        frequency=REC_FREQ,
        direction=60.0,
        duration=1.5,
        sampling_rate=200.0,
        snr_db=10.0,
        seed=seed,
    )
    return grid


@pytest.fixture(scope="session")
def rec_matched():
    return recording()


@pytest.fixture(scope="session")
def rec_fast():
    return recording(speed=3 * REC_SPEED)


@pytest.fixture(scope="session")
def rec_rotating():
    return recording("rotating")


@pytest.fixture(scope="session")
def result_matched(model_planar, rec_matched):
    from neurowave.compare import StatsOptions, compare

    return compare(model_planar, rec_matched, stats=StatsOptions(n_boot=100), seed=0)
