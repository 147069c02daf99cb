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
        grid, _ = simulate_wave(
            "planar",
            speed=speed,
            direction=direction,
            frequency=15,
            duration=2.5,
            snr_db=10,
            seed=k,
        )
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
    for r, (speed, direction) in zip(rows, TRUTH.values(), strict=True):
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
    _run([*files, "--json", str(dist), "--workers", "2", "--csv", str(tmp_path / "t.csv")], capsys)
    for name in ("a.json", "b.json"):
        assert json.loads((dist / name).read_text()) == json.loads((serial / name).read_text())
    assert (tmp_path / "t.csv").read_text() == (serial / "summary.csv").read_text()


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--json", "x.json"], "names a file"),
        (["--plots", "figs"], "one FILE"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either --scheduler"),
        (["--workers", "0"], "at least 1"),
    ],
)
def test_bad_many_file_options_are_one_sentence(two, tmp_path, capsys, extra, match):
    extra = [str(tmp_path / e) if e in ("x.json", "figs") else e for e in extra]
    code = main(["analyze", str(two / "a.nc"), str(two / "b.nc"), "--band", "10", "20", *extra])
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

    code = (
        "import sys; from neurowave.cli import main; "
        f"main(['analyze', {str(two / 'a.nc')!r}, '--band', '10', '20', "
        "'--surrogates', '19']); "
        "print(sorted(m for m in ('torch', 'mne', 'neo', 'matplotlib', 'scipy.signal', "
        "'distributed', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_batch_rerun_keeps_the_files_done_and_needs_overwrite_to_redo_them(two, tmp_path, capsys):
    """The resume of a batch: an existing OUT/<name>.json counts as done (issue 36)."""
    out = tmp_path / "batch"
    _run([str(two / "*.nc"), "--json", str(out)], capsys)
    (out / "b.json").unlink()  # as if the first run had been stopped after a.json
    a_before = (out / "a.json").read_bytes()
    err = _run([str(two / "*.nc"), "--json", str(out)], capsys)
    assert f"1 of 2 files kept from an earlier run in {out}" in err
    assert "1 analysed, 1 kept from an earlier run, 0 failed." in err
    assert (out / "a.json").read_bytes() == a_before and (out / "b.json").is_file()
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert [r["path"] for r in rows] == [str(two / "a.nc"), str(two / "b.nc")]
    _run([str(two / "*.nc"), "--json", str(out), "--overwrite", "--seed", "3"], capsys)
    assert json.loads((out / "a.json").read_text())["params"]["seed"] == 3


# -- a bad file costs only itself; reruns resume (issue 28) -------------------------


@pytest.fixture
def mixed(two, tmp_path):
    """Two good recordings, one without positions, one that is not netCDF at all."""
    import shutil

    import xarray as xr

    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("a", "b"):
        shutil.copy(two / f"{name}.nc", folder / f"{name}.nc")
    with xr.open_dataarray(two / "a.nc") as g:
        write_netcdf(g.load().drop_vars("x"), folder / "c_nopos.nc")
    (folder / "d_junk.nc").write_bytes(b"not a netCDF file " * 20)
    return folder


def _analyze(args, capsys):
    code = main(["analyze", *args, "--band", "10", "20", "--surrogates", "19"])
    return code, capsys.readouterr().err


def test_a_bad_file_costs_only_itself(mixed, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = _analyze([str(mixed / "*.nc"), "--json", str(out)], capsys)
    assert code == 2 and "Traceback" not in err and "internal error" not in err
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", "summary.csv"]
    lines = [ln for ln in err.splitlines() if ln.startswith("neurowave: error: ")]
    assert len(lines) == 2  # one line per failed file, naming it, with its reason
    assert lines[0].startswith(f"neurowave: error: {mixed / 'c_nopos.nc'}: ")
    assert "has no `x` coordinate: sites need positions" in lines[0]
    assert lines[1].startswith(
        f"neurowave: error: {mixed / 'd_junk.nc'} is not a readable netCDF file"
    )  # named once: its sentence named it already
    assert err.strip().splitlines()[-1] == (
        f"neurowave: 2 analysed, 2 failed: {mixed / 'c_nopos.nc'}, {mixed / 'd_junk.nc'}."
    )
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert [(r["path"].rsplit("/", 1)[1], r["status"]) for r in rows] == [
        ("a.nc", "ok"),
        ("b.nc", "ok"),
        ("c_nopos.nc", "failed"),
        ("d_junk.nc", "failed"),
    ]
    assert rows[2]["error"] == lines[0][len("neurowave: error: ") :]
    assert rows[2]["speed_median"] == "" and float(rows[0]["speed_median"]) == pytest.approx(
        TRUTH["a"][0], rel=0.05
    )


def test_a_rerun_after_a_repair_analyses_only_that_file(mixed, two, tmp_path, capsys):
    import shutil

    out = tmp_path / "out"
    assert _analyze([str(mixed / "*.nc"), "--json", str(out)], capsys)[0] == 2
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("*.json")}
    shutil.copy(two / "b.nc", mixed / "c_nopos.nc")  # repaired
    code, err = _analyze([str(mixed / "*.nc"), "--json", str(out)], capsys)
    assert code == 2  # d_junk.nc is still bad, and tried again
    assert "2 of 4 files kept from an earlier run" in err
    assert err.strip().splitlines()[-1] == (
        f"neurowave: 1 analysed, 2 kept from an earlier run, 1 failed: {mixed / 'd_junk.nc'}."
    )
    assert {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in out.glob("*.json")
        if p.name != "c_nopos.json"
    } == before  # untouched
    c = json.loads((out / "c_nopos.json").read_text())
    assert c["summary"]["speed"]["median"] == pytest.approx(TRUTH["b"][0], rel=0.05)
    rows = list(csv.DictReader((out / "summary.csv").read_text().splitlines()))
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "failed"]


