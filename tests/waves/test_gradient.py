"""Phase gradient: wrapped differences on grids, local least squares on irregular layouts."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import irregular_layout, simulate_wave
from neurowave.waves import (
    compute_coherent_phase,
    compute_pgd,
    compute_phase,
    compute_phase_gradient,
)


def _plane_phase(pos_x, pos_y, kx, ky, nt=5, w=0.3):
    t = np.arange(nt)[:, None]
    return np.angle(np.exp(1j * (w * t + kx * pos_x.ravel()[None] + ky * pos_y.ravel()[None])))


def _grid_phase(kx, ky, shape=(10, 10), spacing=0.4, nt=5):
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx] * spacing
    ph = _plane_phase(xx, yy, kx, ky, nt).reshape(nt, ny, nx)
    return nw.make_grid(ph, sampling_rate=1000.0, spacing=spacing)


def test_plane_wave_gradient_is_exact_even_when_phase_wraps_between_sites():
    kx, ky = -2.0, 1.5  # rad/mm: 0.8 and 0.6 rad per 0.4 mm step; phase wraps inside the array
    g = compute_phase_gradient(_grid_phase(kx, ky))
    assert np.allclose(g.dx.values, kx, atol=1e-4)
    assert np.allclose(g.dy.values, ky, atol=1e-4)
    assert g.dx.attrs["units"] == "rad/mm" and g.dx.dims == ("time", "y", "x")


def test_a_dead_site_removes_only_its_own_differences():
    kx, ky = 3.0, -1.0
    ph = _grid_phase(kx, ky)
    ph[:, 4, 4] = np.nan
    g = compute_phase_gradient(ph)
    dx, dy = g.dx.values, g.dy.values
    assert np.isnan(dx[:, 4, 4]).all() and np.isnan(dy[:, 4, 4]).all()
    others = np.ones((10, 10), bool)
    others[4, 4] = False
    assert np.allclose(dx[:, others], kx, atol=1e-4)  # neighbours use their other side
    assert np.allclose(dy[:, others], ky, atol=1e-4)


def test_gradient_of_noisy_phase_is_unbiased_by_wrapping():
    rng = np.random.default_rng(0)
    ph = _grid_phase(2.5, 0.0, nt=400)
    noisy = np.angle(np.exp(1j * (ph.values + rng.normal(0, 0.3, ph.shape))))
    g = compute_phase_gradient(ph.copy(data=noisy.astype(np.float32)))
    assert float(g.dx.mean()) == pytest.approx(2.5, rel=0.02)
    assert float(g.dy.mean()) == pytest.approx(0.0, abs=0.02)


def test_strip_has_zero_gradient_across_it():
    ph = _grid_phase(1.0, 0.0, shape=(1, 12))
    g = compute_phase_gradient(ph)
    assert np.allclose(g.dx.values, 1.0, atol=1e-4) and np.all(g.dy.values == 0)


@pytest.mark.parametrize("dead", [0, 5])
def test_irregular_layout_least_squares(dead):
    lay = irregular_layout((8, 8), 10.0, jitter=0.2, seed=3)
    kx, ky = 0.12, -0.09  # rad/mm: wavelength 42 mm on a 10 mm pitch
    ph = _plane_phase(lay.x, lay.y, kx, ky)
    rng = np.random.default_rng(dead)
    dead_idx = rng.choice(64, dead, replace=False)
    ph[:, dead_idx] = np.nan
    grid = nw.make_channel_grid(ph, sampling_rate=100.0, x=lay.x, y=lay.y)
    g = compute_phase_gradient(grid)
    alive = np.setdiff1d(np.arange(64), dead_idx)
    assert np.allclose(g.dx.values[:, alive], kx, atol=1e-4)
    assert np.allclose(g.dy.values[:, alive], ky, atol=1e-4)
    assert np.isnan(g.dx.values[:, dead_idx]).all()


def test_gradient_rejects_a_complex_signal_and_a_dataset():
    ph = _grid_phase(1.0, 0.0)
    with pytest.raises(TypeError, match="real phase"):
        compute_phase_gradient(ph.astype(np.complex64) * 1j)
    with pytest.raises(TypeError, match="DataArray"):
        compute_phase_gradient(ph.to_dataset(name="p"))


@pytest.mark.parametrize("step", [2, 3])
def test_wider_stencil_is_exact_on_plane_waves_and_keeps_dead_sites_local(step):
    kx, ky = 0.6, -0.4
    ph = _grid_phase(kx, ky, shape=(20, 20), spacing=0.1)
    ph[:, 7, 7] = np.nan
    g = compute_phase_gradient(ph, step=step)
    alive = np.ones((20, 20), bool)
    alive[7, 7] = False
    assert np.allclose(g.dx.values[:, alive], kx, atol=1e-3)
    assert np.allclose(g.dy.values[:, alive], ky, atol=1e-3)
    assert np.isnan(g.dx.values[:, 7, 7]).all() and g.attrs["gradient_step"] == step


def test_wider_stencil_lowers_gradient_noise_on_dense_grids():
    from neurowave.waves import compute_pgd

    rng = np.random.default_rng(1)
    ph = _grid_phase(0.5, 0.0, shape=(40, 40), spacing=0.05, nt=50)  # 12.6 mm waves, 2 mm field
    noisy = ph.copy(
        data=np.angle(np.exp(1j * (ph.values + rng.normal(0, 0.2, ph.shape)))).astype(np.float32)
    )
    pgd1 = float(compute_pgd(compute_phase_gradient(noisy)).median())
    g6 = compute_phase_gradient(noisy, step=6)
    pgd6 = float(compute_pgd(g6).median())
    assert pgd1 < 0.3 and pgd6 > 0.5 and pgd6 > 2 * pgd1
    assert float(g6.dx.mean()) == pytest.approx(0.5, rel=0.05)
    with pytest.raises(ValueError, match="step"):
        compute_phase_gradient(noisy, step=0)


# --- coherent lags: waves much longer than the array --------------------------------


def test_coherent_phase_keeps_the_lags_of_a_stationary_wave_exactly():
    kx, ky = -2.0, 1.5  # several cycles across the array: the array's mean phasor is small
    ph = _grid_phase(kx, ky, nt=400)
    c = compute_coherent_phase(ph, window=0.05)  # 50 samples
    d = np.angle(np.exp(1j * (c.values - ph.values)))
    assert np.abs(d).max() < 1e-4
    assert c.attrs["coherence_window"] == 0.05 and c.dims == ph.dims


@pytest.mark.parametrize("layout", ["utah", "irregular"])
def test_coherent_lags_resolve_a_wave_seventy_times_the_array(layout):
    # 250 mm: 70 times the Utah array, 36 times a jittered 8 x 8 layout at 1 mm
    kw = (
        dict(shape=(8, 8), spacing=1.0, jitter=0.2, sampling_rate=500.0)
        if layout == "irregular"
        else {}
    )
    v, f = 1.0, 4.0
    grid, _truth = simulate_wave(
        "planar",
        layout=layout,
        speed=v,
        direction=70.0,
        frequency=f,
        duration=20.0,
        snr_db=10,
        seed=3,
        dead_sites=4,
        **kw,
    )
    phase = compute_phase(grid, band=(3.4, 4.6))
    step = 4 if layout == "utah" else 3
    mid = slice(grid.sizes["time"] // 4, 3 * grid.sizes["time"] // 4)
    raw = float(compute_pgd(compute_phase_gradient(phase))[mid].median())  # the default
    lag = compute_phase_gradient(compute_coherent_phase(phase, window=5.0), step=step)
    pgd = float(compute_pgd(lag)[mid].median())
    assert pgd > max(0.8, raw + 0.2), (raw, pgd)
    # the mean gradient points against the direction of travel with |k| = 2 pi f / v
    k = 2 * np.pi * f / (v * 1000.0)
    gx = float(lag.dx[mid].mean())
    gy = float(lag.dy[mid].mean())
    assert np.hypot(gx, gy) == pytest.approx(k, rel=0.1)
    ang = np.degrees(np.arctan2(-gy, -gx)) % 360
    assert abs((ang - 70.0 + 180) % 360 - 180) < 10


def test_coherent_phase_is_lazy_and_matches_numpy_for_any_chunking():
    grid, _ = simulate_wave(
        "planar", speed=1.0, direction=0, frequency=4, duration=6.0, snr_db=10, seed=0
    )
    phase = compute_phase(grid, band=(3, 5))
    ref = compute_coherent_phase(phase, window=2.0).values
    for chunk in (500, 3000):
        lazy = compute_coherent_phase(phase.chunk(time=chunk), window=2.0)
        assert hasattr(lazy.data, "dask")
        d = np.angle(np.exp(1j * (lazy.values - ref)))
        assert np.nanmax(np.abs(d)) < 1e-5
        assert np.array_equal(np.isnan(lazy.values), np.isnan(ref))


@pytest.mark.parametrize("window,match", [(0.0005, "2 to"), (100.0, "2 to"), ("5 s", "duration")])
def test_coherent_phase_window_errors_name_the_fix(window, match):
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    phase = compute_phase(grid, band=(8, 12))
    with pytest.raises((ValueError, TypeError), match=match):
        compute_coherent_phase(phase, window=window)
