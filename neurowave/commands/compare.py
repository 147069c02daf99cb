"""``neurowave compare MODEL.nc RECORDING``: a model's waves against a brain's, number for number."""

from __future__ import annotations

import sys

from .._validate import NeurowaveError

HELP = "compare a model export's waves with a recording's (table, JSON, HTML report)"


def add_parser(subparsers):
    from ._options import measure_parent, reader_parent

    p = subparsers.add_parser(
        "compare",
        parents=[reader_parent(), measure_parent()],
        help=HELP,
        description=(
            "Put a model export (neurowave export) and a recording through the same wave "
            "measures and compare them metric by metric (speed, PGD, direction, wavelength, "
            "frequency, patterns): a distance between the two distributions, its bootstrap "
            "confidence interval and the test behind it. The model is measured as `analyze` "
            "measures it (each object of each sample on its own, over twice the trained "
            "horizon; samples, objects and units pooled as trials), beside the controls the "
            "export records: the same model with its coupling cut and the untrained model. "
            "Each metric gets an effect size with its interval and a verdict (equivalent / "
            "different / undecided) from an equivalence test against a stated margin "
            "(--margin). Without --model-dt/--model-dx, wavelengths are compared in widths "
            "of the region analysed and speeds in those widths per cycle (one piece of "
            "evidence)."
        ),
    )
    p.add_argument("model", metavar="MODEL.nc", help="model export written by `neurowave export`")
    p.add_argument("recording", metavar="RECORDING", help="recording any neurowave reader opens")
    p.add_argument(
        "--model-band",
        nargs=2,
        type=float,
        metavar=("LO", "HI"),
        default=None,
        help="pass band of the model in cycles/step (default: from the pooled "
        "spectrum of the model; --band is the recording's)",
    )
    p.add_argument(
        "--model-dt",
        metavar="DT",
        default=None,
        help="duration of one model step, e.g. 1ms (gives physical units; "
        "default: none, scale-free units); with it --band applies to both",
    )
    p.add_argument(
        "--model-dx",
        metavar="DX",
        default=None,
        help="size of one model cell, e.g. 0.4mm (gives physical units; "
        "default: none, scale-free units)",
    )
    p.add_argument(
        "--max-trials",
        type=int,
        default=0,
        metavar="N",
        help="pool at most N model trials (sample, object, unit), drawn with --seed (0 = all)",
    )
    p.add_argument(
        "--no-controls",
        action="store_true",
        help="leave out the controls the export records (cut coupling, untrained)",
    )
    p.add_argument(
        "--n-boot",
        type=int,
        default=500,
        metavar="N",
        help="bootstrap resamples per confidence interval",
    )
    p.add_argument(
        "--margin",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="equivalence margin of one metric, e.g. speed=1.5 (a factor for "
        "speed, wavelength, pattern_speed and frequency in Hz; PGD units for "
        "pgd; degrees for direction; a fraction for patterns); repeatable; "
        "default: the margins of the methods page",
    )
    p.add_argument(
        "--wave-frames",
        choices=("patterns", "pgd"),
        default="patterns",
        help="what a wave frame is, on every side alike: a frame classified as a "
        "moving pattern, speed from its pattern fit (patterns, default), or "
        "a frame passing the PGD threshold and surrogates (pgd)",
    )
    p.add_argument(
        "--dynamics",
        action="store_true",
        help="add the dynamics row: the DSA distance between the model's hidden-state "
        "dynamics (and each control's) and the recording's, beside each "
        "system's distance to itself (JSON distances `dynamics`) (default: off)",
    )
    p.add_argument(
        "--kw",
        action="store_true",
        help="also compare the wavenumber-frequency (k-omega) peaks: the recording's "
        "against the model trials' (JSON distances `kw`)",
    )
    p.add_argument(
        "--json", metavar="OUT", default=None, help="write the comparison as JSON (default: none)"
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        default=None,
        help="write figures and a self-contained index.html into DIR (default: none)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace outputs of an earlier run (--json, --report); never an "
        "input, nor a file or folder neurowave did not write",
    )
    from ._util import add_model_view_options

    add_model_view_options(p)
    return p


def check_outputs(
    json_path,
    report_dir,
    overwrite,
    *,
    inputs=(),
    kind="compare-report",
    replace_own=False,
    option="--report",
):
    """Fail before any work when an output cannot be written (one sentence each):
    an output that is an input, a folder holding an input or not neurowave's, an
    existing output without ``overwrite`` (:class:`neurowave._outputs.OutputGuard`)."""
    from pathlib import Path

    from .._outputs import OutputGuard

    guard = OutputGuard(inputs, overwrite=overwrite)
    guard.file(json_path, option="--json", kind="json")
    guard.folder(report_dir, option=option, kind=kind, replace_own=replace_own)
    if (
        json_path is not None
        and report_dir is not None
        and Path(json_path).resolve().parent == Path(report_dir).resolve()
    ):
        raise NeurowaveError(
            f"--json {json_path} lies inside the --report folder, which is replaced as a "
            "whole; the report already holds compare.json, or pick a path outside it."
        )


