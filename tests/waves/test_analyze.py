"""analyze: accuracy sweeps against analytic truth, noise, the JSON summary, bad input."""

import json
import warnings

import numpy as np
import pytest

from neurowave.datasets import simulate_wave
from neurowave.waves import LongWaveWarning, analyze

UTAH_EXTENT = 3.6  # mm
ECOG_PITCH = 10.0  # mm


def _circ_deg(a):
    return abs((a + 180.0) % 360.0 - 180.0)


def _cases(n, seed, *, v_range, lam_min, lam_max, f_range=(4.0, 40.0)):
    """(speed m/s, direction deg, frequency Hz) drawn with a fixed seed.

    Frequencies are log-uniform over ``f_range``; speeds log-uniform over the part of
    ``v_range`` whose wavelength ``v / f`` lies in ``[lam_min, lam_max]`` mm: the array
    must resolve the wave (spatial Nyquist: lam >= 2 pitches) and the wave must advance
    a measurable phase across the array at the given noise level.
    """
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        f = float(np.exp(rng.uniform(*np.log(f_range))))
        lo = max(v_range[0], lam_min * f / 1000.0)
        hi = min(v_range[1], lam_max * f / 1000.0)
        if lo >= hi:
            continue
        v = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        out.append((round(v, 3), round(float(rng.uniform(0, 360)), 1), round(f, 2)))
    return out


# Utah array (10x10 at 0.4 mm, 3.6 mm across): 0.1-1 m/s, 4-40 Hz. At 10 dB the wave
# must be at most ~17 array widths long (60 mm), at 0 dB ~7 (25 mm); the shortest waves
# (0.1 m/s at 35-40 Hz) are 2.5-3 mm, shorter than the array.
UTAH_10DB = [(0.1, 17.0, 38.0), (0.12, 250.0, 35.0)] + _cases(
    8, 10, v_range=(0.1, 1.0), lam_min=2.0, lam_max=60.0
)
UTAH_0DB = [(0.1, 300.0, 40.0)] + _cases(6, 0, v_range=(0.1, 1.0), lam_min=2.0, lam_max=25.0)
# Jittered 8x8 ECoG-like layout at 10 mm (70 mm across): 0.3-3 m/s; wavelengths from 3
# pitches (30 mm, shorter than the array) to ~11 array widths.
ECOG_10DB = [(0.3, 45.0, 9.0)] + _cases(6, 20, v_range=(0.3, 3.0), lam_min=30.0, lam_max=800.0)
ECOG_0DB = [(0.3, 200.0, 8.0)] + _cases(5, 30, v_range=(0.3, 3.0), lam_min=30.0, lam_max=800.0)


def _check(layout, snr_db, v, direction, f, tol_speed, tol_deg, seed):
    kw = dict(
        layout=layout,
        speed=v,
        direction=direction,
        frequency=f,
        duration=3.0,
        snr_db=snr_db,
        noise="pink",
        seed=seed,
    )
    if layout == "irregular":
        kw.update(shape=(8, 8), spacing=ECOG_PITCH, jitter=0.2, sampling_rate=500.0)
    grid, truth = simulate_wave("planar", **kw)
    res = analyze(grid, n_surrogates=19, classify=False)
    s = res.summary["summary"]
    assert s["wave_fraction"] > 0.5, (truth, s["wave_fraction"])
    assert s["speed"]["median"] == pytest.approx(v, rel=tol_speed), (truth, s["speed"])
    assert _circ_deg(s["direction"]["mean_deg"] - truth.direction) < tol_deg, truth
    assert s["speed"]["units"] == "m/s"


@pytest.mark.parametrize("v,direction,f", UTAH_10DB)
def test_utah_plane_waves_at_10db(v, direction, f):
    _check("utah", 10.0, v, direction, f, 0.10, 10.0, seed=int(f * 100))


@pytest.mark.parametrize("v,direction,f", UTAH_0DB)
def test_utah_plane_waves_at_0db(v, direction, f):
    _check("utah", 0.0, v, direction, f, 0.20, 20.0, seed=int(f * 100) + 1)


