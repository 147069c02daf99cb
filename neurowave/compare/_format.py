"""Numbers of a comparison as text: table cells, effect sizes with their intervals,
equivalence margins (used by the terminal table, the report and the CLI)."""

from __future__ import annotations

import numpy as np

__all__ = ["fmt_value", "format_effect", "format_margin"]


def fmt_value(x, fmt=".3g"):
    """A table cell: a number with ``fmt``, a string as it is, ``-`` for None or NaN."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return x if isinstance(x, str) else format(x, fmt)


def format_effect(d, *, dash="-"):
    """The effect of one ``distances`` entry as text: ``x0.98 [0.95, 1.02]`` for a ratio,
    ``+0.03 [0.01, 0.05]`` for a difference, ``4.1 [0, 7.9]`` for a distance."""
    e = d.get("effect")
    if e is None or not np.isfinite(e):
        return dash
    lo, hi = d.get("effect_ci_low"), d.get("effect_ci_high")
    kind = d.get("effect_kind")
    head = {"ratio": f"x{e:.3g}", "difference": f"{e:+.3g}"}.get(kind, f"{e:.3g}")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return head
    return f"{head} [{lo:.3g}, {hi:.3g}]"


def format_margin(d, *, dash="-"):
    """The equivalence margin of one ``distances`` entry: ``x1.25``, ``+-0.1``, ``<20``."""
    m = d.get("margin")
    if m is None:
        return dash
    return {"ratio": f"x{m:g}", "difference": f"+-{m:g}"}.get(d.get("effect_kind"), f"<{m:g}")
