"""Cross-spectra of a k-omega spectrum: Hann-windowed Fourier transforms of the sites,
summed over windows (``X X^H``) per segment, for NumPy data in place and for dask data
one time chunk at a time; and, on a regular lattice, the power of the spatial FFT of each
window summed directly (:func:`_lattice_sums`), whose memory does not grow with the
square of the number of sites.
"""

from __future__ import annotations

import itertools

import numpy as np


def _window_starts(n_times, nperseg, hop):
    return np.arange(0, n_times - nperseg + 1, hop, dtype=np.int64)


def _csd_kernel(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch=None, vidx=None):
    """Cross-spectral sums over the windows starting at ``starts`` of ``x`` (T, S).

    ``vidx`` selects the sites (columns) used; None: all.

    Returns ``(csd, count)``: ``csd`` (n_seg, F, S, S) complex128, the sum over windows
    of ``X X^H`` (``X`` the Hann-windowed rfft, normalised so that a cosine of
    amplitude A at a bin centre has ``|X| = A``), and ``count`` (n_seg,) the windows
    used. Windows in which any site has a NaN are left out. One BLAS thread: the
    batched products are small, and dask runs chunks in parallel.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _csd_batches(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch, vidx)


def _window_spectra(x, starts, nperseg, nfft, fidx, seg_of, batch, vidx):
    """Batches ``(spec, sg)`` of the Hann-windowed, mean-removed rffts of the windows of
    ``x`` (T, S) starting at ``starts``: ``spec`` (S, B, F) at the bins ``fidx``, ``sg``
    (B,) the windows' segments. Windows with a NaN at any site are left out."""
    import scipy.fft as sf
    from numpy.lib.stride_tricks import sliding_window_view

    dt = np.float32 if x.dtype == np.float32 else np.float64
    taper = np.hanning(nperseg + 1)[:-1] if nperseg > 1 else np.ones(1)  # periodic Hann
    taper = (2.0 / taper.sum()) * taper
    taper_d = taper.astype(dt)
    taper_f = sf.rfft(taper_d, n=nfft)[fidx]  # removing a window's mean, in the spectrum
    for b0 in range(0, len(starts), batch):
        st = starts[b0 : b0 + batch]
        sg = seg_of[b0 : b0 + batch]
        # the span of this batch, sites first, so that each window is contiguous
        span = np.asarray(x[st[0] : st[-1] + nperseg])
        if vidx is not None:
            span = span[:, vidx]
        span = np.ascontiguousarray(span.T, dtype=dt)  # (S, T)
        rel = st - st[0]
        # windows with a NaN anywhere, and window means, from running sums of the span
        bad = np.concatenate([[0], np.cumsum(~np.isfinite(span).all(0))])
        ok = bad[rel + nperseg] == bad[rel]
        if not ok.all():
            rel, sg = rel[ok], sg[ok]
        if len(rel) == 0:
            continue
        csum = np.zeros((span.shape[0], span.shape[1] + 1))
        np.cumsum(span, axis=1, dtype=np.float64, out=csum[:, 1:])
        mean = (csum[:, rel + nperseg] - csum[:, rel]) / nperseg  # (S, B)
        w = sliding_window_view(span, nperseg, axis=1)[:, rel] * taper_d  # (S, B, nperseg)
        spec = sf.rfft(w, n=nfft, axis=-1)[..., fidx]  # (S, B, F)
        spec -= mean[..., None].astype(dt) * taper_f
        yield spec, sg


