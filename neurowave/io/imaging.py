"""Imaging reader: TIFF stacks (widefield calcium imaging) into wave grids."""

from __future__ import annotations

import contextlib
import io as _io
import re
import warnings

import numpy as np

from .._validate import NeurowaveError, check_path, check_positive, describe_cause

__all__ = ["read_imaging", "background_mask"]

TIFF_SUFFIXES = (".tif", ".tiff")
#: stacks at least this large on disk are read lazily (frame blocks into dask)
LAZY_BYTES = 256 * 2**20


def _otsu(values, nbins=256):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    hist, edges = np.histogram(v, bins=nbins)
    mids = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * mids)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(mids[np.argmax(between[:-1])])


def background_mask(mean_image, *, method="otsu"):
    """Boolean mask of background pixels of a time-averaged image.

    Parameters
    ----------
    mean_image : ndarray, shape (ny, nx)
    method : "otsu" | float
        ``"otsu"``: pixels below Otsu's threshold of the mean intensity are background.
        A float ``f`` in (0, 1): pixels whose mean lies below ``min + f * (max - min)``
        are background (Cobrawap's ``INTENSITY_THRESHOLD``).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((4, 4), 1000.0); img[0, 0] = img[0, 1] = 10.0
    >>> int(background_mask(img).sum())
    2
    """
    m = np.asarray(mean_image, float)
    if isinstance(method, str):
        if method != "otsu":
            raise NeurowaveError(
                f"`mask` must be 'otsu', a fraction in (0, 1) or None, got {method!r}."
            )
        thr = _otsu(m)
    else:
        f = float(method)
        if not 0 < f < 1:
            raise NeurowaveError(f"`mask` as a number must lie in (0, 1), got {method!r}.")
        lo, hi = np.nanmin(m), np.nanmax(m)
        thr = lo + f * (hi - lo)
    return ~(m >= thr)


def _natural_key(p):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def _frame_rate_from_tiff(files):
    """Frame rate from Hamamatsu ``Time_From_Start`` headers, or None."""
    from PIL import Image

    times = []
    for f in files[: min(len(files), 50)]:
        try:
            with Image.open(f) as im:
                desc = im.tag_v2.get(270)
        except Exception:
            return None
        if not desc:
            return None
        mt = re.search(r"Time_From_Start\s*=\s*(\d+):(\d+):([\d.]+)", str(desc))
        if not mt:
            return None
        h, mnt, s = mt.groups()
        times.append(int(h) * 3600 + int(mnt) * 60 + float(s))
    if len(times) < 2:
        return None
    dt = np.median(np.diff(times))
    return float(np.round(1.0 / dt, 4)) if dt > 0 else None


