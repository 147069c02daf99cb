"""
Slow waves in mouse cortex from a widefield stack
=================================================

Under deep anaesthesia the cortex alternates between active and silent states about
once per second, and each activation sweeps across the cortex as a *slow wave*.
This tutorial finds them in 40 s of widefield GCaMP6f imaging of the right
hemisphere of a mouse (Resta, Allegra Mascaro & Pavone; see
:ref:`data-widefield-mouse`): 1000 frames of 100 x 100 pixels at 25 Hz, 0.05 mm per
pixel.
"""

# %%
# Load the stack
# --------------
# :func:`neurowave.datasets.load_widefield_mouse` reads the TIFF frames through Neo,
# masks the dark background outside the cortex (NaN sites), converts each pixel to
# ΔF/F and, with ``bin=4``, averages blocks of 4 x 4 pixels: 25 x 25 sites at 0.2 mm,
# which keeps this tutorial fast. We come back to what binning changes at the end.

# sphinx_gallery_thumbnail_number = 2
import matplotlib.pyplot as plt
import numpy as np

import neurowave
import neurowave.waves as nw
from neurowave.datasets import load_widefield_mouse

stack = load_widefield_mouse(bin=4)
print(neurowave.validate_grid(stack))
for key in ("units", "background_mask", "n_background_pixels", "orientation"):
    print(f"{key}: {stack.attrs[key]}")

# %%
# In the figures below ``y`` grows upwards, as in every neurowave plot; the
# ``orientation`` attribute says that in the stored image ``y`` grows downwards, so
# these maps are the stored images flipped upside down. Directions are angles in
# this (x, y) frame, counter-clockwise from +x, not anatomical directions (see
# :ref:`data-widefield-mouse` on orientation).
#
# Analyse
# -------
# The upstream analysis of this dataset (Cobrawap) band-passes the signal between
# 0.1 and 5 Hz; we use the same band. :func:`neurowave.waves.analyze` measures
# phase, PGD, wave frames, speed and direction, classifies each frame's pattern and
# groups wave frames into events.

band = (0.1, 5.0)
result = nw.analyze(stack, band=band, seed=0)
for name, value in result.table():
    print(f"{name:12s} {value}")

# %%
# Each wave event is a run of wave frames, with its pattern, speed and direction:

events = result.events
print(events[["start", "duration", "pattern", "speed", "direction", "pgd"]].round(3))

# %%
# Events over time
# ----------------
# The ΔF/F averaged over the cortex shows the slow oscillation; the PGD shows how
# organised the phase field is at each moment, and the coloured bands are the
# detected events. An event is a run of frames of one pattern that lasts at least
# one period of the median frequency (the default of
# :func:`~neurowave.waves.detect_wave_events`), so brief excursions of the PGD above
# the threshold (dashed) do not make an event.

frames = result.frames
t = frames.time.values
mean_dff = stack.sel(time=frames.time).mean(("y", "x"))
colors = {
    "planar": "tab:green",
    "radial_out": "tab:orange",
    "radial_in": "tab:purple",
    "rotating": "tab:red",
}

fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, layout="constrained")
ax0.plot(t, mean_dff, color="k", lw=0.8)
ax0.set(ylabel="mean ΔF/F")
ax1.plot(t, frames.pgd, color="k", lw=0.6)
ax1.axhline(result.summary["params"]["pgd_threshold"], color="0.5", ls="--")
ax1.set(ylabel="PGD", xlabel="time (s)", ylim=(0, 1))
for _, ev in events.iterrows():
    for ax in (ax0, ax1):
        ax.axvspan(ev.start, ev.end, color=colors.get(ev.pattern, "0.7"), alpha=0.3, lw=0)
handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.3) for c in colors.values()]
ax1.legend(handles, colors.keys(), loc="upper right", ncols=4, fontsize=8)

# %%
# One slow wave, frame by frame
# -----------------------------
# We take the planar event with the highest PGD and show the band-passed ΔF/F
# every 80 ms from its start. The arrow gives the event's direction of travel.

planar = events[events.pattern == "planar"]
ev = planar.loc[planar.pgd.idxmax()]
print(ev[["start", "end", "speed", "direction", "pgd"]])
filtered = nw.bandpass(stack, band=band)
k0 = int(np.searchsorted(filtered.time.values, ev.start))
vmax = float(np.nanpercentile(np.abs(filtered.values), 98))

