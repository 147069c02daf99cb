"""``neurowave demo``: offline, built-in data, a report, and where it is."""

import json

from neurowave.cli import main
from neurowave.commands.demo import PRETRAINED
from neurowave.models import list_pretrained
from neurowave.datasets import data_dir


def test_demo_writes_a_report_offline(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEUROWAVE_OFFLINE", "1")
    out = tmp_path / "demo"
    code = main(["demo", "--out", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert (out / "index.html").is_file()
    assert f"report: {(out / 'index.html').resolve()}" in cap.out
    d = json.loads((out / "compare.json").read_text())
    real = (data_dir() / "seizure-utah" / "example_seizure_waves.mat").is_file()
    desc = d["recording"]["input"]["description"]
    assert ("human Utah-array seizure" in desc) if real else ("simulated Utah" in desc)
    shipped = [n for n in PRETRAINED if n in list_pretrained()]
    mdesc = d["model"]["input"]["description"]
    assert mdesc.startswith(f"pretrained:{shipped[0]}") if shipped else "simulated" in mdesc
    assert set(d["distances"]) >= {"speed", "pgd", "direction", "wavelength", "frequency",
                                   "patterns"}
    assert d["distances"]["pgd"]["distance"] is not None
    if shipped:
        # the README's headline defaults, no hidden flags: each object on its own, over
        # twice the trained horizon, beside the cut-coupling and untrained controls
        view = d["model"]["params"]["model_view"]
        assert view["model_sites"] == "objects" and view["steps"] == 60
        assert view["n_trials"] == view["n_trials_available"]
        assert set(d["controls"]) >= {"cut_coupling", "untrained", "coupling"}
        assert "cut coupling" in cap.out and "coupling carries" in cap.out


def test_demo_refuses_a_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    assert main(["demo", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
