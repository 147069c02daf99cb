"""Simulated wave grids with analytic ground truth.

:func:`simulate_wave` builds plane waves, target waves out of / into a centre,
rotating waves of either sense, a synchronous oscillation or spatially independent
noise, on a Utah array, a regular grid of any size, a jittered irregular layout or a
curved ECoG sheet, with pink or white noise at a given SNR and dead sites. It
returns the wave grid and a :class:`WaveTruth` with what the measures should find.

Phase conventions (the same as :mod:`neurowave.waves`), with
``k = 2 pi f / speed`` and positions relative to ``center``:

* ``"planar"``: ``phi(x, t) = 2 pi f t - k u . x`` with ``u`` the unit vector of the
  direction of travel, so that ``-grad phi`` points along the travel.
* ``"radial_out"``: ``phi = 2 pi f t - k r``; ``"radial_in"``: ``phi = 2 pi f t + k r``.
* ``"rotating"``: ``phi = 2 pi f t - rotation * theta`` with ``theta`` the polar angle
  around ``center``. ``-grad phi = rotation * theta_hat / r``, so ``rotation=+1``
  travels counter-clockwise (from +x toward +y) and ``rotation=-1`` clockwise.
* ``"synchronous"``: ``phi = 2 pi f t`` everywhere; ``"noise"``: no signal at all.

The signal is ``cos(phi)`` (power 1/2). Noise is spatially independent, pink
(power ~ 1/f) or white, scaled so that ``10 log10(P_signal / P_noise) = snr_db`` at
every site (for ``pattern="noise"`` it has unit variance).

Units: recordings have time in s and positions in mm; ``speed`` is given (and
reported in the truth) in m/s (= mm/ms); internally the phase uses mm/s. Model-like
grids (``time_units="step", space_units="cell"``) take speed in cells/step and
frequency in cycles/step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validate import (
    NeurowaveError,
    NeurowaveTypeError,
    check_option,
    check_positive,
    validate_type,
)
from ..grid import make_channel_grid, make_grid

__all__ = [
    "simulate_wave",
    "WaveTruth",
    "Layout",
    "utah_layout",
    "grid_layout",
    "irregular_layout",
    "curved_ecog_layout",
    "PATTERNS",
    "LAYOUTS",
]

PATTERNS = ("planar", "radial_out", "radial_in", "rotating", "synchronous", "noise")
LAYOUTS = ("utah", "grid", "irregular", "ecog_curved")


@dataclass(frozen=True)
class WaveTruth:
    """Analytic ground truth of a simulated wave.

    Attributes
    ----------
    pattern : str
        One of ``PATTERNS``.
    speed : float
        Phase speed in m/s (recordings) or cells/step (model grids). ``inf`` for a
        synchronous oscillation, NaN for rotating waves (their local speed grows with
        the distance from the centre: ``2 pi f r``) and for noise.
    direction : float
        Direction of travel in degrees [0, 360), counter-clockwise from +x; NaN unless
        ``pattern == "planar"``.
    frequency : float
        Hz (or cycles/step); NaN for noise.
    center : tuple of float
        ``(x, y)`` of the source / sink / rotation centre and the phase reference.
    rotation : int
        +1 counter-clockwise, -1 clockwise for rotating waves; 0 otherwise.
    wavelength : float
        ``speed / frequency`` in space units; NaN where undefined, ``inf`` when synchronous.
    snr_db : float | None
        Signal-to-noise ratio of the added noise (None: no noise).
    dead_sites : tuple of int
        Flat indices (C order over the spatial dims) of the sites set to NaN.
    """

    pattern: str
    speed: float
    direction: float
    frequency: float
    center: tuple
    rotation: int
    wavelength: float
    snr_db: float | None
    dead_sites: tuple = field(default=())


@dataclass(frozen=True)
class Layout:
    """Positions of a recording layout.

    For ``layout == "grid"``, ``x`` and ``y`` are the axis coordinates (n_x,) and (n_y,)
    and ``mask`` has shape (n_y, n_x); for ``layout == "channel"`` they hold one value
    per channel and ``mask`` has shape (n_channels,). ``mask`` is False for sites that
    do not exist (e.g. the corners of a Utah array); they become NaN sites.
    ``sheet`` holds, for a curved layout, the true (geodesic) sheet coordinates (n, 2)
    on which waves travel, and ``xyz`` the 3-D positions.
    """

    layout: str
    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    spacing: float
    sheet: np.ndarray | None = None
    xyz: np.ndarray | None = None

    @property
    def positions(self):
        """(n_sites, 2) array of ``(x, y)``, C order over (y, x) for grids."""
        if self.layout == "grid":
            yy, xx = np.meshgrid(self.y, self.x, indexing="ij")
            return np.column_stack([xx.ravel(), yy.ravel()])
        return np.column_stack([self.x, self.y])


def utah_layout(*, spacing=0.4, shape=(10, 10)):
    """A Utah array: 10 x 10 sites at 0.4 mm with the four corners missing.

    Examples
    --------
    >>> lay = utah_layout()
    >>> lay.mask.shape, int(lay.mask.sum())
    ((10, 10), 96)
    """
    spacing = check_positive(spacing, "spacing")
    ny, nx = (int(s) for s in shape)
    mask = np.ones((ny, nx), bool)
    for iy, ix in ((0, 0), (0, nx - 1), (ny - 1, 0), (ny - 1, nx - 1)):
        mask[iy, ix] = False
    return Layout("grid", np.arange(nx) * spacing, np.arange(ny) * spacing, mask, spacing)


def grid_layout(shape=(10, 10), spacing=0.4):
    """A full regular grid of ``shape = (n_y, n_x)`` sites at ``spacing``.

    Examples
    --------
    >>> grid_layout((4, 6), 1.0).positions.shape
    (24, 2)
    """
    spacing = check_positive(spacing, "spacing")
    ny, nx = _check_shape(shape)
    return Layout(
        "grid", np.arange(nx) * spacing, np.arange(ny) * spacing, np.ones((ny, nx), bool), spacing
    )


def irregular_layout(shape=(8, 8), spacing=10.0, jitter=0.2, seed=0):
    """A jittered grid: each site moved by up to ``jitter * spacing`` (uniform) in x and y.

    Returns a ``("channel",)`` layout (e.g. an ECoG grid from a montage).

    Examples
    --------
    >>> lay = irregular_layout((8, 8), 10.0, jitter=0.2, seed=1)
    >>> lay.layout, lay.x.shape
    ('channel', (64,))
    """
    spacing = check_positive(spacing, "spacing")
    jitter = check_positive(jitter, "jitter", allow_zero=True)
    ny, nx = _check_shape(shape)
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.arange(ny) * spacing, np.arange(nx) * spacing, indexing="ij")
    xj = xx.ravel() + rng.uniform(-jitter, jitter, ny * nx) * spacing
    yj = yy.ravel() + rng.uniform(-jitter, jitter, ny * nx) * spacing
    return Layout("channel", xj, yj, np.ones(ny * nx, bool), spacing)


def curved_ecog_layout(shape=(8, 8), spacing=10.0, radius=60.0):
    """An ECoG grid laid on a sphere of ``radius`` (mm), flattened by projection.

    Sites sit at ``spacing`` along the curved sheet (azimuthal-equidistant sheet
    coordinates around the grid centre). Waves travel on the sheet; the positions
    returned (``x``, ``y``) are the orthographic projection onto the tangent plane at
    the centre, as a best-fit-plane flattening of 3-D montage positions gives, so that
    distances far from the centre shrink by up to ``1 - sin(d/R)/(d/R)``.

    Examples
    --------
    >>> lay = curved_ecog_layout()
    >>> lay.xyz.shape, lay.sheet.shape
    ((64, 3), (64, 2))
    """
    spacing = check_positive(spacing, "spacing")
    radius = check_positive(radius, "radius")
    ny, nx = _check_shape(shape)
    yy, xx = np.meshgrid(
        (np.arange(ny) - (ny - 1) / 2) * spacing,
        (np.arange(nx) - (nx - 1) / 2) * spacing,
        indexing="ij",
    )
    u, v = xx.ravel(), yy.ravel()
    rho = np.hypot(u, v)
    alpha = np.arctan2(v, u)
    polar = rho / radius
    x3 = radius * np.sin(polar) * np.cos(alpha)
    y3 = radius * np.sin(polar) * np.sin(alpha)
    z3 = radius * np.cos(polar) - radius
    off_u, off_v = (nx - 1) / 2 * spacing, (ny - 1) / 2 * spacing
    sheet = np.column_stack([u + off_u, v + off_v])
    return Layout(
        "channel",
        x3 + off_u,
        y3 + off_v,
        np.ones(ny * nx, bool),
        spacing,
        sheet=sheet,
        xyz=np.column_stack([x3, y3, z3]),
    )


def _check_shape(shape):
    try:
        ny, nx = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise NeurowaveError(f"`shape` must be two integers (n_y, n_x), got {shape!r}.") from None
    if ny < 1 or nx < 1 or ny * nx < 2:
        raise NeurowaveError(f"`shape` must hold at least two sites, got {shape!r}.")
    return ny, nx


def _colored_noise(n_times, n_sites, kind, rng):
    """Unit-variance noise (n_times, n_sites), spatially independent."""
    white = rng.standard_normal((n_times, n_sites))
    if kind == "white":
        out = white
    else:
        spec = np.fft.rfft(white, axis=0)
        f = np.fft.rfftfreq(n_times)
        scale = np.zeros_like(f)
        scale[1:] = 1.0 / np.sqrt(f[1:])
        out = np.fft.irfft(spec * scale[:, None], n=n_times, axis=0)
    out -= out.mean(axis=0)
    sd = out.std(axis=0)
    sd[sd == 0] = 1.0
    return out / sd


def simulate_wave(
    pattern,
    *,
    layout="utah",
    speed=0.3,
    direction=0.0,
    frequency=10.0,
    duration=2.0,
    sampling_rate=1000.0,
    snr_db=None,
    noise="pink",
    dead_sites=0,
    center=None,
    rotation=1,
    seed=None,
    time_units="s",
    space_units="mm",
    amplitude=1.0,
    **layout_kw,
):
    """Simulate a wave grid with analytic ground truth.

    Parameters
    ----------
    pattern : {"planar", "radial_out", "radial_in", "rotating", "synchronous", "noise"}
    layout : {"utah", "grid", "irregular", "ecog_curved"}
        ``"utah"``: 10 x 10 at 0.4 mm, corners NaN, dims ("time", "y", "x");
        ``"grid"``: ``shape=(ny, nx)`` (default (10, 10)) at ``spacing`` (default 0.4);
        ``"irregular"``: jittered ``shape`` (default (8, 8)) at ``spacing`` (default
        10 mm) with ``jitter`` (default 0.2 of the pitch), dims ("time", "channel");
        ``"ecog_curved"``: ``shape`` at ``spacing`` on a sphere of ``radius`` (60 mm),
        flattened positions, dims ("time", "channel").
    speed : float
        Phase speed in m/s (recordings) or cells/step (model grids).
    direction : float
        Direction of travel of a plane wave, degrees counter-clockwise from +x.
    frequency : float
        Hz, or cycles/step for model grids.
    duration : float
        Seconds (or steps).
    sampling_rate : float
        Samples per time unit.
    snr_db : float | None
        Signal-to-noise ratio in dB of the added noise; None adds none (except for
        ``pattern="noise"``, which is unit-variance noise).
    noise : {"pink", "white"}
    dead_sites : int | array of bool
        Number of random valid sites set to NaN, or a boolean mask over sites
        (spatial shape of the grid, or flat).
    center : (float, float) | None
        Source / sink / rotation centre and phase reference; default the centre of the
        layout's bounding box.
    rotation : {1, -1}
        Sense of a rotating wave: +1 counter-clockwise, -1 clockwise.
    seed : int | None
        Seed of the noise, the dead sites and (unless ``layout_kw`` gives ``seed``)
        the jitter of an irregular layout.
    time_units, space_units : str
        ``("s", "mm")`` for recordings, ``("step", "cell")`` for model-like grids.
    amplitude : float
        Amplitude of the cosine.
    **layout_kw
        ``shape``, ``spacing``, ``jitter``, ``radius``, ``layout_seed`` of the layout.

    Returns
    -------
    grid : xarray.DataArray
        A wave grid with ``attrs["truth"]`` holding the truth as a dict.
    truth : WaveTruth

    Examples
    --------
    >>> grid, truth = simulate_wave("planar", speed=0.3, direction=45, frequency=10,
    ...                             duration=1.0, seed=0)
    >>> grid.dims, grid.shape, truth.wavelength
    (('time', 'y', 'x'), (1000, 10, 10), 30.0)
    """
    check_option("pattern", pattern, PATTERNS)
    check_option("layout", layout, LAYOUTS)
    check_option("noise", noise, ("pink", "white"))
    check_option("time_units", time_units, ("s", "step"))
    check_option("space_units", space_units, ("mm", "cell"))
    sampling_rate = check_positive(sampling_rate, "sampling_rate")
    duration = check_positive(duration, "duration")
    frequency = check_positive(frequency, "frequency")
    speed = check_positive(speed, "speed")
    validate_type(direction, "numeric", "direction")
    if rotation not in (1, -1):
        raise NeurowaveError(
            f"`rotation` must be 1 (counter-clockwise) or -1 (clockwise), got {rotation!r}."
        )
    if frequency >= sampling_rate / 2:
        raise NeurowaveError(
            f"`frequency` ({frequency:g}) must be below Nyquist ({sampling_rate / 2:g}). "
            "Raise sampling_rate or lower frequency."
        )
    if snr_db is not None:
        validate_type(snr_db, "numeric", "snr_db")
        snr_db = float(snr_db)
    rng = np.random.default_rng(seed)

    lay = _make_layout(layout, layout_kw, seed)
    pos = lay.sheet if lay.sheet is not None else lay.positions
    allpos = lay.positions
    if center is None:
        center = (
            float((allpos[:, 0].min() + allpos[:, 0].max()) / 2),
            float((allpos[:, 1].min() + allpos[:, 1].max()) / 2),
        )
        sheet_center = (
            float((pos[:, 0].min() + pos[:, 0].max()) / 2),
            float((pos[:, 1].min() + pos[:, 1].max()) / 2),
        )
    else:
        try:
            center = tuple(float(c) for c in center)
            assert len(center) == 2
        except (TypeError, ValueError, AssertionError):
            raise NeurowaveError(f"`center` must be (x, y), got {center!r}.") from None
        sheet_center = center
    n_times = int(round(duration * sampling_rate))
    if n_times < 3:
        raise NeurowaveError(
            f"`duration` x `sampling_rate` gives {n_times} samples; at least 3 are needed."
        )
    t = np.arange(n_times) / sampling_rate
    # speed in space units per time unit: m/s -> mm/s for recordings
    scale = 1000.0 if (time_units == "s" and space_units == "mm") else 1.0
    v = speed * scale
    k = 2 * np.pi * frequency / v
    dx = pos[:, 0] - sheet_center[0]
    dy = pos[:, 1] - sheet_center[1]
    th = np.deg2rad(float(direction))
    wt = 2 * np.pi * frequency * t
    true_speed, true_dir, wavelength, rot = speed, float("nan"), v / frequency, 0
    if pattern == "planar":
        spatial = -k * (np.cos(th) * dx + np.sin(th) * dy)
        true_dir = float(np.mod(direction, 360.0))
    elif pattern == "radial_out":
        spatial = -k * np.hypot(dx, dy)
    elif pattern == "radial_in":
        spatial = k * np.hypot(dx, dy)
    elif pattern == "rotating":
        spatial = -rotation * np.arctan2(dy, dx)
        true_speed, wavelength, rot = float("nan"), float("nan"), int(rotation)
    elif pattern == "synchronous":
        spatial = np.zeros(len(dx))
        true_speed, wavelength = float("inf"), float("inf")
    else:  # noise
        spatial = None
        true_speed, wavelength, frequency_t = float("nan"), float("nan"), float("nan")
    n_sites = pos.shape[0]
    if spatial is not None:
        data = amplitude * np.cos(wt[:, None] + spatial[None, :])
        if snr_db is not None:
            p_noise = (amplitude**2 / 2) / 10 ** (snr_db / 10)
            data += np.sqrt(p_noise) * _colored_noise(n_times, n_sites, noise, rng)
        frequency_t = float(frequency)
    else:
        data = amplitude * _colored_noise(n_times, n_sites, noise, rng)

    valid = lay.mask.ravel().copy()
    dead = _dead_mask(dead_sites, valid, lay.mask.shape, rng)
    data[:, ~valid | dead] = np.nan
    dead_idx = tuple(int(i) for i in np.flatnonzero(dead))

    truth = WaveTruth(
        pattern=pattern,
        speed=float(true_speed),
        direction=true_dir,
        frequency=frequency_t,
        center=tuple(float(c) for c in center),
        rotation=rot,
        wavelength=float(wavelength),
        snr_db=snr_db,
        dead_sites=dead_idx,
    )
    kind = "model" if time_units == "step" else "recording"
    attrs = {
        "simulated": pattern,
        "layout": layout,
        "truth": {
            "pattern": pattern,
            "speed": truth.speed,
            "direction": truth.direction,
            "frequency": truth.frequency,
            "center": list(truth.center),
            "rotation": truth.rotation,
            "wavelength": truth.wavelength,
            "snr_db": snr_db,
            "dead_sites": list(dead_idx),
        },
    }
    if lay.xyz is not None:
        attrs["projection"] = "orthographic onto the tangent plane of a sphere"
        attrs["sphere_radius"] = float(layout_kw.get("radius", 60.0))
    source = f"simulate_wave({pattern!r}, layout={layout!r}, seed={seed!r})"
    if lay.layout == "grid":
        ny, nx = lay.mask.shape
        grid = make_grid(
            data.reshape(n_times, ny, nx),
            sampling_rate=sampling_rate,
            x=lay.x,
            y=lay.y,
            time_units=time_units,
            space_units=space_units,
            kind=kind,
            source=source,
            attrs=attrs,
        )
    else:
        grid = make_channel_grid(
            data,
            sampling_rate=sampling_rate,
            x=lay.x,
            y=lay.y,
            time_units=time_units,
            space_units=space_units,
            kind=kind,
            source=source,
            attrs=attrs,
        )
    return grid, truth


def _make_layout(layout, kw, seed):
    kw = dict(kw)
    allowed = {
        "utah": {"spacing", "shape"},
        "grid": {"shape", "spacing"},
        "irregular": {"shape", "spacing", "jitter", "layout_seed"},
        "ecog_curved": {"shape", "spacing", "radius"},
    }[layout]
    extra = set(kw) - allowed
    if extra:
        raise NeurowaveTypeError(
            f"layout {layout!r} takes {', '.join(sorted(allowed))}, got unexpected "
            f"{', '.join(sorted(extra))}."
        )
    if layout == "utah":
        return utah_layout(**kw)
    if layout == "grid":
        return grid_layout(kw.get("shape", (10, 10)), kw.get("spacing", 0.4))
    if layout == "irregular":
        return irregular_layout(
            kw.get("shape", (8, 8)),
            kw.get("spacing", 10.0),
            kw.get("jitter", 0.2),
            kw.get("layout_seed", 0 if seed is None else seed),
        )
    return curved_ecog_layout(
        kw.get("shape", (8, 8)), kw.get("spacing", 10.0), kw.get("radius", 60.0)
    )


def _dead_mask(dead_sites, valid, shape, rng):
    n = valid.size
    if isinstance(dead_sites, (bool, np.bool_)):
        raise NeurowaveTypeError(
            "`dead_sites` must be an integer count or a boolean mask over sites."
        )
    if isinstance(dead_sites, (int, np.integer)):
        k = int(dead_sites)
        if k < 0 or k > valid.sum() - 2:
            raise NeurowaveError(
                f"`dead_sites` must be between 0 and {int(valid.sum()) - 2} (keep two valid "
                f"sites), got {k}."
            )
        dead = np.zeros(n, bool)
        if k:
            dead[rng.choice(np.flatnonzero(valid), size=k, replace=False)] = True
        return dead
    mask = np.asarray(dead_sites)
    if mask.dtype != bool or mask.size != n:
        raise NeurowaveError(
            f"`dead_sites` mask must be boolean with {n} entries (shape {tuple(shape)}), "
            f"got dtype {mask.dtype} and shape {mask.shape}."
        )
    return mask.ravel().copy()