def test_a_rerun_refuses_a_json_of_another_input_or_other_options(two, tmp_path, capsys):
    import os
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b"):
        shutil.copy(two / f"{name}.nc", src / f"{name}.nc")
    out = tmp_path / "out"
    assert _analyze([str(src / "*.nc"), "--json", str(out)], capsys)[0] == 0
    a_json = (out / "a.json").read_bytes()
    prov = json.loads(a_json)["provenance"]
    assert prov["input"]["size"] == (src / "a.nc").stat().st_size
    assert prov["options"]["band"] == [10.0, 20.0] and prov["options"]["n_surrogates"] == 19
    # the input changed (same size, new time): a.json is kept and the file refused
    st = (src / "a.nc").stat()
    os.utime(src / "a.nc", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    code, err = _analyze([str(src / "*.nc"), "--json", str(out)], capsys)
    assert code == 2 and (out / "a.json").read_bytes() == a_json
    assert f"{out / 'a.json'} holds the results of {src / 'a.nc'} as it was before" in err
    assert "pass --overwrite" in err
    assert "0 analysed, 1 kept from an earlier run, 1 failed" in err
    # other options: every file refused, nothing replaced
    code, err = _analyze([str(src / "*.nc"), "--json", str(out), "--seed", "5"], capsys)
    assert code == 2 and "other options (seed: 0 then, 5 now)" in err
    assert (out / "a.json").read_bytes() == a_json
    code, err = _analyze(
        [str(src / "*.nc"), "--json", str(out), "--seed", "5", "--overwrite"], capsys
    )
    assert code == 0 and "2 analysed, 0 failed." in err
    assert json.loads((out / "a.json").read_text())["params"]["seed"] == 5


def test_fail_fast_stops_at_the_first_bad_file(mixed, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = _analyze(
        [str(mixed / "c_nopos.nc"), str(mixed / "a.nc"), "--json", str(out), "--fail-fast"], capsys
    )
    assert code == 2 and err.count("neurowave: error: ") == 1
    assert f"{mixed / 'c_nopos.nc'}: `grid`" in err and not (out / "a.json").exists()


def test_a_bug_still_stops_the_batch(mixed, tmp_path, capsys, monkeypatch):
    import neurowave.commands.analyze as cmd

    real = cmd.analyze_file

    def buggy(path, *a, **k):
        if path.endswith("b.nc"):
            raise ZeroDivisionError("a bug")
        return real(path, *a, **k)

    monkeypatch.setattr(cmd, "analyze_file", buggy)
    out = tmp_path / "out"
    code, err = _analyze(
        [str(mixed / "a.nc"), str(mixed / "b.nc"), str(mixed / "d_junk.nc"), "--json", str(out)],
        capsys,
    )
    assert code == 1 and "internal error" in err and "ZeroDivisionError" in err
    assert (out / "a.json").is_file() and not (out / "summary.csv").exists()


def test_the_api_names_the_file_and_keeps_the_error_class(mixed):
    from neurowave import NeurowaveError
    from neurowave.commands.analyze import analyze_file

    with pytest.raises(NeurowaveError) as info:
        analyze_file(str(mixed / "c_nopos.nc"), {"band": (10, 20)})
    assert str(info.value).startswith(f"{mixed / 'c_nopos.nc'}: `grid`")
    assert type(info.value) is NeurowaveError


def test_info_goes_on_past_a_bad_file(mixed, capsys):
    code = main(["info", str(mixed / "a.nc"), str(mixed / "c_nopos.nc"), str(mixed / "b.nc")])
    out, err = capsys.readouterr()
    assert code == 2 and out.count("neurowave info ") == 2
    assert f"neurowave: error: {mixed / 'c_nopos.nc'}: " in err
    assert err.strip().splitlines()[-1] == (f"neurowave: 2 read, 1 failed: {mixed / 'c_nopos.nc'}.")


def test_a_bad_file_on_a_cluster_is_one_line_and_the_rest_equals_serial(mixed, tmp_path, capfd):
    """On the workers a bad file is a result, not a task failure: no "Compute Failed"
    traceback from the workers (captured at the file descriptor), one line each."""
    pytest.importorskip("distributed")
    serial, dist = tmp_path / "serial", tmp_path / "dist"
    base = ["analyze", str(mixed / "*.nc"), "--band", "10", "20", "--surrogates", "19"]
    assert main([*base, "--json", str(serial)]) == 2
    capfd.readouterr()
    assert main([*base, "--json", str(dist), "--workers", "2"]) == 2
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Compute Failed" not in err
    assert err.count("neurowave: error: ") == 2
    for name in ("a.json", "b.json"):
        assert json.loads((dist / name).read_text()) == json.loads((serial / name).read_text())
    assert (dist / "summary.csv").read_text() == (serial / "summary.csv").read_text()
