"""The dominant wave of a k-omega spectrum (:func:`estimate_kw_wave`, :class:`KWWave`):
the peak refined below the k-grid, its speed, direction, wavelength and travelling
index, jackknife intervals over segments, and the range checks; :func:`kw_summary` gives
the ``kw`` block of :func:`~neurowave.waves.analyze`'s JSON.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import xarray as xr

from ..._validate import NeurowaveError, NeurowaveTypeError, validate_type
from ...grid import _sampling_rate
from .._xr import speed_factor
from ..circular import wrap
from ._layout import ALIAS_LEVEL, K_CEILING, KWRangeWarning
from ._spectrum import _default_window, compute_kw_spectrum


@dataclass
class KWWave:
    """Result of :func:`estimate_kw_wave` (see there)."""

    speed: float
    direction: float
    wavelength: float
    frequency: float
    wavenumber: float
    kx: float
    ky: float
    travelling_index: float
    peak_power: float
    coherence: float
    speed_ci: tuple
    direction_ci: tuple
    wavelength_ci: tuple
    frequency_ci: tuple
    travelling_index_ci: tuple
    interval: str | None
    n_windows: int
    regime: str
    units: str
    space_units: str
    frequency_units: str
    warnings: tuple = ()

    def to_dict(self):
        """Plain-JSON dict (NaN as None)."""

        def clean(v):
            if isinstance(v, tuple):
                return [clean(a) for a in v]
            if isinstance(v, (float, np.floating)):
                v = float(v)
                return v if np.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            return v

        return {k: clean(getattr(self, k)) for k in self.__dataclass_fields__}


class _Surface:
    """``P(k)`` of one frequency slice, with value, gradient and Hessian anywhere.

    Regular lattices: the exact trigonometric polynomial recovered from the FFT grid.
    Irregular layouts: a bicubic spline through the grid.
    """

    def __init__(self, p_kxky, kx, ky, lattice):
        self.lattice = lattice
        if lattice is not None:
            import scipy.fft as sf

            ny, nx, dy, dx = lattice
            nk = len(kx)
            p_yx = np.fft.ifftshift(np.asarray(p_kxky, float).T)  # (ky, kx) in fftfreq order
            r = sf.fft2(p_yx) / (nk * nk)  # R[dy mod nk, dx mod nk]
            ly = np.arange(-(ny - 1), ny)
            lx = np.arange(-(nx - 1), nx)
            self.r = r[np.ix_(ly % nk, lx % nk)]  # (Ly, Lx)
            self.ly = ly * dy
            self.lx = lx * dx
        else:
            self.p = np.asarray(p_kxky, float)
            self.kx, self.ky = np.asarray(kx, float), np.asarray(ky, float)
            self.spl = None
            self.centre = None

    def around(self, k):
        """Irregular layouts: fit the spline to the grid points around ``k`` (9 x 9)."""
        from scipy.interpolate import RectBivariateSpline

        if self.lattice is not None:
            return self
        i = int(np.clip(np.searchsorted(self.kx, k[0]), 0, len(self.kx) - 1))
        j = int(np.clip(np.searchsorted(self.ky, k[1]), 0, len(self.ky) - 1))
        if self.centre == (i, j):
            return self
        a = slice(max(0, i - 4), min(len(self.kx), i + 5))
        b = slice(max(0, j - 4), min(len(self.ky), j + 5))
        v = self.p[a, b]
        fin = np.isfinite(v)
        # beyond the wavenumbers searched (NaN): the lowest power around, so that no peak
        # is made up there
        v = np.where(fin, v, v[fin].min() if fin.any() else 0.0)
        self.spl = RectBivariateSpline(self.kx[a], self.ky[b], v, kx=3, ky=3)
        self.centre = (i, j)
        return self

    def __call__(self, kx, ky, deriv=False):
        if self.lattice is None:
            if self.spl is None:
                self.around((kx, ky))
            v = float(self.spl.ev(kx, ky))
            if not deriv:
                return v
            g = np.array([self.spl.ev(kx, ky, dx=1), self.spl.ev(kx, ky, dy=1)], float)
            h = np.array(
                [
                    [self.spl.ev(kx, ky, dx=2), self.spl.ev(kx, ky, dx=1, dy=1)],
                    [self.spl.ev(kx, ky, dx=1, dy=1), self.spl.ev(kx, ky, dy=2)],
                ],
                float,
            )
            return v, g, h
        tp = 2j * np.pi
        ey = np.exp(tp * ky * self.ly)
        ex = np.exp(tp * kx * self.lx)
        v = float((ey @ self.r @ ex).real)
        if not deriv:
            return v
        ax, ay = tp * self.lx, tp * self.ly
        gx = (ey @ self.r @ (ax * ex)).real
        gy = ((ay * ey) @ self.r @ ex).real
        hxx = (ey @ self.r @ (ax * ax * ex)).real
        hyy = ((ay * ay * ey) @ self.r @ ex).real
        hxy = ((ay * ey) @ self.r @ (ax * ex)).real
        return v, np.array([gx, gy]), np.array([[hxx, hxy], [hxy, hyy]])


def _refine(surf, k0, step, bounds):
    """Damped Newton ascent from ``k0`` within ``step`` grid cells; returns k."""
    k = np.asarray(k0, float).copy()
    lo, hi = bounds
    v = surf(*k)
    for _ in range(50):
        v, g, h = surf(*k, deriv=True)
        try:
            d = -np.linalg.solve(h, g)
            if not (np.all(np.linalg.eigvalsh(h) < 0) and np.all(np.isfinite(d))):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            d = g * (step * 0.1 / max(np.linalg.norm(g), 1e-300))
        n = np.linalg.norm(d)
        if n > step:
            d *= step / n
        t = 1.0
        while t > 1e-6:
            kn = np.clip(k + t * d, lo, hi)
            vn = surf(*kn)
            if vn >= v:
                break
            t /= 2
        else:
            break
        moved = np.linalg.norm(kn - k)
        k, v = kn, vn
        if moved < 1e-12 * max(step, 1e-300):
            break
    return k


def _local_step(kx, ky, k0):
    """The k-grid's spacing around ``k0`` (the irregular grid is finer inside the square)."""
    out = []
    for ax, v in ((kx, k0[0]), (ky, k0[1])):
        i = int(np.clip(np.searchsorted(ax, v), 1, len(ax) - 1))
        d = np.diff(ax[max(0, i - 2) : i + 2])
        out.append(float(d.max()))
    return max(out)


