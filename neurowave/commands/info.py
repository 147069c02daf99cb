"""``neurowave info FILE``: what a reader sees in a file."""

from __future__ import annotations

import sys

HELP = "show what a reader sees: sites, layout, rate, duration, positions"


def add_parser(subparsers):
    from ._options import reader_parent

    p = subparsers.add_parser(
        "info",
        parents=[reader_parent()],
        help=HELP,
        description=(
            "Read FILE as neurowave.io.read does and print its format, sites (valid and dead), "
            "layout and grid shape, spacing, sampling rate, duration, units, channel types "
            "and where the positions came from."
        ),
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="recording, image folder/stack or netCDF file; with several, a table "
        "each, and a file that cannot be read is named and skipped",
    )
    p.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="also write the facts as JSON (one FILE; default: only the table)",
    )
    p.add_argument(
        "--fail-fast",
        action="store_true",
        help="with several files, stop at the first that cannot be read (default: "
        "go on, name each failed file and exit with code 2)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the --json file of an earlier run (never an input)",
    )
    return p


def describe(grid, path=None):
    """A dict of the facts ``neurowave info`` prints for a wave grid (or model export)."""
    import numpy as np
    import xarray as xr

    from ..grid import validate_grid
    from ..waves.analysis import positions_source

    if isinstance(grid, xr.Dataset):
        hidden = grid["hidden"]
        return {
            "path": str(path),
            "format": "netcdf (model export)",
            "kind": grid.attrs.get("kind", "model"),
            "model": grid.attrs.get("model"),
            "task": grid.attrs.get("task"),
            "hidden_dims": list(hidden.dims),
            "hidden_shape": [int(s) for s in hidden.shape],
            "variables": list(grid.data_vars),
        }
    info = validate_grid(grid, min_sites=1, min_times=1)
    a = grid.attrs
    chan_map = a.get("channels") if info.layout == "grid" else None
    n_empty = int(sum(1 for c in chan_map if c == "")) if isinstance(chan_map, list) else 0
    n_masked = int(a.get("n_background_pixels", 0))  # outside the imaged area, not dead
    facts = {
        "path": str(path if path is not None else a.get("source", "")),
        "format": a.get("format", "netcdf" if str(path).endswith(".nc") else "?"),
        "kind": a.get("kind"),
        "layout": "regular grid (time, y, x)"
        if info.layout == "grid"
        else "irregular (time, channel)",
        "grid_shape": list(info.grid_shape),
        "n_sites": info.n_sites,
        "n_valid_sites": info.n_valid_sites,
        "n_dead_sites": info.n_sites - info.n_valid_sites - n_empty - n_masked,
        "n_no_electrode": n_empty,
        "n_masked_outside_imaged_area": n_masked,
        "spacing": info.spacing,
        "space_units": info.space_units,
        "sampling_rate": info.sampling_rate,
        "time_units": info.time_units,
        "n_times": info.n_times,
        "duration": info.n_times / info.sampling_rate,
        "units": a.get("units"),
        "positions_source": positions_source(grid),
        "lazy": bool(hasattr(grid.data, "dask")),
    }
    types = a.get("channel_types")
    if types:
        vals, counts = np.unique(np.asarray(types, dtype=str), return_counts=True)
        facts["channel_types"] = {str(v): int(c) for v, c in zip(vals, counts, strict=True)}
    for key in ("dead_channels", "bads", "flat_channels", "channels_without_position"):
        if a.get(key):
            facts[key] = list(a[key])
    if "distortion" in a:
        facts["flattening_distortion"] = a["distortion"]
    for key in ("subject", "array", "array_id", "background_mask", "n_background_pixels"):
        if key in a:
            facts[key] = a[key]
    return facts


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        s = ", ".join(map(str, v[:12]))
        return s + (f", ... ({len(v)} in all)" if len(v) > 12 else "")
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return str(v)


def _one(args, path):
    """Read ``path`` and print (and write, --json) its facts."""
    import warnings

    from .._errors import naming_input
    from ..io import read
    from ._options import reader_kwargs
    from ._util import print_table, write_json_atomic

    kwargs = reader_kwargs(args)
    with naming_input(path):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            grid = read(path, positions=args.positions, **kwargs)
        for w in caught:
            if (
                issubclass(w.category, UserWarning) and "neurowave" in str(w.filename)
            ) or "without a position" in str(w.message):
                print(f"neurowave: warning: {w.message}", file=sys.stderr)
        facts = describe(grid, path)
    rows = []
    for k, v in facts.items():
        if k == "duration":
            v = f"{v:.6g} {facts.get('time_units', 's')}"
        elif k == "spacing":
            v = f"{v:.6g} {facts.get('space_units', 'mm')}"
        elif k == "sampling_rate":
            v = f"{v:.8g} {'Hz' if facts.get('time_units') == 's' else 'per step'}"
        rows.append((k.replace("_", " "), _fmt(v)))
    print_table(rows, title=f"neurowave info {path}" if len(args.files) > 1 else None)
    if args.json:
        write_json_atomic(facts, args.json)


def run(args):
    from .._errors import user_error_message
    from .._outputs import OutputGuard
    from .._validate import NeurowaveError
    from .analyze import expand_files

    files = (
        expand_files(args.files)
        if len(args.files) > 1 or any(c in args.files[0] for c in "*?[")
        else list(args.files)
    )
    args.files = files
    if len(files) > 1 and args.json:
        raise NeurowaveError(
            f"--json takes one FILE, but {len(files)} files were given; "
            "run them one by one to write their facts."
        )
    OutputGuard([*files, args.positions], overwrite=args.overwrite).file(
        args.json, option="--json", kind="json"
    )
    failed = []
    for path in files:
        try:
            _one(args, path)
        except Exception as err:
            sentence = None if args.fail_fast or len(files) == 1 else user_error_message(err)
            if sentence is None:
                raise
            failed.append(path)
            print(f"neurowave: error: {sentence}", file=sys.stderr)
    if len(files) > 1:
        names = ", ".join(map(str, failed[:10])) + (
            f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        )
        print(
            f"neurowave: {len(files) - len(failed)} read, {len(failed)} failed"
            + (f": {names}." if failed else "."),
            file=sys.stderr,
        )
    return 2 if failed else 0
