import json

import torch

from neurowave.cli import main

TINY = [
    "--task",
    "tetrominoes-tiny",
    "--task-option",
    "n_train=32",
    "--task-option",
    "n_val=8",
    "--task-option",
    "n_test=8",
]


def test_train_command_writes_a_run(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            *TINY,
            "--model",
            "cornn",
            "--readout",
            "fft",
            "--config",
            "n_steps=6",
            "--config",
            "mlp_hidden=[8]",
            "--epochs",
            "2",
            "--seed",
            "3",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "test fg-IoU" in text and "parameters" in text
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["readout"] == "fft" and run["config"]["n_steps"] == 6
    assert run["seed"] == 3 and run["task"]["n_train"] == 32 and len(run["history"]) == 2
    assert run["lr_schedule"] == "constant"
    assert (out / "best.pt").exists() and (out / "last.pt").exists()
    # resume to 3 epochs: one more line in the metrics log
    assert (
        main(
            [
                "train",
                *TINY,
                "--model",
                "cornn",
                "--readout",
                "fft",
                "--config",
                "n_steps=6",
                "--config",
                "mlp_hidden=[8]",
                "--epochs",
                "3",
                "--seed",
                "3",
                "--resume",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3
    # the same directory again without --resume: one sentence, exit 2
    capsys.readouterr()
    assert main(["train", *TINY, "--model", "cnn", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and len(err.strip().splitlines()) == 1


def test_cosine_schedule_from_the_command_line_and_like(tmp_path, capsys):
    out = tmp_path / "cos"
    assert (
        main(
            [
                "train",
                *TINY,
                "--model",
                "cnn",
                "--config",
                "n_layers=2",
                "--epochs",
                "2",
                "--lr",
                "0.01",
                "--lr-schedule",
                "cosine",
                "--threads",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = json.loads((out / "run.json").read_text())
    assert run["lr_schedule"] == "cosine" and run["lr"] == 0.01
    # --like takes the schedule with the rest of the recipe
    assert (
        main(
            [
                "train",
                "--like",
                str(out),
                *TINY,
                "--epochs",
                "1",
                "--threads",
                "1",
                "--out",
                str(tmp_path / "like"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "like" / "run.json").read_text())["lr_schedule"] == "cosine"
    capsys.readouterr()
    assert (
        main(
            [
                "train",
                *TINY,
                "--model",
                "cnn",
                "--lr-schedule",
                "step",
                "--out",
                str(tmp_path / "bad"),
            ]
        )
        == 2
    )
    assert "lr-schedule" in capsys.readouterr().err


def test_train_command_errors_are_one_sentence(tmp_path, capsys, assert_user_error):
    cases = [
        ["--model", "cnn", "--readout", "fft"],
        ["--model", "cornn", "--config", "n_layers=3"],
        ["--model", "transformer"],
        ["--model", "cnn", "--epochs", "0"],
    ]
    if not torch.cuda.is_available():
        cases.append(["--model", "cnn", "--device", "cuda"])
    for i, extra in enumerate(cases):
        code = main(["train", *TINY, *extra, "--out", str(tmp_path / f"r{i}")])
        err = capsys.readouterr().err
        assert code == 2, extra
        assert err.startswith("neurowave: error:") and len(err.strip().splitlines()) == 1
        assert_user_error(err)


def test_progress_per_batch_without_a_terminal(tmp_path, capsys, monkeypatch):
    """Output not a terminal (as under CI or `> log`): one line per batch, not silence
    until the epoch ends."""
    import importlib

    train_mod = importlib.import_module("neurowave.models.train")  # not the function
    monkeypatch.setattr(train_mod, "BATCH_LINE_SECONDS", 0.0)
    assert (
        main(
            [
                "train",
                *TINY,
                "--model",
                "cornn",
                "--config",
                "n_steps=4",
                "--config",
                "mlp_hidden=[8]",
                "--batch-size",
                "8",
                "--epochs",
                "1",
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if " batch " in ln]
    assert [ln.split(":")[0] for ln in lines] == [f"epoch 1/1 batch {b}/4" for b in (1, 2, 3, 4)]


def test_train_like_a_shipped_model_takes_its_recipe(tmp_path, capsys):
    out = tmp_path / "r"
    assert (
        main(
            [
                "train",
                "--like",
                "pretrained:cornn-tetrominoes-small",
                "--epochs",
                "1",
                "--task-option",
                "n_train=16",
                "--task-option",
                "n_val=8",
                "--task-option",
                "n_test=8",
                "--threads",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = json.loads((out / "run.json").read_text())
    from neurowave.models.train import pretrained_dir

    shipped = json.loads((pretrained_dir() / "cornn-tetrominoes-small.json").read_text())
    assert run["model"] == "cornn" and run["config"] == shipped["config"]
    assert run["lr"] == shipped["lr"] and run["batch_size"] == shipped["batch_size"]
    assert run["task"]["size"] == 24 and run["task"]["n_train"] == 16
    assert "6112 parameters" in capsys.readouterr().out
    # a run directory is a recipe too; without --like, --task and --model are needed
    assert (
        main(
            [
                "train",
                "--like",
                str(out),
                "--epochs",
                "1",
                "--out",
                str(tmp_path / "r2"),
                "--threads",
                "1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["train", "--out", str(tmp_path / "r3")]) == 2
    assert "--like" in capsys.readouterr().err