def _candidates(slice_, kx, ky, n=4):
    """Grid indices of the ``n`` highest local maxima of one frequency slice (Kx, Ky)."""
    from scipy.ndimage import maximum_filter

    v = np.where(np.isfinite(slice_), slice_, -np.inf)
    peak = (v == maximum_filter(v, size=3, mode="nearest")) & np.isfinite(v)
    ii, jj = np.nonzero(peak)
    order = np.argsort(v[ii, jj])[::-1][:n]
    return [np.array([kx[a], ky[b]]) for a, b in zip(ii[order], jj[order], strict=True)]


def _peak_once(p, fidx, k0, f, kx, ky, lattice, weights, pos, fixed=False):
    """Refined peak of ``p`` (F, Kx, Ky): dict of frequency, k, powers."""
    if not fixed:
        i, ix, iy = np.unravel_index(np.nanargmax(p), p.shape)
        k0 = np.array([kx[ix], ky[iy]])
        fidx = i
    surf = _Surface(p[fidx], kx, ky, lattice)
    lo_all, hi_all = np.array([kx[0], ky[0]]), np.array([kx[-1], ky[-1]])

    def climb(start):
        step = _local_step(kx, ky, start) if lattice is None else float(kx[1] - kx[0])
        bounds = (np.maximum(lo_all, start - 1.5 * step), np.minimum(hi_all, start + 1.5 * step))
        if lattice is not None:
            bounds = (start - 1.5 * step, start + 1.5 * step)
        return _refine(surf.around(start), start, step, bounds)

    k = climb(k0)
    if lattice is None and not fixed:
        # an irregular layout's grid is coarse away from k = 0: the highest grid point
        # may belong to a sidelobe while the true peak falls between points; refine the
        # highest few and keep the highest
        best = surf.around(k)(*k)
        for c in _candidates(p[fidx], kx, ky):
            if np.allclose(c, k0):
                continue
            kc = climb(c)
            vc = surf.around(kc)(*kc)
            if vc > best:
                k, best, k0 = kc, vc, c
    p_plus = surf.around(k)(*k)
    # frequency: the Hann window's two-bin interpolation (Grandke 1983), exact for one
    # tone: with a = |X(neighbour)| / |X(peak)| on the larger side, d = (2a - 1) / (a + 1)
    fr = float(f[fidx])
    edge = fidx == 0 or fidx == len(f) - 1
    if not edge and p_plus > 0:
        lo_, hi_ = (_Surface(p[j], kx, ky, lattice).around(k)(*k) for j in (fidx - 1, fidx + 1))
        side = 1.0 if hi_ >= lo_ else -1.0
        a = np.sqrt(max(max(hi_, lo_), 0.0) / p_plus)
        d = float(np.clip((2 * a - 1) / (a + 1), 0.0, 0.5)) if a >= 0.5 else 0.0
        fr = fr + side * d * float(f[1] - f[0])
    # travelling index: +k against -k, corrected for the array's own leakage
    mk = -k
    if lattice is None:
        mk = np.clip(mk, [kx[0], ky[0]], [kx[-1], ky[-1]])
    p_minus = surf.around(mk)(*mk)
    wq = np.sum(weights * np.exp(4j * np.pi * (pos @ k)))  # W(2k) / W(0)
    rho2 = float(abs(wq) ** 2)
    if p_plus + p_minus > 0 and rho2 < 1 - 1e-9:
        ti = (p_plus - p_minus) / (p_plus + p_minus) * (1 + rho2) / (1 - rho2)
        ti = float(np.clip(ti, -1.0, 1.0))
    else:
        ti = float("nan")
    return {
        "fidx": int(fidx),
        "f": fr,
        "k": k,
        "k0": k0,
        "p": float(p_plus),
        "ti": ti,
        "edge": bool(edge),
    }


