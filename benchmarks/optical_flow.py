"""Benchmark: neurowave's optical flow on phase against WaveSpace's Horn-Schunck.

Workload: a Utah array (10 x 10 at 0.4 mm, four dead corners = 96 sites) sampled at
1 kHz for 2 s, a plane wave of 0.3 m/s at 30 deg and 10 Hz from
``neurowave.datasets.simulate_wave`` (noise-free and 10 dB SNR pink noise), phase from
``neurowave.waves.compute_phase`` (8-12 Hz Hilbert). Both implementations get the same
phase; both are timed in this run, on this machine (best of 5 runs for neurowave's
Horn-Schunck, best of 2 for WaveSpace, one for the Charbonnier variant). Velocity error = median over
frames and valid sites of ``|v - v_true| / |v_true|`` (ground truth from the simulator).

WaveSpace (``pip install wavespace``; Petras et al.) is not a neurowave dependency.
Install it into a separate environment and point ``WAVESPACE_SITE`` at that
environment's site-packages, which is appended to ``sys.path`` (after neurowave's own
packages)::

    python -m venv /tmp/wsenv --system-site-packages
    /tmp/wsenv/bin/pip install wavespace
    WAVESPACE_SITE=/tmp/wsenv/lib/python3.11/site-packages python benchmarks/optical_flow.py

WaveSpace's ``create_uv`` wraps its per-trial worker ``uv_process_trial`` (a Horn-Schunck
loop over frame pairs, up to ``maxIter`` Jacobi sweeps each) in a multiprocessing pool
over trials; with one trial the worker is what runs, so it is called directly. It
cannot take NaN sites, so the four dead corners get the circular mean of their
neighbours' phase for it (errors are scored on the 96 valid sites only). Its temporal
derivative is ``-wrap(phi2 - phi1)`` (``normalize_angle`` negates), so its vectors point
against the direction of travel; both signs are scored and the better one reported.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from neurowave.datasets import simulate_wave
from neurowave.waves import compute_optical_flow, compute_phase

SPEED, DIRECTION, FREQ, FS, DURATION = 0.3, 30.0, 10.0, 1000.0, 2.0
# best-of-N wall times (the machine may be shared): neurowave's Horn-Schunck runs take
# a fraction of a second and suffer most from load spikes
REPEAT_OURS, REPEAT_WAVESPACE = 5, 2


def _wavespace():
    site = os.environ.get("WAVESPACE_SITE")
    if site and site not in sys.path:
        sys.path.append(site)
    try:
        from WaveSpace.WaveAnalysis import OpticalFlow
    except Exception as err:
        return None, err
    return OpticalFlow, None


def _truth():
    th = np.deg2rad(DIRECTION)
    return SPEED * np.cos(th), SPEED * np.sin(th)


def _error(vx, vy, valid):
    tx, ty = _truth()
    e = np.hypot(vx - tx, vy - ty)[:, valid] / SPEED
    return float(np.nanmedian(e))


def _fill_dead(ph):
    """Circular mean of the valid 8-neighbours for NaN sites (WaveSpace needs no NaN)."""
    ph = ph.copy()
    t, _ny, _nx = ph.shape
    dead = np.argwhere(~np.isfinite(ph[0]))
    z = np.exp(1j * ph)
    for i, j in dead:
        nb = z[:, max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2].reshape(t, -1)
        ph[:, i, j] = np.angle(np.nansum(nb, axis=1))
    return ph


def run(snr_db, OpticalFlow):
    grid, _truth = simulate_wave(
        "planar",
        speed=SPEED,
        direction=DIRECTION,
        frequency=FREQ,
        duration=DURATION,
        sampling_rate=FS,
        snr_db=snr_db,
        seed=0,
    )
    phase = compute_phase(grid, band=(8.0, 12.0)).compute()
    valid = np.isfinite(phase.values[0]).ravel()
    nt = phase.sizes["time"]
    print(
        f"\n== plane wave {SPEED} m/s at {DIRECTION} deg, {FREQ} Hz, "
        f"SNR {'none' if snr_db is None else f'{snr_db:g} dB'}: "
        f"{int(valid.sum())} sites x {nt} frames at {FS:g} Hz"
    )
    rows = []
    configs = [("horn-schunck", 1.5), ("horn-schunck", 2.5), ("charbonnier", 1.5)]
    for method, radius in configs:
        compute_optical_flow(phase.isel(time=slice(0, 50)), method=method)  # warm-up
        dt = np.inf
        for _ in range(REPEAT_OURS if method == "horn-schunck" else 1):
            t0 = time.perf_counter()
            fl = compute_optical_flow(phase, method=method, alpha=0.5, gradient_radius=radius)
            dt = min(dt, time.perf_counter() - t0)
        err = _error(fl.vx.values.reshape(nt, -1), fl.vy.values.reshape(nt, -1), valid)
        rows.append((f"neurowave {method} (alpha 0.5, gradient_radius {radius:g})", dt, err))
    if OpticalFlow is not None:
        ph = _fill_dead(phase.values)
        data = np.moveaxis(ph, 0, -1)  # (y, x, time), WaveSpace's posx/posy/time order
        kernel = np.array([[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]])
        u0 = np.zeros(data.shape[:2])
        scale = 0.4 * FS / 1000.0  # pixels/frame -> mm/ms = m/s
        for alpha in (2.0, 0.5):
            dt = np.inf
            for _ in range(REPEAT_WAVESPACE):
                t0 = time.perf_counter()
                uv = OpticalFlow.uv_process_trial(
                    data, nt, 100, u0, u0, kernel, False, 1, alpha, True
                )
                dt = min(dt, time.perf_counter() - t0)
            # uv[..., i] is the flow between frames i and i+1 (one frame fewer)
            vx = np.moveaxis(uv.real, -1, 0).reshape(nt - 1, -1) * scale
            vy = np.moveaxis(uv.imag, -1, 0).reshape(nt - 1, -1) * scale
            e_raw, e_neg = _error(vx, vy, valid), _error(-vx, -vy, valid)
            rows.append(
                (
                    f"WaveSpace Horn-Schunck (alpha {alpha:g}, maxIter 100)"
                    f"{' [sign flipped]' if e_neg < e_raw else ''}",
                    dt,
                    min(e_raw, e_neg),
                )
            )
    base = rows[0][1]
    print(f"{'implementation':62s} {'time (s)':>9s} {'vel. error':>10s} {'time/ours':>9s}")
    for name, dt, err in rows:
        print(f"{name:62s} {dt:9.3f} {err:10.3f} {dt / base:8.1f}x")
    if OpticalFlow is not None:
        ws = [r for r in rows if r[0].startswith("WaveSpace")]
        for name, dt, err in rows[:2]:
            print(
                f"{name}: {ws[1][1] / dt:.1f}x faster than WaveSpace (alpha 0.5), "
                f"{ws[0][1] / dt:.1f}x than WaveSpace (alpha 2); velocity error {err:.3f} vs "
                f"{ws[1][2]:.3f} (alpha 0.5) and {ws[0][2]:.3f} (alpha 2)"
            )
    return rows


def main():
    OpticalFlow, err = _wavespace()
    if OpticalFlow is None:
        print(
            f"WaveSpace not importable ({err}); timing neurowave only. "
            "See the module docstring to install it for the comparison."
        )
    for snr in (None, 10.0):
        run(snr, OpticalFlow)


if __name__ == "__main__":
    main()
