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
    res = compare(model, utah, band=BAND, stats=StatsOptions(n_boot=50))
    ref = analyze(utah, band=BAND).summary
    # the same measures: the recording's JSON is analyze's, number for number
    assert to_jsonable(res.recording["summary"]) == to_jsonable(ref["summary"])
    assert res.recording["params"]["band"] == list(BAND)
    # the array is 10 x 10 at 0.4 mm: 4 mm wide; the rhythm is a few Hz
    assert res.scale["recording_extent"] == pytest.approx(4.0)
    assert 2.0 < 1 / res.scale["recording_period"] < 8.0
    sp = res.distances["speed"]
    assert sp["median_recording"] == pytest.approx(
        ref["summary"]["speed"]["median"] * 1e3 * res.scale["recording_period"] / 4.0, rel=1e-6)


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
    for u in carried:
        assert cut[u]["wave_fraction"] <= 0.1 * tr[u]["wave_fraction"], u