def _read_stack(path):
    """(frames (nt, ny, nx) float32, files, reader name)."""
    if path.is_dir():
        files = sorted(
            [p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES], key=_natural_key
        )
        if not files:
            raise NeurowaveError(f"{path} holds no .tif/.tiff files. Pass a folder of TIFF frames.")
        import neo
        import PIL.Image  # noqa: F401  (neo 0.14.6's TiffIO needs it imported)
        import quantities as pq

        try:
            with contextlib.redirect_stdout(_io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = neo.io.TiffIO(
                    directory_path=str(path).rstrip("/"),
                    units="dimensionless",
                    sampling_rate=1.0 * pq.Hz,
                    spatial_scale=1.0 * pq.mm,
                )
                blk = reader.read_block()
        except Exception as err:
            raise NeurowaveError(
                f"{path}: the TIFF frames cannot be read ({describe_cause(err)}). "
                "Check that every frame is a single-image TIFF of the same size."
            ) from None
        seq = blk.segments[0].imagesequences[0]
        return np.asarray(seq.magnitude, dtype=np.float32), files, "neo.TiffIO"
    import tifffile

    try:
        with tifffile.TiffFile(str(path)) as tif:
            several = len(tif.series) > 1
        if several:  # every series, concatenated (or a sentence naming them)
            load, n, _ = _stack_source(path, [path])
            return load(0, n), [path], "tifffile"
        arr = tifffile.imread(str(path))
    except NeurowaveError:
        raise
    except Exception as err:
        raise NeurowaveError(
            f"{path} is not a readable TIFF ({describe_cause(err)}). Check the file."
        ) from None
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise NeurowaveError(
            f"{path}: expected a stack of greyscale frames, got shape {arr.shape}."
        )
    return arr.astype(np.float32), [path], "tifffile"


def _load_files(files, a, b):
    """Frames ``a:b`` of a folder of single-frame TIFFs, as neo's ``TiffIO`` reads them."""
    from PIL import Image

    out = []
    for f in files[a:b]:
        try:
            with Image.open(f) as im:
                frame = np.array(im)
                if frame.ndim == 3:  # colour: luminance, as neo.TiffIO does
                    frame = np.array(im.convert("L"))
        except Exception as err:
            raise NeurowaveError(
                f"{f}: the TIFF frame cannot be read ({describe_cause(err)}). Check the file."
            ) from None
        out.append(frame.astype(np.float32))
    shapes = {fr.shape for fr in out}
    if len(shapes) > 1:
        raise NeurowaveError(
            f"the TIFF frames {files[a]} ... {files[b - 1]} differ in size "
            f"({sorted(shapes)}). Check that every frame has the same size."
        )
    return np.stack(out)


def _load_pages(path, a, b):
    """Frames ``a:b`` of a multi-page TIFF file."""
    import tifffile

    arr = tifffile.imread(str(path), key=list(range(a, b)))
    return arr.reshape((b - a,) + arr.shape[-2:]).astype(np.float32)


def _stack_source(path, files):
    """How to read a stack block by block: ``(loader, n_frames, frame_shape)``, where
    ``loader(a, b)`` returns frames ``a:b`` as float32; None when the file's frames
    cannot be addressed one by one (read whole)."""
    import functools

    if path.is_dir():
        first = _load_files(files, 0, 1)
        return (
            functools.partial(_load_files, tuple(str(f) for f in files)),
            len(files),
            first.shape[1:],
        )
    import tifffile

    try:
        with tifffile.TiffFile(str(path)) as tif:
            series = [(tuple(sr.shape), len(sr.pages)) for sr in tif.series]
            n_file_pages = len(tif.pages)
    except Exception as err:
        raise NeurowaveError(
            f"{path} is not a readable TIFF ({describe_cause(err)}). Check the file."
        ) from None
    if len(series) > 1:
        return _multi_series(path, series, n_file_pages)
    shape, n_pages = series[0]
    if len(shape) == 2 and n_pages == 1:
        return functools.partial(_load_pages, str(path)), 1, shape
    if len(shape) == 3 and n_pages == shape[0]:
        return functools.partial(_load_pages, str(path)), shape[0], shape[1:]
    return None


def _multi_series(path, series, n_file_pages):
    """A TIFF holding several series is read whole: its series, each one frame or a
    stack of frames of one size, concatenated in file order; else one sentence naming
    the series."""
    import functools

    frames = [shape[-2:] for shape, _ in series]
    ok = all(
        len(shape) in (2, 3) and n == (1 if len(shape) == 2 else shape[0]) for shape, n in series
    )
    if ok and len(set(frames)) == 1 and sum(n for _, n in series) == n_file_pages:
        return functools.partial(_load_pages, str(path)), n_file_pages, frames[0]
    listed = "; ".join(f"series {i}: {shape}" for i, (shape, _) in enumerate(series[:4]))
    more = f"; ... ({len(series)} series in all)" if len(series) > 4 else ""
    raise NeurowaveError(
        f"{path} holds {len(series)} image series that cannot be read as one stack of "
        f"frames ({listed}{more}); save each series as its own file or stack and read "
        "them one by one."
    )


def _blocks(n, size):
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _first_pass(load, n, size):
    """Mean image (float64), and the pixels that never change, from frame blocks."""
    total = lo = hi = None
    for a, b in _blocks(n, size):
        fr = load(a, b)
        s, m0, m1 = fr.sum(axis=0, dtype=np.float64), fr.min(axis=0), fr.max(axis=0)
        if total is None:
            total, lo, hi = s, m0, m1
        else:
            total += s
            np.minimum(lo, m0, out=lo)
            np.maximum(hi, m1, out=hi)
    return total / n, lo == hi


def _pixel_percentile(load, n, shape, q, size, budget=64 * 2**20):
    """Per-pixel percentile over time, one band of rows at a time (the stack is read
    once per band; a band of every frame holds at most ``budget`` bytes)."""
    ny, nx = shape
    rows = max(1, int(budget // (8 * n * nx)))
    out = np.empty(shape, np.float64)
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        band = np.empty((n, r1 - r0, nx), np.float64)
        for a, b in _blocks(n, size):
            band[a:b] = load(a, b)[:, r0:r1]
        out[r0:r1] = np.percentile(band, q, axis=0)
    return out


def _bin_frames(out, bin):
    if bin == 1:
        return out
    nt, ny, nx = out.shape
    ny2, nx2 = ny // bin, nx // bin
    blocks = out[:, : ny2 * bin, : nx2 * bin].reshape(nt, ny2, bin, nx2, bin)
    valid = np.isfinite(blocks)
    total = np.where(valid, blocks, 0.0).sum(axis=(2, 4))
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN where a block has no pixel
        return total / valid.sum(axis=(2, 4))


def _transposed(load, a, b):
    return np.ascontiguousarray(load(a, b).transpose(0, 2, 1))


def _dff_block(load, a, b, f0, bg, bin):
    """Frames ``a:b`` as the grid holds them: ΔF/F (when ``f0`` is given), NaN on
    ``bg``, binned."""
    out = load(a, b).astype(np.float64)
    if f0 is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (out - f0) / f0
    out[:, bg] = np.nan
    return _bin_frames(out, bin)


def read_imaging(
    path,
    *,
    frame_rate=None,
    pixel_size=None,
    mask="otsu",
    dff=True,
    baseline="mean",
    bin=1,
    transpose=False,
    lazy=None,
    chunk_frames=None,
):
    """Read a TIFF image stack (widefield imaging) into a ``("time", "y", "x")`` grid.

    Parameters
    ----------
    path : path-like
        A folder of single-frame TIFFs (read with Neo's ``TiffIO``, frames in natural
        numeric order) or a multi-page TIFF file.
    frame_rate : float | None
        Frames per second; default from the files (Hamamatsu ``Time_From_Start``).
    pixel_size : float
        Pixel size in mm (not stored in standard TIFF tags; required).
    mask : "otsu" | float | None
        Background criterion on the time-averaged intensity (see
        :func:`background_mask`); background pixels become NaN sites.
    dff : bool
        Return ΔF/F = (F - F0) / F0 per pixel (``baseline`` F0) instead of raw counts.
    baseline : "mean" | "median" | float
        F0: the pixel's time mean, median, or this percentile.
    bin : int
        Average ``bin`` x ``bin`` pixel blocks (NaN-aware) to speed up analysis.
    transpose : bool
        Transpose every frame (Cobrawap's curation of the example stack).
    lazy : bool | None
        Read frame by frame into a dask-backed grid; default: when the stack is large
        (>= 256 MiB on disk). A first pass over blocks of frames computes the mean
        image (background mask, ΔF/F baseline) and the pixels that never change, so
        the whole stack is never in memory; ΔF/F is then applied block by block when
        the grid is computed. A median or percentile baseline reads the stack once
        more per band of rows (at most 64 MiB each).
    chunk_frames : int | None
        Frames per block in lazy mode (default: about 16 MiB of float64 per block).

    Returns
    -------
    grid : xarray.DataArray
        y = row of the stored image (row 0 at the top) times the pixel size, x = column.
        Lazy and eager reading give the same grid (float64, same mask and attrs but
        ``lazy``).

    Examples
    --------
    >>> import os, tempfile, numpy as np, tifffile
    >>> p = os.path.join(tempfile.mkdtemp(), "stack.tif")
    >>> tifffile.imwrite(p, np.random.default_rng(0).integers(100, 200, (20, 8, 8), dtype=np.uint16))
    >>> read_imaging(p, frame_rate=25.0, pixel_size=0.05, mask=None).shape
    (20, 8, 8)
    """
    from ..grid import make_grid

    path = check_path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes), not a TIFF. Check the file.")
    if path.is_dir():
        files = sorted(
            [p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES], key=_natural_key
        )
    else:
        files = [path]
    if pixel_size is None:
        raise NeurowaveError(
            f"{path}: the pixel size is not in the TIFF files. Pass pixel_size=MM "
            "(--pixel-size MM on the command line), e.g. 0.05."
        )
    if frame_rate is None:
        frame_rate = _frame_rate_from_tiff(files) if len(files) > 1 else None
        rate_source = "file (Time_From_Start)" if frame_rate else None
        if frame_rate is None:
            raise NeurowaveError(
                f"{path}: the frame rate is not in the TIFF files. Pass frame_rate=HZ "
                "(--frame-rate HZ on the command line)."
            )
    else:
        frame_rate = check_positive(frame_rate, "frame_rate")
        rate_source = "option"
    pixel_size = check_positive(pixel_size, "pixel_size")
    bin = int(bin)
    if bin < 1:
        raise NeurowaveError(f"`bin` must be a positive integer, got {bin}.")
    if lazy is None:
        size = sum(f.stat().st_size for f in files) if path.is_dir() else path.stat().st_size
        lazy = size >= LAZY_BYTES
    source = _stack_source(path, files) if lazy else None
    if source is not None:
        out, bg = _read_lazy(
            source,
            mask=mask,
            dff=dff,
            baseline=baseline,
            bin=bin,
            transpose=transpose,
            chunk_frames=chunk_frames,
        )
        how = "neo.TiffIO" if path.is_dir() else "tifffile"  # frames as those read them
    else:
        out, bg, how = _read_eager(
            path, mask=mask, dff=dff, baseline=baseline, bin=bin, transpose=transpose
        )
    ps = pixel_size * bin
    nt, ny, nx = out.shape
    offset = (ps - pixel_size) / 2.0
    attrs = {
        "format": "tiff",
        "reader": how,
        "units": "dF/F" if dff else "counts",
        "n_frames": int(nt),
        "pixel_size_mm": float(ps),
        "frame_rate_source": rate_source,
        "positions_source": "pixel grid x pixel_size",
        "background_mask": "none"
        if mask is None
        else ("otsu on mean intensity" if mask == "otsu" else f"mean < min + {mask} x range"),
        "n_background_pixels": int(bg.sum()),
        "orientation": "row 0 = top of the stored image; y grows downward in the image"
        + ("; frames transposed" if transpose else ""),
        "dff_baseline": baseline if dff else "none",
        "bin": bin,
        "lazy": source is not None,
    }
    return make_grid(
        out,
        sampling_rate=frame_rate,
        x=offset + np.arange(nx) * ps,
        y=offset + np.arange(ny) * ps,
        source=str(path),
        kind="recording",
        attrs=attrs,
    )


def _read_eager(path, *, mask, dff, baseline, bin, transpose):
    frames, _, how = _read_stack(path)
    if transpose:
        frames = np.ascontiguousarray(frames.transpose(0, 2, 1))
    raw = frames
    mean_img = raw.mean(axis=0, dtype=np.float64)
    bg = np.zeros(mean_img.shape, bool) if mask is None else background_mask(mean_img, method=mask)
    bg |= raw.max(axis=0) == raw.min(axis=0)  # pixels that never change
    out = raw.astype(np.float64)
    del raw, frames
    if dff:
        if baseline == "mean":
            f0 = mean_img
        elif baseline == "median":
            f0 = np.median(out, axis=0)
        else:
            f0 = np.percentile(out, float(baseline), axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (out - f0) / f0
        bg |= ~(f0 > 0)
    out[:, bg] = np.nan
    return _bin_frames(out, bin), bg, how


def _read_lazy(source, *, mask, dff, baseline, bin, transpose, chunk_frames):
    import functools

    import dask
    import dask.array as dsa

    load, n, shape = source
    if transpose:
        load = functools.partial(_transposed, load)
        shape = shape[::-1]
    ny, nx = shape
    size = int(chunk_frames) if chunk_frames else max(1, int(16 * 2**20 // (8 * ny * nx)))
    if size < 1:
        raise NeurowaveError(f"`chunk_frames` must be a positive integer, got {chunk_frames}.")
    mean_img, flat = _first_pass(load, n, size)
    bg = np.zeros(shape, bool) if mask is None else background_mask(mean_img, method=mask)
    bg |= flat
    f0 = None
    if dff:
        if baseline == "mean":
            f0 = mean_img
        elif baseline == "median":
            f0 = _pixel_percentile(load, n, shape, 50.0, size)
        else:
            f0 = _pixel_percentile(load, n, shape, float(baseline), size)
        bg |= ~(f0 > 0)
    ny2, nx2 = (ny // bin, nx // bin) if bin > 1 else (ny, nx)
    block = dask.delayed(_dff_block, pure=True)
    parts = [
        dsa.from_delayed(block(load, a, b, f0, bg, bin), shape=(b - a, ny2, nx2), dtype=np.float64)
        for a, b in _blocks(n, size)
    ]
    return dsa.concatenate(parts, axis=0), bg
