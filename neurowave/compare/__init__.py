"""Model-vs-recording comparison and its report.

:func:`compare` puts a model export and a recording through the same wave measures
(:func:`neurowave.waves.analyze`) and returns a :class:`CompareResult` with, per
metric, an effect size with its bootstrap interval and a verdict (equivalent /
different / undecided) from an equivalence test against a stated margin, and a
distance between the two distributions with the test behind it
(:mod:`neurowave.compare.stats`), in common units
(:mod:`neurowave.compare.scale`); :mod:`neurowave.compare.report` draws the figures and
writes one self-contained HTML page. :func:`analyze_model` measures a model export
the way that sees its waves (each object on its own, within the trained horizon).
"""

from ._compare import (EXTRA_METRICS, MARGINS, METRICS, CompareResult, compare,
                       coupling_reading, load_model_export, load_recording)
from ._model import (MODEL_SITES, ModelAnalysis, ModelView, analyze_model, object_masks,
                     resolve_view)
from .scale import array_extent, parse_quantity, region_extent

__all__ = [
    "compare",
    "CompareResult",
    "analyze_model",
    "coupling_reading",
    "ModelAnalysis",
    "ModelView",
    "resolve_view",
    "object_masks",
    "MODEL_SITES",
    "METRICS",
    "EXTRA_METRICS",
    "MARGINS",
    "load_model_export",
    "load_recording",
    "parse_quantity",
    "array_extent",
    "region_extent",
]