def _derived(pk, factor):
    kn = float(np.hypot(*pk["k"]))
    speed = pk["f"] / kn * factor if kn > 0 else float("inf")
    return {
        "speed": speed,
        "wavelength": 1.0 / kn if kn > 0 else float("inf"),
        "direction": float(np.degrees(np.arctan2(pk["k"][1], pk["k"][0])) % 360.0) % 360.0,
        "frequency": pk["f"],
        "wavenumber": kn,
        "travelling_index": pk["ti"],
    }


def _alias_margin(lattice, k_nyq):
    """How far inside the Nyquist wavenumber a lattice's peak is alias-ambiguous.

    The peak at ``kx`` and its alias at ``kx - 2 k_nyq`` are ``2 (k_nyq - |kx|)`` apart;
    closer than the taper's main lobe (``2 / L`` for the extent ``L = n d``) they merge
    and pull each other. At least a fifth of the Nyquist wavenumber.
    """
    ny, nx, dy, dx = lattice
    return max(0.2 * k_nyq, 1.0 / (min(ny, nx) * max(dx, dy)))


def _range_messages(k, est, lattice, k_nyq, radius, attrs, su):
    """The "aliased" and "range" warnings (reason, message) for a peak at ``k``."""
    kn = float(np.hypot(*k))
    if lattice is not None:
        margin = _alias_margin(lattice, k_nyq)
        if float(np.max(np.abs(k))) > k_nyq - margin:
            return [
                (
                    "aliased",
                    f"The k-omega peak ({kn:.3g} cycles/{su}, kx {k[0]:.3g}, ky {k[1]:.3g}) "
                    f"is within {margin:.3g} of the spatial Nyquist wavenumber ({k_nyq:.3g} "
                    f"cycles/{su} along each grid axis), where a wave and its alias are not "
                    "told apart: the wave may be shorter than twice the site spacing, so its "
                    "speed and direction are not reliable; use a denser array or a lower band.",
                )
            ]
        return []
    if radius is None:  # a spectrum without its search range: the mean pitch's Nyquist
        if kn > 0.8 * k_nyq:
            return [
                (
                    "aliased",
                    f"The k-omega peak ({kn:.3g} cycles/{su}) is near the Nyquist wavenumber "
                    f"of the mean site spacing ({k_nyq:.3g} cycles/{su}), so its speed and "
                    "direction may be aliased; use a denser array or a lower band.",
                )
            ]
        return []
    k_af = float(attrs.get("k_alias_free", np.inf))
    if attrs.get("k_limited_by") == "layout":
        # a layout with (near) grating lobes, e.g. a lattice given as channels: as on a
        # regular grid, a peak close to its limit merges with its alias
        narrow = float(attrs["extent"][0]) + float(attrs.get("spacing", 0.0))
        margin = max(0.2 * k_af, 1.0 / narrow)
        if kn > k_af - margin:
            return [
                (
                    "aliased",
                    f"The k-omega peak ({kn:.3g} cycles/{su}) is within {margin:.3g} of the "
                    f"largest wavenumber this layout tells from its aliases ({k_af:.3g} "
                    f"cycles/{su}, where its beam pattern has a sidelobe of "
                    f"{ALIAS_LEVEL:.0%}, like the spatial Nyquist wavenumber of a grid): the "
                    "wave may be shorter and aliased, so its speed and direction are not "
                    "reliable; use a denser array or a lower band.",
                )
            ]
    # beyond the wavenumbers searched (into the margin computed around them)
    tol = 1 + 1e-9
    if np.all(np.abs(k) <= k_nyq * tol) or kn <= radius * tol:
        return []
    if radius >= k_af * (1 - 1e-9):
        return [
            (
                "aliased",
                f"The k-omega peak ({kn:.3g} cycles/{su}) is at the largest wavenumber this "
                f"layout tells from its aliases ({k_af:.3g} cycles/{su}, where its beam "
                f"pattern has a sidelobe of {ALIAS_LEVEL:.0%}): the wave may be shorter and "
                "aliased, so its speed and direction are not reliable; use a denser array "
                "or a lower band.",
            )
        ]
    ms = attrs.get("min_speed", float("nan"))
    why = (
        f"speeds down to {ms:g} m/s"
        if ms is not None and np.isfinite(ms)
        else "`k_max`"
        if attrs.get("k_limited_by") == "k_max"
        else "the memory bound"
        if attrs.get("k_limited_by") == "memory"
        else f"{K_CEILING} times the mean spacing's Nyquist wavenumber"
        if attrs.get("k_limited_by") == "ceiling"
        else "the default"
    )
    return [
        (
            "range",
            f"The k-omega peak ({kn:.3g} cycles/{su}) is at the edge of the wavenumbers "
            f"searched ({radius:.3g} cycles/{su} at {est['frequency']:.3g}: {why}), so the "
            "wave may be shorter or slower than that; pass compute_kw_spectrum a larger "
            "`k_max`.",
        )
    ]


