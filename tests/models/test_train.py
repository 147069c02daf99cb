import json

import numpy as np
import pytest
import torch

from neurowave.models import evaluate, get_model, get_task, load_model, train
from neurowave.models.config import config_to_dict

TINY = dict(n_steps=20, dt=0.2, c_mid=8, mlp_hidden=(32, 32))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("run")
    task = get_task("tetrominoes-tiny")
    r = train("cornn", task, model_config=TINY, epochs=40, lr=3e-3, seed=0, out=out, progress=False)
    return out, task, r


def test_tiny_cornn_learns_on_cpu(tiny_run):
    """16x16 Tetrominoes with 2-px blocks, 256 images, 40 epochs (~30 s on one core)."""
    out, task, r = tiny_run
    losses = [h["train_loss"] for h in r["history"]]
    # Criteria with wide margins, so that no change of machine, BLAS or thread count
    # (which moves the numbers by ~0.02) can flip them. Measured on a 2-core VM, one
    # thread: loss 1.69 -> 0.15, objects-vs-background IoU 0.998, test fg-IoU 0.25 (seed 1: 0.57),
    # foreground accuracy 0.37-0.38 against 0.27 for always guessing the commonest piece.
    assert losses[-1] < 0.3 * losses[0]  # the loss falls ten-fold
    assert r["all_background_fg_iou"] == 0.0
    x, y = task.split("test")
    from neurowave.models import predict

    pred = predict(r["model"], x)
    fg_iou = np.sum((pred > 0) & (y > 0)) / np.sum((pred > 0) | (y > 0))
    assert fg_iou > 0.8  # it finds the pieces (untrained or all-background: ~0.1 or 0)
    assert r["test"]["fg_iou"] > 0.1  # and names them well above the all-background 0
    # better than always guessing one piece class, by far more than rounding could move
    chance = max(np.mean(y[y > 0] == k) for k in range(1, 6))
    assert r["test"]["foreground_accuracy"] > chance + 0.04
    # best checkpoint: what best.pt holds scores what run.json says
    model, ckpt = load_model(out)
    assert ckpt["best_epoch"] == r["best_epoch"]
    again = evaluate(model, task, cache=False)
    assert again["fg_iou"] == pytest.approx(r["test"]["fg_iou"], abs=1e-9)
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 0 and run["machine"]["cpu_count"] >= 1
    log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(log) == 40 and log[-1]["epoch"] == 40


def test_resume_continues_exactly(tmp_path):
    torch.set_num_threads(1)
    task = get_task("tetrominoes-tiny", n_train=64, n_val=16, n_test=16)
    cfg = dict(n_steps=6, mlp_hidden=(8,))
    straight = train(
        "cornn", task, model_config=cfg, epochs=3, seed=1, out=tmp_path / "a", progress=False
    )
    train("cornn", task, model_config=cfg, epochs=2, seed=1, out=tmp_path / "b", progress=False)
    resumed = train(
        "cornn",
        task,
        model_config=cfg,
        epochs=3,
        seed=1,
        out=tmp_path / "b",
        resume=True,
        progress=False,
    )
    assert [h["train_loss"] for h in resumed["history"]] == pytest.approx(
        [h["train_loss"] for h in straight["history"]], rel=1e-5
    )
    with pytest.raises(FileExistsError, match="--resume"):
        train("cornn", task, model_config=cfg, epochs=1, out=tmp_path / "b", progress=False)
    with pytest.raises(ValueError, match="other settings"):
        train(
            "cnn",
            task,
            model_config={"n_layers": 2},
            epochs=4,
            out=tmp_path / "b",
            resume=True,
            progress=False,
        )


