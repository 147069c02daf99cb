"""Wave results as Neo objects, and as NIX files beside the recording.

:func:`to_neo` turns a :class:`~neurowave.waves.WaveAnalysis` into a ``neo.Segment``
(or ``neo.Block``) that Elephant, Cobrawap stages and ``neo.NixIO`` take as they are:

* per-frame measures as one ``neo.AnalogSignal`` each, on the analysed frames' clock
  (``t_start`` the first analysed frame, the recording's sampling rate): ``pgd``,
  ``speed`` (m/s), ``direction`` (deg, counter-clockwise from +x, the direction of
  travel), ``wavelength`` (mm), ``frequency`` (Hz), ``is_wave`` (1 on wave frames) and
  ``pattern`` (an integer code; ``annotations["pattern_labels"]`` names the codes);
* the wave events as one ``neo.Epoch`` named ``waves``: ``times`` the starts,
  ``durations``, ``labels`` the pattern of each event, and array annotations
  ``wave_id`` (Cobrawap's name for the wave index), ``speed``, ``direction``,
  ``pattern``, ``pgd``, ``n_frames`` and ``rotation``; the units of the numbers are in
  the Epoch's annotations (``speed_units``, ``direction_units``).

:func:`write_nix` writes that Block to a NIX file, alone or as a new block of a *copy*
of the recording's NIX file; the recording itself is only ever read.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from .._validate import NeurowaveError, NeurowaveTypeError

__all__ = ["EPOCH_NAME", "FRAME_SIGNALS", "summary_from_neo", "to_neo", "write_nix"]

#: per-frame measures written as AnalogSignals: frames variable -> (units, long name);
#: ``None`` units take the result's own (speed, wavelength)
FRAME_SIGNALS = {
    "pgd": ("dimensionless", "phase gradient directionality"),
    "speed": (None, "phase speed"),
    "direction": ("deg", "direction of travel, counter-clockwise from +x"),
    "wavelength": (None, "wavelength"),
    "frequency": ("Hz", "instantaneous frequency"),
    "is_wave": ("dimensionless", "wave frame (1) or not (0)"),
    "pattern": ("dimensionless", "pattern code (annotations['pattern_labels'])"),
}
#: name of the Epoch holding the wave events
EPOCH_NAME = "waves"
#: name of the Block :func:`to_neo` and :func:`write_nix` give the results
BLOCK_NAME = "neurowave"


def _check_result(result):
    # by what it holds, not its class: a WaveAnalysis of any import of the module will do
    if not all(hasattr(result, a) for a in ("summary", "frames", "events")):
        raise NeurowaveTypeError(
            f"to_neo takes the WaveAnalysis that neurowave.waves.analyze returns (got "
            f"{type(result).__name__}); analyse a recording first."
        )
    inp = result.summary["input"]
    if inp["time_units"] != "s" or inp["space_units"] != "mm":
        raise NeurowaveError(
            f"The result is measured in {inp['time_units']} and {inp['space_units']}, and Neo "
            "needs physical units (s, mm); give the grid seconds and millimetres "
            "(e.g. a recording, or simulate_wave(time_units='s', space_units='mm'))."
        )


def _pattern_codes(frames):
    from ..waves.patterns import PATTERNS

    lookup = {p: i for i, p in enumerate(PATTERNS)}
    labels = np.asarray(frames["pattern"].values).astype(str)
    return np.array([lookup.get(p, lookup["other"]) for p in labels], np.int8), list(PATTERNS)


def _frame_signals(result, pq, neo):
    frames = result.frames
    s = result.summary
    fs = float(s["input"]["sampling_rate"])
    times = np.asarray(frames["time"].values, float)
    t0 = float(times[0]) if times.size else 0.0
    units = {"speed": s["summary"]["speed"]["units"], "wavelength": s["input"]["space_units"]}
    codes, labels = _pattern_codes(frames)
    out = []
    for name, (unit, long_name) in FRAME_SIGNALS.items():
        if name == "pattern":
            values, ann = codes, {"pattern_labels": labels}
        else:
            values, ann = np.asarray(frames[name].values), {}
        sig = neo.AnalogSignal(
            values.astype(np.float64).reshape(-1, 1),
            units=unit or units[name],
            sampling_rate=fs * pq.Hz,
            t_start=t0 * pq.s,
            name=name,
            description=long_name,
            **ann,
        )
        out.append(sig)
    return out


def _epoch(result, pq, neo):
    ev = result.events
    n = 0 if ev is None else len(ev)
    units = result.summary["summary"]["speed"]["units"]

    def col(name, dtype=float, fill=np.nan):
        if n and name in ev.columns:
            return np.asarray(ev[name].values, dtype=dtype)
        return np.full(n, fill, dtype=dtype)

    pattern = col("pattern", dtype=str, fill="") if n else np.array([], dtype=str)
    return neo.Epoch(
        times=col("start") * pq.s,
        durations=col("duration") * pq.s,
        labels=pattern.astype("U"),
        name=EPOCH_NAME,
        description="wave events of neurowave.waves.detect_wave_events",
        array_annotations={
            "wave_id": np.arange(n, dtype=np.int64),
            "speed": col("speed"),
            "direction": col("direction"),
            "pattern": pattern.astype("U"),
            "pgd": col("pgd"),
            "n_frames": col("n_frames", dtype=np.int64, fill=0),
            "rotation": col("rotation", dtype=np.int64, fill=0),
        },
        speed_units=units,
        direction_units="deg",
    )


def to_neo(result, *, block=False):
    """The results of :func:`~neurowave.waves.analyze` as Neo objects.

    Parameters
    ----------
    result : WaveAnalysis
        Of a grid in seconds and millimetres (a recording).
    block : bool
        Return a ``neo.Block`` named ``"neurowave"`` holding the Segment (what
        ``neo.NixIO.write_block`` takes) instead of the Segment.

    Returns
    -------
    out : neo.Segment | neo.Block
        A Segment named ``"neurowave analyze"`` whose ``analogsignals`` are the per-frame
        measures (:data:`FRAME_SIGNALS`, in that order) and whose one ``epochs`` entry,
        named ``"waves"``, holds the wave events (see the module's description).
        ``annotations`` hold the source, the band, the phase method, the PGD threshold,
        the neurowave version and the whole JSON summary (``neurowave_summary``, text).

    Examples
    --------
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import analyze
    >>> grid, _ = simulate_wave("planar", speed=0.3, frequency=10, duration=1.0, seed=0)
    >>> seg = to_neo(analyze(grid, band=(8, 12)))
    >>> [s.name for s in seg.analogsignals][:3], seg.epochs[0].name
    (['pgd', 'speed', 'direction'], 'waves')
    """
    import neo
    import quantities as pq

    _check_result(result)
    s = result.summary
    par = s["params"]
    seg = neo.Segment(
        name="neurowave analyze",
        description="wave measures of neurowave.waves.analyze",
        source=str(s["input"]["path"]),
        band_hz=[float(b) for b in par["band"]],
        phase_method=str(par["phase_method"]),
        pgd_threshold=float(par["pgd_threshold"]),
        neurowave_version=str(s["neurowave_version"]),
        neurowave_summary=result.to_json(),
    )
    for sig in _frame_signals(result, pq, neo):
        seg.analogsignals.append(sig)
        sig.segment = seg
    ep = _epoch(result, pq, neo)
    seg.epochs.append(ep)
    ep.segment = seg
    if not block:
        return seg
    blk = neo.Block(
        name=BLOCK_NAME,
        description="wave measures of neurowave.waves.analyze",
        source=str(s["input"]["path"]),
    )
    blk.segments.append(seg)
    seg.block = blk
    return blk


def write_nix(result, path, *, recording=None):
    """Write :func:`to_neo`'s Block to a NIX file, atomically.

    Parameters
    ----------
    result : WaveAnalysis
    path : path-like
        The NIX file to write (replaced when it exists, through a temporary file renamed
        at the end, so a failure leaves the old one).
    recording : path-like | None
        A NIX file (e.g. the analysed recording): ``path`` becomes a copy of it with the
        results added as a new block named ``"neurowave"``. ``recording`` is only read,
        never opened for writing; ``path`` may not be ``recording`` itself.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import os, tempfile, neo
    >>> from neurowave.datasets import simulate_wave
    >>> from neurowave.waves import analyze
    >>> grid, _ = simulate_wave("planar", speed=0.3, frequency=10, duration=1.0, seed=0)
    >>> p = write_nix(analyze(grid, band=(8, 12)), os.path.join(tempfile.mkdtemp(), "w.nix"))
    >>> with neo.NixIO(str(p), mode="ro") as r:
    ...     r.read_block().segments[0].epochs[0].name
    'waves'
    """
    import neo

    from .._validate import check_path

    _check_result(result)
    path = Path(path)
    if path.is_dir():
        raise NeurowaveError(f"{path} is a directory; pass a file name for the NIX output.")
    if recording is not None:
        recording = check_path(recording, name="recording")
        if path.exists() and path.resolve() == recording.resolve():
            raise NeurowaveError(
                f"{path} is the recording itself, and neurowave never rewrites an input; "
                "write the results to another file (a copy of the recording with them added)."
            )
    blk = to_neo(result, block=True)
    from .._outputs import atomic_file

    with atomic_file(path) as tmp:
        tmp = str(tmp)  # nixio takes a str path
        if recording is not None:
            shutil.copyfile(recording, tmp)
            _add_block(tmp, blk, recording, neo)
        else:
            os.remove(tmp)  # NixIO creates the file
            with neo.NixIO(tmp, mode="ow") as w:
                w.write_block(blk)
    return path


def _add_block(tmp, blk, recording, neo):
    """Append ``blk`` to the NIX file ``tmp`` (a copy of ``recording``), under a block
    name the file does not use yet."""
    import nixio

    try:
        with nixio.File.open(tmp, nixio.FileMode.ReadOnly) as f:  # Neo's names and NIX's
            taken = {b.name for b in f.blocks}
            taken |= {neo.NixIO._nix_attr_to_neo(b).get("name") for b in f.blocks}
    except Exception as err:
        from .._validate import describe_cause

        raise NeurowaveError(
            f"{recording} is not a readable NIX file ({describe_cause(err)}), so the results "
            "cannot be added to a copy of it; write them to a file of their own."
        ) from None
    name, k = BLOCK_NAME, 1
    while name in taken:
        k += 1
        name = f"{BLOCK_NAME}_{k}"
    blk.name = name
    with neo.NixIO(tmp, mode="rw") as w:
        w.write_block(blk)


def summary_from_neo(obj):
    """The JSON summary (a dict) that a Segment or Block of :func:`to_neo` carries, also
    after a round trip through NIX."""
    seg = obj.segments[0] if hasattr(obj, "segments") else obj
    text = getattr(seg, "annotations", {}).get("neurowave_summary")
    if text is None:
        raise NeurowaveError(
            f"{type(obj).__name__} {getattr(obj, 'name', '')!r} carries no "
            "neurowave summary; pass a Segment or Block made by to_neo."
        )
    return json.loads(text)