def estimate_kw_wave(spectrum, *, band=None, confidence=0.95):
    """The dominant wave of a k-omega spectrum: speed, direction, wavelength, travelling index.

    The highest peak of ``P(f, k)`` (over ``band``) is refined below the k-grid: on a
    regular grid by Newton steps on the exact spectrum (a trigonometric polynomial
    recovered from the FFT grid), on an irregular layout on a bicubic spline through
    the 9 x 9 grid points around it, started from each of the four highest grid maxima
    at the peak frequency (away from ``k = 0`` the grid is half the array's resolution
    apart, so the highest grid point may belong to a sidelobe); its frequency by the
    Hann window's two-bin interpolation between the peak bin and its larger
    neighbour. Then ``speed = f / |k|``, ``wavelength = 1 / |k|``, ``direction =
    atan2(ky, kx)`` (degrees CCW from +x, the direction of travel).

    The travelling index compares the power at ``+k`` and ``-k`` at the peak
    frequency, corrected for the array's own leakage between them:
    ``TI = (P(+k) - P(-k)) / (P(+k) + P(-k)) * (1 + rho^2) / (1 - rho^2)`` with
    ``rho = |W(2k)|`` the taper's normalised response two wavenumbers apart. A single
    plane wave gives 1, a standing wave (two opposite waves of equal power) 0, at
    any wavelength the noise allows; without the correction a wave longer than the
    array would read as standing, since its two lobes overlap.

    Parameters
    ----------
    spectrum : xarray.DataArray
        Output of :func:`compute_kw_spectrum`, dims ``("f", "kx", "ky")`` or, for an
        interval, ``("segment", "f", "kx", "ky")`` (``segments=N``).
    band : (float, float) | None
        Look for the peak only in this band (default the whole spectrum).
    confidence : float
        Level of the intervals.

    Returns
    -------
    KWWave
        ``speed`` (m/s for recordings, cells/step for models), ``direction`` (deg),
        ``wavelength`` (space units), ``frequency``, ``wavenumber`` (``|k|``, cycles
        per space unit), ``kx``, ``ky``, ``travelling_index``, ``peak_power``; each
        with a ``*_ci`` interval from a jackknife over the segments (leave one out;
        NaN without segments), ``interval`` (how it was made), ``n_windows``,
        ``regime`` (``"resolved"`` when ``|k|`` is at least the array's resolution
        ``1 / extent``, else ``"sub-resolution"``), ``units`` and ``warnings``.

    Warns
    -----
    KWRangeWarning
        The peak is near the spatial Nyquist wavenumber of a regular grid, or at the
        largest wavenumber an irregular layout tells from its aliases (aliased), beyond
        the wavenumbers searched on an irregular layout (range), its wavenumber is
        not known to better than a third (a wave too long for this array, noise and
        duration: the interval says so; the travelling index is then NaN), its plane
        wave holds less than 30 % of the sites' power at its frequency, or its
        frequency is at the band's edge.

    Notes
    -----
    Valid range. Short waves: on a regular grid, down to where a grid-axis component
    of ``k`` comes within ``max(0.2, 1 / n)`` of the Nyquist wavenumber ``1 / (2
    d)`` (``n`` sites along the axis; about 2.5 site spacings along an axis, 1.8
    along a diagonal); closer, the peak and its alias merge (``"aliased"``), and a
    wave beyond Nyquist folds back inside and cannot be told from a longer one by
    any method. On an irregular layout, down to the wavenumbers searched (see
    :func:`compute_kw_spectrum`, Notes: by default waves of 0.1 m/s and faster, as
    far as the layout tells them from their aliases; a quarter of the pitch on the
    jittered ECoG layout). Long waves: up to many array widths when the recording
    is long and clean enough: sub-resolution peaks are located from the curvature of
    the main lobe, whose precision grows with the signal-to-noise ratio and the
    number of windows. The tests hold speed to 5 % and direction to 5 degrees for
    0.1-1 m/s and 4-40 Hz at 10 dB pink noise with 60 s, on a Utah array (up to
    70 array widths) and on the jittered 8 x 8 ECoG layout at 10 mm (wavelengths
    2.5-250 mm, a quarter pitch to 3.5 array widths); the interval is the guide on
    real data.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, truth = simulate_wave("planar", speed=0.3, direction=120, frequency=8,
    ...                             duration=20.0, snr_db=10, seed=1)
    >>> est = estimate_kw_wave(compute_kw_spectrum(grid, band=(4, 16), segments=5))
    >>> round(est.speed, 2), round(est.direction), round(est.travelling_index, 1)
    (0.3, 120, 1.0)
    """
    s = _read_spectrum(spectrum, band, confidence)
    pk = _peak_once(s.mean, None, None, s.f, s.kx, s.ky, s.lattice, s.weights, s.pos)
    est = _derived(pk, s.factor)
    sp = s.site_power
    coherence = (
        float(pk["p"] / sp[pk["fidx"]]) if sp is not None and sp[pk["fidx"]] > 0 else float("nan")
    )
    ci, interval, rel_k = _jackknife(s, pk, est, confidence)
    msgs = _messages(s, pk, est, ci, rel_k, coherence)
    for reason, m in msgs:
        warnings.warn(KWRangeWarning(m, reason=reason), stacklevel=2)
    kres = float(s.attrs.get("k_resolution", np.nan))
    regime = "resolved" if est["wavenumber"] >= kres else "sub-resolution"
    return KWWave(
        speed=est["speed"],
        direction=est["direction"],
        wavelength=est["wavelength"],
        frequency=est["frequency"],
        wavenumber=est["wavenumber"],
        kx=float(pk["k"][0]),
        ky=float(pk["k"][1]),
        travelling_index=est["travelling_index"],
        peak_power=pk["p"],
        coherence=coherence,
        speed_ci=tuple(ci["speed"]),
        direction_ci=tuple(ci["direction"]),
        wavelength_ci=tuple(ci["wavelength"]),
        frequency_ci=tuple(ci["frequency"]),
        travelling_index_ci=tuple(ci["travelling_index"]),
        interval=interval,
        n_windows=int(s.nw_.sum()),
        regime=regime,
        units=s.sunit,
        space_units=s.su,
        frequency_units=s.funit,
        warnings=tuple(m for _, m in msgs),
    )


