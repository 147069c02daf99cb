"""The JSON summary of :func:`~neurowave.waves.analyze`.

:func:`summarize` turns the frames and events of one analysis and the settings it ran
with into the summary's blocks: ``input`` (the recording: :func:`positions_source`,
sites, duration, units), ``params`` (the resolved settings), ``summary`` (medians and
quantiles of frequency, PGD, speed and wavelength over wave frames, the circular mean
direction, pattern fractions, event counts) and ``events`` (one dict per event). The
keys are those of the design notes (``/DESIGN.md``); the CLI writes them as they are.
"""

from __future__ import annotations

import numpy as np

from .._version import __version__
from ._xr import speed_factor
from .circular import mean_resultant

__all__ = ["summarize", "positions_source"]


def positions_source(grid):
    """Where the sites' positions of ``grid`` came from (``attrs["positions_source"]``
    set by the readers; else the grid's own coordinates)."""
    src = grid.attrs.get("positions_source")
    if src:
        return str(src)
    if grid.attrs.get("kind") == "model":
        return "model grid cells (x, y in cells)"
    return "the grid's own x, y coordinates"


def _q(x, q):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if x.size else None


def summarize(
    frames,
    events,
    *,
    grid,
    info,
    plan,
    options,
    pattern_params,
    classified_codes=None,
    path=None,
    file_format=None,
):
    """The JSON summary (a dict) of one analysis.

    Parameters
    ----------
    frames : xarray.Dataset
        Per analysed frame (``is_wave``, ``pgd``, ``speed`` with its ``units``,
        ``direction``, ``wavelength``, ``frequency``, ``pattern``).
    events : pandas.DataFrame | None
        The wave events (:func:`~neurowave.waves.detect_wave_events`).
    grid, info
        The input grid and its :class:`~neurowave.grid.GridInfo`.
    plan, options
        The resolved settings (band, edge trim, surrogate step, chunks) and the
        :class:`~neurowave.waves.MeasureOptions` the analysis ran with.
    pattern_params : dict
        ``params["patterns"]`` (and ``"events"``: the event settings).
    classified_codes : numpy.ndarray | None
        Pattern codes of every analysed frame (None: read ``frames["pattern"]``).
    path, file_format : str | None
        Reported in ``input``; default the grid's ``source`` and ``format``.
    """
    return {
        "neurowave_version": __version__,
        "input": _input_block(grid, info, path, file_format),
        "params": _params_block(plan, options, pattern_params),
        "summary": _summary_block(frames, events, info, classified_codes),
        "events": _event_list(events),
    }


def _input_block(grid, info, path, file_format):
    src = path if path is not None else grid.attrs.get("source", "")
    fmt = file_format if file_format is not None else grid.attrs.get("format", None)
    return {
        "path": str(src),
        "format": fmt,
        "kind": grid.attrs.get("kind", "recording"),
        "positions_source": positions_source(grid),
        "n_sites": info.n_sites,
        "n_valid_sites": info.n_valid_sites,
        "grid_shape": list(info.grid_shape),
        "sampling_rate": info.sampling_rate,
        "duration": info.duration,
        "spacing": info.spacing,
        "time_units": info.time_units,
        "space_units": info.space_units,
    }


def _params_block(plan, options, pattern_params):
    window = options.gradient_window
    return {
        "band": [float(plan.band[0]), float(plan.band[1])],
        "band_source": plan.band_source,
        "band_choice": plan.band_choice,
        "phase_method": options.phase_method,
        "pgd_threshold": float(options.pgd_threshold),
        "n_surrogates": int(options.n_surrogates),
        "alpha": float(options.alpha),
        "seed": int(options.seed),
        "surrogate_step": int(plan.surrogate_step),
        "edge_trim": int(plan.edge_trim),
        "gradient_step": int(options.gradient_step),
        "gradient_window": None if window is None else float(window),
        "speed_estimator": "|mean dphi/dt| / |mean grad phi| per frame",
        "n_chunks": int(len(plan.chunks)),
        "patterns": {k: v for k, v in pattern_params.items() if k != "events"},
        "events": pattern_params.get("events", {}),
    }


def _pattern_fractions(frames, classified_codes):
    """Fraction of the analysed frames in each pattern of PATTERNS."""
    from .patterns import PATTERNS

    n = frames.sizes["time"]
    if classified_codes is not None:  # codes of every analysed frame
        cnt = np.bincount(np.asarray(classified_codes, np.int64), minlength=len(PATTERNS))
        tot = max(int(cnt.sum()), 1)
        return {p: (float(cnt[i] / tot) if n else 0.0) for i, p in enumerate(PATTERNS)}
    pats = np.asarray(frames["pattern"].values).astype(str)
    fractions = {p: (float(np.mean(pats == p)) if n else 0.0) for p in PATTERNS}
    unknown = 1.0 - sum(fractions.values())
    if unknown > 1e-12:  # a label outside PATTERNS counts as "other"
        fractions["other"] += unknown
    return fractions


def _event_list(events):
    if events is None or not len(events):
        return []
    cols = [
        c
        for c in ("start", "end", "duration", "pattern", "speed", "direction", "pgd", "rotation")
        if c in events.columns
    ]
    return [
        {c: (r[c].item() if hasattr(r[c], "item") else r[c]) for c in cols}
        for _, r in events[cols].iterrows()
    ]


def _event_summary(events, info):
    if events is None or not len(events):
        return {"n": 0, "rate": 0.0, "median_duration": None, "by_pattern": {}}
    return {
        "n": int(len(events)),
        "rate": float(len(events) / info.duration),
        "median_duration": float(np.median(events["duration"].values)),
        "by_pattern": {str(k): int(v) for k, v in events["pattern"].value_counts().items()},
    }


def _summary_block(frames, events, info, classified_codes):
    n = frames.sizes["time"]
    wave = np.asarray(frames["is_wave"].values, bool)
    pgd = frames["pgd"].values
    sp = frames["speed"].values[wave]
    mean_deg, rlen = mean_resultant(frames["direction"].values[wave], deg=True)
    if not np.isfinite(rlen):  # no wave frame with a direction
        mean_deg = rlen = None
    _, unit = speed_factor(info.time_units, info.space_units)
    return {
        "frequency": {"median": _q(frames["frequency"].values, 0.5)},
        "pgd": {"median": _q(pgd, 0.5), "p90": _q(pgd, 0.9)},
        "wave_fraction": float(wave.mean()) if n else 0.0,
        "speed": {
            "median": _q(sp, 0.5),
            "q25": _q(sp, 0.25),
            "q75": _q(sp, 0.75),
            "units": frames["speed"].attrs.get("units") or unit,
        },
        "direction": {"mean_deg": mean_deg, "resultant_length": rlen},
        "wavelength": {
            "median": _q(frames["wavelength"].values[wave], 0.5),
            "units": info.space_units,
        },
        "patterns": _pattern_fractions(frames, classified_codes),
        "events": _event_summary(events, info),
    }