def test_resume_refuses_other_recipe_settings(tmp_path):
    """Resuming with another batch size, learning rate or schedule is refused with one
    sentence naming each difference; run.json keeps the one recipe the run had."""
    torch.set_num_threads(1)
    task = get_task("tetrominoes-tiny", n_train=16, n_val=4, n_test=4)
    kw = dict(
        model_config=dict(n_steps=4, mlp_hidden=(4,)), seed=0, out=tmp_path / "r", progress=False
    )
    train("cornn", task, epochs=1, batch_size=8, lr=1e-3, **kw)
    for change, named in (
        (dict(batch_size=4), "batch_size 8, but this call asks for batch_size 4"),
        (dict(lr=2e-3), "lr 0.001, but this call asks for lr 0.002"),
        (dict(lr_schedule="cosine"), "lr_schedule constant"),
        (dict(clip=0.5, weight_decay=0.1), "weight_decay 0.0, clip 1.0"),
    ):
        asked = dict(batch_size=8, lr=1e-3) | change
        with pytest.raises(ValueError, match="same settings") as err:
            train("cornn", task, epochs=2, resume=True, **asked, **kw)
        assert named in str(err.value) and len(str(err.value).splitlines()) == 1
    done = train("cornn", task, epochs=2, batch_size=8, lr=1e-3, resume=True, **kw)
    assert done["batch_size"] == 8 and len(done["history"]) == 2
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert (run["batch_size"], run["lr"], run["clip"], run["weight_decay"]) == (8, 1e-3, 1.0, 0.0)
    assert run["selection"].startswith("best validation fg-IoU")


def test_cuda_request_without_cuda_is_one_sentence():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(ValueError, match="--device cpu"):
        train("cnn", get_task("tetrominoes-tiny", n_train=4), epochs=1, device="cuda")


def test_a_format_1_checkpoint_loads_with_the_encoders_it_was_trained_with(tmp_path):
    # format 1 predates `encoder_layers`/`readout_bias`: two convolutions per encoder and
    # a biased linear readout. The shipped pretrained model is such a file.
    old = get_model(
        "cornn", n_steps=6, mlp_hidden=(8,), encoder_layers=(2, 2, 2), readout_bias=True
    )
    cfg = {
        k: v
        for k, v in config_to_dict(old.config).items()
        if k not in ("encoder_layers", "readout_bias")
    }
    torch.save(
        {
            "format": "neurowave-checkpoint-1",
            "model": "cornn",
            "config": cfg,
            "task": {"name": "tetrominoes"},
            "state_dict": old.state_dict(),
        },
        tmp_path / "old.pt",
    )
    model, _ckpt = load_model(tmp_path / "old.pt")
    assert model.config.encoder_layers == (2, 2, 2) and model.config.readout_bias
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(model(x), old.eval()(x))


def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    """DistributedDataParallel over 2 CPU processes (gloo) takes the same steps as one
    process on the same global batches, including a last batch that splits unevenly
    (17 images, batches of 8: the last image alone, so one process sits it out)."""
    import torch

    from neurowave.models import get_task, train

    task = get_task("tetrominoes-tiny", n_train=17, n_val=4, n_test=4)
    opts = dict(
        model_config=dict(n_steps=6, mlp_hidden=(8,), c_mid=4),
        epochs=2,
        batch_size=8,
        lr=3e-3,
        seed=3,
        progress=False,
    )
    one = train("cornn", task, out=tmp_path / "one", **opts)
    two = train("cornn", task, out=tmp_path / "two", nproc=2, **opts)
    assert two["nproc"] == 2 and one["nproc"] == 1
    a = torch.load(tmp_path / "one" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "two" / "last.pt", weights_only=True)["state_dict"]
    for key in a:
        assert torch.allclose(a[key], b[key], rtol=1e-4, atol=1e-6), key
    torch.manual_seed(3)  # the initial weights of both runs
    init = get_model("cornn", in_channels=3, n_classes=6, **opts["model_config"]).state_dict()
    assert max(float((init[k] - a[k]).abs().max()) for k in a) > 1e-3  # training moved them
    np.testing.assert_allclose(
        [h["train_loss"] for h in one["history"]],
        [h["train_loss"] for h in two["history"]],
        rtol=1e-5,
    )
    assert one["test"]["fg_iou"] == pytest.approx(two["test"]["fg_iou"], abs=1e-6)


