"""Electrode positions: maps, sidecars, flattening onto a 2-D sheet, grid assembly.

Where positions come from, in this order:

1. an explicit map (``positions=`` / ``--positions``): a Blackrock ``.cmp`` file, a
   CSV/TSV of channel and ``row``/``col`` or ``x``/``y`` (``z``), a BIDS
   ``*_electrodes.tsv``, or an MNE montage file (``*-dig.fif``, ``.elc``, ``.sfp``,
   ``.bvef``, ...);
2. a sidecar next to the recording with the same stem (``<stem>.cmp``,
   ``<stem>-dig.fif``, ``<stem>_electrodes.tsv``, ``<stem>.csv``, and the BIDS
   ``*_electrodes.tsv`` whose entities the recording shares);
3. what the file itself carries (handled by each reader).

Positions are returned as a :class:`pandas.DataFrame` indexed by channel name with
columns ``x`` and ``y`` in millimetres; ``df.attrs`` holds ``source`` and, for 3-D
positions, the ``projection`` and its ``distortion`` (see :func:`flatten_positions`).
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._validate import NeurowaveError, check_path, describe_cause

__all__ = [
    "read_positions",
    "find_positions_sidecar",
    "flatten_positions",
    "positions_from_xyz",
]

MONTAGE_SUFFIXES = (".elc", ".sfp", ".csd", ".elp", ".htps", ".bvef", ".loc", ".locs", ".eloc")
UTAH_PITCH_MM = 0.4


# --------------------------------------------------------------------------- parsing
def _frame(names, x, y, *, source, fmt, extra=None):
    names = [str(n).strip() for n in names]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise NeurowaveError(
            f"{source}: channel(s) {', '.join(dup[:5])} appear more than once in the map. "
            "Give each channel one position."
        )
    df = pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)}, index=names)
    df.index.name = "channel"
    df.attrs = {"source": str(source), "format": fmt}
    if extra:
        df.attrs.update(extra)
    return df


def _read_cmp(path, *, pitch=UTAH_PITCH_MM):
    """Blackrock component map: ``col row bank elec [label]`` lines after a header."""
    names, cols, rows, ids = [], [], [], []
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//") or line.startswith("#"):
            continue
        tok = line.split()
        if len(tok) < 4:
            continue
        try:
            col, row, elec = int(tok[0]), int(tok[1]), int(tok[3])
        except ValueError:
            continue
        bank = tok[2].upper()
        if not (len(bank) == 1 and bank.isalpha()):
            continue
        label = tok[4] if len(tok) > 4 else f"{bank}{elec}"
        names.append(label)
        cols.append(col)
        rows.append(row)
        ids.append((ord(bank) - ord("A")) * 32 + elec)
    if not names:
        raise NeurowaveError(
            f"{path} holds no electrode lines (expected 'col row bank elec label' per line). "
            "Check that it is a Blackrock .cmp map."
        )
    df = _frame(
        names,
        np.asarray(cols, float) * pitch,
        np.asarray(rows, float) * pitch,
        source=path,
        fmt="blackrock-cmp",
        extra={"pitch_mm": float(pitch)},
    )
    df["channel_id"] = ids
    df["row"] = rows
    df["col"] = cols
    return df


def _read_table(path, *, pitch=None, units=None):
    """CSV/TSV with a name column and row/col or x/y(/z); BIDS electrodes.tsv too."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")  # strips a BOM
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise NeurowaveError(
            f"{path} is empty. Pass a table with a channel column and x/y or row/col."
        )
    delim = "\t" if "\t" in lines[0] else ("," if "," in lines[0] else None)
    if delim is None:
        rows = [ln.split() for ln in lines]
    else:
        rows = list(csv.reader(lines, delimiter=delim))
    header = [h.strip().lower() for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    name_col = next(
        (
            header.index(k)
            for k in ("name", "channel", "label", "electrode", "ch_name")
            if k in header
        ),
        None,
    )
    if name_col is None:
        raise NeurowaveError(
            f"{path}: no channel column (expected one of name, channel, label, electrode in "
            f"the header {rows[0]}). Add a header row naming the columns."
        )

    def col(key):
        i = header.index(key)
        out = []
        for r in body:
            v = r[i].strip() if i < len(r) else ""
            try:
                out.append(float(v))
            except ValueError:
                out.append(np.nan)  # BIDS "n/a"
        return np.asarray(out, float)

    names = [r[name_col].strip() for r in body]
    is_bids = path.name.endswith("_electrodes.tsv")
    if "x" in header and "y" in header:
        x, y = col("x"), col("y")
        z = col("z") if "z" in header else None
        if units is None:
            units = _bids_units(path) if is_bids else None
        if units is None:
            finite = np.abs(np.concatenate([x, y] + ([z] if z is not None else [])))
            finite = finite[np.isfinite(finite)]
            # head-frame coordinates in metres never exceed ~0.2; in mm they do
            units = "m" if is_bids and finite.size and finite.max() < 0.5 else "mm"
        scale = {"m": 1000.0, "cm": 10.0, "mm": 1.0, "um": 1e-3, "µm": 1e-3}.get(units)
        if scale is None:
            raise NeurowaveError(f"{path}: unknown position units {units!r}. Use m, cm, mm or um.")
        fmt = "bids-electrodes" if is_bids else "table-xy"
        if z is not None and np.any(np.isfinite(z) & (z != 0)):
            xyz = np.column_stack([x, y, z]) * scale
            return positions_from_xyz(names, xyz, source=path, fmt=fmt)
        return _frame(
            names, x * scale, y * scale, source=path, fmt=fmt, extra={"units_in_file": units}
        )
    if "row" in header and ("col" in header or "column" in header):
        r, c = col("row"), col("col" if "col" in header else "column")
        p = UTAH_PITCH_MM if pitch is None else float(pitch)
        if "spacing" in header:
            p = float(np.nanmedian(col("spacing")))
        return _frame(names, c * p, r * p, source=path, fmt="table-rowcol", extra={"pitch_mm": p})
    raise NeurowaveError(
        f"{path}: no position columns (expected x and y, or row and col, in the header "
        f"{rows[0]}). Add them."
    )


def _bids_units(path):
    """Units from the BIDS ``*_coordsystem.json`` next to an electrodes.tsv, if any."""
    stem = path.name[: -len("_electrodes.tsv")]
    cands = [path.parent / f"{stem}_coordsystem.json"] + sorted(
        path.parent.glob("*_coordsystem.json")
    )
    for c in cands:
        if c.is_file():
            try:
                meta = json.loads(c.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError):
                continue
            for key in ("iEEGCoordinateUnits", "EEGCoordinateUnits", "CoordinateUnits"):
                u = meta.get(key)
                if isinstance(u, str) and u.lower() in ("m", "cm", "mm"):
                    return u.lower()
    return None


def _read_montage(path):
    import mne

    with mne.utils.use_log_level("error"):
        if path.name.endswith(".fif") or path.name.endswith(".fif.gz"):
            montage = mne.channels.read_dig_fif(path)
        else:
            montage = mne.channels.read_custom_montage(path)
    return positions_from_montage(montage, source=path)


def positions_from_montage(montage, *, source, names=None):
    """3-D positions of an MNE ``DigMontage`` (m, head frame) flattened to mm."""
    ch_pos = montage.get_positions()["ch_pos"]
    if names is not None:
        ch_pos = {k: v for k, v in ch_pos.items() if k in set(names)}
    if not ch_pos:
        raise NeurowaveError(
            f"{source} holds no channel positions. Pass a montage with electrode positions."
        )
    keys = list(ch_pos)
    xyz = np.array([ch_pos[k] for k in keys], float) * 1000.0
    return positions_from_xyz(
        keys,
        xyz,
        source=source,
        fmt="mne-montage",
        coord_frame=montage.get_positions().get("coord_frame"),
    )


def positions_from_xyz(names, xyz, *, source, fmt, coord_frame=None):
    """A positions frame from 3-D points (mm); NaN rows stay NaN, the rest flattened."""
    xyz = np.asarray(xyz, float)
    ok = np.all(np.isfinite(xyz), axis=1)
    xy = np.full((len(xyz), 2), np.nan)
    extra = {}
    if ok.sum() >= 1:
        xy[ok], info = flatten_positions(xyz[ok])
        extra.update(info)
    if coord_frame:
        extra["coord_frame"] = str(coord_frame)
    df = _frame(names, xy[:, 0], xy[:, 1], source=source, fmt=fmt, extra=extra)
    df["x3d"], df["y3d"], df["z3d"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    return df


def read_positions(path, *, pitch=None, units=None):
    """Read an electrode map into a table of 2-D positions (mm).

    Parameters
    ----------
    path : path-like
        A Blackrock ``.cmp`` map, a CSV/TSV with a channel column and ``x``/``y``
        (optionally ``z``) or ``row``/``col`` columns, a BIDS ``*_electrodes.tsv``
        (a byte-order mark is fine), or an MNE montage file (``*-dig.fif``, ``.elc``,
        ``.sfp``, ``.bvef``, ...).
    pitch : float | None
        Electrode pitch in mm for maps that give grid rows and columns
        (default 0.4 mm, a Utah array).
    units : str | None
        Units of ``x``/``y``/``z`` in a table (default mm; metres for BIDS files when
        the ``*_coordsystem.json`` says so or the values are head-sized in metres).

    Returns
    -------
    positions : pandas.DataFrame
        Indexed by channel name, columns ``x`` and ``y`` in mm (NaN where the map has
        none); ``positions.attrs`` holds ``source`` and ``format``, and for 3-D input
        the ``projection`` and its ``distortion``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = Path(tempfile.mkdtemp()) / "map.csv"
    >>> _ = p.write_text("channel,row,col\\nA,0,0\\nB,0,1\\n")
    >>> read_positions(p)["x"].tolist()
    [0.0, 0.4]
    """
    path = check_path(path, name="positions")
    if path.is_dir():
        raise NeurowaveError(f"{path} is a directory; pass the electrode map file itself.")
    if path.stat().st_size == 0:
        raise NeurowaveError(f"{path} is empty (0 bytes). Pass an electrode map with positions.")
    name = path.name.lower()
    if name.endswith(".cmp"):
        return _read_cmp(path, pitch=UTAH_PITCH_MM if pitch is None else float(pitch))
    if name.endswith((".csv", ".tsv", ".txt")):
        return _read_table(path, pitch=pitch, units=units)
    if name.endswith((".fif", ".fif.gz")) or name.endswith(MONTAGE_SUFFIXES):
        try:
            return _read_montage(path)
        except (ValueError, TypeError):
            raise
        except Exception as err:  # mne raises assorted errors on bad files
            raise NeurowaveError(
                f"{path} is not a readable MNE montage ({describe_cause(err)}). "
                "Pass a *-dig.fif or another montage file MNE reads."
            ) from None
    raise NeurowaveError(
        f"{path}: unknown electrode-map format {path.suffix!r}. Use a Blackrock .cmp, a "
        ".csv/.tsv table (channel + x/y or row/col), a BIDS *_electrodes.tsv or a *-dig.fif."
    )


# --------------------------------------------------------------------------- sidecars
def _bids_entities(name):
    stem = name.split(".")[0]
    parts = stem.split("_")
    ents = {}
    for p in parts[:-1]:
        if "-" in p:
            k, v = p.split("-", 1)
            ents[k] = v
    return ents, parts[-1]


def find_positions_sidecar(path):
    """The electrode map next to a recording, or None.

    Looks for ``<stem>.cmp``, ``<stem>-dig.fif``, ``<stem>_electrodes.tsv``,
    ``<stem>.csv`` and ``<stem>.tsv`` beside ``path``; for BIDS names
    (``sub-01_..._ieeg.vhdr``) also the ``*_electrodes.tsv`` whose entities (other
    than ``space``/``acq``) all belong to the recording's.
    """
    path = Path(path)
    folder = path.parent
    stem = path.name
    for suf in (
        ".nix",
        ".h5",
        ".vhdr",
        ".edf",
        ".bdf",
        ".fif",
        ".mat",
        ".lay",
        ".set",
        ".ns1",
        ".ns2",
        ".ns3",
        ".ns4",
        ".ns5",
        ".ns6",
        ".nev",
        ".gdf",
        ".cnt",
    ):
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
            break
    else:
        stem = path.stem if path.suffix else path.name
    bases = [stem]
    for tail in ("_raw", "-raw", "_ieeg", "_eeg", "_ecog"):
        if stem.endswith(tail):
            bases.append(stem[: -len(tail)])
    for base in bases:
        for cand in (
            f"{base}.cmp",
            f"{base}-dig.fif",
            f"{base}_electrodes.tsv",
            f"{base}.csv",
            f"{base}.tsv",
        ):
            p = folder / cand
            if p.is_file() and p != path:
                return p
    ents, _ = _bids_entities(path.name)
    if "sub" in ents:
        best = None
        for cand in sorted(folder.glob("*_electrodes.tsv")):
            c_ents, _ = _bids_entities(cand.name)
            c_ents = {k: v for k, v in c_ents.items() if k not in ("space", "acq")}
            matches = all(ents.get(k) == v for k, v in c_ents.items())
            if matches and (best is None or len(c_ents) > best[0]):
                best = (len(c_ents), cand)
        if best is not None:
            return best[1]
    return None


# --------------------------------------------------------------------------- flattening
def user_positions(path, positions=None):
    """The electrode map the user supplied for ``path``, in the documented order.

    ``positions`` when given, else a same-stem sidecar next to ``path`` if it reads as
    a map (otherwise it is ignored with a warning that names it); None when there is
    neither (the reader then tries what the file itself carries).
    """
    if positions is not None:
        return read_positions(positions)
    side = find_positions_sidecar(path)
    if side is None:
        return None
    try:
        return read_positions(side)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError) as err:
        # a same-stem file that is not a map (e.g. the samples as CSV): not positions
        reason = " ".join(str(err).split()).rstrip(".")
        warnings.warn(
            f"{side} lies beside {Path(path).name} with the same name but does not read as "
            f"an electrode map ({reason}); it is ignored and the positions come from the "
            "file itself. Pass --positions MAP (positions=) to name the map.",
            UserWarning,
            stacklevel=3,
        )
        return None


def _knn_edges(p, k):
    n = len(p)
    d = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    k = min(k, n - 1)
    nn = np.argsort(d, axis=1)[:, :k]
    i = np.repeat(np.arange(n), k)
    j = nn.ravel()
    e = np.unique(np.sort(np.column_stack([i, j]), axis=1), axis=0)
    return e, d[e[:, 0], e[:, 1]]


def flatten_positions(xyz, *, n_neighbors=6, refine=True):
    """Flatten 3-D electrode positions onto the best-fit 2-D sheet.

    The sheet is the least-squares plane through the points. Its 2-D axes are the
    projections of the two head axes most parallel to the plane, in their order and
    sign (so a grid lying flat in head x-y keeps head x and y). Because an orthogonal
    projection shortens distances where the sheet curves away from the plane, the
    projected points are then relaxed so that distances between neighbouring contacts
    match their 3-D distances (least squares, started from the projection and
    re-aligned to it without reflection), which keeps a curved grid's pitch.

    Parameters
    ----------
    xyz : array-like, shape (n, 3)
        Positions (any unit; the output has the same unit).
    n_neighbors : int
        Neighbours per contact whose distances are preserved.
    refine : bool
        Relax distances after projecting (False: plain orthogonal projection).

    Returns
    -------
    xy : ndarray, shape (n, 2)
    info : dict
        ``projection`` (plane normal, the two axis vectors, the head axes they come
        from, the method) and ``distortion`` (relative error of neighbour distances,
        median and max, for the plain projection and the result).

    Examples
    --------
    >>> import numpy as np
    >>> xyz = np.array([[0, 0, 5.0], [1, 0, 5], [0, 1, 5], [1, 1, 5]])
    >>> xy, info = flatten_positions(xyz)
    >>> np.allclose(xy, xyz[:, :2]), info["projection"]["axes"]
    (True, ['x', 'y'])
    """
    xyz = np.asarray(xyz, float)
    n = len(xyz)
    if n == 0:
        return np.zeros((0, 2)), {}
    c = xyz.mean(axis=0)
    if n >= 3:
        _, s, vt = np.linalg.svd(xyz - c, full_matrices=False)
        normal = vt[-1] if len(s) == 3 else np.cross(vt[0], [0, 0, 1.0])
        if len(s) == 3 and s[1] < 1e-9 * max(s[0], 1e-300):  # collinear: any plane holding the line
            normal = None
    else:
        normal = None
    if normal is None:
        # a line (or < 3 points): choose the plane through the line closest to head x-y
        if n >= 2:
            d = xyz[-1] - xyz[0] if n == 2 else np.linalg.svd(xyz - c)[2][0]
            d = d / np.linalg.norm(d)
            normal = np.array([0, 0, 1.0]) - d[2] * d
            if np.linalg.norm(normal) < 1e-9:
                normal = np.array([1.0, 0, 0]) - d[0] * d
        else:
            normal = np.array([0, 0, 1.0])
    normal = normal / np.linalg.norm(normal)
    eye = np.eye(3)
    proj = eye - np.outer(eye @ normal, normal)  # projections of e_x, e_y, e_z
    norms = np.linalg.norm(proj, axis=1)
    a, b = sorted(np.argsort(norms)[::-1][:2])  # two most parallel axes, in head order
    u = proj[a] / norms[a]
    v = proj[b] - (proj[b] @ u) * u
    v = v / np.linalg.norm(v)
    xy0 = np.column_stack([xyz @ u, xyz @ v])
    info = {
        "projection": {
            "method": "best-fit plane" + (" + neighbour-distance relaxation" if refine else ""),
            "normal": normal.round(6).tolist(),
            "u": u.round(6).tolist(),
            "v": v.round(6).tolist(),
            "axes": ["xyz"[a], "xyz"[b]],
            "rms_off_plane": float(np.sqrt(np.mean(((xyz - c) @ normal) ** 2))),
        }
    }
    if n < 3:
        info["distortion"] = {
            "median": 0.0,
            "max": 0.0,
            "projection_median": 0.0,
            "projection_max": 0.0,
        }
        return xy0, info
    edges, d3 = _knn_edges(xyz, n_neighbors)
    good = d3 > 0
    edges, d3 = edges[good], d3[good]

    def rel_err(p):
        d2 = np.linalg.norm(p[edges[:, 0]] - p[edges[:, 1]], axis=1)
        return np.abs(d2 / d3 - 1)

    e0 = rel_err(xy0)
    xy = xy0
    if refine and e0.size and e0.max() > 1e-3:
        xy = _relax(xy0, edges, d3)
    e1 = rel_err(xy)
    info["distortion"] = {
        "median": float(np.median(e1)) if e1.size else 0.0,
        "max": float(e1.max()) if e1.size else 0.0,
        "projection_median": float(np.median(e0)) if e0.size else 0.0,
        "projection_max": float(e0.max()) if e0.size else 0.0,
        "measure": f"relative error of distances to the {n_neighbors} nearest contacts",
    }
    return xy, info


def _relax(xy0, edges, d3, anchor=0.01):
    from scipy.optimize import least_squares
    from scipy.sparse import lil_matrix

    n = len(xy0)
    scale = float(np.median(d3))
    ne = len(edges)

    def resid(flat):
        p = flat.reshape(n, 2)
        diff = p[edges[:, 0]] - p[edges[:, 1]]
        d2 = np.sqrt((diff**2).sum(1))
        return np.concatenate([(d2 - d3) / d3, anchor * (flat - xy0.ravel()) / scale])

    sp = lil_matrix((ne + 2 * n, 2 * n), dtype=int)
    for k, (i, j) in enumerate(edges):
        sp[k, 2 * i : 2 * i + 2] = 1
        sp[k, 2 * j : 2 * j + 2] = 1
    for k in range(2 * n):
        sp[ne + k, k] = 1
    sol = least_squares(
        resid, xy0.ravel(), jac_sparsity=sp, method="trf", x_scale=scale, max_nfev=200
    )
    xy = sol.x.reshape(n, 2)
    # rigid re-alignment onto the projection (rotation without reflection + translation)
    ca, cb = xy.mean(0), xy0.mean(0)
    h = (xy - ca).T @ (xy0 - cb)
    uu, _, vv = np.linalg.svd(h)
    dfix = np.sign(np.linalg.det(uu @ vv)) or 1.0
    r = uu @ np.diag([1.0, dfix]) @ vv
    return (xy - ca) @ r + cb


# --------------------------------------------------------------------------- grid assembly
def _norm(name):
    return re.sub(r"\s+", "", str(name)).lower()


def match_channels(names, positions, *, all_names=None, aliases=None, source="the map"):
    """Match recording channels to map rows.

    Returns ``(index, missing)``: for each recording channel the map row (or -1) and
    the names of recording channels the map lacks. A map row naming a channel that the
    recording (``all_names``, default ``names``) lacks raises ValueError.
    """
    keys = {}
    for i, n in enumerate(positions.index):
        keys.setdefault(_norm(n), i)
    ids = {}
    if "channel_id" in positions.columns:
        for i, cid in enumerate(positions["channel_id"]):
            ids.setdefault(int(cid), i)
    idx = np.full(len(names), -1)
    used = set()
    for k, n in enumerate(names):
        i = keys.get(_norm(n), -1)
        if i < 0 and aliases is not None and ids:
            a = aliases[k]
            if a is not None:
                i = ids.get(int(a), -1)
        idx[k] = i
        if i >= 0:
            used.add(i)
    universe = {_norm(n) for n in (all_names if all_names is not None else names)}
    if aliases is not None:
        alias_ids = {int(a) for a in aliases if a is not None}
    else:
        alias_ids = set()
    extra = []
    for i, n in enumerate(positions.index):
        if i in used or _norm(n) in universe:
            continue
        if "channel_id" in positions.columns and int(positions["channel_id"].iloc[i]) in alias_ids:
            continue
        extra.append(str(n))
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise NeurowaveError(
            f"{source} names {len(extra)} channel(s) the recording lacks ({shown}); "
            f"the recording has {', '.join(map(str, list(all_names if all_names is not None else names)[:5]))}"
            f"{', ...' if len(names) > 5 else ''}. Pass the map that belongs to this recording."
        )
    missing = [str(n) for n, i in zip(names, idx, strict=True) if i < 0]
    return idx, missing


def lattice_indices(x, y, *, rtol=0.05, min_fill=0.5):
    """If the points sit on a regular lattice, return (ix, iy, xs, ys); else None."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(x)
    if n < 4:
        return None

    def axis(v):
        u = np.unique(v)
        if len(u) < 2:
            return None
        steps = np.diff(u)
        pitch = steps.min()
        if pitch <= 0:
            return None
        k = (v - u[0]) / pitch
        if np.max(np.abs(k - np.round(k))) > rtol:
            # unique values may differ by float noise: merge within tolerance
            return None
        k = np.round(k).astype(int)
        coords = u[0] + np.arange(k.max() + 1) * pitch
        return k, coords, pitch

    ax, ay = axis(x), axis(y)
    if ax is None or ay is None:
        return None
    (ix, xs, px), (iy, ys, py) = ax, ay
    if abs(px - py) > rtol * max(px, py):
        return None
    if len(xs) < 2 or len(ys) < 2:
        return None
    cells = iy * len(xs) + ix
    if len(np.unique(cells)) != n:
        return None
    if n < min_fill * len(xs) * len(ys):
        return None
    return ix, iy, xs, ys


def _rounded(v, pitch_guess):
    q = pitch_guess * 1e-6 if pitch_guess > 0 else 1e-9
    return np.round(np.asarray(v, float) / q) * q


#: Positions farther than this from the origin (mm, 10 m) are damage, not electrodes.
MAX_POSITION_MM = 1e4


def assemble_grid(
    data,
    names,
    positions,
    *,
    sampling_rate,
    source,
    fmt,
    attrs=None,
    dead=None,
    all_names=None,
    aliases=None,
    positions_source=None,
    t0=0.0,
    layout="auto",
):
    """Put channel data (n_times, n_channels) onto a wave grid using ``positions``.

    Recording channels the map lacks are left out (warning; ``attrs`` list them);
    channels flagged ``dead`` become NaN sites. Positions on a regular lattice give a
    ``("time", "y", "x")`` grid with NaN where no electrode sits; otherwise
    ``("time", "channel")``.
    """
    from ..grid import grid_spacing, make_channel_grid, make_grid

    names = [str(n) for n in names]
    attrs = dict(attrs or {})
    psrc = positions_source or positions.attrs.get("source", "")
    idx, missing = match_channels(
        names, positions, all_names=all_names, aliases=aliases, source=f"The electrode map {psrc}"
    )
    pos = np.full((len(names), 2), np.nan)
    have = idx >= 0
    pos[have] = positions[["x", "y"]].to_numpy(float)[idx[have]]
    nopos = have & ~np.all(np.isfinite(pos), axis=1)
    missing += [n for n, b in zip(names, nopos, strict=True) if b]
    keep = np.all(np.isfinite(pos), axis=1)
    if keep.any() and np.abs(pos[keep]).max() > MAX_POSITION_MM:
        raise NeurowaveError(
            f"{source}: electrode positions in {psrc} reach {np.abs(pos[keep]).max():.3g} "
            f"mm, beyond any electrode array ({MAX_POSITION_MM:g} mm); the positions are "
            "damaged or not in mm. Check the file or pass an electrode map."
        )
    flat_info = {}
    if keep.any() and {"x3d", "y3d", "z3d"} <= set(positions.columns):
        # flatten only the sites in use (not e.g. the DBS contacts of the same map)
        xyz = positions[["x3d", "y3d", "z3d"]].to_numpy(float)[idx[keep]]
        pos[keep], flat_info = flatten_positions(xyz)
    if not keep.any():
        raise NeurowaveError(
            f"{source}: none of the channels ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}) "
            f"has a position in {psrc}. Pass the map that belongs to this recording."
        )
    if missing:
        warnings.warn(
            f"{source}: {len(missing)} channel(s) without a position in {psrc} were left out: "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}.",
            UserWarning,
            stacklevel=3,
        )
    attrs["channels_without_position"] = missing
    for k in ("pitch_mm", "coord_frame"):
        if k in positions.attrs:
            attrs[f"positions_{k}"] = positions.attrs[k]
    attrs.update(flat_info)
    attrs.setdefault("format", fmt)
    attrs["positions_source"] = str(psrc)
    attrs.setdefault("units", "uV")
    kidx = np.flatnonzero(keep)
    kept_names = [names[i] for i in kidx]
    if dead is not None:
        dead = np.asarray(dead, bool)[kidx]
        attrs["dead_channels"] = [n for n, d in zip(kept_names, dead, strict=True) if d]
    else:
        attrs.setdefault("dead_channels", [])
    sub = data[:, kidx] if len(kidx) != data.shape[1] else data
    if dead is not None and dead.any():
        sub = np.where(dead[None, :], np.nan, sub)
    kpos = pos[kidx]
    lat = None
    if layout in ("auto", "grid"):
        sp = grid_spacing(kpos)
        lat = lattice_indices(_rounded(kpos[:, 0], sp), _rounded(kpos[:, 1], sp))
        if lat is None and layout == "grid":
            raise NeurowaveError(
                f"{source}: the positions do not sit on a regular lattice; use layout='channel'."
            )
    if lat is not None:
        ix, iy, xs, ys = lat
        ny, nx = len(ys), len(xs)
        cell = np.full(ny * nx, len(kidx))
        cell[iy * nx + ix] = np.arange(len(kidx))
        chan_map = np.full(ny * nx, "", dtype=object)
        chan_map[iy * nx + ix] = kept_names
        if hasattr(sub, "dask"):
            import dask.array as dsa

            ext = dsa.concatenate(
                [
                    sub,
                    dsa.full((sub.shape[0], 1), np.nan, dtype=sub.dtype, chunks=(sub.chunks[0], 1)),
                ],
                axis=1,
            )
            ext = ext.rechunk({1: -1})
        else:
            ext = np.concatenate(
                [
                    np.asarray(sub),
                    np.full((sub.shape[0], 1), np.nan, dtype=np.result_type(sub.dtype, np.float32)),
                ],
                axis=1,
            )
        cube = ext[:, cell].reshape(sub.shape[0], ny, nx)
        attrs["channels"] = chan_map.tolist()
        attrs["channel_order"] = list(kept_names)  # the file's order (flat order is spatial)
        return make_grid(
            cube,
            sampling_rate=sampling_rate,
            x=xs,
            y=ys,
            t0=t0,
            source=str(source),
            kind="recording",
            attrs=attrs,
        )
    return make_channel_grid(
        sub,
        sampling_rate=sampling_rate,
        x=kpos[:, 0],
        y=kpos[:, 1],
        channels=kept_names,
        t0=t0,
        source=str(source),
        kind="recording",
        attrs=attrs,
    )


def quiet_nanstd(data, axis=0):
    """``np.nanstd`` without numpy's warnings for all-NaN columns (dead channels, which
    the readers mark dead: their std is NaN, never 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(data, axis=axis)


def no_positions_error(path, what="channel positions"):
    return NeurowaveError(
        f"{path} carries no {what} and no electrode map sits next to it. "
        "Pass one with positions=MAP (--positions MAP): a Blackrock .cmp, a CSV/TSV of "
        "channel and x/y or row/col, a BIDS *_electrodes.tsv or a *-dig.fif."
    )
