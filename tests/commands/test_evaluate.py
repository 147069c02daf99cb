import importlib
import json
import shutil

import pytest

from neurowave.cli import main
from neurowave.models import list_pretrained

train_mod = importlib.import_module("neurowave.models.train")  # the module, not the function

NAME = "cornn-tetrominoes-small"


def test_pretrained_scores_are_reproduced_on_a_fresh_test_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEUROWAVE_CACHE", str(tmp_path / "cache"))  # nothing cached
    assert NAME in list_pretrained()
    meta = json.loads((train_mod.pretrained_dir() / f"{NAME}.json").read_text())
    assert main(["evaluate", f"pretrained:{NAME}", "--json", str(tmp_path / "s.json")]) == 0
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["reproduced"] is True
    assert s["scores"]["fg_iou"] == pytest.approx(meta["scores"]["test"]["fg_iou"], abs=5e-4)
    assert s["scores"]["n_images"] == meta["task"]["n_test"]
    # the shipped model beats the all-background baseline by far
    assert s["scores"]["fg_iou"] > 0.5
    out = capsys.readouterr().out
    assert "reproduced" in out
    # its oscillator diagnostics: unit 0 live over the objects, unit 1 off, with a warning
    d = s["oscillator_diagnostics"]
    assert d["n_images"] == 64 and d["n_steps_trained"] == 30
    live = [u["live_omega_fraction"]["foreground"] for u in d["units"]]
    assert live[0] == 1.0 and live[1] == 0.0
    assert "unit 1: live omega" in out
    assert "warning: unit 1: omega = 0 at every foreground pixel" in out


