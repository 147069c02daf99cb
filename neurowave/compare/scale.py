"""How a model's steps and cells meet a recording's seconds and millimetres.

Two ways:

* **physical** — the user says what one model step and one model cell are
  (``model_dt="1ms"``, ``model_dx="0.4mm"``). Model speeds (cells/step) become m/s,
  wavelengths mm, frequencies Hz, and both sides are compared in those units.
* **scale-free** (default) — each side is expressed in its own geometry and rhythm:
  wavelength as ``wavelength / region extent`` (*region widths*), and speed as *region
  widths per oscillation cycle* (``speed x period / region extent``, the period being
  the side's median oscillation period). Neither is divided by its own median, so a
  threefold speed difference stays a threefold difference.

  Without a time scale the two are one piece of evidence: speed x period is the
  wavelength, up to the spread of the period. The comparison marks the speed row
  as such (``same_evidence_as: "wavelength"``); only a physical scale makes speed
  evidence of its own.

Frequency has no scale-free form that keeps absolute values: without ``model_dt`` it
is compared relative to each side's median frequency (the shape of the distribution
only), and the result says so.

The *region extent* is the extent of the sites actually analysed: the geometric mean
of the two side lengths of the box that the valid (not all-NaN) sites of the analysed
grid cover, each side counted as ``(max - min) + spacing`` (a 10 x 10 Utah array at
0.4 mm is 4 mm wide; a 32 x 32 model grid is 32 cells wide; one tetromino piece whose
cells span 6 x 4 cells of that grid is sqrt(24) cells wide). See :func:`region_extent`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from .._validate import NeurowaveError, validate_type

__all__ = ["parse_quantity", "array_extent", "region_extent", "Scale", "make_scale", "convert"]

_TIME = {
    "s": 1.0,
    "sec": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ns": 1e-9,
    "min": 60.0,
}
_LENGTH = {
    "m": 1e3,
    "cm": 10.0,
    "mm": 1.0,
    "um": 1e-3,
    "µm": 1e-3,
    "μm": 1e-3,
    "micron": 1e-3,
    "nm": 1e-6,
}
_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s].*?)?\s*$")


def parse_quantity(value, *, kind, name=None):
    """Parse a time or length such as ``"1ms"``, ``"0.5 s"``, ``"0.4mm"`` or ``"400um"``.

    Parameters
    ----------
    value : str | float
        A number with a unit. A bare number (not a string) is taken as seconds
        (``kind="time"``) or millimetres (``kind="length"``).
    kind : {"time", "length"}
    name : str | None
        Parameter name used in error messages.

    Returns
    -------
    float
        Seconds for a time, millimetres for a length.

    Examples
    --------
    >>> parse_quantity("1ms", kind="time")
    0.001
    >>> parse_quantity("400um", kind="length")
    0.4
    >>> parse_quantity("0.5 s", kind="time")
    0.5
    """
    units = {"time": _TIME, "length": _LENGTH}[kind]
    name = name or ("model_dt" if kind == "time" else "model_dx")
    example = "1ms" if kind == "time" else "0.4mm"
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        out = float(value)
    else:
        validate_type(value, (str, "numeric"), name, "a quantity such as " + repr(example))
        m = _NUM.match(value)
        if not m:
            raise NeurowaveError(
                f"`{name}` must be a number with a unit, e.g. {example!r}, got {value!r}."
            )
        unit = (m.group(2) or "").strip()
        if not unit:
            raise NeurowaveError(
                f"`{name}` {value!r} has no unit; write it with one, e.g. {example!r}."
            )
        if unit not in units:
            allowed = ", ".join(sorted(units))
            raise NeurowaveError(
                f"`{name}` has unknown {kind} unit {unit!r} in {value!r}; use one of {allowed}."
            )
        out = float(m.group(1)) * units[unit]
    if not np.isfinite(out) or out <= 0:
        raise NeurowaveError(
            f"`{name}` must be a positive {kind}, e.g. {example!r}, got {value!r}."
        )
    return out


def array_extent(positions, spacing=None):
    """Width of an array: geometric mean of the side lengths of its bounding box.

    Parameters
    ----------
    positions : ndarray, shape (n_sites, 2)
        Positions ``(x, y)`` of the valid sites.
    spacing : float | None
        Site pitch added to each side (default: median nearest-neighbour distance).

    Returns
    -------
    float
        The extent, in the units of ``positions``.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:10, 0:10] * 0.4
    >>> round(array_extent(np.column_stack([xx.ravel(), yy.ravel()])), 6)
    4.0
    """
    from ..grid import grid_spacing

    pos = np.asarray(positions, float)
    pos = pos[np.all(np.isfinite(pos), axis=1)]
    if len(pos) < 2:
        raise NeurowaveError("An array extent needs at least two sites with positions.")
    if spacing is None:
        spacing = grid_spacing(pos)
    w = pos.max(axis=0) - pos.min(axis=0) + spacing
    return float(np.sqrt(w[0] * w[1]))


def region_extent(grid):
    """Extent of the region a wave grid covers: :func:`array_extent` of its valid sites.

    Sites that are NaN for all time (dead electrodes, or the cells outside the object
    a model grid was cut to) are not part of the region; the pitch is that of the
    whole grid, so a region one site wide still has the width of one site.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (``("time", "y", "x")`` or ``("time", "channel")``).

    Returns
    -------
    float
        The extent in the grid's space units.

    Examples
    --------
    >>> import numpy as np
    >>> from neurowave.grid import make_grid
    >>> data = np.full((5, 16, 16), np.nan)
    >>> data[:, 2:8, 4:8] = 1.0  # an object of 6 x 4 cells in a 16 x 16 grid
    >>> g = make_grid(data, sampling_rate=1.0)
    >>> round(region_extent(g) ** 2, 6)
    24.0
    """
    from ..grid import _valid_sites, grid_spacing, site_positions

    pos = site_positions(grid)
    valid = np.asarray(_valid_sites(grid), bool)
    if valid.sum() < 2:
        raise NeurowaveError(
            f"A region extent needs at least two valid sites; the grid has {int(valid.sum())}."
        )
    return array_extent(pos[valid], grid_spacing(pos))


@dataclass(frozen=True)
class Scale:
    """How model units were mapped for the comparison (the JSON ``scale`` block)."""

    mode: str  # "physical", "partial" or "scale-free"
    model_dt: float | None  # seconds per model step
    model_dx: float | None  # millimetres per model cell
    speed_units: str
    wavelength_units: str
    frequency_units: str
    model_extent: float  # median extent of the analysed model regions, model space units
    recording_extent: float  # extent of the analysed recording region (mm)
    model_extent_units: str
    recording_extent_units: str
    model_period: float | None  # median period, model time units
    recording_period: float | None
    note: str

    def to_dict(self):
        return asdict(self)


def make_scale(
    *,
    model_dt,
    model_dx,
    model_extent,
    recording_extent,
    model_period,
    recording_period,
    model_units=("step", "cell"),
    recording_units=("s", "mm"),
):
    """Decide the common units from the user's ``model_dt``/``model_dx`` (None = not given)."""
    dt = None if model_dt is None else parse_quantity(model_dt, kind="time", name="model_dt")
    dx = None if model_dx is None else parse_quantity(model_dx, kind="length", name="model_dx")
    if dt is not None and dx is not None:
        mode = "physical"
        speed_u, wl_u, f_u = "m/s", "mm", "Hz"
        note = (
            f"model step = {dt * 1e3:g} ms and model cell = {dx:g} mm (given by the user); "
            "speeds in m/s, wavelengths in mm, frequencies in Hz"
        )
    elif dt is None and dx is None:
        mode = "scale-free"
        speed_u, wl_u, f_u = "region widths/cycle", "region widths", "relative to median"
        note = (
            "no model_dt/model_dx given: wavelength / extent of the analysed region, "
            "speed as region widths per oscillation cycle (speed x median period / "
            "region extent; one piece of evidence with the wavelength), and frequency "
            "relative to each side's median (its absolute value needs model_dt)"
        )
    else:
        mode = "partial"
        f_u = "Hz" if dt is not None else "relative to median"
        wl_u = "mm" if dx is not None else "region widths"
        speed_u = "region widths/cycle"
        note = (
            "only one of model_dt/model_dx given: speed stays in region widths per cycle "
            "(one piece of evidence with the wavelength); "
            + (
                "frequency in Hz, wavelength / region extent"
                if dt is not None
                else "wavelength in mm, frequency relative to each side's median"
            )
        )
    return Scale(
        mode=mode,
        model_dt=dt,
        model_dx=dx,
        speed_units=speed_u,
        wavelength_units=wl_u,
        frequency_units=f_u,
        model_extent=float(model_extent),
        recording_extent=float(recording_extent),
        model_extent_units=model_units[1],
        recording_extent_units=recording_units[1],
        model_period=None
        if model_period is None or not np.isfinite(model_period)
        else float(model_period),
        recording_period=None
        if recording_period is None or not np.isfinite(recording_period)
        else float(recording_period),
        note=note,
    )


