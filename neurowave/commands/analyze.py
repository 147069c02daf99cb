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
            "summary of DESIGN.md. A model export is measured the way that sees its waves: "
            "each object of each sample on its own, over twice the trained horizon, in one "
            "band from the pooled spectrum, wave frames those classified as a moving "
            "pattern; samples, objects and units pooled, with a per-unit breakdown."
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
    p.add_argument("--surrogates", type=int, default=None, metavar="N",
                   help="spatial shuffles per tested frame (default 99; 0 skips the test; "
                        "a model export's objects view needs none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the surrogates (default 0)")
    p.add_argument("--gradient-step", type=int, default=1, metavar="K",
                   help="phase gradient between sites K apart (default 1; > 1 for "
                        "pixel-dense imaging and waves much longer than the array)")
    p.add_argument("--gradient-window", type=float, default=None, metavar="T",
                   help="average the lags between sites coherently over T seconds (steps "
                        "for models) before the gradient; for stationary waves much longer "
                        "than the array (default: each frame on its own)")
    p.add_argument("--frame-rate", type=float, default=None, metavar="HZ",
                   help="frame rate of an image stack (when not in the files)")
    p.add_argument("--pixel-size", type=float, default=None, metavar="MM",
                   help="pixel size of an image stack in mm")
    p.add_argument("--json", metavar="OUT", default=None, help="write the JSON summary to OUT")
    p.add_argument("--plots", metavar="DIR", default=None,
                   help="write figures (PGD, speed, direction, patterns) to DIR")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --plots DIR")
    from ._util import add_model_view_options

    add_model_view_options(p)
    return p


def load_grid(path, *, positions=None, **kwargs):
    """Read ``path`` into a wave grid, or a model export Dataset, and its format."""
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
        return obj, "netcdf (model export)"
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
    import xarray as xr

    from ._util import model_view_kwargs

    view_kw = model_view_kwargs(args)
    akw = dict(phase_method=args.phase, pgd_threshold=args.pgd_threshold, seed=args.seed,
               gradient_step=args.gradient_step, gradient_window=args.gradient_window)
    if args.surrogates is not None:
        akw["n_surrogates"] = args.surrogates
    with progress(total=3, desc="analyze", unit="step") as bar:
        grid, fmt = load_grid(path, positions=args.positions, **kwargs)
        bar.update()
        if isinstance(grid, xr.Dataset):
            from ..compare import analyze_model

            res = analyze_model(grid, band=args.band, path=str(path),
                                progress=sys.stderr.isatty(), **view_kw, **akw)
            res.summary["input"]["format"] = fmt
            plot_res = res.example
        else:
            given = [f"--{k.replace('_', '-')}" for k, v in view_kw.items() if v is not None]
            if given:
                raise ValueError(f"{' and '.join(given)} apply to model exports only; "
                                 f"{path} is a {fmt} recording. Leave them out.")
            res = analyze(grid, band=args.band, path=str(path), file_format=fmt, **akw)
            plot_res = res
        bar.update()
        if args.plots:
            with atomic_directory(args.plots, overwrite=args.overwrite) as tmp:
                _plots(plot_res, Path(tmp))
        if args.json:
            res.to_json(args.json)
        bar.update()
    print_table(res.table(), title=f"neurowave analyze {path}")
    if args.json:
        print(f"summary written to {args.json}", file=sys.stderr)
    return 0
