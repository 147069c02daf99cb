"""compare on the human Utah-array seizure recording (example data, NEUROWAVE_DATA)."""

import numpy as np
import pytest

from neurowave.commands._util import to_jsonable
from neurowave.compare import StatsOptions, compare
from neurowave.datasets import simulate_model_export

pytestmark = pytest.mark.realdata

BAND = (1.0, 13.0)  # the band of the upstream analysis (Martinet et al. 2017)


@pytest.fixture(scope="module")
def utah(data_dir):
    from neurowave.datasets import load_seizure_utah

    return load_seizure_utah().isel(time=slice(0, 2000))  # the first 4 s


def _pretrained():
    from neurowave.models import list_pretrained

    for name in ("cornn-tetrominoes", "cornn-tetrominoes-small"):
        if name in list_pretrained():
            return name
    return None


def test_recording_side_is_exactly_analyze(utah):
    from neurowave.waves import analyze

    model = simulate_model_export("planar", n_steps=100, n_samples=1, n_units=2, seed=0)
    res = compare(
        model, utah, band=BAND, stats=StatsOptions(n_boot=50), view={"wave_frames": "pgd"}
    )
    ref = analyze(utah, band=BAND).summary
    # the same measures: with PGD wave frames the recording's JSON is analyze's, number
    # for number
    assert to_jsonable(res.recording["summary"]) == to_jsonable(ref["summary"])
    # with pattern wave frames (the default) only what rests on wave frames changes
    pat = compare(model, utah, band=BAND, stats=StatsOptions(n_boot=0), controls=False)
    s, r = pat.recording["summary"], ref["summary"]
    for key in ("pgd", "patterns", "events"):
        assert to_jsonable(s[key]) == to_jsonable(r[key]), key
    assert s["frequency"]["median"] == pytest.approx(r["frequency"]["median"])
    moving = sum(r["patterns"][p] for p in ("planar", "radial_out", "radial_in", "rotating"))
    assert s["wave_fraction"] == pytest.approx(moving)
    assert res.recording["params"]["band"] == list(BAND)
    # the array is 10 x 10 at 0.4 mm: 4 mm wide; the rhythm is a few Hz
    assert res.scale["recording_extent"] == pytest.approx(4.0)
    assert 2.0 < 1 / res.scale["recording_period"] < 8.0
    sp = res.distances["speed"]
    assert sp["median_recording"] == pytest.approx(
        ref["summary"]["speed"]["median"] * 1e3 * res.scale["recording_period"] / 4.0, rel=1e-6
    )


