"""User errors, internal errors and warnings on the command line (neurowave._errors)."""

from __future__ import annotations

import errno
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import neurowave
from neurowave._errors import show_warning, user_error_message
from neurowave._validate import (
    NeurowaveError,
    NeurowaveFileNotFoundError,
    NeurowaveTypeError,
    check_path,
)
from neurowave.cli import main

ROOT = Path(neurowave.__file__).resolve().parent


@pytest.fixture
def rec(tmp_path):
    from neurowave.datasets import simulate_wave
    from neurowave.io import write_netcdf

    grid, _ = simulate_wave(
        "planar", speed=0.3, frequency=10.0, duration=0.5, sampling_rate=200.0, seed=0
    )
    write_netcdf(grid, tmp_path / "rec.nc")
    return tmp_path / "rec.nc"


def _lines(err):
    return [ln for ln in err.splitlines() if ln.strip()]


def test_the_user_error_type():
    err = NeurowaveError("rec.nix holds no analog signals.", fix="Pass another file.")
    assert str(err) == "rec.nix holds no analog signals. Pass another file."
    assert (err.what, err.fix) == ("rec.nix holds no analog signals.", "Pass another file.")
    assert isinstance(err, ValueError) and isinstance(NeurowaveTypeError("x"), TypeError)
    assert isinstance(NeurowaveFileNotFoundError("x"), FileNotFoundError)
    assert neurowave.NeurowaveError is NeurowaveError
    back = pickle.loads(pickle.dumps(err))  # crosses dask/multiprocessing workers
    assert type(back) is NeurowaveError and str(back) == str(err) and back.fix == err.fix
    with pytest.raises(NeurowaveFileNotFoundError, match=r"nope\.nc: no such file"):
        check_path("nope.nc")


def test_internal_error_is_never_passed_off_as_a_user_error(rec, monkeypatch, capsys):
    """A KeyError deep inside (the issue's `neurowave: error: unit`) or a ValueError
    of numpy is a bug: one line saying so, where, and what to do; exit code 1."""
    import neurowave.waves

    for exc in (
        KeyError("unit"),
        ValueError("operands could not be broadcast together"),
        IndexError("index 3 is out of bounds"),
        TypeError("f() got an unexpected keyword argument 'x'"),
    ):

        def broken(*args, _exc=exc, **kwargs):
            raise _exc

        monkeypatch.setattr(neurowave.waves, "analyze", broken)
        code = main(["analyze", str(rec)])
        err = capsys.readouterr().err
        assert code == 1, err
        (line,) = _lines(err)
        assert line.startswith("neurowave: internal error while running `neurowave analyze`")
        assert "rerun with --debug and report it" in line
        assert "neurowave: error:" not in line
        assert type(exc).__name__ in line  # for the bug report, inside the sentence
        with pytest.raises(type(exc)):
            main(["--debug", "analyze", str(rec)])


def test_model_export_with_wrong_dims_is_a_user_error(tmp_path, capsys):
    """The measured case of the issue: `hidden` (sample, time, neuron)."""
    import xarray as xr

    p = tmp_path / "hidden.nc"
    xr.Dataset(
        {"hidden": (("sample", "time", "neuron"), np.random.default_rng(0).random((2, 50, 9)))}
    ).to_netcdf(p)
    assert main(["analyze", str(p)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line.startswith("neurowave: error: ") and str(p) in line
    assert "('sample', 'time', 'neuron')" in line and "neurowave export" in line


@pytest.mark.parametrize(
    "code,words",
    [
        (errno.EACCES, "permission denied"),
        (errno.ENOSPC, "no space left"),
        (errno.EISDIR, "is a directory"),
        (errno.EROFS, "read-only"),
        (errno.ENOENT, "no such file"),
    ],
)
def test_file_system_failures_are_user_errors(code, words, rec, monkeypatch, capsys):
    import neurowave.waves

    def fail(*args, **kwargs):
        raise OSError(code, "os message", "/data/out/a.json")

    monkeypatch.setattr(neurowave.waves, "analyze", fail)
    assert main(["analyze", str(rec)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line.startswith("neurowave: error: /data/out/a.json: ") and words in line


def test_other_os_errors_are_internal():
    assert user_error_message(OSError("Unable to synchronously open object")) is None
    assert user_error_message(OSError(errno.ENOMEM, "Cannot allocate memory")) is None
    assert user_error_message(KeyError("unit")) is None


def test_nan_warnings_silenced_and_third_party_warnings_reworded(capsys):
    show_warning(
        RuntimeWarning("Degrees of freedom <= 0 for slice."),
        RuntimeWarning,
        "/x/site-packages/numpy/lib/_nanfunctions_impl.py",
        1,
    )
    show_warning(
        RuntimeWarning("Mean of empty slice"),
        RuntimeWarning,
        "/x/site-packages/numpy/lib/_nanfunctions_impl.py",
        1,
    )
    show_warning(
        FutureWarning("the default of X will change"),
        FutureWarning,
        "/x/site-packages/xarray/core/dataset.py",
        1,
    )
    show_warning(
        RuntimeWarning("Omitted 3 annotation(s)\nthat were outside data range."),
        RuntimeWarning,
        "/x/site-packages/mne/io/edf/edf.py",
        1,
    )
    show_warning(
        UserWarning("rec.nix: 3 channel(s) without a position were left out."),
        UserWarning,
        str(ROOT / "io" / "positions.py"),
        1,
    )
    lines = _lines(capsys.readouterr().err)
    assert lines == [
        "neurowave: warning: mne: Omitted 3 annotation(s) that were outside data range.",
        "neurowave: warning: rec.nix: 3 channel(s) without a position were left out.",
    ]


def test_all_nan_recording_one_sentence_no_numpy_warning(tmp_path, capsys):
    """All sites dead: the error names the file; numpy's NaN warnings never show."""
    import scipy.io

    p = tmp_path / "dead.mat"
    pos = np.array([[0.4 * (k % 4), 0.4 * (k // 4)] for k in range(16)])
    scipy.io.savemat(p, {"data": np.full((300, 16), np.nan), "fs": 500.0, "position": pos})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the reader itself raises no warning either
        with pytest.raises(NeurowaveError):
            neurowave.validate_grid(neurowave.read(p))
    for cmd in ("info", "analyze"):
        assert main([cmd, str(p)]) == 2
        (line,) = _lines(capsys.readouterr().err)
        assert "dead.mat" in line and "all NaN" in line, line


def test_every_checked_input_raises_the_project_type():
    """Input checks raise NeurowaveError (or its typed variants), never a bare
    ValueError/TypeError that the command line would take for a bug. An invariant of
    neurowave's own (a bug if it breaks) says so with `# internal` on its line."""
    bare = re.compile(
        r"\b(raise|return) (ValueError|TypeError|FileNotFoundError|"
        r"FileExistsError|IsADirectoryError|NotADirectoryError|PermissionError)\("
    )
    found = []
    for p in sorted(ROOT.rglob("*.py")):
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if bare.search(line) and "# internal" not in line:
                found.append(f"{p.relative_to(ROOT.parent)}:{i}: {line.strip()}")
    assert not found, "raise NeurowaveError (neurowave._validate) instead:\n" + "\n".join(found)
