"""Delay-based plane fit (Martinet et al. 2017) on plane waves with known speed."""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import compute_delays, fit_delay_plane


def broadband_plane(
    speed, direction, *, snr_db=10.0, duration=10.0, fs=500.0, seed=0, band=(0.5, 40.0)
):
    """A broadband (0.5-40 Hz) signal travelling as a plane wave over a Utah array
    (exact fractional delays in the Fourier domain) plus pink noise at ``snr_db``."""
    rng = np.random.default_rng(seed)
    n = int(duration * fs)
    f = np.fft.rfftfreq(n, 1 / fs)
    s = np.fft.rfft(rng.standard_normal(n))
    s[(f < band[0]) | (f > band[1])] = 0
    yy, xx = np.mgrid[0:10, 0:10] * 0.4
    th = np.deg2rad(direction)
    tau = (xx * np.cos(th) + yy * np.sin(th)).ravel() / (speed * 1000.0)  # s
    x = np.fft.irfft(s[:, None] * np.exp(-2j * np.pi * f[:, None] * tau[None]), n=n, axis=0)
    x /= x.std()
    ff = f.copy()
    ff[0] = ff[1]
    noise = np.fft.irfft(
        np.fft.rfft(rng.standard_normal(x.shape), axis=0) / np.sqrt(ff)[:, None], n=n, axis=0
    )
    x = x + noise / noise.std() * np.sqrt(10 ** (-snr_db / 10))
    x = x.reshape(n, 10, 10)
    x[:, [0, 0, -1, -1], [0, -1, 0, -1]] = np.nan
    return nw.make_grid(x, sampling_rate=fs, spacing=0.4)


@pytest.mark.parametrize("speed,direction", [(0.3, 30.0), (0.5, 250.0), (0.15, 100.0)])
def test_plane_speed_within_10_percent(speed, direction):
    fit = fit_delay_plane(
        broadband_plane(speed, direction, seed=int(direction)), band=(1, 13), n_boot=200
    )
    assert abs(fit.speed - speed) / speed < 0.10, fit.speed
    d = (fit.direction - direction + 180) % 360 - 180
    assert abs(d) < 5
    assert fit.p_value < 1e-10
    assert fit.units == "m/s"
    lo, hi = fit.speed_ci
    assert lo < fit.speed < hi
    assert fit.n_sites >= 80  # of 96: a few sites lack a significant phase slope
    assert fit.to_dict()["speed"] == pytest.approx(fit.speed)


def test_narrowband_simulator_needs_phase_method():
    """A single sinusoid carries no phase slope over frequency: the slope method finds no
    significant plane, the phase method recovers the speed."""
    grid, _truth = simulate_wave(
        "planar",
        speed=0.3,
        direction=60.0,
        frequency=10.0,
        duration=10.0,
        sampling_rate=500.0,
        snr_db=10,
        seed=0,
    )
    fit = fit_delay_plane(grid, band=(6, 14), method="phase", n_boot=0)
    assert abs(fit.speed - 0.3) / 0.3 < 0.10
    assert abs((fit.direction - 60.0 + 180) % 360 - 180) < 5
    assert np.isnan(fit_delay_plane(grid, band=(6, 14), n_boot=0).speed)


def test_no_wave_no_plane():
    grid, _ = simulate_wave("noise", duration=10.0, sampling_rate=500.0, seed=3)
    fit = fit_delay_plane(grid, band=(1, 13), n_boot=0)
    assert np.isnan(fit.speed)


def test_delays_reference_and_dead_sites():
    g = broadband_plane(0.3, 0.0, duration=6.0, snr_db=20.0)
    d = compute_delays(g, band=(1, 13))
    ref = d.attrs["reference"]
    assert d.delay.values.ravel()[ref] == 0.0
    # corners are dead: NaN delays; delays grow along +x by 0.4 mm / 300 mm/s per column
    assert np.isnan(d.delay.values[0, 0])
    step = np.nanmedian(np.diff(d.delay.values, axis=1))
    assert step == pytest.approx(0.4 / 300.0, rel=0.1)
    with pytest.raises(ValueError, match="Nyquist"):
        compute_delays(g, band=(1, 300))
    with pytest.raises(ValueError, match="method"):
        compute_delays(g, band=(1, 13), method="xcorr")


@pytest.mark.realdata
def test_utah_seizure_methods_agree_on_direction(data_dir):
    """Human Utah seizure (Martinet et al. 2017), 1-13 Hz: per-frame plane fits, optical
    flow, the PGD-based analysis and the whole-epoch delay plane all point the same way
    (within 30 deg); the delay plane is significant. Delay (group) speeds exceed phase
    speeds on this recording (see the docs' method comparison)."""
    from neurowave.datasets import load_seizure_utah
    from neurowave.waves import analyze, compute_optical_flow, fit_plane

    g = load_seizure_utah()
    res = analyze(g, band=(1.0, 13.0), n_surrogates=19)
    trim = res.summary["params"]["edge_trim"]
    ph = res.phase.isel(time=slice(trim, g.sizes["time"] - trim))
    wave = res.frames.is_wave.values

    def circ(deg):
        deg = np.asarray(deg, float)
        deg = deg[np.isfinite(deg)]
        return float(np.degrees(np.angle(np.exp(1j * np.deg2rad(deg)).mean())) % 360)

    pf = fit_plane(ph)
    fl = compute_optical_flow(ph)
    vx = fl.vx.mean(("y", "x")).values
    vy = fl.vy.mean(("y", "x")).values
    dp = fit_delay_plane(g, band=(1.0, 13.0), n_boot=100)
    dirs = {
        "pgd": res.summary["summary"]["direction"]["mean_deg"],
        "plane": circ(pf.direction.values[wave]),
        "flow": circ(np.degrees(np.arctan2(vy, vx))[wave]),
        "delay": dp.direction,
    }
    for _name, d in dirs.items():
        assert abs((d - dirs["delay"] + 180) % 360 - 180) < 30, dirs
    assert dp.p_value < 1e-6 and dp.n_sites >= 80
    phase_speed = float(np.nanmedian(pf.speed.values[wave]))
    assert 0.02 < phase_speed < dp.speed, (phase_speed, dp.speed)


