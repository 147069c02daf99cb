"""
First wave analysis: a human seizure on a Utah array
====================================================

This tutorial walks through neurowave's measures on a real recording: ten seconds
of local field potential from a 96-electrode Utah array in human neocortex during a
seizure (Martinet et al., 2017; see :ref:`data-seizure-utah`). We go step by step,
from the raw signal to phase maps, phase-gradient directionality (PGD), wave frames
tested against surrogates, speeds and directions, and then get the same numbers
from the one-call :func:`neurowave.waves.analyze`. The last step goes the way of a
Neo/Elephant pipeline: a ``neo.Block`` in memory in, the wave events out as Neo
objects, handed to Elephant and stored in a NIX file.
"""

# %%
# Load the recording
# ------------------
# :func:`neurowave.datasets.load_seizure_utah` returns a ``("time", "y", "x")`` wave
# grid: 10 x 10 sites at 0.4 mm, with the four corners (no electrode) as NaN sites.
# Positions are in mm and time in s, in the array's own frame (no anatomical
# orientation is known).

# sphinx_gallery_thumbnail_number = 2
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal

import neurowave
import neurowave.waves as nw
from neurowave.datasets import load_seizure_utah

grid = load_seizure_utah()
info = neurowave.validate_grid(grid)
print(info)

# %%
# Choose the frequency band
# -------------------------
# The power spectrum averaged over the valid sites shows where the seizure's
# rhythm lives: its peak and most of its power lie at a few Hz, and the
# recording was low-pass filtered before it was shared. We study the band 1-13 Hz
# around that peak and pass it explicitly, so the analysis does not depend on an
# automatic choice.

fs = info.sampling_rate
valid = ~np.isnan(grid.isel(time=0).values)
sites = grid.values[:, valid]  # (time, 96)
f, pxx = signal.welch(sites, fs=fs, nperseg=1024, axis=0)
band = (1.0, 13.0)

filtered = nw.bandpass(grid, band=band)
iy, ix = 5, 5  # one electrode near the centre
t = grid.time.values

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained", width_ratios=[1, 1.6])
ax0.semilogy(f, pxx.mean(axis=1), color="k")
ax0.axvspan(*band, color="tab:orange", alpha=0.3, label="1-13 Hz")
ax0.set(
    xlim=(0, 60),
    ylim=(10, None),
    xlabel="frequency (Hz)",
    ylabel="power (µV²/Hz)",
    title="mean spectrum of 96 sites",
)
ax0.legend()
sel = (t >= 2) & (t < 4)
ax1.plot(t[sel], grid[sel, iy, ix], color="0.6", lw=0.8, label="raw")
ax1.plot(t[sel], filtered[sel, iy, ix], color="tab:orange", lw=1.5, label="1-13 Hz")
ax1.set(
    xlabel="time (s)",
    ylabel="µV",
    title=f"site x = {float(grid.x[ix]):.1f} mm, y = {float(grid.y[iy]):.1f} mm",
)
ax1.legend(loc="upper right")

# %%
# Phase and phase gradient
# ------------------------
# :func:`~neurowave.waves.compute_phase` band-passes each site (zero-phase
# Butterworth) and takes the phase of the analytic signal (Hilbert transform by
# default), in radians in (-pi, pi]. :func:`~neurowave.waves.compute_phase_gradient`
# then differentiates it in space with wrapped differences (rad/mm); see
# :doc:`/methods` for the formulas.

phase = nw.compute_phase(grid, band=band)
gradient = nw.compute_phase_gradient(phase)
pgd = nw.compute_pgd(gradient)
print(phase.attrs["band"], phase.attrs["phase_method"], gradient.attrs["gradient_units"])

# %%
# Phase maps of a wave
# --------------------
# We pick the frame with the highest PGD (away from the first and last half second,
# where the filter's edge effects live) and show four phase maps 20 ms apart.
# Arrows point along :math:`-\nabla\varphi`, the local direction of travel.

inner = (t > 0.5) & (t < t[-1] - 0.5)
k0 = int(np.nanargmax(np.where(inner, pgd.values, np.nan)))
frames_to_show = [k0 + i * int(round(0.02 * fs)) for i in range(4)]
direction = nw.compute_direction(gradient)

fig, axes = plt.subplots(1, 4, figsize=(11, 3.1), layout="constrained")
for ax, k in zip(axes, frames_to_show, strict=True):
    im = ax.pcolormesh(grid.x, grid.y, phase[k], cmap="twilight", vmin=-np.pi, vmax=np.pi)
    gx, gy = gradient.dx[k].values, gradient.dy[k].values
    norm = np.hypot(gx, gy)
    ax.quiver(grid.x, grid.y, -gx / norm, -gy / norm, color="k", scale=14, width=0.008)
    ax.set_title(
        f"t = {t[k]:.3f} s\nPGD {float(pgd[k]):.2f}, direction {float(direction[k]):.0f}°",
        fontsize=9,
    )
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
axes[0].set_ylabel("y (mm)")
fig.colorbar(im, ax=axes, shrink=0.8, label="phase (rad)")

