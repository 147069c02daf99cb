"""compare on the human Utah-array seizure recording (example data, NEUROWAVE_DATA)."""

import numpy as np
import pytest

from neurowave.commands._util import to_jsonable
from neurowave.compare import compare
from neurowave.compare._simdata import simulate_model_export

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
    res = compare(model, utah, band=BAND, n_boot=50)
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


def test_pretrained_model_against_utah(utah, tmp_path):
    name = _pretrained()
    if name is None:
        pytest.skip("no pretrained Tetrominoes model is shipped yet")
    from neurowave.models import export_hidden, load_model, task_from_spec

    model, ckpt = load_model(f"pretrained:{name}")
    ds = export_hidden(model, task_from_spec(ckpt["task"]), n=2, seed=0, n_steps=200,
                       source=f"pretrained:{name}")
    res = compare(ds, utah, band=BAND, model_sites="foreground", max_trials=8, n_boot=100)
    d = res.to_dict()
    assert d["model"]["input"]["n_trials"] >= 1
    for m in ("pgd", "frequency", "patterns"):
        v = d["distances"][m]
        assert v["distance"] is not None and np.isfinite(v["distance"]), m
        assert v["ci_low"] <= v["distance"] <= v["ci_high"] or v["ci_low"] == 0
    res.write_report(tmp_path / "report")
    assert (tmp_path / "report" / "index.html").is_file()
