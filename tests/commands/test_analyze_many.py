"""`neurowave analyze` over several files: one JSON each and a CSV of headline numbers,
serially or on a dask cluster (the same JSON either way)."""

import csv
import json

import pytest

from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import write_netcdf

TRUTH = {"a": (0.2, 60.0), "b": (0.3, 200.0)}


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    for k, (name, (speed, direction)) in enumerate(TRUTH.items()):
        grid, _ = simulate_wave("planar", speed=speed, direction=direction, frequency=15,
                                duration=2.5, snr_db=10, seed=k)
        write_netcdf(grid, folder / f"{name}.nc")
    return folder


def _run(args, capsys):
    code = main(["analyze", *args, "--band", "10", "20", "--surrogates", "19"])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def test_a_glob_gives_one_json_per_file_and_a_csv(two, tmp_path, capsys):
    out = tmp_path / "serial"
    _run([str(two / "*.nc"), "--json", str(out)], capsys)
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", "summary.csv"]
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines(keepends=True)))
    assert [r["path"] for r in rows] == [str(two / "a.nc"), str(two / "b.nc")]
    for r, (speed, direction) in zip(rows, TRUTH.values()):
        assert float(r["speed_median"]) == pytest.approx(speed, rel=0.05)
        assert abs(float(r["direction_mean_deg"]) - direction) < 3
        assert float(r["planar"]) > 0.9 and r["speed_units"] == "m/s"
        s = json.loads((out / f"{r['path'].rsplit('/', 1)[1][:-3]}.json").read_text())
        assert s["summary"]["speed"]["median"] == pytest.approx(float(r["speed_median"]))


def test_a_local_cluster_of_two_workers_gives_the_serial_json(two, tmp_path, capsys):
    pytest.importorskip("distributed")
    files = [str(two / "a.nc"), str(two / "b.nc")]
    serial, dist = tmp_path / "serial", tmp_path / "dist"
    _run([*files, "--json", str(serial)], capsys)
    _run([*files, "--json", str(dist), "--workers", "2", "--csv", str(tmp_path / "t.csv")],
         capsys)
    for name in ("a.json", "b.json"):
        assert json.loads((dist / name).read_text()) == json.loads((serial / name).read_text())
    assert (tmp_path / "t.csv").read_text() == (serial / "summary.csv").read_text()


@pytest.mark.parametrize("extra,match", [
    (["--json", "x.json"], "names a file"),
    (["--plots", "figs"], "one FILE"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either --scheduler"),
    (["--workers", "0"], "at least 1"),
])
def test_bad_many_file_options_are_one_sentence(two, tmp_path, capsys, extra, match):
    extra = [str(tmp_path / e) if e in ("x.json", "figs") else e for e in extra]
    code = main(["analyze", str(two / "a.nc"), str(two / "b.nc"), "--band", "10", "20",
                 *extra])
    err = capsys.readouterr().err
    assert code == 2 and match in err and "Traceback" not in err
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "figs").exists()


def test_a_glob_without_matches_names_the_pattern(tmp_path, capsys):
    code = main(["analyze", str(tmp_path / "none*.nc")])
    err = capsys.readouterr().err
    assert code == 2 and "No file matches" in err


def test_analyze_on_netcdf_imports_no_heavy_library(two):
    """The whole process counts: torch, mne, neo, matplotlib, scipy.signal and
    dask.distributed stay out of `neurowave analyze FILE.nc --band LO HI`."""
    import subprocess
    import sys

    code = ("import sys; from neurowave.cli import main; "
            f"main(['analyze', {str(two / 'a.nc')!r}, '--band', '10', '20', "
            "'--surrogates', '19']); "
            "print(sorted(m for m in ('torch', 'mne', 'neo', 'matplotlib', 'scipy.signal', "
            "'distributed', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_batch_rerun_keeps_the_files_done_and_needs_overwrite_to_redo_them(two, tmp_path,
                                                                              capsys):
    """The resume of a batch: an existing OUT/<name>.json counts as done (issue 36)."""
    out = tmp_path / "batch"
    _run([str(two / "*.nc"), "--json", str(out)], capsys)
    (out / "b.json").unlink()  # as if the first run had been stopped after a.json
    a_before = (out / "a.json").read_bytes()
    err = _run([str(two / "*.nc"), "--json", str(out)], capsys)
    assert f"kept {out / 'a.json'}" in err
    assert (out / "a.json").read_bytes() == a_before and (out / "b.json").is_file()
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["path"] for r in rows] == [str(two / "a.nc"), str(two / "b.nc")]
    _run([str(two / "*.nc"), "--json", str(out), "--overwrite", "--seed", "3"], capsys)
    assert json.loads((out / "a.json").read_text())["params"]["seed"] == 3
