import numpy as np
import xarray as xr

from neurowave.cli import main

NAME = "pretrained:cornn-tetrominoes-small"


def test_export_command_is_deterministic_and_opens_with_xarray(tmp_path, capsys):
    a, b, u = tmp_path / "a.nc", tmp_path / "b.nc", tmp_path / "u.nc"
    assert main(["export", NAME, "--n", "2", "--seed", "5", "--out", str(a)]) == 0
    assert main(["export", NAME, "--n", "2", "--seed", "5", "--out", str(b)]) == 0
    assert main(["export", NAME, "--n", "2", "--seed", "5", "--untrained", "--out", str(u)]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    # the score printed is the fg-IoU (both metrics), not pixel accuracy with background
    assert "fg-IoU" in out and "published metric" in out and "accuracy" not in out
    # the small model's unit 1 has its oscillators off: said as a warning
    assert "warning: unit 1: omega = 0 at every foreground pixel" in out
    da, db, du = (xr.open_dataset(p).load() for p in (a, b, u))
    xr.testing.assert_identical(da, db)
    assert da["hidden"].dims == ("sample", "time", "unit", "y", "x")
    assert da.attrs["kind"] == "model" and da.attrs["sampling_rate"] == 1.0
    assert da["time"].attrs["units"] == "step"
    # the trained model segments; the untrained control does not, on the same images
    np.testing.assert_array_equal(da["image"].values, du["image"].values)
    acc = float((da.prediction == da.label).where(da.label > 0).mean())
    acc_u = float((du.prediction == du.label).where(du.label > 0).mean())
    assert acc > acc_u + 0.3


def test_export_errors_are_one_sentence(tmp_path, capsys, assert_user_error):
    from neurowave.models import get_task, train

    run = tmp_path / "cnn"
    train(
        "cnn",
        get_task("tetrominoes-tiny", n_train=8, n_val=4, n_test=4),
        model_config={"n_layers": 1, "mlp_hidden": (4,)},
        epochs=1,
        out=run,
        progress=False,
    )
    for argv in (
        ["export", str(run), "--out", str(tmp_path / "x.nc")],
        ["export", NAME, "--task", "digits", "--out", str(tmp_path / "x.nc")],
        ["export", NAME, "--n", "0", "--out", str(tmp_path / "x.nc")],
        ["export", NAME, "--out", str(tmp_path)],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, argv
        assert err.startswith("neurowave: error:") and len(err.strip().splitlines()) == 1
        assert_user_error(err)
    assert not (tmp_path / "x.nc").exists()
