"""Wavenumber-frequency spectra: simulated plane and standing waves against their truth."""

import warnings

import numpy as np
import pytest
import scipy.fft as sf

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import KWRangeWarning, compute_kw_spectrum, estimate_kw_wave
from neurowave.waves.kw._layout import _spatial_weights
from neurowave.waves.kw._spectrum import _steered_power


def _estimate(grid, band, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        est = estimate_kw_wave(compute_kw_spectrum(grid, band=band, segments=10, **kw))
    return est, [w.message for w in rec if isinstance(w.message, KWRangeWarning)]


def _angle_err(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


# Utah array (10 x 10 at 0.4 mm, corners missing, two more dead sites), 10 dB pink noise:
# the corners of 0.1-1 m/s x 4-40 Hz, off the frequency bins. Wavelengths 2.6-233 mm, i.e.
# up to 65 array widths: all but the shortest are below the FFT's resolution 1/(3.6 mm).
UTAH_CASES = [
    (0.1, 4.3, 20.0, 60.0),
    (0.1, 37.9, 250.0, 60.0),
    (1.0, 37.9, 135.0, 60.0),
    (0.3, 11.7, 300.0, 60.0),
    (1.0, 4.3, 75.0, 120.0),  # 233 mm: the longest, needs the longer recording
]


@pytest.mark.parametrize("speed,freq,direction,duration", UTAH_CASES)
def test_plane_wave_utah(speed, freq, direction, duration):
    grid, truth = simulate_wave(
        "planar",
        layout="utah",
        speed=speed,
        direction=direction,
        frequency=freq,
        duration=duration,
        sampling_rate=500.0,
        snr_db=10.0,
        dead_sites=2,
        seed=3,
    )
    est, warned = _estimate(grid, (freq / 1.6, freq * 1.6))
    assert abs(est.speed / truth.speed - 1) < 0.05
    assert _angle_err(est.direction, truth.direction) < 5.0
    assert abs(est.wavelength / truth.wavelength - 1) < 0.05
    assert abs(est.frequency / freq - 1) < 0.01
    assert est.travelling_index > 0.9
    assert est.speed_ci[0] < est.speed < est.speed_ci[1]
    assert not warned
    assert est.units == "m/s"


# Irregular ECoG (8 x 8 at 10 mm, jitter 0.2 pitch, 3 dead sites), 10 dB pink noise: the
# corners and the interior of 0.1-1 m/s x 4-40 Hz, on and off the frequency bins, in
# several directions. Wavelengths 2.5-250 mm: from a quarter of the pitch (far beyond
# the mean pitch's Nyquist wavenumber, resolved because the jitter leaves no exact
# grating lobe) to 3.5 array widths.
ECOG_CASES = [
    (0.1, 4.0, 40.0),  # 25 mm
    (0.1, 40.0, 130.0),  # 2.5 mm: a quarter pitch
    (1.0, 4.0, 250.0),  # 250 mm
    (1.0, 40.0, 315.0),  # 25 mm, along a diagonal
    (0.1, 37.9, 200.0),
    (1.0, 4.3, 160.0),
    (1.0, 37.9, 290.0),
    (0.3, 11.7, 205.0),
    (0.15, 33.0, 45.0),  # 4.5 mm, along a diagonal
    (0.2, 25.0, 170.0),
    (0.1, 20.0, 300.0),  # 5 mm
    (0.7, 8.0, 60.0),
]


@pytest.mark.parametrize("speed,freq,direction", ECOG_CASES)
def test_plane_wave_irregular_ecog(speed, freq, direction):
    grid, truth = simulate_wave(
        "planar",
        layout="irregular",
        speed=speed,
        direction=direction,
        frequency=freq,
        duration=60.0,
        sampling_rate=500.0,
        snr_db=10.0,
        dead_sites=3,
        seed=4,
    )
    assert grid.dims == ("time", "channel")
    est, warned = _estimate(grid, (freq / 1.6, freq * 1.6))
    assert abs(est.speed / truth.speed - 1) < 0.05
    assert _angle_err(est.direction, truth.direction) < 5.0
    assert abs(est.frequency / freq - 1) < 0.01
    assert est.travelling_index > 0.9
    assert est.speed_ci[0] < est.speed < est.speed_ci[1]
    assert not warned


def test_irregular_layout_is_searched_as_far_as_it_tells_aliases():
    """The search range: the jittered layout's beam pattern against a regular lattice's."""
    from neurowave.waves.kw import ALIAS_LEVEL

    grid, _ = simulate_wave(
        "planar",
        layout="irregular",
        speed=0.1,
        frequency=40.0,
        duration=2.0,
        sampling_rate=500.0,
        seed=4,
    )
    spec = compute_kw_spectrum(grid, band=(25, 64))
    # no sidelobe of the jittered layout reaches the alias level within the range that
    # the band over 0.1 m/s asks for (64 Hz + 2 bins over 100 mm/s): that floor sets it
    assert spec.attrs["k_limited_by"] == "min_speed"
    assert spec.attrs["alias_sidelobe"] < ALIAS_LEVEL
    df = 500.0 / spec.attrs["window"]
    assert spec.attrs["k_search"] == pytest.approx((64.0 + 2 * df) / 100.0, rel=0.02)
    assert spec.attrs["k_search"] > 10 * spec.attrs["k_nyquist"]
    r = spec["k_radius"].values  # each frequency only down to 0.1 m/s
    np.testing.assert_allclose(
        r, np.minimum(spec.attrs["k_search"], (spec.f.values + 2 * df) / 100.0)
    )
    kk = np.hypot(*np.meshgrid(spec.kx.values, spec.ky.values, indexing="ij"))
    far = kk > r[0] + 0.05
    assert np.isnan(spec.values[0][far]).all() and np.isfinite(spec.values[-1][kk < r[-1]]).all()
    # the same sites without jitter: a lattice, whose exact grating lobe at 1/pitch
    # limits it to the Nyquist wavenumber 1/(2 pitch) = 0.05 cycles/mm
    reg, _ = simulate_wave(
        "planar",
        layout="irregular",
        jitter=0.0,
        speed=0.1,
        frequency=40.0,
        duration=2.0,
        sampling_rate=500.0,
        seed=4,
    )
    spec_r = compute_kw_spectrum(reg, band=(25, 64))
    assert spec_r.attrs["k_limited_by"] == "layout"
    assert spec_r.attrs["k_alias_free"] == pytest.approx(0.05, rel=0.05)
    assert spec_r.attrs["k_search"] == pytest.approx(0.05, rel=1e-9)


@pytest.mark.parametrize(
    "jitter,direction,wavelength,freq,warns",
    [
        (0.0, 0.0, 22.0, 20.0, True),  # a lattice given as channels: 0.91 of its Nyquist
        (0.0, 120.0, 23.0, 20.0, True),
        (0.0, 30.0, 40.0, 20.0, False),  # 0.5 of it: clean
        (0.2, 130.0, 2.5, 40.0, False),  # jittered: a quarter pitch is clean
    ],
)
def test_alias_warning_on_channel_layouts(jitter, direction, wavelength, freq, warns):
    grid, truth = simulate_wave(
        "planar",
        layout="irregular",
        jitter=jitter,
        speed=wavelength * freq * 1e-3,
        direction=direction,
        frequency=freq,
        duration=20.0,
        sampling_rate=500.0,
        snr_db=10.0,
        seed=4,
    )
    est, warned = _estimate(grid, (freq / 1.6, freq * 1.6))
    if warns:
        assert "aliased" in [w.reason for w in warned]
    else:
        assert not warned
        assert abs(est.speed / truth.speed - 1) < 0.05
        assert _angle_err(est.direction, truth.direction) < 5.0


def test_irregular_wave_slower_than_the_floor():
    """0.075 m/s at 40 Hz (k = 0.53 cycles/mm): beyond the default search, said so;
    found with ``k_max``."""
    grid, truth = simulate_wave(
        "planar",
        layout="irregular",
        speed=0.075,
        direction=70.0,
        frequency=40.0,
        duration=30.0,
        sampling_rate=500.0,
        snr_db=10.0,
        dead_sites=3,
        seed=4,
    )
    with pytest.warns(KWRangeWarning, match="k_max") as rec:
        estimate_kw_wave(compute_kw_spectrum(grid, band=(25, 64)))
    assert "range" in [w.message.reason for w in rec if isinstance(w.message, KWRangeWarning)]
    est, warned = _estimate(grid, (25, 64), k_max=0.7)
    assert abs(est.speed / truth.speed - 1) < 0.05
    assert _angle_err(est.direction, truth.direction) < 5.0
    assert not warned


def test_irregular_spectrum_is_lazy_on_dask_and_equal_to_numpy():
    grid, _ = simulate_wave(
        "planar",
        layout="irregular",
        speed=0.15,
        direction=100,
        frequency=30,
        duration=10.0,
        sampling_rate=500.0,
        snr_db=10.0,
        dead_sites=3,
        seed=4,
    )
    ref = compute_kw_spectrum(grid, band=(20, 45), segments=3)
    lazy = compute_kw_spectrum(grid.chunk({"time": 1500}), band=(20, 45), segments=3)
    assert hasattr(lazy.data, "dask")
    np.testing.assert_allclose(lazy.values, ref.values, rtol=1e-9, equal_nan=True)
    est = estimate_kw_wave(lazy)
    assert est.speed == pytest.approx(0.15, rel=0.05)


def test_k_max_on_a_regular_grid_is_refused():
    grid, _ = simulate_wave("planar", duration=2.0, seed=0)
    with pytest.raises(ValueError, match=r"irregular layouts only.*drop `k_max`") as exc:
        compute_kw_spectrum(grid, band=(5, 20), k_max=3.0)
    assert _one_sentence(exc.value)


def _standing(speed, freq, direction, layout, duration=30.0, snr_db=10.0):
    kw = dict(layout=layout, speed=speed, frequency=freq, duration=duration, sampling_rate=500.0)
    if layout == "irregular":
        kw["layout_seed"] = 0
    a, _ = simulate_wave("planar", direction=direction, **kw)
    b, _ = simulate_wave("planar", direction=direction + 180.0, **kw)
    noise, _ = simulate_wave("noise", seed=5, **kw)
    # each wave has power 1/2: noise at snr_db below their sum
    return a + b + np.sqrt(1.0 / 10 ** (snr_db / 10)) * noise


@pytest.mark.parametrize(
    "layout,speed,freq",
    [
        ("utah", 0.1, 37.9),  # 2.6 mm: resolved
        ("irregular", 0.3, 8.0),  # 37.5 mm on a 70 mm layout
        ("irregular", 1.0, 11.7),  # 85 mm: longer than the layout
    ],
)
def test_standing_wave_index_near_zero(layout, speed, freq):
    est, _ = _estimate(_standing(speed, freq, 30.0, layout), (freq / 1.6, freq * 1.6))
    assert abs(est.travelling_index) < 0.1
    # a single one of the two waves, same layout and noise: near 1
    grid, _ = simulate_wave(
        "planar",
        layout=layout,
        speed=speed,
        direction=30.0,
        frequency=freq,
        duration=30.0,
        sampling_rate=500.0,
        snr_db=10.0,
        seed=5,
        **({"layout_seed": 0} if layout == "irregular" else {}),
    )
    single, _ = _estimate(grid, (freq / 1.6, freq * 1.6))
    assert single.travelling_index > 0.9


def test_long_standing_wave_is_not_called_travelling():
    """A standing wave 7 times the array's width peaks at k = 0: said so, no index."""
    est, warned = _estimate(_standing(0.3, 11.7, 30.0, "utah"), (7.0, 19.0))
    assert "long" in [w.reason for w in warned]
    assert np.isnan(est.travelling_index)


def test_spectrum_is_the_windowed_3d_fft():
    """On a complete regular grid P is the mean |3-D FFT|^2 of the tapered windows."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 5, 6))
    g = nw.make_grid(x, sampling_rate=100.0, spacing=0.5)
    spec = compute_kw_spectrum(g, window=100, overlap=0.5, n_k=16)
    w = _spatial_weights(nw.grid.site_positions(g), 0.5, "hann").reshape(5, 6)
    taper = np.hanning(101)[:-1]
    taper = 2 * taper / taper.sum()
    acc = 0.0
    for s in range(0, 301, 50):
        win = x[s : s + 100] - x[s : s + 100].mean(0)
        a = sf.fftn(
            win * taper[:, None, None] * w[None], s=(100, 16, 16), axes=(0, 1, 2), norm="backward"
        )
        acc = acc + np.abs(a) ** 2
    # rfft bins 1..50 at +f; FFT over space with exp(-i k x) peaks at -k: flip space
    ref = (acc / 7)[1:51]
    ref = np.roll(ref[:, ::-1, ::-1], 1, axis=(1, 2))  # P(k) = |sum w X exp(+i k x)|^2
    ref = np.fft.fftshift(ref, axes=(1, 2)).transpose(0, 2, 1)  # (f, kx, ky)
    np.testing.assert_allclose(spec.values, ref, rtol=1e-9, atol=1e-12)


def test_dead_sites_fft_route_matches_least_squares_route():
    grid, _ = simulate_wave(
        "planar",
        layout="utah",
        speed=0.05,
        direction=10,
        frequency=10,
        duration=3.0,
        snr_db=0.0,
        dead_sites=5,
        seed=2,
    )
    spec = compute_kw_spectrum(grid, band=(8, 12), n_k=32)
    assert spec.attrs["method"].startswith("windowed 3-D FFT")
    # the same cross-spectra through the least-squares projection at the same k-points
    from neurowave.waves.kw._csd import _csd, _window_starts

    data = grid.values.reshape(grid.sizes["time"], -1)
    valid = np.isfinite(data).all(0)
    pos = nw.grid.site_positions(grid)[valid]
    w = _spatial_weights(pos, 0.4, "hann")
    window = spec.attrs["window"]
    freqs = np.fft.rfftfreq(window, 1e-3)
    fidx = np.flatnonzero((freqs >= 8) & (freqs <= 12))
    starts = _window_starts(data.shape[0], window, window // 2)
    csd, cnt = _csd(
        data, np.flatnonzero(valid), starts, window, window, fidx, np.zeros(len(starts), int), 1
    )
    k = spec.kx.values
    ls = _steered_power(csd[0] / cnt[0], w, pos, k, k).swapaxes(-1, -2)
    np.testing.assert_allclose(spec.values, ls, rtol=1e-8, atol=1e-12 * ls.max())
    # dead sites hold no data and get no weight: the result does not depend on their values
    assert len(spec.attrs["site_x"]) == int(valid.sum()) == 91


def test_lazy_on_dask_and_equal_to_numpy():
    grid, _ = simulate_wave(
        "planar", speed=0.2, direction=200, frequency=12, duration=8.0, snr_db=10, seed=0
    )
    ref = compute_kw_spectrum(grid, band=(8, 16), segments=4)
    lazy = compute_kw_spectrum(grid.chunk({"time": 1500}), band=(8, 16), segments=4)
    assert hasattr(lazy.data, "dask")
    np.testing.assert_allclose(lazy.values, ref.values, rtol=1e-9)
    np.testing.assert_array_equal(lazy["n_windows"].values, ref["n_windows"].values)
    a, b = estimate_kw_wave(lazy), estimate_kw_wave(ref)
    assert a.speed == pytest.approx(b.speed, rel=1e-9)


def test_segments_average_to_the_whole():
    grid, _ = simulate_wave("planar", speed=0.2, frequency=12, duration=6.0, snr_db=10, seed=0)
    whole = compute_kw_spectrum(grid, band=(8, 16))
    seg = compute_kw_spectrum(grid, band=(8, 16), segments=3)
    mean = seg.weighted(seg["n_windows"]).mean("segment")
    np.testing.assert_allclose(
        mean.values, whole.values, rtol=1e-9, atol=1e-12 * float(whole.max())
    )
    assert int(seg["n_windows"].sum()) == whole.attrs["n_windows"]


def test_units_and_model_grid():
    grid, _truth = simulate_wave(
        "planar",
        layout="grid",
        shape=(16, 16),
        spacing=1.0,
        speed=0.4,
        direction=45,
        frequency=0.05,
        duration=800,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        snr_db=10,
        seed=1,
    )
    spec = compute_kw_spectrum(grid, band=(0.03, 0.08), segments=5)
    assert spec.f.attrs["units"] == "cycles/step"
    assert spec.kx.attrs["units"] == "cycles/cell"
    est, _ = _estimate(grid, (0.03, 0.08))
    assert est.units == "cells/step"
    assert est.speed == pytest.approx(0.4, rel=0.05)
    assert _angle_err(est.direction, 45.0) < 5


def test_amplitude_scaling():
    """A noise-free plane wave of amplitude A at a bin centre peaks at A**2."""
    grid, _ = simulate_wave("planar", speed=0.01, frequency=10, duration=4.0, amplitude=2.0, seed=0)
    spec = compute_kw_spectrum(grid, band=(5, 15), window=500, taper="boxcar")
    est = estimate_kw_wave(spec)
    assert est.peak_power == pytest.approx(4.0, rel=1e-3)
    assert est.coherence == pytest.approx(1.0, abs=1e-3)


# Regular grids: a peak whose component along a grid axis is within max(0.2, 1/n) of the
# Nyquist wavenumber 1/(2 pitch) merges with its alias and must warn; along a diagonal
# |k| may reach sqrt(2) times further before it does. (layout, direction, the larger
# axis component as a fraction of Nyquist, warns)
ALIAS_CASES = [
    ("utah", 0.0, 0.90, True),
    ("utah", 45.0, 0.90, True),  # |k| = 1.27 Nyquist
    ("utah", 30.0, 0.85, True),
    ("utah", 120.0, 0.95, True),
    ("utah", 200.0, 0.82, True),
    ("utah", 0.0, 1.10, True),  # beyond Nyquist: folds back next to it
    ("grid8", 0.0, 0.90, True),
    ("grid8", 45.0, 0.90, True),
    ("grid8", 120.0, 0.95, True),
    ("utah", 45.0, 0.74, False),  # |k| = 1.05 Nyquist along the diagonal: clean
    ("utah", 0.0, 0.60, False),
    ("utah", 135.0, 0.70, False),
    ("grid8", 60.0, 0.70, False),
]


@pytest.mark.parametrize("layout,direction,frac,warns", ALIAS_CASES)
def test_alias_warning_on_regular_grids(layout, direction, frac, warns):
    pitch, kw = (
        (0.4, {"layout": "utah"})
        if layout == "utah"
        else (10.0, {"layout": "grid", "shape": (8, 8), "spacing": 10.0})
    )
    th = np.radians(direction)
    k = frac / (2 * pitch) / max(abs(np.cos(th)), abs(np.sin(th)))
    speed = 10.0 / k * 1e-3  # 10 Hz
    grid, truth = simulate_wave(
        "planar",
        speed=speed,
        direction=direction,
        frequency=10.0,
        duration=20.0,
        sampling_rate=500.0,
        snr_db=10,
        seed=0,
        **kw,
    )
    est, warned = _estimate(grid, (6, 16))
    reasons = [w.reason for w in warned]
    if warns:
        assert "aliased" in reasons
        assert any("Nyquist" in str(w) for w in warned if w.reason == "aliased")
    else:
        assert not warned
        assert abs(est.speed / truth.speed - 1) < 0.05
        assert _angle_err(est.direction, truth.direction) < 5.0


def test_no_interval_without_segments():
    grid, _ = simulate_wave("planar", speed=0.1, frequency=10, duration=4.0, snr_db=10, seed=0)
    est = estimate_kw_wave(compute_kw_spectrum(grid, band=(5, 15)))
    assert est.interval is None and np.isnan(est.speed_ci[0])
    d = est.to_dict()
    assert d["speed_ci"] == [None, None] and d["speed"] == pytest.approx(0.1, rel=0.05)


# ----------------------------------------------------------------------- bad input


def _one_sentence(msg):
    msg = str(msg)
    return msg.count(". ") == 0 and msg.endswith(".")


def test_single_site_is_refused():
    g = nw.make_grid(np.random.default_rng(0).standard_normal((1000, 1, 1)), sampling_rate=1000.0)
    with pytest.raises(ValueError, match="at least 3 sites") as exc:
        compute_kw_spectrum(g)
    assert _one_sentence(exc.value)


def test_band_above_nyquist_is_refused():
    grid, _ = simulate_wave("planar", duration=2.0, seed=0)
    with pytest.raises(ValueError, match=r"Nyquist.*lower upper edge"):
        compute_kw_spectrum(grid, band=(10, 600))


@pytest.mark.parametrize("shape", [(2, 10), (2, 2)])
def test_layout_too_small_is_refused(shape):
    g = nw.make_grid(
        np.random.default_rng(0).standard_normal((1000,) + shape), sampling_rate=1000.0, spacing=0.4
    )
    with pytest.raises(ValueError, match=r"resolves no wavenumber.*three sites wide") as exc:
        compute_kw_spectrum(g)
    assert _one_sentence(exc.value)


def test_sites_on_a_line_are_refused():
    g = nw.make_channel_grid(
        np.random.default_rng(0).standard_normal((500, 6)),
        sampling_rate=500.0,
        x=np.arange(6.0),
        y=np.zeros(6),
    )
    with pytest.raises(ValueError, match="lie on a line"):
        compute_kw_spectrum(g)


def test_recording_shorter_than_window_is_refused():
    grid, _ = simulate_wave("planar", duration=0.5, seed=0)
    with pytest.raises(ValueError, match="record longer"):
        compute_kw_spectrum(grid.isel(time=slice(0, 400)), band=(5.5, 20))


def test_estimate_needs_a_spectrum():
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(TypeError, match="compute_kw_spectrum"):
        estimate_kw_wave(grid)


def test_plot_shows_the_ridge_on_the_side_of_travel():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neurowave.waves import plot_kw_spectrum

    grid, truth = simulate_wave(
        "planar", speed=0.04, direction=120, frequency=10, duration=6.0, snr_db=10, seed=0
    )
    spec = compute_kw_spectrum(grid, band=(5, 20))
    fig = plot_kw_spectrum(spec)
    ax0, ax1 = fig.axes[0], fig.axes[1]
    mesh = ax0.collections[0]
    kline = np.linspace(-1.25, 1.25, 161)
    img = np.asarray(mesh.get_array()).reshape(spec.sizes["f"], len(kline))
    i, j = np.unravel_index(np.argmax(img), img.shape)
    assert float(spec.f[i]) == pytest.approx(10.0)
    assert kline[j] == pytest.approx(1 / truth.wavelength, abs=0.02)  # +k: the way it travels
    assert img[i, len(kline) - 1 - j] < img[i, j] - 3  # at least 3 dB less at -k
    assert "120 deg" in ax1.get_title()
    plt.close(fig)


# --------------------------------------------------------------------- example recordings


@pytest.mark.realdata
def test_widefield_kw_memory_follows_the_k_grid_not_the_sites(data_dir):
    """The 100 x 100 widefield stack (5105 valid pixels): the cross-spectral method
    allocated a (6, 4, 10000, 10000) complex array (35.8 GiB) and died with a
    MemoryError. The spatial FFT of each window holds a few k-grids and batches of
    windows: the peak of the allocations stays below the size of the recording itself
    (whose analysis holds several arrays of that size)."""
    import tracemalloc

    from neurowave import datasets
    from neurowave.waves import kw_summary

    g = datasets.load_widefield_mouse()
    band = (1.07, 1.44)
    tracemalloc.start()
    try:
        block, spec = kw_summary(g, band=band)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < g.nbytes, (peak / 2**20, g.nbytes / 2**20)
    assert block["computed"] and spec.attrs["layout"] == "grid"
    assert spec.sizes["kx"] == spec.sizes["ky"] == 199  # 2 n - 1 for 100 pixels a side
    assert block["regime"] in ("resolved", "sub-resolution")
    assert 1.07 <= block["frequency"] <= 1.44


@pytest.mark.realdata
def test_utah_kw_peak_is_sub_resolution_without_an_interval(data_dir):
    """The Utah seizure's k-omega peak (0.037 cycles/mm) lies far below the array's
    resolution (1 / 3.6 mm = 0.278): the block keeps the point estimate but gives no
    speed interval (the jackknife measured only the main lobe's curvature), a lower
    bound instead, and a note; the plot says so instead of printing a speed."""
    import matplotlib

    matplotlib.use("Agg")
    from neurowave import datasets
    from neurowave.waves import kw_summary, plot_kw_spectrum

    g = datasets.load_seizure_utah()
    block, spec = kw_summary(g, band=(3.65, 4.94))
    assert block["regime"] == "sub-resolution"
    assert block["wavenumber"] < 0.5 * block["k_resolution"]
    assert block["speed_ci"] == [None, None] and block["wavelength_ci"] == [None, None]
    assert block["speed_lower_bound"] == pytest.approx(
        block["frequency"] / block["k_resolution"] * 1e-3, rel=1e-9
    )
    assert "sub-resolution" in block["note"] and "no speed interval" in block["note"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KWRangeWarning)
        fig = plot_kw_spectrum(spec)
    title = fig.axes[0].get_title()
    assert "sub-resolution" in title and "m/s" not in title
    assert f"{block['frequency']:.3g}" in fig.axes[1].get_title()  # the peak, not the bin


@pytest.mark.realdata
def test_strip_kw_is_skipped_with_a_note(data_dir):
    """Six contacts on a line resolve no wavenumber across it: kw_summary says so
    instead of raising, so that `analyze --kw` returns the rest of the analysis."""
    from neurowave import datasets
    from neurowave.waves import kw_summary

    g = datasets.load_ecog_strip_bids()
    block, spec = kw_summary(g, band=(15.0, 21.0))
    assert spec is None and block["computed"] is False
    assert block["regime"] == "not computed" and "resolves no wavenumber" in block["note"]
    with pytest.raises(ValueError, match="resolves no wavenumber"):
        compute_kw_spectrum(g, band=(15.0, 21.0))  # the spectrum itself still refuses


def test_a_large_irregular_layout_is_thinned_to_bound_memory(monkeypatch):
    """An irregular layout's cross-spectra grow with the square of its sites: beyond
    the bound, sites spread over the layout are kept (farthest-point sampling), the
    spectrum records how many, and the wave is still measured."""
    from neurowave.waves.kw import _spectrum
    from neurowave.waves.kw._spectrum import _farthest_points

    grid, truth = simulate_wave(
        "planar",
        layout="irregular",
        speed=0.3,
        direction=40,
        frequency=8,
        duration=20.0,
        snr_db=10,
        seed=2,
    )
    n_valid = grid.sizes["channel"]
    full = estimate_kw_wave(compute_kw_spectrum(grid, band=(6, 10), segments=5))
    monkeypatch.setattr(_spectrum, "MAX_CSD_BYTES", 5 * 5 * 16 * 40**2)
    spec = compute_kw_spectrum(grid, band=(6, 10), segments=5)
    assert spec.sizes["f"] == 5 and spec.attrs["sites_thinned"] == [40, n_valid]
    assert len(spec.attrs["site_x"]) == 40
    est = estimate_kw_wave(spec)
    assert est.speed == pytest.approx(truth.speed, rel=0.05)
    assert est.speed == pytest.approx(full.speed, rel=0.05)
    assert abs(est.direction - truth.direction) < 5
    # the kept sites cover the layout: its extent is the whole array's
    pos = np.column_stack([grid.x.values, grid.y.values])
    keep = _farthest_points(pos, 10)
    assert len(np.unique(keep)) == 10
    assert np.ptp(pos[keep], axis=0) == pytest.approx(np.ptp(pos, axis=0), rel=0.2)
