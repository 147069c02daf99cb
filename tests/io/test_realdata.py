"""The example recordings (NEUROWAVE_DATA) read as their README says."""

import numpy as np
import pytest

from neurowave import datasets, validate_grid
from neurowave.io import read

pytestmark = pytest.mark.realdata


def test_utah_seizure_grid(data_dir):
    import scipy.io

    path = datasets.fetch_seizure_utah()
    assert path.parent.parent == data_dir
    g = read(path)
    info = validate_grid(g)
    assert g.dims == ("time", "y", "x") and g.shape == (5000, 10, 10)
    assert info.spacing == pytest.approx(0.4, abs=1e-9)
    np.testing.assert_allclose(g["x"].values, 0.2 + 0.4 * np.arange(10), atol=1e-9)
    assert g.attrs["sampling_rate"] == pytest.approx(500.00561547, rel=1e-9)
    assert info.n_valid_sites == 96
    for iy, ix in [(0, 0), (0, 9), (9, 0), (9, 9)]:
        assert np.isnan(g.values[:, iy, ix]).all()
    m = scipy.io.loadmat(path)
    for k in range(96):  # column order is not spatial: every column lands on its position
        x, y = m["position"][k]
        iy, ix = round((y - 0.2) / 0.4), round((x - 0.2) / 0.4)
        np.testing.assert_array_equal(g.values[:, iy, ix], m["data"][:, k])
    assert g.attrs["units"] == "uV"


def test_widefield_stack(data_dir):
    g = datasets.load_widefield_mouse()
    info = validate_grid(g)
    assert g.shape == (1000, 100, 100)
    assert g.attrs["sampling_rate"] == 25.0 and info.spacing == pytest.approx(0.05)
    mean = g.isnull().all("time").values
    frac = mean.mean()
    assert 0.3 < frac < 0.7, frac  # background (dark, upper-left field) masked
    # the darkest pixels of the raw stack are all masked, the brightest none
    raw = datasets.load_widefield_mouse(dff=False, mask=None)
    f = raw.mean("time").values
    assert mean[f < np.percentile(f, 10)].all()
    assert not mean[f > np.percentile(f, 60)].any()
    # ΔF/F: zero-mean per pixel
    valid = g.values[:, ~mean]
    assert np.abs(np.nanmean(valid, axis=0)).max() < 1e-9
    # frame rate also comes from the files' Time_From_Start headers
    g2 = read(data_dir / "widefield-mouse", pixel_size=0.05, bin=2)
    assert g2.attrs["sampling_rate"] == pytest.approx(25.0) and g2.shape == (1000, 50, 50)


def test_fif_ecog_flattened_grid(data_dir):
    import mne

    path = datasets.fetch_ecog_mne()
    with pytest.warns(UserWarning, match="2 grids .* picks=\\['G\\*'\\]"):  # 16 x 16 + 8 x 8
        g = read(path)
    assert g.dims == ("time", "channel") and g.sizes["channel"] == 320
    raw = mne.io.read_raw_fif(path, verbose=False)
    np.testing.assert_array_equal(g.sel(channel="G17").values, raw.get_data(picks=["G17"])[0] * 1e6)
    pos3 = raw.get_montage().get_positions()["ch_pos"]
    ratios = []
    for r in range(16):
        for c in range(16):
            k = r * 16 + c + 1
            for nb in ([k + 1] if c < 15 else []) + ([k + 16] if r < 15 else []):
                a, b = f"G{k}", f"G{nb}"
                d3 = 1000 * np.linalg.norm(pos3[a] - pos3[b])
                d2 = np.hypot(
                    float(g.x.sel(channel=a) - g.x.sel(channel=b)),
                    float(g.y.sel(channel=a) - g.y.sel(channel=b)),
                )
                ratios.append(d2 / d3)
    ratios = np.array(ratios)
    assert len(ratios) == 480
    assert np.all(np.abs(ratios - 1) < 0.10), np.abs(ratios - 1).max()
    assert "projection" in g.attrs and "distortion" in g.attrs


def test_bids_strip(data_dir):
    import mne

    from neurowave.io import AmplitudeWarning

    path = datasets.fetch_ecog_strip_bids()
    with pytest.warns(AmplitudeWarning, match="implausible.*34 V to 48.5 V") as rec:
        g = read(path)  # the file's values are ~1e6 times an ECoG's: a unit error upstream
    assert rec[0].message.factor == pytest.approx(1e6)
    assert list(g.channel.values) == [f"ECOG_RIGHT_{k}" for k in range(6)]
    assert g.attrs["channel_types"] == ["ecog"] * 6  # from the BOM'd *_channels.tsv
    assert g.attrs["positions_source"].endswith("_electrodes.tsv")
    d = np.hypot(np.diff(g.x.values), np.diff(g.y.values))
    assert np.all((d > 9.5) & (d < 12.5)), d  # 10-12 mm between neighbours
    raw = mne.io.read_raw_brainvision(path, verbose=False)
    np.testing.assert_array_equal(
        g.sel(channel="ECOG_RIGHT_2").values, raw.get_data(picks=["ECOG_RIGHT_2"])[0] * 1e6
    )


def test_persyst_needs_positions(data_dir, tmp_path):
    import mne

    lay = datasets.fetch_ecog_persyst()
    with pytest.raises(ValueError, match="positions"):
        read(lay)
    names = [f"POL X{k}" for k in range(1, 9)]
    m = tmp_path / "x_strip.csv"
    m.write_text(
        "channel,row,col\n" + "".join(f"{n},{k // 4},{k % 4}\n" for k, n in enumerate(names))
    )
    with pytest.warns(UserWarning, match="left out"):
        g = read(lay, positions=m, picks="eeg")
    assert g.dims == ("time", "y", "x") and g.shape == (847, 2, 4)
    with mne.utils.use_log_level("error"):
        raw = mne.io.read_raw_persyst(lay, verbose=False)
    np.testing.assert_array_equal(g.values[:, 1, 2], raw.get_data(picks=["POL X7"])[0] * 1e6)
