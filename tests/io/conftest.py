"""Writers of small recordings in every format the readers take (fixed seeds).

Each writer returns ``(path, expected)`` where ``expected`` holds what the reader must
produce: channel names, their 2-D positions (mm), the values neo/mne return for them
(µV), the sites that must be NaN, the layout and the sampling rate.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

FS = 500.0
UTAH_SKIP = {(0, 0), (0, 9), (9, 0), (9, 9)}


def _utah_cells():
    return [(iy, ix) for iy in range(10) for ix in range(10) if (iy, ix) not in UTAH_SKIP]


def _nix_signal(n=300, seed=0, *, cobrawap=True, names_prefix="elec"):
    import neo
    import quantities as pq

    rng = np.random.default_rng(seed)
    cells = _utah_cells()
    perm = rng.permutation(len(cells))  # channels stored in scrambled spatial order
    cells = [cells[i] for i in perm]
    data = rng.normal(size=(n, len(cells))).astype(np.float64) * 0.1  # mV
    names = [f"{names_prefix}{perm[k] + 1}" for k in range(len(cells))]
    aa = {"channel_names": np.array(names)}
    ann = {}
    if cobrawap:
        aa["x_coords"] = np.array([c[1] for c in cells])
        aa["y_coords"] = np.array([c[0] for c in cells])
        ann["spatial_scale"] = 0.4 * pq.mm
    sig = neo.AnalogSignal(
        data, units="mV", sampling_rate=FS * pq.Hz, name="LFP", array_annotations=aa, **ann
    )
    return sig, cells, names


def _write_nix(path, sigs, *, block_name="blk"):
    import neo

    seg = neo.Segment(name="trial0")
    for s in sigs:
        seg.analogsignals.append(s)
    blk = neo.Block(name=block_name)
    blk.segments.append(seg)
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)


def _neo_values_uv(path, signal=0):
    import neo

    with neo.NixIO(str(path), mode="ro") as r:
        blk = r.read_block()
    sig = blk.segments[0].analogsignals[signal]
    return np.asarray(sig.rescale("uV").magnitude, float)


def write_nix_cobrawap(folder):
    """NIX with Cobrawap x_coords/y_coords + spatial_scale, channels scrambled."""
    path = Path(folder) / "utah_cobrawap.nix"
    sig, cells, names = _nix_signal(seed=1)
    _write_nix(path, [sig])
    vals = _neo_values_uv(path)
    pos = {n: (0.4 * c[1], 0.4 * c[0]) for n, c in zip(names, cells, strict=True)}
    return path, SimpleNamespace(
        layout="grid",
        names=names,
        pos=pos,
        values=vals,
        shape=(10, 10),
        empty=[(0.0, 0.0), (3.6, 0.0), (0.0, 3.6), (3.6, 3.6)],
        sampling_rate=FS,
        fmt="nix",
        dead=[],
    )


def write_cmp(path, cells_by_name, *, extra=()):
    lines = [
        "//Blackrock Microsystems component map (test)",
        "//col row bank elec label",
        "Cerebus mapfile",
    ]
    for k, (name, (iy, ix)) in enumerate(cells_by_name.items()):
        bank = "ABC"[k // 32]
        lines.append(f"{ix}\t{iy}\t{bank}\t{k % 32 + 1}\t{name}")
    for name, (iy, ix) in extra:
        lines.append(f"{ix}\t{iy}\tD\t1\t{name}")
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_nix_cmp(folder):
    """NIX without coordinates + a separate .cmp map (same stem), channels scrambled."""
    path = Path(folder) / "utah_mapped.nix"
    sig, cells, names = _nix_signal(seed=2, cobrawap=False)
    _write_nix(path, [sig])
    # map written in spatial order, recording in scrambled order
    order = sorted(range(len(names)), key=lambda k: cells[k])
    write_cmp(Path(folder) / "utah_mapped.cmp", {names[k]: cells[k] for k in order})
    vals = _neo_values_uv(path)
    pos = {n: (0.4 * c[1], 0.4 * c[0]) for n, c in zip(names, cells, strict=True)}
    return path, SimpleNamespace(
        layout="grid",
        names=names,
        pos=pos,
        values=vals,
        shape=(10, 10),
        empty=[(0.0, 0.0), (3.6, 3.6)],
        sampling_rate=FS,
        fmt="nix",
        dead=[],
    )


def write_nix_no_signals(folder):
    import neo

    path = Path(folder) / "events_only.nix"
    seg = neo.Segment()
    import quantities as pq

    seg.events.append(neo.Event(times=[1.0, 2.0] * pq.s, labels=np.array(["a", "b"])))
    blk = neo.Block()
    blk.segments.append(seg)
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)
    return path


def _ecog_raw(names, fs=250.0, n=400, seed=3):
    import mne

    rng = np.random.default_rng(seed)
    data = rng.normal(size=(len(names), n)) * 20e-6
    info = mne.create_info(list(names), fs, "ecog")
    return mne.io.RawArray(data, info, verbose=False)


def _curved_grid(ny=4, nx=5, pitch=4.0, radius=30.0):
    """A grid bent around a cylinder whose axis is head y; arc length = pitch (mm)."""
    pts = {}
    for iy in range(ny):
        for ix in range(nx):
            theta = (ix - (nx - 1) / 2) * pitch / radius
            x = radius * np.sin(theta) + 20.0
            z = radius * np.cos(theta) + 30.0
            pts[f"G{iy * nx + ix + 1}"] = np.array([x, iy * pitch - 5.0, z])
    return pts


def write_fif_montage(folder):
    """FIF with a curved-grid montage in head coordinates and one bad channel."""
    import mne

    pts = _curved_grid()
    names = list(pts)
    raw = _ecog_raw(names)
    montage = mne.channels.make_dig_montage(
        {k: v / 1000 for k, v in pts.items()}, coord_frame="head"
    )
    raw.set_montage(montage)
    raw.info["bads"] = ["G7"]
    path = Path(folder) / "curved_ecog_raw.fif"
    raw.save(path, verbose=False)
    back = mne.io.read_raw_fif(path, verbose=False)
    vals = back.get_data(picks=names).T * 1e6
    return path, SimpleNamespace(
        layout="channel",
        names=names,
        pos3d=pts,
        values=vals,
        sampling_rate=250.0,
        fmt="fif",
        dead=["G7"],
        ny=4,
        nx=5,
    )


def write_edf(path, names, data_uv, fs, *, phys=(-3276.8, 3276.7)):
    """A minimal EDF writer (int16, one-second records, µV)."""
    nsig, n = len(names), data_uv.shape[1]
    spr = int(fs)
    nrec = int(np.ceil(n / spr))
    pmin, pmax = phys
    dmin, dmax = -32768, 32767
    dig = np.round((data_uv - pmin) * (dmax - dmin) / (pmax - pmin) + dmin)
    dig = np.clip(dig, dmin, dmax).astype("<i2")
    pad = np.zeros((nsig, nrec * spr), "<i2")
    pad[:, :n] = dig

    def f(s, w):
        s = str(s)[:w]
        return s.ljust(w).encode("ascii")

    hdr = b"".join(
        [
            f("0", 8),
            f("X X X X", 80),
            f("Startdate X X X X", 80),
            f("01.01.20", 8),
            f("00.00.00", 8),
            f(256 * (nsig + 1), 8),
            f("", 44),
            f(nrec, 8),
            f(1, 8),
            f(nsig, 4),
        ]
    )
    for field, w in (
        ("label", 16),
        ("trans", 80),
        ("dim", 8),
        ("pmin", 8),
        ("pmax", 8),
        ("dmin", 8),
        ("dmax", 8),
        ("pre", 80),
        ("spr", 8),
        ("res", 32),
    ):
        for name in names:
            v = {
                "label": name,
                "trans": "",
                "dim": "uV",
                "pmin": pmin,
                "pmax": pmax,
                "dmin": dmin,
                "dmax": dmax,
                "pre": "",
                "spr": spr,
                "res": "",
            }[field]
            hdr += f(v, w)
    body = b"".join(pad[:, r * spr : (r + 1) * spr].tobytes() for r in range(nrec))
    Path(path).write_bytes(hdr + body)
    return Path(path)


def write_edf_dig(folder):
    """EDF + ``<stem>-dig.fif`` sidecar: a flat 3 x 4 grid in head x-y with one hole."""
    import mne

    rng = np.random.default_rng(4)
    cells = [(iy, ix) for iy in range(3) for ix in range(4) if (iy, ix) != (1, 2)]
    names = [f"E{k + 1}" for k in range(len(cells))]
    fs = 200.0
    data = rng.normal(size=(len(names), 600)) * 50.0
    data[names.index("E3")] = 0.0  # a flat channel -> dead site
    path = write_edf(Path(folder) / "flatgrid.edf", names, data, fs)
    pts = {
        n: np.array([10.0 + 5 * ix, -20.0 + 5 * iy, 60.0]) / 1000
        for n, (iy, ix) in zip(names, cells, strict=True)
    }
    mne.channels.make_dig_montage(pts, coord_frame="head").save(
        Path(folder) / "flatgrid-dig.fif", overwrite=True, verbose=False
    )
    raw = mne.io.read_raw_edf(path, verbose=False)
    raw.set_channel_types({n: "ecog" for n in names})
    vals = raw.get_data(picks=names).T * 1e6
    pos = {n: (10.0 + 5 * ix, -20.0 + 5 * iy) for n, (iy, ix) in zip(names, cells, strict=True)}
    return path, SimpleNamespace(
        layout="grid",
        names=names,
        pos=pos,
        values=vals,
        shape=(3, 4),
        empty=[(20.0, -15.0)],
        sampling_rate=fs,
        fmt="edf",
        dead=["E3"],
        picks="eeg",
    )


def write_brainvision_bids(folder):
    """BrainVision in a BIDS folder: types from *_channels.tsv, positions from
    *_electrodes.tsv (both with a UTF-8 BOM), a straight 5-contact strip + a DBS lead."""
    import mne

    folder = Path(folder) / "sub-01" / "ieeg"
    folder.mkdir(parents=True)
    stem = "sub-01_task-rest_run-1"
    ecog = [f"ECOG_{k}" for k in range(5)]
    names = ecog + ["LFP_0", "LFP_1", "MOV"]
    fs = 1000.0
    rng = np.random.default_rng(5)
    data = (rng.normal(size=(1500, len(names))) * 30.0).astype("<f4")
    (folder / f"{stem}_ieeg.eeg").write_bytes((data / 0.1).astype("<f4").tobytes())
    ch = "\n".join(f"Ch{k + 1}={n},,0.1,µV" for k, n in enumerate(names))
    (folder / f"{stem}_ieeg.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\n"
        f"DataFile={stem}_ieeg.eeg\nMarkerFile={stem}_ieeg.vmrk\nDataFormat=BINARY\n"
        f"DataOrientation=MULTIPLEXED\nNumberOfChannels={len(names)}\n"
        f"SamplingInterval={1e6 / fs:g}\n\n[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
        f"[Channel Infos]\n{ch}\n",
        encoding="utf-8",
    )
    (folder / f"{stem}_ieeg.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\n"
        f"DataFile={stem}_ieeg.eeg\n\n[Marker Infos]\n",
        encoding="utf-8",
    )
    types = ["ECOG"] * 5 + ["DBS", "DBS", "MISC"]
    (folder / "sub-01_task-rest_run-1_channels.tsv").write_text(
        "\ufeffname\ttype\tunits\tstatus\n"
        + "".join(
            f"{n}\t{t}\tµV\t{'bad' if n == 'ECOG_3' else 'good'}\n"
            for n, t in zip(names, types, strict=True)
        ),
        encoding="utf-8",
    )
    rows = [(n, 0.040, -0.030 + 0.010 * k, 0.060) for k, n in enumerate(ecog)]
    rows += [("LFP_0", 0.012, -0.015, -0.008), ("LFP_1", 0.012, -0.013, -0.006)]
    (folder / "sub-01_space-other_electrodes.tsv").write_text(
        "\ufeffname\tx\ty\tz\tsize\n"
        + "".join(f"{n}\t{x}\t{y}\t{z}\t4.2\n" for n, x, y, z in rows)
        + "MOV\tn/a\tn/a\tn/a\tn/a\n",
        encoding="utf-8",
    )
    (folder / "sub-01_space-other_coordsystem.json").write_text(
        '{"iEEGCoordinateSystem": "Other", "iEEGCoordinateUnits": "m"}'
    )
    path = folder / f"{stem}_ieeg.vhdr"
    raw = mne.io.read_raw_brainvision(path, verbose=False)
    vals = raw.get_data(picks=ecog).T * 1e6
    pos = {n: (40.0, -30.0 + 10.0 * k) for k, n in enumerate(ecog)}
    return path, SimpleNamespace(
        layout="channel",
        names=ecog,
        pos=pos,
        values=vals,
        sampling_rate=fs,
        fmt="brainvision",
        dead=["ECOG_3"],
    )


def write_mat(folder):
    import scipy.io

    rng = np.random.default_rng(6)
    cells = _utah_cells()
    perm = rng.permutation(len(cells))
    cells = [cells[i] for i in perm]
    data = rng.normal(size=(400, len(cells))) * 100.0
    pos = np.array([[0.2 + 0.4 * ix, 0.2 + 0.4 * iy] for iy, ix in cells])
    path = Path(folder) / "seizure_like.mat"
    scipy.io.savemat(path, {"data": data, "fs": np.array([[500.0056]]), "position": pos})
    names = [f"ch{k + 1}" for k in range(len(cells))]
    return path, SimpleNamespace(
        layout="grid",
        names=names,
        pos={n: tuple(p) for n, p in zip(names, pos, strict=True)},
        values=data,
        shape=(10, 10),
        empty=[(0.2, 0.2), (3.8, 3.8)],
        sampling_rate=500.0056,
        fmt="mat",
        dead=[],
    )


def write_tiff_stack(folder, *, frames_as_files=True):
    """A 20-frame 12 x 12 stack with a dark background corner band."""
    from PIL import Image

    rng = np.random.default_rng(7)
    ny = nx = 12
    img = np.full((30, ny, nx), 20000.0)
    img[:, :3, :] = 300.0  # dark background rows
    img += rng.normal(size=img.shape) * 200
    img = np.clip(img, 0, 65535).astype(np.uint16)
    if frames_as_files:
        d = Path(folder) / "stack"
        d.mkdir()
        for k in range(len(img)):
            Image.fromarray(img[k]).save(d / f"frame_{k + 1}.tif")  # not zero-padded
        path = d
    else:
        import tifffile

        path = Path(folder) / "stack.tif"
        tifffile.imwrite(path, img)
    names = [f"px{iy}_{ix}" for iy in range(ny) for ix in range(nx)]
    pos = {
        n: (0.05 * ix, 0.05 * iy)
        for n, (iy, ix) in zip(names, [(a, b) for a in range(ny) for b in range(nx)], strict=True)
    }
    return path, SimpleNamespace(
        layout="grid",
        names=names,
        pos=pos,
        values=img.reshape(len(img), -1).astype(float),
        shape=(ny, nx),
        background_rows=3,
        sampling_rate=25.0,
        fmt="tiff",
        dead=[],
    )


def file_hashes(path):
    path = Path(path)
    files = [path] if path.is_file() else []
    folder = path if path.is_dir() else path.parent
    files += [p for p in folder.rglob("*") if p.is_file()]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(set(files))}


@pytest.fixture
def writers():
    return SimpleNamespace(
        nix_cobrawap=write_nix_cobrawap,
        nix_cmp=write_nix_cmp,
        nix_no_signals=write_nix_no_signals,
        fif_montage=write_fif_montage,
        edf_dig=write_edf_dig,
        brainvision_bids=write_brainvision_bids,
        mat=write_mat,
        tiff=write_tiff_stack,
        edf=write_edf,
        cmp=write_cmp,
        hashes=file_hashes,
        nix_signal=_nix_signal,
        write_nix=_write_nix,
    )
