"""
ECoG on a curved, irregular layout
==================================

ECoG grids lie on the curved surface of the brain. Their contacts come with 3-D
positions (an MNE montage), but wave measures work on a 2-D sheet. This tutorial
reads the real contact positions of MNE-Python's ``sample_ecog`` subject, flattens
its 16 x 16 grid, and measures what flattening does to distances between
neighbouring contacts, the quantity every speed and wavelength depends on.

The time series in this file are simulated upstream (see :ref:`data-ecog-mne`), so
we use the file for its *geometry* only.
"""

# %%
# The recording as a wave grid
# ----------------------------
# :func:`neurowave.datasets.load_ecog_mne` reads the FIF file through MNE and returns
# a ``("time", "channel")`` grid: the 320 ECoG contacts (the 16 x 16 grid ``G1`` ...
# ``G256`` and the 8 x 8 grid ``OFMG1`` ... ``OFMG64``) with positions in mm on one
# flattened sheet. How that sheet was made, and how much it distorts, is recorded in
# the grid's attributes.

# sphinx_gallery_thumbnail_number = 4
import matplotlib.pyplot as plt
import numpy as np

import neurowave
from neurowave.datasets import fetch_ecog_mne, load_ecog_mne
from neurowave.io import flatten_positions

ecog = load_ecog_mne()
print(neurowave.validate_grid(ecog))
print(
    "projection:",
    ecog.attrs["projection"]["method"],
    "| sheet axes from head axes",
    ecog.attrs["projection"]["axes"],
)
print(
    "distortion:",
    {k: round(v, 4) for k, v in ecog.attrs["distortion"].items() if isinstance(v, float)},
)

is_g = np.array([str(c).startswith("G") for c in ecog.channel.values])
fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
ax.scatter(ecog.x[is_g], ecog.y[is_g], s=8, label="G1-G256 (16 x 16)")
ax.scatter(ecog.x[~is_g], ecog.y[~is_g], s=8, label="OFMG1-OFMG64 (8 x 8)")
ax.set_aspect("equal")
ax.set(xlabel="sheet x (mm)", ylabel="sheet y (mm)", title="both grids flattened onto one sheet")
ax.legend(loc="lower left", fontsize=8)

# %%
# The ``distortion`` attribute compares, for every contact and its nearest
# neighbours, the distance on the sheet with the distance in 3-D. Two grids that sit
# on different parts of the cortex do not share one plane, so flattening them
# *together* distorts more than flattening each grid on its own. For wave analysis,
# analyse one grid at a time.
#
# The 3-D geometry of one grid
# ----------------------------
# We take the 3-D positions of the 16 x 16 grid from the montage in the same file
# (head frame, converted from m to mm) and flatten them with
# :func:`neurowave.io.flatten_positions`, once as a plain orthogonal projection onto
# the best-fit plane and once with the neighbour-distance relaxation that neurowave
# uses by default.

import mne

raw = mne.io.read_raw_fif(fetch_ecog_mne(), verbose="error")
ch_pos = raw.get_montage().get_positions()["ch_pos"]
names = [f"G{i}" for i in range(1, 257)]
xyz = np.array([ch_pos[n] for n in names]) * 1000.0  # mm

xy_plain, info_plain = flatten_positions(xyz, refine=False)
xy_relax, info_relax = flatten_positions(xyz)

# distance of each contact from the best-fit plane: how curved the grid is
normal = np.array(info_plain["projection"]["normal"])
height = (xyz - xyz.mean(axis=0)) @ normal
print(
    f"rms distance from the best-fit plane: {np.sqrt(np.mean(height**2)):.2f} mm, "
    f"range {height.min():.1f} to {height.max():.1f} mm"
)

fig = plt.figure(figsize=(9, 4), layout="constrained")
ax3 = fig.add_subplot(1, 2, 1, projection="3d")
sc = ax3.scatter(*xyz.T, c=height, cmap="coolwarm", s=10)
ax3.set(
    xlabel="head x (mm)", ylabel="head y (mm)", zlabel="head z (mm)", title="16 x 16 grid in 3-D"
)
ax2 = fig.add_subplot(1, 2, 2)
ax2.scatter(*xy_relax.T, c=height, cmap="coolwarm", s=10)
for k in (0, 15, 240, 255):
    ax2.annotate(names[k], xy_relax[k], fontsize=8)
