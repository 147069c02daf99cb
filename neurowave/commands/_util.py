"""Shared helpers for subcommands: atomic outputs, JSON, tables, progress."""

from __future__ import annotations

import sys

from .._outputs import atomic_directory, to_jsonable, write_json_atomic  # noqa: F401


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
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), file=file)


def progress(iterable=None, **kwargs):
    """A tqdm progress bar shown only on a terminal."""
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", not sys.stderr.isatty())
    return tqdm(iterable, **kwargs)
