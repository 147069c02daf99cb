"""neurowave.compare on simulated models and recordings of known relation."""

import json

import numpy as np
import pytest

from neurowave.compare import EXTRA_METRICS, METRICS, StatsOptions, compare

from .conftest import REC_FREQ


def test_matched_pair_is_closer_than_threefold_speed(result_matched, model_planar, rec_fast):
    fast = compare(model_planar, rec_fast, stats=StatsOptions(n_boot=100), seed=0)
    dm, df = result_matched.distances["speed"], fast.distances["speed"]
    assert dm["distance"] < df["distance"]
    # scale-free speeds: equal for the matched pair, threefold for the other
    assert dm["median_ratio"] == pytest.approx(1.0, rel=0.15)
    assert df["median_ratio"] == pytest.approx(1 / 3, rel=0.2)
    assert dm["median_model"] == pytest.approx(0.375, rel=0.15)  # array widths per cycle
    # the difference is real: its interval excludes the matched distance, and the test
    # (effective sample sizes) rejects the threefold pair; the matched pair is
    # equivalent (the pattern fits measure both speeds to 0.2 %, so the KS test may
    # still see that sliver: equivalence, not the test, is the claim)
    assert df["ci_low"] > dm["distance"]
    assert df["p_value"] < 1e-3 and df["verdict"] == "different"
    assert dm["verdict"] == "equivalent" and dm["statistic"] < df["statistic"]
    assert (
        result_matched.distances["wavelength"]["distance"]
        < fast.distances["wavelength"]["distance"]
    )


def test_planar_pair_is_closer_than_planar_vs_rotating(result_matched, model_planar, rec_rotating):
    rot = compare(model_planar, rec_rotating, stats=StatsOptions(n_boot=100), seed=0)
    pm, pr = result_matched.distances["patterns"], rot.distances["patterns"]
    assert pm["distance"] < pr["distance"]
    assert pr["fractions_recording"]["rotating"] > 0.5
    assert pm["fractions_recording"]["planar"] > 0.5
    assert pr["p_value"] < 0.01
    assert result_matched.distances["pgd"]["distance"] < rot.distances["pgd"]["distance"]


def test_physical_units_recover_speed_and_frequency(model_planar, rec_matched):
    # 0.3 cells/step * 0.25 mm / 5 ms = 0.015 m/s; 0.05 cycles/step / 5 ms = 10 Hz
    res = compare(
        model_planar, rec_matched, model_dt="5ms", model_dx="250um", stats=StatsOptions(n_boot=50)
    )
    assert res.scale["mode"] == "physical"
    sp, fr = res.distances["speed"], res.distances["frequency"]
    assert sp["units"] == "m/s" and fr["units"] == "Hz"
    assert sp["median_model"] == pytest.approx(0.015, rel=0.15)
    assert sp["median_recording"] == pytest.approx(0.015, rel=0.15)
    assert fr["median_model"] == pytest.approx(REC_FREQ, rel=0.1)
    assert fr["median_recording"] == pytest.approx(REC_FREQ, rel=0.1)


def test_json_has_the_design_keys(result_matched, tmp_path):
    d = json.loads(result_matched.to_json(tmp_path / "c.json"))
    assert json.loads((tmp_path / "c.json").read_text()) == d
    assert set(d) >= {"model", "recording", "scale", "distances"}
    for side in ("model", "recording"):
        assert set(d[side]) >= {"input", "params", "summary"}
        assert set(d[side]["summary"]["patterns"]) == {
            "planar",
            "radial_out",
            "radial_in",
            "rotating",
            "synchronous",
            "other",
        }
    assert d["model"]["input"]["n_trials"] == 2
    assert set(METRICS) <= set(d["distances"]) <= set(METRICS) | set(EXTRA_METRICS)
    for m, v in d["distances"].items():
        assert {"distance", "ci_low", "ci_high", "test", "statistic", "p_value"} <= set(v), m
        assert v["ci_low"] <= v["distance"] <= v["ci_high"] or v["ci_low"] == 0, m
    assert d["scale"]["mode"] == "scale-free"
    assert d["scale"]["model_extent"] == pytest.approx(16.0)
    assert d["scale"]["recording_extent"] == pytest.approx(4.0)
    df = result_matched.to_frame()
    assert list(df.index)[: len(METRICS)] == list(METRICS)
    assert df.loc["speed", "distance"] == pytest.approx(d["distances"]["speed"]["distance"])


