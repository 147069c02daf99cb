"""Distances, bootstrap intervals and tests of neurowave.compare.stats."""

import numpy as np
import pytest
from scipy import stats as st

from neurowave.compare import stats


def _ar1(n, rho, rng):
    """An AR(1) series with unit marginal variance (autocorrelated frames)."""
    e = rng.standard_normal(n) * np.sqrt(1 - rho**2)
    x = np.empty(n)
    x[0] = rng.standard_normal()
    for i in range(1, n):
        x[i] = rho * x[i - 1] + e[i]
    return x


def test_linear_distance_is_the_shift_and_ci_covers_it():
    rng = np.random.default_rng(0)
    a = rng.normal(1.0, 0.5, 1500)
    b = rng.normal(2.5, 0.5, 1500)
    r = stats.compare_linear(a, b, n_boot=200, seed=1)
    assert r["distance"] == pytest.approx(1.5, abs=0.05)
    assert r["ci_low"] <= 1.5 <= r["ci_high"]
    assert r["ci_high"] - r["ci_low"] < 0.15
    assert r["p_value"] < 1e-12
    assert r["median_ratio"] == pytest.approx(1 / 2.5, rel=0.05)


def test_linear_distance_equals_scipy_wasserstein_and_ks():
    rng = np.random.default_rng(2)
    a, b = rng.gamma(2, 1, 300), rng.gamma(2.5, 1, 400)
    r = stats.compare_linear(a, b, n_boot=0)
    assert r["distance"] == pytest.approx(st.wasserstein_distance(a, b))
    ks = st.ks_2samp(a, b, method="asymp")
    assert r["statistic"] == pytest.approx(ks.statistic)
    # with block 1 the effective-size p-value is the usual asymptotic KS p-value
    assert r["p_value"] == pytest.approx(ks.pvalue, rel=0.05)


def test_effective_sizes_keep_false_positives_near_alpha_for_correlated_frames():
    # two independent autocorrelated series from the SAME distribution: with raw
    # frame counts KS rejects far too often; with blocks of the correlation length
    # the rejection rate stays near the nominal 5 %.
    rng = np.random.default_rng(3)
    naive = blocked = 0
    n_rep = 60
    for _ in range(n_rep):
        a, b = _ar1(1000, 0.97, rng), _ar1(1000, 0.97, rng)
        naive += st.ks_2samp(a, b).pvalue < 0.05
        r = stats.compare_linear(a, b, block_a=66, block_b=66, n_boot=0)
        blocked += r["p_value"] < 0.05
    assert naive / n_rep > 0.5
    assert blocked / n_rep < 0.2


def test_block_bootstrap_keeps_blocks_within_groups_and_draws_edges():
    groups = np.repeat([0, 1, 2], [5, 50, 7])
    rng = np.random.default_rng(0)
    counts = np.zeros(groups.size)
    for _ in range(400):
        idx = stats.block_bootstrap_indices(groups.size, block=10, groups=groups, rng=rng)
        assert idx.shape == (groups.size,)
        for chunk in np.split(idx, np.arange(10, idx.size, 10)):
            assert np.unique(groups[chunk]).size == 1  # a block never leaves its trial
        counts += np.bincount(idx, minlength=groups.size)
    # circular blocks: the first and last frames of a trial are drawn as often as the middle
    g1 = counts[5:55]
    assert g1[0] == pytest.approx(g1.mean(), rel=0.2)
    assert g1[-1] == pytest.approx(g1.mean(), rel=0.2)


def test_circular_wasserstein_rotation_and_wraparound():
    assert stats.circular_wasserstein([350.0, 355.0], [5.0, 10.0]) == pytest.approx(15.0)
    rng = np.random.default_rng(4)
    a = rng.vonmises(0.5, 50.0, 2000) * 180 / np.pi
    for shift in (10.0, 45.0, 120.0):
        assert stats.circular_wasserstein(a, a + shift) == pytest.approx(shift, abs=0.5)
    # a rotation beyond 180 degrees is the shorter way round
    assert stats.circular_wasserstein(a, a + 300.0) == pytest.approx(60.0, abs=0.5)
    assert stats.circular_wasserstein(a, a) == pytest.approx(0.0, abs=1e-9)


def test_kuiper_detects_rotation_but_not_same_distribution():
    rng = np.random.default_rng(5)
    a = rng.vonmises(0.0, 3.0, 400) * 180 / np.pi
    b = rng.vonmises(0.0, 3.0, 400) * 180 / np.pi
    c = rng.vonmises(0.8, 3.0, 400) * 180 / np.pi
    assert stats.kuiper_two_sample(a, b)[1] > 0.05
    assert stats.kuiper_two_sample(a, c)[1] < 1e-6
    # invariant to the origin of angles
    v1 = stats.kuiper_two_sample(a, c)[0]
    v2 = stats.kuiper_two_sample(a + 123.0, c + 123.0)[0]
    assert v1 == pytest.approx(v2)


