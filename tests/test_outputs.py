"""Outputs get the user's umask: atomic writes go through 0600/0700 temporary files."""

import os
import stat

import pytest

from neurowave._outputs import atomic_directory, current_umask, write_json_atomic
from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import write_netcdf


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_current_umask_reads_the_mask(umask):
    assert current_umask() == umask
    assert current_umask() == umask  # unchanged by reading it


def test_atomic_outputs_have_the_users_mode(umask, tmp_path):
    write_json_atomic({"a": 1}, tmp_path / "x.json")
    assert _mode(tmp_path / "x.json") == 0o666 & ~umask
    with atomic_directory(tmp_path / "d") as tmp:
        (tmp / "f.txt").write_text("x")
    assert _mode(tmp_path / "d") == 0o777 & ~umask
    assert _mode(tmp_path / "d" / "f.txt") == 0o666 & ~umask
    grid, _ = simulate_wave("planar", duration=0.2, seed=0)
    write_netcdf(grid, tmp_path / "g.nc")
    assert _mode(tmp_path / "g.nc") == 0o666 & ~umask


def test_analyze_outputs_follow_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        grid, _ = simulate_wave("planar", speed=0.2, frequency=15, duration=1.0, seed=0)
        write_netcdf(grid, tmp_path / "g.nc")
        code = main(
            [
                "analyze",
                str(tmp_path / "g.nc"),
                "--surrogates",
                "0",
                "--json",
                str(tmp_path / "s.json"),
                "--plots",
                str(tmp_path / "plots"),
            ]
        )
        assert code == 0, capsys.readouterr().err
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s.json") == 0o644
    assert _mode(tmp_path / "plots") == 0o755
    assert {_mode(p) for p in (tmp_path / "plots").iterdir()} == {0o644}


# ---------------------------------------------------------------- issue 36

import errno  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from neurowave import _outputs  # noqa: E402
from neurowave._outputs import OutputGuard, atomic_file, run_lock, sweep_leftovers  # noqa: E402
from neurowave._validate import NeurowaveError  # noqa: E402


@pytest.mark.parametrize(
    "code,words",
    [
        (errno.ENOSPC, "no space is left"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
        (errno.EFBIG, "largest file"),
    ],
)
def test_a_failed_write_names_the_final_path_and_leaves_nothing(tmp_path, monkeypatch, code, words):
    monkeypatch.setattr(
        _outputs, "_diagnose", lambda path, tmp, err, real=_outputs._diagnose: real(path, None, err)
    )
    final = tmp_path / "out.nc"
    with pytest.raises(NeurowaveError) as info, atomic_file(final) as tmp:
        raise OSError(code, os.strerror(code), str(tmp))
    msg = str(info.value)
    assert msg.startswith(f"Cannot write {final}:") and words in msg
    assert ".part" not in msg and list(tmp_path.iterdir()) == []


def test_a_library_error_on_a_full_disk_says_the_disk_is_full(tmp_path, monkeypatch):
    """HDF5 reports a full disk as 'permission denied' on the temporary file."""

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(os, "statvfs", lambda p: Full())
    with (
        pytest.raises(NeurowaveError, match="no space is left"),
        atomic_file(tmp_path / "m.nc") as tmp,
    ):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp))
    assert list(tmp_path.iterdir()) == []


def test_a_file_size_limit_is_one_sentence_and_exit_2(tmp_path):
    """A real EFBIG: ``ulimit -f`` below the size of the JSON summary."""
    import resource

    grid, _ = simulate_wave("planar", duration=0.5, seed=0)
    write_netcdf(grid, tmp_path / "g.nc")
    out = tmp_path / "s.json"
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="Agg",
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "neurowave.cli",
            "analyze",
            str(tmp_path / "g.nc"),
            "--surrogates",
            "0",
            "--json",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)),
    )
    assert r.returncode == 2, r.stderr
    assert f"Cannot write {out}:" in r.stderr and "ulimit -f" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.nc"]


def test_temp_files_of_killed_runs_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f".g.nc.nw-{_outputs._HOST}-{dead}-0a1b2c3d.part"
    stale.write_bytes(b"\0" * 100)
    live = tmp_path / f".g.nc.nw-{_outputs._HOST}-{os.getpid()}-0a1b2c3d.part"
    live.write_bytes(b"")
    foreign = tmp_path / ".g.nc.abc123.part"  # an older neurowave's name: named, kept
    foreign.write_bytes(b"")
    assert sweep_leftovers(tmp_path / "g.nc") == [foreign]
    assert not stale.exists() and live.exists()


def test_outputs_are_refused_when_they_are_inputs_or_not_neurowaves(tmp_path):
    rec = tmp_path / "rec.nc"
    rec.write_bytes(b"CDF\x01")
    guard = OutputGuard([rec], overwrite=True)
    with pytest.raises(NeurowaveError, match="is the input"):
        guard.file(tmp_path / "." / "rec.nc", option="--json")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NeurowaveError, match="not a JSON file neurowave wrote"):
        guard.file(tmp_path / "notes.txt", option="--json", kind="json")
    (tmp_path / "old.json").write_text('{"a": 1}')
    assert guard.file(tmp_path / "old.json", option="--json") == tmp_path / "old.json"
    with pytest.raises(NeurowaveError, match="Pass --overwrite"):
        OutputGuard([rec]).file(tmp_path / "old.json", option="--json")
    with pytest.raises(NeurowaveError, match="holds the input"):
        guard.folder(tmp_path, option="--plots", kind="analyze-plots")


def test_only_an_earlier_output_folder_of_the_same_kind_is_replaced(tmp_path):
    out = tmp_path / "plots"
    with atomic_directory(out, kind="analyze-plots") as tmp:
        (tmp / "pgd.png").write_bytes(b"png")
    guard = OutputGuard([], overwrite=True)
    assert guard.folder(out, option="--plots", kind="analyze-plots") == out
    with pytest.raises(NeurowaveError, match="Pass --overwrite"):
        OutputGuard([]).folder(out, option="--plots", kind="analyze-plots")
    with pytest.raises(NeurowaveError, match="another kind"):
        guard.folder(out, option="--report", kind="compare-report")
    (out / "notes.txt").write_text("added by the user")
    with pytest.raises(NeurowaveError, match=r"notes\.txt, which neurowave did not write"):
        guard.folder(out, option="--plots", kind="analyze-plots")


def test_a_run_directory_has_one_writer(tmp_path):
    with (
        run_lock(tmp_path / "run"),
        pytest.raises(NeurowaveError, match="in use by another neurowave run"),
        run_lock(tmp_path / "run"),
    ):
        pass
    with run_lock(tmp_path / "run"):  # released with its holder
        pass


def test_text_outputs_follow_the_umask(umask, tmp_path):
    from neurowave.models.train import _atomic_text

    _atomic_text("{}\n", tmp_path / "metrics.jsonl")
    assert _mode(tmp_path / "metrics.jsonl") == 0o666 & ~umask


def test_csv_cells_a_spreadsheet_would_run_are_text():
    from neurowave.commands.analyze import csv_cell

    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1", "-cmd", "@SUM(A1)", "rec.nc")] == [
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "rec.nc",
    ]
    assert csv_cell(-1.5) == -1.5 and csv_cell(None) == ""
