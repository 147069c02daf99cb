"""The k-omega power spectrum of a wave grid (:func:`compute_kw_spectrum`): the power of a
plane wave on a regular grid by the spatial FFT of each window, on an irregular layout by
steered least-squares projections.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import xarray as xr

from ..._validate import NeurowaveError, check_band, check_option, validate_type
from ...grid import _sampling_rate, site_positions, validate_grid
from .._xr import units
from ._csd import _csd, _lattice_sums, _window_starts
from ._layout import TAPERS, _extent, _irregular_search, _lattice, _spatial_weights


def _steered_power(csd, w, pos, kx, ky, radius=None, box=None):
    """``P(f, k)`` at the points ``kx`` x ``ky`` for sites ``pos`` (S, 2), weights ``w``.

    ``radius`` (F,) and ``box``: evaluate, at frequency ``i``, only the wavenumbers in
    the square ``|kx|, |ky| <= box`` or the disc ``|k| <= radius[i]`` (NaN elsewhere).
    Returns (..., F, len(ky), len(kx)).

    With ``C = Cr + i Ci`` (``Cr`` symmetric, ``Ci`` antisymmetric) and the steering
    vector's parts ``a = w cos(2 pi k.x)``, ``s = w sin(2 pi k.x)``,
    ``P(+-k) = a'Cr a + s'Cr s +- 2 a'Ci s``: three real products give the power at
    ``k`` and at ``-k``, so a grid symmetric about 0 is evaluated on one half.
    """
    lead = csd.shape[:-2]
    n_s = csd.shape[-1]
    nf = lead[-1] if lead else 1
    flat = csd.reshape((-1, nf, n_s, n_s))  # (B, F, S, S)
    nb = flat.shape[0]
    kxx, kyy = np.meshgrid(kx, ky)  # (Ky, Kx)
    kxf, kyf = kxx.ravel(), kyy.ravel()

    def symmetric(a):
        return np.allclose(a, -a[::-1], rtol=0, atol=1e-9 * max(1e-300, np.abs(a).max()))

    idx = np.arange(kxf.size)
    if symmetric(np.asarray(kx, float)) and symmetric(np.asarray(ky, float)):
        mirror = idx.reshape(kxx.shape)[::-1, ::-1].ravel()  # the index of -k
        rep = idx <= mirror
    else:
        mirror, rep = None, np.ones(kxf.size, bool)
    if radius is None:
        inside = np.ones((nf, kxf.size), bool)
    else:
        tol = 1 + 1e-9
        inbox = (np.abs(kxf) <= box * tol) & (np.abs(kyf) <= box * tol)
        r2 = kxf**2 + kyf**2
        inside = inbox[None, :] | (r2[None, :] <= (np.asarray(radius, float)[:, None] * tol) ** 2)
    out = np.full((nb, nf, kxf.size), np.nan)
    blk = max(64, 2**21 // max(1, nb * n_s))  # (B S, block) products of ~16 MB
    for fi in range(nf):
        pts = np.flatnonzero(rep & inside[fi])
        cr = np.ascontiguousarray(flat[:, fi].real).reshape(nb * n_s, n_s)
        ci = np.ascontiguousarray(flat[:, fi].imag).reshape(nb * n_s, n_s)
        for b0 in range(0, len(pts), blk):
            ids = pts[b0 : b0 + blk]
            ph = 2 * np.pi * (np.outer(pos[:, 0], kxf[ids]) + np.outer(pos[:, 1], kyf[ids]))
            a = np.cos(ph) * w[:, None]  # (S, m)
            sn = np.sin(ph) * w[:, None]
            m = len(ids)
            q1 = np.einsum("ik,bik->bk", a, (cr @ a).reshape(nb, n_s, m))
            q1 += np.einsum("ik,bik->bk", sn, (cr @ sn).reshape(nb, n_s, m))
            q2 = 2 * np.einsum("ik,bik->bk", a, (ci @ sn).reshape(nb, n_s, m))
            out[:, fi, ids] = q1 + q2
            if mirror is not None:
                out[:, fi, mirror[ids]] = q1 - q2
    return out.reshape(lead + (len(ky), len(kx)))


def _default_window(n_times, sr, band):
    if band is not None and band[0] > 0:
        # four cycles of the lowest frequency, and at least four bins across the band
        n = int(math.ceil(4.0 * sr / min(band[0], band[1] - band[0])))
    else:
        n = int(np.clip(n_times // 8, 16, 4096))
    return n


def compute_kw_spectrum(
    grid, *, band=None, window=None, overlap=0.5, taper="hann", n_k=None, segments=None, k_max=None
):
    """Wavenumber-frequency power spectrum of a wave grid, averaged over windows.

    Parameters
    ----------
    grid : xarray.DataArray
        A wave grid (``("time", "y", "x")`` or ``("time", "channel")``); dead sites
        are NaN for all time and get no weight. A dask-backed grid stays lazy: the
        result is a dask array that reads one time chunk at a time, so memory is set
        by the chunk (and a batch of windows), not the recording (the dead sites are
        found first, by one reduction pass).
    band : (float, float) | None
        Frequencies kept (Hz, or cycles/step); None keeps every frequency above 0.
    window : int | None
        Samples per window; default four cycles of the band's low edge (1 s for a band
        from 4 Hz) and at least four frequency bins across the band, or an eighth of
        the recording (16 to 4096 samples) without a band.
        The frequency resolution is ``sampling_rate / window``.
    overlap : float
        Fraction of a window shared with the next (0 to 0.9; default 0.5).
    taper : {"hann", "tukey", "boxcar"}
        Spatial taper along x and y (the principal axes of an elongated layout; no site
        gets zero weight).
        Tapers lower the side lobes of a peak; ``"boxcar"`` gives the narrowest peak
        and the smallest noise for a single wave.
    n_k : int | None
        Wavenumbers per axis. Regular grids: the FFT size, at least ``2 n - 1`` for
        ``n`` sites along an axis (default ``max(64, 2 n - 1)``), over
        ``[-1/(2 dx), 1/(2 dx))``. Irregular layouts: points over
        ``[-k_nyq, k_nyq]`` with ``k_nyq = 1 / (2 spacing)`` (default 65, odd so that
        ``k = 0`` is on the grid); beyond, points half the array's resolution apart
        (``1 / (2 extent)``) up to the search range (Notes).
    segments : int | None
        Split the windows into this many contiguous blocks and return one spectrum per
        block (dim ``"segment"``, coord ``n_windows``), from which
        :func:`estimate_kw_wave` takes a jackknife interval. None: one spectrum.
    k_max : float | None
        Irregular layouts only: the largest wavenumber searched (cycles per space
        unit), e.g. ``f / speed`` for waves slower than the default floor. None: chosen
        from the layout and the band (Notes).

    Returns
    -------
    spectrum : xarray.DataArray
        ``P`` with dims ``("f", "kx", "ky")`` (``("segment", "f", "kx", "ky")`` with
        ``segments``): the mean squared least-squares amplitude of the plane wave
        ``cos(2 pi f t - 2 pi k.x)``, in signal units squared (a plane wave of
        amplitude A at a bin centre peaks at ``A**2``). Coords ``f`` (Hz or
        cycles/step), ``kx``, ``ky`` (cycles/mm or cycles/cell). ``attrs``:
        ``window``, ``overlap``, ``n_windows``, ``taper``, ``layout``, ``spacing``,
        ``extent`` (narrower, wider; space units), ``k_resolution`` (``1 / wider
        extent``), ``k_nyquist``, the sites used (``site_x``, ``site_y``,
        ``site_weight``) and the grid's provenance. Irregular layouts also have the
        coord ``k_radius`` (the radius searched at each frequency beyond the Nyquist
        square; power further out is NaN) and attrs ``k_search`` (its largest),
        ``k_alias_free`` (the layout's limit), ``alias_sidelobe`` (the layout's
        highest sidelobe within it), ``min_speed`` (the floor used, m/s; NaN when
        none) and ``k_limited_by`` (``"layout"``, ``"min_speed"``, ``"k_max"``,
        ``"ceiling"`` or ``"memory"``).

    Raises
    ------
    ValueError
        Fewer than three valid sites, sites on a line, a layout narrower than twice its
        spacing (no wavenumber to resolve), a band above Nyquist, a window longer than
        the recording, ``k_max`` for a regular grid.

    Warns
    -----
    KWRangeWarning
        ``reason="range"``: the wavenumbers searched on an irregular layout were cut
        to hold the spectrum within memory (about 256 MB of power values).

    Notes
    -----
    **Which wavenumbers are resolved.** A plane wave at ``k0`` puts the fraction
    ``B(k - k0)`` of its power at ``k``, where ``B(G) = |sum_j w_j exp(i 2 pi
    G.x_j)|^2`` is the taper-weighted beam pattern of the sites (``B(0) = 1``). On a
    regular grid of pitch ``d``, ``B = 1`` again at ``G = 1 / d``: waves beyond the
    Nyquist wavenumber ``1 / (2 d)`` (per grid axis; ``sqrt(2)`` times that along a
    diagonal) are indistinguishable from their aliases by any method, and peaks near
    it are flagged (``KWRangeWarning``, ``"aliased"``). A jittered or irregular
    layout has no exact grating lobe: the jittered 8 x 8 ECoG layout of
    :func:`~neurowave.datasets.simulate_wave` (10 mm, jitter 0.2 pitch) has no
    sidelobe above 0.65 out to ``|G| = 1.5`` cycles/mm, so a wave of a quarter pitch
    is still the unique full-power peak.

    **How far an irregular layout is searched.** Every pair of wavenumbers in the disc
    ``|k| <= K`` is told apart when ``B(G) < 0.8`` for all ``|G| <= 2 K`` outside the
    main lobe. The layout's limit ``k_alias_free`` is the largest such ``K`` (for a
    regular lattice this rule gives its Nyquist wavenumber). The search goes up to
    ``k_search = min(k_alias_free, cap)``, at least the square ``|kx|, |ky| <=
    1 / (2 spacing)``, with the cap: ``k_max`` when given; else for recordings (mm,
    s) the band's upper edge (plus two frequency bins) over 0.1 m/s, the slowest
    wave searched, and at each frequency only ``|k| <= (f + 2 df) / (0.1 m/s)``;
    else 4 times ``1 / (2 spacing)``; never past 16 times it. A few grid steps
    beyond the radius are computed too (unless the layout sets it: there they would
    hold aliases), so that a peak found there is refined and flagged (``"range"``)
    instead of being cut off. A peak within ``max(0.2 k_alias_free, 1 / (narrower
    extent + spacing))`` of a limit the layout sets is flagged ``"aliased"``. Waves slower than the floor
    are not searched: their sidelobes can read as a faster wave, so pass ``k_max``
    when slower waves are possible. The positions must be known to a small part of
    the shortest wavelength searched.

    **Cost.** Irregular layouts: the power at ``+k`` and ``-k`` from three real
    matrix products per frequency, ``O(segments x frequencies x sites^2 x
    k-points)``; about 4 s of CPU for 61 sites, 10 segments and 7 frequencies up to
    0.75 cycles/mm. Power values held are bounded (about 256 MB): beyond that the
    search range is cut with a warning. So are the cross-spectra (256 MB, about 1300
    sites at 10 segments and one frequency): a larger irregular layout is thinned to
    that many sites spread over it (farthest-point sampling), and ``attrs`` record
    ``sites_thinned`` ``[used, valid]``. A regular grid holds no cross-spectra: its
    power is the spatial FFT of each window, summed, whatever the number of sites.

    See Also
    --------
    estimate_kw_wave : Speed, direction, wavelength and travelling index of the peak.
    plot_kw_spectrum : f-|k| and kx-ky views.

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> grid, truth = simulate_wave("planar", speed=0.02, direction=30, frequency=10,
    ...                             duration=4.0, snr_db=10, seed=0)
    >>> spec = compute_kw_spectrum(grid, band=(5, 20))
    >>> spec.dims, spec.attrs["n_windows"]
    (('f', 'kx', 'ky'), 9)
    >>> peak = spec.sel(f=10).argmax(dim=["kx", "ky"])
    >>> float(spec.kx[peak["kx"]]), float(spec.ky[peak["ky"]])  # 0.5 cycles/mm at 30 deg
    (0.429..., 0.234...)
    """
    # dead sites are counted once below (for a dask grid, one reduction pass)
    info = validate_grid(grid, name="grid", min_sites=1, check_valid=False)
    plan = _windows(grid, info.n_times, band=band, window=window, overlap=overlap, taper=taper)
    _sites(grid, plan)
    _frequencies(plan, segments)
    _k_grid(grid, plan, n_k=n_k, k_max=k_max)
    data = grid.data.reshape(plan.nt, -1)
    if plan.lat is not None:
        # a regular lattice: the spatial FFT of each window, summed (lazy for dask);
        # memory follows the k-grid, not the square of the number of sites
        ny, nx = plan.lat[:2]
        wf = np.zeros(ny * nx)
        wf[plan.vidx] = plan.w
        sums = _lattice_sums(
            data,
            plan.vidx,
            plan.starts,
            plan.window,
            plan.nfft,
            plan.fidx,
            plan.seg_of,
            plan.n_seg,
            (ny, nx, plan.nk, wf),
        )
        return _as_spectrum(grid, plan, sums, segments)
    # cross-spectra (lazy for dask)
    csd, count = _csd(
        data, plan.vidx, plan.starts, plan.window, plan.nfft, plan.fidx, plan.seg_of, plan.n_seg
    )
    site_power = np.diagonal(csd, axis1=-2, axis2=-1).real @ plan.w
    return _as_spectrum(grid, plan, (csd, site_power, count), segments)


def _windows(grid, nt, *, band, window, overlap, taper):
    """The plan of a spectrum (a namespace the steps below fill in) with its time
    windows: sampling rate, units, band, window, hop."""
    sr = _sampling_rate(grid)
    tu, su = units(grid)
    check_option("taper", taper, TAPERS)
    validate_type(overlap, "numeric", "overlap")
    if not 0 <= float(overlap) <= 0.9:
        raise NeurowaveError(f"`overlap` must be between 0 and 0.9, got {overlap!r}.")
    funit = "Hz" if tu == "s" else f"cycles/{tu}"
    if band is not None:
        band = check_band(band, sr, n_times=nt, time_units=tu)
    if window is None:
        window = _default_window(nt, sr, band)
        if window > nt:
            raise NeurowaveError(
                f"The recording ({nt} samples) is shorter than one window of the band "
                f"{band!r} ({window} samples: four cycles of the low edge and four frequency "
                "bins across the band); record longer, widen the band or pass a shorter "
                "`window`."
            )
    validate_type(window, "int", "window")
    window = int(window)
    if window < 4 or window > nt:
        raise NeurowaveError(
            f"`window` must be between 4 and the recording's {nt} samples, got {window}."
        )
    hop = max(1, int(round(window * (1.0 - float(overlap)))))
    return SimpleNamespace(
        sr=sr,
        tu=tu,
        su=su,
        nt=nt,
        funit=funit,
        band=band,
        window=window,
        overlap=float(overlap),
        taper=taper,
        hop=hop,
        nfft=window,
    )


def _sites(grid, plan):
    """The valid sites, their spacing and extent, and the lattice of a regular grid."""
    pos_all = site_positions(grid)
    from ...grid import _valid_sites

    valid = _valid_sites(grid)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise NeurowaveError(
            "`grid` is all NaN: every site is dead. Check the file or the channel selection."
        )
    if n_valid < 3:
        raise NeurowaveError(
            f"`grid` has {n_valid} valid site(s), but a wavenumber spectrum needs at least 3 "
            "sites spread over two dimensions; pass a grid with more working sites."
        )
    pos = pos_all[valid]
    from ...grid import grid_spacing

    spacing = grid_spacing(pos)
    narrow, wide = _extent(pos)
    problem = _layout_problem(n_valid, narrow, wide, spacing, plan.su)
    if problem:
        raise NeurowaveError(problem)
    plan.__dict__.update(
        pos=pos,
        vidx=np.flatnonzero(valid),
        spacing=spacing,
        narrow=narrow,
        wide=wide,
        lat=_lattice(grid),
    )


#: bytes of cross-spectra an irregular layout may hold (segments x frequencies x sites^2
#: complex128); beyond, the sites are thinned (:func:`_bound_sites`)
MAX_CSD_BYTES = 2**28


def _farthest_points(pos, m):
    """Indices of ``m`` of the points ``pos`` (n, 2) spread over the layout: greedy
    farthest-point sampling from the point nearest the centroid (deterministic)."""
    first = int(np.argmin(np.sum((pos - pos.mean(0)) ** 2, axis=1)))
    chosen = [first]
    d = np.sum((pos - pos[first]) ** 2, axis=1)
    for _ in range(m - 1):
        nxt = int(np.argmax(d))
        chosen.append(nxt)
        d = np.minimum(d, np.sum((pos - pos[nxt]) ** 2, axis=1))
    return np.sort(np.asarray(chosen))


def _bound_sites(plan):
    """Thin an irregular layout's sites so that its cross-spectra fit
    :data:`MAX_CSD_BYTES` (they grow with the square of the sites); records how many
    were used in ``plan.thinned`` ``(used, valid)`` or None."""
    from ...grid import grid_spacing

    n_s = len(plan.vidx)
    per_pair = plan.n_seg * len(plan.fidx) * 16
    m = int(np.sqrt(MAX_CSD_BYTES / max(per_pair, 1)))
    if n_s <= m:
        return
    m = max(m, 3)
    keep = _farthest_points(plan.pos, m)
    pos = plan.pos[keep]
    narrow, wide = _extent(pos)
    plan.__dict__.update(
        pos=pos,
        vidx=plan.vidx[keep],
        spacing=grid_spacing(pos),
        narrow=narrow,
        wide=wide,
        thinned=(int(m), int(n_s)),
    )


def _layout_problem(n_valid, narrow, wide, spacing, su):
    """Why the layout resolves no wavenumber (a sentence), or None."""
    if narrow < 1e-9 * max(wide, 1e-300):
        return (
            f"The {n_valid} valid sites of `grid` lie on a line, so they cannot tell "
            "wavenumbers across it; pass a two-dimensional layout."
        )
    if narrow < 2 * spacing * (1 - 1e-6):
        return (
            f"The layout spans {narrow:.3g} {su} across its narrower axis, less than "
            f"twice its site spacing ({spacing:.3g} {su}), so it resolves no wavenumber; "
            "use a layout at least three sites wide in both directions."
        )
    return None


def kw_layout_problem(grid):
    """Why the valid sites of ``grid`` resolve no wavenumber (a sentence), or None.

    A k-omega spectrum needs at least three valid sites spread over two dimensions,
    at least twice the site spacing across the narrower axis.
    """
    from ...grid import _valid_sites, grid_spacing

    valid = _valid_sites(grid)
    n_valid = int(valid.sum())
    if n_valid < 3:
        return (
            f"`grid` has {n_valid} valid site(s), but a wavenumber spectrum needs at "
            "least 3 sites spread over two dimensions."
        )
    pos = site_positions(grid)[valid]
    narrow, wide = _extent(pos)
    return _layout_problem(n_valid, narrow, wide, grid_spacing(pos), units(grid)[1])


def _frequencies(plan, segments):
    """The frequencies kept, the windows' starts and the segment of each window."""
    freqs = np.fft.rfftfreq(plan.nfft, 1.0 / plan.sr)
    fsel = freqs > 0
    band, window = plan.band, plan.window
    if band is not None:
        fsel &= (freqs >= band[0]) & (freqs <= band[1])
    fidx = np.flatnonzero(fsel)
    if fidx.size == 0:
        raise NeurowaveError(
            f"No frequency of a {window}-sample window ({plan.sr / window:.3g} {plan.funit} "
            f"apart) falls in `band` {band!r}; widen the band or pass a longer `window`."
        )
    starts = _window_starts(plan.nt, window, plan.hop)
    n_win = len(starts)
    n_seg = 1
    if segments is not None:
        validate_type(segments, "int", "segments")
        if not 2 <= segments <= n_win:
            raise NeurowaveError(
                f"`segments` must be between 2 and the number of windows ({n_win}), got "
                f"{segments}; pass fewer segments or a shorter `window`."
            )
        n_seg = int(segments)
    seg_of = np.minimum((np.arange(n_win) * n_seg) // n_win, n_seg - 1)
    plan.__dict__.update(
        freqs=freqs, fidx=fidx, starts=starts, n_win=n_win, n_seg=n_seg, seg_of=seg_of
    )


def _k_grid(grid, plan, *, n_k, k_max):
    """Spatial weights and the wavenumbers evaluated (the FFT grid of a regular lattice,
    the searched grid of an irregular layout)."""
    lat = plan.lat
    if lat is not None:
        ny, nx, dy, dx = lat
        kind = "grid"
        nk = n_k if n_k is not None else max(64, 2 * max(ny, nx) - 1)
        validate_type(nk, "int", "n_k")
        if nk < 2 * max(ny, nx) - 1:
            raise NeurowaveError(
                f"`n_k` must be at least {2 * max(ny, nx) - 1} (2 n - 1 for {max(ny, nx)} "
                f"sites along an axis), got {nk}."
            )
        if not np.isclose(dx, dy, rtol=1e-6):
            lat = None  # anisotropic lattice: evaluate like an irregular layout
    if lat is None:
        kind = "channel" if "channel" in grid.dims else "grid"
        nk = n_k if n_k is not None else 65
        validate_type(nk, "int", "n_k")
        if nk < 3:
            raise NeurowaveError(f"`n_k` must be at least 3, got {nk}.")
    plan.thinned = None
    if lat is None:
        _bound_sites(plan)
    w = _spatial_weights(plan.pos, plan.spacing, plan.taper)
    search = None
    if lat is not None:
        if k_max is not None:
            raise NeurowaveError(
                "`k_max` applies to irregular layouts only: a regular grid is searched up to "
                "its Nyquist wavenumber 1 / (2 spacing), beyond which waves alias; drop `k_max`."
            )
        k_nyq = 1.0 / (2 * dx)
        kgrid = np.fft.fftshift(np.fft.fftfreq(nk, dx))
    else:
        k_nyq = 1.0 / (2 * plan.spacing)
        search = _irregular_search(
            plan.pos,
            w,
            plan.narrow,
            plan.wide,
            plan.spacing,
            k_nyq,
            nk,
            plan.freqs[plan.fidx],
            plan.sr / plan.nfft,
            plan.n_seg,
            k_max,
            plan.tu,
            plan.su,
        )
        kgrid = search["kgrid"]
    plan.__dict__.update(lat=lat, kind=kind, nk=nk, w=w, search=search, k_nyq=k_nyq, kgrid=kgrid)


def _to_power(c, cnt, plan):
    """Power (..., kx, ky) from sums over ``cnt`` windows: of the cross-spectra
    (irregular layouts) or of the lattice's FFT power in ``fftfreq`` order."""
    c = c / np.maximum(cnt, 1)[:, None, None, None]
    if plan.lat is not None:
        p = np.fft.fftshift(c, axes=(-2, -1))
    else:
        p = _steered_power(
            c,
            plan.w,
            plan.pos,
            plan.kgrid,
            plan.kgrid,
            radius=plan.search["computed"],
            box=plan.k_nyq,
        )
    p = np.swapaxes(p, -1, -2)  # (..., kx, ky)
    return np.where(cnt[:, None, None, None] > 0, p, np.nan)


def _as_spectrum(grid, plan, sums, segments):
    """The spectrum DataArray from the sums over windows ``(cross-spectra or lattice
    power, site power, count)`` (lazy when they are)."""
    fidx, kgrid, n_seg = plan.fidx, plan.kgrid, plan.n_seg
    csd, site_power, count = sums
    # the taper-weighted mean power of the sites: no plane wave can exceed it
    site_power = site_power / np.maximum(count, 1)[:, None]
    if hasattr(csd, "dask"):
        import dask.array as dsa

        power = dsa.map_blocks(
            lambda c, n: _to_power(c, n[:, 0, 0, 0], plan),
            csd.rechunk(-1),
            count.rechunk(-1)[:, None, None, None],
            dtype=float,
            chunks=((n_seg,), (len(fidx),), (len(kgrid),), (len(kgrid),)),
        )
        n_windows = None
    else:
        power = _to_power(csd, count, plan)
        n_windows = count
    coords, attrs = _coords_attrs(grid, plan)
    if segments is None:
        power = power[0]
        dims = ("f", "kx", "ky")
        coords["site_power"] = ("f", site_power[0], {"long_name": "taper-weighted mean site power"})
        # lazy: the windows planned (those with NaN samples are skipped when computed)
        attrs["n_windows"] = int(plan.n_win if n_windows is None else n_windows[0])
    else:
        dims = ("segment", "f", "kx", "ky")
        coords["segment"] = np.arange(n_seg)
        coords["site_power"] = (
            ("segment", "f"),
            site_power,
            {"long_name": "taper-weighted mean site power"},
        )
        if n_windows is not None:
            coords["n_windows"] = ("segment", np.asarray(n_windows, int))
            attrs["n_windows"] = int(np.sum(n_windows))
        else:
            coords["n_windows"] = ("segment", count)  # lazy, like the power
            attrs["n_windows"] = int(plan.n_win)
    return xr.DataArray(power, dims=dims, coords=coords, name="power", attrs=attrs)


def _coords_attrs(grid, plan):
    """Coords (f, kx, ky; k_radius of an irregular layout) and attrs of the spectrum."""
    freqs, fidx, kgrid, su, lat = plan.freqs, plan.fidx, plan.kgrid, plan.su, plan.lat
    band, pos, search = plan.band, plan.pos, plan.search
    fcoord = xr.Variable("f", freqs[fidx], attrs={"units": plan.funit, "long_name": "frequency"})
    kunit = f"cycles/{su}"
    coords = {
        "f": fcoord,
        "kx": xr.Variable("kx", kgrid.copy(), attrs={"units": kunit, "long_name": "wavenumber x"}),
        "ky": xr.Variable("ky", kgrid.copy(), attrs={"units": kunit, "long_name": "wavenumber y"}),
    }
    keep = {
        k: v
        for k, v in grid.attrs.items()
        if k in ("source", "kind", "subject", "array_id", "format", "sampling_rate")
    }
    attrs = {
        **keep,
        "sampling_rate": float(plan.sr),
        "time_units": plan.tu,
        "space_units": su,
        "long_name": "wavenumber-frequency power",
        "units": "signal units squared (plane-wave amplitude squared)",
        "band": [float(freqs[fidx][0]), float(freqs[fidx][-1])]
        if band is None
        else [float(band[0]), float(band[1])],
        "window": int(plan.window),
        "overlap": float(plan.overlap),
        "n_windows_total": int(plan.n_win),
        "taper": plan.taper,
        "layout": plan.kind,
        "method": "windowed 3-D FFT (spatial FFT of each window)"
        if lat is not None
        else "least-squares plane-wave projection (steered response)",
        "spacing": float(plan.spacing),
        "extent": [plan.narrow, plan.wide],
        "k_resolution": 1.0 / plan.wide,
        "k_nyquist": float(plan.k_nyq),
        "site_x": [float(v) for v in pos[:, 0]],
        "site_y": [float(v) for v in pos[:, 1]],
        "site_weight": [float(v) for v in plan.w],
    }
    if lat is not None:
        ny, nx, dy, dx = lat
        attrs["lattice"] = [int(ny), int(nx), float(dy), float(dx)]
    else:
        if getattr(plan, "thinned", None):
            attrs["sites_thinned"] = list(plan.thinned)
        attrs["k_search"] = float(search["k_search"])
        attrs["k_alias_free"] = float(search["k_alias_free"])
        attrs["alias_sidelobe"] = float(search["worst"])
        attrs["min_speed"] = (
            float("nan") if search["min_speed"] is None else float(search["min_speed"])
        )
        attrs["k_limited_by"] = search["limited_by"]
        coords["k_radius"] = (
            "f",
            search["radius"],
            {
                "long_name": "largest wavenumber searched (beyond the Nyquist square)",
                "units": kunit,
            },
        )
    return coords, attrs
