"""``neurowave analyze FILE``: the wave measures of one recording or model export."""

from __future__ import annotations

import sys

from .._validate import (
    NeurowaveError,
    NeurowaveFileNotFoundError,
    NeurowaveIsADirectoryError,
    NeurowaveNotADirectoryError,
)

HELP = "measure the waves of a recording or model export (table + JSON summary)"


def add_parser(subparsers):
    from ._options import measure_parent, reader_parent

    p = subparsers.add_parser(
        "analyze",
        parents=[reader_parent(), measure_parent()],
        help=HELP,
        description=(
            "Read FILE as neurowave.io.read does, band-pass it (the band is chosen from the "
            "data unless --band is given), compute the phase, its gradient, PGD, speed, "
            "direction and wavelength, find wave frames (PGD threshold + surrogate test), "
            "classify patterns and group events. Prints a short table; --json writes the "
            "whole summary. A model export is measured the way that sees its waves: "
            "each object of each sample on its own, over twice the trained horizon, in one "
            "band from the pooled spectrum, wave frames those classified as a moving "
            "pattern; samples, objects and units pooled, with a per-unit breakdown."
        ),
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="recording, image stack, wave grid or model export; several files "
        "or a quoted glob ('data/*.nc') give one JSON per file and a CSV",
    )
    p.add_argument(
        "--kw",
        action="store_true",
        help="add the whole recording's wavenumber-frequency (k-omega) peak: speed, "
        "direction, wavelength, travelling index, with intervals (JSON `kw`; "
        "recordings and wave grids)",
    )
    p.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="write the JSON summary to OUT (with several files: a folder that "
        "gets OUT/<name>.json per file and OUT/summary.csv; default: none, "
        "the table is printed)",
    )
    p.add_argument(
        "--plots",
        metavar="DIR",
        default=None,
        help="write figures (PGD, speed, direction, patterns) to DIR (default: none)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace outputs of an earlier run (--json, --csv, --plots); "
        "without it an existing output is kept: in a batch, a file whose "
        "JSON records the same input (size, modification time) and options "
        "counts as done, one whose JSON records another is refused. Never "
        "replaces an input or a file or folder neurowave did not write",
    )
    p.add_argument(
        "--nix",
        metavar="OUT.nix",
        default=None,
        help="write the per-frame measures and the wave events as Neo objects to "
        "a NIX file; for a NIX FILE, OUT.nix is a copy of it with them as a new "
        "block (FILE itself is never changed) (default: none)",
    )
    from ._util import add_model_view_options

    add_model_view_options(p)
    add_scale_options(p)
    return p


