"""Electrode maps, sidecar lookup, lattice detection and 3-D flattening."""

import numpy as np
import pytest

from neurowave.io import find_positions_sidecar, flatten_positions, read, read_positions
from neurowave.io.positions import lattice_indices


def test_cmp_map(writers, tmp_path):
    m = writers.cmp(tmp_path / "arr.cmp", {"elec1": (0, 1), "elec2": (2, 3), "chan3": (9, 9)})
    df = read_positions(m)
    assert list(df.index) == ["elec1", "elec2", "chan3"]
    assert df.loc["elec2", "x"] == pytest.approx(1.2) and df.loc["elec2", "y"] == pytest.approx(0.8)
    assert df["channel_id"].tolist() == [1, 2, 3]
    assert read_positions(m, pitch=0.25).loc["chan3", "x"] == pytest.approx(2.25)


def test_table_rowcol_and_xy(tmp_path):
    p = tmp_path / "m.tsv"
    p.write_text("channel\trow\tcol\nA\t0\t0\nB\t1\t2\n")
    df = read_positions(p, pitch=0.5)
    assert df.loc["B"].tolist() == [1.0, 0.5]
    q = tmp_path / "m.csv"
    q.write_text("name,x,y\nA,0.0,1.5\nB,2.0,-1.0\n")
    assert read_positions(q).loc["B"].tolist() == [2.0, -1.0]


def test_bids_electrodes_tsv_with_bom_and_na(tmp_path):
    p = tmp_path / "sub-01_space-x_electrodes.tsv"
    p.write_text(
        "\ufeffname\tx\ty\tz\n"
        "A\t0.01\t0.02\t0.05\n"
        "B\t0.02\t0.02\t0.05\n"
        "C\t0.01\t0.03\t0.05\n"
        "M\tn/a\tn/a\tn/a\n",
        encoding="utf-8",
    )
    df = read_positions(p)
    assert list(df.index) == ["A", "B", "C", "M"]  # no '\ufeffname' column
    np.testing.assert_allclose(
        df.loc[["A", "B", "C"], ["x", "y"]].to_numpy(), [[10, 20], [20, 20], [10, 30]], atol=1e-9
    )  # metres -> mm
    assert np.isnan(df.loc["M", "x"])


def test_dig_fif_montage(tmp_path):
    import mne

    pts = {"A": [0.01, 0.0, 0.07], "B": [0.015, 0.0, 0.07], "C": [0.01, 0.005, 0.07]}
    mne.channels.make_dig_montage(pts, coord_frame="head").save(
        tmp_path / "r-dig.fif", verbose=False
    )
    df = read_positions(tmp_path / "r-dig.fif")
    np.testing.assert_allclose(df[["x", "y"]].to_numpy(), [[10, 0], [15, 0], [10, 5]], atol=1e-6)
    assert df.attrs["projection"]["axes"] == ["x", "y"]


def test_sidecar_lookup(tmp_path):
    rec = tmp_path / "session1.nix"
    rec.write_bytes(b"x")
    assert find_positions_sidecar(rec) is None
    (tmp_path / "session1.cmp").write_text("//\n0 0 A 1 e1\n")
    assert find_positions_sidecar(rec).name == "session1.cmp"
    bids = tmp_path / "bids"
    bids.mkdir()
    v = bids / "sub-01_ses-a_task-x_run-1_ieeg.vhdr"
    v.write_text("")
    (bids / "sub-02_ses-a_space-mni_electrodes.tsv").write_text("name\tx\ty\tz\n")
    assert find_positions_sidecar(v) is None  # another subject's map is never used
    (bids / "sub-01_ses-a_space-mni_electrodes.tsv").write_text("name\tx\ty\tz\n")
    assert find_positions_sidecar(v).name == "sub-01_ses-a_space-mni_electrodes.tsv"


def test_lattice_detection():
    ix, iy = np.meshgrid(np.arange(4), np.arange(3))
    x, y = 0.2 + 0.4 * ix.ravel(), 0.2 + 0.4 * iy.ravel()
    keep = np.ones(12, bool)
    keep[5] = False
    out = lattice_indices(x[keep], y[keep])
    assert out is not None and len(out[2]) == 4 and len(out[3]) == 3
    rng = np.random.default_rng(0)
    assert lattice_indices(x + rng.normal(0, 0.05, 12), y) is None  # jittered: irregular