ax2.set_aspect("equal")
ax2.set(xlabel="sheet x (mm)", ylabel="sheet y (mm)", title="flattened (relaxed)")
fig.colorbar(sc, ax=[ax3, ax2], shrink=0.7, label="distance from best-fit plane (mm)")

# %%
# The colour shows how far each contact lies from the best-fit plane: the grid bends
# around the cortex, and the corner labels show that the flattened grid keeps its
# row-by-row numbering (``G1`` ... ``G16`` along the first row).
#
# What flattening distorts
# ------------------------
# Neighbours on the grid are contacts ``k, k+1`` along a row and ``k, k+16`` along a
# column. For each such pair we compare the distance on the sheet with the straight
# 3-D distance between the two contacts. A plain projection shortens every distance
# that is tilted away from the plane, most where the grid curves most; the relaxed
# flattening spreads the unavoidable error thinly over the whole grid.

idx = np.arange(256).reshape(16, 16)
edges = np.concatenate(
    [
        np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),  # along rows
        np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),  # along columns
    ]
)
d3 = np.linalg.norm(xyz[edges[:, 0]] - xyz[edges[:, 1]], axis=1)
print(
    f"3-D neighbour distances: median {np.median(d3):.2f} mm, "
    f"range {d3.min():.2f}-{d3.max():.2f} mm"
)

errors = {}
for label, xy in [("plain projection", xy_plain), ("relaxed (default)", xy_relax)]:
    d2 = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1)
    errors[label] = 100 * (d2 / d3 - 1)
    e = np.abs(errors[label])
    print(
        f"{label:18s} |error| median {np.median(e):.2f} %, "
        f"95th percentile {np.percentile(e, 95):.2f} %, max {e.max():.2f} %"
    )

from matplotlib.collections import LineCollection

lim = max(np.abs(v).max() for v in errors.values())
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
for ax, (label, xy) in zip(
    axes, [("plain projection", xy_plain), ("relaxed (default)", xy_relax)], strict=True
):
    lc = LineCollection(xy[edges], array=errors[label], cmap="RdBu_r", linewidths=2.5)
    lc.set_clim(-lim, lim)
    ax.add_collection(lc)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set(title=label, xlabel="sheet x (mm)")
axes[0].set_ylabel("sheet y (mm)")
fig.colorbar(lc, ax=axes, shrink=0.8, label="sheet / 3-D neighbour distance - 1 (%)")

# %%
# Each segment is one pair of neighbours, coloured by how much longer (red) or
# shorter (blue) it is on the sheet than in 3-D. With the plain projection the
# errors are all negative (a projection can only shorten) and concentrate where the
# grid bends out of the plane; after relaxation they are small everywhere. A wave's
# speed is a distance divided by a time, so a neighbour distance that is 10 % short
# turns into a local speed that is 10 % low.
#
# One sheet per grid
# ------------------
# :func:`~neurowave.datasets.load_ecog_mne` put both grids on *one* sheet. The 8 x 8
# grid faces another way than the 16 x 16 grid (compare the plane normals printed
# below), so a single plane cannot fit both. We measure the same lattice-neighbour
# errors for each grid on its own sheet and on the shared one.


def lattice_errors(xy, xyz, n):
    """|sheet / 3-D - 1| in % for the row and column neighbours of an n x n grid."""
    ij = np.arange(n * n).reshape(n, n)
    e = np.concatenate(
        [
            np.column_stack([ij[:, :-1].ravel(), ij[:, 1:].ravel()]),
            np.column_stack([ij[:-1, :].ravel(), ij[1:, :].ravel()]),
        ]
    )
    d3 = np.linalg.norm(xyz[e[:, 0]] - xyz[e[:, 1]], axis=1)
    d2 = np.linalg.norm(xy[e[:, 0]] - xy[e[:, 1]], axis=1)
    return np.abs(100 * (d2 / d3 - 1))


for prefix, n in [("G", 16), ("OFMG", 8)]:
    chans = [f"{prefix}{i}" for i in range(1, n * n + 1)]
    p3 = np.array([ch_pos[c] for c in chans]) * 1000.0
    own, own_info = flatten_positions(p3)
    shared = np.column_stack([ecog.x.sel(channel=chans), ecog.y.sel(channel=chans)])
    print(
        f"{prefix}1-{prefix}{n * n}: plane normal (head frame) "
        f"{np.round(own_info['projection']['normal'], 2)}"
    )
    for label, xy in [("own sheet", own), ("shared sheet", shared)]:
        e = lattice_errors(xy, p3, n)
        print(f"    {label:12s} |error| median {np.median(e):.2f} %, max {e.max():.2f} %")

