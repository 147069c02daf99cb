"""Bad inputs: one sentence on stderr, exit code 2, no traceback, nothing written."""

import shutil
import subprocess
import sys

import pytest

from neurowave.cli import main


def _bad(kind, writers, tmp):
    """Make the bad input ``kind`` in ``tmp``; return (path, extra CLI args, words the
    message must contain)."""
    if kind == "missing":
        return tmp / "nope.nix", [], ["no such file"]
    if kind == "empty":
        p = tmp / "empty.nix"
        p.write_bytes(b"")
        return p, [], ["empty"]
    if kind == "text_as_nix":
        p = tmp / "notes.nix"
        p.write_text("this is a text file, not NIX\n")
        return p, [], ["not a readable NIX"]
    if kind == "truncated_nix":
        src, _ = writers.nix_cobrawap(tmp)
        b = src.read_bytes()
        p = tmp / "cut.nix"
        p.write_bytes(b[: len(b) // 2])
        src.unlink()
        return p, [], ["NIX", "truncated"]
    if kind == "truncated_edf":
        src, _ = writers.edf_dig(tmp)
        b = src.read_bytes()
        p = tmp / "cut.edf"
        p.write_bytes(b[: len(b) - 700])
        shutil.copy(tmp / "flatgrid-dig.fif", tmp / "cut-dig.fif")  # positions would be found
        src.unlink()
        return p, [], ["truncated"]
    if kind == "nix_without_signals":
        return writers.nix_no_signals(tmp), [], ["no analog signals"]
    if kind == "map_with_foreign_channels":
        src, exp = writers.nix_cmp(tmp)
        m = tmp / "other.cmp"
        cells = {n: (k // 10, k % 10) for k, n in enumerate(exp.names)}
        writers.cmp(m, cells, extra=[("elec999", (9, 9))])
        return src, ["--positions", str(m)], ["elec999", "lacks"]
    if kind == "no_positions":
        import neo
        import numpy as np
        import quantities as pq

        p = tmp / "plain.nix"
        sig = neo.AnalogSignal(np.ones((100, 3)), units="uV", sampling_rate=1 * pq.kHz)
        writers.write_nix(p, [sig])
        return p, [], ["no electrode positions", "--positions"]
    if kind == "unknown_extension":
        p = tmp / "rec.xyz"
        p.write_bytes(b"\x00" * 64)
        return p, [], ["unknown file extension"]
    raise AssertionError(kind)


KINDS = [
    "missing",
    "empty",
    "text_as_nix",
    "truncated_nix",
    "truncated_edf",
    "nix_without_signals",
    "map_with_foreign_channels",
    "no_positions",
    "unknown_extension",
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_file_one_sentence_exit_2(kind, writers, tmp_path, capsys, assert_user_error):
    src = tmp_path / "in"
    src.mkdir()
    path, extra, words = _bad(kind, writers, src)
    listing = sorted(p.name for p in src.iterdir())
    out = tmp_path / "out" / "info.json"
    code = main(["info", str(path), *extra, "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("neurowave: error: ")
    assert_user_error(err)
    for w in words:
        assert w.lower() in lines[0].lower(), (w, lines[0])
    assert not out.exists() and not out.parent.exists(), "nothing may be written"
    assert sorted(p.name for p in src.iterdir()) == listing


def test_bad_file_through_the_console_script(writers, tmp_path):
    p = tmp_path / "notes.nix"
    p.write_text("plain text\n")
    r = subprocess.run(
        [sys.executable, "-m", "neurowave.cli", "info", str(p)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "not a readable NIX" in r.stderr
    assert r.stdout == ""


def test_recording_channel_missing_from_map_is_reported_and_left_out(writers, tmp_path, capsys):
    import warnings

    from neurowave.io import read

    src, exp = writers.nix_cmp(tmp_path)
    m = tmp_path / "partial.cmp"
    keep = exp.names[:-3]
    writers.cmp(
        m, {n: (int(exp.pos[n][1] / 0.4 + 0.5), int(exp.pos[n][0] / 0.4 + 0.5)) for n in keep}
    )
    with pytest.warns(UserWarning, match="left out"):
        g = read(src, positions=m)
    assert sorted(g.attrs["channels_without_position"]) == sorted(exp.names[-3:])
    assert all(n not in g.attrs["channels"] for n in exp.names[-3:])
    assert int((~g.isnull().all("time")).sum()) == len(keep)
    # the CLI reports it as a warning, and still succeeds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["info", str(src), "--positions", str(m)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and exp.names[-1] in err


@pytest.mark.parametrize(
    "scale, factor, words",
    [(1e6, 1e6, "stored or labelled as V"), (1e-6, 1e-6, "in V labelled as µV"), (1.0, None, None)],
)
def test_implausible_amplitudes_name_the_unit_error(tmp_path, scale, factor, words):
    """A .mat recording of ~100 µV s.d. read with its values 1e6 times too large or
    too small warns with the likely scale error; a plausible one does not."""
    import warnings

    import numpy as np
    import scipy.io

    from neurowave.io import AmplitudeWarning, read

    rng = np.random.default_rng(0)
    pos = np.array([[0.4 * i, 0.4 * j] for j in range(3) for i in range(3)])
    p = tmp_path / "rec.mat"
    scipy.io.savemat(
        p, {"data": rng.normal(size=(400, 9)) * 100.0 * scale, "fs": 500.0, "position": pos}
    )
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        read(p)
    amp = [w.message for w in rec if issubclass(w.category, AmplitudeWarning)]
    if factor is None:
        assert not amp
        return
    assert len(amp) == 1 and amp[0].factor == pytest.approx(factor)
    assert words in str(amp[0]) and "physically implausible" in str(amp[0])
