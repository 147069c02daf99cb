"""The damage campaign: every reader and every command over damaged copies of the
test files.

Each file the readers take (NIX, EDF with its montage sidecar, FIF, MATLAB, TIFF,
netCDF wave grid, model export, Blackrock .cmp map, training checkpoint) is damaged
in each of these ways: empty, truncated at four offsets, garbled header bytes,
garbled tail bytes, given another format's extension, replaced by a directory, made
unreadable (chmod 000; when the tests run as root, who reads such files anyway, by
answering ``os.access`` as the kernel answers an ordinary user). Every command that takes that kind of file runs on the damaged copy.
Each case must either succeed (exit 0) or be refused with exit code 2 and ONE line,
``neurowave: error: <sentence>``, that names the damaged file and shows no Python
internal: no traceback, no exception class name, no "unexpected keyword argument" or
"has no attribute", not a bare key. An internal error (exit 1) fails the case.

``CASES`` below lists them all; ``test_campaign_size`` states the count.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from neurowave.cli import main

_IO_CONFTEST = Path(__file__).resolve().parents[1] / "io" / "conftest.py"

#: (kind, how a damaged copy is made)
DAMAGES = (
    "empty",
    "cut_16",
    "cut_third",
    "cut_half",
    "cut_tail",
    "garbled_head",
    "garbled_tail",
    "wrong_extension",
    "directory",
    "unreadable",
)

#: source file -> (extension of the wrong-extension copy, commands that read it)
SOURCES = {
    "nix": (".edf", ("info", "analyze", "compare_recording")),
    "edf": (".nix", ("info", "analyze", "compare_recording")),
    "fif": (".mat", ("info", "analyze")),
    "mat": (".nc", ("info", "analyze", "compare_recording")),
    "tif": (".fif", ("info", "analyze")),
    "grid_nc": (".mat", ("info", "analyze", "compare_recording")),
    "model_nc": (".tif", ("info", "analyze", "compare_model")),
    "cmp": (".nix", ("info_positions", "analyze_positions")),
    "checkpoint": (".nc", ("export", "evaluate")),
    "resume_checkpoint": (".nc", ("train_resume",)),
}

CASES = [(src, dmg, cmd) for src, (_, cmds) in SOURCES.items() for dmg in DAMAGES for cmd in cmds]

_INTERNALS = re.compile(
    r"Traceback|unexpected keyword argument|has no attribute|object is not|"
    r"\b[A-Z][A-Za-z]*(Error|Exception)\b|internal error|<[a-z_.]+ object at 0x"
)


def _load_writers():
    spec = importlib.util.spec_from_file_location("_damage_io_writers", _IO_CONFTEST)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """Undamaged files, each in its own folder (with its sidecars)."""
    from neurowave.datasets import simulate_model_export, simulate_wave
    from neurowave.io import write_netcdf
    from neurowave.models import get_task, train

    w = _load_writers()
    root = tmp_path_factory.mktemp("originals")
    out = {}

    def folder(name):
        d = root / name
        d.mkdir()
        return d

    out["nix"] = w.write_nix_cobrawap(folder("nix"))[0]
    out["edf"] = w.write_edf_dig(folder("edf"))[0]
    out["fif"] = w.write_fif_montage(folder("fif"))[0]
    out["mat"] = w.write_mat(folder("mat"))[0]
    out["tif"] = w.write_tiff_stack(folder("tif"), frames_as_files=False)[0]
    grid, _ = simulate_wave(
        "planar", speed=0.3, frequency=10.0, duration=1.0, sampling_rate=200.0, snr_db=10.0, seed=1
    )
    out["grid_nc"] = folder("grid_nc") / "grid.nc"
    write_netcdf(grid, out["grid_nc"])
    model = simulate_model_export(
        "planar",
        speed=0.3,
        frequency=0.05,
        shape=(10, 10),
        n_steps=80,
        n_samples=1,
        n_units=1,
        seed=2,
    )
    out["model_nc"] = folder("model_nc") / "model.nc"
    write_netcdf(model, out["model_nc"])
    src, _ = w.write_nix_cmp(folder("cmp"))
    out["cmp"] = src.with_suffix(".cmp")
    out["cmp_recording"] = src
    run = folder("checkpoint") / "run"
    train(
        "cornn",
        get_task("tetrominoes-tiny", n_train=8, n_val=4, n_test=4),
        model_config={"n_steps": 4, "mlp_hidden": (4,)},
        epochs=1,
        out=run,
        progress=False,
    )
    out["checkpoint"] = run / "best.pt"
    out["resume_checkpoint"] = run / "last.pt"
    # a good model export and recording for the other side of `compare`
    out["good_model"] = out["model_nc"]
    out["good_recording"] = out["grid_nc"]
    return out


def _garble(data, where, n=64, seed=0):
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    n = min(n, len(b))
    junk = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    if where == "head":
        b[:n] = junk
    else:
        b[len(b) - n :] = junk
    return bytes(b)


def _damaged_copy(src, damage, wrong_ext, dest_dir):
    """Copy the folder of ``src`` (sidecars too) and damage ``src`` in the copy."""
    folder = dest_dir / "case"
    shutil.copytree(src.parent, folder)
    path = folder / src.name
    data = path.read_bytes()
    n = len(data)
    if damage == "empty":
        path.write_bytes(b"")
    elif damage.startswith("cut_"):
        keep = {
            "cut_16": 16,
            "cut_third": n // 3,
            "cut_half": n // 2,
            "cut_tail": n - max(1, n // 50),
        }[damage]
        path.write_bytes(data[:keep])
    elif damage == "garbled_head":
        path.write_bytes(_garble(data, "head"))
    elif damage == "garbled_tail":
        path.write_bytes(_garble(data, "tail"))
    elif damage == "wrong_extension":
        new = path.with_suffix(wrong_ext)
        path.rename(new)
        path = new
    elif damage == "directory":
        path.unlink()
        path.mkdir()
        (path / "inner.txt").write_text("a folder where a file belongs\n")
    elif damage == "unreadable":
        path.chmod(0)
    else:  # pragma: no cover
        raise AssertionError(damage)
    return path


def _argv(cmd, path, originals, tmp):
    out = tmp / "out"
    if cmd == "info":
        return ["info", str(path)], path
    if cmd == "analyze":
        return ["analyze", str(path), "--surrogates", "0", "--json", str(out / "a.json")], path
    if cmd == "compare_recording":
        return [
            "compare",
            str(originals["good_model"]),
            str(path),
            "--n-boot",
            "0",
            "--max-trials",
            "1",
            "--json",
            str(out / "c.json"),
        ], path
    if cmd == "compare_model":
        return [
            "compare",
            str(path),
            str(originals["good_recording"]),
            "--n-boot",
            "0",
            "--max-trials",
            "1",
            "--json",
            str(out / "c.json"),
        ], path
    rec = path.parent / originals["cmp_recording"].name
    if cmd == "info_positions":
        return ["info", str(rec), "--positions", str(path)], path
    if cmd == "analyze_positions":
        return ["analyze", str(rec), "--positions", str(path), "--surrogates", "0"], path
    run = path.parent
    if cmd == "export":
        return ["export", str(path), "--n", "1", "--out", str(out / "m.nc")], path
    if cmd == "evaluate":
        return ["evaluate", str(path), "--n", "2"], path
    if cmd == "train_resume":
        return [
            "train",
            "--task",
            "tetrominoes-tiny",
            "--model",
            "cornn",
            "--epochs",
            "2",
            "--config",
            "n_steps=4",
            "--config",
            "mlp_hidden=[4]",
            "--task-option",
            "n_train=8",
            "--task-option",
            "n_val=4",
            "--task-option",
            "n_test=4",
            "--resume",
            "--out",
            str(run),
        ], path
    raise AssertionError(cmd)  # pragma: no cover


def test_campaign_size():
    """The campaign's count, for the record."""
    assert len(CASES) == 240
    assert len({(s, d) for s, d, _ in CASES}) == len(SOURCES) * len(DAMAGES) == 100