def test_seeds_as_concurrent_processes_equal_separate_runs(tmp_path):
    from neurowave.models import train_seeds

    task = get_task("tetrominoes-tiny", n_train=32, n_val=8, n_test=8)
    opts = dict(
        model_config=dict(n_layers=2, channels=4, mlp_hidden=(8,)), epochs=2, batch_size=8, lr=1e-2
    )
    runs = train_seeds("cnn", task, seeds=[3, 4], jobs=2, threads=1, out=tmp_path, **opts)
    assert [r["seed"] for r in runs] == [3, 4]
    assert (tmp_path / "seed4" / "run.json").exists()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        alone = [train("cnn", task, seed=s, progress=False, **opts) for s in (3, 4)]
    finally:
        torch.set_num_threads(threads)
    for run, ref in zip(runs, alone, strict=True):
        assert run["test"]["fg_iou"] == ref["test"]["fg_iou"]
        assert [h["train_loss"] for h in run["history"]] == [
            h["train_loss"] for h in ref["history"]
        ]
        for key, value in ref["model"].state_dict().items():
            torch.testing.assert_close(run["state_dict"][key], value, atol=0, rtol=0)
    # the seeds are different runs (a mix-up of seeds would not pass the loop above)
    w3, w4 = (r["state_dict"]["mlp.net.0.weight"] for r in runs)
    assert not torch.equal(w3, w4)


def test_a_callback_adds_to_the_log_and_can_stop_training():
    task = get_task("tetrominoes-tiny", n_train=16, n_val=8, n_test=8)
    seen = []

    def callback(*, model, epoch, row):
        seen.append((epoch, row["val_fg_iou"], model.training))
        return {"marker": 10 * epoch, "stop": epoch == 2}

    result = train(
        "cnn",
        task,
        model_config=dict(n_layers=1, channels=2, mlp_hidden=(4,)),
        epochs=5,
        batch_size=8,
        callback=callback,
        progress=False,
    )
    assert [e for e, _, _ in seen] == [1, 2]
    assert result["epochs_run"] == 2 and len(result["history"]) == 2
    assert [h["marker"] for h in result["history"]] == [10, 20]
    assert "stop" not in result["history"][-1]


def test_cosine_schedule_lowers_the_rate_and_resumes_exactly(tmp_path):
    from neurowave.models.train import _scheduled_lr

    assert _scheduled_lr(1e-3, "cosine", 0, 100) == pytest.approx(1e-3)
    assert _scheduled_lr(1e-3, "cosine", 50, 100) == pytest.approx(0.5e-3)
    assert _scheduled_lr(1e-3, "cosine", 100, 100) == pytest.approx(0.0, abs=1e-12)
    assert _scheduled_lr(1e-3, "constant", 77, 100) == 1e-3
    torch.set_num_threads(1)
    task = get_task("tetrominoes-tiny", n_train=64, n_val=16, n_test=16)
    cfg = dict(n_steps=6, mlp_hidden=(8,))
    kw = dict(model_config=cfg, epochs=3, seed=1, progress=False, lr=3e-3, lr_schedule="cosine")
    straight = train("cornn", task, out=tmp_path / "a", **kw)
    assert straight["lr_schedule"] == "cosine"

    def stop_after_2(*, epoch, **_):
        return {"stop": epoch == 2}

    train("cornn", task, out=tmp_path / "b", callback=stop_after_2, **kw)
    resumed = train("cornn", task, out=tmp_path / "b", resume=True, **kw)
    assert [h["train_loss"] for h in resumed["history"]] == pytest.approx(
        [h["train_loss"] for h in straight["history"]], rel=1e-5
    )
    constant = train("cornn", task, out=tmp_path / "c", **{**kw, "lr_schedule": "constant"})
    assert constant["history"][-1]["train_loss"] != pytest.approx(
        straight["history"][-1]["train_loss"], rel=1e-6
    )
    with pytest.raises(ValueError, match="lr_schedule"):
        train("cornn", task, out=tmp_path / "d", **{**kw, "lr_schedule": "step"})