def test_controls_are_scored_beside_the_model(tmp_path, capsys):
    """``--controls``: the coupling-cut and untrained models on the same images, each with
    its fg-IoU (published metric) and diagnostics; both far below the model."""
    assert (
        main(
            [
                "evaluate",
                f"pretrained:{NAME}",
                "--n",
                "48",
                "--diag-n",
                "16",
                "--controls",
                "--json",
                str(tmp_path / "c.json"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    s = json.loads((tmp_path / "c.json").read_text())
    assert set(s["controls"]) == {"cut_coupling", "untrained"}
    for name, c in s["controls"].items():
        assert c["scores"]["n_images"] == 48
        assert c["scores"]["fg_iou_paper"] < s["scores"]["fg_iou_paper"] - 0.5, name
        assert c["oscillator_diagnostics"]["n_images"] == 16
    assert "cut coupling: fg-IoU, published metric" in out
    assert "untrained: fg-IoU, published metric" in out
    # the cut keeps the live unit 0 bounded within the trained horizon
    cut = s["controls"]["cut_coupling"]["oscillator_diagnostics"]["units"][0]
    assert cut["bounded_within_T"]


def _one_line_exit_2(capsys, argv, check=lambda err: None):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("neurowave: error:") and len(err.strip().splitlines()) == 1
    check(err)
    return err


def test_corrupted_checkpoint_and_task_mismatch(tmp_path, capsys, assert_user_error):
    src = (
        train_mod.pretrained_dir()
        / json.loads((train_mod.pretrained_dir() / f"{NAME}.json").read_text())["file"]
    )
    bad = tmp_path / "bad.pt"
    bad.write_bytes(src.read_bytes()[:5000])
    err = _one_line_exit_2(capsys, ["evaluate", str(bad)], assert_user_error)
    assert "corrupted" in err
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    _one_line_exit_2(capsys, ["evaluate", str(tmp_path / "junk.pt")], assert_user_error)
    err = _one_line_exit_2(
        capsys, ["evaluate", f"pretrained:{NAME}", "--task", "drum"], assert_user_error
    )
    assert "--task tetrominoes" in err
    _one_line_exit_2(capsys, ["evaluate", "pretrained:nope"], assert_user_error)
    _one_line_exit_2(capsys, ["evaluate", str(tmp_path / "missing")], assert_user_error)


def test_pretrained_sha256_is_checked(tmp_path, monkeypatch, capsys, assert_user_error):
    folder = tmp_path / "pretrained"
    shutil.copytree(train_mod.pretrained_dir(), folder)
    meta = json.loads((folder / f"{NAME}.json").read_text())
    data = bytearray((folder / meta["file"]).read_bytes())
    data[-100] ^= 0xFF
    (folder / meta["file"]).write_bytes(bytes(data))
    monkeypatch.setattr(train_mod, "pretrained_dir", lambda: folder)
    err = _one_line_exit_2(capsys, ["evaluate", f"pretrained:{NAME}"], assert_user_error)
    assert "sha256" in err


def test_shipped_score_is_checked_when_the_task_is_named_by_its_preset(
    tmp_path, monkeypatch, capsys
):
    """``--task tetrominoes-small`` is the task the shipped model was trained on: its
    score is checked as without --task; another preset of the same kind is not."""
    monkeypatch.setenv("NEUROWAVE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "s.json"
    assert (
        main(["evaluate", f"pretrained:{NAME}", "--task", "tetrominoes-small", "--json", str(out)])
        == 0
    )
    s = json.loads(out.read_text())
    assert s["reproduced"] is True and "shipped_scores" in s
    assert "reproduced" in capsys.readouterr().out
    assert (
        main(
            [
                "evaluate",
                f"pretrained:{NAME}",
                "--task",
                "tetrominoes-small",
                "--n",
                "8",
                "--json",
                str(out),
            ]
        )
        == 2
    )  # an existing output is kept without --overwrite
    assert "Pass --overwrite" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                f"pretrained:{NAME}",
                "--task",
                "tetrominoes-small",
                "--n",
                "8",
                "--json",
                str(out),
                "--overwrite",
            ]
        )
        == 0
    )
    assert "reproduced" not in json.loads(out.read_text())
    assert "not checked" in capsys.readouterr().out


PAPER, CNN = "cornn-tetrominoes-paper", "cnn-l8-tetrominoes-paper"
#: the CoRNN scores 0.24 (published metric) and 0.23 (ours) above the CNN as shipped
CNN_GAP = 0.15


def test_paper_geometry_cornn_reproduces_its_scores_and_beats_the_local_cnn(tmp_path, monkeypatch):
    """The default pretrained model: the CoRNN at the paper's geometry, trained on 2 CPU
    cores inside 150 minutes, re-scored on a freshly generated 1,000-image test set by
    ``neurowave evaluate`` as users run it; beside it the 8-layer local CNN (17-pixel
    receptive field, smaller than a 28-pixel piece) trained with the same optimizer and
    schedule."""
    monkeypatch.setenv("NEUROWAVE_CACHE", str(tmp_path / "cache"))  # nothing cached
    scores, metas = {}, {}
    for name in (PAPER, CNN):
        assert (
            main(["evaluate", f"pretrained:{name}", "--json", str(tmp_path / f"{name}.json")]) == 0
        )
        s = json.loads((tmp_path / f"{name}.json").read_text())
        meta = json.loads((train_mod.pretrained_dir() / f"{name}.json").read_text())
        metas[name] = meta
        assert s["reproduced"] is True, name
        assert (
            s["task"]["size"] == 64
            and s["task"]["block"] == 7
            and s["task"]["style"] == "published"
        )
        assert s["scores"]["n_images"] == 1000
        assert meta["lr"] == 1e-3 and meta["lr_schedule"] == "cosine" and meta["device"] == "cpu"
        # the recipe settings that the docs compare with the published ones
        assert meta["clip"] == 1.0 and meta["weight_decay"] == 0.0
        assert meta["selection"].startswith("best validation fg-IoU")
        scores[name] = s["scores"]
    # issue 33: the default model's natural frequencies are off in both units
    d = json.loads((tmp_path / f"{PAPER}.json").read_text())["oscillator_diagnostics"]
    assert [u["live_omega_fraction"]["foreground"] for u in d["units"]] == [0.0, 0.0]
    cfg = metas[PAPER]
    # the CoRNN's recipe (docs/reproduction.rst); the CNN is the earlier batch-16 run
    assert cfg["epochs"] == 16 and cfg["batch_size"] == 8
    assert cfg["config"]["n_steps"] == 100 and cfg["config"]["dt"] == 0.1
    assert cfg["config"]["encoder_layers"] == [3, 3, 4] and cfg["machine"]["cpu_count"] == 2
    assert cfg["train_seconds"] <= 150 * 60
    # the goal of issue #16: 0.90 or more by the published metric and by neurowave's
    # stricter per-class IoU
    assert scores[PAPER]["fg_iou_paper"] >= 0.90
    assert scores[PAPER]["fg_iou"] >= 0.90
    # the paper's contrast: the local CNN with a receptive field smaller than a piece
    for metric in ("fg_iou", "fg_iou_paper"):
        assert scores[CNN][metric] < scores[PAPER][metric] - CNN_GAP, metric
