"""MNE reader: EDF/BDF, FIF, BrainVision, Persyst and whatever ``mne.io.read_raw`` opens."""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
from pathlib import Path

import numpy as np

from .._validate import NeurowaveError, NeurowaveFileNotFoundError, check_path, describe_cause
from .positions import (
    assemble_grid,
    no_positions_error,
    positions_from_montage,
    quiet_nanstd,
    user_positions,
)

__all__ = ["read_mne", "MNE_EXTENSIONS"]

MNE_EXTENSIONS = (
    ".edf",
    ".bdf",
    ".gdf",
    ".fif",
    ".fif.gz",
    ".vhdr",
    ".lay",
    ".set",
    ".cnt",
    ".mff",
    ".nxe",
    ".eeg",
    ".data",
    ".sqd",
    ".con",
    ".ds",
    ".bin",
    ".EDF".lower(),
    ".rec",
    ".edf+",
)
#: channel types treated as cortical sites, in order of preference
SITE_TYPES = ("ecog", "seeg", "eeg")
_BIDS_TYPES = {
    "ECOG": "ecog",
    "SEEG": "seeg",
    "EEG": "eeg",
    "DBS": "dbs",
    "MISC": "misc",
    "EMG": "emg",
    "ECG": "ecg",
    "EOG": "eog",
    "TRIG": "stim",
    "REF": "eeg",
    "RESP": "resp",
    "GSR": "gsr",
    "TEMP": "temp",
    "AUDIO": "misc",
    "PUPIL": "misc",
    "SYSCLOCK": "syst",
    "VEOG": "eog",
    "HEOG": "eog",
}


def _bids_channels_tsv(path):
    """The BIDS ``*_channels.tsv`` belonging to a recording, or None."""
    name = path.name
    for suf in ("_ieeg", "_eeg"):
        i = name.find(suf + ".")
        if i > 0:
            cand = path.parent / (name[:i] + "_channels.tsv")
            if cand.is_file():
                return cand
    return None


def _read_bids_channels(tsv):
    text = tsv.read_text(encoding="utf-8-sig")  # the example files start with a BOM
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    types, status = {}, {}
    for r in rows:
        name = (r.get("name") or "").strip()
        if not name:
            continue
        t = (r.get("type") or "").strip().upper()
        if t in _BIDS_TYPES:
            types[name] = _BIDS_TYPES[t]
        status[name] = (r.get("status") or "").strip().lower()
    return types, status


