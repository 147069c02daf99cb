"""``neurowave list``: the pretrained models with the default first, tasks and models."""

import json

from neurowave.cli import main
from neurowave.models import default_pretrained, list_pretrained


def test_list_puts_the_default_pretrained_model_first(tmp_path, capsys):
    assert main(["list", "--json", str(tmp_path / "l.json")]) == 0
    out = capsys.readouterr().out
    d = json.loads((tmp_path / "l.json").read_text())
    rows = d["pretrained"]
    assert {r["name"] for r in rows} == set(list_pretrained())
    assert rows[0]["name"] == default_pretrained() == "cornn-tetrominoes-paper"
    assert [r["default"] for r in rows].count(True) == 1
    assert f"{default_pretrained()} (default)" in out
    # both metrics are listed for every model, as shipped
    for r in rows:
        assert 0 < r["test_fg_iou"] <= 1 and 0 < r["test_fg_iou_paper"] <= 1
    assert {"tetrominoes-paper", "tetrominoes-small"} <= {t["name"] for t in d["tasks"]}
    assert "cornn" in {m["name"] for m in d["models"]}


def test_list_shows_the_shipped_oscillator_diagnostics(tmp_path, capsys):
    """From the shipped metadata: the default model's oscillators are off in both units
    and its states grow within T; the small model's unit 1 is off; said in one sentence
    each; the CNN has no oscillators."""
    assert main(["list", "pretrained", "--json", str(tmp_path / "l.json")]) == 0
    out = capsys.readouterr().out
    rows = {r["name"]: r for r in json.loads((tmp_path / "l.json").read_text())["pretrained"]}
    paper = rows["cornn-tetrominoes-paper"]["oscillator_diagnostics"]
    assert paper["live_omega_foreground"] == [0.0, 0.0] and not paper["bounded_within_T"]
    small = rows["cornn-tetrominoes-small"]["oscillator_diagnostics"]
    assert small["live_omega_foreground"][0] == 1.0 and small["live_omega_foreground"][1] == 0.0
    assert rows["cnn-l8-tetrominoes-paper"]["oscillator_diagnostics"] is None
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2
    assert "cornn-tetrominoes-paper" in notes[0] and "units 0 and 1 (oscillators off)" in notes[0]
    assert "cornn-tetrominoes-small" in notes[1] and "unit 1 (oscillators off)" in notes[1]
    assert "0%/0%" in out and "100%/0%" in out