def test_compare_circular_reports_means_and_spread():
    rng = np.random.default_rng(6)
    a = np.mod(rng.vonmises(np.deg2rad(30), 20.0, 800) * 180 / np.pi, 360)
    b = np.mod(rng.vonmises(np.deg2rad(300), 20.0, 800) * 180 / np.pi, 360)
    r = stats.compare_circular(a, b, n_boot=100)
    assert r["mean_deg_model"] == pytest.approx(30, abs=2)
    assert r["mean_deg_recording"] == pytest.approx(300, abs=2)
    assert r["mean_difference_deg"] == pytest.approx(90, abs=3)
    assert r["distance"] == pytest.approx(90, abs=3)
    assert r["ci_low"] <= r["distance"] <= r["ci_high"]
    assert r["resultant_length_model"] > 0.95


def test_categorical_total_variation_and_chi_square():
    cats = ("planar", "rotating", "other")
    a = np.array(["planar"] * 700 + ["rotating"] * 100 + ["other"] * 200)
    b = np.array(["planar"] * 200 + ["rotating"] * 600 + ["other"] * 200)
    r = stats.compare_categorical(a, b, categories=cats, n_boot=100)
    assert r["distance"] == pytest.approx(0.5)
    assert r["fractions_model"]["planar"] == pytest.approx(0.7)
    assert r["p_value"] < 1e-12
    assert r["ci_low"] <= 0.5 <= r["ci_high"]
    same = stats.compare_categorical(a, a[::-1], categories=cats, n_boot=20)
    assert same["distance"] == 0 and same["p_value"] == pytest.approx(1.0)
    # larger blocks: fewer effective frames, weaker evidence
    a2 = np.array(["planar"] * 40 + ["rotating"] * 20)
    b2 = np.array(["planar"] * 20 + ["rotating"] * 40)
    r1 = stats.compare_categorical(a2, b2, categories=cats, n_boot=0)
    r20 = stats.compare_categorical(a2, b2, categories=cats, block_a=20, block_b=20, n_boot=0)
    assert r1["p_value"] < 0.01 < r20["p_value"]


def test_empty_side_gives_no_distance():
    r = stats.compare_linear([], [1.0, 2.0], n_boot=10)
    assert r["distance"] is None and r["n_model"] == 0


@pytest.mark.parametrize(
    "kind, estimate, spread, margin, expected",
    [
        ("ratio", 1.03, 0.03, 1.25, "equivalent"),  # interval well inside [0.8, 1.25]
        ("ratio", 3.0, 0.1, 1.25, "different"),  # wholly beyond 1.25
        ("ratio", 1 / 3, 0.1, 1.25, "different"),  # wholly below 0.8
        ("ratio", 1.2, 0.2, 1.25, "undecided"),  # straddles the edge
        ("difference", -0.02, 0.01, 0.1, "equivalent"),
        ("difference", -0.4, 0.03, 0.1, "different"),
        ("difference", 0.09, 0.05, 0.1, "undecided"),
    ],
)
def test_equivalence_test_verdicts(kind, estimate, spread, margin, expected):
    rng = np.random.default_rng(0)
    if kind == "ratio":
        boot = estimate * np.exp(rng.normal(0, spread, 2000))
    else:
        boot = estimate + rng.normal(0, spread, 2000)
    r = stats.equivalence_test(estimate, boot, kind=kind, margin=margin)
    assert r["verdict"] == expected
    assert r["effect_ci_low"] <= estimate <= r["effect_ci_high"]
    assert r["effect_ci"] == pytest.approx(0.9)
    # the verdict and the interval agree: TOST at alpha <=> the 90 % interval in the margin
    inside = (
        r["equivalence_low"] < r["effect_ci_low"] and r["effect_ci_high"] < r["equivalence_high"]
    )
    assert (expected == "equivalent") == inside
    assert (expected == "equivalent") == (r["p_equivalence"] < 0.05)
    assert (expected == "different") == (r["p_difference"] < 0.05)


def test_equivalence_of_a_distance_corrects_its_upward_bias():
    # a distance of two samples of one distribution is positive and its bootstrap
    # replicates even more so; the basic interval (2 d - q) still reaches 0
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 400), rng.normal(0, 1, 400)
    d = st.wasserstein_distance(a, b)
    boot = [
        st.wasserstein_distance(rng.choice(a, a.size), rng.choice(b, b.size)) for _ in range(300)
    ]
    assert np.median(boot) > d
    r = stats.equivalence_test(d, boot, kind="distance", margin=0.3)
    assert r["verdict"] == "equivalent" and r["effect_ci_low"] < d
    far = stats.equivalence_test(1.0, 1.0 + rng.normal(0, 0.05, 300), kind="distance", margin=0.3)
    assert far["verdict"] == "different"