def read_mne(path, *, positions=None, picks=None, flat_threshold=1e-12, preload=True, raw=None):
    """Read a recording through MNE-Python into a wave grid (µV).

    Parameters
    ----------
    path : path-like | mne.io.BaseRaw
        Any file ``mne.io.read_raw`` opens: EDF/BDF, FIF, BrainVision ``.vhdr``,
        Persyst ``.lay``, EEGLAB ``.set``, ..., or a Raw already in memory (no file is
        written or looked for; ``attrs["source"]`` names it ``in-memory mne ...``).
    positions : path-like | pandas.DataFrame | array-like | None
        Electrode map overriding sidecars and the file's montage (with an in-memory
        Raw also a table with x/y in mm or an (n_channels, 2) array, see
        :func:`~neurowave.io.read_neo`).
    picks : str | list | None
        Channel types, names or name prefixes ending in ``*`` (``"G*"``: every channel
        whose name starts with ``G``, e.g. one grid of several) to use as sites.
        Default: the first of ``"ecog"``, ``"seeg"``, ``"eeg"`` present (types from a
        BIDS ``*_channels.tsv`` when there is one). When the sites of several grids
        (names differing only in their numbers, e.g. ``G1``... and ``OFMG1``...) are
        flattened onto one sheet with more than 20 % error in neighbour distances, a
        warning names the grids and the ``picks`` that choose one.
    flat_threshold : float
        Channels whose standard deviation (in V) is at or below this are dead sites.
    preload : bool
        Load the data (True) or read it only when the grid is computed (a dask array).
    raw : mne.io.BaseRaw | None
        An already opened Raw to use instead of reading ``path``.

    Returns
    -------
    grid : xarray.DataArray
        ``("time", "channel")`` with ``x``/``y`` on the flattened sheet (mm) or
        ``("time", "y", "x")`` when the positions are a regular lattice. Channels in
        ``info['bads']`` or flat are NaN sites; ``attrs`` record the channel types, the
        positions' source, projection and distortion.

    Examples
    --------
    >>> import os, tempfile, numpy as np, mne
    >>> info = mne.create_info(["A", "B", "C"], 100.0, "ecog")
    >>> raw = mne.io.RawArray(np.random.default_rng(0).normal(size=(3, 200)) * 1e-5, info,
    ...                       verbose=False)
    >>> raw.set_montage(mne.channels.make_dig_montage(
    ...     {"A": [0, 0, 0.05], "B": [0.004, 0, 0.05], "C": [0, 0.004, 0.05]},
    ...     coord_frame="head"))  # doctest: +ELLIPSIS
    <RawArray ...>
    >>> p = os.path.join(tempfile.mkdtemp(), "rec_raw.fif")
    >>> _ = raw.save(p, verbose=False)
    >>> read_mne(p).dims
    ('time', 'channel')
    """
    import mne

    from ._memory import memory_positions

    raw, path, label = _open_raw(path, raw)
    if path is not None and path.name.lower().endswith((".edf", ".bdf")):
        _check_edf_size(path)
    tsv = _bids_channels_tsv(path) if path is not None else None
    bids_status = {}
    if tsv is not None:
        types, bids_status = _read_bids_channels(tsv)
        types = {k: v for k, v in types.items() if k in raw.ch_names}
        if types:
            with mne.utils.use_log_level("error"):
                raw.set_channel_types(types, on_unit_change="ignore")
    ch_types = dict(zip(raw.ch_names, raw.get_channel_types(), strict=True))
    if picks is None:
        present = set(ch_types.values())
        kind = next((t for t in SITE_TYPES if t in present), None)
        if kind is None:
            raise NeurowaveError(
                f"{label} has no ECoG, sEEG or EEG channels (types: {', '.join(sorted(present))}). "
                "Pass picks=[channel names] to choose the sites."
            )
        picks = kind
    wanted = [picks] if isinstance(picks, str) else list(picks)
    all_types = set(ch_types.values())
    pick_idx = []
    for w in wanted:
        w = str(w)
        if w in raw.ch_names:
            hits = [raw.ch_names.index(w)]
        elif w.endswith("*") and len(w) > 1:  # a name prefix: one grid of several
            hits = [i for i, n in enumerate(raw.ch_names) if n.startswith(w[:-1])]
        elif w in all_types or w in ("ecog", "seeg", "eeg", "dbs", "misc"):
            hits = [i for i, n in enumerate(raw.ch_names) if ch_types[n] == w]
        else:
            raise NeurowaveError(
                f"{label}: `picks` names {w!r}, which is neither a channel nor a channel type "
                f"of the recording (types: {', '.join(sorted(all_types))}; channels: "
                f"{', '.join(raw.ch_names[:6])}, ...). Pass types or channel names it has."
            )
        pick_idx += [i for i in hits if i not in pick_idx]
    pick_idx = np.asarray(pick_idx, int)
    if pick_idx.size == 0:
        raise NeurowaveError(
            f"{label}: `picks` {picks!r} selects no channels. Choose other types or names."
        )
    names = [raw.ch_names[i] for i in pick_idx]
    bads = set(raw.info["bads"]) | {n for n, s in bids_status.items() if s == "bad"}

    # positions, in the documented order
    if path is None:
        pmap = memory_positions(positions, names, label)
    else:
        pmap = user_positions(path, positions)
    if pmap is None:
        pmap = _montage_positions(raw, names, path, label)

    # data in µV
    scale = np.ones(len(pick_idx))
    for k, i in enumerate(pick_idx):
        unit = raw.info["chs"][i]["unit"]
        if unit == mne.io.constants.FIFF.FIFF_UNIT_V:
            scale[k] = 1e6
    if preload:
        with mne.utils.use_log_level("error"):
            data = _get_data(raw, label, picks=pick_idx).T * scale[None, :]
        std = quiet_nanstd(data / scale[None, :], axis=0)
        flat = std <= flat_threshold
    else:
        data = _lazy_raw(raw, pick_idx, scale, path=label)
        flat = np.zeros(len(names), bool)
    dead = flat | np.array([n in bads for n in names])
    all_names = list(raw.ch_names)
    attrs = {
        "format": _format_name(path) if path is not None else "mne",
        "units": "uV",
        "channel_types": [ch_types[n] for n in names],
        "picks": picks if isinstance(picks, str) else "names",
        "bads": sorted(bads & set(names)),
        "flat_channels": [n for n, f in zip(names, flat, strict=True) if f],
    }
    subj = raw.info.get("subject_info") or {}
    if subj.get("his_id"):
        attrs["subject"] = str(subj["his_id"])
    ents = (
        {}
        if path is None
        else {p.split("-", 1)[0]: p.split("-", 1)[1] for p in path.name.split("_") if "-" in p}
    )
    if "sub" in ents and "subject" not in attrs:
        attrs["subject"] = ents["sub"]
    if tsv is not None:
        attrs["channel_types_source"] = str(tsv)
    grid = assemble_grid(
        data,
        names,
        pmap,
        sampling_rate=float(raw.info["sfreq"]),
        source=str(label),
        fmt=attrs["format"],
        attrs=attrs,
        dead=dead,
        all_names=all_names,
    )
    kept = (
        set(grid["channel"].values.tolist())
        if "channel" in grid.dims
        else {c for c in grid.attrs.get("channels", []) if c}
    )
    grid.attrs["channel_types"] = [ch_types[n] for n in names if n in kept]
    _warn_merged_grids(grid, [n for n in names if n in kept], label)
    return grid