def write_outputs(
    result, *, json_path=None, report_dir=None, overwrite=False, extra=None, kind="compare-report"
):
    """Write the report folder and the JSON so that both appear or neither does;
    ``extra`` maps file names to texts written into the report folder too."""
    from pathlib import Path

    from ._util import atomic_directory, write_json_atomic

    if report_dir is None:
        if json_path is not None:
            write_json_atomic(result.to_dict(), json_path)
        return None
    from ..compare.report import build_report, publishable

    with atomic_directory(Path(report_dir), overwrite=overwrite, kind=kind) as tmp:
        build_report(result, tmp)
        write_json_atomic(result.to_dict(), tmp / "compare.json")
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        publishable(tmp)
        if json_path is not None:  # last step inside: a failure rolls the report back
            write_json_atomic(result.to_dict(), json_path)
    return Path(report_dir) / "index.html"


def print_summary(result, *, file=None):
    from ._util import print_table

    file = file or sys.stdout
    sc = result.scale
    m_in, r_in = result.model.get("input", {}), result.recording.get("input", {})
    view = result.model.get("params", {}).get("model_view") or {}
    pooled = result.model.get("summary", {}).get("pooled", {})
    print(
        f"model:     {m_in.get('path') or m_in.get('model')}  "
        f"({m_in.get('n_trials')} trials pooled, wave fraction "
        f"{_f(result.model.get('summary', {}).get('wave_fraction'))}, "
        f"{pooled.get('n_wave_frames', '-')} wave frames, "
        f"{_f(pooled.get('n_eff_wave_frames'), '{:.0f}')} effective)",
        file=file,
    )
    if view:
        print(f"           measured: {view.get('description')}", file=file)
        for note in view.get("notes", []):
            print(f"           note: {note}", file=file)
    print(
        f"recording: {r_in.get('path')}  (wave fraction "
        f"{_f(result.recording.get('summary', {}).get('wave_fraction'))})",
        file=file,
    )
    print(f"units:     {sc.get('mode')}: {sc.get('note')}", file=file)
    if result.params:  # one definition of a wave frame and one speed on every side
        print(
            f"waves:     wave frames = {result.params['wave_frames']} on every side; speed: "
            f"{result.params['speed_estimator']}",
            file=file,
        )
    print(file=file)
    print_table(result.table_rows(), file=file)
    for note in result.footnotes():
        print(note, file=file)
    ctl = result.controls or {}
    if ctl.get("coupling"):
        print(f"\ncontrols:  {ctl['coupling']['sentence']}", file=file)
    elif ctl.get("note"):
        print(f"\ncontrols:  {ctl['note']}", file=file)


def _f(x, fmt="{:.2f}"):
    return "-" if x is None else fmt.format(x)


def parse_margins(items):
    """``["speed=1.5", "pgd=0.2"]`` -> ``{"speed": 1.5, "pgd": 0.2}`` (one sentence on error)."""
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None:
            raise NeurowaveError(f"--margin {item!r} must read METRIC=VALUE, e.g. speed=1.5.")
        out[name.strip()] = number
    return out


def run(args):
    from ..compare import StatsOptions, compare
    from ._options import measure_kwargs, reader_kwargs

    if args.max_trials is not None and args.max_trials < 0:
        raise NeurowaveError(f"--max-trials must be 0 (all) or more, got {args.max_trials}.")
    check_outputs(
        args.json, args.report, args.overwrite, inputs=[args.model, args.recording, args.positions]
    )
    from ._util import model_view_kwargs

    read_options = reader_kwargs(args)
    if args.positions is not None:
        read_options["positions"] = args.positions
    result = compare(
        args.model,
        args.recording,
        model_band=tuple(args.model_band) if args.model_band else None,
        model_dt=args.model_dt,
        model_dx=args.model_dx,
        read_options=read_options,
        view={
            **model_view_kwargs(args),
            "max_trials": args.max_trials or None,
            "wave_frames": args.wave_frames,
        },
        controls=not args.no_controls,
        stats=StatsOptions(n_boot=args.n_boot, margins=parse_margins(args.margin) or None),
        progress=sys.stderr.isatty(),
        kw=bool(args.kw),
        dynamics=bool(args.dynamics),
        **measure_kwargs(args),
    )
    print_summary(result)
    index = write_outputs(
        result, json_path=args.json, report_dir=args.report, overwrite=args.overwrite
    )
    if args.json:
        print(f"\nJSON:   {args.json}")
    if index is not None:
        print(f"report: {index}")
    return 0
