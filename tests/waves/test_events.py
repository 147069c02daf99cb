"""Wave events from per-frame patterns; trigger-time route for slow waves."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neurowave.waves import classify_patterns, detect_wave_events, fit_pattern_speeds

_spec = importlib.util.spec_from_file_location(
    "_nw_test_patterns", Path(__file__).with_name("test_patterns.py")
)
_tp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tp)
simulate, hilbert_phase = _tp.simulate, _tp.hilbert_phase


def _frames(ph):
    pats = classify_patterns(ph)
    fits = fit_pattern_speeds(ph, pats)
    return xr.Dataset(
        {
            "pattern": pats["pattern"],
            "rotation": pats["rotation"],
            "pgd": pats["pgd"],
            "speed": fits["speed"],
            "direction": fits["direction"],
            "frequency": ("time", np.full(ph.sizes["time"], 10.0)),
        }
    )


@pytest.mark.parametrize(
    "pattern,kw",
    [
        ("planar", {"speed": 0.3, "direction": 30.0}),
        ("planar", {"speed": 0.8, "direction": 250.0}),
        ("radial_out", {"speed": 0.3}),
        ("radial_in", {"speed": 0.5}),
        ("rotating", {"rotation": -1}),
    ],
)
def test_event_speed_and_direction(pattern, kw):
    """One event spanning the recording; speed within 10 % of truth, direction within 10 deg."""
    grid, center = simulate(pattern, seed=5, **kw)
    ph = hilbert_phase(grid)
    ev = detect_wave_events(_frames(ph))
    assert len(ev) >= 1
    main = ev.iloc[int(np.argmax(ev.duration.values))]
    assert main.pattern == pattern
    assert main.duration >= 0.8 * (ph.time[-1] - ph.time[0])
    if pattern == "rotating":
        # linear speed at the median distance of the sites from the centre
        yy, xx = np.meshgrid(grid.y.values, grid.x.values, indexing="ij")
        valid = np.isfinite(grid.isel(time=0).values)
        r = np.hypot(xx[valid] - center[0], yy[valid] - center[1])
        truth = 2 * np.pi * 10.0 * np.median(r) / 1000.0
        assert main.rotation == kw["rotation"]
    else:
        truth = kw["speed"]
    assert abs(main.speed - truth) / truth < 0.10, (main.speed, truth)
    if pattern == "planar":
        d = (main.direction - kw["direction"] + 180) % 360 - 180
        assert abs(d) < 10
    else:
        assert np.isnan(main.direction)


def test_runs_gaps_and_min_duration():
    t = np.arange(100) / 100.0
    pat = np.array(["other"] * 100, dtype=object)
    pat[10:30] = "planar"
    pat[31:40] = "planar"  # one-frame gap: bridged with max_gap >= 0.01
    pat[50:53] = "rotating"  # too short
    pat[60:90] = "radial_out"
    sp = np.where(pat == "planar", 0.2, 0.5)
    fr = xr.Dataset(
        {
            "pattern": ("time", pat),
            "speed": ("time", sp),
            "direction": ("time", np.where(pat == "planar", 350.0, np.nan)),
            "pgd": ("time", np.linspace(0, 1, 100)),
        },
        coords={"time": t},
    )
    ev = detect_wave_events(fr, min_duration=0.05, max_gap=0.015)
    assert list(ev.pattern) == ["planar", "radial_out"]
    np.testing.assert_allclose(ev.start, [0.10, 0.60])
    np.testing.assert_allclose(ev.end, [0.39, 0.89])
    np.testing.assert_allclose(ev.duration, [0.30, 0.30])
    np.testing.assert_allclose(ev.speed, [0.2, 0.5])
    assert ev.direction[0] == pytest.approx(350.0)
    assert ev.n_frames[0] == 29
    # without bridging the planar run splits in two
    ev2 = detect_wave_events(fr, min_duration=0.05, max_gap=0.0)
    assert list(ev2.pattern) == ["planar", "planar", "radial_out"]
    assert list(ev2.columns[:7]) == [
        "start",
        "end",
        "duration",
        "pattern",
        "speed",
        "direction",
        "pgd",
    ]


def test_is_wave_only_and_empty():
    fr = xr.Dataset({"is_wave": ("time", np.zeros(20, bool))}, coords={"time": np.arange(20.0)})
    ev = detect_wave_events(fr)
    assert isinstance(ev, pd.DataFrame) and len(ev) == 0
    assert "speed" in ev.columns
    with pytest.raises(ValueError, match="pattern"):
        detect_wave_events(xr.Dataset(coords={"time": np.arange(3.0)}))
    with pytest.raises(TypeError, match="Dataset"):
        detect_wave_events(np.zeros(3))


@pytest.mark.parametrize(
    "pattern,kw,truth_speed",
    [
        ("planar", {"speed": 0.25, "direction": 120.0}, 0.25),
        ("radial_out", {"speed": 0.3}, 0.3),
        ("radial_in", {"speed": 0.3}, 0.3),
    ],
)
def test_analyze_events_and_patterns(pattern, kw, truth_speed):
    """Through analyze: pattern fractions sum to 1, events carry speeds within 10 %."""
    from neurowave.datasets import simulate_wave
    from neurowave.waves import analyze

    grid, _truth = simulate_wave(
        pattern, duration=1.5, sampling_rate=500.0, snr_db=10, seed=2, **kw
    )
    res = analyze(grid, band=(6.0, 14.0), n_surrogates=19)
    fr = res.summary["summary"]["patterns"]
    assert sum(fr.values()) == pytest.approx(1.0)
    assert fr[pattern] >= 0.9
    ev = res.events
    main = ev.iloc[int(np.argmax(ev.duration.values))]
    assert main.pattern == pattern
    assert abs(main.speed - truth_speed) / truth_speed < 0.10, main.speed
    assert res.summary["events"][0]["pattern"] == pattern
    assert "min_fit" in res.summary["params"]["patterns"]


@pytest.mark.parametrize("method", ["phase", "threshold"])
@pytest.mark.parametrize("speed,direction", [(0.03, 45.0), (0.05, 200.0)])
def test_trigger_waves_planar_velocity(method, speed, direction):
    """Cobrawap route on simulated 1 Hz slow waves over a 5 x 5 mm field (20 x 20 sites):
    one wave per cycle, each with the true speed (within 10 %) and direction."""
    from neurowave.datasets import simulate_wave
    from neurowave.waves import compute_phase, detect_trigger_times, detect_trigger_waves

    grid, _truth = simulate_wave(
        "planar",
        layout="grid",
        shape=(20, 20),
        spacing=0.25,
        frequency=1.0,
        speed=speed,
        direction=direction,
        duration=8.0,
        sampling_rate=100.0,
        snr_db=10,
        seed=4,
    )
    if method == "phase":
        data = compute_phase(grid, band=(0.5, 2.0))
    else:
        from neurowave.waves import bandpass

        data = bandpass(grid, band=(0.5, 2.0))
        data = (data - data.mean("time")) / data.std("time")
    trig = detect_trigger_times(data, method=method, min_interval=0.5)
    waves = detect_trigger_waves(trig)
    inner = waves[(waves.start > 1.0) & (waves.end < 7.0)]
    assert len(inner) >= 4
    assert (inner.n_sites >= 380).all()
    err = np.abs(inner.speed - speed) / speed
    assert np.median(err) < 0.10, inner.speed.tolist()
    d = (inner.direction - direction + 180) % 360 - 180
    assert np.median(np.abs(d)) < 5
    tr = waves.attrs["triggers"]
    assert set(tr.columns) >= {"site", "time", "wave", "lag"}


def test_trigger_waves_errors():
    from neurowave.waves import detect_trigger_times, detect_trigger_waves

    with pytest.raises(TypeError, match="detect_trigger_times"):
        detect_trigger_waves(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="method"):
        detect_trigger_times(
            xr.DataArray(np.zeros((3, 2)), dims=("time", "channel")), method="minima"
        )


@pytest.mark.realdata
def test_widefield_slow_waves(data_dir):
    """Mouse widefield GCaMP6f under ketamine-xylazine: Cobrawap-style trigger waves at
    the ~1.4 Hz slow-wave rhythm, tens of mm/s, mostly planar, a consistent direction."""
    from neurowave.datasets import load_widefield_mouse
    from neurowave.waves import compute_phase, detect_trigger_times, detect_trigger_waves

    g = load_widefield_mouse(bin=2)
    ph = compute_phase(g, band=(0.5, 3.0)).isel(time=slice(25, -25))
    waves = detect_trigger_waves(detect_trigger_times(ph, min_interval=0.3))
    duration = float(ph.time[-1] - ph.time[0])
    assert 1.0 < len(waves) / duration < 2.0
    planar = waves[np.isfinite(waves.speed)]
    assert len(planar) >= 0.5 * len(waves)
    med = float(np.median(planar.speed)) * 1000.0  # mm/s
    assert 10.0 < med < 60.0, med
    z = np.exp(1j * np.deg2rad(planar.direction.to_numpy())).mean()
    assert abs(z) > 0.4
