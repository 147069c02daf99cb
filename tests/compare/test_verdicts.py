"""Verdicts that mean what they say, calibrated on simulated pairs of known relation.

A *matched pair* is the same wave (pattern, direction, region widths per cycle) in a
model export (16 x 16 cells, cycles/step) and a Utah recording (4 mm, Hz) with
independent noise. Over several seeds no more than 5 % of the metric verdicts may say
"different"; a threefold speed difference must be "different" for speed and
wavelength.
"""

import numpy as np
import pytest

from neurowave.compare import MARGINS, StatsOptions, compare
from neurowave.datasets import simulate_model_export, simulate_wave

MODEL_FREQ = 0.05  # cycles/step; 20 steps per cycle, as the recording's 10 Hz at 200 Hz
REC_FREQ = 10.0


def pair(seed, *, widths, model_snr, rec_snr, factor=1.0, pattern="planar"):
    """A model export and a recording whose waves are ``widths`` region widths per cycle
    (the recording's ``factor`` times faster), travelling the same way."""
    direction = float(np.random.default_rng(seed).uniform(0, 360))
    model = simulate_model_export(
        pattern,
        speed=widths * 16 * MODEL_FREQ,
        frequency=MODEL_FREQ,
        shape=(16, 16),
        n_steps=200,
        n_samples=1,
        n_units=2,
        snr_db=model_snr,
        seed=seed,
        direction=direction,
    )
    rec, _ = simulate_wave(
        pattern,
        layout="utah",
        speed=factor * widths * 4.0 * REC_FREQ / 1e3,
        frequency=REC_FREQ,
        direction=direction,
        duration=2.0,
        sampling_rate=200.0,
        snr_db=rec_snr,
        seed=1000 + seed,
    )
    return model, rec


MATCHED = [
    # seed, region widths per cycle, model SNR (None: noiseless), recording SNR, pattern
    (0, 1.5, None, 0.0, "planar"),  # the issue's case: a clean model, a noisy recording
    (1, 1.5, 5.0, 5.0, "planar"),
    (2, 0.5, 0.0, 0.0, "planar"),
    (3, 0.5, -3.0, -3.0, "planar"),
    (4, 0.75, 3.0, 3.0, "planar"),
    (5, 0.5, 0.0, 0.0, "radial_out"),
]


@pytest.fixture(scope="module")
def matched():
    out = []
    for seed, widths, msnr, rsnr, pattern in MATCHED:
        model, rec = pair(seed, widths=widths, model_snr=msnr, rec_snr=rsnr, pattern=pattern)
        out.append(compare(model, rec, stats=StatsOptions(n_boot=200), seed=seed))
    return out


def test_matched_pairs_are_rarely_called_different(matched):
    verdicts = [d["verdict"] for r in matched for d in r.distances.values()]
    assert len(verdicts) >= 6 * 6  # six metrics (pattern_speed is the speed itself here)
    assert set(verdicts) <= {"equivalent", "different", "undecided"}
    assert verdicts.count("different") / len(verdicts) <= 0.05
    # and the verdicts say "the same" where both sides have values, not just "can't tell"
    decided = [
        d["verdict"] for r in matched for d in r.distances.values() if d["distance"] is not None
    ]
    assert decided.count("equivalent") / len(decided) >= 0.9


def test_the_issue_pair_is_equivalent_though_a_test_of_identity_rejects(matched):
    # the same plane wave at 1.5 region widths per cycle, clean model, noisy recording:
    # tests of identical distributions reject on the difference in noise, the verdicts
    # (effect sizes inside their margins) do not
    d = matched[0].distances
    assert min(d[m]["p_value"] for m in ("speed", "pgd", "direction")) < 0.05
    for m in ("speed", "pgd", "direction", "wavelength", "frequency", "patterns"):
        assert d[m]["verdict"] == "equivalent", (
            m,
            d[m]["effect"],
            d[m]["effect_ci_low"],
            d[m]["effect_ci_high"],
        )
    assert d["speed"]["effect"] == pytest.approx(1.0, abs=0.05)
    assert d["speed"]["effect_ci_low"] > 1 / MARGINS["speed"]
    assert d["speed"]["effect_ci_high"] < MARGINS["speed"]
    assert d["speed"]["median_model"] == pytest.approx(1.5, rel=0.1)