#: the flattening error of neighbour distances above which merged grids are flagged
MERGED_DISTORTION = 0.2


def _warn_merged_grids(grid, names, label):
    """Warn when contacts of several grids are flattened onto one distorted sheet."""
    import re
    import warnings

    dist = grid.attrs.get("distortion")
    if not isinstance(dist, dict) or float(dist.get("max", 0.0)) <= MERGED_DISTORTION:
        return
    groups = {}
    for n in names:
        groups.setdefault(re.sub(r"\d+$", "", str(n)), []).append(n)
    big = {k: v for k, v in groups.items() if k and len(v) >= 4}
    if len(big) < 2:
        return
    desc = ", ".join(f"{k}* ({len(v)} contacts)" for k, v in big.items())
    first = next(iter(big))
    warnings.warn(
        f"{label}: the contacts of {len(big)} grids ({desc}) were flattened onto one sheet "
        f"of {len(names)} sites, with neighbour distances off by up to "
        f"{100 * float(dist['max']):.0f} %, so wave speeds and directions across the "
        f"sheet are distorted; read one grid with picks=['{first}*'] (CLI: --picks "
        f"'{first}*').",
        UserWarning,
        stacklevel=3,
    )


def _open_raw(path, raw):
    """``(raw, path, label)``: the Raw to read (opened from ``path`` unless given, or
    ``path`` itself when it is an in-memory Raw, then ``path`` is None) and how
    messages name it."""
    import mne

    from ._memory import is_mne_raw, memory_label

    if is_mne_raw(path):  # an in-memory Raw: no file, no sidecars
        if raw is not None:
            raise NeurowaveError("Pass the Raw either first or as raw=, not both.")
        return path, None, memory_label(path)
    path = check_path(path)
    if raw is not None:
        return raw, path, path
    if path.is_file() and path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes), not a recording. Check the file.")
    try:
        with mne.utils.use_log_level("error"), _quiet():
            raw = mne.io.read_raw(path, preload=False, verbose="error")
    except FileNotFoundError as err:
        raise NeurowaveFileNotFoundError(
            f"{path}: a file it refers to is missing ({err}). Keep the recording's files together."
        ) from None
    except Exception as err:
        raise NeurowaveError(
            f"{path} cannot be read by MNE ({describe_cause(err)}); the file may be "
            "truncated or not of the format its extension says. Check the file."
        ) from None
    return raw, path, path


