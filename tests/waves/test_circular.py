"""Circular statistics (neurowave.waves.circular) against scipy.stats and by construction."""

import numpy as np
import pytest
from scipy import stats

from neurowave.waves.circular import circular_mean, mean_resultant, resultant_length, wrap


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_and_length_match_scipy(seed):
    rng = np.random.default_rng(seed)
    a = rng.vonmises(rng.uniform(-np.pi, np.pi), 2.0, size=200)
    assert circular_mean(a) == pytest.approx(stats.circmean(a), abs=1e-12)
    # scipy's circular variance is 1 - R
    assert resultant_length(a) == pytest.approx(1.0 - stats.circvar(a), abs=1e-12)
    m, r = mean_resultant(np.rad2deg(a), deg=True)
    assert m == pytest.approx(np.rad2deg(stats.circmean(a)), abs=1e-9)
    assert r == pytest.approx(1.0 - stats.circvar(a), abs=1e-12)


def test_nan_omitted_and_axis():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 2 * np.pi, size=(4, 50))
    a[1, :10] = np.nan
    got = circular_mean(a, axis=1)
    want = stats.circmean(a, axis=1, nan_policy="omit")
    np.testing.assert_allclose(got, want, atol=1e-12)
    r = resultant_length(a, axis=1)
    np.testing.assert_allclose(r[1], resultant_length(a[1, 10:]), atol=1e-12)
    assert np.isnan(circular_mean(np.full(3, np.nan)))
    m, r = mean_resultant([])
    assert np.isnan(m) and np.isnan(r)


def test_mean_across_zero_and_opposite_angles():
    # the arithmetic mean of 350 and 10 degrees is 180; the circular mean is 0
    m, r = mean_resultant([350.0, 10.0], deg=True)
    assert min(m, 360 - m) < 1e-9 and r == pytest.approx(np.cos(np.deg2rad(10)))
    assert resultant_length([0.0, np.pi]) < 1e-12


def test_wrap():
    x = np.linspace(-20, 20, 1001)
    w = wrap(x)
    assert np.all(np.abs(w) <= np.pi)
    np.testing.assert_allclose(np.exp(1j * w), np.exp(1j * x), atol=1e-12)
    inside = np.array([-3.0, -0.1, 0.0, 2.5], np.float32)
    np.testing.assert_array_equal(wrap(inside), inside.astype(float))  # bit for bit
    buf = (x[:5] * 3).astype(np.float32)
    out = wrap(buf, out=buf)
    assert out is buf and out.dtype == np.float32 and np.all(np.abs(out) <= np.float32(np.pi))
    assert wrap([1, 7]).dtype == float