@pytest.mark.parametrize(
    "seed, widths, factor, physical",
    [
        (10, 0.5, 3.0, False),  # the recording three times faster (and longer waves)
        (11, 1.5, 1 / 3, False),  # three times slower
        (12, 0.5, 3.0, True),  # in m/s and mm: speed is evidence of its own
    ],
)
def test_threefold_speed_is_different_for_speed_and_wavelength(seed, widths, factor, physical):
    model, rec = pair(seed, widths=widths, model_snr=3.0, rec_snr=3.0, factor=factor)
    # 16 cells = 4 mm, 0.05 cycles/step = 10 Hz
    kw = dict(model_dt="5ms", model_dx="0.25mm") if physical else {}
    res = compare(model, rec, stats=StatsOptions(n_boot=200), seed=seed, **kw)
    for m in ("speed", "wavelength"):
        d = res.distances[m]
        assert d["verdict"] == "different", (m, d["effect"], d["effect_ci_low"])
        assert d["effect"] == pytest.approx(1 / factor, rel=0.1)
    # the shape of the waves is the same: their PGD and patterns are not called different
    assert res.distances["pgd"]["verdict"] != "different"
    assert res.distances["patterns"]["verdict"] != "different"
    assert res.scale["mode"] == ("physical" if physical else "scale-free")
    assert ("same_evidence_as" in res.distances["speed"]) is (not physical)


def test_margins_are_stated_and_can_be_set(matched):
    model, rec = pair(0, widths=1.5, model_snr=None, rec_snr=0.0)
    res = compare(model, rec, stats=StatsOptions(n_boot=50, margins={"speed": 1.0001, "pgd": 0.5}))
    d = res.distances
    assert d["speed"]["margin"] == 1.0001 and d["pgd"]["margin"] == 0.5
    assert d["wavelength"]["margin"] == MARGINS["wavelength"]
    assert "1.0001" in d["speed"]["margin_note"]
    # a margin tighter than the data can resolve (the pattern fits measure the speeds to
    # a few 0.1 %): no longer "equivalent"
    assert d["speed"]["verdict"] != "equivalent"
    assert res.scale["verdicts"]["margins"]["speed"] == 1.0001
    with pytest.raises(ValueError, match="above 1"):
        compare(model, rec, stats=StatsOptions(margins={"speed": 0.8}))
    with pytest.raises(ValueError, match="unknown metric"):
        compare(model, rec, stats=StatsOptions(margins={"sped": 1.5}))


def test_frequency_margin_follows_the_units():
    # scale-free: the frequency row compares frequency / median frequency by a W1
    # distance, so its margin is a fraction; with model_dt it is a factor in Hz
    model, rec = pair(2, widths=0.5, model_snr=0.0, rec_snr=0.0)
    res = compare(model, rec, stats=StatsOptions(n_boot=50, margins={"frequency": 0.05}))
    d = res.distances["frequency"]
    assert d["margin"] == 0.05 and d["effect_kind"] == "distance"
    res = compare(model, rec, stats=StatsOptions(n_boot=50), model_dt="5ms", model_dx="0.25mm")
    d = res.distances["frequency"]
    assert d["effect_kind"] == "ratio" and d["units"] == "Hz"
    assert d["effect"] == pytest.approx(1.0, abs=0.05) and d["verdict"] == "equivalent"
    with pytest.raises(ValueError, match="above 1"):
        compare(model, rec, model_dt="5ms", stats=StatsOptions(margins={"frequency": 0.05}))


def test_a_verdict_never_contradicts_its_test():
    from neurowave.compare._verdicts import verdict_and_test

    # the Utah pair's frequency row before: effect interval beyond the margin, but KS
    # p = 0.108 on 9.8 effective recording frames -> not "different"
    d = verdict_and_test(
        {
            "verdict": "different",
            "p_value": 0.108,
            "test": "ks_2samp",
            "n_eff_model": 21.1,
            "n_eff_recording": 9.8,
        },
        0.05,
    )
    assert d["verdict"] == "undecided" and not d["test_rejects"]
    assert "p 0.11 > 0.05" in d["verdict_note"] and "9.8 recording" in d["verdict_note"]
    # no test at all backs no difference either
    d = verdict_and_test({"verdict": "different", "p_value": None}, 0.05)
    assert d["verdict"] == "undecided"
    # a test that rejects backs "different"; beside "equivalent" it is said, not hidden
    d = verdict_and_test({"verdict": "different", "p_value": 0.001, "test": "kuiper"}, 0.05)
    assert d["verdict"] == "different" and d["test_rejects"] and "verdict_note" not in d
    d = verdict_and_test({"verdict": "equivalent", "p_value": 0.001, "test": "ks_2samp"}, 0.05)
    assert d["verdict"] == "equivalent" and "less than the margin" in d["verdict_note"]


def test_no_mean_direction_from_a_uniform_spread():
    from neurowave.compare._pool import mean_direction

    rng = np.random.default_rng(0)
    spread = rng.uniform(0, 360, 400)
    mean, r, p = mean_direction(spread, 11.0)  # 400 frames, 11 independent
    assert mean is None and r < 0.2 and p > 0.05
    plane = rng.normal(200, 15, 400) % 360
    mean, r, p = mean_direction(plane, 11.0)
    assert mean == pytest.approx(200, abs=5) and r > 0.9 and p < 1e-3
