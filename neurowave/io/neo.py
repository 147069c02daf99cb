"""Neo reader: NIX (``neo.NixIO``) and every format ``neo.io.get_io`` opens.

Blackrock ``.ns*``/``.nev``, Plexon, Intan, Open Ephys, raw binary, ... Units are
rescaled to µV. Positions come, in this order, from an explicit map, a
same-stem sidecar (e.g. ``<stem>.cmp``), or the file's own annotations (Cobrawap's
``x_coords``/``y_coords`` array annotations with a ``spatial_scale`` annotation, or
``x``/``y`` coordinates per channel). Channel order in the file never matters.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
import warnings
from types import SimpleNamespace

import numpy as np

from .._validate import NeurowaveError, NeurowaveTypeError, check_path, describe_cause
from .positions import assemble_grid, no_positions_error, quiet_nanstd, user_positions

__all__ = ["read_neo", "neo_extensions"]

#: files at least this large are read lazily (dask) when the format allows
LAZY_BYTES = 256 * 2**20
#: NIX files at least this large are read lazily: reading one whole through neo
#: costs about eight times the file in memory (float64 copies), the lazy read one block
NIX_LAZY_BYTES = 64 * 2**20


def neo_extensions():
    """File extensions (lower case, with dot) that some neo IO claims."""
    import neo

    out = set()
    for cls in neo.io.iolist:
        for e in getattr(cls, "extensions", []) or []:
            out.add("." + str(e).lower().lstrip("."))
    return out


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(_io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _select(items, key, what, path, names):
    if isinstance(key, str):
        for it in items:
            if getattr(it, "name", None) == key:
                return it
        raise NeurowaveError(
            f"{path} has no {what} named {key!r}; it has {', '.join(repr(n) for n in names) or 'none with names'}. "
            f"Pass one of those or an index."
        )
    try:
        return items[int(key)]
    except (IndexError, TypeError, ValueError):
        raise NeurowaveError(
            f"{path} has {len(items)} {what}(s); {what} {key!r} does not exist. Pass an index "
            f"below {len(items)} or a name."
        ) from None


NIX_SUFFIXES = (".nix", ".h5")


def _nix_unreadable(path, err, extra=""):
    return NeurowaveError(
        f"{path} is not a readable NIX file ({describe_cause(err)}); it may be truncated"
        f"{extra}. Check the file."
    )


class _NixSignal:
    """A lazy stand-in for a ``neo.AnalogSignal`` stored in a NIX file.

    Holds what ``neo.NixIO`` would put on the signal (name, units, sampling rate,
    t_start, annotations, array annotations, all through neo's own conversion of
    the NIX metadata) and, instead of the samples, the HDF5 paths of the
    per-channel DataArrays that a task reads one time block at a time.
    """

    def __init__(self, path, block_name, das):
        import neo
        import quantities as pq

        attrs = neo.NixIO._nix_attr_to_neo(das[0])
        attrs["nix_name"] = das[0].metadata.name
        timedim = neo.NixIO._get_time_dimension(das[0])
        self.sampling_period = pq.Quantity(timedim.sampling_interval, timedim.unit)
        self.sampling_rate = (1.0 / self.sampling_period).rescale(pq.Hz)
        t_start = attrs.pop("t_start", None)
        self.t_start = (
            t_start
            if isinstance(t_start, pq.Quantity)
            else pq.Quantity(timedim.offset or 0.0, timedim.unit)
        )
        self.name = attrs.pop("name", None)
        attrs.pop("description", None)
        self.array_annotations = attrs.pop("array_annotations", {}) or {}
        self.annotations = attrs
        self.units = pq.Quantity(1.0, das[0].unit or "dimensionless").units
        self.path = str(path)
        self.datasets = [f"/data/{block_name}/data_arrays/{da.name}/data" for da in das]
        self.calibration = [(tuple(da.polynom_coefficients), da.expansion_origin) for da in das]
        n = {int(da.shape[0]) for da in das}
        if len(n) != 1:
            raise NeurowaveError(
                f"{path}: the channels of signal {self.name!r} differ in length ({sorted(n)}); "
                "this is not a neo-written AnalogSignal. Check the file."
            )
        self.shape = (n.pop(), len(das))
        self.dtype = np.dtype(das[0].dtype)


def _nix_chunk(path, datasets, calibration, a, b, dtype, factor):
    """Samples ``a:b`` of every channel of a NIX signal, as ``(b - a, n_channels)``."""
    import h5py

    out = np.empty((b - a, len(datasets)), dtype=dtype)
    try:
        with h5py.File(path, "r") as f:
            for k, (ds, (coeff, origin)) in enumerate(zip(datasets, calibration, strict=True)):
                col = np.asarray(f[ds][a:b])
                if len(coeff) or origin:
                    from nixio.util import apply_polynomial

                    col = col.astype(np.float64)
                    apply_polynomial(coeff, origin or 0.0, col)
                out[:, k] = col
    except (OSError, KeyError, ValueError) as err:
        raise NeurowaveError(
            f"{path}: samples {a}-{b} cannot be read ({describe_cause(err)}); the file may be "
            "truncated or have changed since it was opened. Check the file."
        ) from None
    if factor != 1.0:
        out *= dtype.type(factor)
    return out


def _nix_lazy_blocks(path):
    """Blocks, segments and lazy signals of a neo-written NIX file, without its samples.

    Mirrors ``neo.NixIO.read_all_blocks`` (block groups of type ``neo.segment``,
    their ``neo.analogsignal`` DataArrays grouped per signal in file order).
    """
    import h5py
    import neo
    import nixio

    try:
        nf = nixio.File.open(str(path), nixio.FileMode.ReadOnly)
    except Exception as err:
        raise _nix_unreadable(path, err, " or not NIX/HDF5") from None
    try:
        blocks = []
        for nb in nf.blocks:
            battrs = neo.NixIO._nix_attr_to_neo(nb)
            segs = []
            for grp in nb.groups:
                if grp.type != "neo.segment":
                    continue
                sattrs = neo.NixIO._nix_attr_to_neo(grp)
                das = [
                    da
                    for da in grp.data_arrays
                    if da.type
                    in ("neo.analogsignal", "neo.irregularlysampledsignal", "neo.imagesequence")
                ]
                sigs, images = [], []
                for group in neo.NixIO._group_signals(das).values():
                    if group[0].type == "neo.analogsignal":
                        sigs.append(_NixSignal(path, nb.name, group))
                    elif group[0].type == "neo.imagesequence":
                        images.append(group[0].name)
                segs.append(
                    SimpleNamespace(
                        name=sattrs.pop("name", None),
                        annotations=sattrs,
                        analogsignals=sigs,
                        imagesequences=images,
                    )
                )
            blocks.append(
                SimpleNamespace(name=battrs.pop("name", None), annotations=battrs, segments=segs)
            )
    except NeurowaveError:
        raise
    except Exception as err:
        raise _nix_unreadable(path, err) from None
    finally:
        with contextlib.suppress(Exception):
            nf.close()
    with h5py.File(str(path), "r") as f:  # the layout the chunk reader relies on
        for b in blocks:
            for s in b.segments:
                for sig in s.analogsignals:
                    missing = [d for d in sig.datasets if d not in f]
                    if missing:
                        raise NeurowaveError(
                            f"{path}: NIX DataArray {missing[0]} is not where the NIX layout puts "
                            "it. Read the file with lazy=False."
                        )
    return blocks


def _open_blocks(path, lazy, io_kwargs):
    import neo

    suffix = path.suffix.lower()
    if suffix in NIX_SUFFIXES and not io_kwargs:
        if lazy:
            with _quiet():
                return _nix_lazy_blocks(path), "nix", True
        with _quiet():
            try:
                reader = neo.NixIO(str(path), mode="ro")
            except Exception as err:
                raise _nix_unreadable(path, err, " or not NIX/HDF5") from None
            try:
                blocks = reader.read_all_blocks()
            except Exception as err:
                raise _nix_unreadable(path, err) from None
            finally:
                with contextlib.suppress(Exception):
                    reader.close()
        return blocks, "nix", False
    with _quiet():
        try:
            if suffix == ".nix":  # options for neo's rawio NIX reader
                reader = neo.io.NixIOFr(str(path), **io_kwargs)
            else:
                reader = neo.io.get_io(str(path), **io_kwargs)
        except OSError as err:
            raise NeurowaveError(
                f"{path}: neo cannot open it ({describe_cause(err)}). Check the file or its extension."
            ) from None
        can_lazy = bool(getattr(reader, "support_lazy", False))
        blocks = reader.read(lazy=bool(lazy and can_lazy))
        fmt = type(reader).__name__.replace("IO", "").lower()
        return blocks, fmt, bool(lazy and can_lazy)


def _to_uv_factor(units):
    import quantities as pq

    try:
        return float(pq.Quantity(1.0, units).rescale(pq.uV).magnitude), "uV"
    except ValueError:
        return 1.0, str(getattr(units, "dimensionality", units))


def _lazy_array(proxy, factor, chunk_samples):
    import dask
    import dask.array as dsa

    if isinstance(proxy, _NixSignal):
        n, nc = proxy.shape
        dtype = np.dtype(np.float64 if proxy.dtype == np.float64 else np.float32)
        load = dask.delayed(_nix_chunk, pure=True)
        blocks = [
            dsa.from_delayed(
                load(
                    proxy.path,
                    proxy.datasets,
                    proxy.calibration,
                    a,
                    min(n, a + chunk_samples),
                    dtype,
                    factor,
                ),
                shape=(min(n, a + chunk_samples) - a, nc),
                dtype=dtype,
            )
            for a in range(0, n, chunk_samples)
        ]
        return dsa.concatenate(blocks, axis=0) if blocks else dsa.zeros((0, nc), dtype=dtype)
    rawio = proxy._rawio
    inner = proxy._inner_stream_channels
    if isinstance(inner, slice) and inner == slice(None):
        chan = None
    else:
        chan = np.arange(proxy._nb_total_chann_in_stream)[inner]
    n, nc = proxy.shape
    dtype = np.float64 if proxy.dtype == "float64" else np.float32

    def load(a, b):
        raw = rawio.get_analogsignal_chunk(
            block_index=proxy._block_index,
            seg_index=proxy._seg_index,
            i_start=a,
            i_stop=b,
            stream_index=proxy._stream_index,
            channel_indexes=chan,
        )
        sig = rawio.rescale_signal_raw_to_float(
            raw, dtype=dtype, stream_index=proxy._stream_index, channel_indexes=chan
        )
        return sig * dtype(factor) if factor != 1.0 else sig

    blocks = [
        dsa.from_delayed(
            dask.delayed(load)(a, min(n, a + chunk_samples)),
            shape=(min(n, a + chunk_samples) - a, nc),
            dtype=dtype,
        )
        for a in range(0, n, chunk_samples)
    ]
    return dsa.concatenate(blocks, axis=0) if blocks else dsa.zeros((0, nc), dtype=dtype)


def _file_positions(sig, names, path):
    """Positions carried by the signal itself, as a DataFrame, or None."""
    import pandas as pd
    import quantities as pq

    aa = getattr(sig, "array_annotations", {}) or {}
    ann = getattr(sig, "annotations", {}) or {}
    for kx, ky in (("x_coords", "y_coords"), ("x", "y"), ("x_pos", "y_pos")):
        if kx in aa and ky in aa:
            x = np.asarray(aa[kx], float)
            y = np.asarray(aa[ky], float)
            scale = ann.get("spatial_scale", None)
            src = f"{path} (array annotations {kx}/{ky}"
            if scale is None:
                scale_mm = 1.0
                src += ", assumed mm)"
                if kx == "x_coords":
                    raise NeurowaveError(
                        f"{path}: the signal has Cobrawap x_coords/y_coords but no spatial_scale "
                        "annotation. Add annotations['spatial_scale'] (e.g. 0.4*pq.mm) or pass positions=MAP."
                    )
            else:
                if isinstance(scale, pq.Quantity):
                    try:
                        scale_mm = float(scale.rescale(pq.mm).magnitude)
                    except ValueError:
                        raise NeurowaveError(
                            f"{path}: the signal's spatial_scale is {scale}, not a length; "
                            "annotate it in mm (e.g. 0.4 * pq.mm) or pass positions=MAP."
                        ) from None
                else:
                    scale_mm = float(scale)  # a bare number is taken as mm
                src += f" x spatial_scale {scale_mm:g} mm)"
            df = pd.DataFrame({"x": x * scale_mm, "y": y * scale_mm}, index=names)
            df.attrs = {"source": src, "format": "neo-annotations"}
            return df
    return None


def read_neo(
    path,
    *,
    positions=None,
    block=0,
    segment=0,
    signal=0,
    lazy=None,
    chunk_samples=None,
    units=None,
    io_kwargs=None,
):
    """Read a recording through Neo into a wave grid (µV).

    Parameters
    ----------
    path : path-like | neo.Block | neo.Segment | neo.AnalogSignal
        A NIX file (``.nix``) or any file/folder ``neo.io.get_io`` opens (Blackrock
        ``.ns5``/``.ns6``, raw binary, ...), or a Neo object already in memory (no file
        is written; its positions come from ``positions`` or from Cobrawap's
        ``x_coords``/``y_coords`` array annotations with ``spatial_scale``, as in a file).
    positions : path-like | pandas.DataFrame | array-like | None
        Electrode map overriding sidecars and file annotations. With a Neo object it
        may also be a table indexed by channel name with ``x``/``y`` in mm, or an
        ``(n_channels, 2)`` array of x/y in mm in the signal's channel order.
    block, segment, signal : int | str
        Which block, segment and analog signal to read, by index or name (a Segment
        takes ``segment``-level selection only: ``signal``; an AnalogSignal none).
    lazy : bool | None
        Read lazily into a dask-backed grid; default: when the file is large
        (>= 256 MiB; NIX >= 64 MiB) and the format supports it. Neo formats with a rawio backend
        are read through neo's proxy objects; NIX files through neo's own conversion
        of the NIX metadata (names, units, annotations as ``neo.NixIO`` gives them)
        with the samples read from the per-channel HDF5 datasets one time block per
        dask task, so memory is set by ``chunk_samples``, not by the recording.
    chunk_samples : int | None
        Samples per dask chunk in lazy mode (default ~ 16 MiB of float32 per chunk).
    units : str | None
        Units of the samples when the file (or object) declares none (dimensionless).
        A Neo object whose samples are neither a voltage nor dimensionless is refused.
    io_kwargs : dict | None
        Passed to the neo IO class (e.g. ``dtype``, ``nb_channel`` and
        ``sampling_rate`` for ``RawBinarySignalIO``).

    Returns
    -------
    grid : xarray.DataArray
        ``("time", "y", "x")`` when the positions lie on a lattice (NaN where there
        is no electrode), else ``("time", "channel")``. Flat or all-NaN channels are
        NaN sites (not checked in lazy mode, which never reads the data). Eager
        grids are float64; lazy ones are float64 for float64 samples and float32
        (half the memory per block) for all others.

    Examples
    --------
    >>> import os, tempfile, numpy as np, neo, quantities as pq
    >>> sig = neo.AnalogSignal(np.random.default_rng(0).normal(size=(100, 4)), units="mV",
    ...                        sampling_rate=1 * pq.kHz, spatial_scale=0.4 * pq.mm,
    ...                        array_annotations={"x_coords": [0, 1, 0, 1],
    ...                                           "y_coords": [0, 0, 1, 1]})
    >>> seg = neo.Segment(); seg.analogsignals.append(sig)
    >>> blk = neo.Block(); blk.segments.append(seg)
    >>> p = os.path.join(tempfile.mkdtemp(), "rec.nix")
    >>> with neo.NixIO(p, mode="ow") as w:
    ...     w.write_block(blk)
    >>> read_neo(p).shape
    (100, 2, 2)
    >>> read_neo(blk).attrs["source"]  # the same Block, in memory
    'in-memory neo.Block'
    """
    if not isinstance(path, (str, os.PathLike)):
        return _read_neo_object(
            path,
            positions=positions,
            block=block,
            segment=segment,
            signal=signal,
            lazy=lazy,
            chunk_samples=chunk_samples,
            units=units,
            io_kwargs=io_kwargs,
        )
    path = check_path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes), not a recording. Check the file.")
    if lazy is None:
        size = (
            path.stat().st_size
            if path.is_file()
            else sum(p.stat().st_size for p in path.parent.glob(path.stem + ".*"))
        )
        lazy = size >= (NIX_LAZY_BYTES if path.suffix.lower() in NIX_SUFFIXES else LAZY_BYTES)
    try:
        blocks, fmt, is_lazy = _open_blocks(path, lazy, io_kwargs or {})
    except ValueError:
        raise
    except Exception as err:
        raise NeurowaveError(
            f"{path} cannot be read by neo ({describe_cause(err)}); it may "
            "be truncated or not of the format its extension says. Check the file."
        ) from None
    if not blocks:
        raise NeurowaveError(f"{path} holds no blocks. Check the file.")
    blk, seg, sig = _pick(blocks, block, segment, signal, path)
    return _grid_from_signal(
        sig,
        blk,
        seg,
        (block, segment, signal),
        label=path,
        fmt=fmt,
        is_lazy=is_lazy,
        chunk_samples=chunk_samples,
        units=units,
        pmap=lambda names: user_positions(path, positions),
    )


def _pick(blocks, block, segment, signal, label):
    """The block, segment and analog signal the selectors name."""
    blk = _select(blocks, block, "block", label, [b.name for b in blocks])
    segs = blk.segments
    if not segs:
        raise NeurowaveError(f"{label}: block {block!r} has no segments. Check the file.")
    seg = _select(segs, segment, "segment", label, [s.name for s in segs])
    sigs = list(seg.analogsignals)
    if not sigs:
        what = "image sequences" if getattr(seg, "imagesequences", None) else "no data"
        raise NeurowaveError(
            f"{label} holds no analog signals (segment {segment!r} has {what}). Pass a "
            "recording with continuous signals (an image stack reads with read_imaging)."
        )
    return blk, seg, _select(sigs, signal, "signal", label, [s.name for s in sigs])


def _channel_names(sig):
    """Channel names (from array annotations, else ``ch<id>``) and integer ids or None."""
    aa = getattr(sig, "array_annotations", {}) or {}
    nc = sig.shape[1]
    names = None
    for key in ("channel_names", "channel_name", "names"):
        if key in aa and len(aa[key]) == nc:
            names = [str(n) for n in aa[key]]
            break
    ids = None
    if "channel_ids" in aa and len(aa["channel_ids"]) == nc:
        try:
            ids = [int(str(i).strip()) for i in aa["channel_ids"]]
        except ValueError:
            ids = None
    if names is None:
        names = [f"ch{i}" for i in (ids or range(nc))]
    if len(set(names)) != nc:
        names = [f"{n}#{k}" for k, n in enumerate(names)]
    return names, ids


def _grid_from_signal(sig, blk, seg, selectors, *, label, fmt, is_lazy, chunk_samples, units, pmap):
    """The wave grid of one Neo signal (file or memory); ``pmap(names)`` gives the
    user's positions table or None (then the signal's own annotations are used)."""
    block, segment, signal = selectors
    names, ids = _channel_names(sig)
    nc = len(names)
    factor, unit = _to_uv_factor(sig.units)
    if unit != "uV" and units is not None:
        factor, unit = _to_uv_factor(units)
    sr = float(sig.sampling_rate.rescale("Hz").magnitude)
    t0 = float(sig.t_start.rescale("s").magnitude)
    if is_lazy:
        if chunk_samples is None:
            chunk_samples = max(1024, int(16 * 2**20 / (4 * nc)))
        data = _lazy_array(sig, factor, int(chunk_samples))
        dead = None
        flat = []
    else:
        with _quiet():
            if hasattr(sig, "load"):
                sig = sig.load()
        if unit == "uV" and _is_voltage(sig.units):
            data = np.asarray(sig.rescale("uV").magnitude, dtype=np.float64)
        else:
            data = np.asarray(sig.magnitude, dtype=np.float64) * factor
        std = quiet_nanstd(data, axis=0) if data.size else np.zeros(nc)
        dead = ~np.any(np.isfinite(data), axis=0) | (std == 0)
        flat = [n for n, d in zip(names, dead, strict=True) if d]
    # positions, in the documented order
    positions = pmap(names)
    if positions is None:
        positions = _file_positions(sig, names, label)
    if positions is None:
        raise _no_positions(label)
    attrs = {
        "format": fmt,
        "units": unit,
        "neo_block": blk.name if blk.name else str(block),
        "neo_segment": seg.name if seg.name else str(segment),
        "neo_signal": sig.name if sig.name else str(signal),
        "channel_names": names,
        "flat_channels": flat,
        "lazy": bool(is_lazy),
    }
    for key in ("subject", "subject_id", "array", "array_id", "electrode_array", "animal_id"):
        for src in (getattr(sig, "annotations", {}), blk.annotations, seg.annotations):
            if src and key in src and key not in attrs:
                attrs[key if key not in ("subject_id",) else "subject"] = str(src[key])
    return assemble_grid(
        data,
        names,
        positions,
        sampling_rate=sr,
        source=str(label),
        fmt=fmt,
        attrs=attrs,
        dead=dead,
        aliases=ids,
        t0=t0,
    )


def _no_positions(label):
    if isinstance(label, str) and label.startswith("in-memory"):
        return NeurowaveError(
            f"The {label} carries no electrode positions (no x_coords/y_coords array "
            "annotations). Annotate the signal as Cobrawap does (array_annotations "
            "x_coords/y_coords and annotations['spatial_scale']) or pass positions= (an "
            "electrode map file, a table with x/y in mm, or an (n_channels, 2) array)."
        )
    return no_positions_error(label, "electrode positions (no x_coords/y_coords annotations)")


# --------------------------------------------------------------------------- in memory
def _read_neo_object(
    obj, *, positions, block, segment, signal, lazy, chunk_samples, units, io_kwargs
):
    """:func:`read_neo` of a ``neo.Block``, ``neo.Segment`` or ``neo.AnalogSignal``."""
    from ._memory import NEO_TYPES, is_neo_object, memory_label, memory_positions

    kind = type(obj).__name__
    if not is_neo_object(obj) or kind not in NEO_TYPES:
        what = f"neo.{kind}" if is_neo_object(obj) else type(obj).__name__
        hint = (
            " (irregularly sampled: resample it onto a regular clock and pass an AnalogSignal)"
            if kind == "IrregularlySampledSignal"
            else ""
        )
        raise NeurowaveTypeError(
            f"read_neo takes a path or a neo.Block, neo.Segment or neo.AnalogSignal, not a "
            f"{what}{hint}; pass one of those."
        )
    label = memory_label(obj)
    given = [
        k
        for k, v in (("lazy", lazy), ("chunk_samples", chunk_samples), ("io_kwargs", io_kwargs))
        if v
    ]
    if given:
        raise NeurowaveError(
            f"{' and '.join(given)} apply to files, and the {label} is "
            "already in memory; leave them out."
        )
    blk = obj if kind == "Block" else None
    seg = obj if kind == "Segment" else None
    if blk is None:
        _only_one(block, "block", label)
        if seg is None:
            _only_one(segment, "segment", label)
            _only_one(signal, "signal", label)
            seg = SimpleNamespace(name=None, annotations={}, analogsignals=[obj])
        blk = SimpleNamespace(name=None, annotations={}, segments=[seg])
    blk, seg, sig = _pick([blk], 0 if kind != "Block" else block, segment, signal, label)
    _check_memory_signal(sig, label, units)
    return _grid_from_signal(
        sig,
        blk,
        seg,
        (block, segment, signal),
        label=label,
        fmt="neo",
        is_lazy=False,
        chunk_samples=None,
        units=units,
        pmap=lambda names: memory_positions(positions, names, label),
    )


def _only_one(key, what, label):
    if key not in (0, None):
        raise NeurowaveError(
            f"{what}={key!r} selects a {what} inside a larger neo object, "
            f"and the {label} is one {what} already; leave {what} out."
        )


def _check_memory_signal(sig, label, units):
    """One sentence for a signal neurowave cannot use: no regular sampling rate, the
    wrong shape, samples that are not a voltage."""
    import quantities as pq

    if type(sig).__name__ not in ("AnalogSignal", "AnalogSignalProxy"):
        raise NeurowaveTypeError(
            f"The {label} holds a {type(sig).__name__} where an AnalogSignal belongs; "
            "resample it onto a regular clock and pass a neo.AnalogSignal."
        )
    try:
        sr = float(sig.sampling_rate.rescale(pq.Hz).magnitude)
    except (AttributeError, ValueError, TypeError):
        sr = float("nan")
    if not (np.isfinite(sr) and sr > 0):
        raise NeurowaveError(
            f"The {label} has no usable sampling rate ({getattr(sig, 'sampling_rate', None)}); "
            "build the AnalogSignal with sampling_rate= in Hz (e.g. 1 * pq.kHz)."
        )
    if len(sig.shape) != 2 or sig.shape[0] < 2:
        raise NeurowaveError(
            f"The {label} has shape {tuple(sig.shape)}; pass an AnalogSignal "
            "of (n_samples, n_channels) with at least two samples."
        )
    dim = sig.units.dimensionality.string
    unitless = dim == "dimensionless"
    if not (_is_voltage(sig.units) or (unitless and (units is None or _is_voltage(units)))):
        raise NeurowaveError(
            f"The {label} has units of {dim if not unitless else units}, not a voltage; "
            "rescale it to a voltage "
            "(e.g. signal.rescale('uV')), or build unitless samples with "
            "units='dimensionless' and pass units= naming their voltage."
        )


def _is_voltage(units):
    import quantities as pq

    try:
        pq.Quantity(1.0, units).rescale(pq.V)
    except (ValueError, LookupError, TypeError):
        return False
    return True