# %%
# Phase decreases along the arrows, ahead of the wave. From one map to the next
# the bands of equal phase (the same colour) slide the way the arrows point, the
# direction printed above each map, in degrees counter-clockwise from +x.
#
# Wave frames and surrogates
# --------------------------
# A high PGD can happen by chance on 96 noisy sites. :func:`~neurowave.waves.detect_wave_frames`
# shuffles the phases among the valid sites (dead sites stay where they are),
# recomputes the PGD of each shuffled frame, and calls a frame a *wave frame* when
# its PGD reaches the threshold and beats the surrogates (p <= alpha).

frames = nw.detect_wave_frames(phase, n_surrogates=99, seed=0)
print(frames.attrs)
keep = inner  # ignore the filter's edges in the statistics below
is_wave = frames.is_wave.values & keep
print(f"wave frames: {100 * is_wave.sum() / keep.sum():.1f} % of {keep.sum()} frames")

fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(10, 4.2), sharex=True, layout="constrained")
ax0.plot(t, frames.pgd, color="k", lw=0.6)
ax0.axhline(frames.attrs["threshold"], color="tab:red", ls="--", label="threshold")
ax0.fill_between(
    t,
    0,
    1,
    where=is_wave,
    color="tab:green",
    alpha=0.25,
    transform=ax0.get_xaxis_transform(),
    label="wave frame",
)
ax0.set(ylabel="PGD", ylim=(0, 1))
ax0.legend(loc="lower right", ncols=2, fontsize=8)
ax1.semilogy(t, frames.p_value, color="k", lw=0.6)
ax1.axhline(frames.attrs["alpha"], color="tab:red", ls="--")
ax1.set(ylabel="surrogate p-value", xlabel="time (s)")

# %%
# Green bands mark wave frames. The smallest p-value a test with 99 surrogates can
# give is 1/100; frames at that floor beat every surrogate.
#
# Speed and direction
# -------------------
# Speed is :math:`|\partial\varphi/\partial t| / |\nabla\varphi|`, in m/s for a
# recording (mm/ms). Per frame, :func:`~neurowave.waves.compute_speed` with
# ``per="frame"`` combines the sites of the frame; we keep wave frames only.

speed = nw.compute_speed(phase, gradient, per="frame")
print(speed.attrs)
s_wave = speed.values[is_wave]
d_wave = np.deg2rad(direction.values[is_wave])
print(
    f"speed over wave frames: median {np.nanmedian(s_wave):.3f} m/s, "
    f"quartiles {np.nanpercentile(s_wave, 25):.3f}-{np.nanpercentile(s_wave, 75):.3f} m/s"
)

fig = plt.figure(figsize=(9, 3.6), layout="constrained")
ax0 = fig.add_subplot(1, 2, 1)
ax0.hist(s_wave[np.isfinite(s_wave)], bins=np.linspace(0, 0.2, 41), color="tab:blue")
ax0.set(xlabel="speed (m/s)", ylabel="wave frames", title="speed of wave frames")
ax1 = fig.add_subplot(1, 2, 2, projection="polar")
ax1.hist(d_wave[np.isfinite(d_wave)], bins=np.linspace(0, 2 * np.pi, 37), color="tab:blue")
ax1.set_yticklabels([])
ax1.set_title("direction of travel (deg, CCW from +x)", fontsize=10)

# %%
# The rose plot shows how the directions of the wave frames are spread. A single
# mean direction (the summary below reports one, with its resultant length R
# between 0 and 1) hides the shape of that spread when directions fall into more
# than one group, so look at the distribution.
#
# Why do some wave frames come out so slow? Speed is a ratio, so we compare the
# slowest wave frames with the others, for the two quantities that make it: the
# instantaneous frequency (:func:`~neurowave.waves.compute_frequency`) and the size
# of the phase gradient, each as a median over the sites of a frame.

freq = nw.compute_frequency(phase)
f_frame = np.nanmedian(np.abs(freq.values.reshape(len(t), -1)), axis=1)
g_frame = np.nanmedian(np.hypot(gradient.dx, gradient.dy).values.reshape(len(t), -1), axis=1)
slow = is_wave & (speed.values < 0.02)
rest = is_wave & (speed.values >= 0.02)
for label, m in [("speed < 0.02 m/s", slow), ("speed >= 0.02 m/s", rest)]:
    print(
        f"{label:18s} {m.sum():5d} frames: frequency {np.median(f_frame[m]):.1f} Hz, "
        f"|grad phase| {np.median(g_frame[m]):.2f} rad/mm"
    )

# %%
# Compare the two lines printed above: a slow wave frame is one where the phase
# advances slowly in time (a lower instantaneous frequency) while it changes
# steeply in space (a larger gradient).

# %%
# The whole pipeline in one call
# ------------------------------
# :func:`neurowave.waves.analyze` runs the same steps (band-pass, phase, gradient,
# PGD, surrogates), trims the filter's edges, classifies each frame's pattern and
# groups wave frames into events. Its summary is the JSON that
# ``neurowave analyze FILE --json OUT`` writes.

