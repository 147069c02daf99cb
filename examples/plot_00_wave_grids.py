"""
Wave grids: the one data model
==============================

Everything neurowave measures is a *wave grid*: an :class:`xarray.DataArray`
whose first dimension is ``time`` and whose sites carry positions. A regular array
(a Utah array, the pixels of an imaging stack, one hidden channel of a wave RNN) has
dims ``("time", "y", "x")``; an irregular layout (an ECoG grid flattened from a
montage) has dims ``("time", "channel")`` with coordinates ``x(channel)`` and
``y(channel)``. This tutorial builds both by hand, marks a dead electrode, and writes
and reads a grid as netCDF.
"""

# %%
# A regular grid
# --------------
# A Utah array is a 10 x 10 grid at 0.4 mm pitch without its four corners. We fill
# it with a plane wave travelling along +x at 0.05 m/s (0.05 mm/ms) and 20 Hz, so its
# wavelength, 2.5 mm, fits inside the 3.6 mm wide array. It is sampled at 1 kHz for
# half a second. Positions are in mm and time in s.

import matplotlib.pyplot as plt
import numpy as np

import neurowave

fs = 1000.0
t = np.arange(500) / fs
x = 0.2 + 0.4 * np.arange(10)
y = 0.2 + 0.4 * np.arange(10)
speed_mm_per_s = 0.05 * 1000.0  # 0.05 m/s = 50 mm/s
freq = 20.0
data = np.cos(2 * np.pi * freq * (t[:, None, None] - x[None, None, :] / speed_mm_per_s))
data = np.broadcast_to(data, (t.size, y.size, x.size)).copy()

# the four corners have no electrode: NaN for all time, never dropped
for iy, ix in [(0, 0), (0, 9), (9, 0), (9, 9)]:
    data[:, iy, ix] = np.nan

grid = neurowave.make_grid(data, sampling_rate=fs, x=x, y=y, source="tutorial: plane wave")
grid

# %%
# :func:`neurowave.validate_grid` checks a grid against the conventions and says
# what it found. The four corners count as sites but not as valid sites.

info = neurowave.validate_grid(grid)
print(info)

# %%
# A dead electrode
# ----------------
# A broken channel is a site whose values are NaN for all time. The measures skip it
# (a dead site removes only its own spatial differences) instead of interpolating it.

grid[:, 4, 6] = np.nan
print("valid sites:", neurowave.validate_grid(grid).n_valid_sites)

# %%
# Snapshots 10 ms apart show the wave moving to the right: each crest shifts by
# 0.05 mm/ms x 10 ms = 0.5 mm (a little more than one electrode) from one panel to the
# next. Blank squares are the dead corners and the dead electrode.

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6), layout="constrained")
for ax, it in zip(axes, [0, 10, 20, 30], strict=True):
    im = ax.pcolormesh(grid.x, grid.y, grid.isel(time=it), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(f"t = {1000 * float(grid.time[it]):.0f} ms")
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
axes[0].set_ylabel("y (mm)")
fig.colorbar(im, ax=axes, shrink=0.8, label="signal")

# %%
# An irregular layout
# -------------------
# Contacts that do not sit on a regular lattice keep their own positions: the grid
# has one ``channel`` dimension and ``x``/``y`` coordinates along it.

rng = np.random.default_rng(0)
px, py = np.meshgrid(np.arange(8) * 10.0, np.arange(8) * 10.0)
px = px.ravel() + rng.normal(0, 1.5, px.size)
py = py.ravel() + rng.normal(0, 1.5, py.size)
sig = np.cos(2 * np.pi * 5.0 * (t[:, None] - px[None, :] / 1000.0))  # 1 m/s along +x
ecog = neurowave.make_channel_grid(sig, sampling_rate=fs, x=px, y=py)
print(neurowave.validate_grid(ecog))

fig, ax = plt.subplots(figsize=(4, 3.6), layout="constrained")
sc = ax.scatter(ecog.x, ecog.y, c=ecog.isel(time=0), cmap="RdBu_r", vmin=-1, vmax=1, s=60)
ax.set_aspect("equal")
ax.set(xlabel="x (mm)", ylabel="y (mm)", title="irregular layout, t = 0 ms")
fig.colorbar(sc, label="signal")

# %%
# netCDF round trip
# -----------------
# :func:`neurowave.io.write_netcdf` writes a grid atomically and keeps values,
# coordinates, attributes and NaN sites exactly; :func:`neurowave.io.read_netcdf`
# (or :func:`neurowave.io.read`) reads it back.

import tempfile
from pathlib import Path

from neurowave.io import read, write_netcdf

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "plane_wave.nc"
    write_netcdf(grid, path)
    back = read(path).load()

print("identical values (NaN included):", bool(back.equals(grid)))
print("attrs kept:", back.attrs["source"], back.attrs["sampling_rate"])