def add_scale_options(p):
    """Options for long recordings, many files and clusters (issue 13)."""
    g = p.add_argument_group("long recordings, many files, clusters")
    g.add_argument(
        "--pattern-rate",
        type=float,
        default=4.0,
        metavar="R",
        help="classify patterns on one frame per cycle of the band's upper edge "
        "and on R per cycle where they change (default 4; 0: every frame)",
    )
    g.add_argument(
        "--chunk",
        type=float,
        default=None,
        metavar="SECONDS",
        help="process long recordings in chunks of this length (time units; "
        "default about 4 million site-samples); memory follows the chunk",
    )
    g.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="chunks processed at once per file, by forked worker processes "
        "(by threads inside a dask worker) (default: CPUs, at most 2)",
    )
    g.add_argument(
        "--csv",
        metavar="OUT",
        default=None,
        help="write the headline numbers of every file as a CSV table (default: none; with "
        "several files and --json, OUT/summary.csv)",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="analyse the files on a local dask cluster of N worker processes "
        "(default: none, in this process)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="analyse the files on an existing dask cluster (e.g. "
        "tcp://10.0.0.5:8786, or a dask-jobqueue cluster's address; default: none)",
    )
    g.add_argument(
        "--fail-fast",
        action="store_true",
        help="with several files, stop at the first that fails (default: go on, "
        "write the others, name each failed file and exit with code 2)",
    )
    g.add_argument(
        "--progress",
        action="store_true",
        help="show progress bars even when stderr is not a terminal",
    )


def load_grid(path, *, positions=None, lazy=False, **kwargs):
    """Read ``path`` into a wave grid, or a model export Dataset, and its format.

    ``lazy``: open netCDF wave grids with dask (read chunk by chunk by
    :func:`~neurowave.waves.analyze`); other readers keep their own default.
    """
    import xarray as xr

    from ..io import read

    if lazy and "chunks" not in kwargs:
        from ..io._read import detect_format

        if detect_format(path) == "netcdf":
            kwargs["chunks"] = {"time": 8192}  # reads follow the chunks of analyze
    obj = read(path, positions=positions, **kwargs)
    if isinstance(obj, xr.Dataset) and lazy:
        obj = obj.load()  # a model export: small, selected in memory
    if isinstance(obj, xr.Dataset):
        if "hidden" not in obj:
            raise NeurowaveError(
                f"{path}: the netCDF file holds a Dataset without a `hidden` variable, "
                "neither a wave grid nor a model export. Write a grid with "
                "neurowave.io.write_netcdf."
            )
        obj.attrs.setdefault("source", str(path))  # errors name the file
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
    ax.fill_between(
        t,
        0,
        1,
        where=fr["is_wave"].values,
        color="tab:orange",
        alpha=0.3,
        step="mid",
        label="wave frame",
    )
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
    if getattr(res, "kw_spectrum", None) is not None:
        import warnings

        from ..waves import KWRangeWarning, plot_kw_spectrum

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KWRangeWarning)  # already in the JSON
            fig = plot_kw_spectrum(res.kw_spectrum)
        fig.savefig(outdir / "kw_spectrum.png", dpi=100)
        plt.close(fig)


def expand_files(patterns):
    """Paths from FILE arguments: globs expanded (sorted), duplicates dropped."""
    import glob
    from pathlib import Path

    out = []
    for pat in patterns:
        if any(c in str(pat) for c in "*?["):
            hits = sorted(glob.glob(str(pat)))
            if not hits:
                raise NeurowaveFileNotFoundError(
                    f"No file matches {pat!r}. Check the pattern and "
                    "quote it so that neurowave expands it."
                )
            out += hits
        else:
            out.append(str(pat))
    seen, uniq = set(), []
    for p in out:
        key = str(Path(p).resolve())
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


#: columns of the headline CSV
CSV_COLUMNS = [
    "path",
    "format",
    "n_valid_sites",
    "sampling_rate",
    "duration",
    "band_lo",
    "band_hi",
    "frequency_median",
    "pgd_median",
    "wave_fraction",
    "speed_median",
    "speed_q25",
    "speed_q75",
    "speed_units",
    "direction_mean_deg",
    "direction_resultant_length",
    "wavelength_median",
    "wavelength_units",
    "planar",
    "radial_out",
    "radial_in",
    "rotating",
    "synchronous",
    "other",
    "n_events",
    "status",
    "error",
]


def headline(summary):
    """One CSV row (dict) of a JSON summary."""
    s, inp, par = summary["summary"], summary["input"], summary["params"]
    row = {
        "path": inp["path"],
        "format": inp["format"],
        "n_valid_sites": inp["n_valid_sites"],
        "sampling_rate": inp["sampling_rate"],
        "duration": inp["duration"],
        "band_lo": par["band"][0],
        "band_hi": par["band"][1],
        "frequency_median": s["frequency"]["median"],
        "pgd_median": s["pgd"]["median"],
        "wave_fraction": s["wave_fraction"],
        "speed_median": s["speed"]["median"],
        "speed_q25": s["speed"]["q25"],
        "speed_q75": s["speed"]["q75"],
        "speed_units": s["speed"]["units"],
        "direction_mean_deg": s["direction"]["mean_deg"],
        "direction_resultant_length": s["direction"]["resultant_length"],
        "wavelength_median": s["wavelength"]["median"],
        "wavelength_units": s["wavelength"]["units"],
        "n_events": s["events"]["n"],
    }
    row.update(s["patterns"])
    row["status"] = "ok"
    return row


def failed_row(path, sentence):
    """The CSV row of a file that failed: its path, status and the error's sentence."""
    return {"path": str(path), "status": "failed", "error": sentence}


