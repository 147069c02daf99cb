"""``neurowave compare``: table, JSON, report; bad inputs give one sentence, exit 2,
and nothing half-written."""

import importlib
import json

import numpy as np
import pytest
import xarray as xr

from neurowave.cli import main
from neurowave.datasets import simulate_model_export, simulate_wave
from neurowave.io import write_netcdf


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    model = simulate_model_export(
        "planar",
        speed=0.3,
        frequency=0.05,
        shape=(12, 12),
        n_steps=100,
        n_samples=1,
        n_units=2,
        seed=3,
    )
    write_netcdf(model, d / "model.nc")
    rec, _ = simulate_wave(
        "planar",
        speed=0.012,
        frequency=10.0,
        duration=1.0,
        sampling_rate=200.0,
        snr_db=10.0,
        seed=4,
    )
    write_netcdf(rec, d / "rec.nc")
    nopos = xr.DataArray(
        np.random.default_rng(0).standard_normal((200, 6)),
        dims=("time", "channel"),
        coords={"time": np.arange(200) / 200.0},
        name="signal",
        attrs={"sampling_rate": 200.0},
    )
    write_netcdf(nopos, d / "nopos.nc")
    return d


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_compare_writes_table_json_and_report(files, tmp_path, capsys):
    out, rep = tmp_path / "c.json", tmp_path / "report"
    code = main(
        [
            "compare",
            str(files / "model.nc"),
            str(files / "rec.nc"),
            "--json",
            str(out),
            "--report",
            str(rep),
            "--n-boot",
            "50",
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    for metric in ("speed", "pgd", "direction", "wavelength", "frequency", "patterns"):
        assert metric in stdout
    assert "region widths/cycle" in stdout
    # the table leads with effect sizes, margins and verdicts
    assert "effect [90% CI]" in stdout and "verdict" in stdout
    d = json.loads(out.read_text())
    for m in ("speed", "pgd", "direction", "wavelength", "frequency", "patterns"):
        assert d["distances"][m]["verdict"] in ("equivalent", "different", "undecided"), m
        assert d["distances"][m]["verdict"] in stdout
    assert d == json.loads((rep / "compare.json").read_text())
    assert d["model"]["input"]["n_trials"] == 2
    # 12-cell grid, 6-cell waves: 0.5 region widths per cycle; recording 1.2 mm / 4 mm = 0.3
    assert d["distances"]["speed"]["median_model"] == pytest.approx(0.5, rel=0.15)
    assert d["distances"]["speed"]["median_recording"] == pytest.approx(0.3, rel=0.15)
    assert (rep / "index.html").is_file()
    assert str(rep / "index.html") in stdout


def test_margin_option_sets_the_equivalence_margin(files, tmp_path, capsys):
    out = tmp_path / "c.json"
    code = main(
        [
            "compare",
            str(files / "model.nc"),
            str(files / "rec.nc"),
            "--json",
            str(out),
            "--n-boot",
            "20",
            "--margin",
            "speed=2",
            "--margin",
            "direction=45",
        ]
    )
    assert code == 0
    d = json.loads(out.read_text())
    assert d["distances"]["speed"]["margin"] == 2.0
    assert d["distances"]["direction"]["margin"] == 45.0
    assert d["scale"]["verdicts"]["margins"]["speed"] == 2.0
    assert "x2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "case",
    [
        "not_export",
        "no_positions",
        "band",
        "report_not_empty",
        "bad_dt",
        "missing",
        "bad_margin",
        "margin_below_one",
    ],
)
def test_bad_inputs_one_sentence_exit_2_nothing_written(
    case, files, tmp_path, capsys, assert_user_error
):
    out, rep = tmp_path / "out" / "c.json", tmp_path / "report"
    model, rec = str(files / "model.nc"), str(files / "rec.nc")
    extra = []
    if case == "not_export":
        model = rec
        expect = "not a model export"
    elif case == "no_positions":
        rec = str(files / "nopos.nc")
        expect = "positions"
    elif case == "band":
        extra = ["--band", "2", "40", "--model-dt", "20ms"]
        expect = "cannot support"
    elif case == "report_not_empty":
        rep.mkdir()
        (rep / "notes.txt").write_text("keep me")
        expect = "--overwrite"
    elif case == "bad_dt":
        extra = ["--model-dt", "5 parsecs", "--model-dx", "1mm"]
        expect = "model_dt"
    elif case == "bad_margin":
        extra = ["--margin", "speed"]
        expect = "METRIC=VALUE"
    elif case == "margin_below_one":
        extra = ["--margin", "wavelength=0.5"]
        expect = "above 1"
    else:
        rec = str(files / "nothere.nc")
        expect = "no such file"
    before = _listing(tmp_path)
    code = main(["compare", model, rec, "--json", str(out), "--report", str(rep), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("neurowave: error:")
    assert expect in err
    assert_user_error(err)
    assert _listing(tmp_path) == before  # nothing written, no temporary left


def test_overwrite_replaces_only_an_earlier_report(files, tmp_path, capsys):
    """--overwrite replaces a report folder neurowave wrote, never a folder holding
    anything else (issue 36)."""
    rep = tmp_path / "report"
    args = [
        "compare",
        str(files / "model.nc"),
        str(files / "rec.nc"),
        "--report",
        str(rep),
        "--n-boot",
        "20",
    ]
    assert main(args) == 0, capsys.readouterr().err
    first = (rep / "compare.json").read_text()
    assert main(args) == 2 and "Pass --overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite", "--seed", "1"]) == 0, capsys.readouterr().err
    assert (rep / "index.html").is_file() and (rep / "compare.json").read_text() != first
    (rep / "old.txt").write_text("the user's")
    assert main([*args, "--overwrite"]) == 2
    assert "old.txt, which neurowave did not write" in capsys.readouterr().err
    assert (rep / "old.txt").read_text() == "the user's"


def test_real_recording_without_positions(data_dir, files, tmp_path, capsys):
    # the Persyst clip carries no positions and has no electrode map beside it
    lay = data_dir / "ecog-persyst" / "sub-pt1_ses-02_task-monitor_acq-ecog_run-01_clip2.lay"
    code = main(["compare", str(files / "model.nc"), str(lay), "--report", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "positions" in err
    assert not (tmp_path / "r").exists()


def test_a_failure_while_writing_leaves_nothing(files, tmp_path, capsys, monkeypatch):
    report = importlib.import_module(
        "neurowave.compare.report"
    )  # `neurowave.compare` is the function

    def broken(result):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "plot_patterns", broken)
    before = _listing(tmp_path)
    code = main(
        [
            "compare",
            str(files / "model.nc"),
            str(files / "rec.nc"),
            "--n-boot",
            "10",
            "--json",
            str(tmp_path / "c.json"),
            "--report",
            str(tmp_path / "rep"),
        ]
    )
    assert code == 1 and "disk full" in capsys.readouterr().err
    assert _listing(tmp_path) == before  # neither the JSON nor a partial report


def test_an_image_stack_is_compared_with_the_shared_reader_options(files, tmp_path, capsys):
    """A folder of TIFF frames: compare asks for --pixel-size (one sentence) and, given
    it, reads and compares the stack, like analyze and info do."""
    from PIL import Image

    frames = tmp_path / "frames"
    frames.mkdir()
    t = np.arange(100) / 25.0
    _yy, xx = np.mgrid[0:16, 0:16] * 0.05
    for k, tk in enumerate(t):  # a 2 Hz plane wave along x, 2 mm/s
        img = 20000 + 5000 * np.cos(2 * np.pi * 2.0 * (tk - xx / 2.0))
        Image.fromarray(img.astype(np.uint16)).save(frames / f"f_{k + 1}.tif")
    argv = [
        "compare",
        str(files / "model.nc"),
        str(frames),
        "--frame-rate",
        "25",
        "--band",
        "1",
        "3",
        "--n-boot",
        "20",
        "--surrogates",
        "0",
        "--max-trials",
        "2",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--pixel-size" in err and len(err.strip().splitlines()) == 1
    out = tmp_path / "c.json"
    assert main([*argv, "--pixel-size", "0.05", "--json", str(out)]) == 0, capsys.readouterr().err
    d = json.loads(out.read_text())
    assert d["recording"]["input"]["spacing"] == pytest.approx(0.05)
    assert d["recording"]["input"]["sampling_rate"] == pytest.approx(25.0)


@pytest.mark.parametrize("wave_frames", ["patterns", "pgd"])
def test_wave_frames_one_definition_for_every_side(files, tmp_path, capsys, wave_frames):
    out = tmp_path / "c.json"
    args = [
        "compare",
        str(files / "model.nc"),
        str(files / "rec.nc"),
        "--json",
        str(out),
        "--n-boot",
        "0",
    ]
    if wave_frames != "patterns":  # patterns is the default
        args += ["--wave-frames", wave_frames]
    assert main(args) == 0
    stdout = capsys.readouterr().out
    assert f"metric [wave frames: {wave_frames}]" in stdout
    assert f"wave frames = {wave_frames} on every side" in stdout
    d = json.loads(out.read_text())
    assert d["params"]["wave_frames"] == wave_frames
    for side in ("model", "recording"):
        assert d[side]["params"]["wave_frames"] == wave_frames
        assert d[side]["params"]["speed_estimator"] == d["params"]["speed_estimator"]
    # the pattern-fit speed is a row of its own only when it is not the speed itself
    assert ("pattern_speed" in d["distances"]) is (wave_frames == "pgd")
    with pytest.raises(SystemExit):
        main(args[:-2] + ["--wave-frames", "phase"])


def test_dynamics_row_in_table_json_and_report(files, tmp_path, capsys):
    """``--dynamics``: the DSA row in the table (a distance per model side, the
    recording's own baseline), ``distances.dynamics`` in the JSON with its settings and
    baselines, and its sentence under the table and in the report."""
    out, rep = tmp_path / "c.json", tmp_path / "report"
    code = main(
        [
            "compare",
            str(files / "model.nc"),
            str(files / "rec.nc"),
            "--dynamics",
            "--json",
            str(out),
            "--report",
            str(rep),
            "--n-boot",
            "50",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    row = next(line for line in printed.splitlines() if line.strip().startswith("dynamics"))
    assert "self" in row and "DSA distance" in row
    assert "Dynamical similarity (DSA)" in printed
    d = json.loads(out.read_text())["distances"]["dynamics"]
    assert d["method"].startswith("DSA") or "DSA" in json.dumps(d["method"])
    assert np.isfinite(d["model"]["distance"]) and np.isfinite(d["model"]["baseline"])
    assert np.isfinite(d["recording"]["baseline"]) and d["settings"]
    assert d["model"]["verdict"] in ("alike", "different")
    page = (rep / "index.html").read_text()
    assert "Dynamical similarity (DSA)" in page and "<th>dynamics (DSA)</th>" in page
    # without the flag there is no dynamics row
    main(["compare", str(files / "model.nc"), str(files / "rec.nc"), "--n-boot", "50"])
    assert "dynamics" not in capsys.readouterr().out
