"""``neurowave demo``: offline, built-in data, a report, and where it is."""

import json

from neurowave.cli import main
from neurowave.datasets import data_dir
from neurowave.models import default_pretrained, list_pretrained, load_checkpoint


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
    shipped = [default_pretrained()] if list_pretrained() else []
    mdesc = d["model"]["input"]["description"]
    assert mdesc.startswith(f"pretrained:{shipped[0]}") if shipped else "simulated" in mdesc
    assert set(d["distances"]) >= {
        "speed",
        "pgd",
        "direction",
        "wavelength",
        "frequency",
        "patterns",
    }
    assert d["distances"]["pgd"]["distance"] is not None
    if shipped:
        # the README's headline defaults, no hidden flags: each object on its own, within
        # the trained horizon (issue 33), beside the cut-coupling and untrained controls
        view = d["model"]["params"]["model_view"]
        trained = load_checkpoint(f"pretrained:{shipped[0]}")["config"]["n_steps"]
        assert view["model_sites"] == "objects" and view["steps"] == trained
        assert view["n_trials"] == view["n_trials_available"]
        assert set(d["controls"]) >= {"cut_coupling", "untrained", "coupling"}
        assert "cut coupling" in cap.out and "model → coupling cut" in cap.out


def test_demo_refuses_a_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    assert main(["demo", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_demo_rerun_replaces_its_own_folder(tmp_path, capsys, monkeypatch):
    """The README's demo command run twice: the second run replaces the first report."""
    from neurowave.commands import demo

    monkeypatch.setattr(demo, "N_IMAGES", 1)
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0, capsys.readouterr().err
    first = (tmp_path / "neurowave-demo" / "compare.json").stat().st_mtime_ns
    assert main(["demo"]) == 0, capsys.readouterr().err
    out = tmp_path / "neurowave-demo"
    assert (out / "index.html").is_file()
    assert (out / "compare.json").stat().st_mtime_ns >= first
    # a file the user put there is not the demo's: the folder is kept, even with --overwrite
    (out / "notes.txt").write_text("mine")
    assert main(["demo", "--overwrite"]) == 2
    assert "notes.txt, which neurowave did not write" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
