"""Shared helpers for subcommands: atomic outputs, JSON, tables, progress."""

from __future__ import annotations

import sys

_FROM_OUTPUTS = ("atomic_directory", "to_jsonable", "write_json_atomic")


def __getattr__(name):
    # imported on first use: parsers import this module, and ``neurowave --help`` must
    # not pay for numpy
    if name in _FROM_OUTPUTS:
        from .. import _outputs

        return getattr(_outputs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def print_table(rows, *, file=None, title=None):
    """Print ``rows`` (list of (label, value, ...)) as an aligned plain-text table."""
    file = file or sys.stdout
    rows = [[str(c) for c in r] for r in rows]
    if title:
        print(title, file=file)
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(map(len, rows)))]
    for r in rows:
        # a short row fills only its first columns (widths spans the longest row)
        cells = (c.ljust(w) for c, w in zip(r, widths, strict=False))
        print("  " + "  ".join(cells).rstrip(), file=file)


class _NoBar:
    """What :func:`progress` returns when nothing is shown (tqdm is not even imported)."""

    def __init__(self, iterable=None):
        self._it = iterable

    def __iter__(self):
        return iter(self._it if self._it is not None else ())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def close(self):
        pass


def progress(iterable=None, **kwargs):
    """A tqdm progress bar shown only on a terminal."""
    kwargs.setdefault("disable", not sys.stderr.isatty())
    if kwargs["disable"]:
        return _NoBar(iterable)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


def add_model_view_options(parser, *, export=False):
    """Add the model-export options shared by ``analyze``, ``compare`` and ``export``.

    ``--model-sites``, ``--unit``, ``--sample`` and ``--steps`` mean the same in the
    three commands: which cells, units, samples and steps of a model export are
    measured (:func:`neurowave.compare.analyze_model`). ``export`` keeps only the
    chosen units and samples, records ``--steps`` steps and stores the choice as the
    export's default view.
    """
    from .._model_sites import DEFAULT_SITES, MODEL_SITES  # light: --help stays fast

    g = parser.add_argument_group(
        "model exports",
        "what of a model export is measured (the same in analyze, compare "
        "and export; echoed in params.model_view)",
    )
    g.add_argument(
        "--model-sites",
        choices=MODEL_SITES,
        default=None,
        help=f"'objects': each object of each sample (label map) on its own, "
        f"cells outside it absent (default '{DEFAULT_SITES}'); 'foreground': "
        "the objects' cells together; 'all': the whole grid",
    )
    g.add_argument(
        "--unit",
        type=int,
        nargs="+",
        default=None,
        metavar="U",
        help="hidden unit(s) to measure (default: all, pooled)",
    )
    g.add_argument(
        "--sample",
        type=int,
        nargs="+",
        default=None,
        metavar="S",
        help="sample(s) to measure (default: all, pooled)",
    )
    g.add_argument(
        "--steps",
        type=int,
        default=None,
        metavar="T",
        help=(
            "steps of hidden states to record (default: the trained "
            "horizon T; longer windows are checked for bounded states)"
        )
        if export
        else "measure the first T steps (default: twice the trained horizon)",
    )
    return g


def model_view_kwargs(args):
    """The keyword arguments of :func:`neurowave.compare.analyze_model` from the options
    of :func:`add_model_view_options` (None where the user left one out)."""
    return {
        "model_sites": args.model_sites,
        "units": args.unit,
        "samples": args.sample,
        "steps": args.steps,
    }
