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