def _montage_positions(raw, names, path, label):
    """Positions of ``names`` from the Raw's montage; raises naming the fix without one."""
    montage = raw.get_montage()
    if montage is not None:
        ch_pos = montage.get_positions()["ch_pos"]
        usable = [n for n in names if n in ch_pos and np.all(np.isfinite(ch_pos[n]))]
        if usable:
            return positions_from_montage(montage, source=f"{label} (montage)", names=usable)
    if path is None:
        raise NeurowaveError(
            f"The {label} has no montage with positions for its sites; set one "
            "(raw.set_montage) or pass positions= (an electrode map file, a table with "
            "x/y in mm, or an (n_channels, 2) array)."
        )
    raise no_positions_error(path)


def _check_edf_size(path):
    """MNE reads a truncated EDF/BDF with a warning; neurowave refuses it."""
    with open(path, "rb") as f:
        head = f.read(256)
        try:
            n_header = int(head[184:192].decode("ascii").strip())
            n_records = int(head[236:244].decode("ascii").strip())
            n_signals = int(head[252:256].decode("ascii").strip())
            f.seek(256 + 216 * n_signals)
            spr = [int(f.read(8).decode("ascii").strip() or 0) for _ in range(n_signals)]
        except (ValueError, UnicodeDecodeError):
            raise NeurowaveError(f"{path} has a damaged EDF/BDF header. Check the file.") from None
    if n_records < 0:
        return  # unknown number of records (allowed while recording)
    width = 3 if path.name.lower().endswith(".bdf") else 2
    expected = n_header + n_records * sum(spr) * width
    size = path.stat().st_size
    if size < expected:
        raise NeurowaveError(
            f"{path} is truncated: its header promises {n_records} records ({expected} bytes) "
            f"but the file has {size} bytes. Copy the complete file again."
        )


@contextlib.contextmanager
def _quiet():
    # some MNE readers print to stdout (Persyst: "Unable to process birthdate")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _format_name(path):
    name = path.name.lower()
    for ext, fmt in (
        (".vhdr", "brainvision"),
        (".edf", "edf"),
        (".bdf", "bdf"),
        (".fif", "fif"),
        (".fif.gz", "fif"),
        (".lay", "persyst"),
        (".set", "eeglab"),
        (".gdf", "gdf"),
        (".cnt", "cnt"),
    ):
        if name.endswith(ext):
            return fmt
    return "mne:" + Path(name).suffix.lstrip(".")


def _get_data(raw, path, **kwargs):
    """``raw.get_data`` whose failures on a damaged file are one sentence naming it."""
    try:
        return raw.get_data(**kwargs)
    except Exception as err:  # mne/numpy raise assorted errors on truncated data
        raise NeurowaveError(
            f"{path}: the samples cannot be read ({describe_cause(err)}); the file is "
            "truncated or damaged. Check the file."
        ) from None


def _lazy_raw(raw, pick_idx, scale, chunk=1_000_000, path=None):
    import dask
    import dask.array as dsa

    n = raw.n_times
    blocks = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)

        def load(a=start, b=stop):
            return _get_data(raw, path, picks=pick_idx, start=a, stop=b).T * scale[None, :]

        blocks.append(
            dsa.from_delayed(dask.delayed(load)(), shape=(stop - start, len(pick_idx)), dtype=float)
        )
    return dsa.concatenate(blocks, axis=0)