def _read_spectrum(spectrum, band, confidence):
    """The checked spectrum over ``band`` as arrays (a namespace): power per segment,
    its window-weighted mean, axes, layout, units and site power."""
    if not isinstance(spectrum, xr.DataArray) or not {"f", "kx", "ky"} <= set(spectrum.dims):
        raise NeurowaveTypeError(
            "`spectrum` must be the xarray.DataArray of compute_kw_spectrum (dims 'f', "
            f"'kx', 'ky'), got {type(spectrum).__name__}"
            f"{' with dims ' + str(tuple(spectrum.dims)) if hasattr(spectrum, 'dims') else ''}."
        )
    validate_type(confidence, "numeric", "confidence")
    if not 0 < confidence < 1:
        raise NeurowaveError(f"`confidence` must be between 0 and 1, got {confidence!r}.")
    has_seg = "segment" in spectrum.dims
    order = (("segment",) if has_seg else ()) + ("f", "kx", "ky")
    spec = spectrum.transpose(*order)
    if band is not None:
        lo, hi = (float(b) for b in band)
        spec = spec.sel(f=slice(lo, hi))
        if spec.sizes["f"] == 0:
            raise NeurowaveError(
                f"No frequency of the spectrum ({float(spectrum.f[0]):g}-"
                f"{float(spectrum.f[-1]):g}) falls in `band` {band!r}; widen the band."
            )
    attrs = spectrum.attrs
    lattice = attrs.get("lattice")
    lattice = (
        None
        if lattice is None
        else (int(lattice[0]), int(lattice[1]), float(lattice[2]), float(lattice[3]))
    )
    tu, su = attrs.get("time_units", "s"), attrs.get("space_units", "mm")
    factor, sunit = speed_factor(tu, su)
    s = SimpleNamespace(
        spec=spec,
        attrs=attrs,
        lattice=lattice,
        tu=tu,
        su=su,
        factor=factor,
        sunit=sunit,
        funit="Hz" if tu == "s" else f"cycles/{tu}",
        has_seg=has_seg,
        f=np.asarray(spec["f"].values, float),
        kx=np.asarray(spec["kx"].values, float),
        ky=np.asarray(spec["ky"].values, float),
        pos=np.column_stack([attrs["site_x"], attrs["site_y"]]).astype(float),
        weights=np.asarray(attrs["site_weight"], float),
    )
    _pool_segments(s, np.asarray(spec.values, float))
    if not np.isfinite(s.mean).any():
        raise NeurowaveError("`spectrum` holds no finite power (no window without NaN samples).")
    return s