def test_inputs_are_checked(model_planar, rec_matched):
    with pytest.raises(ValueError, match="not a model export"):
        compare(rec_matched, rec_matched)
    with pytest.raises(ValueError, match="is a model export, not a recording"):
        compare(model_planar, model_planar)
    with pytest.raises(ValueError, match="cannot support"):
        compare(model_planar, rec_matched, band=(4, 40), model_dt="20ms")
    with pytest.raises(ValueError, match="no unit"):
        compare(model_planar, rec_matched, model_dt="1")


def test_plot_returns_the_overview(result_matched):
    import matplotlib.pyplot as plt

    fig = result_matched.plot()
    assert len(fig.axes) == 7
    plt.close(fig)


def test_model_band_is_chosen_from_the_pooled_spectrum(result_matched):
    # 120-step trials are too short for a spectrum of their own; the pooled one finds
    # the units' 0.05 cycles/step, and every trial is measured in that one band
    lo, hi = result_matched.scale["model_band"]
    assert lo < 0.05 < hi and hi - lo < 0.03
    assert result_matched.scale["model_band_source"].startswith("pooled")
    assert result_matched.model["params"]["band"] == pytest.approx([lo, hi])


def test_foreground_sites_measure_only_the_object(rec_matched):
    from neurowave.datasets import simulate_model_export

    fg = np.zeros((16, 16), bool)
    fg[2:14, 2:14] = True  # waves inside the object, white noise around it
    model = simulate_model_export(
        "planar",
        speed=0.3,
        frequency=0.05,
        shape=(16, 16),
        n_steps=120,
        n_samples=1,
        n_units=2,
        snr_db=10.0,
        seed=1,
        foreground=fg,
    )
    whole = compare(
        model,
        rec_matched,
        stats=StatsOptions(n_boot=20),
        model_band=(0.04, 0.06),
        view={"model_sites": "all"},
    )
    obj = compare(
        model,
        rec_matched,
        stats=StatsOptions(n_boot=20),
        model_band=(0.04, 0.06),
        view={"model_sites": "foreground"},
    )
    assert obj.model["input"]["model_sites"] == "foreground"
    assert obj.model["input"]["n_valid_sites"] == 144
    # the noisy background lowers PGD and hides the waves; on the object they are plain
    assert obj.model["summary"]["wave_fraction"] > 0.9
    assert obj.distances["pgd"]["distance"] < whole.distances["pgd"]["distance"]
    # scale-free lengths are relative to the region measured: 6-cell waves on the
    # 12-cell object are half its width, on the whole 16-cell grid 0.375 of it
    assert obj.scale["model_extent"] == pytest.approx(12.0)
    assert whole.scale["model_extent"] == pytest.approx(16.0)
    assert obj.distances["wavelength"]["median_model"] == pytest.approx(0.5, rel=0.15)
    assert obj.distances["speed"]["median_model"] == pytest.approx(0.5, rel=0.15)
    with pytest.raises(ValueError, match="label"):
        compare(
            simulate_model_export(n_steps=60, n_samples=1, n_units=1),
            rec_matched,
            view={"model_sites": "foreground"},
        )


