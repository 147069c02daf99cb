"""Simulated model exports, and the Utah recording the demo compares them with.

:func:`simulate_model_export` (waves over the whole hidden grid) and
:func:`simulate_object_export` (waves confined to the objects of a ``label`` map) make
model exports of known speed, frequency and pattern, shaped like those of
``neurowave export`` (:func:`neurowave.io.read_model_export` opens both);
:func:`simulate_utah_recording` makes a Utah-array recording of plane and rotating
waves. Built on :func:`neurowave.datasets.simulate_wave`; every output is fixed by
``seed``. The demo (``neurowave demo``), the doctests and the tests of
:mod:`neurowave.compare` run on them.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError

__all__ = ["simulate_model_export", "simulate_object_export", "simulate_utah_recording"]


def simulate_model_export(
    pattern="planar",
    *,
    speed=0.3,
    frequency=0.05,
    shape=(16, 16),
    n_steps=160,
    n_samples=2,
    n_units=2,
    snr_db=10.0,
    seed=0,
    patterns=None,
    foreground=None,
    direction=None,
):
    """A model export whose hidden units carry simulated waves.

    Parameters
    ----------
    pattern : str
        Pattern of every (sample, unit), unless ``patterns`` is given.
    speed : float
        Phase speed in cells/step.
    frequency : float
        Cycles/step.
    shape : (int, int)
        Hidden grid (n_y, n_x) in cells.
    n_steps, n_samples, n_units : int
    snr_db : float | None
        Noise of each unit.
    seed : int
        Seeds the noise and (unless ``direction`` is given) the direction of travel of
        each (sample, unit).
    patterns : list of str | None
        One pattern per unit (cycled), e.g. ``["planar", "rotating"]``.
    foreground : array of bool, shape ``shape`` | None
        Cells of an "object": the export gets a ``label`` (1 there, 0 elsewhere) and
        the background cells carry unit-variance white noise instead of the wave.
    direction : float | None
        Direction of travel (degrees) of every plane wave; None draws one per
        (sample, unit).

    Returns
    -------
    xarray.Dataset
        ``hidden`` (sample, time, unit, y, x), coords in steps and cells, attrs
        ``kind="model"``, ``model="simulated"``, ``sampling_rate=1.0``.

    Examples
    --------
    >>> ds = simulate_model_export(n_steps=40, n_samples=1, n_units=2)
    >>> dict(ds["hidden"].sizes)
    {'sample': 1, 'time': 40, 'unit': 2, 'y': 16, 'x': 16}
    """
    from .sim import simulate_wave

    rng = np.random.default_rng(seed)
    pats = list(patterns) if patterns else [pattern]
    h = None
    for s in range(n_samples):
        for u in range(n_units):
            pat = pats[u % len(pats)]
            drawn = float(rng.uniform(0, 360))
            g, _ = simulate_wave(
                pat,
                layout="grid",
                shape=shape,
                spacing=1.0,
                speed=speed,
                frequency=frequency,
                direction=drawn if direction is None else float(direction),
                rotation=int(rng.choice([-1, 1])),
                duration=n_steps,
                sampling_rate=1.0,
                snr_db=snr_db,
                seed=int(rng.integers(2**31)),
                time_units="step",
                space_units="cell",
            )
            if h is None:
                h = np.empty((n_samples, g.sizes["time"], n_units) + tuple(shape), np.float32)
                x, y = g["x"].values, g["y"].values
            h[s, :, u] = g.values
    data_vars = {"hidden": (("sample", "time", "unit", "y", "x"), h)}
    if foreground is not None:
        fg = np.asarray(foreground, bool)
        if fg.shape != tuple(shape):
            raise NeurowaveError(f"`foreground` must have shape {tuple(shape)}, got {fg.shape}.")
        noise = rng.standard_normal((n_samples, h.shape[1], n_units, int((~fg).sum())))
        h[..., ~fg] = noise.astype(h.dtype)
        data_vars["label"] = (
            ("sample", "y", "x"),
            np.broadcast_to(fg, (n_samples,) + fg.shape).astype(np.int16),
        )
    return _export(
        data_vars,
        np.arange(h.shape[1], dtype=float),
        x,
        y,
        task="simulated waves",
        config={"pattern": ",".join(pats), "speed": speed, "frequency": frequency},
        source=f"simulate_model_export({','.join(pats)!r}, seed={seed})",
    )


def _export(data_vars, time, x, y, *, task, config, source):
    """A simulated model export: ``data_vars`` on steps ``time`` and cells ``x``, ``y``."""
    n_samples, _, n_units = data_vars["hidden"][1].shape[:3]
    return xr.Dataset(
        data_vars,
        coords={
            "sample": np.arange(n_samples),
            "time": ("time", time, {"units": "step"}),
            "unit": np.arange(n_units),
            "y": ("y", y, {"units": "cell"}),
            "x": ("x", x, {"units": "cell"}),
        },
        attrs={
            "kind": "model",
            "model": "simulated",
            "task": task,
            "config": config,
            "dt": 1.0,
            "sampling_rate": 1.0,
            "source": source,
        },
    )


def simulate_utah_recording(
    *, seed=0, duration=4.0, sampling_rate=500.0, frequency=5.0, speed=0.02, snr_db=6.0
):
    """A simulated Utah-array recording: plane waves in changing directions, then a
    rotating wave, in pink noise (10 x 10 at 0.4 mm, corners NaN, time in s, mm).

    Segments of ``duration / 4`` each: three plane waves in random directions and one
    rotating wave. Fixed by ``seed``.

    Examples
    --------
    >>> g = simulate_utah_recording(duration=1.0)
    >>> g.dims, g.sizes["time"]
    (('time', 'y', 'x'), 500)
    """
    from ..grid import make_grid
    from .sim import simulate_wave

    rng = np.random.default_rng(seed)
    seg = duration / 4
    parts = []
    for _k, pat in enumerate(("planar", "planar", "planar", "rotating")):
        g, _ = simulate_wave(
            pat,
            layout="utah",
            speed=speed,
            frequency=frequency,
            direction=float(rng.uniform(0, 360)),
            duration=seg,
            sampling_rate=sampling_rate,
            snr_db=snr_db,
            seed=int(rng.integers(2**31)),
        )
        parts.append(g.values)
    data = np.concatenate(parts, axis=0)
    return make_grid(
        data,
        sampling_rate=sampling_rate,
        x=g["x"].values,
        y=g["y"].values,
        kind="recording",
        source=f"simulated Utah array (simulate_utah_recording, seed={seed})",
        attrs={"simulated": "planar x3 + rotating", "units": "a.u."},
    )


#: Tetromino shapes in blocks (row, col).
_SHAPES = (
    ((0, 0), (0, 1), (0, 2), (0, 3)),
    ((0, 0), (1, 0), (2, 0), (2, 1)),
    ((0, 0), (0, 1), (0, 2), (1, 1)),
    ((0, 1), (0, 2), (1, 0), (1, 1)),
    ((0, 0), (0, 1), (1, 0), (1, 1)),
    ((0, 0), (1, 0), (2, 0), (3, 0)),
)


def _pieces(shape, n_pieces, block, rng):
    """A label map with ``n_pieces`` non-touching tetrominoes of ``block``-cell blocks."""
    lab = np.zeros(shape, np.int16)
    for k in range(n_pieces):
        for _ in range(500):
            cells = _SHAPES[int(rng.integers(len(_SHAPES)))]
            h = (max(r for r, _ in cells) + 1) * block
            w = (max(c for _, c in cells) + 1) * block
            if h + 2 > shape[0] or w + 2 > shape[1]:
                continue
            y0 = int(rng.integers(1, shape[0] - h))
            x0 = int(rng.integers(1, shape[1] - w))
            m = np.zeros(shape, bool)
            for r, c in cells:
                m[y0 + r * block : y0 + (r + 1) * block, x0 + c * block : x0 + (c + 1) * block] = (
                    True
                )
            grown = m.copy()
            grown[1:] |= m[:-1]
            grown[:-1] |= m[1:]
            grown[:, 1:] |= grown[:, :-1]
            grown[:, :-1] |= grown[:, 1:]
            if not (lab[grown] > 0).any():
                lab[m] = k + 1
                break
    return lab


def simulate_object_export(
    patterns=("radial_out",),
    *,
    speed=0.3,
    frequency=0.06,
    shape=(24, 24),
    n_steps=60,
    n_samples=2,
    n_pieces=3,
    block=3,
    snr_db=10.0,
    direction=90.0,
    seed=0,
):
    """A model export whose waves live inside the objects of its ``label`` map.

    Each sample holds ``n_pieces`` tetrominoes of ``block``-cell blocks (labels 1, 2,
    ...); in unit ``u`` every piece carries ``patterns[u]`` (simulated by
    :func:`neurowave.datasets.simulate_wave` around the piece's centroid, so a radial
    wave starts or ends at its centre) at ``speed`` cells/step and ``frequency``
    cycles/step, confined to the piece; background cells carry unit-variance white
    noise.

    Parameters
    ----------
    patterns : sequence of str
        One pattern per hidden unit ("planar", "radial_out", "radial_in",
        "synchronous", "rotating").
    speed, frequency : float
        Cells/step and cycles/step.
    shape : (int, int)
    n_steps, n_samples, n_pieces, block : int
    snr_db : float | None
    direction : float
        Direction of plane waves (degrees).
    seed : int

    Returns
    -------
    xarray.Dataset
        ``hidden`` (sample, time, unit, y, x), ``label`` (sample, y, x).

    Examples
    --------
    >>> ds = simulate_object_export(["planar", "synchronous"], n_samples=1)
    >>> dict(ds["hidden"].sizes), int(ds["label"].max())
    ({'sample': 1, 'time': 60, 'unit': 2, 'y': 24, 'x': 24}, 3)
    """
    from .sim import simulate_wave

    rng = np.random.default_rng(seed)
    pats = list(patterns)
    h = rng.standard_normal((n_samples, n_steps, len(pats)) + tuple(shape)).astype(np.float32)
    labels = np.zeros((n_samples,) + tuple(shape), np.int16)
    for s in range(n_samples):
        lab = _pieces(tuple(shape), n_pieces, block, rng)
        labels[s] = lab
        for k in range(1, int(lab.max()) + 1):
            m = lab == k
            ys, xs = np.nonzero(m)
            for u, pat in enumerate(pats):
                g, _ = simulate_wave(
                    pat,
                    layout="grid",
                    shape=tuple(shape),
                    spacing=1.0,
                    speed=speed,
                    frequency=frequency,
                    direction=direction,
                    duration=n_steps,
                    sampling_rate=1.0,
                    center=(float(xs.mean()), float(ys.mean())),
                    snr_db=snr_db,
                    noise="white",
                    seed=int(rng.integers(2**31)),
                    time_units="step",
                    space_units="cell",
                )
                h[s, :, u][:, m] = g.values[:, m]
                x, y = g["x"].values, g["y"].values
    return _export(
        {
            "hidden": (("sample", "time", "unit", "y", "x"), h),
            "label": (("sample", "y", "x"), labels),
        },
        np.arange(1, n_steps + 1, dtype=float),
        x,
        y,
        task="simulated objects",
        config={"patterns": ",".join(pats), "speed": speed, "frequency": frequency},
        source=f"simulate_object_export({','.join(pats)!r}, seed={seed})",
    )