#: first characters with which a spreadsheet starts a formula (OWASP CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell that a spreadsheet shows as text: a string starting like a formula
    (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading apostrophe;
    numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv_atomic(rows, path):
    """The headline table, written atomically (see :func:`neurowave._outputs.atomic_file`)."""
    import csv

    from .._outputs import atomic_file, to_jsonable

    with atomic_file(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: csv_cell(v) for k, v in to_jsonable(r).items()})


def analyze_file(path, options, *, progress=False, want_result=False):
    """Read and analyse one file; returns (summary, table rows[, WaveAnalysis]).

    ``options``: the keywords of :func:`neurowave.waves.analyze` plus ``positions``,
    ``reader`` (reader keywords), ``chunk``, ``threads`` and ``model_view`` (keywords
    of :func:`neurowave.compare.analyze_model`, for model exports). Runs in this
    process or on a dask worker (the CLI's --workers/--scheduler). A user error
    (:class:`~neurowave.NeurowaveError`) names ``path`` in its sentence.
    """
    from .._errors import naming_input

    with naming_input(path):
        return _analyze_file(path, options, progress=progress, want_result=want_result)


def _analyze_file(path, options, *, progress, want_result):
    from pathlib import Path

    import xarray as xr

    from ..waves import Execution, analyze

    opts = dict(options)
    view_kw = opts.pop("model_view", {})
    grid, fmt = load_grid(
        path, positions=opts.pop("positions", None), lazy=True, **opts.pop("reader", {})
    )
    ex = Execution(
        chunk_duration=opts.pop("chunk", None),
        n_threads=opts.pop("threads", None),
        progress=progress,
        desc=Path(path).name,
    )
    if isinstance(grid, xr.Dataset):  # a model export: the model view
        from ..compare import analyze_model

        band = opts.pop("band", None)
        if opts.pop("kw", False):
            raise NeurowaveError(
                f"--kw applies to recordings and wave grids; {path} is a model "
                "export. Leave it out, or use `neurowave compare --kw` to set a "
                "model's k-omega peaks against a recording's."
            )
        for k in ("pattern_rate",):
            opts.pop(k, None)
        res = analyze_model(
            grid, view=view_kw, band=band, path=str(path), progress=progress, **opts
        )
        res.summary["input"]["format"] = fmt
        from ..models.states import physical_rows, physical_summary

        phys = physical_summary(res.summary, grid.attrs)  # an export that knows dt, dx
        if phys is not None:
            res.summary["summary"]["physical"] = phys
        plot_res = res.example
    else:
        given = [f"--{k.replace('_', '-')}" for k, v in view_kw.items() if v is not None]
        if given:
            raise NeurowaveError(
                f"{' and '.join(given)} apply to model exports only; "
                f"{path} is a {fmt} recording. Leave them out."
            )
        res = analyze(grid, path=str(path), file_format=fmt, execution=ex, **opts)
        plot_res = res
    rows = res.table()
    if isinstance(grid, xr.Dataset):
        rows += physical_rows(res.summary["summary"].get("physical"))
    if want_result:
        return res.summary, rows, plot_res
    return res.summary, rows


def _write_nix(res, path, out):
    """``--nix OUT``: the results as Neo/NIX, beside a copy of a NIX recording."""
    from ..io import write_nix

    nix = path.suffix.lower() in (".nix", ".h5") and path.is_file()
    write_nix(res, out, recording=path if nix else None)
    print(f"Neo/NIX results written to {out}", file=sys.stderr)


def _options(args):
    from ._options import measure_kwargs, reader_kwargs
    from ._util import model_view_kwargs

    rate = args.pattern_rate
    if rate is not None and rate < 0:
        raise NeurowaveError(
            f"--pattern-rate must be positive (or 0 for every frame), got {rate:g}."
        )
    opts = measure_kwargs(args)
    opts.update(
        pattern_rate=rate or None,
        positions=args.positions,
        reader=reader_kwargs(args),
        chunk=args.chunk,
        threads=args.threads,
        model_view=model_view_kwargs(args),
    )
    if args.kw:
        opts["kw"] = True
    return opts


