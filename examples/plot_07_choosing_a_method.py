"""
Choosing a method: phase gradient, plane fit, optical flow, delays
==================================================================

The field measures wave speed and direction in several established ways. neurowave
runs them on the same grids with the same conventions, so you can compare them on
your data instead of trusting one. This tutorial runs three on the same phase:

* the **phase gradient** (:func:`~neurowave.waves.compute_phase_gradient`): local
  wrapped differences, per site and frame, summarised by PGD, speed and direction;
* the **plane fit** (:func:`~neurowave.waves.fit_plane`): one plane wave per frame by
  2-D circular-linear regression of phase on position, with its goodness of fit
  ``r``;
* **optical flow** (:func:`~neurowave.waves.compute_optical_flow`): a smooth velocity
  field per frame (Horn-Schunck on the phase), summarised by the order parameter;
* **delays** (:func:`~neurowave.waves.fit_delay_plane`, Martinet et al. 2017): one
  speed and direction for a whole epoch, from a plane fitted to the time delays
  between sites that their coherence gives, with bootstrap intervals and an F-test;
* the **wavenumber-frequency spectrum** (:func:`~neurowave.waves.compute_kw_spectrum`,
  :func:`~neurowave.waves.estimate_kw_wave`): the power of the whole epoch over
  frequency and spatial wavenumber, whose peak gives the dominant wave's phase speed,
  direction and wavelength, and whose balance of power at +k and -k tells a
  travelling from a standing wave.

We first use simulated waves whose truth is known, then the human Utah seizure
recording of :doc:`plot_01_utah_seizure`. Formulas are on :doc:`/methods`.
"""

# %%
# A plane wave with known speed
# -----------------------------
# One second of a plane wave at 0.3 m/s towards 60 degrees, 10 Hz, pink noise at
# 10 dB SNR, on a Utah-array layout.

# sphinx_gallery_thumbnail_number = 2
import matplotlib.pyplot as plt
import numpy as np

import neurowave.waves as nw
from neurowave.datasets import load_seizure_utah, simulate_wave

grid, truth = simulate_wave(
    "planar", speed=0.3, direction=60.0, frequency=10.0, duration=1.0, snr_db=10.0, seed=1
)
phase = nw.compute_phase(grid, band=(6.0, 14.0))


def three_methods(phase):
    """Per-frame speed (m/s) and direction (deg) by each method."""
    gradient = nw.compute_phase_gradient(phase)
    plane = nw.fit_plane(phase)
    flow = nw.compute_optical_flow(phase)
    space = [d for d in flow.vx.dims if d != "time"]
    vx, vy = flow.vx.mean(space), flow.vy.mean(space)
    speeds = {
        "phase gradient": nw.compute_speed(phase, gradient, per="frame"),
        "plane fit": plane.speed,
        "optical flow": np.hypot(flow.vx, flow.vy).median(space),
    }
    directions = {
        "phase gradient": nw.compute_direction(gradient),
        "plane fit": plane.direction,
        "optical flow": np.degrees(np.arctan2(vy, vx)) % 360,
    }
    quality = {
        "PGD": nw.compute_pgd(gradient),
        "plane fit r": plane.r,
        "flow order parameter": nw.compute_order_parameter(flow),
    }
    return speeds, directions, quality


speeds, directions, quality = three_methods(phase)
inner = slice(100, -100)  # leave out 0.1 s at each end (filter edges)
print(f"truth: {truth.speed} m/s, {truth.direction} deg")
for name in speeds:
    s = speeds[name][inner]
    d = directions[name][inner]
    print(
        f"{name:15s} speed median {float(s.median()):.3f} m/s "
        f"(IQR {float(s.quantile(0.25)):.3f}-{float(s.quantile(0.75)):.3f}), "
        f"direction median {float(d.median()):.1f} deg"
    )
for name, q in quality.items():
    print(f"{name:22s} median {float(q[inner].median()):.2f}")

fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True, layout="constrained")
for name, c in zip(speeds, ["k", "tab:blue", "tab:orange"], strict=True):
    speeds[name][inner].plot(ax=ax0, color=c, lw=1, label=name)
    directions[name][inner].plot(ax=ax1, color=c, lw=1, label=name)
ax0.axhline(truth.speed, color="tab:red", ls="--", label="truth")
ax1.axhline(truth.direction, color="tab:red", ls="--")
ax0.set(ylabel="speed (m/s)", xlabel="", ylim=(0, 0.6))
ax1.set(ylabel="direction (deg)", xlabel="time (s)", ylim=(0, 120))
ax0.legend(ncols=4, fontsize=8, loc="upper right")

# %%
# The delay-based fit gives one answer for the whole second, with a bootstrap 95 %
# interval. For a narrow-band signal like this one, the delay of each site is its
# phase lag divided by :math:`2\pi f` (``method="phase"``); for broadband signals,
# the slope of phase over frequency (``method="slope"``, the default, as in
# Martinet et al.).

delay_fit = nw.fit_delay_plane(grid, band=(6.0, 14.0), method="phase", seed=0)
print(
    f"delays: {delay_fit.speed:.3f} m/s (95 % CI {delay_fit.speed_ci[0]:.3f}-"
    f"{delay_fit.speed_ci[1]:.3f}), direction {delay_fit.direction:.1f} deg "
    f"(95 % CI {delay_fit.direction_ci[0]:.1f}-{delay_fit.direction_ci[1]:.1f}), "
    f"{delay_fit.n_sites} sites with a delay, F-test p = {delay_fit.p_value:.1e}"
)

# %%
# All four come within a few per cent of the truth: compare the numbers printed
# above with it. (A bootstrap interval over sites, like the delay fit's, describes
# the spread between sites; it does not cover every bias.) The plane fit uses every
# site at once. The per-frame phase-gradient speed averages the gradients over the
# sites before dividing, which keeps noise from biasing it; the flow works with local
# gradients, and noise makes a local :math:`|\nabla\varphi|` larger on average,
# which pulls its speeds down. The three lines printed after the speeds are the planarity of the frames by
# each method: PGD, the plane fit's ``r`` and the flow's order parameter, all high
# for a plane wave
# (PGD, computed from unsmoothed local gradients, is the one that noise lowers
# most).
#
# A rotating wave
# ---------------
# Now a wave that rotates counter-clockwise around the middle of the array. There
# is no single direction of travel: the local gradients point around a circle and
# cancel in the mean.

rot, rot_truth = simulate_wave(
    "rotating", rotation=1, frequency=10.0, duration=0.4, snr_db=10.0, seed=2
)
rphase = nw.compute_phase(rot, band=(6.0, 14.0))
r_speeds, r_dirs, r_quality = three_methods(rphase)
middle = slice(100, 300)  # leave out 0.1 s at each end
for name, q in r_quality.items():
    print(f"{name:22s} median {float(q[middle].median()):.2f}")
patterns = nw.classify_patterns(rphase.isel(time=middle))
counts = patterns.pattern.to_series().value_counts(normalize=True)
print("patterns:", (100 * counts).round(1).to_dict(), "%")

k = 200
rgrad = nw.compute_phase_gradient(rphase)
rflow = nw.compute_optical_flow(rphase.isel(time=slice(k - 1, k + 2)))
fig, axes = plt.subplots(1, 2, figsize=(8.5, 4), layout="constrained")
for ax, (title, u, v) in zip(
    axes,
    [
        ("phase gradient: -∇φ", -rgrad.dx[k], -rgrad.dy[k]),
        ("optical flow: v", rflow.vx[1], rflow.vy[1]),
    ],
    strict=True,
):
    ax.pcolormesh(rot.x, rot.y, rphase[k], cmap="twilight", vmin=-np.pi, vmax=np.pi)
    n = np.hypot(u, v)
    ax.quiver(rot.x, rot.y, u / n, v / n, scale=14, width=0.008)
    ax.set_aspect("equal")
    ax.set(title=title, xlabel="x (mm)")
