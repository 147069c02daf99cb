"""Wave frames: PGD threshold plus a surrogate test of spatially shuffled sites."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, check_positive, validate_type
from . import _kernels as K
from ._xr import MIN_SITES, check_measure_input, geometry, grid_units, over_space

__all__ = ["detect_wave_frames"]


def _default_step(phase, sr):
    band = phase.attrs.get("band")
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        return 1
    width = hi - lo
    if not width > 0:
        return 1
    return max(1, int(sr / (2.0 * width)))


def detect_wave_frames(
    phase,
    *,
    threshold=0.5,
    n_surrogates=99,
    alpha=0.05,
    seed=0,
    gradient=None,
    surrogate_step=None,
    min_sites=MIN_SITES,
    pgd=None,
):
    """Find the frames that hold a travelling wave.

    A frame is a wave frame when its PGD reaches ``threshold`` and beats the surrogate
    distribution of spatially shuffled sites: the phases of the valid sites are permuted
    among the valid positions (dead sites stay in place), the gradient and PGD are
    recomputed, and ``p = (1 + #{PGD_surrogate >= PGD}) / (1 + n_surrogates)``; the
    frame is a wave frame when ``p <= alpha``.

    PGD depends only on the phase differences between sites, which a band-limited
    signal changes no faster than its band width allows; so the surrogate test runs on
    every ``surrogate_step``-th frame (default: the Nyquist rate of the band width,
    ``sampling_rate / (2 (hi - lo))`` samples apart: the relative phases of components
    within the band change no faster than ``hi - lo``) and each frame takes the p-value
    of the nearest tested frame. ``surrogate_step=1`` tests every frame. All tested frames
    of a block share each random permutation, which keeps every frame's test exact and
    lets the surrogates run for many frames at once.

    Parameters
    ----------
    phase : xarray.DataArray
        From :func:`~neurowave.waves.compute_phase`.
    threshold : float
        PGD threshold (default 0.5).
    n_surrogates : int
        Number of shuffles per tested frame (0 skips the test: ``p_value`` is NaN and
        only the threshold decides).
    alpha : float
        Significance level.
    seed : int
        Seed of the permutations.
    gradient : xarray.Dataset | None
        The phase gradient if already computed (the surrogates use its stencil,
        ``attrs["gradient_step"]``).
    surrogate_step : int | None
        Frames between surrogate tests (see above).
    min_sites : int
        Frames with fewer valid sites have NaN PGD and are not wave frames.
    pgd : xarray.DataArray | None
        The PGD of each frame if already computed (e.g. by
        :func:`~neurowave.waves.compute_frame_measures`).

    Returns
    -------
    frames : xarray.Dataset
        Over ``"time"``: ``pgd`` (float32), ``p_value`` (float32) and ``is_wave`` (bool).

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import compute_phase
    >>> grid, _ = simulate_wave("planar", speed=0.1, frequency=10, duration=1.0,
    ...                      snr_db=0, seed=0)
    >>> fr = detect_wave_frames(compute_phase(grid, band=(8, 12)), n_surrogates=19)
    >>> float(fr.is_wave.isel(time=slice(100, 900)).mean())
    1.0
    """
    check_measure_input(phase, "phase", min_sites=min_sites)
    validate_type(threshold, "numeric", "threshold")
    validate_type(n_surrogates, "int", "n_surrogates")
    validate_type(seed, "int", "seed")
    alpha = check_positive(alpha, "alpha")
    if n_surrogates < 0:
        raise NeurowaveError(f"`n_surrogates` must be >= 0, got {n_surrogates}.")
    if n_surrogates and (1.0 / (1 + n_surrogates)) > alpha:
        raise NeurowaveError(
            f"With {n_surrogates} surrogates the smallest p-value is "
            f"{1 / (1 + n_surrogates):.3g} > alpha={alpha:g}, so no frame could pass. "
            f"Use at least {int(np.ceil(1 / alpha - 1))} surrogates."
        )
    sr, _, _ = grid_units(phase)
    step = _default_step(phase, sr) if surrogate_step is None else int(surrogate_step)
    if step < 1:
        raise NeurowaveError(
            f"`surrogate_step` must be a positive integer, got {surrogate_step!r}."
        )
    if gradient is None:
        from .gradient import compute_phase_gradient

        gradient = compute_phase_gradient(phase)
    step_g = int(gradient.attrs.get("gradient_step", 1))
    kernel, geom = geometry(phase, step_g)
    if pgd is None:
        pgd = over_space(
            K.pgd_kernel,
            gradient["dx"],
            gradient["dy"],
            out_core=[[]],
            kwargs={"min_sites": min_sites},
        )
    time = phase["time"].reset_coords(drop=True)

    def _kern(phi, t, pgd_obs):
        g = geom
        if "pos" in g:  # irregular layout: neighbour operators once per block
            valid = np.isfinite(phi.reshape(phi.shape[0], -1)).any(axis=0)
            g = dict(g, ops=K.ls_neighbours(g["pos"], valid, radius_factor=1.75 * step_g))
        _, p = K.surrogate_kernel(
            phi,
            t,
            grad=kernel,
            geom=g,
            n_surrogates=n_surrogates,
            step=step,
            seed=seed,
            min_sites=min_sites,
            pgd=pgd_obs,
        )
        return p

    p = over_space(_kern, phase, time, pgd, out_core=[[]], extra_core=[None, [], []])
    is_wave = pgd >= threshold
    if n_surrogates:
        is_wave = is_wave & (p <= alpha)
    pgd.attrs = {"long_name": "phase gradient directionality", "units": "1"}
    p.attrs = {
        "long_name": "surrogate p-value of the PGD",
        "n_surrogates": n_surrogates,
        "surrogate_step": step,
    }
    ds = xr.Dataset({"pgd": pgd, "p_value": p, "is_wave": is_wave})
    ds.attrs = {
        "threshold": float(threshold),
        "alpha": alpha,
        "n_surrogates": n_surrogates,
        "surrogate_step": step,
        "seed": seed,
    }
    return ds