def convert(values, *, metric, side, scale, extent=None):
    """Put one side's values of ``metric`` into the common units of ``scale``.

    ``side`` is ``"recording"`` (mm, s) or the model or one of its controls (cells,
    steps). Values come in
    native units: speeds in space unit per time unit (cells/step, or **mm/s** for a
    recording, i.e. m/s x 1000), wavelengths in space units, frequencies per time unit.
    ``pgd`` and ``direction`` have no units and pass through. ``extent`` (a number, or
    one per value) is the extent of the region each value was measured on; by default
    the side's extent in ``scale``.
    """
    v = np.asarray(values, float)
    if metric in ("pgd", "direction"):
        return v
    model = side != "recording"
    if extent is None:
        extent = scale.model_extent if model else scale.recording_extent
    extent = np.asarray(extent, float)
    period = scale.model_period if model else scale.recording_period
    if metric == "speed":
        # native units: space unit per time unit (cells/step; mm/s for recordings)
        if scale.mode == "physical":
            # cells/step * (mm/cell) / (s/step) = mm/s ; /1000 -> m/s (= mm/ms)
            return (v * scale.model_dx / scale.model_dt if model else v) / 1e3
        if period is None:
            return np.full_like(v, np.nan)
        return v * period / extent
    if metric == "wavelength":
        if scale.wavelength_units == "mm":
            return v * scale.model_dx if model else v
        return v / extent
    if metric == "frequency":
        if scale.frequency_units == "Hz":
            return v / scale.model_dt if model else v
        finite = v[np.isfinite(v)]
        med = np.median(finite) if finite.size else np.nan
        return v / med if med else np.full_like(v, np.nan)
    raise ValueError(f"unknown metric {metric!r}")  # internal