def _pool_segments(s, vals):
    """The segments with windows (``vals``, ``nw_``), their sum ``total`` and
    window-weighted ``mean``, and the mean site power per frequency."""
    total, ok = None, None
    if s.has_seg:
        nw_ = np.asarray(s.spec["n_windows"].values, float)
        ok = nw_ > 0
        vals, nw_ = vals[ok], nw_[ok]
        total = np.tensordot(nw_, vals, axes=(0, 0))
        mean = total / nw_.sum()
    else:
        mean = vals
        nw_ = np.array([float(s.attrs.get("n_windows", 1))])
    sp = None
    if "site_power" in s.spec.coords:
        spv = np.asarray(s.spec["site_power"].values, float)
        sp = (np.tensordot(nw_, spv[ok], axes=(0, 0)) / nw_.sum()) if s.has_seg else spv
    s.__dict__.update(vals=vals, nw_=nw_, total=total, mean=mean, site_power=sp)


_ESTIMATES = ("speed", "direction", "wavelength", "frequency", "travelling_index", "wavenumber")


def _jackknife(s, pk, est, confidence):
    """Leave-one-segment-out intervals of the estimates (NaN with fewer than three
    segments): ``(ci, interval, rel_k)``, ``rel_k`` the relative s.e. of ``|k|``."""
    from scipy import stats

    ci = {n: (float("nan"), float("nan")) for n in _ESTIMATES}
    n_seg = len(s.nw_) if s.has_seg else 0
    rel_k = float("nan")
    if n_seg < 3:
        return ci, None, rel_k
    loo = []
    for i in range(n_seg):
        m = (s.total - s.nw_[i] * s.vals[i]) / (s.nw_.sum() - s.nw_[i])
        loo.append(
            _derived(
                _peak_once(
                    m, pk["fidx"], pk["k"], s.f, s.kx, s.ky, s.lattice, s.weights, s.pos, fixed=True
                ),
                s.factor,
            )
        )
    tq = stats.t.ppf(0.5 + confidence / 2, n_seg - 1)
    for n in _ESTIMATES:
        th = np.array([d[n] for d in loo], float)
        if n == "direction":
            dev = np.degrees(wrap(np.radians(th - est[n])))
            se = np.sqrt((n_seg - 1) / n_seg * np.sum((dev - dev.mean()) ** 2))
            ci[n] = ((est[n] - tq * se) % 360.0, (est[n] + tq * se) % 360.0)
            continue
        if not np.all(np.isfinite(th)):
            continue
        se = np.sqrt((n_seg - 1) / n_seg * np.sum((th - th.mean()) ** 2))
        ci[n] = (est[n] - tq * se, est[n] + tq * se)
        if n == "wavenumber":
            rel_k = se / est[n] if est[n] > 0 else float("inf")
    if np.isfinite(ci["travelling_index"][0]):
        ci["travelling_index"] = tuple(float(np.clip(v, -1, 1)) for v in ci["travelling_index"])
    return ci, f"jackknife over {n_seg} segments ({confidence:.0%})", rel_k