def _client(args):
    """A dask.distributed Client for --scheduler / --workers (None without them)."""
    if args.scheduler is None and args.workers is None:
        return None, None
    if args.scheduler is not None and args.workers is not None:
        raise NeurowaveError(
            "Pass either --scheduler (an existing cluster) or --workers (a local one), not both."
        )
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            "--scheduler and --workers need dask.distributed: pip install 'neurowave[cluster]'."
        ) from None
    if args.scheduler is not None:
        from .._proc import SCHEDULER_TIMEOUT, check_scheduler

        check_scheduler(args.scheduler)  # a sentence at once, or within the timeout
        try:
            return Client(args.scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s"), None
        except (OSError, TimeoutError, ValueError, MemoryError, OverflowError) as err:
            raise NeurowaveError(
                f"Cannot use the dask scheduler at {args.scheduler} ({type(err).__name__}); "
                "check that the address is a dask scheduler's and that it is running."
            ) from None
    if args.workers < 1:
        raise NeurowaveError(f"--workers must be at least 1, got {args.workers}.")
    return local_cluster(args.workers)


def local_cluster(n_workers):
    """A private local dask cluster: loopback only, TLS with temporary credentials
    where ``distributed`` can make them (it needs ``cryptography``), and no HTTP
    server (the dashboard is off). Returns ``(client, cluster)``."""
    import logging

    from distributed import Client, LocalCluster

    security, protocol = None, "tcp://"
    try:
        from distributed.security import Security

        security, protocol = Security.temporary(), "tls://"
    except (ImportError, AttributeError):
        pass  # plain TCP on 127.0.0.1 (the CLI reference says what that exposes)
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        protocol=protocol,
        security=security,
        dashboard_address=None,
        worker_dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster, security=security)
    try:
        _stop_http_servers(cluster, client)
    except BaseException:
        client.close()
        cluster.close()
        raise
    return client, cluster


def _stop_http_servers(cluster, client):
    """Close the HTTP servers (health, metrics, API routes) that dask starts on the
    scheduler and on every worker even without a dashboard (run in their loops)."""

    def stop(dask_worker=None, dask_scheduler=None):
        node = dask_worker if dask_worker is not None else dask_scheduler
        server = getattr(node, "http_server", None)
        if server is not None:
            server.stop()
        node.services.pop("dashboard", None)

    client.run_on_scheduler(stop)
    client.run(stop)


def _guard_outputs(args, files, several, options):
    """Check every output against the inputs and what exists, before any work
    (:class:`neurowave._outputs.OutputGuard`). Returns ``(json_paths, done, refused,
    csv_path)``: the JSON path of each file, the files whose batch JSON already exists
    for the same input and options (kept, and counted as done, without --overwrite),
    the files whose batch JSON exists for another input or other options ({index:
    sentence}; never replaced without --overwrite) and the CSV path."""
    from pathlib import Path

    from .._outputs import OutputGuard

    guard = OutputGuard([*files, args.positions], overwrite=args.overwrite)
    if args.json is not None and Path(args.json).is_dir() and not several:
        raise NeurowaveIsADirectoryError(
            f"{args.json} is a directory; pass a file name for --json."
        )
    if several and args.json is not None and Path(args.json).suffix.lower() == ".json":
        raise NeurowaveError(
            f"--json {args.json} names a file, but {len(files)} files are "
            "analysed; pass a folder for their JSON summaries."
        )
    if several and args.plots:
        raise NeurowaveError("--plots takes one FILE; run the files one by one for figures.")
    guard.folder(args.plots, option="--plots", kind="analyze-plots")
    guard.file(args.nix, option="--nix", kind="nix")
    if (
        args.plots is not None
        and args.json is not None
        and Path(args.json).resolve().parent == Path(args.plots).resolve()
    ):
        raise NeurowaveError(
            f"--json {args.json} lies inside the --plots folder, which is replaced as a "
            "whole; pick a path outside it."
        )
    names = [f.stem for f in files]
    if several and len(set(names)) < len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise NeurowaveError(
            f"Several files are named {dup[0]!r}; their JSON summaries would "
            "collide. Rename them or analyse them separately."
        )
    json_paths, done, refused = [None] * len(files), set(), {}
    if args.json is not None and several:
        folder = Path(args.json)
        if folder.exists() and not folder.is_dir():
            raise NeurowaveNotADirectoryError(
                f"--json {folder} exists and is not a folder; pass a folder for the JSON "
                "summaries of several files."
            )
        for i, f in enumerate(files):
            json_paths[i] = out = folder / f"{f.stem}.json"
            if out.exists() and not args.overwrite:
                guard.file(out, option="--json", kind="json", exists_ok=True)
                why = _resume_mismatch(out, f, options)
                if why is None:
                    done.add(i)  # the resume of a batch: this file is done
                elif args.fail_fast:
                    raise NeurowaveError(why)
                else:
                    refused[i] = why
            else:
                guard.file(out, option="--json", kind="json")
    elif args.json is not None:
        json_paths[0] = guard.file(args.json, option="--json", kind="json")
    csv_path = args.csv
    if csv_path is None and several and args.json:
        csv_path = Path(args.json) / "summary.csv"
        guard.file(csv_path, option="--json", kind="csv", exists_ok=True)  # rebuilt whole
    elif csv_path is not None:
        guard.file(csv_path, option="--csv", kind="csv")
    return json_paths, done, refused, csv_path