def test_equivalence_test_checks_its_arguments():
    with pytest.raises(ValueError, match="above 1"):
        stats.equivalence_test(1.0, [1.0, 1.1], kind="ratio", margin=0.8)
    with pytest.raises(ValueError, match="kind"):
        stats.equivalence_test(1.0, [1.0, 1.1], kind="odds", margin=2)
    # no replicates (n_boot = 0): no interval, no decision
    assert stats.equivalence_test(1.0, [], kind="ratio", margin=1.25)["verdict"] == "undecided"


def test_matched_autocorrelated_samples_are_equivalent_and_shifted_ones_differ():
    # AR(1) frames (correlation length ~ 30 frames) of one distribution: with blocks
    # the median ratio's interval is honest (contains 1 in most repeats) and inside
    # the margin; a threefold scale is "different"
    rng = np.random.default_rng(7)
    verdicts, far = [], []
    for _ in range(20):
        a = np.exp(0.2 * _ar1(1500, 0.97, rng))
        b = np.exp(0.2 * _ar1(1500, 0.97, rng))
        r = stats.compare_linear(
            a, b, block_a=30, block_b=30, n_boot=200, margin=1.25, seed=int(rng.integers(1000))
        )
        verdicts.append(r["verdict"])
        f = stats.compare_linear(3 * a, b, block_a=30, block_b=30, n_boot=100, margin=1.25)
        far.append(f["verdict"])
    assert verdicts.count("different") == 0
    assert verdicts.count("equivalent") >= 18
    assert far == ["different"] * 20


def test_hierarchical_bootstrap_draws_whole_trials():
    groups = np.repeat([0, 1, 2, 3], [10, 20, 30, 40])
    rng = np.random.default_rng(0)
    sizes = set()
    for _ in range(200):
        idx = stats.block_bootstrap_indices(
            groups.size, block=5, groups=groups, rng=rng, resample_groups=True
        )
        g = groups[idx]
        # the resample is made of whole trials' worth of values, drawn with replacement
        sizes.add(idx.size)
        for k in np.unique(g):
            n_k = np.sum(g == k)
            assert n_k % np.sum(groups == k) == 0
    assert len(sizes) > 5  # trials drawn with replacement: the total size varies
    # trials that differ (eight trials of 50 frames, trial medians 1 to 2): drawing the
    # trials carries their spread into the interval of the median ratio
    a = np.concatenate([m + rng.normal(0, 0.01, 50) for m in np.linspace(1, 2, 8)])
    b = rng.normal(1.5, 0.01, 400)
    ga = np.repeat(np.arange(8), 50)
    pooled = stats.compare_linear(a, b, groups_a=ga, n_boot=200, margin=1.25, resample_groups=False)
    trials = stats.compare_linear(a, b, groups_a=ga, n_boot=200, margin=1.25)
    assert trials["effect_ci_high"] - trials["effect_ci_low"] > 2 * (
        pooled["effect_ci_high"] - pooled["effect_ci_low"]
    )


def test_circular_effect_ignores_orientation_but_not_spread():
    rng = np.random.default_rng(8)
    a = rng.vonmises(0.3, 20.0, 600) * 180 / np.pi
    b = rng.vonmises(2.0, 20.0, 600) * 180 / np.pi  # the same shape, turned ~97 degrees
    c = rng.vonmises(0.3, 0.5, 600) * 180 / np.pi  # much wider
    same = stats.compare_circular(a, b, n_boot=100, margin=20.0)
    wide = stats.compare_circular(a, c, n_boot=100, margin=20.0)
    assert same["distance"] > 80 and same["verdict"] == "equivalent"
    assert wide["effect"] > 30 and wide["verdict"] == "different"


def test_autocorrelation_time_of_ar1_and_within_trials():
    rng = np.random.default_rng(9)
    for rho in (0.0, 0.8, 0.95):
        x = _ar1(40000, rho, rng)
        assert stats.autocorrelation_time(x) == pytest.approx((1 + rho) / (1 - rho), rel=0.25)
    # trials with different means but white noise inside: no correlation within a
    # trial, and lags never cross a trial boundary
    groups = np.repeat(np.arange(20), 200)
    x = rng.standard_normal(groups.size) + 5 * groups
    assert stats.autocorrelation_time(x, groups=groups) == pytest.approx(1.0, abs=0.3)
    assert stats.autocorrelation_time(x) > 20  # pooled naively, the trend looks correlated