axes[0].set_ylabel("y (mm)")

# %%
# Both arrow fields turn counter-clockwise around the centre. PGD, the plane fit's
# ``r`` and the flow's order parameter (printed above) are all far lower than for
# the plane wave, because each of them asks "do all sites move the same way?". A low value alone cannot
# tell a rotating wave from disorder; :func:`~neurowave.waves.classify_patterns`
# fits the rotating and radial models as well, and it labels most of these frames
# ``rotating``.
#
# The same question on a recording
# --------------------------------
# On the Utah seizure recording (1-13 Hz) we compare the three speeds frame by
# frame, over the frames that the surrogate test calls wave frames, in the first
# five seconds (to keep this page quick to build).

utah = load_seizure_utah()
uphase = nw.compute_phase(utah, band=(1.0, 13.0)).isel(time=slice(0, 2500))
u_speeds, u_dirs, u_quality = three_methods(uphase)
t = uphase.time.values
is_wave = nw.detect_wave_frames(uphase, seed=0).is_wave.values & (t > 0.5) & (t < t[-1] - 0.5)
print(f"{is_wave.sum()} wave frames")
for name in u_speeds:
    s = u_speeds[name].values[is_wave]
    d = np.deg2rad(u_dirs[name].values[is_wave])
    mean_dir = np.degrees(np.angle(np.nanmean(np.exp(1j * d)))) % 360
    print(
        f"{name:15s} speed median {np.nanmedian(s):.3f} m/s, "
        f"circular mean direction {mean_dir:.0f} deg"
    )

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
pairs = [
    ("phase gradient", "plane fit"),
    ("phase gradient", "optical flow"),
    ("plane fit", "optical flow"),
]
for ax, (a, b) in zip(axes, pairs, strict=True):
    sa, sb = u_speeds[a].values[is_wave], u_speeds[b].values[is_wave]
    ok = np.isfinite(sa) & np.isfinite(sb)
    rho = np.corrcoef(np.log(sa[ok]), np.log(sb[ok]))[0, 1]
    ax.loglog(sa, sb, ".", ms=2, alpha=0.3)
    ax.plot([1e-3, 1], [1e-3, 1], color="tab:red", lw=1)
    ax.set(
        xlabel=f"{a} (m/s)",
        ylabel=f"{b} (m/s)",
        xlim=(1e-3, 1),
        ylim=(1e-3, 1),
        title=f"r(log speed) = {rho:.2f}",
    )
    ax.set_aspect("equal")

# %%
# Each dot is one wave frame; the red line is equality. Read the agreement off the
# correlations in the titles and the medians printed above.
#
# The delay-based fit answers for a whole epoch. We fit it to the full ten seconds,
# as Martinet et al. did, and to four windows of 2.5 s (with the default
# ``method="slope"``: the seizure signal is broadband).

whole = nw.fit_delay_plane(utah, band=(1.0, 13.0), seed=0)
print(
    f"whole 10 s: {whole.speed:.3f} m/s (95 % CI {whole.speed_ci[0]:.3f}-"
    f"{whole.speed_ci[1]:.3f}), direction {whole.direction:.0f} deg, "
    f"{whole.n_sites} sites with a delay"
)
n_win = int(round(2.5 * float(utah.attrs["sampling_rate"])))
for k in range(4):
    fit = nw.fit_delay_plane(
        utah.isel(time=slice(k * n_win, (k + 1) * n_win)), band=(1.0, 13.0), n_boot=200, seed=0
    )
    print(
        f"window {k * 2.5:4.1f}-{(k + 1) * 2.5:4.1f} s: {fit.speed:.3f} m/s, "
        f"direction {fit.direction:.0f} deg, {fit.n_sites} sites"
    )

