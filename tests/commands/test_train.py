import json

import pytest
import torch

from neurowave.cli import main

TINY = ["--task", "tetrominoes-tiny", "--task-option", "n_train=32", "--task-option", "n_val=8",
        "--task-option", "n_test=8"]


def test_train_command_writes_a_run(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", *TINY, "--model", "cornn", "--readout", "fft", "--config", "n_steps=6",
                 "--config", "mlp_hidden=[8]", "--epochs", "2", "--seed", "3", "--threads", "1",
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "test fg-IoU" in text and "parameters" in text
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["readout"] == "fft" and run["config"]["n_steps"] == 6
    assert run["seed"] == 3 and run["task"]["n_train"] == 32 and len(run["history"]) == 2
    assert (out / "best.pt").exists() and (out / "last.pt").exists()
    # resume to 3 epochs: one more line in the metrics log
    assert main(["train", *TINY, "--model", "cornn", "--readout", "fft", "--config", "n_steps=6",
                 "--config", "mlp_hidden=[8]", "--epochs", "3", "--seed", "3", "--resume",
                 "--out", str(out)]) == 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3
    # the same directory again without --resume: one sentence, exit 2
    capsys.readouterr()
    assert main(["train", *TINY, "--model", "cnn", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and len(err.strip().splitlines()) == 1


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
