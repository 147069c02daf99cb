"""MNE reader: choosing sites by type or name."""

import numpy as np
import pytest

from neurowave.io import read_mne


def test_picks_by_names_and_types(writers, tmp_path):
    p, exp = writers.fif_montage(tmp_path)
    g = read_mne(p, picks=["G2", "G1", "G12"])
    assert list(g.channel.values) == ["G2", "G1", "G12"]
    np.testing.assert_array_equal(g.sel(channel="G12").values, exp.values[:, 11])
    assert read_mne(p, picks="ecog").sizes["channel"] == 20
    with pytest.raises(ValueError, match="neither a channel nor a channel type"):
        read_mne(p, picks=["G1", "Z9"])
    with pytest.raises(ValueError, match="selects no channels"):
        read_mne(p, picks="seeg")


def test_picks_by_name_prefix(writers, tmp_path):
    p, exp = writers.fif_montage(tmp_path)
    g = read_mne(p, picks="G1*")  # G1 and G10-G19 of the 20 contacts
    assert list(g.channel.values) == ["G1"] + [f"G{k}" for k in range(10, 20)]
    np.testing.assert_array_equal(g.sel(channel="G12").values, exp.values[:, 11])
    with pytest.raises(ValueError, match="selects no channels"):
        read_mne(p, picks="Z*")


def test_picks_apply_only_to_mne_formats(writers, tmp_path):
    from neurowave.io import read

    p, _ = writers.mat(tmp_path)
    with pytest.raises(ValueError, match="applies only to files read through MNE"):
        read(p, picks="ecog")
