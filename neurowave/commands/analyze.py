"""``neurowave analyze FILE``: the wave measures of one recording or model export."""

from __future__ import annotations

import sys

HELP = "measure the waves of a recording or model export (table + JSON summary)"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "analyze",
        help=HELP,
        description=(
            "Read FILE as neurowave.io.read does, band-pass it (the band is chosen from the "
            "data unless --band is given), compute the phase, its gradient, PGD, speed, "
            "direction and wavelength, find wave frames (PGD threshold + surrogate test), "
            "classify patterns and group events. Prints a short table; --json writes the "
            "summary of DESIGN.md."
        ),
    )
    p.add_argument("file", metavar="FILE", help="recording, image stack, wave grid or model export")
    p.add_argument("--positions", metavar="MAP", default=None,
                   help="electrode map (.cmp, CSV/TSV, BIDS *_electrodes.tsv, *-dig.fif)")
    p.add_argument("--band", nargs=2, type=float, metavar=("LO", "HI"), default=None,
                   help="pass band in Hz (cycles/step for models); default: from the data")
    p.add_argument("--phase", choices=("hilbert", "generalized", "wavelet"), default="hilbert",
                   help="phase method (default hilbert)")
    p.add_argument("--pgd-threshold", type=float, default=0.5, metavar="X",
                   help="PGD a wave frame must reach (default 0.5)")
    p.add_argument("--surrogates", type=int, default=99, metavar="N",
                   help="spatial shuffles per tested frame (default 99; 0 skips the test)")
    p.add_argument("--seed", type=int, default=0, help="seed of the surrogates (default 0)")
    p.add_argument("--gradient-step", type=int, default=1, metavar="K",
                   help="phase gradient between sites K apart (default 1; > 1 for "
                        "pixel-dense imaging and waves much longer than the array)")
    p.add_argument("--gradient-window", type=float, default=None, metavar="T",
                   help="average the lags between sites coherently over T seconds (steps "
                        "for models) before the gradient; for stationary waves much longer "
                        "than the array (default: each frame on its own)")
    p.add_argument("--sample", type=int, default=0, help="model export: sample index (default 0)")
    p.add_argument("--unit", type=int, default=0, help="model export: hidden unit (default 0)")
    p.add_argument("--frame-rate", type=float, default=None, metavar="HZ",
                   help="frame rate of an image stack (when not in the files)")
    p.add_argument("--pixel-size", type=float, default=None, metavar="MM",
                   help="pixel size of an image stack in mm")
    p.add_argument("--json", metavar="OUT", default=None, help="write the JSON summary to OUT")
    p.add_argument("--plots", metavar="DIR", default=None,
                   help="write figures (PGD, speed, direction, patterns) to DIR")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --plots DIR")
    return p


def load_grid(path, *, positions=None, sample=0, unit=0, **kwargs):
    """Read ``path`` into a wave grid; a model export gives ``sample``/``unit``."""
    import xarray as xr

    from ..io import read

    obj = read(path, positions=positions, **kwargs)
    if isinstance(obj, xr.Dataset):
        if "hidden" not in obj:
            raise ValueError(
                f"{path}: the netCDF file holds a Dataset without a `hidden` variable, "
                "neither a wave grid nor a model export. Write a grid with "
                "neurowave.io.write_netcdf."
            )
        from ..models import hidden_grid

        return hidden_grid(obj, sample=sample, unit=unit), "netcdf (model export)"
    fmt = obj.attrs.get("format")
    if not fmt:
        from ..io._read import detect_format

        fmt = detect_format(path)
    return obj, fmt


def _plots(res, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fr = res.frames
    t = fr["time"].values
    s = res.summary
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(t, fr["pgd"].values, lw=0.6, color="k")
    ax.fill_between(t, 0, 1, where=fr["is_wave"].values, color="tab:orange", alpha=0.3,
                    step="mid", label="wave frame")
    ax.axhline(s["params"]["pgd_threshold"], ls="--", color="tab:red", lw=0.8)
    ax.set(xlabel=f"time ({s['input']['time_units']})", ylabel="PGD", ylim=(0, 1))
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(outdir / "pgd.png", dpi=100)
    plt.close(fig)
    wave = fr["is_wave"].values
    fig = plt.figure(figsize=(9, 3.2))
    ax1 = fig.add_subplot(1, 3, 1)
    sp = fr["speed"].values[wave]
    sp = sp[np.isfinite(sp)]
    if sp.size:
        ax1.hist(sp, bins=40, color="tab:blue")
    ax1.set(xlabel=f"speed ({s['summary']['speed']['units']})", ylabel="wave frames")
    ax2 = fig.add_subplot(1, 3, 2, projection="polar")
    di = fr["direction"].values[wave]
    di = di[np.isfinite(di)]
    if di.size:
        ax2.hist(np.deg2rad(di), bins=36, color="tab:green")
    ax2.set_title("direction of travel", fontsize=9)
    ax3 = fig.add_subplot(1, 3, 3)
    pats = s["summary"]["patterns"]
    ax3.barh(list(pats), list(pats.values()), color="tab:purple")
    ax3.set(xlabel="fraction of frames", xlim=(0, 1))
    fig.tight_layout()
    fig.savefig(outdir / "measures.png", dpi=100)
    plt.close(fig)


def run(args):
    from pathlib import Path

    from .._validate import check_path
    from ..waves import analyze
    from ._util import atomic_directory, print_table, progress

    path = check_path(args.file, name="FILE")
    if args.json is not None and Path(args.json).is_dir():
        raise IsADirectoryError(f"{args.json} is a directory; pass a file name for --json.")
    kwargs = {}
    if args.frame_rate is not None:
        kwargs["frame_rate"] = args.frame_rate
    if args.pixel_size is not None:
        kwargs["pixel_size"] = args.pixel_size
    with progress(total=3, desc="analyze", unit="step") as bar:
        grid, fmt = load_grid(path, positions=args.positions, sample=args.sample,
                              unit=args.unit, **kwargs)
        bar.update()
        res = analyze(grid, band=args.band, phase_method=args.phase,
                      pgd_threshold=args.pgd_threshold, n_surrogates=args.surrogates,
                      seed=args.seed, gradient_step=args.gradient_step,
                      gradient_window=args.gradient_window, path=str(path),
                      file_format=fmt)
        bar.update()
        if args.plots:
            with atomic_directory(args.plots, overwrite=args.overwrite) as tmp:
                _plots(res, Path(tmp))
        if args.json:
            res.to_json(args.json)
        bar.update()
    print_table(res.table(), title=f"neurowave analyze {path}")
    if args.json:
        print(f"summary written to {args.json}", file=sys.stderr)
    return 0