def provenance(path, options):
    """What a batch JSON records of its run, for a rerun to resume: the input's size
    and modification time (ns) and the analysis options (``threads`` left out: it
    does not change the results)."""
    import json
    import os

    from .._outputs import to_jsonable

    st = os.stat(path)
    opts = {k: v for k, v in options.items() if k != "threads"}
    return {
        "input": {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)},
        "options": json.loads(json.dumps(to_jsonable(opts))),
    }


def _resume_mismatch(out, path, options):
    """None when ``out`` holds the results of ``path`` as it is now with ``options``;
    else the sentence that refuses to replace it without --overwrite."""
    import json

    try:
        earlier = json.loads(out.read_text(encoding="utf-8")).get("provenance")
    except (OSError, ValueError, AttributeError):
        earlier = None
    now = provenance(path, options)
    if not isinstance(earlier, dict) or not isinstance(earlier.get("input"), dict):
        why = "a run that did not record its input and options"
    elif earlier["input"] != now["input"]:
        why = (
            f"{path} as it was before (size {earlier['input'].get('size')} bytes then, "
            f"{now['input']['size']} now, or another modification time)"
        )
    elif earlier.get("options") != now["options"]:
        old, new = earlier.get("options") or {}, now["options"]
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        why = (
            "other options ("
            + ", ".join(f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in diff[:3])
            + ")"
        )
    else:
        return None
    return (
        f"{out} holds the results of {why}; pass --overwrite to analyse {path} "
        "again, or choose another --json folder."
    )


def _earlier_summary(path):
    import json

    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        headline(summary)
    except (OSError, ValueError, KeyError, TypeError):
        raise NeurowaveError(
            f"{path} exists but is not a summary of `neurowave analyze`; pass --overwrite "
            "to analyse that file again, or move the file away."
        ) from None
    return summary


def _failure(err, fail_fast):
    """The sentence of a user error to go on past, else None (the caller re-raises)."""
    from .._errors import user_error_message

    return None if fail_fast else user_error_message(err)


