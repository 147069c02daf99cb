"""The options several commands share, defined once (argparse parent parsers).

``analyze``, ``compare`` and ``info`` read files the same way (:data:`READER`) and
``analyze`` and ``compare`` measure them the same way (:data:`MEASURE`): one table per
group, so that an option has one name, one meaning and one default wherever it appears,
and a message may suggest any of them on every command that reads or measures.

A command adds a group with ``subparsers.add_parser(..., parents=[reader_parent()])``
and turns the parsed options into library keywords with :func:`reader_kwargs` and
:func:`measure_kwargs`. New shared options go into the tables below.
"""

from __future__ import annotations

import argparse
from functools import cache

#: (flags, argparse keywords, library keyword) of the options of every command that
#: reads a recording: ``neurowave.io.read(path, **reader_kwargs(args))``
READER = (
    (
        ("--positions",),
        dict(
            metavar="MAP",
            default=None,
            help="electrode map (.cmp, CSV/TSV, BIDS *_electrodes.tsv, "
            "*-dig.fif); default: the positions in the file, else a "
            "same-stem map beside it",
        ),
        "positions",
    ),
    (
        ("--frame-rate",),
        dict(
            type=float,
            default=None,
            metavar="HZ",
            help="frame rate of an image stack; default: from the files",
        ),
        "frame_rate",
    ),
    (
        ("--pixel-size",),
        dict(
            type=float,
            default=None,
            metavar="MM",
            help="pixel size of an image stack in mm; default: from the files",
        ),
        "pixel_size",
    ),
    (
        ("--picks",),
        dict(
            nargs="+",
            default=None,
            metavar="PICK",
            help="sites of a file read through MNE: channel types (ecog, seeg), "
            "names, or name prefixes ending in * ('G*': one grid of "
            "several); default: the ECoG, else sEEG, else EEG channels",
        ),
        "picks",
    ),
)

#: the options of every command that measures waves: ``neurowave.waves.analyze(grid,
#: **measure_kwargs(args))`` (compare applies them to both sides)
MEASURE = (
    (
        ("--band",),
        dict(
            nargs=2,
            type=float,
            metavar=("LO", "HI"),
            default=None,
            help="pass band in Hz (cycles/step for models); default: around the "
            "dominant spectral peak of the data",
        ),
        "band",
    ),
    (
        ("--phase",),
        dict(choices=("hilbert", "generalized", "wavelet"), default="hilbert", help="phase method"),
        "phase_method",
    ),
    (
        ("--pgd-threshold",),
        dict(type=float, default=0.5, metavar="X", help="PGD a wave frame must reach"),
        "pgd_threshold",
    ),
    (
        ("--surrogates",),
        dict(
            type=int,
            default=None,
            metavar="N",
            help="spatial shuffles per tested frame (default: 99; 0 skips "
            "the test; a model export's objects view needs none)",
        ),
        "n_surrogates",
    ),
    (
        ("--gradient-step",),
        dict(
            type=int,
            default=1,
            metavar="K",
            help="phase gradient between sites K apart (> 1 for "
            "pixel-dense imaging and waves much longer than the "
            "array)",
        ),
        "gradient_step",
    ),
    (
        ("--gradient-window",),
        dict(
            type=float,
            default=None,
            metavar="T",
            help="average the lags between sites coherently over T "
            "seconds (steps for models) before the gradient, for "
            "stationary waves much longer than the array; "
            "default: each frame on its own",
        ),
        "gradient_window",
    ),
    (
        ("--seed",),
        dict(
            type=int,
            default=0,
            help="seed of every random draw (surrogates; compare: also trials and bootstrap)",
        ),
        "seed",
    ),
)


def _parent(table, title):
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_argument_group(title)
    for flags, kwargs, _ in table:
        group.add_argument(*flags, **kwargs)
    return p


@cache
def reader_parent():
    """Parent parser with the :data:`READER` options."""
    return _parent(READER, "reading the file")


@cache
def measure_parent():
    """Parent parser with the :data:`MEASURE` options."""
    return _parent(MEASURE, "wave measures")


def _dest(flags):
    return flags[0].lstrip("-").replace("-", "_")


def _kwargs(table, args, *, skip=()):
    out = {}
    for flags, _, key in table:
        if key in skip:
            continue
        value = getattr(args, _dest(flags))
        if value is not None:
            out[key] = tuple(value) if isinstance(value, list) else value
    return out


def reader_kwargs(args, *, skip=("positions",)):
    """Keywords of :func:`neurowave.io.read` given on the command line (``positions``
    is passed on its own by the commands)."""
    return _kwargs(READER, args, skip=skip)


def measure_kwargs(args, *, skip=()):
    """Keywords of :func:`neurowave.waves.analyze` from the command line."""
    return _kwargs(MEASURE, args, skip=skip)


def option_names(table):
    """Every flag of a table (for tests and messages)."""
    return [f for flags, _, _ in table for f in flags]


class HelpFormatter(argparse.HelpFormatter):
    """Help that states every option's default: ``(default: X)`` is added unless the
    help text already says what the default is."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower() or action.default is argparse.SUPPRESS:
            return text
        if action.required or not action.option_strings:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return text + (" (default: off)" if action.default is False else " (default: on)")
        if action.default is None or action.default == []:
            return text  # the help must say what happens without it (a test checks)
        return text + " (default: %(default)s)"
