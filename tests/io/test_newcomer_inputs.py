"""Inputs a newcomer tries: a sample table beside a recording, a table as a recording,
an empty folder, image options on a non-image file. One sentence each, never a
reader's internals."""

import json

import numpy as np
import pytest

from neurowave.cli import main
from neurowave.io import read


def _samples_csv(path, n=5):
    rng = np.random.default_rng(0)
    np.savetxt(
        path,
        rng.normal(size=(50, n)),
        delimiter=",",
        header=",".join(f"ch{i}" for i in range(n)),
        comments="",
    )


def test_sample_table_beside_a_recording_is_ignored_with_one_warning(writers, tmp_path, capsys):
    """recording.csv of samples beside recording.nix: not a map, so the NIX file's own
    coordinates are used, one warning names the CSV, and info says where the
    positions came from."""
    path, _exp = writers.nix_cobrawap(tmp_path)
    side = path.with_suffix(".csv")
    _samples_csv(side)
    with pytest.warns(UserWarning, match=f"{side.name}.*does not read as an electrode map"):
        grid = read(path)
    assert grid.sizes["y"] == 10 and grid.sizes["x"] == 10
    assert side.name not in grid.attrs["positions_source"]
    out = tmp_path / "facts.json"
    assert main(["info", str(path), "--json", str(out)]) == 0
    cap = capsys.readouterr()
    assert cap.err.count("does not read as an electrode map") == 1 and side.name in cap.err
    facts = json.loads(out.read_text())
    assert facts["positions_source"] and side.name not in facts["positions_source"]
    assert "positions source" in cap.out
    # analyze echoes the positions' source in its JSON
    js = tmp_path / "s.json"
    assert main(["analyze", str(path), "--surrogates", "0", "--json", str(js)]) == 0
    capsys.readouterr()
    assert json.loads(js.read_text())["input"]["positions_source"] == facts["positions_source"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npy"])
def test_a_table_of_samples_is_refused_in_one_sentence(tmp_path, capsys, suffix):
    path = tmp_path / f"recording{suffix}"
    if suffix == ".npy":
        np.save(path, np.zeros((50, 4)))
    else:
        _samples_csv(path)
    with pytest.raises(ValueError, match="not a recording format neurowave reads"):
        read(path)
    for cmd in (["info"], ["analyze"]):
        assert main([*cmd, str(path)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "make_channel_grid" in err
        assert "ch0" not in err and "Traceback" not in err


def test_empty_folder_and_image_options_on_other_files(writers, tmp_path, capsys):
    empty = tmp_path / "empty_tiffs"
    empty.mkdir()
    assert main(["info", str(empty), "--frame-rate", "25"]) == 2
    err = capsys.readouterr().err
    assert "empty folder" in err
    assert "read_neo" not in err and "Could not determine IO" not in err
    path, _ = writers.nix_cobrawap(tmp_path)
    assert main(["info", str(path), "--frame-rate", "25"]) == 2
    err = capsys.readouterr().err
    assert "only to image stacks" in err and "unexpected keyword" not in err
