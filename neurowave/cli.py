"""The ``neurowave`` command line: thin over the library.

Each subcommand lives in :mod:`neurowave.commands.<name>` and provides
``add_parser(subparsers)`` and ``run(args) -> int``. Heavy imports (numpy, xarray,
torch, mne, neo, matplotlib) happen inside ``run`` and ``import neurowave`` is lazy, so
that ``neurowave --help`` stays fast. Options shared by several commands are defined
once in :mod:`neurowave.commands._options`; every option's help states its default.

Every user error (:class:`~neurowave.NeurowaveError`, or a file that cannot be read
or written) becomes one sentence on stderr and exit code 2; anything else is an
internal error: one line saying so and what was being done, exit code 1 (``--debug``
shows the traceback). Never a traceback by default, never a half-written file
(:mod:`neurowave._errors`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ._version import __version__

COMMANDS = ("info", "analyze", "compare", "train", "evaluate", "export", "demo", "list")


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        from .commands._options import HelpFormatter

        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one sentence, exit 2 (argparse's own convention)
        self.print_usage(sys.stderr)
        self.exit(2, f"neurowave: error: {message}\n")


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


def main(argv=None):
    """Entry point of the ``neurowave`` console script; returns the exit code.

    Exit codes: 0 success, 1 internal error (a bug in neurowave), 2 user error (bad
    input, a file that cannot be read, an impossible request), 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    from ._errors import run_command

    debug = bool(args.debug or os.environ.get("NEUROWAVE_DEBUG"))
    return run_command(args._run, args, command=args.command, debug=debug)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