def _messages(s, pk, est, ci, rel_k, coherence):
    """(reason, message) of every KWRangeWarning the peak deserves; a wavenumber known
    to no better than a third sets the travelling index (and its interval) to NaN."""
    msgs = []
    attrs, su, funit = s.attrs, s.su, s.funit
    k_nyq = float(attrs.get("k_nyquist", max(abs(s.kx).max(), abs(s.ky).max())))
    radius = None
    if s.lattice is None and "k_radius" in s.spec.coords:
        # the peak's lower neighbour bin too: it places the frequency between bins (a
        # wave at the speed floor is inside both, by the two bins of leeway)
        radius = float(np.asarray(s.spec["k_radius"].values, float)[max(pk["fidx"] - 1, 0)])
    msgs.extend(_range_messages(pk["k"], est, s.lattice, k_nyq, radius, attrs, su))
    if np.isfinite(rel_k) and rel_k > 1.0 / 6.0:
        msgs.append(
            (
                "long",
                f"The k-omega peak's wavenumber is known only to +-{100 * 2 * rel_k:.0f} % "
                f"(wavelength {est['wavelength']:.3g} {su}, "
                f"{est['wavelength'] / attrs['extent'][1]:.1f} array widths), so the peak "
                "may sit at zero wavenumber (synchronous activity, or a standing wave "
                "longer than the array) and its speed and travelling index are not "
                "measured; record longer, or use a larger array.",
            )
        )
        est["travelling_index"] = float("nan")
        ci["travelling_index"] = (float("nan"), float("nan"))
    if coherence < 0.3:
        msgs.append(
            (
                "incoherent",
                f"The k-omega peak explains only {100 * coherence:.0f} % of the sites' power "
                f"at {pk['f']:.3g} {funit}: no plane wave dominates there (several waves, "
                "a wave shorter than twice the site spacing, or noise), so its speed and "
                "direction describe little of the data; check the spectrum's plot.",
            )
        )
    if pk["edge"]:
        msgs.append(
            (
                "edge",
                f"The k-omega peak frequency ({pk['f']:.3g} {funit}) is at the edge of the "
                "band, so the dominant wave may lie outside it; widen the band.",
            )
        )
    return msgs