result = nw.analyze(grid, band=band, seed=0)
for name, value in result.table():
    print(f"{name:12s} {value}")

# %%
# The per-frame results are an :class:`xarray.Dataset`; the wave events a
# :class:`pandas.DataFrame`.

print(result.frames[["pgd", "is_wave", "speed", "direction", "pattern"]])
print(result.events.head())

# %%
# From a Neo pipeline and back: Neo, Elephant and NIX
# ---------------------------------------------------
# Pipelines of the Neo/Elephant ecosystem (Cobrawap among them) hold a recording as a
# ``neo.Block`` in memory and hand it from step to step. :func:`neurowave.read` takes
# such a Block as it is, with no file written. The electrode positions come from
# Cobrawap's annotations: ``x_coords``/``y_coords`` (each channel's column and row on
# the array) and ``spatial_scale`` (the pitch). We build that Block from the same
# samples, one channel per electrode.

import tempfile
from pathlib import Path

import elephant.statistics
import neo
import quantities as pq

samples = grid.values.reshape(grid.sizes["time"], -1)
rows, cols = np.divmod(np.arange(samples.shape[1]), grid.sizes["x"])
electrode = ~np.isnan(samples).all(axis=0)  # the 96 electrodes (not the corners)
lfp = neo.AnalogSignal(
    samples[:, electrode],
    units="uV",
    sampling_rate=fs * pq.Hz,
    name="LFP",
    array_annotations={"x_coords": cols[electrode], "y_coords": rows[electrode]},
    spatial_scale=0.4 * pq.mm,
)
segment = neo.Segment(name="seizure")
segment.analogsignals.append(lfp)
block = neo.Block(name="utah")
block.segments.append(segment)

from_neo = neurowave.read(block)
print(from_neo.dims, from_neo.shape, from_neo.attrs["source"])
print("same samples:", np.array_equal(from_neo.values, grid.values, equal_nan=True))
result_neo = nw.analyze(from_neo, band=band, seed=0)
print(
    "same events:", result_neo.events[["start", "speed"]].equals(result.events[["start", "speed"]])
)

# %%
# :meth:`~neurowave.waves.WaveAnalysis.to_neo` returns the results as Neo objects: a
# ``neo.Segment`` whose analog signals are the per-frame measures (PGD, speed in m/s,
# direction in degrees, wavelength, frequency, the wave flag and the pattern code, on
# the analysed frames' clock), and whose ``neo.Epoch`` ``"waves"`` holds the wave
# events: start times, durations, the pattern as label, and speed, direction and
# pattern as array annotations.

waves_segment = result_neo.to_neo()
print([s.name for s in waves_segment.analogsignals])
waves = waves_segment.epochs[0]
print(
    waves.name, len(waves), "events; speeds (m/s):", np.round(waves.array_annotations["speed"], 3)
)

# %%
# Anything that takes Neo objects takes them now. Here Elephant treats the wave
# onsets as a point process: the rate of waves, and the coefficient of variation
# of the intervals between them (1 for a Poisson process, 0 for a clock).

onsets = neo.SpikeTrain(waves.times, t_start=lfp.t_start, t_stop=lfp.t_stop)
intervals = elephant.statistics.isi(onsets)
rate = elephant.statistics.mean_firing_rate(onsets).rescale("1/s").magnitude
print(
    f"{float(rate):.2f} waves per "
    f"second, interval {np.median(intervals.magnitude):.2f} s (median), "
    f"CV {elephant.statistics.cv(intervals):.2f}"
)

fig, ax = plt.subplots(figsize=(8, 2.5))
pgd_signal = waves_segment.analogsignals[0]
ax.plot(pgd_signal.times, pgd_signal.magnitude[:, 0], lw=0.5, color="k")
for start, duration in zip(waves.times.magnitude, waves.durations.magnitude, strict=True):
    ax.axvspan(start, start + duration, color="tab:orange", alpha=0.3, lw=0)
ax.set(xlabel="time (s)", ylabel="PGD", ylim=(0, 1), title="neo.Epoch 'waves' over the PGD")
fig.tight_layout()

# %%
# Finally, NIX: the results as a Block written with ``neo.NixIO`` (what
# :func:`neurowave.io.write_nix` does atomically, and ``neurowave analyze REC.nix
# --nix OUT.nix`` from the command line, where ``OUT.nix`` is a copy of the
# recording with the results as a new block; the recording itself is never
# rewritten), read back as any NIX file is.

out = Path(tempfile.mkdtemp()) / "utah_waves.nix"
with neo.NixIO(str(out), mode="ow") as nix:
    nix.write_block(result_neo.to_neo(block=True))
with neo.NixIO(str(out), mode="ro") as nix:
    back = nix.read_block()
back_waves = back.segments[0].epochs[0]
print(
    back.name,
    len(back_waves),
    "events read back; same times and speeds:",
    np.allclose(back_waves.times.magnitude, waves.times.magnitude)
    and np.allclose(back_waves.array_annotations["speed"], waves.array_annotations["speed"]),
)