fig, axes = plt.subplots(1, 8, figsize=(13, 2.3), layout="constrained")
for j, ax in enumerate(axes):
    k = k0 + 2 * j
    im = ax.pcolormesh(stack.x, stack.y, filtered[k], cmap="magma", vmin=-vmax, vmax=vmax)
    ax.set_title(f"{float(filtered.time[k]):.2f} s", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
u = np.deg2rad(ev.direction)
axes[0].annotate(
    "",
    xy=(2.5 + 1.8 * np.cos(u), 2.5 + 1.8 * np.sin(u)),
    xytext=(2.5, 2.5),
    arrowprops=dict(color="cyan", width=2, headwidth=8),
)
fig.colorbar(im, ax=axes, shrink=0.9, label="ΔF/F (0.1-5 Hz)")

# %%
# Follow the bright (active) region from frame to frame: it appears on the side the
# arrow starts from and spreads across the field of view in the direction of the
# arrow, and the region it left behind turns dark (silent) first.
#
# The trigger-time route (Cobrawap)
# ----------------------------------
# The slow-wave pipeline Cobrawap takes another road: each pixel's *transition
# times* (here the upward crossings of phase -pi/2, the rising flank from Down to
# Up state) are collected with
# :func:`~neurowave.waves.detect_trigger_times`, clustered in space and time into
# waves, and each wave's time-lag map is fitted by a plane, whose slope gives a
# speed and a direction (:func:`~neurowave.waves.detect_trigger_waves`).

phase = nw.compute_phase(stack, band=band)
triggers = nw.detect_trigger_times(phase)
waves = nw.detect_trigger_waves(triggers)
planar_waves = waves[np.isfinite(waves.speed)]
d = np.deg2rad(planar_waves.direction.values)
print(
    f"{len(waves)} trigger waves, {len(planar_waves)} with a planar fit "
    f"(R² >= 0.5): median speed {planar_waves.speed.median():.4f} m/s, circular mean "
    f"direction {np.degrees(np.angle(np.exp(1j * d).mean())) % 360:.0f} deg "
    f"(resultant length {np.abs(np.exp(1j * d).mean()):.2f})"
)

# %%
# The time-lag map of the planar trigger wave with the best plane fit, and the
# directions of all planar trigger waves next to those of the phase-based events:

best = planar_waves.loc[planar_waves.plane_r2.idxmax()]
trig = waves.attrs["triggers"]
in_wave = trig[trig.wave == best.wave]
lag_map = np.full((stack.sizes["y"], stack.sizes["x"]), np.nan)
iy, ix = np.unravel_index(in_wave.site.values, lag_map.shape)
lag_map[iy, ix] = 1000 * in_wave.lag.values  # ms

fig = plt.figure(figsize=(9, 3.8), layout="constrained")
ax0 = fig.add_subplot(1, 2, 1)
im = ax0.pcolormesh(stack.x, stack.y, lag_map, cmap="viridis")
u = np.deg2rad(best.direction)
ax0.annotate(
    "",
    xy=(2.5 + 1.8 * np.cos(u), 2.5 + 1.8 * np.sin(u)),
    xytext=(2.5, 2.5),
    arrowprops=dict(color="red", width=2, headwidth=8),
)
ax0.set_aspect("equal")
ax0.set(
    xlabel="x (mm)",
    ylabel="y (mm)",
    title=f"time lags, wave at {best.start:.2f} s\n"
    f"{1000 * best.speed:.0f} mm/s towards {best.direction:.0f} deg",
)
fig.colorbar(im, ax=ax0, label="lag (ms)")
ax1 = fig.add_subplot(1, 2, 2, projection="polar")
bins = np.linspace(0, 2 * np.pi, 25)
ax1.hist(d, bins=bins, alpha=0.6, density=True, label=f"trigger waves ({len(d)})")
ev_dir = np.deg2rad(events.direction.dropna().values)
ax1.hist(ev_dir, bins=bins, alpha=0.6, density=True, label=f"phase-based events ({len(ev_dir)})")
ax1.set_yticklabels([])
ax1.legend(loc="lower left", bbox_to_anchor=(0.8, -0.1), fontsize=8)
ax1.set_title("directions (deg, CCW from +x), normalised", fontsize=10)

# %%
# In the time-lag map, the lag grows along the arrow: the wave reaches those pixels
# later. Compare the numbers of the two routes printed above: the trigger route
# measures when each pixel switches on, once per wave, while the phase route
# measures every frame; both report in the same units and frame.
#
# What binning changes
# --------------------
# Averaging pixels makes the analysis faster, but it also smooths the phase field,
# and smoother phase fields have larger PGD. With the same band and the same
# surrogate test, we measure the median PGD, the fraction of wave frames and the
# median speed of the wave frames at three binnings (the first and last second left
# out, to avoid the filter's edges).

for b in (2, 4, 8):
    g = load_widefield_mouse(bin=b)
    phase = nw.compute_phase(g, band=band)
    grad = nw.compute_phase_gradient(phase)
    wf = nw.detect_wave_frames(phase, gradient=grad, seed=0)
    speed = nw.compute_speed(phase, grad, per="frame")
    inner = slice(25, -25)
    is_wave = wf.is_wave.values[inner]
    print(
        f"bin {b}: {g.sizes['y']} x {g.sizes['x']} sites at {float(g.x[1] - g.x[0]):.2f} mm | "
        f"median PGD {np.nanmedian(wf.pgd.values[inner]):.2f} | "
        f"wave frames {100 * is_wave.mean():.0f} % | "
        f"median speed {np.nanmedian(speed.values[inner][is_wave]):.4f} m/s"
    )

# %%
# The numbers move with the binning: the wave fraction and the speed are not
# properties of the cortex alone but of the cortex seen at a given resolution. When
# you compare recordings (or a recording with a model), measure them at comparable
# resolution, and report the binning with the results.
#
# How do these speeds compare with the literature?
# ------------------------------------------------
# What we compared, and only that: Stroh et al. ("Making waves: initiation and
# propagation of corticothalamic Ca2+ waves in vivo", Neuron, 2013) evoked Ca2+ slow waves in mouse visual cortex (V1) and report that they arrive in V1
# 90 ± 4 ms after the light pulse and in the ipsilateral frontal cortex
# 172 ± 5 ms after it. V1 and frontal cortex lie roughly 5 mm apart in the mouse
# (our assumption from the standard atlas, not a number of that paper), which makes a
# propagation speed of the order of 5 mm / 82 ms ≈ 60 mm/s. The speeds printed above
# (the trigger route's median and the phase route's wave frames, tens of mm/s at most)
# are of the same order of magnitude and somewhat slower. The two are not like for like:
# an evoked wave crossing the hemisphere along its long axis against spontaneous
# waves under deep ketamine-xylazine anaesthesia in a 5 x 5 mm field of view, and slow
# waves slow down with deeper anaesthesia. The upstream analyses of this very
# dataset (Celotto et al. 2020; the Cobrawap pipeline) report their speeds in figures
# whose values we did not transcribe; a like-for-like comparison would rerun their
# pipeline on the same trial.
