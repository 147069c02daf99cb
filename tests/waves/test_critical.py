"""Critical points of the phase flow: kind and location against simulated truth."""

import numpy as np
import pandas as pd
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import (
    compute_optical_flow,
    compute_phase,
    detect_critical_points,
    track_critical_points,
)

KIND = {"radial_out": "source", "radial_in": "sink", 1: "spiral_ccw", -1: "spiral_cw"}


@pytest.mark.parametrize(
    "layout,extra",
    [
        ("utah", {}),
        ("grid", {"shape": (14, 14), "spacing": 0.4}),
        ("irregular", {"shape": (8, 8), "spacing": 0.5}),
    ],
)
@pytest.mark.parametrize(
    "pattern,rotation", [("radial_out", 1), ("radial_in", 1), ("rotating", 1), ("rotating", -1)]
)
def test_kind_and_location_10db(layout, extra, pattern, rotation):
    center = (1.63, 1.91) if layout != "grid" else (2.33, 2.71)
    # target waves at the simulator's default 0.3 m/s: only ~0.5 rad of phase from the
    # source to the edge of a Utah array; a light smoothness (alpha 0.1) keeps the
    # flow's source where it is (alpha 0.5, the velocity default, drags it by ~1 spacing)
    grid, truth = simulate_wave(
        pattern,
        rotation=rotation,
        layout=layout,
        snr_db=10,
        seed=7,
        speed=0.3,
        duration=1.0,
        sampling_rate=500.0,
        center=center,
        **extra,
    )
    ph = compute_phase(grid, band=(6.0, 14.0)).isel(time=slice(75, -75))
    pts = detect_critical_points(compute_optical_flow(ph, alpha=0.1))
    tr = track_critical_points(pts)
    tracks = tr.attrs["tracks"]
    want = KIND[pattern] if pattern != "rotating" else KIND[rotation]
    main = tracks.sort_values("duration", ascending=False).iloc[0]
    assert main.kind == want
    spacing = nw.validate_grid(grid).spacing
    mine = tr[tr.kind == want]
    err = np.hypot(mine.x - truth.center[0], mine.y - truth.center[1])
    assert np.median(err) < spacing, np.median(err)
    # no tracked point of the wrong kind lasts long
    other = tracks[tracks.kind != want]
    assert other.duration.sum() < 0.2 * tracks.duration.sum()


def test_plane_wave_has_no_critical_points():
    grid, _ = simulate_wave("planar", snr_db=10, seed=3, duration=1.0, sampling_rate=500.0)
    ph = compute_phase(grid, band=(6.0, 14.0)).isel(time=slice(75, -75))
    tr = track_critical_points(detect_critical_points(compute_optical_flow(ph)))
    assert len(tr.attrs["tracks"]) == 0


def test_saddle_and_linear_fields():
    yy, xx = np.mgrid[0:6, 0:6].astype(float)
    x0, y0 = 2.4, 2.7
    fields = {
        "saddle": (xx - x0, -(yy - y0)),
        "source": (xx - x0, yy - y0),
        "sink": (-(xx - x0), -(yy - y0)),
        "spiral_cw": ((yy - y0), -(xx - x0)),
    }
    for kind, (u, v) in fields.items():
        g = nw.make_grid(np.stack([u, u]), sampling_rate=1.0, time_units="step", space_units="cell")
        import xarray as xr

        flow = xr.Dataset({"vx": g, "vy": g.copy(data=np.stack([v, v]))})
        pts = detect_critical_points(flow)
        assert list(pts.kind) == [kind, kind]
        np.testing.assert_allclose(pts.x, x0, atol=1e-9)
        np.testing.assert_allclose(pts.y, y0, atol=1e-9)
        assert (pts.winding == (-1 if kind == "saddle" else 1)).all()


def test_tracking_gaps_and_duration():
    pts = pd.DataFrame(
        {
            "time": np.arange(12.0),
            "frame": np.arange(12),
            "x": [0, 0.1, 0.2, 0.3, np.nan, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1],
            "y": np.zeros(12),
            "kind": ["source"] * 12,
        }
    )
    pts = pts.dropna().reset_index(drop=True)
    pts.attrs.update(spacing=1.0, dt=1.0)
    tr = track_critical_points(pts, max_gap=1.0, min_duration=5.0)
    assert tr.track.nunique() == 1
    assert tr.attrs["tracks"].duration[0] == 12.0
    tr0 = track_critical_points(pts, max_gap=0.0, min_duration=3.0)
    assert tr0.track.nunique() == 2
    far = track_critical_points(pts, max_displacement=0.05, min_duration=2.0)
    assert len(far) == 0