def test_taper_count_tolerates_rounding_of_the_duration():
    """5000 samples at 500.0056 Hz last 9.99989 s: 2 W T - 1 = 38.9996 for W = 2 Hz,
    which must give the 39 tapers of 10 s (Martinet et al.'s TW = 20), not 38."""
    from neurowave.waves import n_tapers

    assert n_tapers(2.0 * 5000 / 500.0056) == 39
    assert n_tapers(20.0) == 39
    assert n_tapers(19.9) == 38  # a real shortfall still counts
    g = broadband_plane(0.3, 0.0, duration=5000 / 500.0056, fs=500.0056)
    assert compute_delays(g, band=(1, 13)).attrs["n_tapers"] == 39


def test_run_of_coherence_must_be_longer_than_the_minimum():
    """A delay needs MORE than ceil(min_run / df) significant bins (their rule)."""
    from neurowave.waves.delays import _delay_from_phase

    f = np.arange(40) * 0.1  # df = 0.1 Hz; min_run 3 Hz -> 30 bins
    phi = 2 * np.pi * 0.004 * f  # a 4 ms delay
    need = int(np.ceil(3.0 / 0.1))
    for run, ok in ((need, False), (need + 1, True)):
        sig = np.zeros(40, bool)
        sig[2 : 2 + run] = True
        d = _delay_from_phase(phi, f, sig, need, 0.05, "slope")[0]
        assert np.isfinite(d) == ok, run
        if ok:
            assert d == pytest.approx(0.004)


def test_reference_choices():
    g = broadband_plane(0.3, 45.0, duration=4.0, snr_db=20.0)
    n = g.sizes["y"] * g.sizes["x"]
    # the default: the valid site nearest the centroid of the valid sites
    assert compute_delays(g, band=(1, 13)).attrs["reference"] in (44, 45, 54, 55)
    assert compute_delays(g, band=(1, 13), reference=12).attrs["reference"] == 12
    assert compute_delays(g, band=(1, 13), reference=-1 - 10).attrs["reference"] == n - 11
    with pytest.raises(nw.NeurowaveError, match="dead"):
        compute_delays(g, band=(1, 13), reference=0)  # a dead corner
    with pytest.raises(nw.NeurowaveError, match="'center', 'martinet'"):
        compute_delays(g, band=(1, 13), reference="middle")
    # named channels: the reference is a channel name
    g.attrs["channels"] = [f"e{k}" for k in range(n)]
    assert compute_delays(g, band=(1, 13), reference="e23").attrs["reference"] == 23
    # the authors' choice: nearest the mean of every electrode's position, ties broken
    # by their running sums over the file's channel order
    g.attrs["channel_order"] = [f"e{k}" for k in (55, 44, 45, 54)] + [
        f"e{k}" for k in range(n) if k not in (0, 9, 90, 99, 44, 45, 54, 55)
    ]
    assert compute_delays(g, band=(1, 13), reference="martinet").attrs["reference"] in (
        44,
        45,
        54,
        55,
    )


@pytest.mark.realdata
def test_utah_seizure_reproduces_martinet_et_al(data_dir):
    """Their MATLAB code (Seizure-Waves, Chronux 2.12, run unmodified in Octave) on
    example_seizure_waves.mat, 1-13 Hz, the whole 10 s, reference electrode 44: 0.204 m/s
    [0.174, 0.250], 200.3 deg [189.2, 211.1] (their src_dir 20.3 deg + 180), 87 sites
    with a delay. Within 1 % in speed and 0.5 deg in direction; the intervals, drawn as
    theirs from the fit's normal distribution, within 2 % and 1 deg."""
    from neurowave.datasets import load_seizure_utah

    g = load_seizure_utah()
    fit = fit_delay_plane(g, band=(1.0, 13.0), reference="martinet", ci="model", n_boot=20000)
    assert fit.delays.attrs["reference"] == g.attrs["channels"].index("ch44")
    assert fit.delays.attrs["n_tapers"] == 39
    assert abs(fit.speed - 0.204) / 0.204 < 0.01, fit.speed
    assert abs((fit.direction - 200.3 + 180) % 360 - 180) < 0.5, fit.direction
    assert fit.n_sites == 87
    assert fit.p_value < 1e-6
    for got, want in zip(fit.speed_ci, (0.174, 0.250), strict=True):
        assert abs(got - want) / want < 0.02, fit.speed_ci
    for got, want in zip(fit.direction_ci, (189.2, 211.1), strict=True):
        assert abs(got - want) < 1.0, fit.direction_ci
    # the same electrode named, or given by its index, gives the same fit
    for ref in ("ch44", g.attrs["channels"].index("ch44")):
        f2 = fit_delay_plane(g, band=(1.0, 13.0), reference=ref, n_boot=0)
        assert (f2.speed, f2.direction, f2.n_sites) == (fit.speed, fit.direction, fit.n_sites)
