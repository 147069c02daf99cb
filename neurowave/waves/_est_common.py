"""Private helpers shared by the estimators (flow, critical points, patterns, fits,
events, delays, modes): phase validation, neighbour operators, local and temporal
phase derivatives on flattened sites. (The units, spatial dims and speed unit live in
:mod:`._xr`, angle wrapping in :mod:`.circular`.)

Everything here works on *flattened* sites: a phase grid ``("time", "y", "x")`` or
``("time", "channel")`` becomes an array ``(n_times, n_sites)`` plus positions
``(n_sites, 2)`` (x, y) in the C order of :func:`neurowave.grid.site_positions`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError
from ..grid import _sampling_rate, site_positions
from ._kernels import sites_are_collinear
from ._xr import spatial_dims
from .circular import TWO_PI


def check_phase(phase, name="phase"):
    """Validate a phase DataArray; return (spatial_dims, positions, sampling_rate)."""
    if isinstance(phase, xr.Dataset):
        raise NeurowaveTypeError(
            f"`{name}` must be an xarray.DataArray of phases, got a Dataset. "
            "Pass e.g. neurowave.waves.compute_phase(grid)."
        )
    if not isinstance(phase, xr.DataArray):
        raise NeurowaveTypeError(
            f"`{name}` must be an xarray.DataArray of phases, got {type(phase).__name__}. "
            "Pass e.g. neurowave.waves.compute_phase(grid)."
        )
    if "time" not in phase.dims:
        raise NeurowaveError(
            f"`{name}` has no 'time' dimension (dims {tuple(phase.dims)}). "
            "Pass a phase grid with dims ('time', 'y', 'x') or ('time', 'channel')."
        )
    sdims = spatial_dims(phase)
    if tuple(phase.dims) != ("time",) + sdims:
        raise NeurowaveError(
            f"`{name}` has dims {tuple(phase.dims)}; use "
            f"{name}.transpose({', '.join(repr(d) for d in ('time',) + sdims)})."
        )
    if np.issubdtype(phase.dtype, np.complexfloating):
        raise NeurowaveTypeError(
            f"`{name}` holds complex values; pass the phase (np.angle of the analytic signal), "
            "e.g. neurowave.waves.compute_phase(grid)."
        )
    pos = site_positions(phase)
    sr = _sampling_rate(phase)
    return sdims, pos, sr


def valid_sites(values):
    """Sites (last axis) that hold at least one finite value."""
    return np.any(np.isfinite(values.reshape(-1, values.shape[-1])), axis=0)


def neighbour_operator(pos, valid, *, radius=1.5):
    """Least-squares local-gradient operator from wrapped differences to neighbours.

    For each valid site ``i`` the neighbours are the valid sites within ``radius`` times the
    median nearest-neighbour spacing. Returns ``(nbr, coef)``: ``nbr`` (n_sites, K) indices
    (``-1`` padding) and ``coef`` (n_sites, 2, K) such that the gradient at ``i`` is
    ``coef[i] @ wrap(phi[nbr[i]] - phi[i])``. Sites with fewer than two non-collinear
    neighbours get all-zero coefficients and are flagged in ``ok``. When all sites lie
    on one line (:func:`sites_are_collinear`), the gradient is the derivative along the
    line (one neighbour suffices), pointing along it.
    """
    from scipy.spatial import cKDTree

    pos = np.asarray(pos, float)
    valid = np.asarray(valid, bool)
    n = len(pos)
    vidx = np.flatnonzero(valid)
    if len(vidx) >= 2:
        tree = cKDTree(pos[vidx])
        dnn, _ = tree.query(pos[vidx], k=2)
        spacing = float(np.median(dnn[:, 1]))
    else:
        spacing = np.nan
    lists = [[] for _ in range(n)]
    if len(vidx) >= 2 and np.isfinite(spacing):
        pairs = tree.query_pairs(radius * spacing * (1 + 1e-9), output_type="ndarray")
        for a, b in pairs:
            ia, ib = vidx[a], vidx[b]
            lists[ia].append(ib)
            lists[ib].append(ia)
    k = max(max((len(nb) for nb in lists), default=0), 1)
    nbr = -np.ones((n, k), int)
    coef = np.zeros((n, 2, k))
    ok = np.zeros(n, bool)
    axis = None
    if len(vidx) >= 2 and sites_are_collinear(pos[vidx]):
        # sites on one line: only the change along it is measured (1-D least squares
        # along the main axis, gradient along that axis; ends need one neighbour)
        c = pos[vidx] - pos[vidx].mean(0)
        axis = np.linalg.svd(c, full_matrices=False)[2][0]
    for i in vidx:
        js = np.asarray(sorted(lists[i]), int)
        if axis is not None:
            if len(js) < 1:
                continue
            s_ = (pos[js] - pos[i]) @ axis
            nbr[i, : len(js)] = js
            coef[i, :, : len(js)] = np.outer(axis, s_ / np.sum(s_**2))
            ok[i] = True
            continue
        if len(js) < 2:
            continue
        dp = pos[js] - pos[i]
        a = dp.T @ dp
        if np.linalg.cond(a) > 1e8:
            continue
        nbr[i, : len(js)] = js
        coef[i, :, : len(js)] = np.linalg.solve(a, dp.T)
        ok[i] = True
    return nbr, coef, ok, spacing


def local_gradient(phase, nbr, coef, ok):
    """Wrapped local phase gradient of ``phase`` (..., n_sites) -> (gx, gy), each (..., n_sites).

    NaN where the site or its neighbours are NaN, or where the site has no operator.
    """
    phase = np.asarray(phase, np.float32)
    idx = np.where(nbr < 0, 0, nbr)
    diff = phase[..., idx] - phase[..., :, None]  # (..., n, K)
    # wrapped differences (float32, to the nearest turn: the cheap form of wrap)
    diff -= np.float32(TWO_PI) * np.rint(diff * np.float32(1 / TWO_PI))
    diff[..., nbr < 0] = 0.0
    gx = np.einsum("...nk,nk->...n", diff, coef[:, 0, :].astype(np.float32)).astype(float)
    gy = np.einsum("...nk,nk->...n", diff, coef[:, 1, :].astype(np.float32)).astype(float)
    gx = np.where(ok, gx, np.nan)
    gy = np.where(ok, gy, np.nan)
    return gx, gy


def temporal_derivative(phase):
    """Wrapped temporal phase derivative (radians per sample), lazily for DataArrays.

    Central differences, one-sided at the ends.
    """
    z = np.exp(1j * phase)
    fw = xr.apply_ufunc(np.angle, z.shift(time=-1) * np.conj(z), dask="allowed")
    bw = xr.apply_ufunc(np.angle, z * np.conj(z.shift(time=1)), dask="allowed")
    return (fw.fillna(bw) + bw.fillna(fw)) / 2.0


def flat(values, n_spatial):
    """Reshape (..., *spatial) -> (..., n_sites)."""
    values = np.asarray(values)
    lead = values.shape[: values.ndim - n_spatial]
    return values.reshape(lead + (-1,))