def _csd_batches(x, starts, nperseg, nfft, fidx, seg_of, n_seg, batch, vidx):
    n_s = x.shape[1] if vidx is None else len(vidx)
    csd = np.zeros((n_seg, len(fidx), n_s, n_s), np.complex128)
    count = np.zeros(n_seg, np.int64)
    if len(starts) == 0:
        return csd, count
    if batch is None:  # about 32 MB of float64 windows per batch
        batch = int(np.clip(2**22 // max(1, nperseg * n_s), 8, 4096))
    for spec, sg in _window_spectra(x, starts, nperseg, nfft, fidx, seg_of, batch, vidx):
        for s in np.unique(sg):
            a = np.ascontiguousarray(spec[:, sg == s].transpose(2, 0, 1))  # (F, S, b)
            ah = np.ascontiguousarray(a.conj().transpose(0, 2, 1))
            csd[s] += np.matmul(a, ah)
            count[s] += a.shape[2]
    return csd, count


def _lattice_kernel(x, starts, nperseg, nfft, fidx, seg_of, n_seg, vidx, lattice):
    """Power sums of the lattice's spatial FFT over the windows of ``x`` (T, S).

    ``lattice`` is ``(ny, nx, nk, w_full)``: the lattice's shape, the FFT size and the
    taper weights of its ``ny * nx`` sites (C order; 0 at dead sites). Each window's
    spectra at the valid sites ``vidx``, weighted, are placed on the lattice and
    transformed with ``P(k_m) = |sum_j w_j X_j exp(+i 2 pi m.j / nk)|^2`` (an inverse
    FFT of size ``nk``), which is the plane-wave power of the cross-spectral method
    without forming the ``S x S`` cross-spectra.

    Returns ``(power, site_power, count)``: (n_seg, F, nk, nk) indexed (ky, kx) in
    ``fftfreq`` order, (n_seg, F) the taper-weighted site power, and (n_seg,) windows,
    all sums over windows.
    """
    import scipy.fft as sf
    from threadpoolctl import threadpool_limits

    ny, nx, nk, w_full = lattice
    n_f = len(fidx)
    power = np.zeros((n_seg, n_f, nk, nk))
    site = np.zeros((n_seg, n_f))
    count = np.zeros(n_seg, np.int64)
    if len(starts) == 0:
        return power, site, count
    wv = np.asarray(w_full, float)[vidx]
    # windows per batch: about 16 MB of windowed samples and of padded FFT planes
    batch = int(
        np.clip(min(2**21 // max(1, nperseg * len(vidx)), 2**21 // max(1, n_f * nk * nk)), 1, 4096)
    )
    with threadpool_limits(1):
        for spec, sg in _window_spectra(x, starts, nperseg, nfft, fidx, seg_of, batch, vidx):
            b = spec.shape[1]
            plane = np.zeros((b, n_f, ny * nx), np.complex128)
            plane[:, :, vidx] = (spec * wv[:, None, None]).transpose(1, 2, 0)
            amp = sf.ifft2(plane.reshape(b, n_f, ny, nx), s=(nk, nk), axes=(-2, -1))
            pw = np.abs(amp * (nk * nk)) ** 2  # (B, F, nk, nk)
            sp = (np.abs(spec) ** 2).transpose(1, 2, 0) @ wv  # (B, F)
            np.add.at(power, sg, pw)
            np.add.at(site, sg, sp)
            np.add.at(count, sg, 1)
    return power, site, count


def _lattice_sums(data, vidx, starts, window, nfft, fidx, seg_of, n_seg, lattice):
    """:func:`_lattice_kernel` over the whole recording; lazy for dask data (one time
    chunk at a time), NumPy data in groups of windows run on the available cores."""
    _ny, _nx, nk, _ = lattice
    kern = _lattice_kernel
    if not hasattr(data, "dask"):
        import os
        from concurrent.futures import ThreadPoolExecutor

        x = np.asarray(data)
        group = int(np.clip(2**24 // max(1, window * len(vidx)), 16, 1 << 20))
        groups = [np.arange(i, min(i + group, len(starts))) for i in range(0, len(starts), group)]
        if len(groups) <= 1:
            return kern(x, starts, window, nfft, fidx, seg_of, n_seg, vidx, lattice)
        workers = max(1, min(len(groups), os.cpu_count() or 1, 4))
        with ThreadPoolExecutor(workers) as pool:
            parts = list(
                pool.map(
                    lambda g: kern(
                        x, starts[g], window, nfft, fidx, seg_of[g], n_seg, vidx, lattice
                    ),
                    groups,
                )
            )
        return tuple(sum(p[i] for p in parts) for i in range(3))
    import dask
    import dask.array as dsa

    x = data.rechunk({1: -1})
    bounds = np.cumsum((0,) + x.chunks[0])
    parts = []
    for a, b in itertools.pairwise(bounds):
        sel = (starts >= a) & (starts < b)
        if not sel.any():
            continue
        st = starts[sel]
        piece = x[int(a) : int(st[-1] + window)]
        parts.append(
            dask.delayed(kern, pure=True, nout=3)(
                piece, st - a, window, nfft, fidx, seg_of[sel], n_seg, vidx, lattice
            )
        )
    shapes = ((n_seg, len(fidx), nk, nk), (n_seg, len(fidx)), (n_seg,))
    dtypes = (float, float, np.int64)
    return tuple(
        dsa.stack([dsa.from_delayed(p[i], shape=shapes[i], dtype=dtypes[i]) for p in parts]).sum(0)
        for i in range(3)
    )


def _csd(data, vidx, starts, window, nfft, fidx, seg_of, n_seg):
    """Cross-spectral sums (n_seg, F, S, S) and window counts; lazy for dask data.

    NumPy data is read in place (no copy of the recording), in groups of windows run on
    the available cores; dask data one time chunk at a time.
    """
    if not hasattr(data, "dask"):
        import os
        from concurrent.futures import ThreadPoolExecutor

        x = np.asarray(data)
        n_s = len(vidx)
        group = int(np.clip(2**24 // max(1, window * n_s), 16, 1 << 20))
        groups = [np.arange(i, min(i + group, len(starts))) for i in range(0, len(starts), group)]
        if len(groups) <= 1:
            return _csd_kernel(x, starts, window, nfft, fidx, seg_of, n_seg, vidx=vidx)
        workers = max(1, min(len(groups), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            parts = list(
                pool.map(
                    lambda g: _csd_kernel(
                        x, starts[g], window, nfft, fidx, seg_of[g], n_seg, vidx=vidx
                    ),
                    groups,
                )
            )
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    import dask
    import dask.array as dsa

    x = data[:, vidx]
    x = x.rechunk({1: -1})
    bounds = np.cumsum((0,) + x.chunks[0])
    parts = []
    f = len(fidx)
    s = len(vidx)
    for a, b in itertools.pairwise(bounds):
        sel = (starts >= a) & (starts < b)
        if not sel.any():
            continue
        st = starts[sel]
        stop = int(st[-1] + window)
        piece = x[int(a) : stop]
        part = dask.delayed(_csd_kernel, pure=True, nout=2)(
            piece, st - a, window, nfft, fidx, seg_of[sel], n_seg
        )
        parts.append(part)
    csds = [dsa.from_delayed(p[0], shape=(n_seg, f, s, s), dtype=np.complex128) for p in parts]
    cnts = [dsa.from_delayed(p[1], shape=(n_seg,), dtype=np.int64) for p in parts]
    return dsa.stack(csds).sum(0), dsa.stack(cnts).sum(0)


# --------------------------------------------------------------------------- estimate
