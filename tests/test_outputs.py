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
        code = main(["analyze", str(tmp_path / "g.nc"), "--surrogates", "0",
                     "--json", str(tmp_path / "s.json"), "--plots", str(tmp_path / "plots")])
        assert code == 0, capsys.readouterr().err
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s.json") == 0o644
    assert _mode(tmp_path / "plots") == 0o755
    assert {_mode(p) for p in (tmp_path / "plots").iterdir()} == {0o644}