def test_keywords_of_earlier_versions_warn_and_give_the_same_comparison(rec_matched):
    """``n_boot=``, ``margins=``, ``samples=``, ``max_trials=`` ... moved into ``stats=``
    and ``view=``: the old spelling still runs, warns naming the new one, and compares
    the same trials with the same bootstrap."""
    from neurowave.datasets import simulate_model_export

    model = simulate_model_export("planar", n_steps=100, n_samples=2, n_units=1, seed=3)
    new = compare(
        model,
        rec_matched,
        stats=StatsOptions(n_boot=20, margins={"pgd": 0.2}),
        view={"samples": [1], "max_trials": 1},
        controls=False,
    )
    with pytest.warns(FutureWarning) as record:
        old = compare(
            model,
            rec_matched,
            n_boot=20,
            margins={"pgd": 0.2},
            samples=[1],
            max_trials=1,
            controls=False,
        )
    said = [str(w.message) for w in record]
    assert any("samples=, max_trials=" in s and "view=" in s for s in said), said
    assert any("n_boot=, margins=" in s and "stats=StatsOptions" in s for s in said), said
    assert old.to_dict()["distances"] == new.to_dict()["distances"]
    assert old.model["input"]["trials"] == new.model["input"]["trials"] == [[1, -1, 0]]
    assert old.distances["pgd"]["margin"] == 0.2
    with pytest.raises(ValueError, match="only stats="):
        compare(model, rec_matched, stats=StatsOptions(), n_boot=20)


def test_compare_is_a_subpackage_whose_function_is_compare_compare(model_planar, rec_matched):
    """``import neurowave.compare as nc`` gives the subpackage; calling it (the function
    it used to be) still works for now, with a FutureWarning."""
    import neurowave
    import neurowave.compare as nc

    assert nc.METRICS == METRICS and nc.compare is compare
    assert neurowave.compare is nc
    with pytest.warns(FutureWarning, match="neurowave.compare.compare"):
        res = neurowave.compare(
            model_planar, rec_matched, stats=StatsOptions(n_boot=0), controls=False
        )
    assert set(res.distances) >= set(METRICS)


def test_target_waves_are_wave_frames_with_their_fit_speed(model_planar):
    # wave frames are moving patterns by default, on both sides: target waves (low PGD)
    # are wave frames, their speed the radial fit's, one estimator on both sides (no
    # separate pattern_speed row: it would be the same numbers)
    from .conftest import REC_SPEED, recording

    near = compare(model_planar, recording("radial_out"), stats=StatsOptions(n_boot=50))
    far = compare(
        model_planar, recording("radial_out", speed=3 * REC_SPEED), stats=StatsOptions(n_boot=50)
    )
    assert near.recording["summary"]["wave_fraction"] > 0.8
    assert "pattern_speed" not in near.distances
    assert (
        near.model["params"]["speed_estimator"]
        == near.recording["params"]["speed_estimator"]
        == near.params["speed_estimator"]
    )
    sn, sf = near.distances["speed"], far.distances["speed"]
    assert sn["median_recording"] == pytest.approx(0.375, rel=0.1)
    assert sf["median_recording"] == pytest.approx(3 * 0.375, rel=0.1)
    assert sn["verdict"] == "equivalent" and sf["verdict"] == "different"


def test_pgd_wave_frames_keep_the_pattern_fit_speed_apart(model_planar):
    # with wave_frames="pgd" on both sides, target waves have low PGD (no wave frames,
    # no plain speed), and the radial fit's speed is a row of its own
    from .conftest import REC_SPEED, recording

    view = {"wave_frames": "pgd"}
    near = compare(model_planar, recording("radial_out"), view=view, stats=StatsOptions(n_boot=50))
    far = compare(
        model_planar,
        recording("radial_out", speed=3 * REC_SPEED),
        view=view,
        stats=StatsOptions(n_boot=50),
    )
    assert near.params["wave_frames"] == "pgd" == near.recording["params"]["wave_frames"]
    assert near.distances["speed"]["distance"] is None
    pn, pf = near.distances["pattern_speed"], far.distances["pattern_speed"]
    assert pn["median_recording"] == pytest.approx(0.375, rel=0.1)
    assert pf["median_recording"] == pytest.approx(3 * 0.375, rel=0.1)
    assert pn["distance"] < pf["distance"]
    assert pf["p_value"] < 1e-3 < 0.05 < pn["p_value"]