def kw_summary(grid, *, band, segments=10):
    """The ``kw`` block of :func:`neurowave.waves.analyze`'s JSON, and the spectrum.

    The spectrum of ``grid`` over ``band`` (defaults of :func:`compute_kw_spectrum`,
    ``segments`` blocks, fewer when the recording holds fewer windows) and
    :func:`estimate_kw_wave` of it. Returns ``(block, spectrum)``; ``block`` is
    plain JSON (NaN as None) and lists the range warnings instead of raising them.

    A layout that resolves no wavenumber (sites on a line, a strip narrower than twice
    its spacing) is not an error here: the block says ``"computed": False``,
    ``"regime": "not computed"`` and why (``note``), and the spectrum is None, so that
    the rest of an analysis stands. A sub-resolution peak (``|k|`` below the array's
    resolution ``1 / extent``: a wave longer than the array) keeps its point estimates
    but no speed or wavelength interval: the jackknife measures only how repeatable
    the main lobe's curvature is over segments, which holds for a single plane wave
    but not for the waves of a recording (it is kept as ``speed_ci_repeatability``);
    ``note`` says so and ``speed_lower_bound`` gives ``f x extent``, the speed of a
    wave one array long.
    """
    from ._spectrum import kw_layout_problem

    problem = kw_layout_problem(grid)
    if problem is not None:
        return {
            "computed": False,
            "regime": "not computed",
            "note": f"k-omega skipped: {problem}",
            "band": [float(b) for b in band],
            "warnings": [],
        }, None
    sr = _sampling_rate(grid)
    nt = grid.sizes["time"]
    # four cycles of the band's low edge, but at least three windows when the recording
    # is short (a model's few hundred steps)
    window = int(min(_default_window(nt, sr, band), max(4, nt // 2)))
    hop = max(1, int(round(window * 0.5)))
    n_win = max(0, (nt - window) // hop + 1)
    seg = min(int(segments), n_win) if n_win >= 3 else None
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", KWRangeWarning)
        spec = compute_kw_spectrum(grid, band=band, window=window, segments=seg)
        est = estimate_kw_wave(spec)
    for w in rec:  # anything but our own range warnings goes on as usual
        if not issubclass(w.category, KWRangeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    block = est.to_dict()
    block["warnings"] = [str(w.message) for w in rec if issubclass(w.category, KWRangeWarning)]
    block.update(
        {
            "band": [float(b) for b in spec.attrs["band"]],
            "window": int(spec.attrs["window"]),
            "segments": 0 if seg is None else int(seg),
            "method": spec.attrs["method"],
            "taper": spec.attrs["taper"],
            "k_resolution": float(spec.attrs["k_resolution"]),
            "k_nyquist": float(spec.attrs["k_nyquist"]),
            # irregular layouts: the largest wavenumber searched (None on a regular grid)
            "k_search": float(spec.attrs["k_search"]) if "k_search" in spec.attrs else None,
            "computed": True,
        }
    )
    if "sites_thinned" in spec.attrs:
        used, valid = spec.attrs["sites_thinned"]
        block["sites_thinned"] = [int(used), int(valid)]
        block["warnings"].append(
            f"k-omega used {used} of the {valid} valid sites (spread over the layout) to "
            "hold the cross-spectra in memory; the largest wavenumber told from its aliases "
            "follows their coarser spacing."
        )
    if est.regime == "sub-resolution":
        _sub_resolution(block, spec)
    return block, spec


def _sub_resolution(block, spec):
    """Drop the intervals a sub-resolution peak does not support and say why."""
    kres, su = float(spec.attrs["k_resolution"]), spec.attrs.get("space_units", "mm")
    factor, unit = speed_factor(spec.attrs.get("time_units", "s"), su)
    bound = float(block["frequency"]) / kres * factor if block["frequency"] else None
    # the jackknife's spread over segments, kept under a name that says what it is: it
    # holds when the data are one plane wave, and ignores the lobe's width
    block["speed_ci_repeatability"] = block["speed_ci"]
    for name in ("speed_ci", "wavelength_ci"):
        block[name] = [None, None]
    block["speed_lower_bound"] = bound
    block["note"] = (
        f"sub-resolution: the peak wavenumber ({block['wavenumber']:.3g} cycles/{su}) is "
        f"below the array's resolution ({kres:.3g} cycles/{su}, 1 / extent), so the wave "
        "is longer than the array and k-omega does not resolve its speed"
        + (f" (faster than about {bound:.3g} {unit})" if bound is not None else "")
        + "; no speed interval is given"
    )
