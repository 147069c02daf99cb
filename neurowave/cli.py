"""The ``neurowave`` command line: thin over the library.

Each subcommand lives in :mod:`neurowave.commands.<name>` and provides
``add_parser(subparsers)`` and ``run(args) -> int``. Heavy imports (numpy, xarray,
torch, mne, neo, matplotlib) happen inside ``run`` and ``import neurowave`` is lazy, so
that ``neurowave --help`` stays fast. Options shared by several commands are defined
once in :mod:`neurowave.commands._options`; every option's help states its default.

Every user error (bad input, unreadable file, impossible request) becomes one
sentence on stderr and exit code 2: never a traceback, never a half-written file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from ._version import __version__

COMMANDS = ("info", "analyze", "compare", "train", "evaluate", "export", "demo", "list")

#: Exceptions that mean "the user's input is wrong" (exit code 2).
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, IsADirectoryError,
               NotADirectoryError, PermissionError, KeyError, IndexError, OSError)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        from .commands._options import HelpFormatter

        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one sentence, exit 2 (argparse's own convention)
        self.print_usage(sys.stderr)
        self.exit(2, f"neurowave: error: {message}\n")


def _one_sentence(err):
    msg = str(err).strip()
    if isinstance(err, KeyError) and msg.startswith(("'", '"')):
        msg = msg[1:-1]
    msg = " ".join(msg.split())
    if not msg:
        msg = type(err).__name__
    return msg


def build_parser():
    parser = _Parser(
        prog="neurowave",
        description="Traveling waves in artificial networks and brains, measured the same way.",
    )
    parser.add_argument("--version", action="version", version=f"neurowave {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of errors (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"neurowave.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"neurowave.commands.{name}":
                continue
            raise
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of a command as one line on stderr, without the source line."""
    print(f"neurowave: warning: {message}", file=sys.stderr)


def main(argv=None):
    """Entry point of the ``neurowave`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get("NEUROWAVE_DEBUG")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = args._run(args)
    except KeyboardInterrupt:
        print("neurowave: interrupted.", file=sys.stderr)
        return 130
    except USER_ERRORS as err:
        if debug:
            raise
        print(f"neurowave: error: {_one_sentence(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug in neurowave: still no bare traceback
        if debug:
            raise
        print(
            f"neurowave: internal error ({type(err).__name__}: {_one_sentence(err)}). "
            "Rerun with --debug and report the traceback.",
            file=sys.stderr,
        )
        return 1
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