@pytest.mark.parametrize("v,direction,f", ECOG_10DB)
def test_irregular_ecog_plane_waves_at_10db(v, direction, f):
    _check("irregular", 10.0, v, direction, f, 0.10, 10.0, seed=int(f * 100) + 2)


@pytest.mark.parametrize("v,direction,f", ECOG_0DB)
def test_irregular_ecog_plane_waves_at_0db(v, direction, f):
    _check("irregular", 0.0, v, direction, f, 0.20, 20.0, seed=int(f * 100) + 3)


# Waves much longer than the Utah array (60-250 mm, up to 70 array widths: 1 m/s at
# 4 Hz advances 0.09 rad across it) are stationary here, and their per-frame gradients
# are noise. The test does what a user does: the default analysis names the settings
# (LongWaveWarning, from the whole recording's lag map), and the rerun with them must
# meet the tolerance. The data they need: a minute at 10 dB, two at 0 dB.
UTAH_LONG_10DB = [(1.0, 123.0, 4.0), (0.9, 300.0, 4.5)] + _cases(
    4, 40, v_range=(0.1, 1.0), lam_min=60.0, lam_max=250.0
)
UTAH_LONG_0DB = [(1.0, 200.0, 4.0), (0.9, 300.0, 4.5)] + _cases(
    3, 41, v_range=(0.1, 1.0), lam_min=25.0, lam_max=250.0
)