def test_headline_export_then_compare_against_utah(data_dir, tmp_path, capsys):
    """The README's headline with defaults only: `neurowave export pretrained:NAME --out
    model.nc`, then `neurowave compare model.nc RECORDING`: every row filled, with at
    least 20 effective independent model wave frames for speed, direction and
    wavelength, beside the cut-coupling and untrained controls."""
    import json

    from neurowave.cli import main

    name = _pretrained()
    if name is None:
        pytest.skip("no pretrained Tetrominoes model is shipped yet")
    rec = data_dir / "seizure-utah" / "example_seizure_waves.mat"
    if not rec.is_file():
        pytest.skip(f"{rec} is not in the example-data cache")
    model = tmp_path / "model.nc"
    assert main(["export", f"pretrained:{name}", "--out", str(model)]) == 0
    assert main(["analyze", str(model), "--json", str(tmp_path / "a.json")]) == 0
    a = json.loads((tmp_path / "a.json").read_text())
    assert a["summary"]["wave_fraction"] >= 0.3
    out = tmp_path / "compare.json"
    assert main(["compare", str(model), str(rec), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "trained" in printed and "cut coupling" in printed and "untrained" in printed
    assert "effective" in printed and "coupling carries" in printed
    d = json.loads(out.read_text())
    assert d["model"]["summary"]["wave_fraction"] >= 0.3
    for m in ("speed", "pgd", "direction", "wavelength", "frequency", "patterns"):
        v = d["distances"][m]
        assert v["distance"] is not None and np.isfinite(v["distance"]), m
        assert not v["few_frames"], m
    for m in ("speed", "direction", "wavelength"):
        assert d["distances"][m]["n_eff_model"] >= 20, m
    ctl = d["controls"]
    assert set(ctl) >= {"cut_coupling", "untrained", "coupling"}
    tr, cut = d["model"]["summary"]["units"], ctl["cut_coupling"]["summary"]["units"]
    carried = [u for u, r in ctl["coupling"]["units"].items() if r["carried"] == "yes"]
    assert carried
    for u in carried:  # within T (the default window since issue 33): 0.61 -> 0.08
        assert cut[u]["wave_fraction"] <= 0.2 * tr[u]["wave_fraction"], u


# --- one wave-frame definition on every side, verdicts that agree with their tests -----

STRIP = (
    "ecog-strip-bids/sub-testsub/ses-EphysMedOff/ieeg/"
    "sub-testsub_ses-EphysMedOff_task-gripforce_run-0_ieeg.vhdr"
)


@pytest.fixture(scope="module")
def model_export(data_dir, tmp_path_factory):
    """The shipped model exported on two fresh images (with its controls)."""
    from neurowave.cli import main
    from neurowave.models import list_pretrained

    names = [
        n for n in ("cornn-tetrominoes-paper", "cornn-tetrominoes-small") if n in list_pretrained()
    ]
    if not names:
        pytest.skip("no pretrained Tetrominoes CoRNN is shipped")
    out = tmp_path_factory.mktemp("export") / "model.nc"
    assert main(["export", f"pretrained:{names[0]}", "--n", "2", "--out", str(out)]) == 0
    return out


def _recording(data_dir, which):
    if which == "utah":
        path = data_dir / "seizure-utah" / "example_seizure_waves.mat"
    else:
        path = data_dir / STRIP
    if not path.is_file():
        pytest.skip(f"{path} is not in the example-data cache")
    return path


@pytest.fixture(scope="module")
def real_pairs(data_dir, model_export):
    stats = StatsOptions(n_boot=50)
    out = {}
    from neurowave.io import AmplitudeWarning

    for which in ("utah", "strip"):
        rec = _recording(data_dir, which)
        if which == "strip":  # its amplitudes are stored in V for uV (tests/io/test_realdata)
            with pytest.warns(AmplitudeWarning, match="implausible"):
                out[which] = compare(model_export, rec, stats=stats, view={"max_trials": 8})
        else:
            out[which] = compare(model_export, rec, stats=stats, view={"max_trials": 8})
    return out


@pytest.mark.parametrize("which", ["utah", "strip"])
def test_one_wave_frame_definition_and_speed_on_every_side(real_pairs, which):
    res = real_pairs[which]
    d = res.to_dict()
    assert d["params"]["wave_frames"] == "patterns"
    sides = [d["model"], d["recording"], *(d["controls"][c] for c in res.control_names)]
    assert len(sides) == 4  # the model, both controls, the recording
    for s in sides:
        assert s["params"]["wave_frames"] == d["params"]["wave_frames"]
        assert s["params"]["speed_estimator"] == d["params"]["speed_estimator"]
        su = s["summary"]
        # under one definition the wave fraction is the moving-pattern share: the two
        # cannot contradict each other
        moving = sum(su["patterns"][p] for p in ("planar", "radial_out", "radial_in", "rotating"))
        assert su["wave_fraction"] == pytest.approx(moving, abs=1e-9)
        # the definitions' comparison is over the pooled frames, not one trial's
        assert su["wave_definitions"]["patterns"] == pytest.approx(su["wave_fraction"])
        assert su["wave_definitions"]["used"] == "patterns"
    # the speed row is the pattern-fit speed on both sides: no second row repeats it
    assert "pattern_speed" not in res.distances
    assert res.table_rows()[0][0] == "metric [wave frames: patterns]"
    # the model's classified fractions are the pooled trials', not one trial's
    cf = d["model"]["params"]["patterns"]["classified_fractions"]
    assert cf == pytest.approx(d["model"]["summary"]["patterns"], abs=1e-9)


def test_strip_wave_fraction_follows_its_planar_share(real_pairs):
    # 6 contacts on a line: the PGD surrogate test can never pass there, yet most frames
    # are a plane wave; with one definition the wave fraction is that planar share
    rec = real_pairs["strip"].recording["summary"]
    assert rec["patterns"]["planar"] > 0.5
    assert rec["wave_fraction"] == pytest.approx(rec["patterns"]["planar"], abs=0.02)
    wd = rec["wave_definitions"]
    assert wd["pgd"] < 0.05 and wd["note"] and "surrogate" in wd["note"]
    # ... and the table says why the other definition differs
    assert any(
        "recording: wave frames by patterns" in n and "surrogate" in n
        for n in real_pairs["strip"].footnotes()
    )


def test_utah_is_all_waves_and_planar(real_pairs):
    rec = real_pairs["utah"].recording["summary"]
    assert rec["wave_fraction"] > 0.95 and rec["patterns"]["planar"] > 0.95
    assert rec["direction"]["mean_deg"] == pytest.approx(195, abs=15)


@pytest.mark.parametrize("which", ["utah", "strip"])
def test_verdicts_never_contradict_their_tests(real_pairs, which):
    res = real_pairs[which]
    alpha = res.scale["verdicts"]["alpha"]
    for m, d in res.distances.items():
        assert d["effect_is"], m
        if d["verdict"] == "different":
            assert d["p_value"] is not None and d["p_value"] <= alpha, m
        if (
            d.get("p_value") is not None
            and d["p_value"] > alpha
            and np.isfinite(d["effect"])
            and not d.get("few_frames")
        ):
            beyond = (
                d["effect_ci_low"] > d["margin"]
                if d["effect_kind"] != "ratio"
                else min(d["effect_ci_low"], 1 / d["effect_ci_high"]) > d["margin"]
            )
            if beyond:  # the effect alone would have said "different"
                assert d["verdict"] == "undecided" and "does not tell" in d["verdict_note"]
    # the scale-free frequency row: medians are 1 by construction, so it shows spreads
    freq = next(r for r in res.table_rows() if r[0] == "frequency")
    assert all(c.startswith("IQR ") for c in freq[1:5])


@pytest.mark.parametrize("which", ["utah", "strip"])
def test_no_mean_direction_where_there_is_none(real_pairs, which):
    from neurowave.compare._pool import mean_direction

    res = real_pairs[which]
    row = next(r for r in res.table_rows() if r[0] == "direction")
    for side, cell in zip(res.sides, row[1 : 1 + len(res.sides)], strict=True):
        s = res.summary_of(side)["summary"]
        n_eff = (
            s.get("pooled", {}).get("n_eff_wave_frames")
            or res.distances["direction"]["n_eff_recording"]
        )
        mean, r, _ = mean_direction(res.values[side]["direction"], n_eff)
        if mean is None:  # the Rayleigh test cannot reject uniformity: no number printed
            assert cell == f"none (R {r:.2f})", (side, cell)
        else:
            assert float(cell) == pytest.approx(mean, abs=0.5), (side, cell)
    # the object-wise model's directions (radial waves in every piece) have no mean
    assert row[1].startswith("none (R ")
    assert res.model["summary"]["direction"]["mean_deg"] is None
    assert "no mean direction" in res.model["summary"]["direction"]["mean_note"]
    d = res.distances["direction"]
    assert d["mean_difference_deg"] is None and "model" in d["no_mean_direction"]
    assert "no mean direction" in d["effect_is"]