# %%
# Compare the delay-based speeds with the frame-by-frame medians above (the first
# two windows cover the same five seconds as the frame-by-frame comparison). The two
# need not agree even when both are right: the frame-based methods measure how
# fast the *phase* of the 1-13 Hz rhythm moves at each moment, while the
# delay-based fit measures a delay, from the slope of phase over frequency across
# the band, and averages it over the whole epoch. Where the signal is dispersive
# (different frequencies travel at different speeds) or the waves change within
# the epoch, these are different quantities. Where the methods
# disagree, they answer different questions: the plane fit gives the speed of the
# best single plane over the whole array, the phase gradient combines local speeds,
# and the flow gives a smoothed velocity field whose size depends on its smoothness
# weight ``alpha``.

# %%
# The wavenumber-frequency spectrum
# ---------------------------------
# The k-omega spectrum answers for the whole epoch too, but with the *phase* speed of
# the dominant rhythm, like the frame-based methods, rather than a delay. We average
# it over 1-s windows (1 Hz frequency resolution) and split the windows into five
# segments for a jackknife interval. The array is 3.6 mm wide, so its FFT resolves
# wavenumbers 1/(3.6 mm) apart; waves of a few centimetres are far below that, and the
# peak is located from the shape of its main lobe (``regime`` says so).

spec = nw.compute_kw_spectrum(utah, band=(1.0, 13.0), window=500, segments=5)
kw = nw.estimate_kw_wave(spec)
print(
    f"k-omega peak: {kw.speed:.3f} m/s (95 % CI {kw.speed_ci[0]:.3f}-{kw.speed_ci[1]:.3f}), "
    f"direction {kw.direction:.0f} deg (95 % CI {kw.direction_ci[0]:.0f}-"
    f"{kw.direction_ci[1]:.0f}), {kw.frequency:.2f} Hz, wavelength {kw.wavelength:.1f} mm "
    f"({kw.regime}), travelling index {kw.travelling_index:.2f}, the peak's plane wave "
    f"holds {100 * kw.coherence:.0f} % of the sites' power at that frequency"
)
fig = nw.plot_kw_spectrum(spec, estimate=kw)

# %%
# Left: the power along the line through k = 0 in the peak's direction, over
# frequency. A travelling wave puts its ridge on one side of k = 0 only (a standing
# wave would mirror it), and the dashed line is the estimated phase speed. Right: the
# kx-ky plane at the peak frequency, the arrow pointing the way the wave travels.
#
# Set the printed numbers beside the others. The frame medians, the whole-epoch delay
# fit and the k-omega peak point the same way (about 200 degrees). The k-omega speed is the phase speed of the peak frequency
# (about 4.4 Hz) alone; it lies between the frame-by-frame medians and the delay
# fit, which measures the slope of phase over the whole 1-13 Hz band: on a
# broadband, possibly dispersive seizure the three are different quantities. The
# travelling index near 1 says the power at -k is what a single travelling wave
# leaks there, not a second wave running the other way, and the peak's plane wave
# holds nearly all the power at its frequency.
#
# Which to use
# ------------
# * For the speed and direction of waves that are close to planar over the array,
#   the plane fit gives one number per frame from all sites at once, and its ``r``
#   tells you whether a frame is planar enough to trust.
# * For local structure (where a wave speeds up, slows down or turns), the phase
#   gradient works per site; PGD is its summary of planarity.
# * For rotating, radial and mixed patterns, optical flow gives a velocity field in
#   which sources, sinks and spirals can be found
#   (:func:`~neurowave.waves.detect_critical_points`), and
#   :func:`~neurowave.waves.classify_patterns` names the pattern of each frame.
# * For one speed and direction per epoch with confidence intervals, robust to
#   individual noisy frames and comparable with the seizure literature, use the
#   delay-based fit; it needs epochs of several cycles of the lowest frequency.
# * For the phase speed of a stationary rhythm, waves much longer than the array or
#   too noisy for single frames, and to tell travelling from standing waves, use the
#   k-omega spectrum: it needs windows of a few cycles and many of them (its interval
#   comes from segments of the recording).
# * Report more than one method when the result matters: agreement between
#   methods that rest on different assumptions is stronger evidence than one number.
