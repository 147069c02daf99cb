"""compare(..., kw=True): the k-omega peaks of both sides, in common units."""

import pytest

from neurowave.compare import StatsOptions, compare
from neurowave.datasets import simulate_model_export, simulate_wave


@pytest.fixture(scope="module")
def sides():
    # both travel 0.375 array widths per cycle (model: 0.3 cells/step, 20-step period,
    # 16 cells; recording: 15 mm/s, 0.1 s period, 4 mm)
    model = simulate_model_export(
        "planar", speed=0.3, frequency=0.05, n_steps=200, n_samples=1, n_units=2, seed=0
    )
    rec, _ = simulate_wave(
        "planar", speed=0.015, frequency=10, duration=4.0, sampling_rate=200, snr_db=10, seed=0
    )
    return model, rec


def test_kw_peaks_are_compared_when_both_sides_have_them(sides):
    model, rec = sides
    res = compare(model, rec, stats=StatsOptions(n_boot=20), kw=True)
    d = res.to_dict()
    kw = d["distances"]["kw"]
    assert kw["speed"]["units"] == "region widths/cycle"
    assert kw["speed"]["ratio"] == pytest.approx(1.0, abs=0.1)
    assert kw["wavelength"]["ratio"] == pytest.approx(1.0, abs=0.1)
    assert kw["travelling_index"]["model"] > 0.9 and kw["travelling_index"]["recording"] > 0.9
    assert d["model"]["kw"]["n_trials"] == 2
    assert d["recording"]["kw"]["speed"] == pytest.approx(0.015, rel=0.05)
    # each model trial's own peak, in cells/step
    for trial in d["model"]["kw"]["trials"]:
        assert trial["speed"] == pytest.approx(0.3, rel=0.05)
        assert trial["units"] == "cells/step"


def test_no_kw_without_the_option(sides):
    model, rec = sides
    res = compare(model, rec, stats=StatsOptions(n_boot=20))
    assert "kw" not in res.distances and "kw" not in res.model and "kw" not in res.recording


def test_a_sub_resolution_peak_is_a_bound_not_a_tight_interval(sides):
    # a 20 mm plane wave on the 4 mm array: k 0.05 cycles/mm, below the resolution
    # 1 / extent; its k-omega speed is a lower bound, not an estimate with an interval
    model, resolved = sides
    long_wave, _ = simulate_wave(
        "planar", speed=0.2, frequency=10, duration=4.0, sampling_rate=200, snr_db=10, seed=0
    )
    res = compare(model, long_wave, stats=StatsOptions(n_boot=0), kw=True, controls=False)
    kw = res.to_dict()["distances"]["kw"]
    assert res.recording["kw"]["regime"] == "sub-resolution" == kw["recording_regime"]
    for m in ("speed", "wavelength"):
        assert kw[m]["recording_ci"] is None and kw[m]["ratio"] is None
        assert kw[m]["recording_kind"] == "lower bound (sub-resolution)"
    assert "sub-resolution" in kw["note"] and "lower bounds" in kw["note"]
    assert "phase velocity" in kw["measures"]
    # every interval says what it is; a resolved peak keeps its interval
    ok = compare(model, resolved, stats=StatsOptions(n_boot=0), kw=True, controls=False).to_dict()[
        "distances"
    ]["kw"]
    assert ok["recording_regime"] == "resolved" and "note" not in ok
    assert ok["speed"]["recording_ci"] is not None
    assert set(ok["intervals"]) == {"recording_ci", "model_q25_q75"}