# %%
# The 16 x 16 grid, which dominates the joint fit, comes out of the shared sheet as
# well as from its own; the smaller 8 x 8 grid does not. When a montage holds several
# grids or strips, analyse each on its own sheet.

# %%
# Across the grid
# ---------------
# The sheet keeps distances between *neighbouring* contacts. Distances across the
# whole grid therefore add up along the cortical surface, the path a wave travels,
# rather than along the straight 3-D chord through the brain, and come out longer
# than the chord where the grid is curved.

far = (0, 255)  # opposite corners, G1 and G256
chord = np.linalg.norm(xyz[far[0]] - xyz[far[1]])
sheet = np.linalg.norm(xy_relax[far[0]] - xy_relax[far[1]])
print(f"G1 to G256: straight 3-D chord {chord:.1f} mm, on the sheet {sheet:.1f} mm")

# %%
# What it does to a measured speed
# --------------------------------
# To see the effect on a wave measure, we put a wave of known speed on the real 3-D
# contact positions: an 8 Hz oscillation that starts on the grid's first column
# (``G1``, ``G17``, ... ``G241``) and travels along the rows at 0.5 m/s *along the
# surface*. The distance it has travelled at a contact is the path length along its
# row, the sum of the 3-D distances between consecutive contacts, so the true local
# speed is 0.5 m/s everywhere. (Rows are the direction in which the plain projection
# shortens this grid most.) We add a little white noise, then measure the local
# speed :math:`|\partial\varphi/\partial t| / |\nabla\varphi|` at every contact on
# both flattened sheets, with the same code.

import neurowave.waves as nw

fs, freq, true_speed = 1000.0, 8.0, 0.5  # Hz, Hz, m/s (= mm/ms)
t = np.arange(int(1.0 * fs)) / fs
p3 = xyz.reshape(16, 16, 3)  # (row, column, xyz)
steps = np.linalg.norm(np.diff(p3, axis=1), axis=-1)  # 3-D distance to the next column
path = np.hstack([np.zeros((16, 1)), np.cumsum(steps, axis=1)]).ravel()  # mm, G1..G256
rng = np.random.default_rng(0)
data = np.cos(2 * np.pi * freq * (t[:, None] - path[None, :] / (true_speed * 1000.0)))
data += 0.1 * rng.standard_normal(data.shape)

site_speed = {}
for label, xy in [("plain projection", xy_plain), ("relaxed (default)", xy_relax)]:
    g = neurowave.make_channel_grid(data, sampling_rate=fs, x=xy[:, 0], y=xy[:, 1], channels=names)
    phase = nw.compute_phase(g, band=(5.0, 11.0))
    speed = nw.compute_speed(phase, nw.compute_phase_gradient(phase))
    # median over time, leaving out the filter's edges (first and last 0.2 s)
    site_speed[label] = speed.isel(time=slice(200, 800)).median("time").values
    v = site_speed[label]
    print(
        f"{label:18s} speed per contact: median {np.nanmedian(v):.3f} m/s, "
        f"5th-95th percentile {np.nanpercentile(v, 5):.3f}-{np.nanpercentile(v, 95):.3f} m/s"
    )

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
for ax, (label, xy) in zip(
    axes, [("plain projection", xy_plain), ("relaxed (default)", xy_relax)], strict=True
):
    sc = ax.scatter(
        *xy.T,
        c=site_speed[label],
        cmap="RdBu_r",
        vmin=0.4,
        vmax=0.6,
        s=22,
        edgecolors="0.7",
        linewidths=0.3,
    )
    ax.plot(*xy[::16].T, color="k", lw=2, label="start column (G1-G241)")
    ax.set_aspect("equal")
    ax.set(title=label, xlabel="sheet x (mm)")
axes[0].set_ylabel("sheet y (mm)")
axes[0].legend(loc="lower left", fontsize=8)
fig.colorbar(sc, ax=axes, shrink=0.8, label="measured local speed (m/s), true 0.5")

# %%
# On the relaxed sheet the measured speed stays close to the 0.5 m/s we put in
# (white). On the plain projection the wave seems to slow down (blue) where the grid
# bends away from the plane, the region of the short blue segments above: the
# projection squeezes those distances, so the same phase lag is spread over less
# space. A few contacts on the grid's last column (the far edge, upper left) deviate
# on both sheets alike; that comes from the edge of the grid, not from flattening.