def test_flatten_keeps_flat_grid_and_head_axes():
    ix, iy = np.meshgrid(np.arange(5), np.arange(4))
    xyz = np.column_stack([3.0 * ix.ravel() - 5, 3.0 * iy.ravel() + 1, np.full(20, 40.0)])
    xy, info = flatten_positions(xyz)
    np.testing.assert_allclose(xy, xyz[:, :2], atol=1e-9)
    assert info["projection"]["axes"] == ["x", "y"]
    assert info["distortion"]["max"] < 1e-9
    # a sheet in the head y-z plane keeps y then z, with their signs
    yz = np.column_stack([np.full(20, 30.0), 3.0 * ix.ravel(), -3.0 * iy.ravel()])
    xy2, info2 = flatten_positions(yz)
    assert info2["projection"]["axes"] == ["y", "z"]
    np.testing.assert_allclose(xy2, yz[:, 1:], atol=1e-9)


def test_flatten_curved_sheet_preserves_neighbour_distances():
    # a 10 x 10 grid at 4 mm on a sphere of radius 40 mm: projection shrinks the edge
    r, pitch, n = 40.0, 4.0, 10
    pts = []
    for i in range(n):
        for j in range(n):
            a, b = (i - 4.5) * pitch / r, (j - 4.5) * pitch / r
            v = np.array([np.tan(a), np.tan(b), 1.0])
            pts.append(r * v / np.linalg.norm(v))
    xyz = np.array(pts)
    edges = [(i * n + j, i * n + j + 1) for i in range(n) for j in range(n - 1)]
    edges += [(i * n + j, (i + 1) * n + j) for i in range(n - 1) for j in range(n)]
    e = np.array(edges)
    d3 = np.linalg.norm(xyz[e[:, 0]] - xyz[e[:, 1]], axis=1)
    proj, _ = flatten_positions(xyz, refine=False)
    xy, info = flatten_positions(xyz)
    err_proj = np.abs(np.linalg.norm(proj[e[:, 0]] - proj[e[:, 1]], axis=1) / d3 - 1)
    err = np.abs(np.linalg.norm(xy[e[:, 0]] - xy[e[:, 1]], axis=1) / d3 - 1)
    # a sphere cannot be flattened without distortion; relaxation spreads it thinly
    assert err_proj.max() > 0.07  # the plain projection shrinks the rim by ~8 %
    assert err.max() < 0.03 and err.max() < err_proj.max() / 2.5
    assert info["distortion"]["max"] < info["distortion"]["projection_max"]


def test_cmp_matches_blackrock_channel_ids(writers, tmp_path):
    """Channels named by neo as 'ch<id>' match a .cmp by bank/electrode number."""
    import neo
    import quantities as pq

    rng = np.random.default_rng(3)
    data = rng.normal(size=(200, 4))
    sig = neo.AnalogSignal(
        data,
        units="uV",
        sampling_rate=1 * pq.kHz,
        array_annotations={
            "channel_ids": np.array([4, 2, 3, 1]),
            "channel_names": np.array(["c4", "c2", "c3", "c1"]),
        },
    )
    p = tmp_path / "ids.nix"
    writers.write_nix(p, [sig])
    m = writers.cmp(
        tmp_path / "ids_map.cmp", {"e1": (0, 0), "e2": (0, 1), "e3": (1, 0), "e4": (1, 1)}
    )
    g = read(p, positions=m)
    assert g.dims == ("time", "y", "x")
    np.testing.assert_array_equal(g.values[:, 1, 1], data[:, 0])  # channel id 4 -> (row 1, col 1)
    np.testing.assert_array_equal(g.values[:, 0, 0], data[:, 3])


def test_channel_storage_order_never_matters(tmp_path):
    """Any permutation of the stored columns (with their positions) gives the same grid."""
    import scipy.io
    from hypothesis import given, settings
    from hypothesis import strategies as st

    rng = np.random.default_rng(21)
    cells = [(r, c) for r in range(4) for c in range(5) if (r, c) != (2, 2)]
    data = rng.normal(size=(60, len(cells)))
    pos = np.array([[0.4 * c, 0.4 * r] for r, c in cells])
    ref = None

    @settings(max_examples=15, deadline=None)
    @given(st.permutations(range(len(cells))))
    def check(perm):
        nonlocal ref
        perm = list(perm)
        p = tmp_path / "perm.mat"
        scipy.io.savemat(p, {"data": data[:, perm], "fs": 100.0, "position": pos[perm]})
        g = read(p)
        assert g.shape == (60, 4, 5) and np.isnan(g.values[:, 2, 2]).all()
        if ref is None:
            ref = g.values
        np.testing.assert_array_equal(g.values, ref)

    check()
