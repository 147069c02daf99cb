"""Model-vs-recording comparison and its report.

:func:`compare` puts a model export and a recording through the same wave measures
(:func:`neurowave.waves.analyze`) and returns a :class:`CompareResult` with, per
metric, an effect size with its bootstrap interval and a verdict (equivalent /
different / undecided) from an equivalence test against a stated margin, and a
distance between the two distributions with the test behind it
(:mod:`neurowave.compare.stats`), in common units
(:mod:`neurowave.compare.scale`); :mod:`neurowave.compare.report` draws the figures and
writes one self-contained HTML page.
"""

from ._compare import (EXTRA_METRICS, MARGINS, METRICS, CompareResult, compare,
                       load_model_export, load_recording)
from .scale import array_extent, parse_quantity, region_extent

__all__ = [
    "compare",
    "CompareResult",
    "METRICS",
    "EXTRA_METRICS",
    "MARGINS",
    "load_model_export",
    "load_recording",
    "parse_quantity",
    "array_extent",
    "region_extent",
]