@pytest.mark.parametrize("src,damage,cmd", CASES, ids=["-".join(c) for c in CASES])
def test_damaged_input_is_read_or_refused_in_one_sentence(
    src, damage, cmd, originals, tmp_path, capfd, monkeypatch
):
    wrong_ext = SOURCES[src][0]
    path = _damaged_copy(originals[src], damage, wrong_ext, tmp_path)
    argv, named = _argv(cmd, path, originals, tmp_path)
    if damage == "unreadable" and hasattr(os, "geteuid") and os.geteuid() == 0:
        # root reads a chmod-000 file anyway: show it unreadable the way the kernel
        # answers an ordinary user (CI runs the real chmod as one)
        real_access = os.access
        hidden = {str(path), str(named)}

        def access(p, mode, *args, **kwargs):
            if str(p) in hidden and mode & os.R_OK:
                return False
            return real_access(p, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    capfd.readouterr()
    try:
        code = main(argv)
    finally:
        if damage == "unreadable":
            for p in (path, named):
                if p.exists():
                    p.chmod(0o644)
    out, err = capfd.readouterr()
    assert code in (0, 2), (code, err)
    assert "Traceback" not in out + err
    if code == 0:
        return
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if not ln.startswith("neurowave: warning: ")]
    assert len(errors) == 1, err
    line = errors[0]
    assert line.startswith("neurowave: error: "), line
    sentence = line[len("neurowave: error: ") :]
    assert len(sentence.split()) >= 4, f"not a sentence: {line!r}"
    assert not _INTERNALS.search(sentence), f"a Python internal in: {line!r}"
    names = {named.name, path.name, path.parent.name}
    assert any(n in sentence for n in names), f"the file is not named: {line!r}"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir()), (
        "a refused command wrote output"
    )