def _results(args, files, todo, options, *, several, want_result):
    """Yield ``(index, result or exception)`` as the files are analysed: in order in
    this process, as they complete on a dask cluster (--workers, --scheduler)."""
    from ._util import progress

    show = args.progress or sys.stderr.isatty()
    client, cluster = _client(args) if todo else (None, None)
    try:
        if client is None:
            with progress(
                total=len(todo), desc="files", unit="file", disable=not (show and several)
            ) as bar:
                for i in todo:
                    try:
                        r = analyze_file(
                            str(files[i]), options, progress=show, want_result=want_result
                        )
                    except Exception as err:  # sorted by the caller
                        r = err
                    yield i, r
                    bar.update()
            return
        from distributed import as_completed

        opts = dict(options, threads=options["threads"] or 1)
        futures = {
            client.submit(
                _analyze_task, str(files[i]), opts, pure=False, want_result=want_result
            ): i
            for i in todo
        }
        with progress(total=len(todo), desc="files", unit="file", disable=not show) as bar:
            for fut in as_completed(futures):
                try:
                    r = fut.result()
                except Exception as err:  # sorted by the caller
                    r = err
                fut.release()  # the client keeps no result it has written
                yield futures[fut], r
                bar.update()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _analyze_task(path, options, *, want_result=False):
    """:func:`analyze_file` as a dask task: a user error is returned, not raised, so
    that the worker logs no "Compute Failed" traceback for a bad file (a bug still
    raises)."""
    from .._errors import user_error_message

    try:
        return analyze_file(path, options, want_result=want_result)
    except Exception as err:
        if user_error_message(err) is None:
            raise
        return err


def _write_one(args, f, r, out, summary):
    """The outputs of one analysed file: JSON (and --plots, --nix)."""
    from pathlib import Path

    from ._util import atomic_directory, write_json_atomic

    if args.plots:
        with atomic_directory(args.plots, overwrite=True, kind="analyze-plots") as tmp:
            _plots(r[2], Path(tmp))
            if out is not None:  # last step inside: a failure or a kill keeps both old
                write_json_atomic(summary, out)
    elif out is not None:
        write_json_atomic(summary, out)
    if args.nix:
        _write_nix(r[2], f, args.nix)


def _count_line(n_done, n_kept, failed, files):
    names = [str(files[i]) for i in sorted(failed)]
    text = f"neurowave: {n_done} analysed"
    if n_kept:
        text += f", {n_kept} kept from an earlier run"
    text += f", {len(failed)} failed"
    if names:
        text += (
            ": "
            + ", ".join(names[:10])
            + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        )
    return text + "."


def run(args):
    from contextlib import closing

    from .._validate import check_path
    from ._util import print_table

    files = [check_path(f, name="FILE") for f in expand_files(args.files)]
    several = len(files) > 1
    if several and args.nix:
        raise NeurowaveError("--nix takes one FILE; run the files one by one.")
    fail_fast = args.fail_fast or not several
    options = _options(args)
    json_paths, done, failed, csv_path = _guard_outputs(args, files, several, options)
    if done:
        print(
            f"neurowave: {len(done)} of {len(files)} files kept from an earlier run in "
            f"{args.json} (same input, same options; pass --overwrite to analyse them "
            "again)",
            file=sys.stderr,
        )
    for i in sorted(failed):
        print(f"neurowave: error: {failed[i]}", file=sys.stderr)
    rows = [None] * len(files)
    for i in done:
        rows[i] = headline(_earlier_summary(json_paths[i]))
    todo = [i for i in range(len(files)) if i not in done and i not in failed]
    n_done = 0
    results = _results(
        args, files, todo, options, several=several, want_result=bool(args.plots or args.nix)
    )
    with closing(results):  # the cluster closes even when a bug stops the run
        for i, r in results:
            if isinstance(r, Exception):
                sentence = _failure(r, fail_fast)
                if sentence is None:
                    raise r  # a bug, or the first user error with --fail-fast / one FILE
                failed[i] = sentence
                print(f"neurowave: error: {sentence}", file=sys.stderr)
                continue
            summary, table = r[0], r[1]
            if several:  # what a rerun checks before it keeps this JSON
                summary = dict(summary, provenance=provenance(files[i], options))
            _write_one(args, files[i], r, json_paths[i], summary)
            rows[i] = headline(summary)
            n_done += 1
            print_table(table, title=f"neurowave analyze {files[i]}")
    for i, sentence in failed.items():
        rows[i] = failed_row(files[i], sentence)
    if csv_path is not None:
        write_csv_atomic(rows, csv_path)
    if args.json and n_done:
        where = args.json if not several else f"{args.json}/<name>.json"
        print(f"summary written to {where}", file=sys.stderr)
    if csv_path is not None:
        print(f"headline table written to {csv_path}", file=sys.stderr)
    if several:
        print(_count_line(n_done, len(done), failed, files), file=sys.stderr)
    return 2 if failed else 0