def _check_long(snr_db, v, direction, f, tol_speed, tol_deg, seed, duration):
    grid, truth = simulate_wave(
        "planar",
        layout="utah",
        speed=v,
        direction=direction,
        frequency=f,
        duration=duration,
        snr_db=snr_db,
        noise="pink",
        seed=seed,
        dead_sites=2,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(grid, n_surrogates=19, classify=False)
    hints = [w.message for w in caught if isinstance(w.message, LongWaveWarning)]
    if truth.wavelength >= 100.0:  # 28+ array widths: the default cannot resolve it
        assert res.summary["summary"]["wave_fraction"] < 0.5 and hints, truth
    if hints:
        assert hints[0].wavelength == pytest.approx(truth.wavelength, rel=0.25)
        res = analyze(grid, n_surrogates=19, classify=False, **hints[0].settings)
        assert res.summary["params"]["gradient_window"] == hints[0].settings["gradient_window"]
    s = res.summary["summary"]
    assert s["wave_fraction"] > 0.5, (truth, s["wave_fraction"])
    assert s["speed"]["median"] == pytest.approx(v, rel=tol_speed), (truth, s["speed"])
    assert _circ_deg(s["direction"]["mean_deg"] - truth.direction) < tol_deg, truth


@pytest.mark.parametrize("v,direction,f", UTAH_LONG_10DB)
def test_utah_waves_much_longer_than_the_array_at_10db(v, direction, f):
    _check_long(10.0, v, direction, f, 0.10, 10.0, int(f * 100) + 4, duration=60.0)


@pytest.mark.parametrize("v,direction,f", UTAH_LONG_0DB)
def test_utah_waves_much_longer_than_the_array_at_0db(v, direction, f):
    _check_long(0.0, v, direction, f, 0.20, 20.0, int(f * 100) + 5, duration=120.0)


def test_no_long_wave_hint_for_noise_synchronous_or_resolved_waves():
    for pattern, kw in (
        ("noise", {}),
        ("synchronous", {"frequency": 4.0}),
        ("planar", {"speed": 0.3, "frequency": 10.0}),
    ):
        grid, _ = simulate_wave(pattern, duration=12.0, snr_db=10, seed=2, **kw)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            analyze(grid, n_surrogates=19, classify=False)
        assert not [w for w in caught if isinstance(w.message, LongWaveWarning)], pattern


def test_sweeps_cover_the_ranges_and_short_waves():
    utah = UTAH_10DB + UTAH_0DB + UTAH_LONG_10DB + UTAH_LONG_0DB
    lam = np.array([c[0] * 1000 / c[2] for c in utah])
    assert lam.max() >= 240 and lam.min() <= 3  # 1 m/s at 4 Hz ... 0.1 m/s at 40 Hz
    assert any(c[0] >= 0.9 and c[2] <= 4.5 for c in UTAH_LONG_0DB)  # the corner at 0 dB
    for cases, extent, vr in (
        (UTAH_10DB + UTAH_0DB, UTAH_EXTENT, (0.1, 1.0)),
        (ECOG_10DB + ECOG_0DB, 7 * ECOG_PITCH, (0.3, 3.0)),
    ):
        v = np.array([c[0] for c in cases])
        f = np.array([c[2] for c in cases])
        lam = v * 1000 / f
        assert v.min() <= 1.5 * vr[0] and v.max() >= 0.5 * vr[1]
        assert f.min() <= 8 and f.max() >= 30
        assert (lam < extent).sum() >= 2  # several cycles across the array


@pytest.mark.parametrize("layout", ["utah", "irregular"])
def test_noise_alone_is_not_a_wave(layout):
    grid, _ = simulate_wave("noise", layout=layout, duration=4.0, seed=11, dead_sites=3)
    res = analyze(grid, classify=False)  # default threshold and surrogates
    assert res.summary["summary"]["wave_fraction"] <= 0.1


def test_summary_has_exactly_the_design_keys_and_round_trips_to_json(tmp_path):
    grid, truth = simulate_wave(
        "planar",
        speed=0.2,
        direction=120,
        frequency=12,
        duration=3.0,
        snr_db=10,
        seed=0,
        dead_sites=2,
    )
    res = analyze(grid, n_surrogates=19)
    s = res.summary
    assert set(s) >= {"neurowave_version", "input", "params", "summary"}
    # positions_source: where the sites' positions came from (echoed for every input)
    assert set(s["input"]) == {
        "path",
        "format",
        "kind",
        "positions_source",
        "n_sites",
        "n_valid_sites",
        "grid_shape",
        "sampling_rate",
        "duration",
        "spacing",
        "time_units",
        "space_units",
    }
    assert s["input"]["positions_source"] == "the grid's own x, y coordinates"
    assert {"band", "phase_method", "pgd_threshold"} <= set(s["params"])
    assert s["params"]["band_source"] == "data"
    lo, hi = s["params"]["band"]
    assert lo < 12 < hi
    sm = s["summary"]
    assert set(sm) >= {
        "frequency",
        "pgd",
        "wave_fraction",
        "speed",
        "direction",
        "wavelength",
        "patterns",
        "events",
    }
    assert set(sm["speed"]) == {"median", "q25", "q75", "units"}
    assert set(sm["direction"]) == {"mean_deg", "resultant_length"}
    assert set(sm["pgd"]) == {"median", "p90"}
    assert set(sm["patterns"]) == {
        "planar",
        "radial_out",
        "radial_in",
        "rotating",
        "synchronous",
        "other",
    }
    assert sum(sm["patterns"].values()) == pytest.approx(1.0)
    assert sm["patterns"]["planar"] > 0.9
    assert sm["frequency"]["median"] == pytest.approx(12, rel=0.02)
    assert sm["wavelength"]["median"] == pytest.approx(truth.wavelength, rel=0.05)
    assert s["input"]["n_valid_sites"] == 94 and s["input"]["grid_shape"] == [10, 10]
    assert sm["events"]["n"] >= 1
    fr = res.frames
    for v in (
        "pgd",
        "p_value",
        "is_wave",
        "speed",
        "direction",
        "wavelength",
        "frequency",
        "pattern",
        "rotation",
    ):
        assert v in fr and fr[v].dims == ("time",)
    out = tmp_path / "a.json"
    text = res.to_json(out)
    assert json.loads(out.read_text()) == json.loads(text)


def test_model_grid_reports_cells_per_step():
    grid, _ = simulate_wave(
        "planar",
        layout="grid",
        shape=(16, 16),
        spacing=1.0,
        speed=0.5,
        direction=270,
        frequency=0.05,
        duration=300,
        sampling_rate=1.0,
        time_units="step",
        space_units="cell",
        seed=0,
    )
    res = analyze(grid, band=(0.04, 0.06), n_surrogates=19, classify=False)
    s = res.summary["summary"]
    assert s["speed"]["units"] == "cells/step" and s["wavelength"]["units"] == "cell"
    assert s["speed"]["median"] == pytest.approx(0.5, rel=0.02)
    assert _circ_deg(s["direction"]["mean_deg"] - 270) < 1


@pytest.mark.parametrize(
    "pattern,rotation",
    [("radial_out", 1), ("radial_in", 1), ("rotating", 1), ("rotating", -1), ("synchronous", 1)],
)
def test_patterns_end_to_end(pattern, rotation):
    grid, _ = simulate_wave(
        pattern,
        layout="grid",
        shape=(10, 10),
        spacing=0.4,
        speed=0.05,
        frequency=10,
        rotation=rotation,
        duration=1.5,
        snr_db=10,
        seed=3,
    )
    res = analyze(grid, band=(8, 12), n_surrogates=19)
    fr = res.summary["summary"]["patterns"]
    assert fr[pattern] > 0.8, fr
    if pattern == "rotating":
        rot = res.frames["rotation"].values[res.frames["pattern"].values == "rotating"]
        assert np.mean(rot == rotation) > 0.9


@pytest.mark.parametrize(
    "make,exc,match",
    [
        (lambda g: g.rename(time="t"), ValueError, "time axis"),
        (lambda g: g.isel(x=0), ValueError, "dims"),
        (lambda g: g * np.nan, ValueError, "all NaN"),
        (lambda g: g.where(g.x == g.x[1]).where(g.y == g.y[1]), ValueError, "valid site"),
        (lambda g: g.to_dataset(name="v"), TypeError, "DataArray"),
        (lambda g: g.values, TypeError, "make_grid"),
    ],
)
def test_bad_grids_raise_errors_that_name_the_fix(make, exc, match):
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(exc, match=match):
        analyze(make(grid))


def test_bad_band_and_short_signal():
    grid, _ = simulate_wave("planar", duration=1.0, seed=0)
    with pytest.raises(ValueError, match="Nyquist"):
        analyze(grid, band=(10, 700))
    with pytest.raises(ValueError, match="too short"):
        analyze(grid, band=(1, 4))
    with pytest.raises(ValueError, match="phase_method"):
        analyze(grid, phase_method="fft")
    tiny, _ = simulate_wave("planar", duration=0.05, seed=0)
    with pytest.raises(ValueError, match="too short"):
        analyze(tiny)


def test_accessor_gives_the_same_numbers_as_the_functions():
    import neurowave.accessor  # noqa: F401  (registered by `import neurowave` too)
    from neurowave.waves import compute_direction, compute_phase, compute_phase_gradient

    grid, _ = simulate_wave(
        "planar", speed=0.2, direction=250, frequency=12, duration=2.0, snr_db=10, seed=5
    )
    ph = grid.wave.phase(band=(10, 14))
    assert np.array_equal(ph.values, compute_phase(grid, band=(10, 14)).values, equal_nan=True)
    d = ph.wave.direction().values
    assert np.array_equal(d, compute_direction(compute_phase_gradient(ph)).values, equal_nan=True)
    res = grid.wave.analyze(band=(10, 14), n_surrogates=19, classify=False)
    assert abs(res.summary["summary"]["direction"]["mean_deg"] - 250) < 2
    from neurowave.waves import compute_coherent_phase

    c = ph.wave.coherent_phase(window=0.2)
    assert np.array_equal(c.values, compute_coherent_phase(ph, window=0.2).values, equal_nan=True)
    g = ph.wave.gradient(step=2)
    assert g.attrs["gradient_step"] == 2


def test_every_threshold_is_echoed_in_params():
    from neurowave.datasets import simulate_wave
    from neurowave.waves import analyze

    grid, _ = simulate_wave("planar", duration=1.0, snr_db=10, seed=3)
    par = analyze(grid, pgd_threshold=0.6, event_kwargs={"min_duration": 0.05}).summary["params"]
    assert par["pgd_threshold"] == 0.6
    assert par["events"]["min_duration"] == 0.05 and par["events"]["max_gap"] > 0
    assert {"sync_threshold", "min_span", "min_fit"} <= set(par["patterns"])


def test_measure_options_equal_the_keywords_and_keywords_override_them():
    from neurowave.waves import MeasureOptions

    grid, _ = simulate_wave("planar", speed=0.3, direction=30, duration=1.0, snr_db=10, seed=4)
    opts = MeasureOptions(pgd_threshold=0.6, n_surrogates=19, seed=2, gradient_step=2)
    by_options = analyze(grid, options=opts)
    by_keywords = analyze(grid, pgd_threshold=0.6, n_surrogates=19, seed=2, gradient_step=2)
    assert by_options.summary == by_keywords.summary
    par = by_options.summary["params"]
    assert (par["pgd_threshold"], par["n_surrogates"], par["seed"], par["gradient_step"]) == (
        0.6,
        19,
        2,
        2,
    )
    # a keyword applies over the options, which are left as they were
    over = analyze(grid, options=opts, pgd_threshold=0.9).summary["params"]
    assert over["pgd_threshold"] == 0.9 and over["n_surrogates"] == 19
    assert opts.pgd_threshold == 0.6


def test_unknown_measure_option_names_the_options():
    from neurowave import NeurowaveError

    grid, _ = simulate_wave("planar", duration=0.5, snr_db=10, seed=5)
    with pytest.raises(TypeError, match=r"n_surrogate.*MeasureOptions"):
        analyze(grid, n_surrogate=9)
    with pytest.raises(NeurowaveError, match="MeasureOptions"):
        analyze(grid, options={"n_surrogates": 9})
    with pytest.raises(NeurowaveError, match="pattern_rate"):
        analyze(grid, pattern_rate=-1.0)


# ------------------------------------------------------ the default band, on recordings


@pytest.mark.realdata
def test_default_band_is_the_strip_beta_peak_not_drift(data_dir):
    """The ECoG strip (off medication, grip task): the strongest local maximum of the raw
    spectrum was slow drift (band 0.97-1.31 Hz); the aperiodic-corrected spectrum
    (FOOOF) peaks in beta at about 18 Hz, and the band is chosen there. The summary and
    the table say which peak was chosen and why; `band` still overrides."""
    from neurowave import datasets

    g = datasets.load_ecog_strip_bids()
    res = analyze(g, n_surrogates=0)
    par = res.summary["params"]
    lo, hi = par["band"]
    choice = par["band_choice"]
    assert par["band_source"] == "data" and choice["method"] == "fooof"
    cf, height, _bw = choice["chosen_peak"]
    assert 17.0 < cf < 21.0 and lo > 13.0 and hi < 30.0 and lo < cf < hi  # beta
    assert height == max(p[1] for p in choice["peaks"])  # the highest above aperiodic
    assert choice["fit_range"][1] <= 50.0 and choice["aperiodic_exponent"] > 0
    assert res.summary["summary"]["frequency"]["median"] == pytest.approx(cf, rel=0.15)
    row = dict(res.table())["band"]
    assert "FOOOF peak at" in row and "above the aperiodic fit" in row
    user = analyze(g, band=(0.97, 1.31), n_surrogates=0, classify=False)
    assert user.summary["params"]["band_source"] == "user"
    assert user.summary["params"]["band_choice"] is None
    assert user.summary["params"]["band"] == [0.97, 1.31]


@pytest.mark.realdata
@pytest.mark.parametrize("name, lo_hi", [("utah", (4.0, 4.7)), ("widefield", (0.3, 3.0))])
def test_default_band_on_the_seizure_and_the_slow_waves(data_dir, name, lo_hi):
    """The Utah seizure keeps its ~4.4 Hz discharge rhythm; the widefield calcium
    slow waves keep a low band (below 3 Hz)."""
    from neurowave import datasets
    from neurowave.waves import band_choice

    g = datasets.load_seizure_utah() if name == "utah" else datasets.load_widefield_mouse()
    (lo, hi), choice = band_choice(g)
    cf = choice["chosen_peak"][0]
    assert choice["method"] == "fooof" and lo_hi[0] < cf < lo_hi[1] and lo < cf < hi
    assert 0.15 * cf - 1e-9 <= cf - lo <= 0.3 * cf + 1e-9
    if name == "utah":
        assert lo < 4.4 < hi
